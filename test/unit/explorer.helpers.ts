/** Shared by the explorer tests: the small bound they search (the CLI's default is larger). */
import assert from 'node:assert/strict';
import type { Bound, Scope } from '../../src/explore/scope';
import type { ExploreOptions, ExploreResult, Reduction } from '../../src/explore/result';
import { PackedSearch } from '../../src/explore/packed/search';
import { simulatedExplore } from '../../src/explore/packed/shared';

/** E = 2, up to 4 KVM operations (faults, enable and clear dirty log) and 2 guest accesses. */
export const TEST_BOUND: Bound = { entries: 2, ops: 4, accesses: 2, pages: 'few', kinds: ['enable', 'clear'] };

/**
 * A reduced search keeps what a reduction must keep (docs/explorer.md, "Reductions"): the verdict,
 * the shortest depth, the goals, the violation's kind and strength, the counterexample's length;
 * and it says which reduction it ran.
 */
export function assertSameOutcome(plain: ExploreResult, reduced: ExploreResult, reduce: Reduction): void {
  assert.notEqual(plain.verdict, 'incomplete');
  assert.equal(reduced.verdict, plain.verdict);
  assert.equal(reduced.depth, plain.depth, 'the shortest depth is kept');
  assert.deepEqual(reduced.reached, plain.reached, 'the goals reached are kept');
  assert.equal(reduced.violation?.kind, plain.violation?.kind);
  assert.equal(reduced.violation?.strength, plain.violation?.strength);
  assert.equal(reduced.actions?.length, plain.actions?.length);
  assert.equal(reduced.reduce, reduce);
}

/** A packed search run to its end (over `scope` where a test gives its own, else the bound's). */
export function finishedSearch(options: ExploreOptions, scope?: Scope): PackedSearch {
  const s = scope ? new PackedSearch(options, scope) : new PackedSearch(options);
  while (!s.run(1000));
  return s;
}

/** The single packed search's result: what the parallel searches must give, field for field. */
export function singleResult(options: ExploreOptions): ExploreResult {
  return finishedSearch(options).result();
}

/** Each stored state of a search, copied out of the store. */
export function storedStates(s: PackedSearch): Uint8Array[] {
  const L = s.model.L;
  const out: Uint8Array[] = [];
  s.forEachState((words, at) => {
    const st = new Uint8Array(L.size);
    L.load(new Int32Array(st.buffer), words, at);
    out.push(st);
  });
  return out;
}

/** What must not depend on how the search ran: everything but the clock and the memory held. */
export function withoutClock(r: ExploreResult): unknown {
  return { ...r, seconds: 0, statesPerSecond: 0, peakMemoryBytes: 0 };
}

/** A seeded generator (a linear congruential one): the same sequence every run. */
export function seeded(seed: number): (n: number) => number {
  let x = seed;
  return (n) => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x % n; };
}

/**
 * The shared search's simulated searchers give `want` (the single search's result), field for
 * field but the clock: 1, 2 and 3 searchers in turn; the same with blocks of 4 parents and steps of
 * 1 to 3 parents in an order seeded by `mixSeed + n`, so that copies of a state arrive from later
 * parents before earlier ones, as between real threads; and 3 searchers joining at levels 2 and 6
 * (the CLI's threads join once started) with blocks of 1, seeded by `lateSeed`, so that the
 * tables grow within levels too. `how` names the case in a failure.
 */
export async function assertSearchersAgree(options: ExploreOptions, want: ExploreResult, how: string, mixSeed: number, lateSeed: number): Promise<void> {
  for (const n of [1, 2, 3]) {
    const inTurn = await simulatedExplore(options, n);
    assert.deepEqual(withoutClock(inTurn.result), withoutClock(want), `${how}: ${n} searchers in turn`);
    const mixed = await simulatedExplore(options, n, seeded(mixSeed + n), 4);
    assert.deepEqual(withoutClock(mixed.result), withoutClock(want), `${how}: ${n} searchers interleaved`);
  }
  const late = await simulatedExplore(options, 3, seeded(lateSeed), 1, false, [0, 2, 6]);
  assert.deepEqual(withoutClock(late.result), withoutClock(want), `${how}: searchers joining at levels 2 and 6`);
}
