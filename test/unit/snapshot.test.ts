/** The panel's view model: what a reviewer must see at the moment of the seed's hazard. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Walkthrough } from '../../src/run/walkthrough';
import { snapshotAt, type TableView } from '../../src/view/snapshot';
import { findPreset } from '../../src/kernel/variants';
import { scenario } from './helpers';
import { parseScenario } from '../../src/scenario/parse';
import { freedSpsView, guestTablesView, spLifetime } from '../../src/view/guest_view';
import { cloneState, type GuestPte, type GuestTable } from '../../src/model/state';
import { ACC_ALL, ACC_WRITE_MASK } from '../../src/kernel/spte';

function find(t: TableView, sp: number): TableView | undefined {
  if (t.sp === sp) return t;
  for (const r of t.runs) for (const c of r.children) { const f = find(c, sp); if (f) return f; }
  return undefined;
}

test('never-flush at the violation: the reused child with its present non-leaf, the stale 1G entry', () => {
  const w = new Walkthrough(scenario('reused-partial'), { variant: findPreset('never-flush')! });
  const at = w.violations[0].step;
  const s = snapshotAt(w, at);
  assert.equal(s.step?.kind, 'unlock');
  assert.equal(s.violations.length, 1);
  // Root B's 1G entry now points at A's level-2 SP (reused), whose entry 1 is a table for p's 2M.
  const b = s.roots.find((r) => r.name === 'B')!.table;
  const l3 = b.runs[0].children[0];
  const link = l3.runs.find((r) => r.from === 1 && r.kind === 'table')!;
  const child = link.children[0];
  assert.equal(child.splitChild, 'reused');
  assert.deepEqual(child.presentNonLeaf, [1]);
  // Entries 0 and 2..511 are 2M leaves; entry 1's table maps only p (index 5) at 4K.
  assert.deepEqual(child.runs.map((r) => [r.from, r.to, r.kind]), [[0, 0, 'leaf'], [1, 1, 'table'], [2, 511, 'leaf']]);
  const l1 = find(child, child.runs[1].children[0].sp)!;
  assert.deepEqual(l1.runs.map((r) => [r.from, r.to, r.kind]), [[0, 4, 'absent'], [5, 5, 'leaf'], [6, 511, 'absent']]);
  // vCPU 0 still holds its writable 1G entry via B, and it is stale.
  const e = s.vcpus[0].tlb[0];
  assert.deepEqual([e.size, e.root, e.writable, e.stale], ['1G', 'B', true, true]);
  // The flush log: the split's skipped flush.
  assert.equal(s.flushLog.filter((f) => !f.issued && f.fn === 'drop_large_spte').length, 1);
});

test('v7 at the same point: the split\'s flush was issued and no TLB entry is stale', () => {
  const w = new Walkthrough(scenario('reused-partial'), { variant: findPreset('v7')! });
  const at = w.steps.findIndex((st) => st.kind === 'unlock' && st.anchor.fn === 'kvm_clear_dirty_log_protect');
  const s = snapshotAt(w, at);
  const split = s.flushLog.filter((f) => f.fn === 'drop_large_spte');
  assert.equal(split.length, 1);
  assert.equal(split[0].issued, true);
  assert.ok(split[0].removed.includes('vcpu0:tlb#1'));
  assert.deepEqual(s.vcpus[0].tlb, []);
  assert.equal(s.violations.length, 0);
});

test('a fully split 1G page reads as one row of 512 tables, not 512 tables', () => {
  const w = new Walkthrough(scenario('common-1g'), { variant: findPreset('v7')! });
  const s = snapshotAt(w, w.length - 1);
  const l2 = s.roots[0].table.runs[0].children[0].runs.find((r) => r.kind === 'table')!.children[0];
  assert.equal(l2.runs.length, 1);
  assert.equal(l2.runs[0].collapsedChildren, 512);
  assert.match(l2.runs[0].text, /512 tables .* each 512 x 4K leaf R/);
});

// ---- open hazards: a stale translation the check will look at by a deadline (src/view/hazards.ts)

/** Index of the first step after `from` that passes `is`. */
function stepWhere(w: Walkthrough, is: (s: Walkthrough['steps'][number]) => boolean, from = -1): number {
  const at = w.steps.findIndex((s, i) => i > from && is(s));
  assert.ok(at >= 0, 'no such step');
  return at;
}

test('never-flush: from the drop of B\'s huge SPTE to the unlock, an open hazard on vCPU 0\'s 1G entry naming the skipped flush; at the unlock, a violation', () => {
  const w = new Walkthrough(scenario('reused-partial'), { variant: findPreset('never-flush')! });
  // The split of the clear (#3): drop_spte() of the huge SPTE, the flush drop_large_spte() skips,
  // the link of the reused child; then the write-protection and KVM_MMU_UNLOCK, where the check runs.
  const drop = stepWhere(w, (s) => s.kind === 'drop-spte' && s.anchor.fn === 'drop_large_spte');
  const skip = stepWhere(w, (s) => s.kind === 'flush-skipped', drop);
  const link = stepWhere(w, (s) => s.kind === 'link', skip);
  const unlock = stepWhere(w, (s) => s.kind === 'unlock', link);
  assert.deepEqual([skip, link], [drop + 1, drop + 2], 'drop, skip, link follow each other');
  assert.equal(w.violations[0].step, unlock, 'the check fails at that unlock');
  const tlb1 = snapshotAt(w, drop - 1).vcpus[0].tlb[0];
  assert.deepEqual([tlb1.size, tlb1.root, tlb1.stale], ['1G', 'B', false], 'before the drop vCPU 0\'s 1G entry via B is good');
  for (let k = -1; k < drop; k++) {
    const s = snapshotAt(w, k);
    assert.deepEqual([s.now, s.hazards.length], ['pass', 0], `step ${k}: nothing open before the drop`);
  }
  for (let k = drop; k < unlock; k++) {
    const s = snapshotAt(w, k);
    assert.equal(s.now, 'hazard', `step ${k}`);
    assert.equal(s.hazards.length, 1, `step ${k}: one hazard`);
    const h = s.hazards[0];
    assert.deepEqual([h.strength, h.vcpu, h.tlbId, h.staleSince, h.deadline], ['unmapped', 0, tlb1.id, drop, unlock], `step ${k}`);
    assert.equal(h.skippedFlush, k >= skip ? skip : undefined, `step ${k}: the skipped flush, once it is skipped`);
    // Until the link nothing maps the 1G range, so its first page is the first stale one; the
    // reused child then maps entry 0 (gfns 0x40000..0x401ff) as before, and entry 1's table maps
    // only p (0x40205) of gfns 0x40200..0x403ff: 0x40200 is the first page no longer mapped.
    assert.equal(h.gfn, k < link ? 0x40000 : 0x40200, `step ${k}: first stale gfn`);
    assert.match(h.message, /^A stale translation must be flushed before mmu_lock is released/);
    assert.match(h.message, new RegExp(`vCPU 0's 1G entry tlb#${tlb1.id} \\(root B, gfns 0x40000\\.\\.0x7ffff, W\\)`));
    assert.match(h.message, new RegExp(`stale since step ${drop} \\(${k >= skip ? `flush skipped at step ${skip}` : 'no flush yet'}\\)\\. mmu_lock is released at step ${unlock}\\.$`));
    assert.equal(s.violations.length, 0, `step ${k}: no violation yet`);
  }
  const at = snapshotAt(w, unlock);
  assert.deepEqual([at.now, at.hazards.length, at.violations.length], ['violation', 0, 1], 'at the unlock the hazard has become the violation');
});

test('v7: the same drop opens the hazard, the split\'s issued flush closes it, and it never reopens', () => {
  const w = new Walkthrough(scenario('reused-partial'), { variant: findPreset('v7')! });
  const drop = stepWhere(w, (s) => s.kind === 'drop-spte' && s.anchor.fn === 'drop_large_spte');
  const flush = stepWhere(w, (s) => s.kind === 'flush', drop);
  assert.equal(flush, drop + 1, 'v7 flushes right after the drop (a present non-leaf in the reused child)');
  const open = snapshotAt(w, drop);
  assert.deepEqual([open.now, open.hazards[0]?.staleSince, open.hazards[0]?.skippedFlush], ['hazard', drop, undefined]);
  for (let k = flush; k < w.length; k++) assert.deepEqual([snapshotAt(w, k).now, snapshotAt(w, k).hazards], ['pass', []], `step ${k}`);
});

test('permissions: reused-leaf under v7, the clear\'s write-protection leaves both vCPUs\' writable 1G entries open until its memslot flush, past the unlock', () => {
  const w = new Walkthrough(scenario('reused-leaf'), { variant: findPreset('v7')! });
  // The clear write-protects gfns 0x40200..0x4023f at 4K; vCPU 0 (via A) and vCPU 1 (via B) each
  // hold a writable 1G entry over them. The permissions check runs when the ioctl returns; the
  // kernel flushes the memslot after KVM_MMU_UNLOCK and before that.
  const wp = stepWhere(w, (s) => s.kind === 'write-protect' && s.writeCount > 0 && s.opLabel.endsWith('clear-dirty-log'));
  const unlock = stepWhere(w, (s) => s.kind === 'unlock', wp);
  const flush = stepWhere(w, (s) => s.kind === 'flush' && s.anchor.fn === 'kvm_clear_dirty_log_protect', unlock);
  const end = stepWhere(w, (s) => s.kind === 'op-end', flush);
  assert.equal(snapshotAt(w, wp - 1).hazards.length, 0, 'nothing open before the write-protection');
  for (const k of [wp, unlock]) {
    const s = snapshotAt(w, k);
    assert.equal(s.now, 'hazard', `step ${k}`);
    assert.deepEqual(s.hazards.map((h) => [h.strength, h.vcpu, h.gfn, h.staleSince, h.deadline]), [['permissions', 0, 0x40200, wp, end], ['permissions', 1, 0x40200, wp, end]], `step ${k}`);
    assert.match(s.hazards[0].message, new RegExp(`^A writable translation must be flushed before #\\d+ clear-dirty-log returns: vCPU 0's 1G entry .* still grants write to gfn 0x40200, which that operation write-protected at step ${wp} \\(no flush yet\\)\\. It returns at step ${end}\\.$`));
  }
  assert.deepEqual(snapshotAt(w, flush).hazards, [], 'the memslot flush removed both entries');
  // Only the unmapped strength checked (kvmMmuLab.checkStrength = unmapped): no permissions hazard either.
  const unmappedOnly = new Walkthrough(scenario('reused-leaf'), { variant: findPreset('v7')!, checks: { permissions: false } });
  assert.deepEqual(snapshotAt(unmappedOnly, wp).hazards, []);
});

test('the hazards at a step are the same reached forwards, backwards or by a jump (the in-flight operations are kept with each state)', () => {
  const forward = new Walkthrough(scenario('reused-leaf'), { variant: findPreset('v7')! }, 4);
  const back = new Walkthrough(scenario('reused-leaf'), { variant: findPreset('v7')! }, 4);
  const jump = new Walkthrough(scenario('reused-leaf'), { variant: findPreset('v7')! }, 4);
  const seen = [];
  for (let k = -1; k < forward.length; k++) seen.push(JSON.stringify(snapshotAt(forward, k).hazards));
  assert.ok(seen.some((h) => h.includes('"permissions"')) && seen.some((h) => h.includes('"unmapped"')), 'both strengths occur');
  for (let k = back.length - 1; k >= -1; k--) assert.equal(JSON.stringify(snapshotAt(back, k).hazards), seen[k + 1], `back to ${k}`);
  for (const k of [35, 3, 34, 40, 22, 34]) assert.equal(JSON.stringify(snapshotAt(jump, k).hazards), seen[k + 1], `jump to ${k}`);
});

// ---- the guest's page tables beside the shadow tables, and shadow pages that died (src/view/guest_view.ts)

/**
 * One root A, top table at gfn 0x10; L2 0x200000 -> a 2 MiB guest page at G1 = 0x200000, through
 * PML4 0x10 [0] -> PDPT 0x11 [8] -> PD 0x12 [0] (0x200000 >> 18 = 8 at level 3; (0x200000 >> 9)
 * mod 512 = 0 at level 2; the lower tables take the gfns after the top one). The host backs the slot
 * with 4 KiB pages. Op 0 faults in L2 0x200005; op 1, the VMM, points PD[0] at G2 = 0x200200.
 */
const GUEST = parseScenario(`{
  "name": "guest-view", "entries": 512, "variant": "v7", "vcpus": 1,
  "memslots": [ { "id": 0, "baseGfn": "0x200000", "pages": "0x400", "hostPfn": "0x1000000", "hostPageSize": "4K" } ],
  "roots": [ { "name": "A", "guestTableGfn": "0x10", "mappings": [ { "l2": "0x200000", "gfn": "0x200000", "size": "2M" } ] } ],
  "operations": [
    { "op": "access", "vcpu": 0, "root": "A", "addr": "0x200005", "kind": "write" },
    { "op": "guest-table-write", "by": "vmm", "table": "0x12", "index": 0, "entry": { "kind": "huge", "gfn": "0x200200" } }
  ]
}`, 'guest-view.json');

test('the guest tables beside the shadow tables: each table\'s entries, the indirect SP shadowing it, the VMM\'s write marked', () => {
  const w = new Walkthrough(GUEST, { variant: findPreset('v7')! });
  const write = w.steps.findIndex((s) => s.kind === 'guest-table-write');
  const before = snapshotAt(w, write - 1);
  // The fault of op 0 linked, from the root sp#0 (gfn 0x10): sp#1 for table 0x11, sp#2 for table
  // 0x12 (indirect: one per guest table), then sp#3, a direct L1 SP for G1 (the host's 4 KiB pages
  // split the guest's 2 MiB page), which shadows no guest table. The links carry every access bit
  // (the mappings' compile), the leaf the mapping's default "uwx".
  assert.deepEqual(before.guestTables.map((t) => [t.title, t.roots, t.present, t.runs.map((r) => r.text), t.shadowedBy.map((s) => `${s.title} ${s.life}`), t.changed]), [
    ['level-4 guest table at gfn 0x10 (top of root A)', ['A'], 1, ['table -> gfn 0x11'], ['sp#0 indirect, level 4, gfn 0x10 live'], false],
    ['level-3 guest table at gfn 0x11', ['A'], 1, ['table -> gfn 0x12'], ['sp#1 indirect, level 3, gfn 0x11 live'], false],
    ['level-2 guest table at gfn 0x12', ['A'], 1, ['2M huge -> gfn 0x200000 uwx'], ['sp#2 indirect, level 2, gfn 0x12 live'], false],
  ]);
  assert.deepEqual(before.guestTables.map((t) => t.runs.map((r) => [r.from, r.to, r.kind, r.gfn, r.access])), [[[0, 0, 'table', 0x11, 'uwx']], [[8, 8, 'table', 0x12, 'uwx']], [[0, 0, 'huge', 0x200000, 'uwx']]]);
  assert.equal(before.guestTablesOmitted, 0);
  assert.deepEqual(before.freedSps, [], 'no SP has died');
  // At the VMM's write: PD[0] now maps G2, marked changed; the shadow tables are as they were (no trap).
  const at = snapshotAt(w, write);
  const pd = at.guestTables[2];
  assert.deepEqual([pd.changed, pd.runs[0].text, pd.runs[0].changed], [true, '2M huge -> gfn 0x200200 uwx', true]);
  assert.deepEqual(at.guestTables.slice(0, 2).map((t) => t.changed), [false, false]);
  assert.equal(JSON.stringify(at.roots), JSON.stringify(before.roots), 'no SPTE changed');
});

test('a guest table of 512 entries folds into runs of like entries; the list stops at the budget and says how many it left out', () => {
  const state = cloneState(new Walkthrough(GUEST, { variant: findPreset('v7')! }).stateAfter(-1));
  // A level-3 table at 0x101 of 512 1G huge leaves, entry i at gfn i * 2^18 (one 1 GiB page each),
  // every access bit, except entry 300 write-only: runs [0..299], [300], [301..511].
  // 300 * 2^18 = 0x4b00000, 301 * 2^18 = 0x4b40000.
  const entries = new Map<number, GuestPte>();
  for (let i = 0; i < 512; i++) entries.set(i, { kind: 'huge', gfn: i * 2 ** 18, access: i === 300 ? ACC_WRITE_MASK : ACC_ALL });
  const l3: GuestTable = { level: 3, entries };
  const top: GuestTable = { level: 4, entries: new Map([[0, { kind: 'table', gfn: 0x101, access: ACC_ALL }]]) };
  state.guestMemory = new Map([[0x10, top], [0x101, l3], [0x500, { level: 1, entries: new Map() }]]);
  const v = guestTablesView(state, new Set(), 64);
  assert.deepEqual(v.tables.map((t) => t.gfn), [0x10, 0x101, 0x500], 'root A\'s tables first, then the one no root reaches');
  assert.deepEqual(v.tables[1].runs.map((r) => [r.from, r.to, r.text]), [
    [0, 299, '300 x 1G huge, gfn 0x0.. uwx'],
    [300, 300, '1G huge -> gfn 0x4b00000 -w-'],
    [301, 511, '211 x 1G huge, gfn 0x4b40000.. uwx'],
  ]);
  assert.equal(v.tables[1].present, 512);
  assert.deepEqual([v.tables[2].title, v.tables[2].roots, v.tables[2].present], ['level-1 guest table at gfn 0x500 (no root reaches it)', [], 0]);
  // Budget 1: only the top table, and the two others counted as left out.
  const one = guestTablesView(state, new Set(), 1);
  assert.deepEqual([one.tables.map((t) => t.gfn), one.omitted], [[0x10], 2]);
});

test('shadow pages that died: a freed SP with the rmap entry still pointing into it, a zapped one, and the shadowing SP marked', () => {
  const w = new Walkthrough(GUEST, { variant: findPreset('v7')! });
  const fault = w.steps.findIndex((s) => s.kind === 'guest-table-write') - 1;
  const live = cloneState(w.stateAfter(fault));
  assert.deepEqual(freedSpsView(live), [], 'every SP alive: nothing listed, the rmaps are not read');
  // What the lifetime work will leave (state.ts keeps freed SPs in the array): sp#3, the direct L1 SP
  // for G1, freed at step 7 while its leaf sp#3[5] (L2 0x200005 -> gfn 0x200005) stays in the level-1
  // rmap of gfn 0x200005 in slot 0; sp#2 (table 0x12) zapped, not yet freed (role.invalid).
  const dead = cloneState(live);
  Object.assign(dead.sps[3], { freed: true, freedAt: 7 });
  Object.assign(dead.sps[2], { invalid: true });
  assert.deepEqual(spLifetime(dead.sps[3]), { state: 'freed', at: 7 });
  assert.deepEqual(spLifetime(dead.sps[2]), { state: 'invalid' });
  // Freed with no commit step recorded (freedAt -1): freed, with no step to name.
  assert.deepEqual(spLifetime({ ...dead.sps[3], freedAt: -1 }), { state: 'freed' });
  assert.deepEqual(freedSpsView(dead), [
    { sp: 2, title: 'sp#2 indirect, level 2, gfn 0x12', life: 'invalid', rmap: [] },
    { sp: 3, title: 'sp#3 direct, level 1, gfn 0x200000', life: 'freed', at: 7, rmap: [{ gfn: 0x200005, level: 1, slot: 0, text: 'rmap of gfn 0x200005 (slot 0, 4K) -> sp#3[5]' }] },
  ]);
  // Beside the guest tables: table 0x12's shadow is shown zapped.
  assert.deepEqual(guestTablesView(dead, new Set(), 64).tables[2].shadowedBy, [{ sp: 2, title: 'sp#2 indirect, level 2, gfn 0x12', life: 'invalid' }]);
  // A direct SP whose gfn is a guest table's (81ccda30b4e8's unexpected role: the guest now points a
  // table where a huge page was) maps memory, it does not shadow the table: it is not listed there.
  const sameGfn = cloneState(live);
  sameGfn.sps[3].gfn = 0x12;
  assert.deepEqual(guestTablesView(sameGfn, new Set(), 64).tables[2].shadowedBy.map((s) => s.sp), [2]);
});
