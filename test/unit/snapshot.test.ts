/** The panel's view model: what a reviewer must see at the moment of the seed's hazard. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Walkthrough } from '../../src/trace/walkthrough';
import { snapshotAt, type TableView } from '../../src/view/snapshot';
import { findPreset } from '../../src/variants';
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
