/**
 * The guest's own write of a guest page-table entry (src/ops/guest_table_write_trapped.ts): the
 * trap decision, the emulator's memory write, then kvm_mmu_track_write() (kvm_mmu_pte_write() in
 * v6.0/v6.3) under mmu_lock: the written SPTE zapped in each SP shadowing the table, its rmap
 * entry removed when it is a leaf, the flush when one was present.
 *
 * E = 4. Memslot 1 holds gfns 0..31 (pfn 64 + gfn), memslot 2 gfns 32..63. Root A's guest tables:
 * PML4 0x1000, PDPT 0x1001, PD 0x1002 (scenario/guest_tables.ts assigns them in that order); PD[0]
 * maps the 2M (4-page) guest page at G1 = 16. The root SP sp#0 (indirect L4, gfn 0x1000) exists
 * from the start; a fault on L2 0 adds sp#1 (indirect L3, gfn 0x1001), sp#2 (indirect L2, gfn
 * 0x1002) and, on 4K host pages, D = sp#3 (direct L1, gfn 16) with the leaf D[0] -> gfn 16.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, ScenarioError } from '../../src/scenario/parse';
import { ScenarioRun } from '../../src/run/runner';
import { findPreset } from '../../src/kernel/variants';
import { readGuestPte } from '../../src/mmu/guest_walk';
import { gfnToIndex, rmapSptes } from '../../src/mmu/rmap';
import { spHashKey } from '../../src/mmu/shadow_page';
import { isWriteTracked } from '../../src/ops/guest_table_write_trapped';
import type { Step } from '../../src/model/step';

const PD = 0x1002;
const G1 = 16;
const G2 = 32;

function flow(ops: object[], opts: { hostPageSize?: string; size?: string; vcpus?: number } = {}) {
  return parseScenario(JSON.stringify({
    name: 'trapped', entries: 4, vcpus: opts.vcpus ?? 2,
    memslots: [
      { id: 1, baseGfn: 0, pages: 32, hostPfn: 64, hostPageSize: opts.hostPageSize ?? '4K' },
      { id: 2, baseGfn: 32, pages: 32, hostPfn: 96, hostPageSize: '4K' },
    ],
    roots: [{ name: 'A', guestTableGfn: '0x1000', mappings: [{ l2: 0, gfn: G1, size: opts.size ?? '2M' }] }],
    operations: ops,
  }), 'trapped.json');
}

const ACCESS = (addr: number, vcpu = 0) => ({ op: 'access', vcpu, root: 'A', addr, kind: 'read' });
const GUEST_WRITE = (table: number, index: number, entry: object, extra: object = {}) => ({ op: 'guest-table-write', by: 'guest', vcpu: 0, table: `0x${table.toString(16)}`, index, entry, ...extra });

/** Run to the end, with the guest memory entry PD[0] as each step left it. */
function runAll(s: ReturnType<typeof flow>, preset = 'mainline-2026') {
  const run = new ScenarioRun(s, { variant: findPreset(preset)! });
  const steps: Step[] = [];
  const pd0: string[] = [];
  for (let st = run.step(); st; st = run.step()) {
    steps.push(st);
    const e = readGuestPte(run.machine.state, PD, 0)!;
    pd0.push(`${e.kind}:${e.gfn}`);
  }
  return { run, steps, pd0, state: run.machine.state, v: run.machine.violations };
}

test('not write-tracked: before any fault no SP shadows the PD, so the guest\'s store is a plain store (one step, no lock, no SPTE), and the next fault walks it', () => {
  const { steps, state, v } = runAll(flow([GUEST_WRITE(PD, 0, { kind: 'huge', gfn: G2 }), ACCESS(1)]));
  const write = steps.filter((s) => s.op === 0);
  assert.deepEqual(write.map((s) => [s.kind, s.anchor.fn, s.actor, s.lockHeld, s.writeCount]), [['guest-table-write', 'guest store', 'guest', false, 0]]);
  // Guest memory changed as the VMM's write would change it: PD[0] is the 2M page at G2 now.
  assert.deepEqual(readGuestPte(state, PD, 0), { kind: 'huge', gfn: G2, access: readGuestPte(state, PD, 0)!.access });
  // The fault on L2 1 maps G2 + 1 = 33: pfn 96 + (33 - 32) = 97 = 0x61.
  const leaf = steps.find((s) => s.op === 1 && s.kind === 'install-leaf')!;
  assert.match(leaf.text, /gfn 0x21 -> pfn 0x61/);
  assert.deepEqual(v, []);
});

test('the trap decision: write-tracked iff an indirect SP above level 1 shadows the gfn and has not been zapped', () => {
  const { run } = runAll(flow([ACCESS(0)]));
  const state = run.machine.state;
  // sp#0 (L4, 0x1000), sp#1 (L3, 0x1001), sp#2 (L2, 0x1002) are indirect: their gfns are tracked.
  assert.deepEqual([0x1000, 0x1001, PD].map((g) => isWriteTracked(state, g)), [true, true, true]);
  // D (sp#3) is direct: G1 = 16 is guest data, not tracked; nor is a gfn nothing shadows.
  assert.deepEqual([G1, G2].map((g) => isWriteTracked(state, g)), [false, false]);
  // Once the PD's SP is zapped (role.invalid, unaccount_shadowed()), its gfn is no longer tracked.
  state.sps[2].invalid = true;
  assert.equal(isWriteTracked(state, PD), false);
});

test('trapped: trap, memory write, lock, the link to D zapped (D stays, parentless), flush, unlock; guest memory changes at the write step, not before', () => {
  const { steps, pd0, state, v } = runAll(flow([ACCESS(0), GUEST_WRITE(PD, 0, { kind: 'huge', gfn: G2 })]));
  const at = steps.findIndex((s) => s.op === 1);
  const w = steps.filter((s) => s.op === 1);
  assert.deepEqual(w.map((s) => s.kind), ['note', 'guest-table-write', 'lock', 'drop-spte', 'flush', 'unlock']);
  assert.deepEqual(w.map((s) => s.anchor.fn), ['kvm_mmu_page_fault', 'emulator_write_phys', 'kvm_mmu_track_write', 'kvm_mmu_track_write', 'kvm_mmu_track_write', 'kvm_mmu_track_write']);
  // mmu_lock: not held at the trap nor at the memory write; held from the lock to the flush; released at the unlock.
  assert.deepEqual(w.map((s) => s.lockHeld), [false, false, true, true, true, false]);
  // The trap step has not written memory yet (PD[0] still huge 16); the emulator's write has.
  assert.deepEqual([pd0[at], pd0[at + 1]], [`huge:${G1}`, `huge:${G2}`]);
  // The one SPTE write: sp#2[0] (the PD's SP, written index 0), the link to D, cleared.
  const zap = w[3];
  assert.deepEqual(zap.writes.map((x) => [x.sp, x.index, x.oldTarget, x.newFlags]), [[2, 0, 3, 0]]);
  // mmu_page_zap_pte(..., NULL): drop_parent_pte() only; D is neither zapped nor freed, still hashed.
  const d = state.sps[3];
  assert.deepEqual({ parents: d.parentPtes, invalid: d.invalid, freed: d.freed, hashed: state.hash.get(spHashKey(G1, d.role)) }, { parents: [], invalid: false, freed: false, hashed: 3 });
  // A present SPTE was zapped: kvm_flush_remote_tlbs() removes vCPU 0's entry for L2 0 (tlb#1, filled by the access's retry).
  assert.deepEqual(w[4].flush!.removed, ['vcpu0:tlb#1']);
  assert.deepEqual(v, []);
});

test('v6.0 era (v7 preset): the same steps in kvm_mmu_pte_write(), the page-track notifier', () => {
  const { steps } = runAll(flow([ACCESS(0), GUEST_WRITE(PD, 0, { kind: 'huge', gfn: G2 })]), 'v7');
  assert.deepEqual(steps.filter((s) => s.op === 1).map((s) => s.anchor.fn).slice(2), ['kvm_mmu_pte_write', 'kvm_mmu_pte_write', 'kvm_mmu_pte_write', 'kvm_mmu_pte_write']);
});

test('a leaf at the written index: drop_spte() -> rmap_remove() takes it off the rmap of its gfn', () => {
  // Host 2M pages: the fault maps the guest's 2M page with one large SPTE at sp#2[0] (sptep 2 * 4 + 0 = 8),
  // filed in memslot 1's level-2 rmap at index gfn_to_index(16, 0, 2M) = 16 / 4 = 4.
  const s = flow([ACCESS(0), GUEST_WRITE(PD, 0, { kind: 'none' })], { hostPageSize: '2M' });
  const run = new ScenarioRun(s, { variant: findPreset('mainline-2026')! });
  const slot = () => run.machine.state.memslots.find((m) => m.id === 1)!;
  const steps: Step[] = [];
  let before: number[] | undefined;
  for (let st = run.step(); st; st = run.step()) {
    steps.push(st);
    if (st.op === 1 && st.kind === 'lock') before = rmapSptes(slot(), 2, gfnToIndex(run.machine.state, G1, 0, 2));
  }
  assert.deepEqual(before, [8]);
  assert.deepEqual(rmapSptes(slot(), 2, gfnToIndex(run.machine.state, G1, 0, 2)), []);
  const zap = steps.find((x) => x.op === 1 && x.kind === 'drop-spte')!;
  assert.match(zap.text, /a leaf: drop_spte\(\) -> rmap_remove\(\)/);
  assert.equal(steps.find((x) => x.op === 1 && x.kind === 'flush')!.flush!.removed.length, 1);
  assert.deepEqual(run.machine.violations, []);
});

test('nothing present at the written index: nothing zapped, no flush (kvm_mmu_remote_flush_or_zap() with flush false and an empty list)', () => {
  // PD[1] (L2 4..7) was never faulted on: sp#2[1] is not present.
  const { steps, v } = runAll(flow([ACCESS(0), GUEST_WRITE(PD, 1, { kind: 'huge', gfn: 20 })]));
  const w = steps.filter((s) => s.op === 1);
  assert.deepEqual(w.map((s) => s.kind), ['note', 'guest-table-write', 'lock', 'note', 'note', 'unlock']);
  assert.equal(w.reduce((n, s) => n + s.writeCount, 0), 0);
  assert.equal(w[5].counters.remoteFlushes, steps[w[0].index - 1].counters.remoteFlushes, 'no remote flush');
  assert.deepEqual(v, []);
});

test('the window between the emulator\'s memory write and kvm_mmu_track_write()\'s mmu_lock: a fault by another vCPU there reuses D under mainline-2026-pre', () => {
  // The write stops after 2 steps (trap, memory write); vCPU 1 faults on L2 1 in between, walking
  // the new PD[0] = huge G2 = 32 before KVM has zapped the link to D.
  const windowed = flow([ACCESS(0), GUEST_WRITE(PD, 0, { kind: 'huge', gfn: G2 }, { id: 'w', pause: { afterSteps: 2 } }), ACCESS(1, 1), { op: 'resume', target: 'w' }]);
  const pre = runAll(windowed, 'mainline-2026-pre');
  // childReuse=present: the fault walks into D and files D[1] under 33, where get_gfn(D, 1) = 16 + 1 = 17.
  assert.equal(pre.v[0]?.kind, 'rmap-disagreement');
  assert.equal(pre.v[0].gfn, 17);
  // Both fixes: the fault asks for a direct SP for 32, zaps the link to D and flushes; the track
  // write then zaps the link to the new SP. Nothing misfiled.
  assert.deepEqual(runAll(windowed, 'mainline-2026').v, []);
  // The same operations with the write run whole (the fault after kvm_mmu_track_write()): safe under every preset.
  const whole = flow([ACCESS(0), GUEST_WRITE(PD, 0, { kind: 'huge', gfn: G2 }), ACCESS(1, 1)]);
  for (const p of ['mainline-2026-pre', 'mainline-2026-gfn', 'mainline-2026', 'v7']) assert.deepEqual(runAll(whole, p).v, [], p);
});

test('the runner refuses an access by the vCPU whose trapped write is paused: that vCPU is inside KVM, emulating', () => {
  const s = flow([ACCESS(0), GUEST_WRITE(PD, 0, { kind: 'huge', gfn: G2 }, { id: 'w', pause: { afterSteps: 2 } }), ACCESS(1, 0), { op: 'resume', target: 'w' }]);
  assert.throws(() => runAll(s), /vCPU 0 is inside KVM emulating its guest-table write "w", paused: it makes no access until that write retires/);
});

test('the reader refuses a guest write to a level-1 table: not write-tracked, KVM would unsync its SP', () => {
  // A 4K mapping gives root A a page table: PML4 0x1000, PDPT 0x1001, PD 0x1002, PT 0x1003.
  let problems: string[] = [];
  try {
    flow([GUEST_WRITE(0x1003, 0, { kind: 'none' })], { size: '4K' });
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    problems = e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^\$\.operations\[0\]\.by: gfn 0x1003 is a level-1 guest table: KVM does not write-track it/);
});
