/**
 * The deterministic rules of the partitioned breadth-first search (parallel.ts, shard.ts): which
 * shard owns a state, the order states of one level are numbered in, and which counterexample is
 * reported. Pure functions on numbers, so that they are tested without threads.
 *
 * The order is the single search's own (search.ts): it numbers a level's states as it finds them,
 * expanding the level before in number order and each state's candidates in order, so a state's
 * number is the least (parent's number, candidate position) among the transitions that reach it
 * from the level before. That pair is a state's *key*. A shard that knows its parents' numbers
 * computes its new states' keys (the least over every copy that arrives, in any order), and the
 * numbers of a level are the keys' ranks over all shards (globalRanks()). So every shard count
 * numbers every state as the single search does, and the first violation in that order (the least
 * key among violating transitions of the least violating level) is the single search's.
 */

/**
 * The shard that owns a state of hash h among n: the hash's top bits (a shard's own table uses the
 * low bits for its slots, so each shard's slots stay evenly used).
 */
export function ownerOf(h: number, n: number): number {
  return Math.floor(((h >>> 0) * n) / 4294967296);
}

/** The least power of two above every candidate position: keys are parent * span + position. */
export function keySpan(candidates: number): number {
  let span = 1;
  while (span <= candidates) span *= 2;
  return span;
}

/** A transition's key: (the parent's number, the candidate's position) as one exact number. */
export function orderKey(parent: number, position: number, span: number): number {
  return parent * span + position;
}

/**
 * The offsets 0..n-1 in increasing order of keys[offset] (all distinct: one parent and one
 * candidate make one successor), and the keys in that order in `sorted`. A counting sort by
 * parent, whose numbers lie in [parentStart, parentStart + parents), then the few children of one
 * parent by position: linear where a comparison sort of millions of keys is not. The second step
 * compares `sorted`, read in order, not keys[out[j]]: after the counting sort `out` jumps about
 * `keys` (a shard's states arrive from every shard interleaved), and reading keys through it cost
 * two cache misses a state (6 % of a shard's time, measured with perf). `count` is scratch of at
 * least parents + 1.
 */
export function sortByKey(keys: Float64Array, n: number, span: number, parentStart: number, parents: number, count: Int32Array, out: Int32Array, sorted: Float64Array): void {
  for (let i = 0; i <= parents; i++) count[i] = 0;
  for (let i = 0; i < n; i++) count[Math.floor(keys[i] / span) - parentStart + 1]++;
  for (let i = 1; i <= parents; i++) count[i] += count[i - 1];
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    const at = count[Math.floor(k / span) - parentStart]++;
    out[at] = i;
    sorted[at] = k;
  }
  // Children of one parent are adjacent now; put each run in order (a few elements).
  for (let i = 1; i < n; i++) {
    const x = out[i];
    const kx = sorted[i];
    let j = i;
    while (j > 0 && sorted[j - 1] > kx) { out[j] = out[j - 1]; sorted[j] = sorted[j - 1]; j--; }
    out[j] = x;
    sorted[j] = kx;
  }
}

/**
 * The number of each of a shard's new states: `start` (the first number of the level) plus how
 * many keys of the whole level are less than its own, counted in its own sorted keys (its
 * position) and in each other shard's (a merge). `sorted` holds the shard's keys in order,
 * `others` the other shards' sorted keys; the result is by sorted position.
 */
export function globalRanks(start: number, sorted: Float64Array, others: Float64Array[], out: Int32Array): void {
  const n = sorted.length;
  for (let i = 0; i < n; i++) out[i] = start + i;
  for (const other of others) {
    let j = 0;
    for (let i = 0; i < n; i++) {
      const k = sorted[i];
      while (j < other.length && other[j] < k) j++;
      out[i] += j;
    }
  }
}

/** A violating transition: the parent's number and the candidate's position (its key). */
export interface ViolationAt {
  parent: number;
  position: number;
}

/**
 * The counterexample reported among violations of the least violating level: the least key, so
 * the one the single search meets first (its path is the least in the single search's order).
 */
export function leastViolation(found: ReadonlyArray<ViolationAt | null>): ViolationAt | null {
  let best: ViolationAt | null = null;
  for (const v of found) {
    if (!v) continue;
    if (!best || v.parent < best.parent || (v.parent === best.parent && v.position < best.position)) best = v;
  }
  return best;
}
