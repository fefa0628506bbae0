/**
 * Range-capable remote flushes (a Hyper-V host) remove only TLB entries that meet the flushed gfn
 * range, so the gfn and page count that drop_large_spte() computes start to matter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './helpers';

// In reused-partial B's 1G SPTE sits in B's level-3 SP, an indirect SP that shadows B's guest
// level-3 table. That table's gfn is 0xfe001 (the scenario puts B's top table at 0xfe000 and the
// tables below it next). The seed flushes [sp->gfn, sp->gfn + KVM_PAGES_PER_HPAGE(3)) =
// [0xfe001, 0x13e001), which does not meet vCPU 0's 1G entry for gfns [0x40000, 0x80000).
for (const p of ['pre-patch', 'v7', 'if-reused']) {
  test(`${p} with a range-capable flush: sp->gfn misses the huge page, the stale entry survives`, () => {
    const t = run('reused-partial', p, { flushMode: 'range' });
    const flush = t.steps.find((s) => s.kind === 'flush' && s.anchor.fn === 'drop_large_spte');
    assert.ok(flush?.flush);
    assert.equal(flush.flush.gfn, 0xfe001);
    assert.equal(flush.flush.pages, 512 * 512);
    assert.deepEqual(flush.flush.removed, [], 'no entry met the flushed range');
    const stale = t.violations.find((v) => v.kind === 'stale-tlb');
    assert.ok(stale, 'the entry is stale at the lock release');
    assert.match(stale.message, /ranged flush at step \d+ did not cover it/);
    assert.ok(t.violations.some((v) => v.kind === 'use-after-free'));
  });
}

// v6.3's kvm_flush_remote_tlbs_sptep() flushes the dropped SPTE's own range:
// gfn_round_for_level(0x40000, 3) = 0x40000, KVM_PAGES_PER_HPAGE(3) = 0x40000 pages.
test('v6.3 with a range-capable flush: the dropped SPTE\'s own range is flushed and all checks pass', () => {
  const t = run('reused-partial', 'v6.3', { flushMode: 'range' });
  const flush = t.steps.find((s) => s.kind === 'flush' && s.anchor.fn === 'drop_large_spte');
  assert.equal(flush?.flush?.gfn, 0x40000);
  assert.equal(flush?.flush?.pages, 0x40000);
  // Every entry for a gfn in [0x40000, 0x80000) goes: vCPU 0's 1G entry and vCPU 1's 4K entry for p.
  assert.deepEqual(flush?.flush?.removed, ['vcpu0:tlb#1', 'vcpu1:tlb#2']);
  assert.equal(t.verdict, 'pass');
});

test('bare metal turns every ranged call into a full flush: the same seed code passes', () => {
  assert.equal(run('reused-partial', 'v7', { flushMode: 'bare-metal' }).verdict, 'pass');
});
