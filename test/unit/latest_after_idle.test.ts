// When the editor beside follows the walk (extension/latest_after_idle.ts): once stepping pauses,
// the latest step only, one move at a time, in order. Driven by a fake clock: nothing here waits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatestAfterIdle, type IdleTimer } from '../../extension/latest_after_idle';

/** A clock the test moves by hand: `advance(ms)` fires the timers due by then. */
function fakeClock() {
  let now = 0;
  let next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const timer: IdleTimer = {
    set: (fn, ms) => {
      const id = next++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clear: (id) => void timers.delete(id as number),
  };
  const advance = async (ms: number) => {
    now += ms;
    for (const [id, t] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > now) continue;
      timers.delete(id);
      t.fn();
    }
    // Let the jobs the timers started run (promise turns only: a macrotask comes after them all).
    await new Promise(setImmediate);
  };
  return { timer, advance, pending: () => timers.size };
}

/** A job that records its name when it runs (and finishes at once, or when `open` is called). */
function job(log: string[], name: string, gated = false) {
  let open!: () => void;
  const gate = gated ? new Promise<void>((resolve) => (open = resolve)) : Promise.resolve();
  const run = async () => {
    log.push(`start ${name}`);
    await gate;
    log.push(`end ${name}`);
  };
  return { run, open: () => open() };
}

test('a burst of jobs runs only the last, once no newer one has come for the pause', async () => {
  const log: string[] = [];
  const clock = fakeClock();
  const q = new LatestAfterIdle(80, (e) => assert.fail(e.message), clock.timer);
  // Steps 50 ms apart: each replaces the one waiting and restarts the pause.
  q.later(job(log, 'step 1').run);
  await clock.advance(50);
  q.later(job(log, 'step 2').run);
  await clock.advance(50);
  q.later(job(log, 'step 3').run);
  assert.equal(q.idle, false, 'a job waits');
  await clock.advance(79);
  // 79 ms after the last step the pause has not been long enough: nothing ran yet.
  assert.deepEqual(log, []);
  await clock.advance(1);
  assert.deepEqual(log, ['start step 3', 'end step 3']);
  assert.equal(q.idle, true, 'nothing waits or runs');
  assert.equal(clock.pending(), 0, 'no timer left');
});

test('settled waits for the job waiting and for the one running; a job waiting while another runs runs after it', async () => {
  const log: string[] = [];
  const clock = fakeClock();
  const q = new LatestAfterIdle(80, (e) => assert.fail(e.message), clock.timer);
  const a = job(log, 'a', true);
  q.later(a.run);
  let settled = false;
  void q.settled.then(() => (settled = true));
  await clock.advance(80);
  assert.deepEqual(log, ['start a'], 'a runs (and has not finished)');
  // b comes while a runs: it waits for its pause, then for a.
  q.later(job(log, 'b').run);
  await clock.advance(80);
  assert.deepEqual(log, ['start a'], 'b does not start before a ends');
  assert.equal(settled, false, 'not settled while a runs and b waits');
  a.open();
  await clock.advance(0);
  assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b']);
  assert.equal(settled, true, 'settled once both ran');
  // With nothing waiting, settled is at once.
  let again = false;
  void q.settled.then(() => (again = true));
  await Promise.resolve();
  assert.equal(again, true);
});

test('now drops the job waiting and runs after the one running; drop leaves the one running alone', async () => {
  const log: string[] = [];
  const clock = fakeClock();
  const q = new LatestAfterIdle(80, (e) => assert.fail(e.message), clock.timer);
  const a = job(log, 'a', true);
  q.later(a.run);
  await clock.advance(80);
  q.later(job(log, 'waiting').run);
  // The walk ended (or a debug session took the editor): its clearing goes after a, and the step waiting never runs.
  const cleared = q.now(job(log, 'clear').run);
  assert.equal(clock.pending(), 0, 'the waiting job\'s timer is gone');
  a.open();
  await cleared;
  assert.deepEqual(log, ['start a', 'end a', 'start clear', 'end clear']);
  q.later(job(log, 'dropped').run);
  q.drop();
  await clock.advance(200);
  assert.deepEqual(log, ['start a', 'end a', 'start clear', 'end clear'], 'a dropped job never runs');
  assert.equal(q.idle, true);
  await q.settled;
});

test('a failing job is reported and does not stop the next', async () => {
  const errors: string[] = [];
  const log: string[] = [];
  const clock = fakeClock();
  const q = new LatestAfterIdle(10, (e) => errors.push(e.message), clock.timer);
  q.later(async () => {
    throw new Error('no editor');
  });
  await clock.advance(10);
  q.later(job(log, 'next').run);
  await clock.advance(10);
  assert.deepEqual(errors, ['no editor']);
  assert.deepEqual(log, ['start next', 'end next']);
  assert.equal(q.idle, true);
});
