// Explore Variant… (extension/explore.ts) against the vscode stub: the running search's progress
// is the notification's message, in the one wording the CLI prints (src/view/explore_progress.ts),
// and the notification's Cancel reaches the job. The progress records themselves are the core's
// (test/unit/explore_progress.test.ts); here only what the glue does with them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireVscodeAs, vscodeStub } from '../support/vscode-stub';
import type { Progress } from '../../src/explore/progress';
import type { ExploreJobResult, Jobs } from '../../src/session/jobs';
import { describeBound } from '../../src/explore/scope';
import { TEST_BOUND } from './explorer.helpers';

const stub = vscodeStub();
const restore = requireVscodeAs(stub);
/* eslint-disable @typescript-eslint/no-require-imports -- after the stub is in place */
const explore = require('../../extension/explore') as typeof import('../../extension/explore');
const { ExploreView } = require('../../extension/explore_view') as typeof import('../../extension/explore_view');
const { COMMANDS } = require('../../extension/commands') as typeof import('../../extension/commands');
/* eslint-enable @typescript-eslint/no-require-imports */
restore();

const window = stub.module.window as Record<string, unknown>;
const { CancellationTokenSource } = stub.module as unknown as { CancellationTokenSource: new () => { token: { isCancellationRequested: boolean; onCancellationRequested(l: () => void): { dispose(): void } }; cancel(): void } };
const MiB = 2 ** 20;

/** Two reports a search might send: the second a second later, with a recent rate below the average. */
const REPORTS: Progress[] = [
  { states: 250_000, transitions: 600_000, depth: 7, frontier: 90_000, seconds: 1, memoryBytes: 100 * MiB, maxMemoryBytes: 400 * MiB, statesPerSecond: 250_000, recentStatesPerSecond: 250_000 },
  { states: 400_000, transitions: 900_000, depth: 8, frontier: 120_000, seconds: 2, memoryBytes: 300 * MiB, maxMemoryBytes: 400 * MiB, statesPerSecond: 200_000, recentStatesPerSecond: 150_000 },
];

/** A notification as withProgress shows it: its options, the messages reported, and its Cancel. */
function notification() {
  const seen = { options: undefined as unknown as { title: string; cancellable: boolean }, messages: [] as string[], cancel: new CancellationTokenSource() };
  window.withProgress = (options: { title: string; cancellable: boolean }, task: (p: { report(v: { message?: string }): void }, token: unknown) => unknown) => {
    seen.options = options;
    return Promise.resolve(task({ report: (v) => { if (v.message !== undefined) seen.messages.push(v.message); } }, seen.cancel.token));
  };
  return seen;
}

/** Jobs whose explore reports REPORTS, then waits for its cancel (or ends at once when `wait` is false). */
function fakeJobs(wait: boolean) {
  const calls: { cancelled: boolean }[] = [];
  const jobs = {
    where: 'a test',
    explore(variant, bound, _limits, onProgress, cancel) {
      const call = { cancelled: false };
      calls.push(call);
      for (const p of REPORTS) onProgress(p);
      const result: ExploreJobResult = { result: { variant, bound, boundText: describeBound(bound), verdict: 'incomplete', stopped: 'cancelled', states: 400_000, transitions: 900_000, depth: 8, seconds: 2, statesPerSecond: 200_000, peakMemoryBytes: 300 * MiB } };
      if (!wait) return Promise.resolve(result);
      return new Promise((resolve) => cancel.onCancellationRequested(() => { call.cancelled = true; resolve(result); }));
    },
  } as Pick<Jobs, 'where' | 'explore'> as Jobs;
  return { jobs, calls };
}

/** The Explore view with a clock that stands still unless a test moves it, and the rows it was told changed. */
function exploreView() {
  const clock = { ms: 0 };
  const searches = new ExploreView(() => clock.ms);
  const changed: (number | undefined)[] = [];
  searches.onDidChangeTreeData((id) => changed.push(id));
  return { searches, clock, changed };
}

function controller(jobs: Jobs, searches = exploreView().searches) {
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  const table = { register: (id: string, h: (...args: unknown[]) => unknown) => void handlers.set(id, h) } as never;
  const parts = {
    log: { info() {}, warn() {}, error() {} },
    reports: { show: () => Promise.resolve(true) },
    jobs,
    counterexamples: {},
    searches,
    walkVariant: () => undefined,
  } as never;
  new explore.ExploreController(parts, table, ((fn: (...a: unknown[]) => unknown) => fn) as never);
  const run = (...args: unknown[]) => Promise.resolve(handlers.get(COMMANDS.explore)!(...args));
  return Object.assign(run, { command: (id: string, ...args: unknown[]) => handlers.get(id)!(...args) });
}

test('the notification says states, depth, both rates and memory against the cap, in the CLI\'s words', async () => {
  const shown = notification();
  const run = controller(fakeJobs(false).jobs);
  await run({ variant: 'v7', bound: TEST_BOUND });
  assert.equal(shown.options.title, 'KVM MMU Lab: exploring v7');
  assert.equal(shown.options.cancellable, true);
  // 100 of 400 MiB is 25 %, 300 of 400 is 75 %; the recent rate first, the average in brackets.
  assert.deepEqual(shown.messages, [
    'depth 7, 250,000 states, 250,000 states/s (average 250,000), 100 MiB of the 400 MiB memory cap (25%), 1.0 s',
    'depth 8, 400,000 states, 150,000 states/s (average 200,000), 300 MiB of the 400 MiB memory cap (75%), 2.0 s',
  ]);
});

test('Cancel on the notification cancels the running job, whose partial result is the command\'s', async () => {
  const shown = notification();
  const { jobs, calls } = fakeJobs(true);
  const run = controller(jobs);
  const pending = run({ variant: 'v7', bound: TEST_BOUND });
  // The job has reported and waits; the user presses Cancel.
  await new Promise((r) => setImmediate(r));
  assert.equal(shown.messages.length, 2);
  assert.equal(calls[0].cancelled, false);
  shown.cancel.cancel();
  const out = await pending as { verdict: string; stopped: string; states: number };
  assert.equal(calls[0].cancelled, true);
  assert.deepEqual({ verdict: out.verdict, stopped: out.stopped, states: out.states }, { verdict: 'incomplete', stopped: 'cancelled', states: 400_000 });
});

test('the Explore view: the running search\'s row with the progress line, its Cancel the notification\'s, then the row cancelled; Clear Finished', async () => {
  const shown = notification();
  const { jobs, calls } = fakeJobs(true);
  const { searches, changed } = exploreView();
  const run = controller(jobs, searches);
  const pending = run({ variant: 'v7', bound: TEST_BOUND });
  await new Promise((r) => setImmediate(r));
  const [row] = searches.rows();
  // The job passes no engine (nor an audit or --until): the packed engine. The row reads the
  // latest report, in the notification's own words.
  assert.deepEqual({ label: row.label, state: row.state, icon: row.icon }, { label: 'v7, packed engine', state: 'running', icon: 'loading~spin' });
  assert.equal(row.description, shown.messages[1]);
  // Redraws: the whole list once when the search started, then this row alone for the first
  // report; the second came at the same moment of the clock (less than 250 ms later), so its
  // redraw waits its turn instead of drawing the row twice at once.
  assert.deepEqual(changed, [undefined, row.id]);
  // The view's Cancel, with the row as its argument, is the notification's: the job sees it.
  run.command(COMMANDS.cancelSearch, row.id);
  const out = await pending as { stopped: string };
  assert.equal(calls[0].cancelled, true);
  assert.equal(out.stopped, 'cancelled');
  // The row shows it at once (the waiting redraw is dropped): where the search got to, from its last report.
  assert.deepEqual(changed, [undefined, row.id, row.id]);
  const [ended] = searches.rows();
  assert.deepEqual({ state: ended.state, icon: ended.icon, description: ended.description }, { state: 'cancelled', icon: 'circle-slash', description: 'cancelled at depth 8, after 400,000 states; 0.0 s' });
  // A Cancel on a row that has ended does nothing (no job is running to receive it).
  run.command(COMMANDS.cancelSearch, row.id);
  run.command(COMMANDS.clearFinishedSearches);
  assert.deepEqual(searches.rows(), []);
  assert.deepEqual(changed, [undefined, row.id, row.id, undefined]);
});
