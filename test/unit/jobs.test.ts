/**
 * Long jobs in workers (src/session/jobs.ts): what a worker posts for a job past its memory cap
 * (test/unit/memory_cap.test.ts has the cap itself), and the host's side of a worker, driven here
 * with a fake one: what runInWorker resolves, rejects and terminates for each thing a worker may do.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runInWorker, runJob, WorkerStartError, type JobWorker, type WorkerMessage } from '../../src/session/jobs';

const MiB = 2 ** 20;

describe("a worker's job (runJob)", () => {
  test('an explore job posts its result with what the bound could not reach (the view reads it)', () => {
    const posted: WorkerMessage[] = [];
    // 2 operations and 1 access cannot build a reused child with a present non-leaf entry
    // (test/unit/explorer_goals.test.ts): the worker's result must carry that it was not reached.
    runJob({ kind: 'explore', variant: 'never-flush', bound: { entries: 4, ops: 2, accesses: 1, pages: 'few' }, maxMemoryBytes: 256 * MiB }, (m) => posted.push(m));
    const last = posted[posted.length - 1] as { type: string; value: { result: { verdict: string; reached: { goal: string; reached: boolean }[] } } };
    assert.equal(last.type, 'result');
    assert.equal(last.value.result.verdict, 'no violation within the bound');
    assert.equal(last.value.result.reached.find((g) => g.goal === 'reused-child-present-nonleaf')?.reached, false);
  });

  test('a full-scale job past its cap posts one "stopped" and no result', () => {
    const posted: WorkerMessage[] = [];
    runJob({ kind: 'fullScale', variants: ['v7', 'pre-patch'], maxMemoryBytes: MiB }, (m) => posted.push(m));
    assert.equal(posted.length, 1);
    assert.equal(posted[0].type, 'stopped');
    assert.match((posted[0] as { reason: string }).reason, /^stopped at the memory cap: .* the cap is 1 MiB$/);
  });
});

/** A worker that does what the test tells it to, and says whether it was terminated. */
function fakeWorker() {
  let message: (m: unknown) => void = () => {};
  let failure: (e: Error) => void = () => {};
  const state = { terminated: 0 };
  const worker: JobWorker = {
    onMessage: (l) => (message = l),
    onFailure: (l) => (failure = l),
    terminate: () => void state.terminated++,
  };
  return { worker, send: (m: unknown) => message(m), fail: (e: Error) => failure(e), state };
}

function cancelSource() {
  const listeners: (() => void)[] = [];
  const token = {
    isCancellationRequested: false,
    onCancellationRequested(l: () => void) {
      listeners.push(l);
      return { dispose() {} };
    },
  };
  return { token, cancel: () => ((token.isCancellationRequested = true), listeners.forEach((l) => l())) };
}

const job = { kind: 'fullScale' as const, variants: ['v7'], maxMemoryBytes: MiB };
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the host's side of a worker (runInWorker)", () => {
  test('progress goes to the listener; the result resolves the job and the worker is terminated', async () => {
    const f = fakeWorker();
    const progress: unknown[] = [];
    const pending = runInWorker<number[]>(() => f.worker, job, (m) => progress.push(m), cancelSource().token);
    await tick();
    f.send({ type: 'progress', done: 1 });
    f.send({ type: 'result', value: [7] });
    assert.deepEqual(await pending, { kind: 'done', value: [7] });
    assert.deepEqual(progress, [{ type: 'progress', done: 1 }]);
    assert.equal(f.state.terminated, 1);
  });

  test('"stopped" resolves as stopped with its reason', async () => {
    const f = fakeWorker();
    const pending = runInWorker(() => f.worker, job, () => {}, cancelSource().token);
    await tick();
    f.send({ type: 'stopped', reason: 'stopped at the memory cap: 2 MiB in use, the cap is 1 MiB' });
    assert.deepEqual(await pending, { kind: 'stopped', reason: 'stopped at the memory cap: 2 MiB in use, the cap is 1 MiB' });
  });

  test('a cancellation resolves as cancelled and terminates the worker at once', async () => {
    const f = fakeWorker();
    const c = cancelSource();
    const pending = runInWorker(() => f.worker, job, () => {}, c.token);
    await tick();
    c.cancel();
    assert.deepEqual(await pending, { kind: 'cancelled' });
    assert.equal(f.state.terminated, 1);
  });

  test('a message that is not one of ours fails the job, saying why', async () => {
    const f = fakeWorker();
    const pending = runInWorker(() => f.worker, job, () => {}, cancelSource().token);
    await tick();
    f.send({ type: 'explode' });
    await assert.rejects(pending, /sent a message that is not one: unknown type "explode"/);
  });

  test('a worker that fails before saying anything is a WorkerStartError (the web host then runs the job in slices); after, a plain error', async () => {
    const early = fakeWorker();
    const first = runInWorker(() => early.worker, job, () => {}, cancelSource().token);
    await tick();
    early.fail(new Error('NetworkError: the script did not load'));
    await assert.rejects(first, (e: Error) => e instanceof WorkerStartError && /did not load/.test(e.message));

    const late = fakeWorker();
    const second = runInWorker(() => late.worker, job, () => {}, cancelSource().token);
    await tick();
    late.send({ type: 'progress', done: 1 });
    late.fail(new Error('out of memory'));
    await assert.rejects(second, (e: Error) => !(e instanceof WorkerStartError) && /out of memory/.test(e.message));
  });

  test('a worker that cannot be made is a WorkerStartError too', async () => {
    await assert.rejects(runInWorker(() => { throw new Error('Creating workers from remote extensions is currently not supported.'); }, job, () => {}, cancelSource().token), WorkerStartError);
  });
});
