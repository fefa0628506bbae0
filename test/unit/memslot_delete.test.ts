/**
 * delete-memslot (src/ops/memslot_delete.ts) and the root reload after it (src/ops/root_reload.ts).
 *
 * E = 4. Memslot 1 holds gfns 0..31 (4K host pages, pfn 64 + gfn), memslot 2 gfns 32..63. Root A's
 * guest tables: top at 0x1000, PDPT 0x1001, PD 0x1002 (scenario/guest_tables.ts assigns them);
 * PD[0] = a 2M page at G1 = 16. Operations:
 *   0 access L2 0: the fault builds L3 SP, L2 SP, D (direct L1, gfn 16) and the leaf D[0] -> 16;
 *   1 the VMM writes PD[0] := 2M page at G2 = 32;
 *   2 access L2 1: under childReuse=present the fault walks into D and files D[1] under 33, where
 *     kvm_mmu_page_get_gfn(D, 1) = 16 + 1 = 17;
 *   3 delete memslot 1: kvm_mmu_zap_all_fast() zaps the oldest SP first, the root, whose recursive
 *     nested zap unlinks everything below it: D[0] leaves the rmap of 16, D[1] misses in the rmap
 *     of 17; the root is in use (kept, invalid), the other three SPs are committed: flush, free;
 *   4 invalidate gfn 33: the notifier walks the rmap of 33, still holding D[1].
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/parse';
import { ScenarioRun, ScenarioRunError } from '../../src/run/runner';
import { findPreset } from '../../src/kernel/variants';
import type { Step } from '../../src/model/step';

function flow(extra: object[] = [], ops?: object[]) {
  return parseScenario(JSON.stringify({
    name: 'delete-flow', entries: 4,
    memslots: [
      { id: 1, baseGfn: 0, pages: 32, hostPfn: 64, hostPageSize: '4K' },
      { id: 2, baseGfn: 32, pages: 32, hostPfn: 96, hostPageSize: '4K' },
    ],
    roots: [{ name: 'A', guestTableGfn: '0x1000', mappings: [{ l2: 0, gfn: 16, size: '2M' }] }],
    operations: ops ?? [
      { op: 'access', vcpu: 0, root: 'A', addr: 0, kind: 'read' },
      { op: 'guest-table-write', by: 'vmm', table: '0x1002', index: 0, entry: { kind: 'huge', gfn: 32 } },
      { op: 'access', vcpu: 0, root: 'A', addr: 1, kind: 'read' },
      { op: 'delete-memslot', slot: 1 },
      { op: 'invalidate', gfn: 33 },
      ...extra,
    ],
  }), 'delete-flow.json');
}

function runAll(preset: string, extra: object[] = [], ops?: object[]) {
  const run = new ScenarioRun(flow(extra, ops), { variant: findPreset(preset)! });
  const steps: Step[] = [];
  for (let s = run.step(); s; s = run.step()) steps.push(s);
  return { run, steps, v: run.machine.violations };
}

test('the deletion\'s steps, in the kernel\'s order, under the mainline-2026 fix (no misfiled leaf)', () => {
  const { steps, run } = runAll('mainline-2026');
  const del = steps.filter((s) => s.op === 3);
  assert.deepEqual(del.map((s) => s.anchor.fn), [
    'kvm_vm_ioctl_set_memory_region', 'kvm_invalidate_memslot', 'kvm_mmu_zap_all_fast', 'kvm_mmu_zap_all_fast',
    // One prepare: the root, the oldest SP, whose nested children are zapped recursively. (D is
    // gone already: under mainline-2026 op 2 allocated D' for 32 and __link_shadow_page()'s
    // mmu_page_zap_pte() zapped the parentless D, committed with the link's flush.)
    'kvm_zap_obsolete_pages',
    'kvm_mmu_commit_zap_page', 'kvm_mmu_commit_zap_page', 'kvm_mmu_zap_all_fast', 'kvm_delete_memslot', 'kvm_vm_ioctl_set_memory_region',
  ]);
  const state = run.machine.state;
  assert.deepEqual(state.memslots.map((s) => s.id), [2], 'memslot 1 is gone');
  assert.equal(state.mmuValidGen, 1);
  // The root SP (sp#0) is invalid but kept: root_count 1. Everything else is freed.
  assert.deepEqual(state.sps.filter((sp) => !sp.freed).map((sp) => sp.id), [0]);
  assert.equal(state.sps[0].invalid, true);
  assert.equal(state.vcpus[0].reloadPending, true, 'KVM_REQ_MMU_FREE_OBSOLETE_ROOTS is pending');
  const flush = del.find((s) => s.kind === 'flush')!;
  const free = del.find((s) => s.kind === 'free-sp')!;
  assert.ok(flush.index < free.index, 'the flush comes before the free');
  assert.deepEqual(run.machine.violations, []);
});

test('mainline-2026-pre: data-corruption in the deletion\'s zap, then sp-use-after-free in the notifier\'s walk', () => {
  const { steps, v } = runAll('mainline-2026-pre');
  const install = steps.find((s) => s.op === 2 && s.kind === 'install-leaf')!;
  const zap = steps.find((s) => s.op === 3 && s.kind === 'zap-sp')!;
  const free = steps.find((s) => s.op === 3 && s.kind === 'free-sp')!;
  const walk = steps.find((s) => s.op === 4 && s.kind === 'zap')!;
  const dc = v.find((x) => x.kind === 'data-corruption')!;
  assert.deepEqual({ step: dc.step, cause: dc.causeStep, gfn: dc.gfn }, { step: zap.index, cause: install.index, gfn: 17 });
  const uaf = v.find((x) => x.kind === 'sp-use-after-free')!;
  assert.deepEqual({ step: uaf.step, cause: uaf.causeStep, freed: uaf.freedStep, gfn: uaf.gfn }, { step: walk.index, cause: install.index, freed: free.index, gfn: 33 });
});

test('v7 (v6.0 era): the miss is a BUG(); the run ends in the zap step', () => {
  const { steps, run } = runAll('v7');
  const last = steps[steps.length - 1];
  assert.equal(last.op, 3);
  assert.equal(last.kind, 'zap-sp');
  assert.equal(run.machine.state.hostOops?.step, last.index);
});

test('the next access after the deletion reloads the root first: the old root is freed, a new one allocated, the TLB flushed', () => {
  const { steps, run } = runAll('mainline-2026', [{ op: 'access', vcpu: 0, root: 'A', addr: 0, kind: 'read' }], [
    { op: 'access', vcpu: 0, root: 'A', addr: 0, kind: 'read' },
    { op: 'delete-memslot', slot: 2 },
    { op: 'access', vcpu: 0, root: 'A', addr: 0, kind: 'read' },
  ]);
  const reload = steps.find((s) => s.kind === 'root-reload')!;
  assert.equal(reload.op, 2);
  assert.equal(reload.anchor.fn, 'vcpu_enter_guest');
  const state = run.machine.state;
  assert.equal(state.sps[0].freed, true, 'root_count dropped to 0: the invalid root is freed');
  assert.notEqual(state.roots[0].spId, 0);
  assert.equal(state.sps[state.roots[0].spId].rootCount, 1);
  // After the reload the access faults again (every SP went) and completes.
  assert.ok(steps.some((s) => s.op === 2 && s.kind === 'tlb-fill'));
});

test('a fault on a gfn of the deleted memslot is refused with the operation\'s line', () => {
  assert.throws(() => runAll('mainline-2026', [], [
    { op: 'delete-memslot', slot: 1 },
    { op: 'access', vcpu: 0, root: 'A', addr: 0, kind: 'read' },
  ]), (e: unknown) => e instanceof ScenarioRunError && /operation 1 .*no memslot/.test(e.message));
});

test('the zap step names every child its recursive nested zap lists, the direct SP D included, and not the kept root', () => {
  // kvm_zap_obsolete_pages() starts at the oldest SP, the root sp#0 (still loaded by vCPU 0, so it
  // is kept, not listed). mmu_page_zap_pte() of sp#0[0] leaves sp#1 parentless, and so on down:
  // sp#1 (L3), sp#2 (L2), sp#3 (D, direct L1 for 16) are zapped recursively; each goes on the
  // invalid list after its own children, so the list reads sp#3, sp#2, sp#1, the order they are freed in.
  const { steps } = runAll('mainline-2026-pre');
  const zap = steps.find((s) => s.op === 3 && s.kind === 'zap-sp')!;
  assert.match(zap.text, /__kvm_mmu_prepare_zap_page\(sp#0 .*children left without a parent, zapped recursively: sp#3, sp#2, sp#1;/);
  const free = steps.find((s) => s.op === 3 && s.kind === 'free-sp')!;
  assert.match(free.text, /kvm_mmu_free_shadow_page\(\) of sp#3, sp#2, sp#1:/);
});

test('the path from kvm_invalidate_memslot() to kvm_mmu_zap_all_fast() is the era\'s', () => {
  // v6.0/v6.3: x86.c's kvm_arch_flush_shadow_memslot() only calls kvm_page_track_flush_slot(), whose
  // track_flush_slot hook in mmu.c is kvm_mmu_invalidate_zap_pages_in_memslot(); there is no
  // KVM_X86_QUIRK_SLOT_ZAP_ALL yet. Mainline of 2026 calls the zap directly, under the quirk.
  const lockText = (preset: string) => runAll(preset).steps.find((s) => s.op === 3 && s.anchor.fn === 'kvm_mmu_zap_all_fast' && s.kind === 'lock')!.text;
  for (const p of ['v7', 'v6.3']) {
    assert.match(lockText(p), /kvm_arch_flush_shadow_memslot\(\) -> kvm_page_track_flush_slot\(\) -> kvm_mmu_invalidate_zap_pages_in_memslot\(\) -> kvm_mmu_zap_all_fast\(\)/, p);
    assert.doesNotMatch(lockText(p), /QUIRK/, p);
  }
  assert.match(lockText('mainline-2026'), /kvm_arch_flush_shadow_memslot\(\) -> kvm_mmu_zap_all_fast\(\) \(the default KVM_X86_QUIRK_SLOT_ZAP_ALL\)/);
});

test('the install that files D[1] under 33 says the kernel WARN_ONCE()s there (kvm_mmu_page_set_translation() of a direct SP)', () => {
  // D is direct (sp->gfn 16): no shadowed_translation[], so __rmap_add()'s
  // kvm_mmu_page_set_translation(D, 1, 33, access) can only compare 33 with 16 + 1 = 17 and warn.
  const pre = runAll('mainline-2026-pre').steps.filter((s) => s.kind === 'install-leaf');
  assert.equal(pre.length, 2);
  assert.doesNotMatch(pre[0].text, /WARN_ONCE/, 'D[0] maps 16 = 16 + 0: no warning');
  assert.match(pre[1].text, /kvm_mmu_page_set_translation\(\) WARN_ONCE\(\)s \(gfn mismatch under a direct SP: sp->gfn 0x10 \+ index 0x1 = 0x11, the walk's gfn 0x21\)/);
  // After 0cb2af2ea66a the leaf goes into D' (sp->gfn 32): 32 + 1 = 33, no warning.
  for (const s of runAll('mainline-2026').steps.filter((x) => x.kind === 'install-leaf')) assert.doesNotMatch(s.text, /WARN_ONCE/);
});

test('the notifier\'s zap of a live misfiled leaf clears it where it was filed, with no data-corruption report (kvm_zap_all_rmap_sptes() recomputes no gfn)', () => {
  // Ops 0..2 of the flow, then invalidate 33 with D alive: the rmap of 33 (memslot 2) holds D[1];
  // kvm_zap_all_rmap_sptes() clears the SPTE with mmu_spte_clear_track_bits() and resets the head,
  // never calling rmap_remove(), so the gfn 17 that kvm_mmu_page_get_gfn() computes is never
  // looked at. The only report is op 2's rmap disagreement.
  const { steps, v, run } = runAll('mainline-2026-pre', [], [
    { op: 'access', vcpu: 0, root: 'A', addr: 0, kind: 'read' },
    { op: 'guest-table-write', by: 'vmm', table: '0x1002', index: 0, entry: { kind: 'huge', gfn: 32 } },
    { op: 'access', vcpu: 0, root: 'A', addr: 1, kind: 'read' },
    { op: 'invalidate', gfn: 33 },
  ]);
  assert.deepEqual(v.map((x) => x.kind), ['rmap-disagreement']);
  const zap = steps.find((s) => s.op === 3 && s.kind === 'zap')!;
  assert.deepEqual(zap.writes.map((w) => `sp#${w.sp}[${w.index}]`), ['sp#3[1]']);
  const state = run.machine.state;
  assert.equal(state.sps[3].flags[1], 0);
  assert.equal(state.sps[3].misfiled?.has(1) ?? false, false, 'the ghost record goes with the entry');
  assert.equal(state.memslots.find((s) => s.id === 2)!.rmap[1].head[1], 0, 'the rmap of 33 is empty');
});
