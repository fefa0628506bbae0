/** The panel's view model: what a reviewer must see at the moment of the seed's hazard. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Walkthrough } from '../../src/run/walkthrough';
import { snapshotAt, type TableView } from '../../src/view/snapshot';
import { findPreset } from '../../src/kernel/variants';
import { scenario } from './helpers';

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
