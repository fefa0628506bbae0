/**
 * Shadow pages with a lifetime (src/mmu/zap.ts), rmap_remove()'s miss (src/mmu/rmap_miss.ts) and
 * rmap walkers that dereference SPTEs (src/mmu/deref.ts), driven by hand on the state the
 * "unexpected GFN" flow leaves (the setup of test/unit/child_reuse.test.ts, repeated here):
 *
 * E = 4 entries a table, one memslot of gfns 0..63 on 4 KiB host pages (pfn = 64 + gfn), one root
 * A whose guest PD (gfn 0x1002) maps L2 0..3 with a 2M page at G1 = 16. The first access (L2 0)
 * builds root -> L3 SP -> L2 SP (the PD's shadow) -> D, a direct level-1 SP for gfn 16, and files
 * D[0] (gfn 16) in the rmap of 16. The VMM then points the PDE at G2 = 32; under childReuse=present
 * the second access (L2 1) walks into D again and files D[1] under the gfn it walked to, 33, while
 * kvm_mmu_page_get_gfn(D, 1) = 16 + 1 = 17.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/parse';
import { ScenarioRun } from '../../src/run/runner';
import { findPreset } from '../../src/kernel/variants';
import type { MmuState } from '../../src/model/state';
import type { Step } from '../../src/model/step';
import { withGuestPte } from '../../src/scenario/guest_tables';
import { ACC_ALL, SPTE_PRESENT } from '../../src/kernel/spte';
import { commitZapFlush, commitZapFree, prepareZapPage } from '../../src/mmu/zap';
import { gfnToIndex, rmapAdd, rmapSptes } from '../../src/mmu/rmap';
import { getShadowPage, spHashKey } from '../../src/mmu/shadow_page';

const G1 = 16;
const G2 = 32;
const PD = 0x1002;

const SCENARIO = parseScenario(JSON.stringify({
  name: 'sp-lifetime', entries: 4,
  memslots: [{ id: 0, baseGfn: 0, pages: 64, hostPfn: 64, hostPageSize: '4K' }],
  roots: [{ name: 'A', guestTableGfn: '0x1000', mappings: [{ l2: 0, gfn: G1, size: '2M' }] }],
  vcpus: 1,
  operations: [
    { op: 'access', vcpu: 0, root: 'A', addr: 0, kind: 'read' },
    { op: 'access', vcpu: 0, root: 'A', addr: 1, kind: 'read' },
    // An invalidation of gfn 33 (G2 + 1): the mmu notifier walks the rmap D[1] was filed in.
    { op: 'invalidate', gfn: G2 + 1 },
  ],
}), 'sp-lifetime.json');

function pdeToG2(s: MmuState): void {
  s.guestMemory = withGuestPte(s.guestMemory, PD, 0, { kind: 'huge', gfn: G2, access: ACC_ALL });
  for (const v of s.vcpus) v.tlb = [];
}

/** Run the two accesses (the PDE rewritten between them), stopping before the invalidation. */
function setup(preset: string, bugOnDataCorruption = false) {
  const run = new ScenarioRun(SCENARIO, { variant: findPreset(preset)!, bugOnDataCorruption });
  const steps: Step[] = [];
  for (let s = run.step(); s; s = run.step()) {
    steps.push(s);
    if (s.op === 0 && s.kind === 'tlb-fill') pdeToG2(run.machine.state);
    if (s.op === 1 && s.kind === 'tlb-fill') break;
  }
  const state = run.machine.state;
  const l3 = state.sps[state.sps[state.roots[0].spId].target[0]];
  const pd = state.sps[l3.target[0]];
  const d = state.sps[pd.target[0]];
  const installD1 = steps.find((s) => s.op === 1 && s.kind === 'install-leaf')!;
  return { run, state, steps, pd, d, installD1 };
}

function rmapOf(state: MmuState, gfn: number): number[] {
  const slot = state.memslots[0];
  return rmapSptes(slot, 1, gfnToIndex(state, gfn, slot.baseGfn, 1));
}

test('the setup: D is the direct SP for G1, D[1] is filed under G2 + 1 and recorded as misfiled by the step that installed it', () => {
  const { state, d, installD1 } = setup('mainline-2026-pre');
  const e = state.geo.entries;
  assert.deepEqual({ gfn: d.gfn, direct: d.role.direct, level: d.role.level }, { gfn: G1, direct: true, level: 1 });
  assert.deepEqual(rmapOf(state, G1), [d.id * e + 0], 'D[0] in the rmap of 16, where get_gfn(D, 0) = 16 says');
  assert.deepEqual(rmapOf(state, G2 + 1), [d.id * e + 1], 'D[1] in the rmap of 33, where the walk found it');
  assert.deepEqual(rmapOf(state, G1 + 1), [], 'and not in the rmap of 17, where get_gfn(D, 1) = 16 + 1 says');
  assert.deepEqual(d.misfiled?.get(1), { gfn: G2 + 1, step: installD1.index });
  assert.equal(d.misfiled?.has(0), false, 'D[0] was filed where get_gfn says: no ghost record');
});

test('prepare_zap of D (mainline-2026 era, warn): D[0] leaves its rmap, D[1] misses and is reported with its cause; D unlinked, invalid, listed', () => {
  const { run, state, pd, d, installD1 } = setup('mainline-2026-pre');
  const m = run.machine;
  const e = state.geo.entries;
  const list: number[] = [];
  const r = prepareZapPage(m.ctx, d, list);
  // kvm_mmu_page_unlink_children(): two present leaves, D[0] and D[1]; D has no child SP.
  assert.equal(r.leaves, 2);
  assert.deepEqual(r.listed, [d.id]);
  assert.deepEqual(list, [d.id]);
  assert.equal(d.invalid, true);
  assert.equal(d.flags[0] & SPTE_PRESENT, 0);
  assert.equal(d.flags[1] & SPTE_PRESENT, 0);
  // kvm_mmu_unlink_parents(): the PD's shadow entry 0 no longer points at D.
  assert.deepEqual(d.parentPtes, []);
  assert.equal(pd.flags[0] & SPTE_PRESENT, 0);
  assert.deepEqual(rmapOf(state, G1), [], 'D[0] removed from the rmap of 16');
  assert.deepEqual(rmapOf(state, G2 + 1), [d.id * e + 1], 'the miss leaves the rmap of 33 as it is (KVM_BUG_ON_DATA_CORRUPTION returns)');
  const v = m.violations.filter((x) => x.kind === 'data-corruption');
  assert.equal(v.length, 1);
  assert.equal(v[0].gfn, G1 + 1, 'rmap_remove() looked under get_gfn(D, 1) = 17');
  assert.equal(v[0].causeStep, installD1.index, 'caused by the step that filed D[1] under 33');
  assert.equal(v[0].step, m.ctx.stepIndex, 'found at the zapping step');
  assert.equal(state.vmBuggedAt, m.ctx.stepIndex, 'warn: kvm_vm_bugged()');
  assert.equal(state.hostOops, null);
});

test('commit_zap: the flush comes first, then D is freed (off the hash and the active list) and its id is never reused', () => {
  const { run, state, d } = setup('mainline-2026-pre');
  const m = run.machine;
  const list: number[] = [];
  prepareZapPage(m.ctx, d, list);
  const before = state.counters.fullFlushes;
  assert.ok(commitZapFlush(m.ctx, list), 'the list is not empty: kvm_flush_remote_tlbs()');
  assert.equal(state.counters.fullFlushes, before + 1);
  assert.equal(d.freed, false, 'nothing is freed before the flush');
  assert.deepEqual(commitZapFree(m.ctx, list), [d.id]);
  assert.equal(d.freed, true);
  assert.equal(d.freedAt, m.ctx.stepIndex);
  assert.equal(state.hash.has(spHashKey(d.gfn, d.role)), false);
  assert.equal(state.activeMmuPages.includes(d.id), false);
  assert.equal(commitZapFlush(m.ctx, list), null, 'an empty list: no flush');
  // The same (gfn, role) asked for again gets a new SP with the next id; the freed one stays D.
  const n = state.sps.length;
  const again = getShadowPage(m.ctx, d.gfn, d.role, 'A');
  assert.deepEqual({ id: again.sp.id, reused: again.reused }, { id: n, reused: false });
  assert.equal(state.sps[d.id], d);
});

test('v6.0 era (v7, rmapMiss=bug): the same miss oopses the host and the run ends', () => {
  const { run, state, d } = setup('v7');
  prepareZapPage(run.machine.ctx, d, []);
  assert.equal(run.machine.violations.filter((x) => x.kind === 'data-corruption').length, 1);
  assert.match(state.hostOops?.message ?? '', /BUG\(\)/);
  assert.equal(state.vmBuggedAt, -1);
  assert.equal(run.step(), null, 'no step runs after the oops');
  assert.equal(run.finished, true);
});

test('--config-bug-on-data-corruption: the mainline-2026 era\'s WARN becomes a BUG_ON()', () => {
  const { run, state, d } = setup('mainline-2026-pre', true);
  prepareZapPage(run.machine.ctx, d, []);
  assert.match(state.hostOops?.message ?? '', /CONFIG_BUG_ON_DATA_CORRUPTION=y/);
});

test('the notifier\'s rmap walk of gfn 33 after D was freed: sp-use-after-free naming the install and the free', () => {
  const { run, state, d, installD1 } = setup('mainline-2026-pre');
  const m = run.machine;
  const list: number[] = [];
  prepareZapPage(m.ctx, d, list);
  commitZapFlush(m.ctx, list);
  commitZapFree(m.ctx, list);
  const freedAt = d.freedAt;
  // Runs the rest: the invalidation of 33 (its lock step, then its zap step walks the rmap).
  const steps: Step[] = [];
  for (let s = run.step(); s; s = run.step()) steps.push(s);
  const uaf = m.violations.filter((x) => x.kind === 'sp-use-after-free');
  assert.equal(uaf.length, 1);
  const zap = steps.find((s) => s.kind === 'zap')!;
  assert.equal(uaf[0].step, zap.index, 'found by kvm_zap_rmap()\'s walk');
  assert.equal(uaf[0].causeStep, installD1.index);
  assert.equal(uaf[0].freedStep, freedAt);
  assert.deepEqual(rmapOf(state, G2 + 1), [], 'kvm_zap_all_rmap_sptes() empties the rmap all the same');
});

test('the miss names pte_list_remove()\'s test that fires, by what the rmap of get_gfn(D, 1) = 17 holds', () => {
  // Empty (nothing was filed under 17): the first test. One other SPTE there: the second. Two: the
  // third, the descriptor list walked to its end. The "other SPTEs" are stand-ins put into the rmap
  // of 17 by hand (entries 2 and 3 of the PD's SP, which no walk dereferences here).
  const cases: Array<[number, RegExp]> = [
    [0, /whose rmap does not hold the SPTE \(it is empty: the first of pte_list_remove\(\)'s three tests\)/],
    [1, /\(its single entry is another SPTE: the second test\)/],
    [2, /\(its list of 2 entries ends without it: the third test\)/],
  ];
  for (const [others, message] of cases) {
    const { run, state, pd, d } = setup('mainline-2026-pre');
    const e = state.geo.entries;
    for (let k = 0; k < others; k++) rmapAdd(state, state.memslots[0], 1, G1 + 1, pd.id * e + 2 + k);
    prepareZapPage(run.machine.ctx, d, []);
    const dc = run.machine.violations.filter((x) => x.kind === 'data-corruption');
    assert.equal(dc.length, 1, `${others} other entries`);
    assert.match(dc[0].message, message);
  }
});
