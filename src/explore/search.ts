/**
 * Breadth-first search over explorer states with a visited set of canonical keys, so the first
 * violation found is at the least depth (a shortest counterexample, counted in transitions).
 * The search runs in slices (`run(ms)`) so that a caller can show progress and cancel it between
 * slices; it stops with a clear reason at a state or memory cap instead of running out of memory.
 */
import { memoryCapMessage } from '../engine/errors';
import { stateBytes } from '../state';
import type { Violation } from '../trace/types';
import type { Variant } from '../variants';
import { canonicalKey } from './canon';
import { apply, candidateActions, rootNode, type Node } from './model';
import { makeScope, type Bound, type Scope } from './scope';
import { PackedSearch } from './packed/search';
import { searchResult, withTime } from './result';
import type { GoalReach } from './goals';

export interface ExploreOptions {
  variant: Variant;
  bound: Bound;
  /** Stop (verdict "incomplete") after this many distinct states. */
  maxStates?: number;
  /** Run the whole-state structural audit after every transition (slower; the per-step checks always run). */
  audit?: boolean;
  /** Bytes in use now; the CLI passes the process's heap use. Without it, the cap counts the search's own estimate (estimatedBytes). */
  memoryUsed?: () => number;
  /** Stop (verdict "incomplete") when memoryUsed() goes above this. */
  maxMemoryBytes?: number;
  /** Milliseconds clock (Date.now by default). */
  now?: () => number;
  /**
   * packed (the default): the packed model of the scope (packed/), whose counterexamples the core
   * confirms; core: every transition run by the core itself (slower; --audit implies it).
   */
  engine?: 'packed' | 'core';
}

export type Verdict = 'violation' | 'no violation within the bound' | 'incomplete';

export interface ExploreResult {
  variant: string;
  bound: Bound;
  boundText: string;
  verdict: Verdict;
  /** Why an incomplete search stopped. */
  stopped?: string;
  violation?: Violation;
  /** The counterexample as actions from the initial state (see model.ts). */
  actions?: number[];
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  statesPerSecond: number;
  peakMemoryBytes: number;
  /** Which engine searched (ExploreOptions.engine). */
  engine?: 'packed' | 'core';
  /**
   * The hazard preconditions (goals.ts) that apply to the variant, each with whether some
   * transition of the search reached it: what a clean bound could not reach.
   */
  reached?: GoalReach[];
}

export interface Progress {
  states: number;
  transitions: number;
  depth: number;
  frontier: number;
  seconds: number;
}

interface Entry {
  id: number;
  node: Node;
}

export const DEFAULT_MAX_STATES = 20_000_000;

/** The search with every transition run by the core (ExploreOptions.engine = 'core'). */
export class CoreSearch {
  readonly scope: Scope;
  private readonly visited = new Set<string>();
  private parent = new Int32Array(1 << 16);
  private action = new Int32Array(1 << 16);
  private frontier: Entry[] = [];
  private next: Entry[] = [];
  private cursor = 0;
  private level = 0;
  private states = 0;
  private transitions = 0;
  private seconds = 0;
  private peak = 0;
  /** Characters in the visited set's keys, for estimatedBytes(). */
  private keyChars = 0;
  /** Goals (goals.ts) reached by the transitions so far. */
  private reachedMask = 0;
  private done = false;
  private out: ExploreResult | null = null;
  private readonly now: () => number;

  constructor(readonly options: ExploreOptions) {
    this.scope = makeScope(options.bound);
    this.now = options.now ?? Date.now;
    const root = rootNode(this.scope);
    this.visited.add(canonicalKey(root));
    this.record(-1, 0);
    this.frontier.push({ id: 0, node: root });
  }

  private record(parent: number, action: number): number {
    const id = this.states++;
    if (id >= this.parent.length) {
      const p = new Int32Array(this.parent.length * 2); p.set(this.parent); this.parent = p;
      const a = new Int32Array(this.action.length * 2); a.set(this.action); this.action = a;
    }
    this.parent[id] = parent;
    this.action[id] = action;
    return id;
  }

  private pathTo(id: number): number[] {
    const out: number[] = [];
    for (let i = id; i > 0; i = this.parent[i]) out.push(this.action[i]);
    return out.reverse();
  }

  get finished(): boolean {
    return this.done;
  }

  progress(): Progress {
    return { states: this.states, transitions: this.transitions, depth: this.level, frontier: this.frontier.length - this.cursor + this.next.length, seconds: this.seconds };
  }

  /** Work for about `ms` milliseconds; true when the search is over. */
  run(ms: number): boolean {
    if (this.done) return true;
    const t0 = this.now();
    const { scope, options } = this;
    const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
    let checks = 0;
    try {
      for (;;) {
        if (this.cursor >= this.frontier.length) {
          if (this.next.length === 0) { this.finish('no violation within the bound'); return true; }
          this.frontier = this.next;
          this.next = [];
          this.cursor = 0;
          this.level++;
        }
        const entry = this.frontier[this.cursor];
        this.frontier[this.cursor++] = undefined as unknown as Entry;
        for (const a of candidateActions(scope, entry.node)) {
          const o = apply(scope, options.variant, entry.node, a, options.audit);
          if (!o) continue;
          this.transitions++;
          this.reachedMask |= o.reached;
          if (o.violations.length) {
            const path = this.pathTo(entry.id);
            path.push(a);
            this.finish('violation', undefined, o.violations[0], path, this.level + 1);
            return true;
          }
          const key = canonicalKey(o.node);
          if (this.visited.has(key)) continue;
          this.visited.add(key);
          this.keyChars += key.length;
          this.next.push({ id: this.record(entry.id, a), node: o.node });
        }
        if (this.states >= maxStates) {
          this.finish('incomplete', `stopped at the state cap of ${maxStates} distinct states (raise it with --max-states)`);
          return true;
        }
        if ((++checks & 15) === 0) {
          const t = this.now();
          if (options.memoryUsed || options.maxMemoryBytes) {
            const used = options.memoryUsed ? options.memoryUsed() : this.estimatedBytes();
            if (used > this.peak) this.peak = used;
            if (options.maxMemoryBytes && used > options.maxMemoryBytes) {
              this.finish('incomplete', memoryCapMessage(used, options.maxMemoryBytes));
              return true;
            }
          }
          if (t - t0 >= ms) break;
        }
      }
    } finally {
      this.seconds += (this.now() - t0) / 1000;
    }
    return false;
  }

  /**
   * About how many bytes the search holds: its visited keys (a byte a character and a set entry
   * each), the parent links, and the states waiting in the frontier (the first one's size each).
   * For hosts with no measure of their own heap (a Web Worker).
   */
  estimatedBytes(): number {
    const waiting = this.frontier.length - this.cursor + this.next.length;
    const sample = this.next[0] ?? this.frontier[this.frontier.length - 1];
    const perState = sample ? stateBytes(sample.node.state) + 256 : 0;
    return this.keyChars + 48 * this.visited.size + this.parent.byteLength + this.action.byteLength + waiting * perState;
  }

  /** Stop now (cancelled by the user). */
  cancel(): void {
    if (!this.done) this.finish('incomplete', 'cancelled');
  }

  private finish(verdict: Verdict, stopped?: string, violation?: Violation, actions?: number[], depth?: number): void {
    this.done = true;
    if (this.options.memoryUsed) this.peak = Math.max(this.peak, this.options.memoryUsed());
    this.out = searchResult(this.options, {
      verdict, stopped, violation, actions, states: this.states, transitions: this.transitions,
      depth: depth ?? this.level, peakMemoryBytes: this.peak, engine: 'core', reachedMask: this.reachedMask,
    });
    this.frontier = [];
    this.next = [];
  }

  result(): ExploreResult {
    return withTime(this.out, this.seconds);
  }
}

/** A search with the engine the options ask for (packed unless core or an audit is asked). */
export class Search {
  private readonly engine: CoreSearch | PackedSearch;

  constructor(options: ExploreOptions) {
    this.engine = options.engine === 'core' || options.audit ? new CoreSearch(options) : new PackedSearch(options);
  }

  get finished(): boolean {
    return this.engine.finished;
  }

  progress(): Progress {
    return this.engine.progress();
  }

  run(ms: number): boolean {
    return this.engine.run(ms);
  }

  cancel(): void {
    this.engine.cancel();
  }

  result(): ExploreResult {
    return this.engine.result();
  }
}

/** Run a search to its end in one go (tests, workers); `slice` lets a caller see progress. */
export function explore(options: ExploreOptions, onSlice?: (p: Progress) => void): ExploreResult {
  const s = new Search(options);
  while (!s.run(200)) onSlice?.(s.progress());
  return s.result();
}
