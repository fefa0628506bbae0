/**
 * The built-in trapped-write-safe: the unexpected-GFN flow (0cb2af2ea66a's commit message) with
 * the PD entry changed by the guest's own store, which KVM traps, instead of from outside.
 *
 * E = 512. Memslot 0: the guest tables PML4 0x1000, PDPT 0x1001, PD 0x1002. Memslot 1: G1 = 0x200
 * (512 pages, host 4K, pfn 0x1200 + offset). Memslot 2: G2 = 0x400 (host 4K, pfn 0x1400 + offset).
 * PD[0] maps L2 0..0x1ff to the 2M guest page G1. The SPs, by id: sp#0 the root (indirect L4,
 * 0x1000), then the first fault's sp#1 (indirect L3, 0x1001), sp#2 (indirect L2, 0x1002) and D =
 * sp#3 (direct L1, 0x200).
 *
 * Expected, operation by operation:
 * 0 access L2 0: the fault links sp#1, sp#2, sp#3 and the leaf D[0] -> gfn 0x200, pfn 0x1200.
 * 1 the guest writes PD[0] := huge G2: 0x1002 is write-tracked (sp#2 shadows it at level 2), so
 *   the store is emulated: memory written, then kvm_mmu_track_write() zaps sp#2[0] (the link to
 *   D; D stays, parentless) and flushes (the SPTE was present).
 * 2 access L2 1: PD[0] is huge G2, so the gfn is 0x401; sp#2[0] is not present, so
 *   kvm_mmu_get_child_sp() allocates sp#4 (direct L1, 0x400), no -EEXIST whatever childReuse
 *   says, and the leaf sp#4[1] -> 0x401, pfn 0x1401, filed where get_gfn(sp#4, 1) = 0x401 says.
 * 3 delete memslot 1: zap_all_fast prepares the root (recursively sp#1, sp#2, sp#4: sp#4[1]
 *   found in the rmap of 0x401) and D (D[0] found in the rmap of 0x200): no miss.
 * 4 invalidate 0x401: its rmap is empty (sp#4 was zapped), nothing is walked.
 * So: no violation on any preset, and the policies never act (no step differs between presets).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS } from '../../src/kernel/variants';
import { run } from './helpers';

test('trapped-write-safe passes on every preset, with the expectations the file states', () => {
  for (const p of PRESETS) {
    const t = run('trapped-write-safe', p.name);
    assert.equal(t.verdict, 'pass', `${p.name}: ${t.violations.map((v) => v.message).join('; ')}`);
  }
});

test('trapped-write-safe: the write zaps the link to D and flushes; the next fault allocates a fresh child for G2; the deletion misses nothing', () => {
  const t = run('trapped-write-safe', 'mainline-2026-pre');
  const write = t.steps.filter((s) => s.op === 1);
  assert.deepEqual(write.map((s) => s.kind), ['note', 'guest-table-write', 'lock', 'drop-spte', 'flush', 'unlock']);
  const zap = write[3];
  assert.deepEqual(zap.writes.map((w) => [w.sp, w.index, w.oldTarget, w.newFlags]), [[2, 0, 3, 0]]);
  // The flush removed the TLB entry the first access's retry filled (vCPU 0's tlb#1 for L2 0).
  assert.deepEqual(write[4].flush!.removed, ['vcpu0:tlb#1']);
  const fault = t.steps.filter((s) => s.op === 2);
  // No "-EEXIST ... walks on into" note: nothing is reused, under the policy that reuses anything present.
  assert.ok(!fault.some((s) => /-EEXIST/.test(s.text)));
  assert.ok(fault.some((s) => /allocates sp#4 \(direct, level 1, gfn 0x400\)/.test(s.text)));
  assert.ok(fault.some((s) => /sp#4\[1\] = 4K leaf gfn 0x401 -> pfn 0x1401/.test(s.text)));
  // The deletion zaps the root's subtree and then D, whose leaf is found in the rmap of 0x200.
  const zaps = t.steps.filter((s) => s.op === 3 && s.kind === 'zap-sp');
  assert.deepEqual(zaps.map((s) => /__kvm_mmu_prepare_zap_page\(sp#(\d+)/.exec(s.text)![1]), ['0', '3']);
  assert.deepEqual(t.violations, []);
});
