/**
 * The partitioned breadth-first search of the packed model: N shards (shard.ts), each owning the
 * states whose hash it owns, searched one level at a time (level-synchronous: a barrier after each
 * level's exchange of successors and after its numbering). The coordinator below only sums,
 * decides and asks; the shards may run in one thread (InThreadShards, for tests) or on worker
 * threads (cli/parallel_explore.ts), through the same ShardGroup interface.
 *
 * What it reports is the single search's result (search.ts), whatever N: every level is numbered
 * in the single search's order (partition.ts), so a complete search has the same states,
 * transitions, depth and goals, and a violation is the single search's first one, reached by the
 * same chain of stored states, with the same states and transitions counted before it.
 */
import type { Violation } from '../../model/step';
import { memoryCapMessage } from '../../model/errors';
import { searchResult, withTime, type ExploreOptions, type ExploreResult, type Verdict } from '../result';
import type { SearchCounts } from '../progress';
import { makeScope } from '../scope';
import { PackedModel } from './model';
import { Canonicalizer, confirmWithCore, DEFAULT_MAX_STATES, rebuildPackedPath } from './search';
import { leastViolation, type ViolationAt } from './partition';
import { PackedShard, type Settled, type ShardLevel, type StoredState } from './shard';

/** The shards, however they run. Each call is answered by every shard (or the one asked). */
export interface ShardGroup {
  readonly shards: number;
  /** Every shard expands its part of the level; successors are exchanged; each one's report. */
  level(): Promise<ShardLevel[]>;
  /** Number the next level from every shard's sorted keys; its first number is `start`. */
  number(start: number, total: number, keys: Float64Array[]): Promise<void>;
  settle(v: ViolationAt): Promise<Settled[]>;
  state(shard: number, local: number): Promise<StoredState>;
}

/** What the coordinator tells whoever watches at the end of each level: the counts, the shards' memory summed against the whole budget. */
export type ParallelProgress = SearchCounts;

/** Run the partitioned search to its end (or its cap, or its group's failure). */
export async function parallelExplore(options: ExploreOptions, group: ShardGroup, onLevel?: (p: ParallelProgress) => void): Promise<ExploreResult> {
  // The shards' tables hold places; hash compaction is the single search's (search.ts).
  if (options.reduce) throw new Error('internal: the reductions run on the single search only, not on several workers');
  if (options.hashCompact) throw new Error('internal: hash compaction runs on the single search only, not on several workers');
  const now = options.now ?? Date.now;
  const t0 = now();
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  let states = 1;
  let first = 0;
  let total = 1;
  let depth = 0;
  let peak = 0;
  let transitions = 0;
  const finish = (verdict: Verdict, counts: { states: number; transitions: number; reached: number; depth: number }, stopped?: string, violation?: Violation, actions?: number[]) =>
    withTime(searchResult(options, {
      verdict, stopped, violation, actions, states: counts.states, transitions: counts.transitions,
      depth: counts.depth, peakMemoryBytes: peak, engine: 'packed', reachedMask: counts.reached,
    }), (now() - t0) / 1000);
  for (;;) {
    const reports = await group.level();
    transitions += sum(reports.map((r) => r.transitions));
    const soFar = transitions;
    const bytes = sum(reports.map((r) => r.bytes));
    if (bytes > peak) peak = bytes;
    const reached = reports.reduce((m, r) => m | r.reached, 0);
    const newStates = sum(reports.map((r) => r.newStates));
    onLevel?.({
      states: states + newStates, transitions: soFar, depth, frontier: newStates, seconds: (now() - t0) / 1000, memoryBytes: bytes,
      ...(options.maxMemoryBytes !== undefined ? { maxMemoryBytes: options.maxMemoryBytes * group.shards } : {}),
    });
    // A shard over its share of the budget: the message names the whole budget and the shares.
    const over = reports.some((r) => r.overMemory) && options.maxMemoryBytes !== undefined;
    const stopped = over
      ? `${memoryCapMessage(bytes, options.maxMemoryBytes! * group.shards)} (${group.shards} threads, each at most an equal share)`
      : reports.find((r) => r.stopped)?.stopped;
    if (stopped) return finish('incomplete', { states: states + newStates, transitions: soFar, reached, depth }, stopped);
    const v = leastViolation(reports.map((r) => r.violation));
    if (v) {
      const settled = await group.settle(v);
      const owner = reports.findIndex((r) => r.violation !== null && r.violation.parent === v.parent);
      const { actions, violation } = await counterexample(options, group, owner, reports[owner].violationLocal);
      return finish('violation', {
        states: sum(settled.map((s) => s.states)), transitions: sum(settled.map((s) => s.transitions)),
        reached: settled.reduce((m, s) => m | s.reached, 0) | violation.reached, depth: actions.length,
      }, undefined, violation.violation, actions);
    }
    if (newStates === 0) return finish('no violation within the bound', { states, transitions: soFar, reached, depth });
    states += newStates;
    if (states >= maxStates) {
      return finish('incomplete', { states, transitions: soFar, reached, depth }, `stopped at the state cap of ${maxStates} distinct states (raise it with --max-states)`);
    }
    await group.number(first + total, newStates, reports.map((r) => r.keys));
    first += total;
    total = newStates;
    depth++;
  }
}

function sum(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/**
 * The violating transition's path: the chain of stored states from the violating transition's
 * parent back to the initial state (each state's least-key parent), then the actions that
 * single search would rebuild from it, replayed through the core.
 */
async function counterexample(options: ExploreOptions, group: ShardGroup, shard: number, local: number): Promise<{ actions: number[]; violation: { violation: Violation; reached: number } }> {
  const chain: StoredState[] = [];
  for (let s = shard, i = local; i >= 0;) {
    const st = await group.state(s, i);
    chain.push(st);
    s = st.parentShard;
    i = st.parentLocal;
  }
  chain.reverse();
  const scope = makeScope(options.bound);
  const model = new PackedModel(scope, options.variant);
  const targets = chain.slice(1).map((st) => ({ words: st.words, at: 0 }));
  const actions = rebuildPackedPath(model, new Canonicalizer(model.L), targets);
  if (!model.violation) throw new Error('internal: the rebuilt path ends without a violation');
  return { actions, violation: { violation: confirmWithCore(scope, options.variant, actions, model.violation), reached: model.reached } };
}

/**
 * N shards in this thread, one after the other: every shard expands its level, then every shard
 * absorbs what the others sent. For tests, and as the definition the threaded group must agree
 * with. `shuffle` (a seeded order) absorbs the batches in another order, to show it changes nothing.
 */
export class InThreadShards implements ShardGroup {
  readonly list: PackedShard[] = [];
  /** Batches sent between shards so far. */
  batches = 0;

  /** `outboxWords`: each shard's outbox size (small in tests, so that buffers are recycled often). */
  constructor(options: ExploreOptions, readonly shards: number, private readonly shuffle?: (n: number) => number, outboxWords?: number) {
    for (let i = 0; i < shards; i++) this.list.push(new PackedShard(options, i, shards, outboxWords));
  }

  level(): Promise<ShardLevel[]> {
    const inbox: Array<Array<{ batch: Int32Array; from: number }>> = this.list.map(() => []);
    for (const s of this.list) {
      // Batches are taken while the shard expands, as the threads take them.
      let done = false;
      while (!done) {
        done = s.expand(500);
        for (let p = 0; p < this.shards; p++) if (p !== s.index) for (const batch of s.takeOutgoing(p, done)) { inbox[p].push({ batch, from: s.index }); this.batches++; }
      }
    }
    for (const s of this.list) {
      const mine = inbox[s.index];
      if (this.shuffle) for (let i = mine.length - 1; i > 0; i--) { const j = this.shuffle(i + 1); const t = mine[i]; mine[i] = mine[j]; mine[j] = t; }
      // Read, then given back to its sender to be filled again (as a thread sends it back).
      for (const m of mine) { s.absorb(m.batch, m.from); this.list[m.from].recycle(m.batch); }
    }
    return Promise.resolve(this.list.map((s) => s.endLevel()));
  }

  number(start: number, total: number, keys: Float64Array[]): Promise<void> {
    for (const s of this.list) s.number(start, total, keys.filter((_, i) => i !== s.index));
    return Promise.resolve();
  }

  settle(v: ViolationAt): Promise<Settled[]> {
    return Promise.resolve(this.list.map((s) => s.settle(v)));
  }

  state(shard: number, local: number): Promise<StoredState> {
    return Promise.resolve(this.list[shard].state(local));
  }
}
