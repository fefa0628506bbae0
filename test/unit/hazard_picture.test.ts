/**
 * The picture of the hazard (src/view/hazard_picture.ts) on the built-in scenarios, with the
 * expected ranges worked out from the scenarios by page arithmetic (E = 512 entries a table, so a
 * 2M SPTE covers 512 = 0x200 pages and a 1G SPTE 512 * 512 = 0x40000 pages).
 *
 * reused-partial: vCPU 0 faults L2 0x40000 through root B and gets a 1G leaf sp#2[1] for gfn
 * 0x40000, so the huge page is gfns 0x40000..0x7ffff (0x40000 + 0x40000 - 1). vCPU 1 faults gfn
 * 0x40205 through root A, which allocates the direct L2 sp#4 (gfn 0x40000) and under its entry 1
 * (0x40000 + 1 * 0x200 = 0x40200) the L1 sp#5 with only entry 5 present: gfn 0x40205. The split of
 * sp#2[1] finds sp#4 in the hash (step 21), fills its entries 0 and 2..511 with 2M leaves (steps 22,
 * 24), drops the huge SPTE (step 25), and flushes (v7, pre-patch) or not (never-flush, step 26).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Walkthrough } from '../../src/run/walkthrough';
import { snapshotAt } from '../../src/view/snapshot';
import { findPreset } from '../../src/kernel/variants';
import type { HazardPictureView } from '../../src/view/hazard_picture';
import { scenario } from './helpers';

const hex = (n: number) => `0x${n.toString(16)}`;

function pictureAt(name: string, variant: string, index: number): HazardPictureView {
  const w = new Walkthrough(scenario(name), { variant: findPreset(variant)! });
  const p = snapshotAt(w, index).picture;
  assert.ok(p, `${name} under ${variant} splits a huge page, but step ${index} has no picture`);
  return p;
}

const segments = (p: HazardPictureView, root: string) => p.roots.find((r) => r.name === root)!.segments.map((s) => [hex(s.from), hex(s.to), s.kind]);
const bands = (p: HazardPictureView) => p.bands.map((b) => ({ vcpu: b.vcpu, tlb: b.tlbId, from: hex(b.from), to: hex(b.to), staleSince: b.staleSince, skippedFlush: b.skippedFlush, deadline: b.deadline, violation: b.violation }));

test('reused-partial under never-flush at the violation (step 43): two stale bands either side of the one 4K page sp#5 maps, made stale at step 25, flush skipped at step 26', () => {
  const p = pictureAt('reused-partial', 'never-flush', 43);
  assert.equal(p.range.gfn, 0x40000);
  assert.equal(p.range.pages, 0x40000, 'a 1G huge page is 512 * 512 pages');
  assert.equal(p.range.splitStep, 21);
  // Root B now links sp#4: entry 0 a 2M leaf (0x40000..0x401ff); entry 1 the L1 sp#5, whose only
  // present entry 5 maps 0x40200 + 5 = 0x40205; entries 2..511 510 2M leaves from 0x40000 + 2 * 0x200.
  assert.deepEqual(segments(p, 'B'), [
    ['0x40000', '0x40200', 'split'],
    ['0x40200', '0x40205', 'absent'],
    ['0x40205', '0x40206', 'split'],
    ['0x40206', '0x40400', 'absent'],
    ['0x40400', '0x80000', 'split'],
  ]);
  assert.match(p.roots.find((r) => r.name === 'B')!.segments[4].text, /^510 x 2M leaf: gfns 0x40400\.\.0x7ffff$/);
  // Root A reaches the same sp#4 (it allocated it), so it maps the range the same way.
  assert.deepEqual(segments(p, 'A'), segments(p, 'B'));
  // vCPU 0's 1G entry still covers the whole huge page; vCPU 1's 4K entry covers 0x40205, still mapped.
  assert.deepEqual(p.vcpus.map((v) => v.entries.map((e) => [e.tlbId, e.root, hex(e.from), hex(e.to), e.stale])), [
    [[1, 'B', '0x40000', '0x80000', true]],
    [[2, 'A', '0x40205', '0x40206', false]],
  ]);
  // The pages tlb#1 covers that B no longer maps: 0x40200..0x40204 and 0x40206..0x403ff (the 4K leaf
  // at 0x40205 maps pfn 0x440205, the entry's pfn 0x440000 + 0x205, so it is not stale).
  assert.deepEqual(bands(p), [
    { vcpu: 0, tlb: 1, from: '0x40200', to: '0x40205', staleSince: 25, skippedFlush: 26, deadline: undefined, violation: 43 },
    { vcpu: 0, tlb: 1, from: '0x40206', to: '0x40400', staleSince: 25, skippedFlush: 26, deadline: undefined, violation: 43 },
  ]);
  assert.match(p.bands[0].text, /vCPU 0's tlb#1 still covers gfns 0x40200\.\.0x40204 .* stale since step 25 .*the flush at step 26 was skipped; the check reported it at step 43/);
});

test('reused-partial under never-flush: the timeline holds mmu_lock from step 20 to the release at 43 in the ioctl, the skipped flush at 26, the violations', () => {
  const p = pictureAt('reused-partial', 'never-flush', 43);
  const t = p.timeline;
  assert.deepEqual(t.lanes, [{ kind: 'ioctl' }, { kind: 'vcpu', vcpu: 0 }, { kind: 'vcpu', vcpu: 1 }, { kind: 'notifier' }]);
  // The faults hold mmu_lock from write_lock to write_unlock (steps 1-4 for vCPU 0, 10-15 for vCPU 1);
  // KVM_CLEAR_DIRTY_LOG takes it at 17, gives it up at the split's resched (19), retakes it at 20 and
  // releases it at the KVM_MMU_UNLOCK of step 43; the notifier from 44 to 47.
  assert.deepEqual(t.locks.map((l) => [l.lane, l.from, l.to]), [[1, 1, 4], [2, 10, 15], [0, 17, 19], [0, 20, 43], [3, 44, 47]]);
  assert.deepEqual(t.flushes.map((f) => [f.lane, f.step, f.issued]), [[0, 26, false], [3, 46, false], [0, 50, true]]);
  assert.match(t.flushes[0].text, /^step 26, drop_large_spte\(\): flush skipped: /);
  // The check fails at the release (43); vCPU 0 then writes a freed page through tlb#1 (49).
  assert.deepEqual(t.violations.map((v) => [v.lane, v.step]), [[0, 43], [1, 49]]);
  assert.equal(t.index, 43);
});

test('reused-partial under v7 and pre-patch: the band covers the whole huge page only between the drop (25) and the flush (26), with no flush skipped', () => {
  for (const variant of ['v7', 'pre-patch']) {
    // After the drop of sp#2[1], B maps nothing of 0x40000..0x7ffff: tlb#1's whole range is stale,
    // due by the release at 43; the flush at 26 has not run yet.
    const at25 = pictureAt('reused-partial', variant, 25);
    assert.deepEqual(segments(at25, 'B'), [['0x40000', '0x80000', 'absent']], variant);
    assert.deepEqual(bands(at25), [{ vcpu: 0, tlb: 1, from: '0x40000', to: '0x80000', staleSince: 25, skippedFlush: undefined, deadline: 43, violation: undefined }], variant);
    // The split's flush is issued at 26 and removes tlb#1: no band.
    const at26 = pictureAt('reused-partial', variant, 26);
    assert.deepEqual(at26.bands, [], variant);
    assert.deepEqual(at26.vcpus[0].entries, [], `${variant}: tlb#1 is flushed`);
    assert.deepEqual(at26.timeline.flushes.find((f) => f.step === 26)?.issued, true, variant);
  }
});

test('reused-leaf: v7 skips the flush at 27 and the band lasts until the link at 28 maps the page again; pre-patch has flushed every TLB at 22', () => {
  // The second split (step 24) reuses sp#4, whose 512 entries are 2M leaves for 0x40000..0x7ffff,
  // under root B's 1G leaf sp#3[1] for the same gfns. Dropping it (26) leaves vCPU 1's 1G entry
  // tlb#2 via B over nothing; v7 skips the flush (27: no present non-leaf in the child); the link
  // (28) makes B map every page again to the same pfn, so the entry is no longer stale.
  const at27 = pictureAt('reused-leaf', 'v7', 27);
  assert.equal(at27.range.splitStep, 24);
  assert.deepEqual(bands(at27), [{ vcpu: 1, tlb: 2, from: '0x40000', to: '0x80000', staleSince: 26, skippedFlush: 27, deadline: 35, violation: undefined }]);
  const at28 = pictureAt('reused-leaf', 'v7', 28);
  assert.deepEqual(at28.bands, []);
  assert.deepEqual(segments(at28, 'B'), [['0x40000', '0x80000', 'split']]);
  assert.match(at28.roots[1].segments[0].text, /^512 x 2M leaf: gfns 0x40000\.\.0x7ffff$/);
  // pre-patch flushes at the first split (22), a full flush on bare metal that empties both TLBs.
  const pre = pictureAt('reused-leaf', 'pre-patch', 27);
  assert.deepEqual(pre.bands, []);
  assert.deepEqual(pre.vcpus.map((v) => v.entries.length), [0, 0]);
  assert.deepEqual(pre.timeline.flushes.map((f) => [f.step, f.issued]).slice(0, 2), [[22, true], [27, true]]);
});

test('before the split the picture shows the huge leaf the walk will split, and the 1G entry it fills', () => {
  // After step 5 vCPU 0 has filled tlb#1 from B's 1G leaf; nothing is split yet, so the range is the
  // walk's first split's, B maps it with one huge leaf and A (no fault yet) maps nothing of it.
  const p = pictureAt('reused-partial', 'never-flush', 5);
  assert.equal(p.range.splitStep, 21);
  assert.deepEqual(segments(p, 'B'), [['0x40000', '0x80000', 'huge']]);
  assert.deepEqual(segments(p, 'A'), [['0x40000', '0x80000', 'absent']]);
  assert.deepEqual(p.bands, []);
  assert.equal(p.vcpus[0].entries[0].stale, false);
});

test('the axis: each boundary is a tick, x grows with the gfn, and 5 pages beside 261120 stay visible', () => {
  const p = pictureAt('reused-partial', 'never-flush', 43);
  assert.deepEqual(p.ticks.map((t) => hex(t.gfn)), ['0x40000', '0x40200', '0x40205', '0x40206', '0x40400', '0x80000']);
  for (let k = 1; k < p.ticks.length; k++) assert.ok(p.ticks[k].x > p.ticks[k - 1].x, `tick ${k} is not right of tick ${k - 1}`);
  assert.equal(p.ticks[p.ticks.length - 1].x, 1);
  // Weights 1 + log_512(pages): 512 pages -> 2, 5 -> 1.26, 1 -> 1, 506 -> 1.998, 261120 -> 2.999; the
  // 5-page gap is 1.26 / 9.25 of the width, where a linear axis would give it 5 / 262144.
  const gap = p.roots[1].segments[1];
  assert.ok(Math.abs(gap.w - 1.258 / 9.255) < 0.002, `the 5-page gap is ${gap.w} of the width`);
  // Every shape sits on the ticks: its x and x + w are tick positions.
  const xs = new Set(p.ticks.map((t) => t.x));
  for (const s of [...p.roots.flatMap((r) => r.segments), ...p.bands]) assert.ok(xs.has(s.x), `${s.text} starts off the ticks`);
});

test('the snapshot with its picture passes the protocol\'s check', async () => {
  const { checkPanelSnapshot } = await import('../../src/view/protocol');
  const w = new Walkthrough(scenario('reused-partial'), { variant: findPreset('never-flush')! });
  for (const i of [-1, 5, 25, 43, w.length - 1]) assert.equal(checkPanelSnapshot(snapshotAt(w, i)), undefined, `step ${i}`);
});
