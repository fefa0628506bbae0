/**
 * The outcomes the specification (section 6) requires, for every preset. Each expected number is
 * derived in the comment next to it from the scenario's page arithmetic, not read off a run.
 *
 * Geometry: E = 512, so a level-3 SPTE maps 512 * 512 = 262144 pages (1 GiB) and a level-2 SPTE
 * 512 pages (2 MiB). Bare-metal flushes: every kvm_flush_remote_tlbs_with_address() is a full flush.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findPreset, PRESETS } from '../../src/kernel/variants';
import { splitFlushesPer64G } from '../../src/review/compare';
import { run, splitFlushSteps } from './helpers';

describe('scenario 1, common-1g: one 1G page split eagerly to 4K when logging starts', () => {
  // The split is one 1G -> 2M split into a new level-2 SP (512 absent entries filled), then one
  // 2M -> 4K split per 2M page: 512 of them, each into a new level-1 SP. That is 1 + 512 = 513
  // splits. No child is reused and no child entry is present before the loop fills it.
  test('pre-patch: drop_large_spte() flushes on each of the 1 + 512 = 513 splits', () => {
    const t = run('common-1g', 'pre-patch');
    assert.equal(t.counters.splits, 1 + 512);
    assert.equal(t.counters.splitFlushes, 1 + 512);
    assert.equal(splitFlushSteps(t).filter((s) => s.flush?.issued).length, 513);
    assert.equal(t.verdict, 'pass');
  });

  test('v7: no reused child holds a present non-leaf, so none of the 513 splits flushes', () => {
    const t = run('common-1g', 'v7');
    assert.equal(t.counters.splits, 513);
    assert.equal(t.counters.splitFlushes, 0);
    assert.equal(splitFlushSteps(t).filter((s) => s.kind === 'flush-skipped').length, 513);
    assert.equal(t.verdict, 'pass');
  });

  test('write-protection flushes come on top, the same for pre-patch and v7', () => {
    // After the split: one memslot flush after write-protecting the 262144 4K SPTEs (some SPTE was
    // write-protected, so the 2022 condition holds), and one after KVM_GET_DIRTY_LOG harvests the
    // one gfn the guest wrote. 2 flushes besides the split's.
    for (const p of ['pre-patch', 'v7']) {
      const t = run('common-1g', p);
      assert.equal(t.counters.remoteFlushes - t.counters.splitFlushes, 2, p);
    }
  });

  test('the split writes 512 SPTEs per split: (1 + 512) * 512 = 262656 of them', () => {
    const t = run('common-1g', 'v7');
    const splitWrites = t.steps.filter((s) => s.kind === 'split-loop').reduce((n, s) => n + s.writeCount, 0);
    assert.equal(splitWrites, 513 * 512);
  });

  test('every preset passes both checks', () => {
    for (const p of PRESETS) assert.equal(run('common-1g', p.name).verdict, 'pass', p.name);
  });
});

describe('scenario 2, reused-partial: the seed\'s hazard', () => {
  // B's 1G SPTE is split while A's level-2 SP for the same gfn 0x40000 exists; its entry 1 (the 2M
  // region 0x40200..0x403ff of p = 0x40205) is a present non-leaf -> the level-1 SP mapping only p.
  // So after the split, B maps 0x40200..0x403ff except 0x40205 nowhere, while vCPU 0's 1G TLB entry
  // via B still covers all of it.
  test('never-flush: stale TLB (unmapped) at the lock release after the split, then a write to a freed page', () => {
    const t = run('reused-partial', 'never-flush');
    assert.equal(t.verdict, 'violation');
    const stale = t.violations.find((v) => v.kind === 'stale-tlb');
    assert.ok(stale, 'expected a stale-tlb violation');
    assert.equal(stale.strength, 'unmapped');
    assert.equal(stale.vcpu, 0);
    // The first page the entry covers that is no longer mapped: the start of p's 2M region, 0x40200.
    assert.equal(stale.gfn, 0x40200);
    assert.equal(t.steps[stale.step].kind, 'unlock', 'reported at a lock release');
    assert.equal(t.steps[stale.step].anchor.fn, 'kvm_clear_dirty_log_protect', 'the release of KVM_CLEAR_DIRTY_LOG, before its memslot flush');
    assert.equal(t.steps[stale.skippedFlush!].kind, 'flush-skipped', 'names the skipped flush');
    assert.equal(t.steps[stale.staleSince!].kind, 'drop-spte', 'names the drop of the huge SPTE');

    const uaf = t.violations.find((v) => v.kind === 'use-after-free');
    assert.ok(uaf, 'expected a use-after-free');
    assert.equal(uaf.vcpu, 0);
    assert.equal(uaf.gfn, 0x40300, 'g, the invalidated gfn');
    assert.ok(uaf.step > stale.step);
  });

  for (const p of ['v7', 'pre-patch', 'if-reused']) {
    test(`${p}: all checks pass and the split flushes exactly once`, () => {
      // One split (B's 1G SPTE); v7 flushes because entry 1 is a present non-leaf, pre-patch
      // always, if-reused because the child came from the hash.
      const t = run('reused-partial', p);
      assert.equal(t.verdict, 'pass', t.violations.map((v) => v.message).join('\n'));
      assert.equal(t.counters.splits, 1);
      assert.equal(t.counters.splitFlushes, 1);
      assert.equal(t.counters.spsReused, 1);
    });
  }

  test('the later kernels pass too: v6.3 and mainline-2026', () => {
    for (const p of ['v6.3', 'mainline-2026']) assert.equal(run('reused-partial', p).verdict, 'pass', p);
  });
});

describe('scenario 3, reused-leaf: the reused child maps the huge page identically', () => {
  // Level-3 pass: A's 1G SPTE is split into a new level-2 SP with 512 2M leaves; B's 1G SPTE then
  // finds that SP in the hash (same gfn 0x40000, same role) and reuses it: 512 present leaves.
  // Level-2 pass: the 2M page holding the cleared range 0x40200..0x4023f is split into a new
  // level-1 SP. 3 splits; the reused one is the second.
  test('v7: the reused split does not flush (every child entry is a present leaf)', () => {
    const t = run('reused-leaf', 'v7');
    assert.equal(t.counters.splits, 3);
    assert.equal(t.counters.spsReused, 1);
    assert.equal(t.counters.splitFlushes, 0);
    assert.equal(t.verdict, 'pass');
  });

  test('pre-patch: the reused split flushes once (and each of the 2 others once)', () => {
    const t = run('reused-leaf', 'pre-patch');
    const flushes = splitFlushSteps(t);
    // Order of splits: new (A), reused (B), 2M -> 4K. The reused one is the second flush step.
    assert.equal(flushes.length, 3);
    assert.ok(flushes.every((s) => s.flush?.issued));
    const getSp = t.steps.filter((s) => s.kind === 'get-sp');
    assert.match(getSp[1].text, /reuses/);
    assert.ok(flushes[1].index > getSp[1].index && flushes[1].index < getSp[2].index, 'the second flush belongs to the reused split');
    assert.equal(t.counters.splitFlushes, 3);
    assert.equal(t.verdict, 'pass');
  });

  test('if-reused flushes only for the reused split', () => {
    assert.equal(run('reused-leaf', 'if-reused').counters.splitFlushes, 1);
  });
});

describe('today\'s mainline: the 2026 use-after-free fix flushes on every split', () => {
  test('common-1g: mainline-2026 flushes 513 times, like pre-patch: the seed\'s saving is gone', () => {
    const t = run('common-1g', 'mainline-2026');
    assert.equal(t.counters.splitFlushes, 513);
    assert.equal(t.counters.fullFlushes >= 513, true, 'kvm_mmu_remote_flush_or_zap() is a full flush');
  });
});

describe('full scale: a 64 GiB guest on 1 GiB pages', () => {
  // 64 huge SPTEs, each split 1G -> 2M (1 split) and then 2M -> 4K (512 splits): 64 * (1 + 512)
  // = 32,832 splits, none reusing a child. pre-patch flushes on every one; v7 on none.
  test('split flushes: pre-patch 32,832, v7 0', () => {
    assert.equal(splitFlushesPer64G(findPreset('pre-patch')!), 64 * (1 + 512));
    assert.equal(splitFlushesPer64G(findPreset('v7')!), 0);
  });
});
