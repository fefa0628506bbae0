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
import { LATER_FORMS } from '../../src/kernel/eras';
import type { Anchor } from '../../src/kernel/anchors';
import { anchorKey, modelListing } from '../../src/view/listing';
import { traceMarkdown, walkthroughTrace } from '../../src/view/export';
import { snapshotAt } from '../../src/view/snapshot';
import { Walkthrough } from '../../src/run/walkthrough';
import { findPreset } from '../../src/kernel/variants';
import { scenario } from './helpers';

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
  const msg = { messageId: 1, body: { type: 'snapshot', scenarioLabel: 'x', snapshot: { ...s, extra: 1 }, source: { kind: 'listing', location: '', note: '' }, snapshotMs: 1 } };
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
