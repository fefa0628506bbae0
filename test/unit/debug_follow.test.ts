/**
 * The walk panel following a debug session (src/debug/follow.ts): a stop of the session on
 * reused-partial under never-flush maps to the walk's step, and the walk built from the session's
 * run is the same run. The steps (test/unit/debug_session.test.ts has them in full): 17 takes
 * mmu_lock, 19-20 drop it to top up the caches, 21 is the split's get-sp (it reuses sp#4), 25
 * drop_large_spte() drops the huge SPTE, 26 skips its flush, 43 releases mmu_lock and the
 * stale-TLB check fails there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MmuDebugSession } from '../../src/debug/session';
import { followPoint, sameRun, walkIndexAt } from '../../src/debug/follow';
import type { DapEvent, DapMessage } from '../../src/debug/protocol';
import { builtinScenario } from '../../src/scenario/builtins';
import { parseVariant } from '../../src/kernel/variants';
import { WalkSession } from '../../src/session/session';

const MMU_C = join(__dirname, '..', 'fixtures', 'kernel', 'arch/x86/kvm/mmu/mmu.c');
/** The fixture mmu.c's `sp = shadow_mmu_get_sp_for_split(kvm, huge_sptep);` (debug_session.test.ts's GET_SP_LINE). */
const GET_SP_LINE = 193;

/** A session launched on reused-partial under never-flush, configured; returns a function that sends a request and gives the stop it made. */
function session(filters: string[] = [], lines: number[] = []) {
  let seq = 1;
  let out: DapMessage[] = [];
  const s = new MmuDebugSession((m) => out.push(m));
  const send = (command: string, args?: unknown) => {
    out = [];
    s.handle({ seq: seq++, type: 'request', command, arguments: args });
    return out.find((m): m is DapEvent => m.type === 'event' && m.event === 'stopped');
  };
  send('initialize', {});
  send('launch', { scenario: 'reused-partial', variant: 'never-flush', sources: [{ path: MMU_C, text: readFileSync(MMU_C, 'utf8') }] });
  send('setBreakpoints', { source: { path: MMU_C }, breakpoints: lines.map((line) => ({ line })) });
  send('setExceptionBreakpoints', { filters });
  assert.ok(send('configurationDone'), 'no stop on entry');
  return { s, send };
}

function walkOf(variant: string): WalkSession {
  return new WalkSession(builtinScenario('reused-partial')!, { kind: 'builtin', id: 'reused-partial', label: 'reused-partial (built-in)' }, { variant: parseVariant(variant) });
}

test('position p (before step p) is the walk after step p - 1: the entry is -1, the end the last step', () => {
  assert.equal(walkIndexAt(0, 54), -1);
  assert.equal(walkIndexAt(21, 54), 20);
  assert.equal(walkIndexAt(54, 54), 53);
  assert.throws(() => walkIndexAt(55, 54), /no position 55 in a run of 54 steps/);
  assert.throws(() => walkIndexAt(-1, 54), /no position -1/);
  const run = { scenario: builtinScenario('reused-partial')!, options: { variant: parseVariant('v7') } };
  assert.deepEqual(followPoint(run, 54, 54), { ...run, index: 53, next: undefined, total: 54 });
});

test('stopped at the get-sp breakpoint, the walk shows step 20 (the lock dropped) with the Variables view\'s machine; get-sp is next', () => {
  const { s, send } = session([], [GET_SP_LINE]);
  assert.equal(send('continue')!.body && s.position.pos, 21);
  const point = s.follow()!;
  assert.equal(point.index, 20);
  assert.equal(point.next, 21);
  // The walk built from the session's run takes the same steps as the session.
  const walk = new WalkSession(point.scenario, { kind: 'builtin', id: 'reused-partial', label: '' }, point.options);
  assert.equal(walk.total, point.total);
  walk.goTo(point.index);
  assert.equal(walk.walkthrough.steps[point.next!].anchor.fn, 'shadow_mmu_split_huge_page');
  assert.equal(walk.walkthrough.steps[point.next!].text, s.position.step!.text, 'the step about to run is the debugger\'s');
  // The Variables view says sp is NULL before get-sp; the walk at step 20 has no child SP yet for the split either.
  assert.equal(walk.step!.childSp, undefined);
  assert.equal(walk.walkthrough.steps[21].childSp?.reused, true, 'get-sp itself reuses sp#4 (not shown until the debugger steps over it)');

  // A step in: position 22, the walk at get-sp itself.
  send('stepIn', { threadId: 1 });
  assert.equal(s.follow()!.index, 21);
  // Step back: before get-sp again (the same operation's previous step at this depth), the walk at step 20.
  send('stepBack', { threadId: 1 });
  assert.equal(s.follow()!.index, 20);
});

test('a violation stops after its step (position 44): the walk shows step 43, the violation itself', () => {
  const { s, send } = session(['violation']);
  const stop = send('continue')!;
  assert.equal((stop.body as { reason: string }).reason, 'exception');
  const point = s.follow()!;
  assert.equal(point.index, 43);
  const walk = walkOf('never-flush');
  walk.goTo(point.index);
  assert.equal(walk.step!.violations.length > 0, true, 'step 43 is where the stale-TLB check fails');
  // reverseContinue from there finds no earlier stop: the entry, the walk before its first step.
  send('reverseContinue', { threadId: 1 });
  assert.equal(s.follow()!.index, -1);
});

test('sameRun: the walk of the same scenario and variant is the session\'s run; another variant, flush mode or check strength is not', () => {
  const { s } = session();
  const point = s.follow()!;
  const walk = walkOf('never-flush');
  assert.equal(sameRun(walk, point), true, 'a walk of reused-partial under never-flush');
  // The scenario read again (a file walked and debugged) is the same by value.
  assert.equal(sameRun({ scenario: structuredClone(walk.scenario), options: walk.options }, point), true);
  assert.equal(sameRun(walkOf('v7'), point), false, 'v7 flushes where never-flush skips');
  assert.equal(sameRun({ scenario: walk.scenario, options: { ...walk.options, flushMode: 'range' } }, point), false);
  assert.equal(sameRun({ scenario: walk.scenario, options: { ...walk.options, checks: { permissions: false } } }, point), false);
  // The step caps are not the run: the walk's is lower than the session's.
  assert.equal(sameRun({ scenario: walk.scenario, options: { ...point.options, maxSteps: 5000 } }, point), true);
});
