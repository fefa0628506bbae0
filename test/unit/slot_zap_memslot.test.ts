/**
 * slotZap=memslot: memslot deletion with KVM_X86_QUIRK_SLOT_ZAP_ALL disabled (src/ops/memslot_delete.ts,
 * docs/kernel-guest-tables.md section 9): kvm_mmu_zap_memslot() unmaps the slot through its rmaps,
 * then zaps only the SPs that shadow guest tables in it.
 *
 * E = 4. Memslot 1 holds gfns 0..31 (pfn 64 + gfn), memslot 2 gfns 32..63 (pfn 96 + ...), memslot 3
 * the guest tables 0x1000..0x1003. Root A's tables: PML4 0x1000, PDPT 0x1001, PD 0x1002; PD[0] = a 2M
 * page at G1 = 16. The flow of the "unexpected GFN" report:
 *   0 access L2 0: the fault builds sp#0 (root, indirect, gfn 0x1000), sp#1 (indirect, 0x1001),
 *     sp#2 (indirect, 0x1002) and D = sp#3 (direct level 1, gfn 16); the leaf D[0] -> gfn 16, filed
 *     in the rmap of 16 (memslot 1);
 *   1 the VMM writes PD[0] := 2M page at G2 = 32;
 *   2 access L2 1: under childReuse=present the fault walks into D and files D[1] under 33 (memslot
 *     2), where kvm_mmu_page_get_gfn(D, 1) = 16 + 1 = 17;
 *   3 the deletion under test; 4 an invalidation of gfn 33 (the report's later rmap walk).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, ScenarioError } from '../../src/scenario/parse';
import { ScenarioRun, ScenarioRunError } from '../../src/run/runner';
import { findPreset, parseVariant, policiesOf, VariantError, variantName, type Variant } from '../../src/kernel/variants';
import type { Step } from '../../src/model/step';
import { runScenario } from '../../src/run/run';
import { traceText } from '../../src/view/trace_text';
import { callStack } from '../../src/debug/call_paths';

const OFF = '+slotZap=memslot';

function flow(slot: number, variant = 'mainline-2026-pre' + OFF, ops?: object[]) {
  return parseScenario(JSON.stringify({
    name: 'slot-zap-memslot', entries: 4, variant,
    memslots: [
      { id: 1, baseGfn: 0, pages: 32, hostPfn: 64, hostPageSize: '4K' },
      { id: 2, baseGfn: 32, pages: 32, hostPfn: 96, hostPageSize: '4K' },
      { id: 3, baseGfn: '0x1000', pages: 4, hostPfn: '0x400', hostPageSize: '4K' },
    ],
    roots: [{ name: 'A', guestTableGfn: '0x1000', mappings: [{ l2: 0, gfn: 16, size: '2M' }] }],
    operations: ops ?? [
      { op: 'access', vcpu: 0, root: 'A', addr: 0, kind: 'read' },
      { op: 'guest-table-write', by: 'vmm', table: '0x1002', index: 0, entry: { kind: 'huge', gfn: 32 } },
      { op: 'access', vcpu: 0, root: 'A', addr: 1, kind: 'read' },
      { op: 'delete-memslot', slot },
      { op: 'invalidate', gfn: 33 },
    ],
  }), 'slot-zap-memslot.json');
}

function runAll(slot: number, variant?: string, ops?: object[]) {
  const s = flow(slot, variant, ops);
  const run = new ScenarioRun(s, { variant: parseVariant(s.variant) });
  const steps: Step[] = [];
  for (let st = run.step(); st; st = run.step()) steps.push(st);
  return { run, steps, v: run.machine.violations };
}

/** The SPTE writes of op `op`, as "sp#N[i] present->cleared" strings. */
function writes(steps: Step[], op: number): string[] {
  return steps.filter((s) => s.op === op).flatMap((s) => s.writes.map((w) => `sp#${w.sp}[${w.index}] ${w.oldFlags ? 'present' : 'absent'}->${w.newFlags ? 'present' : 'cleared'}`));
}

test('deleting the data slot (R1): the unmap clears D[0] through the rmap of 16, no SP has guest PTEs there, the owed flush is a plain one; D lives on with its misfiled D[1]', () => {
  const { run, steps, v } = runAll(1);
  const del = steps.filter((s) => s.op === 3);
  // slots_lock, the invalid copy, write_lock, the unmap, kvm_mmu_remote_flush_or_zap() with an
  // empty list and flush = true (kvm_flush_remote_tlbs()), write_unlock, the slot's removal, return.
  assert.deepEqual(del.map((s) => `${s.anchor.fn}:${s.kind}`), [
    'kvm_vm_ioctl_set_memory_region:lock', 'kvm_invalidate_memslot:memslot-delete', 'kvm_mmu_zap_memslot:lock',
    'kvm_mmu_zap_memslot:zap', 'kvm_mmu_remote_flush_or_zap:flush', 'kvm_mmu_zap_memslot:unlock',
    'kvm_delete_memslot:memslot-delete', 'kvm_vm_ioctl_set_memory_region:op-end',
  ]);
  // The rmaps of memslot 1 hold one entry, D[0] under 16; D[1] is in memslot 2's rmap of 33.
  assert.deepEqual(writes(steps, 3), ['sp#3[0] present->cleared']);
  const state = run.machine.state;
  // No SP is zapped or freed: sp#0..2 shadow tables in memslot 3, D is direct (no guest PTEs).
  assert.deepEqual(state.sps.filter((sp) => sp.freed || sp.invalid).map((sp) => sp.id), []);
  assert.equal(state.mmuValidGen, 0, 'no generation toggle');
  assert.ok(!state.vcpus[0].reloadPending, 'no root reload');
  assert.deepEqual(state.memslots.map((s) => s.id), [2, 3]);
  // No rmap_remove() ran, so nothing missed: the rmap disagreement of op 2 is the only report up to
  // the invalidation, which finds D[1] in the rmap of 33 where it was filed and clears it
  // (kvm_zap_all_rmap_sptes() recomputes no gfn), again without a report.
  assert.deepEqual(v.map((x) => x.kind), ['rmap-disagreement']);
  assert.deepEqual(writes(steps, 4), ['sp#3[1] present->cleared']);
});

test('deleting the tables\' slot: the root and its nested children go, D among them; D[1] misses in rmap_remove(), D is freed, the invalidation of 33 reaches freed memory', () => {
  const { run, steps, v } = runAll(3);
  const del = steps.filter((s) => s.op === 3);
  // The unmap finds nothing (no leaf maps 0x1000..0x1003), so flush = false; then
  // for_each_gfn_valid_sp_with_gptes() at 0x1000 takes the root sp#0: its zap unlinks sp#1, which
  // is left parentless and zapped recursively, and so on down to D. sp#1 and sp#2 are then invalid,
  // so the walk takes nothing at 0x1001 and 0x1002. The list is not empty: commit (flush, free).
  assert.deepEqual(del.map((s) => `${s.anchor.fn}:${s.kind}`), [
    'kvm_vm_ioctl_set_memory_region:lock', 'kvm_invalidate_memslot:memslot-delete', 'kvm_mmu_zap_memslot:lock',
    'kvm_mmu_zap_memslot:zap', 'kvm_mmu_zap_memslot_pages_and_flush:zap-sp',
    'kvm_mmu_commit_zap_page:flush', 'kvm_mmu_commit_zap_page:free-sp', 'kvm_mmu_zap_memslot:unlock',
    'kvm_delete_memslot:memslot-delete', 'kvm_vm_ioctl_set_memory_region:op-end',
  ]);
  const zap = del.find((s) => s.kind === 'zap-sp')!;
  assert.match(zap.text, /kvm_mmu_prepare_zap_page\(sp#0 .*zapped recursively: sp#3, sp#2, sp#1; a root still loaded/);
  // The writes, in the recursion's order: sp#0[0] (link to sp#1) cleared, then inside sp#1 its
  // link to sp#2, inside sp#2 its link to D, inside D its two leaves.
  assert.deepEqual(writes(steps, 3), [
    'sp#0[0] present->cleared', 'sp#1[0] present->cleared', 'sp#2[0] present->cleared',
    'sp#3[0] present->cleared', 'sp#3[1] present->cleared',
  ]);
  const state = run.machine.state;
  assert.deepEqual(state.sps.filter((sp) => sp.freed).map((sp) => sp.id), [1, 2, 3]);
  assert.equal(state.sps[0].invalid && !state.sps[0].freed, true, 'the root is kept, invalid, until vCPU 0 drops it');
  const install = steps.find((s) => s.op === 2 && s.kind === 'install-leaf')!;
  const free = del.find((s) => s.kind === 'free-sp')!;
  // D[0] is found in the rmap of 16 (memslot 1, filed there); D[1] is looked for in the rmap of
  // 17 and is not there: the data-corruption report, caused by the install of op 2.
  const dc = v.find((x) => x.kind === 'data-corruption')!;
  assert.deepEqual({ step: dc.step, cause: dc.causeStep, gfn: dc.gfn }, { step: zap.index, cause: install.index, gfn: 17 });
  const walk = steps.find((s) => s.op === 4 && s.kind === 'zap')!;
  const uaf = v.find((x) => x.kind === 'sp-use-after-free')!;
  assert.deepEqual({ step: uaf.step, cause: uaf.causeStep, freed: uaf.freedStep, gfn: uaf.gfn }, { step: walk.index, cause: install.index, freed: free.index, gfn: 33 });
});

test('mainline-2026 (both fixes) with the quirk off: nothing misfiled, the deletion of R1 finds its rmaps empty and owes no flush', () => {
  const { run, steps, v } = runAll(1, 'mainline-2026' + OFF);
  // Op 2: D's gfn 16 is not the walk's 32, so kvm_mmu_get_child_sp() looks up a new D' (sp#4) and
  // __link_shadow_page() zaps the link to D (D, parentless, is zapped with its leaf D[0], found in
  // the rmap of 16) and flushes; D'[1] is filed under 33 = 32 + 1, what get_gfn computes.
  const del = steps.filter((s) => s.op === 3);
  assert.deepEqual(del.map((s) => `${s.anchor.fn}:${s.kind}`), [
    'kvm_vm_ioctl_set_memory_region:lock', 'kvm_invalidate_memslot:memslot-delete', 'kvm_mmu_zap_memslot:lock',
    'kvm_mmu_zap_memslot:zap', 'kvm_mmu_remote_flush_or_zap:note', 'kvm_mmu_zap_memslot:unlock',
    'kvm_delete_memslot:memslot-delete', 'kvm_vm_ioctl_set_memory_region:op-end',
  ]);
  assert.deepEqual(writes(steps, 3), []);
  assert.ok(!del.some((s) => s.kind === 'flush'), 'no flush: nothing was zapped and nothing is freed');
  assert.deepEqual(run.machine.state.sps.filter((sp) => sp.freed).map((sp) => sp.id), [3]);
  assert.deepEqual(v, []);
  assert.deepEqual(writes(steps, 4), ['sp#4[1] present->cleared']);
});

test('the same flow with the quirk on zaps everything, and the trace names slotZap only off its default', () => {
  const on = runAll(1, 'mainline-2026-pre');
  assert.ok(on.steps.some((s) => s.op === 3 && s.anchor.fn === 'kvm_mmu_zap_all_fast'));
  assert.ok(!on.steps.some((s) => s.op === 3 && /kvm_mmu_zap_memslot/.test(s.anchor.fn)));
  assert.equal(on.run.machine.state.mmuValidGen, 1);
  const policies = (variant: string) => traceText(runScenario(flow(1, variant), { variant: parseVariant(variant) })).split('\n')[1];
  assert.equal(policies('mainline-2026-pre'), 'policies: splitFlush=present-nonleaf linkPresent=drop-large dropFlushRange=sptep-gfn enableLogFlush=always childReuse=present');
  assert.equal(policies('mainline-2026-pre' + OFF), 'policies: splitFlush=present-nonleaf linkPresent=drop-large dropFlushRange=sptep-gfn enableLogFlush=always childReuse=present slotZap=memslot');
});

test('slotZap=memslot is refused where the era has no quirk, by name and at run time', () => {
  assert.throws(() => parseVariant('v6.3' + OFF), (e: unknown) => e instanceof VariantError && /KVM_X86_QUIRK_SLOT_ZAP_ALL \(added in v6\.12\).*v6\.3 era/.test(e.message));
  assert.throws(() => parseVariant('slotZap=memslot'), VariantError, 'a bare composition starts from pre-patch, a v6.0-era preset');
  // A variant built by hand (as the extension's compose does) reaches the deletion and stops there.
  const s = flow(1);
  const v6: Variant = { ...findPreset('v7')!, slotZap: 'memslot' };
  const run = new ScenarioRun(s, { variant: v6 });
  assert.throws(() => { while (run.step()); }, (e: unknown) => e instanceof ScenarioRunError && /operation 3 .*KVM_X86_QUIRK_SLOT_ZAP_ALL/.test(e.message));
});

test('the variant\'s name reads back, and names without slotZap stay what they were', () => {
  const v = parseVariant('mainline-2026-pre' + OFF);
  assert.equal(v.name, 'mainline-2026-pre+slotZap=memslot');
  assert.equal(v.era, 'mainline-2026');
  assert.deepEqual(parseVariant(v.name), v);
  // A composition from policies alone (era unknown, as the patch classifier builds it) leaves the default out.
  const bare = policiesOf(findPreset('v6.3')!);
  assert.equal(variantName({ ...bare, childReuse: 'gfn' }), 'splitFlush=present-nonleaf,linkPresent=drop-large,dropFlushRange=sptep-gfn,enableLogFlush=always,childReuse=gfn');
});

test('a scenario file chooses the quirk off by its variant; a variant of the wrong era is its mistake, with line and column', () => {
  assert.equal(flow(1).variant, 'mainline-2026-pre+slotZap=memslot');
  const text = '{\n  "name": "x", "variant": "v7+slotZap=memslot",\n  "memslots": [{ "id": 1, "baseGfn": 0, "pages": 32, "hostPfn": 64 }],\n  "roots": [], "operations": []\n}';
  assert.throws(() => parseScenario(text, 'x.json'), (e: unknown) => e instanceof ScenarioError && /x\.json:2:\d+: .*KVM_X86_QUIRK_SLOT_ZAP_ALL/.test(e.message));
});

test('the debugger\'s call stack of the quirk-off steps runs through kvm_mmu_zap_memslot()', () => {
  const s = flow(1);
  const { steps } = runAll(1);
  const stack = (fn: string) => callStack(s, steps.find((x) => x.op === 3 && x.anchor.fn === fn)!).slice(-4);
  assert.deepEqual(stack('kvm_mmu_zap_memslot'), ['kvm_set_memslot', 'kvm_invalidate_memslot', 'kvm_arch_flush_shadow_memslot', 'kvm_mmu_zap_memslot']);
  assert.deepEqual(stack('kvm_mmu_remote_flush_or_zap'), ['kvm_arch_flush_shadow_memslot', 'kvm_mmu_zap_memslot', 'kvm_mmu_zap_memslot_pages_and_flush', 'kvm_mmu_remote_flush_or_zap']);
});
