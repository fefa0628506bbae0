/**
 * The end-to-end checks fire when their condition holds, and name what they must. These tests
 * break the model's state on purpose (a dirty bit lost, a stale writable entry planted) to show the
 * checks can fail; the scenario tests show they pass when the code is right.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScenarioRun, ScenarioRunError } from '../../src/run/runner';
import { runScenario } from '../../src/run/run';
import { findPreset } from '../../src/kernel/variants';
import { scenario } from './helpers';

test('lost dirty page: a write whose bit is missing at the harvest is reported', () => {
  // common-1g: vCPU 0 writes gfn 0x40123 after logging starts; the fault marks it dirty. Erase the
  // bit before KVM_GET_DIRTY_LOG: the harvest then misses a page the guest wrote.
  const r = new ScenarioRun(scenario('common-1g'), { variant: findPreset('v7')! });
  let step;
  while ((step = r.step()) && !(step.kind === 'tlb-fill' && step.op === 2)) { /* run to the write */ }
  assert.ok(step, 'the write happened');
  const slot = r.machine.state.memslots[0];
  slot.dirtyBitmap[0x40123 - slot.baseGfn] = 0;
  r.runToEnd();
  const lost = r.machine.violations.filter((v) => v.kind === 'lost-dirty-page');
  assert.equal(lost.length, 1);
  assert.equal(lost[0].gfn, 0x40123);
  assert.equal(lost[0].vcpu, 0);
  assert.match(lost[0].message, /written at step \d+ by vCPU 0/);
});

test('lost dirty page: without the tampering the same run passes', () => {
  const r = new ScenarioRun(scenario('common-1g'), { variant: findPreset('v7')! });
  r.runToEnd();
  assert.deepEqual(r.machine.violations, []);
});

test('permissions: a writable entry left after the operation write-protected its page is reported at the operation end', () => {
  // reused-leaf: the clear write-protects gfns 0x40200..0x4023f and then flushes the memslot.
  // Plant a writable 4K entry for 0x40200 right after that flush: when the ioctl returns, the
  // entry still grants write to a page this operation write-protected.
  const r = new ScenarioRun(scenario('reused-leaf'), { variant: findPreset('v7')! });
  let step;
  while ((step = r.step()) && !(step.kind === 'flush' && step.anchor.fn === 'kvm_clear_dirty_log_protect')) { /* run to the flush */ }
  assert.ok(step);
  const s = r.machine.state;
  s.vcpus[0].tlb.push({ id: 99, vcpu: 0, root: 'A', l2Base: 0x200, level: 1, gfnBase: 0x40200, pfnBase: 0x440200, writable: true, exec: true, filledAt: step.index });
  const end = r.step()!;
  assert.equal(end.kind, 'op-end');
  const v = end.violations.find((x) => x.kind === 'stale-tlb');
  assert.ok(v, 'stale entry reported at the end of KVM_CLEAR_DIRTY_LOG');
  assert.equal(v.strength, 'permissions');
  assert.equal(v.gfn, 0x40200);
});

test('permissions: an operation is not blamed for reductions it did not make', () => {
  // The same planted entry, for a gfn outside the cleared range (0x40300): the clear did not
  // write-protect it (it is not even mapped at 4K), so nothing is reported.
  const r = new ScenarioRun(scenario('reused-leaf'), { variant: findPreset('v7')! });
  let step;
  while ((step = r.step()) && !(step.kind === 'flush' && step.anchor.fn === 'kvm_clear_dirty_log_protect')) { /* run to the flush */ }
  r.machine.state.vcpus[0].tlb.push({ id: 98, vcpu: 0, root: 'A', l2Base: 0x300, level: 1, gfnBase: 0x40300, pfnBase: 0x440300, writable: true, exec: true, filledAt: 0 });
  const end = r.step()!;
  assert.deepEqual(end.violations, []);
});

test('a fault inside an invalidation\'s window retries (mmu_invalidate_retry): the runner says so', () => {
  // reused-partial under v7: after the split's flush, vCPU 0 has no TLB entry for g = 0x40300, so
  // its write faults. Pause the invalidation of g at its unlock (before invalidate_range_end and
  // the freeing): the fault must not map the page that is about to be freed.
  const s = structuredClone(scenario('reused-partial'));
  const inval = s.operations.findIndex((o) => o.op === 'invalidate');
  s.operations[inval] = { ...s.operations[inval], id: 'inv', pause: 'unlock' };
  s.operations.splice(inval + 2, 0, { op: 'resume', target: 'inv' });
  assert.throws(() => runScenario(s, { variant: findPreset('v7')! }), (e: Error) => e instanceof ScenarioRunError && /would retry until the mmu-notifier invalidation of it ends/.test(e.message));
  // Resumed before the access, the same run passes.
  const ok = structuredClone(scenario('reused-partial'));
  ok.operations[inval] = { ...ok.operations[inval], id: 'inv', pause: 'unlock' };
  ok.operations.splice(inval + 1, 0, { op: 'resume', target: 'inv' });
  assert.equal(runScenario(ok, { variant: findPreset('v7')! }).verdict, 'pass');
});
