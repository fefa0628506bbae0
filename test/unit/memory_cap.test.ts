/**
 * The memory cap of long runs, in the core: ScenarioRun and Search compare the host's measure, or
 * the model's own estimate (stateBytes, Search.estimatedBytes), with the cap every so often and
 * stop with one message past it. Expected sizes come from the page arithmetic next to them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitFlushesPer64G } from '../../src/review/compare';
import { memoryCapMessage, ResourceLimitError } from '../../src/model/errors';
import { Search } from '../../src/explore/search';
import { DEFAULT_BOUND } from '../../src/explore/scope';
import { builtinScenario } from '../../src/scenario/builtins';
import { bigGuest } from '../../src/scenario/generated';
import { initialState } from '../../src/run/initial_state';
import { stateBytes } from '../../src/model/state';
import { runScenario } from '../../src/run/run';
import { findPreset } from '../../src/kernel/variants';

const MiB = 2 ** 20;
const v7 = findPreset('v7')!;

describe('the memory cap in the core', () => {
  test('the message names what is in use and the cap, in MiB', () => {
    assert.equal(memoryCapMessage(5 * MiB, MiB), 'stopped at the memory cap: 5 MiB in use, the cap is 1 MiB');
    assert.equal(memoryCapMessage(1.25 * MiB, 0.5 * MiB), 'stopped at the memory cap: 1.3 MiB in use, the cap is 0.5 MiB');
  });

  test("stateBytes counts at least a memslot's dirty bitmap and its 4K rmap heads", () => {
    // bigGuest(1): one memslot of 512 * 512 = 262144 pages. The dirty bitmap is a byte a page and
    // the level-1 rmap a 4-byte head a page: at least 262144 * (1 + 4) bytes before any SP exists.
    assert.ok(stateBytes(initialState(bigGuest(1))) >= 262144 * 5);
  });

  test("the full-scale run stops at a 1 MiB cap with a ResourceLimitError, counting the model's state", () => {
    // bigGuest(64): 64 * 262144 = 2^24 pages, so a 16 MiB dirty bitmap alone: over 1 MiB at the
    // first check (after 4096 steps, long before the 166,000-odd steps of the whole run).
    assert.throws(() => splitFlushesPer64G(v7, { maxMemoryBytes: MiB }), (e: Error) => e instanceof ResourceLimitError && /^stopped at the memory cap: \d+(\.\d)? MiB in use, the cap is 1 MiB$/.test(e.message));
  });

  test("a host's own measure is what the cap compares, when it gives one", () => {
    let asked = 0;
    const memoryUsed = () => (asked++, 5 * MiB);
    assert.throws(() => runScenario(builtinScenario('reused-partial')!, { variant: v7, maxMemoryBytes: MiB, memoryUsed, memoryCheckSteps: 1 }), { name: 'ResourceLimitError', message: 'stopped at the memory cap: 5 MiB in use, the cap is 1 MiB' });
    assert.equal(asked, 1, 'checked once, at the first step (memoryCheckSteps: 1), and stopped there');
  });

  test('under a cap it stays below, a run is the same as without one', () => {
    const free = runScenario(builtinScenario('reused-partial')!, { variant: v7 });
    const capped = runScenario(builtinScenario('reused-partial')!, { variant: v7, maxMemoryBytes: 2 ** 40, memoryCheckSteps: 1 });
    assert.deepEqual(capped.counters, free.counters);
    assert.equal(capped.verdict, free.verdict);
  });

  test('the explorer without a measure of its own stops at the cap by its estimate', () => {
    // The packed engine's store starts with one chunk of 2^15 states of more than 100 bytes each
    // (over 3 MiB) before the first state is expanded, so a 512 KiB cap is passed at the first check.
    const search = new Search({ variant: findPreset('never-flush')!, bound: { ...DEFAULT_BOUND, ops: 2, accesses: 1 }, maxMemoryBytes: 512 * 1024 });
    while (!search.run(1000)) { /* to the end */ }
    const r = search.result();
    assert.equal(r.verdict, 'incomplete');
    assert.match(r.stopped ?? '', /^stopped at the memory cap: [\d.]+ MiB in use, the cap is 0.5 MiB$/);
  });
});
