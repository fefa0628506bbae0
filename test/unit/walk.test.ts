/** The glue under the walk: finding a step's statement in mmu.c (the core's anchoring), the model's listing, stepping rules, exports, the protocol's snapshot check. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anchorSources, type AnchorResult } from '../../src/anchor/anchor';
import { anchorIdOf, type AnchorId } from '../../src/kernel/anchors';
import { shiftedFixture } from './shifted';
import { sameStep, WalkSession, withEntries } from '../../src/session/session';
import { parseScenario } from '../../src/scenario/parse';
import { checkFromWebviewMessage, checkPanelSnapshot, checkToWebviewMessage } from '../../src/view/protocol';
import { ANCHORS } from '../../src/kernel/anchors';
import { indexFunctions } from '../../src/source/cfunc';
import { LATER_FORMS, LATER_FUNCTIONS } from '../../src/kernel/eras';
import type { Anchor } from '../../src/kernel/anchors';
import { anchorKey, modelListing } from '../../src/view/listing';
import { traceMarkdown, walkthroughTrace } from '../../src/view/export';
import { snapshotAt } from '../../src/view/snapshot';
import { Walkthrough } from '../../src/run/walkthrough';
import { findPreset } from '../../src/kernel/variants';
import { scenario } from './helpers';
import { builtinScenario } from '../../src/scenario/builtins';
import { cloneState } from '../../src/model/state';

const FIXTURE = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'kernel', 'arch', 'x86', 'kvm', 'mmu', 'mmu.c'), 'utf8');
const origin = { kind: 'builtin' as const, id: 'reused-partial', label: 'reused-partial (built-in)' };

const MMU = 'arch/x86/kvm/mmu/mmu.c';
const anchored = (text: string) => new Map(anchorSources([{ path: MMU, text }]).map((r) => [r.id, r] as [AnchorId, AnchorResult]));

test('every mmu.c statement the model steps through is found in the fixture by the core, inside its function', () => {
  const lines = FIXTURE.split('\n');
  const found = anchored(FIXTURE);
  // The later eras' and policies' forms are not in the fixture as written (it follows the seed's base).
  const later = new Set<Anchor>(LATER_FORMS.map((id) => ANCHORS[id]));
  for (const a of Object.values(ANCHORS) as Anchor[]) {
    if (a.file !== MMU) continue;
    const r = found.get(anchorIdOf(a)!)!;
    if (later.has(a) && LATER_FUNCTIONS.includes(a.fn)) {
      assert.ok(!r.found && r.functionLine === undefined, `${a.fn} came after the seed's code: the fixture should not have it: ${JSON.stringify(r)}`);
      continue;
    }
    if (later.has(a)) {
      assert.ok(!(r.found && r.how === 'exact') && (r.found || r.functionLine !== undefined), `${a.fn}: ${a.stmt} should not be in the fixture as written, but its function should: ${JSON.stringify(r)}`);
      continue;
    }
    assert.ok(r.found && r.how === 'exact', `"${a.stmt}" is not in ${a.fn} in the fixture: ${JSON.stringify(r)}`);
    assert.equal(r.function, a.fn);
    assert.ok(lines[r.line - 1].includes(a.stmt.split(/\s+/)[0]), `${a.fn}: line ${r.line} is "${lines[r.line - 1]}"`);
  }
});

test('the core\'s anchoring skips prototypes, ignores whitespace, spans lines, and says where the function is when only it is there', () => {
  const text = 'static void drop_large_spte(struct kvm *kvm, u64 *sptep);\n\nstatic void drop_large_spte(struct kvm *kvm,\n\t\t      u64 *sptep)\n{\n\tif (x)\n\t\tkvm_flush_remote_tlbs_with_address(kvm,\n\t\t\tsp->gfn, 1);\n}\n';
  const r = anchored(text);
  // The definition starts on line 3 (line 1 is a prototype); the call starts on line 7 and its
  // statement text ends on line 8 ("sp->gfn," continues it).
  assert.deepEqual(pick(r.get('dropLargeFlush')!), { found: true, line: 7, endLine: 8, function: 'drop_large_spte', how: 'exact' });
  const drop = r.get('dropSpte')!;
  assert.ok(!drop.found && drop.functionLine === 3, JSON.stringify(drop));
  assert.ok(!r.get('linkSet')!.found, 'no __link_shadow_page in this text');
});

function pick(r: AnchorResult) {
  return r.found ? { found: true, line: r.line, endLine: r.endLine, function: r.function, how: r.how } : { found: false };
}

test('a renamed and moved function in a shifted copy of the fixture is still found, at its new line', () => {
  const original = anchored(FIXTURE);
  const s = shiftedFixture(FIXTURE);
  const shifted = anchored(s.text);
  const at = (id: AnchorId) => { const r = original.get(id)!; assert.ok(r.found, id); return r.line - 1; };
  // The flush in drop_large_spte(): the function is now __drop_large_spte() at the end of the file,
  // a known other name, so "renamed"; its line is the original's mapped through the move.
  const flush = shifted.get('dropLargeFlush')!;
  assert.ok(flush.found && flush.how === 'renamed' && flush.function === '__drop_large_spte', JSON.stringify(flush));
  assert.equal(flush.line - 1, s.lineOf(at('dropLargeFlush')));
  assert.ok(flush.line - 1 > FIXTURE.split('\n').length, 'the moved function is below every original line');
  // make_small_spte() is the mainline name of the split's SPTE maker: a statement alias, "renamed".
  const make = shifted.get('splitMakeSpte')!;
  assert.ok(make.found && make.how === 'renamed', JSON.stringify(make));
  assert.equal(make.line - 1, s.lineOf(at('splitMakeSpte')));
  // Untouched statements are exact, 20 lines down, or 20 less the moved block's 21 lines when they were below it.
  const link = shifted.get('linkSet')!;
  assert.ok(link.found && link.how === 'exact');
  assert.equal(link.line - 1, at('linkSet') + 20 - 21);
});

test('the model listing has one line for every anchor, holding its statement', () => {
  const l = modelListing(['/* header */']);
  const lines = l.text.split('\n');
  for (const a of Object.values(ANCHORS) as Anchor[]) {
    const n = l.lines.get(anchorKey(a));
    assert.ok(n !== undefined, `${a.fn}: ${a.stmt} has no line`);
    assert.equal(lines[n].trim(), a.stmt);
  }
});

test('Run to Violation and Run to Next Flush land on the steps the run recorded', () => {
  const s = new WalkSession(scenario('reused-partial'), origin, { variant: findPreset('never-flush')! });
  const first = s.walkthrough.violations[0].step;
  assert.equal(s.nextViolation(), first);
  s.goTo(first);
  assert.ok(s.nextViolation()! > first, 'a second violation comes later');
  s.goTo(-1);
  const flush = s.nextFlush()!;
  assert.ok(s.walkthrough.steps[flush].flush, 'next flush is a flush step');
  assert.ok(s.walkthrough.steps.slice(0, flush).every((st) => !st.flush));
  const v7 = new WalkSession(scenario('reused-partial'), origin, { variant: findPreset('v7')! });
  assert.equal(v7.nextViolation(), undefined);
});

test('switching never-flush -> v7 at the violation stays at the same statement, where v7 has issued the flush', () => {
  const never = new Walkthrough(scenario('reused-partial'), { variant: findPreset('never-flush')! });
  const v7 = new Walkthrough(scenario('reused-partial'), { variant: findPreset('v7')! });
  const at = never.violations[0].step;
  const there = sameStep(never, at, v7);
  assert.equal(v7.steps[there].anchor.stmt, never.steps[at].anchor.stmt);
  assert.equal(v7.steps[there].op, never.steps[at].op);
  const snap = snapshotAt(v7, there);
  assert.ok(snap.flushLog.some((f) => f.fn === 'drop_large_spte' && f.issued), 'v7 issued the split flush before this step');
});

test('the culprit to keep on screen: from the first violation on, the split\'s skipped flush; revealed at each violation\'s own step', () => {
  const s = new WalkSession(scenario('reused-partial'), origin, { variant: findPreset('never-flush')! });
  const steps = s.walkthrough.steps;
  // The only flush drop_large_spte() skips under never-flush; both violations (the stale entry at
  // the unlock, then the write to the freed page through it) trace back to it.
  const skipped = steps.findIndex((st) => st.kind === 'flush-skipped' && st.anchor.fn === 'drop_large_spte');
  const [first, second] = s.walkthrough.violations;
  assert.deepEqual([first.skippedFlush, second.skippedFlush], [skipped, skipped]);
  s.goTo(first.step - 1);
  assert.equal(s.culprit(), undefined, 'no violation reached yet');
  s.goTo(first.step);
  assert.deepEqual(pickCulprit(s), { step: first.step, skippedFlush: skipped, here: true });
  s.goTo(first.step + 1);
  assert.deepEqual(pickCulprit(s), { step: first.step, skippedFlush: skipped, here: false }, 'still marked after the violation, not revealed again');
  s.goTo(second.step);
  assert.deepEqual(pickCulprit(s), { step: second.step, skippedFlush: skipped, here: true }, 'the latest violation');
  assert.equal(new WalkSession(scenario('reused-partial'), origin, { variant: findPreset('v7')! }).culprit(), undefined);
});

function pickCulprit(s: WalkSession) {
  const c = s.culprit();
  return c && { step: c.violation.step, skippedFlush: c.skippedFlush, here: c.here };
}

test('a step link from the panel is checked: an integer step from -1, nothing else', () => {
  const goto = (step: unknown) => checkFromWebviewMessage({ messageId: 1, body: { type: 'goto', step } });
  assert.equal(goto(26), undefined);
  assert.equal(goto(-1), undefined);
  assert.equal(goto(2.5), 'goto: field "step" is 2.5, expected a step index (an integer from -1)');
  assert.equal(goto('26'), 'goto: field "step" is "26", expected a step index (an integer from -1)');
  assert.equal(goto(-2), 'goto: field "step" is -2, expected a step index (an integer from -1)');
});

test('snapshots pass the protocol check; a tampered one is refused with its path', () => {
  const w = new Walkthrough(scenario('reused-partial'), { variant: findPreset('never-flush')! });
  for (const i of [-1, 0, w.violations[0].step - 1, w.violations[0].step, w.length - 1]) assert.equal(checkPanelSnapshot(JSON.parse(JSON.stringify(snapshotAt(w, i)))), undefined, `step ${i}`);
  const open = JSON.parse(JSON.stringify(snapshotAt(w, w.violations[0].step - 1)));
  assert.equal(open.now, 'hazard');
  open.hazards[0].skippedFlush = 'step 26';
  assert.equal(checkPanelSnapshot(open), 'snapshot.hazards[0].skippedFlush is string, expected number');
  open.hazards[0].skippedFlush = 26;
  open.now = 'unknown';
  assert.equal(checkPanelSnapshot(open), 'snapshot.now is "unknown", expected one of violation, hazard, pass');
  const s = JSON.parse(JSON.stringify(snapshotAt(w, w.violations[0].step)));
  s.vcpus[0].tlb[0].stale = 'yes';
  assert.equal(checkPanelSnapshot(s), 'snapshot.vcpus[0].tlb[0].stale is string, expected boolean');
  s.vcpus[0].tlb[0].stale = true;
  const msg = { messageId: 1, body: { type: 'snapshot', version: 1, scenarioLabel: 'x', snapshot: { ...s, extra: 1 }, source: { kind: 'listing', location: '', note: '' }, snapshotMs: 1 } };
  // The field's whole path from the message's body, said once (it read 'snapshot: field "snapshot" snapshot: unexpected field "extra"').
  assert.equal(checkToWebviewMessage(msg), 'snapshot: unexpected field "snapshot.extra"');
});

test('the Markdown export carries the verdict, the violation and the plain-text trace', () => {
  const w = new Walkthrough(scenario('reused-partial'), { variant: findPreset('never-flush')! });
  const md = traceMarkdown(walkthroughTrace(w));
  assert.match(md, /^# reused-partial under never-flush/);
  assert.match(md, /\| verdict \| \*\*VIOLATION\*\* \|/);
  assert.match(md, /## Violations\n\n- step \d+: stale-tlb/);
  assert.match(md, /```text\nkvm-mmu-lab trace: scenario reused-partial, variant never-flush/);
});

test('entriesPerTable fills in `entries` only for a scenario file that does not set it', () => {
  const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'reused-partial-e4.scenario.json'), 'utf8');
  assert.equal(withEntries(text, 8), text, 'a file with entries keeps them');
  const without = text.replace(/\n\s*"entries": 4,/, '');
  assert.notEqual(without, text);
  assert.equal(parseScenario(withEntries(without, 4), 'x.json').entries, 4);
  // Without the setting the parser's default, 512, applies: this small-scope file no longer fits.
  assert.throws(() => parseScenario(withEntries(without, null), 'x.json'), /a 1G guest page must start on a multiple of 262144 pages/);
});

// ---- the walk next to paging_tmpl.h: the guest walk's steps in our own fixture (test/fixtures/kernel)

const TMPL = 'arch/x86/kvm/mmu/paging_tmpl.h';
const TMPL_FIXTURE = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'kernel', 'arch', 'x86', 'kvm', 'mmu', 'paging_tmpl.h'), 'utf8');

test('every paging_tmpl.h statement the model steps through is found in the fixture by the core, at its line, inside its function', () => {
  const found = new Map(anchorSources([{ path: TMPL, text: TMPL_FIXTURE }]).map((r) => [r.id, r] as [AnchorId, AnchorResult]));
  // The lines, counted in the fixture: FNAME(fetch) re-reads the top entry at 83, asks for the
  // indirect child at 93 and re-reads the entry above it at 97, asks for a direct child at 111;
  // FNAME(page_fault) injects a failed walk's fault at 138, takes mmu_lock at 144, drops it at 150.
  const want: Partial<Record<AnchorId, [string, number]>> = {
    faultGpteChangedTop: ['FNAME(fetch)', 83],
    faultIndirect: ['FNAME(fetch)', 93],
    faultGpteChanged: ['FNAME(fetch)', 97],
    faultDirect: ['FNAME(fetch)', 111],
    faultInject: ['FNAME(page_fault)', 138],
    faultLock: ['FNAME(page_fault)', 144],
    faultUnlock: ['FNAME(page_fault)', 150],
  };
  // Every anchor of the table that lives in paging_tmpl.h is one of these: a new one needs its line here.
  const inTmpl = (Object.keys(ANCHORS) as AnchorId[]).filter((id) => ANCHORS[id].file === TMPL).sort();
  assert.deepEqual(inTmpl, Object.keys(want).sort());
  for (const [id, [fn, line]] of Object.entries(want) as [AnchorId, [string, number]][]) {
    const r = found.get(id)!;
    assert.deepEqual(pick(r), { found: true, line, endLine: line, function: fn, how: 'exact' }, id);
  }
  // The guest walk and the re-read it is compared with are functions of their own there.
  const fns = indexFunctions(TMPL_FIXTURE.split('\n')).map((s) => s.name);
  assert.deepEqual(fns, ['FNAME(gpte_changed)', 'FNAME(walk_addr_generic)', 'FNAME(fetch)', 'FNAME(page_fault)']);
});

/**
 * One root A, top table at gfn 0x10; L2 0x200000 -> a 2 MiB guest page at gfn 0x200000 (G1), through
 * PML4 0x10 [0] -> PDPT 0x11 [8] -> PD 0x12 [0] (the indices: 0x200000 >> 18 = 8 at level 3,
 * (0x200000 >> 9) mod 512 = 0 at level 2). The host backs the slot with 4 KiB pages, so KVM maps
 * G1 with a direct level-1 SP. The access pauses after its fault's walk; the VMM then points PD[0]
 * at G2 = 0x200200; the fault resumes.
 */
const GPTE_CHANGED = `{
  "name": "gpte-changed", "entries": 512, "variant": "v7", "vcpus": 1,
  "memslots": [ { "id": 0, "baseGfn": "0x200000", "pages": "0x400", "hostPfn": "0x1000000", "hostPageSize": "4K" } ],
  "roots": [ { "name": "A", "guestTableGfn": "0x10", "mappings": [ { "l2": "0x200000", "gfn": "0x200000", "size": "2M" } ] } ],
  "operations": [
    { "op": "access", "vcpu": 0, "root": "A", "addr": "0x200005", "kind": "write", "id": "f", "pause": "walked" },
    { "op": "guest-table-write", "by": "vmm", "table": "0x12", "index": 0, "entry": { "kind": "huge", "gfn": "0x200200" } },
    { "op": "resume", "target": "f" }
  ]
}`;

test('a fault that meets a changed guest entry, and its retry, step through the fixture\'s paging_tmpl.h line by line', () => {
  const w = new Walkthrough(parseScenario(GPTE_CHANGED, 'gpte-changed.json'), { variant: findPreset('v7')! });
  const found = new Map(anchorSources([{ path: TMPL, text: TMPL_FIXTURE }, { path: MMU, text: FIXTURE }]).map((r) => [r.id, r] as [AnchorId, AnchorResult]));
  const lines = w.steps.filter((s) => s.anchor.file === TMPL).map((s) => {
    const r = found.get(anchorIdOf(s.anchor)!)!;
    assert.ok(r.found && r.file === TMPL, `${s.anchor.fn}: ${s.anchor.stmt} not anchored in paging_tmpl.h: ${JSON.stringify(r)}`);
    return r.line;
  });
  // The first fault: write_lock (144); the top entry and PDPT[8] re-read unchanged (no step of their
  // own), sp#0[0] -> sp#1 for table 0x11 (93); one level down sp#2 for table 0x12 is asked for (no
  // step yet: it is not linked) and PD[0] re-read has changed: RET_PF_RETRY (97); write_unlock (150).
  // The retried fault walks G2: write_lock (144), sp#1[8] -> sp#2 from the hash (93), the guest's
  // 2 MiB page mapped small: a direct SP for G2 (111); the leaf is mmu.c's (mmu_set_spte); write_unlock (150).
  assert.deepEqual(lines, [144, 93, 97, 150, 144, 93, 111, 150]);
});

test('a v5.19-style paging_tmpl.h: the fault\'s children asked of kvm_mmu_get_page() are found as renamed, in FNAME(fetch), at the same lines', () => {
  // Our fixture with FNAME(fetch)'s two kvm_mmu_get_child_sp() calls written as kernels before the
  // split series (v6.0) wrote them: kvm_mmu_get_page(vcpu, gfn, fault->addr, level - 1, direct, access).
  // One line each, so the lines stay 93 and 111.
  const old = TMPL_FIXTURE
    .replace('sp = kvm_mmu_get_child_sp(vcpu, it.sptep, table_gfn,', 'sp = kvm_mmu_get_page(vcpu, table_gfn, fault->addr, it.level - 1,')
    .replace('sp = kvm_mmu_get_child_sp(vcpu, it.sptep, base_gfn,', 'sp = kvm_mmu_get_page(vcpu, base_gfn, fault->addr, it.level - 1,');
  assert.notEqual(old, TMPL_FIXTURE);
  const found = new Map(anchorSources([{ path: TMPL, text: old }]).map((r) => [r.id, r] as [AnchorId, AnchorResult]));
  for (const [id, line] of [['faultIndirect', 93], ['faultDirect', 111]] as [AnchorId, number][]) {
    const r = found.get(id)!;
    assert.ok(r.found && r.how === 'renamed' && r.line === line && r.function === 'FNAME(fetch)' && /v5\.16 \.\. v5\.19/.test(r.note ?? ''), `${id}: ${JSON.stringify(r)}`);
  }
});

test('cloneState at 512 entries (the states the walk keeps) is a deep copy, its long arrays copied whole (slice), not shared', () => {
  // The walk keeps a copy of every state of its window (src/run/walkthrough.ts). At 512 entries an
  // SP's flags and targets are 512 long and the memslot's rmap heads longer: past the length up to
  // which src/model/state.ts copies by a loop, so these go through its slice() path.
  const w = new Walkthrough(builtinScenario('reused-partial')!, { variant: findPreset('never-flush')! });
  const s = w.stateAfter(w.length - 1);
  const c = cloneState(s);
  assert.deepStrictEqual(c, s);
  const long: [ArrayLike<number> & { [i: number]: number }, ArrayLike<number>][] = [];
  for (let i = 0; i < s.sps.length; i++) long.push([c.sps[i].flags, s.sps[i].flags], [c.sps[i].target, s.sps[i].target]);
  for (let i = 0; i < s.memslots.length; i++) {
    long.push([c.memslots[i].dirtyBitmap, s.memslots[i].dirtyBitmap]);
    for (const [l, r] of s.memslots[i].rmap.entries()) if (r) long.push([c.memslots[i].rmap[l]!.head, r.head]);
  }
  // 512 entries a table: SPs' arrays are 512 long (reasoned from the scenario, not read from a run).
  assert.ok(long.some(([, a]) => a.length >= 512), 'no array as long as a 512-entry table: the slice path is not exercised');
  for (const [copy, source] of long) {
    assert.notEqual(copy, source, 'an array of the copy is the source\'s own');
    if (!copy.length) continue;
    // Writing the copy leaves the source as it was.
    const was = source[0];
    copy[0] = was + 1;
    assert.equal(source[0], was);
    copy[0] = was;
  }
});
