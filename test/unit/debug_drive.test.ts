/**
 * The walk panel driving a debug session (src/debug/drive.ts): which request of the Debug toolbar
 * each of the panel's actions sends, when it is available, and that the request, sent to the core's
 * session on reused-partial under never-flush, moves the session where the panel's button says.
 * The run's first steps (printed by the session's stack for each step): step 0 is vCPU 0's hardware
 * page walk (its stack is one frame, "page walk"); it exits into the fault handler, steps 1-4
 * (kvm_mmu_page_fault > kvm_mmu_do_page_fault > FNAME(page_fault) ..., three frames or more); step 5
 * is the retried page walk, op 0 again at one frame. Step 43 is the first violation (the stale TLB
 * at the mmu_lock release), test/unit/debug_follow.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drive, drivePosition, type DriveAction } from '../../src/debug/drive';
import { walkIndexAt } from '../../src/debug/follow';
import { DapClient } from '../support/dap_client';
import { PANEL_ACTIONS } from '../../src/view/protocol';

const MID = { pos: 21, total: 54 };

test('each stepping action is the Debug toolbar\'s request: Step Over, Step Back, Continue, Restart', () => {
  assert.deepEqual(drive('forward', MID), { kind: 'request', command: 'next' });
  assert.deepEqual(drive('back', MID), { kind: 'request', command: 'stepBack' });
  assert.deepEqual(drive('violation', MID), { kind: 'request', command: 'continue' });
  assert.deepEqual(drive('restart', MID), { kind: 'request', command: 'restart' });
});

test('what no request does is refused with its reason; what does not move the walk stays the walk\'s', () => {
  // No request runs to the next flush or goes to a step by number.
  for (const a of ['next-flush', 'goto', 'walk-here'] as const) assert.deepEqual(drive(a, MID), { kind: 'refused', why: 'no-request' }, a);
  // A scenario, a variant, a what-if branch: another run than the one the session launched.
  for (const a of ['walk', 'variant', 'next-event'] as const) assert.deepEqual(drive(a, MID), { kind: 'refused', why: 'leaves-run' }, a);
  for (const a of ['locate', 'export'] as const) assert.deepEqual(drive(a, MID), { kind: 'own' }, a);
});

test('every panel action has an answer (a new action must be given one here)', () => {
  const known: DriveAction[] = ['forward', 'back', 'violation', 'restart', 'next-flush', 'walk', 'variant', 'locate', 'export'];
  assert.deepEqual([...PANEL_ACTIONS].sort(), known.sort());
});

test('availability by position: nothing back before the first step, nothing forward at the end', () => {
  const start = { pos: 0, total: 54 };
  const end = { pos: 54, total: 54 };
  assert.deepEqual(drive('back', start), { kind: 'refused', why: 'at-start' });
  assert.deepEqual(drive('restart', start), { kind: 'refused', why: 'at-start' });
  assert.equal(drive('forward', start).kind, 'request');
  assert.equal(drive('violation', start).kind, 'request');
  assert.deepEqual(drive('forward', end), { kind: 'refused', why: 'at-end' });
  assert.deepEqual(drive('violation', end), { kind: 'refused', why: 'at-end' });
  assert.equal(drive('back', end).kind, 'request');
  assert.equal(drive('restart', end).kind, 'request');
  // One step in: everything moves.
  for (const a of ['forward', 'back', 'violation', 'restart'] as const) assert.equal(drive(a, { pos: 1, total: 54 }).kind, 'request', a);
});

test('the walk\'s index maps back to the session\'s position (follow.ts, inverted)', () => {
  for (const pos of [0, 1, 21, 54]) assert.equal(drivePosition(walkIndexAt(pos, 54), 54).pos, pos);
  // Before the first step (walk index -1) is the entry, position 0: no Step Back.
  assert.deepEqual(drive('back', drivePosition(-1, 54)), { kind: 'refused', why: 'at-start' });
  // After the last step (walk index 53) is the end, position 54: no Step.
  assert.deepEqual(drive('forward', drivePosition(53, 54)), { kind: 'refused', why: 'at-end' });
});

test('sent to the session, each request moves it where the panel\'s button says', () => {
  const c = new DapClient();
  c.ok('initialize', {});
  c.ok('launch', { scenario: 'reused-partial', variant: 'never-flush', stopOnEntry: true });
  c.ok('setExceptionBreakpoints', { filters: ['violation'] });
  c.send('configurationDone');
  const at = () => ({ pos: c.session.position.pos, total: c.session.position.total });
  const press = (action: DriveAction) => {
    const d = drive(action, at());
    assert.equal(d.kind, 'request', `${action} at ${at().pos}`);
    return c.stop((d as { command: string }).command, { threadId: 1 });
  };
  assert.equal(at().total, 54);
  // Step from the entry is Step Over of the page walk: the fault it exits into (steps 1-4) is
  // stepped over, and the session stops before the retried walk, step 5 (the walk shows step 4).
  assert.equal(press('forward').reason, 'step');
  assert.equal(at().pos, 5);
  // Step Back undoes it: op 0's previous step at its depth is the first walk, step 0.
  press('back');
  assert.equal(at().pos, 0);
  assert.deepEqual(drive('back', at()), { kind: 'refused', why: 'at-start' });
  // Run to Violation: Continue stops after step 43, the first violation, at position 44.
  const v = press('violation');
  assert.equal(v.reason, 'exception');
  assert.match(v.description, /^Violation: stale-tlb/);
  assert.equal(at().pos, 44);
  // Restart: the entry again.
  assert.equal(press('restart').reason, 'entry');
  assert.equal(at().pos, 0);
});
