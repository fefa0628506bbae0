/**
 * The built-in scenarios uaf-unexpected-gfn and uaf-unexpected-role (docs/scenarios-2026.md): the
 * steps that matter in each flow, per preset, with the page arithmetic beside each expected value.
 *
 * Both scenarios, E = 512 (a 2 MiB guest page is 512 gfns, a direct L1 SP has 512 entries):
 * - memslot 0 = gfns 0x1000..0x100f (the guest tables), memslot 1 = 0x200..0x3ff (G1),
 *   memslot 2 = 0x400..0x5ff; 4 KiB host pages everywhere, host pfn = 0x80000 + gfn;
 * - root A's guest tables: PML4 0x1000, PDPT 0x1001, PD 0x1002 with PD[0] = 2 MiB leaf at G1 = 0x200.
 * Op 0 (write L2 0x0) builds, in this order, sp#0 the root (indirect L4, gfn 0x1000), sp#1
 * (indirect L3, 0x1001), sp#2 (indirect L2, 0x1002: the PD's shadow) and sp#3 = D, the direct L1
 * SP for the guest's 2 MiB leaf: gfn = the leaf's base 0x200, role.direct = 1. D[0] maps 0x200.
 * Op 1: the VMM rewrites PD[0]. Op 2 writes L2 0x10: index 0x10 of the L1 table (0x10 < 512).
 * Op 3 deletes memslot 1; op 4 invalidates the gfn op 2 mapped.
 * gfn flow: PD[0] := 2 MiB leaf at G2 = 0x400, so op 2's walk gives 0x400 + 0x10 = 0x410.
 * role flow: PD[0] := table at 0x200, whose entry 0x10 maps Q = 0x480, so op 2's walk gives 0x480.
 * In both, kvm_mmu_page_get_gfn(D, 0x10) of the direct D is sp->gfn + index = 0x200 + 0x10 = 0x210.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScenarioRun } from '../../src/run/runner';
import { meetsExpectation, runScenario } from '../../src/run/run';
import { findPreset, PRESETS } from '../../src/kernel/variants';
import { BUILTIN_SCENARIOS } from '../../src/scenario/builtins';
import { spGetGfn } from '../../src/mmu/shadow_page';
import { gfnToIndex, rmapSptes } from '../../src/mmu/rmap';
import { SPTE_PRESENT } from '../../src/kernel/spte';
import type { Step } from '../../src/model/step';
import type { MmuState } from '../../src/model/state';
import { scenario } from './helpers';

const E = 512;
const G1 = 0x200;
const G2 = 0x400;
const Q = 0x480;
const K = 0x10; // the index op 2's fault fills in the L1 table
const D = 3; // sp#3, the direct SP op 0 built for G1
const PFN = (gfn: number) => 0x80000 + gfn;

function runAll(name: string, preset: string) {
  const run = new ScenarioRun(scenario(name), { variant: findPreset(preset)! });
  const steps: Step[] = [];
  for (let s = run.step(); s; s = run.step()) steps.push(s);
  const at = (op: number, kind: string) => steps.find((s) => s.op === op && s.kind === kind);
  return { run, state: run.machine.state, steps, v: run.machine.violations, at };
}

function rmapOf(state: MmuState, gfn: number): number[] {
  const slot = state.memslots.find((s) => gfn >= s.baseGfn && gfn < s.baseGfn + s.npages)!;
  return rmapSptes(slot, 1, gfnToIndex(state, gfn, slot.baseGfn, 1));
}

test('every built-in scenario meets its own expectation under each preset it names', () => {
  for (const name of BUILTIN_SCENARIOS) {
    const s = scenario(name);
    for (const [preset, expected] of Object.entries(s.expect ?? {})) {
      const t = runScenario(s, { variant: findPreset(preset)! });
      assert.ok(meetsExpectation(t, expected), `${name} under ${preset}: expected ${expected}, got ${t.violations.map((v) => v.kind).join(', ') || 'pass'}`);
    }
  }
  // The two 2026 flows name every preset: each verdict is a claim of the docs.
  for (const name of ['uaf-unexpected-gfn', 'uaf-unexpected-role']) {
    assert.deepEqual(Object.keys(scenario(name).expect!).sort(), PRESETS.map((p) => p.name).sort(), name);
  }
});

for (const name of ['uaf-unexpected-gfn', 'uaf-unexpected-role']) {
  test(`${name}: op 0 builds D, the direct L1 SP for G1 = 0x200, whose entry 0 maps 0x200; op 1 changes guest memory only`, () => {
    const { state, steps } = runAll(name, 'mainline-2026');
    const d = state.sps[D];
    assert.equal(state.geo.entries, E);
    assert.ok(K < E, 'L2 0x10 is inside the 2 MiB the PDE maps: entry 0x10 of the same L1 table');
    assert.deepEqual({ gfn: d.gfn, level: d.role.level, direct: d.role.direct }, { gfn: G1, level: 1, direct: true });
    // The first install: D[0] = pfn 0x80000 + 0x200, and 0x200 + 0 = 0x200 is where get_gfn looks.
    const first = steps.find((s) => s.op === 0 && s.kind === 'install-leaf')!;
    assert.match(first.text, new RegExp(`sp#${D}\\[0\\] = 4K leaf gfn 0x200 -> pfn 0x80200`));
    // The write of PD[0] from outside the guest: one step, no SPTE written, no lock.
    const w = steps.filter((s) => s.op === 1);
    assert.deepEqual(w.map((s) => [s.kind, s.writeCount]), [['guest-table-write', 0]]);
  });
}

test('uaf-unexpected-gfn under mainline-2026-pre: the stale link, the -EEXIST reuse, the misfiled leaf, the miss, the free, the use-after-free', () => {
  const { state, steps, v, at } = runAll('uaf-unexpected-gfn', 'mainline-2026-pre');
  const d = state.sps[D];
  // Op 1 left sp#2[0] -> D while PD[0] now maps 0x400: op 2's kvm_mmu_get_child_sp(direct, base
  // gfn = 0x410 rounded to 2 MiB = 0x400) finds sp#2[0] present and not large: -EEXIST.
  const eexist = steps.find((s) => s.op === 2 && s.kind === 'note')!;
  assert.match(eexist.text, /kvm_mmu_get_child_sp\(\) for direct, level 1, gfn 0x400: sp#2\[0\] is present and not large, so it returns -EEXIST \(childReuse=present\) and the fault walks on into sp#3 \(direct, level 1, gfn 0x200\), a child built for another gfn \(0x200, not 0x400\)/);
  // The leaf goes into D[0x10], mapping the walk's gfn 0x410 (pfn 0x80410), filed in the rmap of 0x410.
  const install = at(2, 'install-leaf')!;
  assert.deepEqual(install.writes.map((w) => [w.sp, w.index, w.newTarget]), [[D, K, PFN(G2 + K)]], 'one write: D[0x10] = pfn 0x80410');
  assert.equal(spGetGfn(state, d, K), G1 + K, 'get_gfn(D, 0x10) = 0x200 + 0x10 = 0x210');
  assert.match(install.text, /WARN_ONCE\(\)s \(gfn mismatch under a direct SP: sp->gfn 0x200 \+ index 0x10 = 0x210, the walk's gfn 0x410\)/);
  // Found at once by the rmap-agreement check, caused by that same step.
  const [dis, dc, uaf] = v;
  assert.deepEqual(v.map((x) => x.kind), ['rmap-disagreement', 'data-corruption', 'sp-use-after-free']);
  assert.deepEqual({ step: dis.step, cause: dis.causeStep, gfn: dis.gfn }, { step: install.index, cause: install.index, gfn: G1 + K });
  // Op 3: kvm_zap_obsolete_pages() zaps the root, the recursion reaches D; rmap_remove(D[0x10])
  // looks under 0x210 (memslot 1, empty there) and misses: KVM_BUG_ON_DATA_CORRUPTION, the VM is bugged, the zap goes on.
  const zap = at(3, 'zap-sp')!;
  assert.deepEqual({ step: dc.step, cause: dc.causeStep, gfn: dc.gfn }, { step: zap.index, cause: install.index, gfn: G1 + K });
  // Nothing was ever filed under 0x210 (L2 0x10 was first touched after the PDE changed, and the
  // model does not prefetch): the rmap is empty, the first of pte_list_remove()'s three tests.
  assert.match(dc.message, /gives gfn 0x210, whose rmap does not hold the SPTE \(it is empty: the first of pte_list_remove\(\)'s three tests\)/);
  assert.equal(state.vmBuggedAt, zap.index);
  // The commit: flush, then D (with sp#2, sp#1) freed; the root is kept for vCPU 0 (root_count 1).
  const free = at(3, 'free-sp')!;
  assert.equal(d.freed, true);
  assert.equal(d.freedAt, free.index);
  assert.equal(d.flags[K] & SPTE_PRESENT, 0, 'drop_spte() cleared D[0x10] before rmap_remove() missed');
  // Memslot 1's rmaps went with it; memslot 2's rmap of 0x410 still holds D[0x10] until op 4.
  // Op 4: __walk_slot_rmaps(kvm_zap_rmap) over 0x410 follows it into the freed D.
  const walk = at(4, 'zap')!;
  assert.deepEqual({ step: uaf.step, cause: uaf.causeStep, freed: uaf.freedStep, gfn: uaf.gfn }, { step: walk.index, cause: install.index, freed: free.index, gfn: G2 + K });
  assert.deepEqual(rmapOf(state, G2 + K), [], 'kvm_zap_all_rmap_sptes() resets the rmap head');
  // The step numbers, counted: op 0 takes 8 steps (0-7: the exit, the lock, three links, the leaf,
  // the unlock, the retried access); op 1 one (8); op 2 six (9-14: exit, lock, the -EEXIST note,
  // the leaf, unlock, retry); op 3 from 15: slots_lock, invalidate, mmu_lock, the generation, one
  // prepare (19: the root, the rest by recursion), the commit's flush (20) and free (21); then
  // unlock, delete, slots_lock released (22-24); op 4: its lock (25) and its rmap walk (26).
  assert.deepEqual([install.index, zap.index, free.index, walk.index], [12, 19, 21, 26]);
});

test('uaf-unexpected-gfn after 0cb2af2ea66a (mainline-2026-gfn, mainline-2026): D is zapped at the link, the leaf goes into a new SP for 0x400', () => {
  for (const preset of ['mainline-2026-gfn', 'mainline-2026']) {
    const { state, v, at } = runAll('uaf-unexpected-gfn', preset);
    assert.deepEqual(v, [], preset);
    // gfn 0x200 != 0x400: kvm_mmu_get_child_sp() asks the hash for (0x400, direct L1) and gets a new sp#4;
    // __link_shadow_page() meets sp#2[0] -> D: mmu_page_zap_pte() unlinks D, parentless and nested, so it is zapped.
    const zapAtLink = at(2, 'drop-spte')!;
    assert.match(zapAtLink.text, /allocates sp#4 \(direct, level 1, gfn 0x400\), not sp#3 \(direct, level 1, gfn 0x200\) linked at sp#2\[0\]/);
    // kvm_mmu_remote_flush_or_zap(): flush, then D freed, inside op 2's fault.
    const flush = at(2, 'flush')!;
    assert.match(flush.text, /kvm_mmu_free_shadow_page\(\) of sp#3$/);
    assert.equal(state.sps[D].freedAt, flush.index);
    // The leaf lands in sp#4[0x10]: 0x400 + 0x10 = 0x410, the walk's gfn; rmap_remove() will find it.
    const n = state.sps[4];
    assert.deepEqual({ gfn: n.gfn, direct: n.role.direct }, { gfn: G2, direct: true });
    assert.equal(spGetGfn(state, n, K), G2 + K);
    assert.doesNotMatch(at(2, 'install-leaf')!.text, /WARN_ONCE/);
  }
});

test('uaf-unexpected-gfn in the v6.0 and v6.3 eras: the miss is pte_list_remove()\'s BUG(); the host ends in the zap, op 4 never runs', () => {
  for (const preset of ['pre-patch', 'v7', 'never-flush', 'if-reused', 'v6.3']) {
    const { state, steps, v, at } = runAll('uaf-unexpected-gfn', preset);
    const zap = at(3, 'zap-sp')!;
    assert.deepEqual(v.map((x) => x.kind), ['rmap-disagreement', 'data-corruption'], preset);
    assert.match(v[1].message, /pr_err\(\) and BUG\(\)/, preset);
    assert.equal(state.hostOops?.step, zap.index, preset);
    assert.equal(steps[steps.length - 1], zap, `${preset}: the zap step is the last`);
    assert.equal(steps.some((s) => s.op === 4), false, preset);
  }
});

test('uaf-unexpected-role under mainline-2026-gfn: the gfn test passes (0x200 = 0x200), the role differs (direct, not indirect), and the same use-after-free follows', () => {
  const { state, steps, v, at } = runAll('uaf-unexpected-role', 'mainline-2026-gfn');
  const d = state.sps[D];
  // The walk now reads PD[0] = table at 0x200 and its entry 0x10 = Q: FNAME(fetch)'s indirect loop
  // asks kvm_mmu_get_child_sp(table_gfn = 0x200, direct = false) at sp#2[0]; D's gfn is 0x200.
  const eexist = steps.find((s) => s.op === 2 && s.kind === 'note')!;
  assert.match(eexist.text, /kvm_mmu_get_child_sp\(\) for indirect, level 1, gfn 0x200: sp#2\[0\] is present and not large, and its child's gfn is 0x200, the one asked for \(the role is not compared\), so it returns -EEXIST \(childReuse=gfn\) .*into sp#3 \(direct, level 1, gfn 0x200\), a child built for another role \(direct, not indirect\)/);
  const install = at(2, 'install-leaf')!;
  assert.deepEqual(install.writes.map((w) => [w.sp, w.index, w.newTarget]), [[D, K, PFN(Q)]], 'D[0x10] maps Q = 0x480 (pfn 0x80480)');
  // A direct SP has no shadowed_translation[]: get_gfn computes 0x200 + 0x10 = 0x210, not Q.
  assert.equal(spGetGfn(state, d, K), G1 + K);
  assert.deepEqual(v.map((x) => x.kind), ['rmap-disagreement', 'data-corruption', 'sp-use-after-free']);
  assert.deepEqual(v.map((x) => x.gfn), [G1 + K, G1 + K, Q]);
  const free = at(3, 'free-sp')!;
  const walk = at(4, 'zap')!;
  assert.deepEqual({ step: v[2].step, cause: v[2].causeStep, freed: v[2].freedStep }, { step: walk.index, cause: install.index, freed: free.index });
  // The same under mainline-2026-pre (childReuse=present never looked at the gfn either).
  assert.deepEqual(runAll('uaf-unexpected-role', 'mainline-2026-pre').v.map((x) => x.kind), ['rmap-disagreement', 'data-corruption', 'sp-use-after-free']);
});

test('uaf-unexpected-role after 81ccda30b4e8 (mainline-2026): the role mismatch allocates the indirect SP for 0x200, whose shadowed translation of entry 0x10 is Q', () => {
  const { state, v, at } = runAll('uaf-unexpected-role', 'mainline-2026');
  assert.deepEqual(v, []);
  // role.word differs (direct 1 vs 0): a new SP from the hash for (0x200, indirect L1): sp#4.
  assert.match(at(2, 'drop-spte')!.text, /allocates sp#4 \(indirect, level 1, gfn 0x200\), not sp#3 \(direct, level 1, gfn 0x200\) linked at sp#2\[0\]/);
  const n = state.sps[4];
  assert.deepEqual({ gfn: n.gfn, direct: n.role.direct, level: n.role.level }, { gfn: G1, direct: false, level: 1 });
  assert.equal(spGetGfn(state, n, K), Q, 'shadowed_translation[0x10] holds Q');
  assert.equal(state.sps[D].freedAt, at(2, 'flush')!.index, 'D zapped and freed at the link');
});

test('with per-write records off (the patch review\'s runs) the misfiled leaf is still reported at its install step', () => {
  for (const name of ['uaf-unexpected-gfn', 'uaf-unexpected-role']) {
    const full = runScenario(scenario(name), { variant: findPreset('mainline-2026-gfn')!, checks: { keepSteps: false } });
    const lean = runScenario(scenario(name), { variant: findPreset('mainline-2026-gfn')!, checks: { keepSteps: false, recordWrites: false } });
    assert.deepEqual(lean.violations.map((x) => [x.kind, x.step]), full.violations.map((x) => [x.kind, x.step]), name);
  }
});
