/**
 * Breadth-first search over explorer states with a visited set of canonical keys, so the first
 * violation found is at the least depth (a shortest counterexample, counted in transitions).
 * The search runs in slices (`run(ms)`) so that a caller can show progress and cancel it between
 * slices; it stops with a clear reason at a state or memory cap instead of running out of memory.
 */
import { memoryCapMessage } from '../model/errors';
import { stateBytes } from '../model/state';
import type { Violation } from '../model/step';
import { canonicalKey, KeyCodes } from './canon';
import { apply, candidateActions, rootNode, type Node } from './model';
import { makeScope, type Bound, type Scope } from './scope';
import { scopeLacks } from './packed_gt/covers';
import { PackedSearch } from './packed/search';
import { PackedGtSearch } from './packed_gt/search';
import { reducesByPor, reducesBySymmetry, searchResult, withTime, type ExploreOptions, type ExploreResult, type Verdict } from './result';
import type { SearchCounts } from './progress';

interface Entry {
  id: number;
  node: Node;
}

export const DEFAULT_MAX_STATES = 20_000_000;

/** The search with every transition run by the core (ExploreOptions.engine = 'core'). */
export class CoreSearch {
  readonly scope: Scope;
  private readonly visited = new Set<string>();
  /** Short names for the keys' long sections (canon.ts): this search's own. */
  private readonly codes = new KeyCodes();
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
  /** --reduce por (ExploreOptions.reduce): apply()'s footprint rule. */
  private readonly por: boolean;

  /** `scope`: makeScope()'s for the bound unless given (a test's scope with another flush mode). */
  constructor(readonly options: ExploreOptions, scope: Scope = makeScope(options.bound)) {
    this.scope = scope;
    this.por = reducesByPor(options.reduce);
    // The footprint is a mask of the split scope's frames (withFootprint() in model.ts).
    if (this.por && options.bound.scope === 'guest-tables') throw new Error('internal: --reduce por runs on the split scope only');
    this.now = options.now ?? Date.now;
    const root = rootNode(this.scope);
    this.visited.add(canonicalKey(root, this.codes));
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

  progress(): SearchCounts {
    return {
      states: this.states, transitions: this.transitions, depth: this.level, frontier: this.frontier.length - this.cursor + this.next.length, seconds: this.seconds,
      memoryBytes: this.memoryUsed(), ...(this.options.maxMemoryBytes ? { maxMemoryBytes: this.options.maxMemoryBytes } : {}),
    };
  }

  /** What the memory cap is compared with: the host's measure when it gives one, else the search's estimate. */
  private memoryUsed(): number {
    return this.options.memoryUsed ? this.options.memoryUsed() : this.estimatedBytes();
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
          const o = apply(scope, options.variant, entry.node, a, options.audit, this.por);
          if (!o) continue;
          this.transitions++;
          this.reachedMask |= o.reached;
          const found = options.until ? o.violations.filter((v) => v.kind === options.until) : o.violations;
          if (found.length) {
            const path = this.pathTo(entry.id);
            path.push(a);
            this.finish('violation', undefined, found[0], path, this.level + 1);
            return true;
          }
          const key = canonicalKey(o.node, this.codes);
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
            const used = this.memoryUsed();
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

/**
 * The engine a search with these options runs on, and, when it is the core though the options did
 * not ask for it, why (ExploreResult.engineFallback). Packed is the default in both scopes (the
 * guest-tables scope's since 2026-12-07, docs/explorer.md "Which engine"); the core runs when it is
 * asked for, or for what only it does: an audit and --until need every transition run by the core,
 * and a guest-tables menu with an action the packed model lacks (packed_gt/covers.ts; none today)
 * is searched by the core rather than refused, unless the packed engine was asked for by name.
 */
export interface EngineChoice {
  engine: 'packed' | 'core';
  /** Why the core runs where the packed engine is the default: "packed does not take --audit". */
  fallback?: string;
}

export function engineChoice(options: Pick<ExploreOptions, 'engine' | 'audit' | 'until'> & { bound?: Bound }): EngineChoice {
  if (options.engine === 'core') return { engine: 'core' };
  if (options.audit) return { engine: 'core', fallback: 'packed does not take --audit' };
  if (options.until) return { engine: 'core', fallback: 'packed does not take --until' };
  if (options.bound?.scope === 'guest-tables' && options.engine !== 'packed') {
    const lacks = scopeLacks(makeScope(options.bound));
    if (lacks.length) return { engine: 'core', fallback: `packed lacks ${lacks.join(', ')}` };
  }
  return { engine: 'packed' };
}

/**
 * The engine a search with these options runs on (engineChoice()). The workbench's Explore view
 * names it before the search has said anything.
 */
export function engineOf(options: Pick<ExploreOptions, 'engine' | 'audit' | 'until'> & { bound?: Bound }): 'packed' | 'core' {
  return engineChoice(options).engine;
}

/** A search with the engine the options ask for (engineChoice()). */
export class Search {
  private readonly engine: CoreSearch | PackedSearch | PackedGtSearch;
  /** Why the core runs where packed is the default (engineChoice()), said in the result. */
  private readonly fallback: string | undefined;

  constructor(options: ExploreOptions) {
    if (options.until && options.engine === 'packed') throw new Error('internal: --until runs on the core engine only');
    const choice = engineChoice(options);
    const core = choice.engine === 'core';
    this.fallback = choice.fallback;
    // The core engine's visited set is of keys; hash compaction is the packed search's.
    if (core && options.hashCompact) throw new Error('internal: hash compaction runs on the packed engine only (not with the core engine, an audit or --until)');
    // The page symmetry acts on the packed state (packed/page_symmetry.ts); the partial-order
    // reduction runs on both engines (model.ts, packed/model.ts).
    if (core && reducesBySymmetry(options.reduce)) throw new Error('internal: the symmetry over pages runs on the packed engine only (not with the core engine, an audit or --until)');
    // The guest-tables scope's packed search, asked for by name on a menu its model does not cover
    // whole (packed_gt/covers.ts), refuses it, naming what it lacks; unasked, engineChoice() took the core.
    this.engine = core ? new CoreSearch(options) : options.bound.scope === 'guest-tables' ? new PackedGtSearch(options) : new PackedSearch(options);
  }

  get finished(): boolean {
    return this.engine.finished;
  }

  progress(): SearchCounts {
    return this.engine.progress();
  }

  run(ms: number): boolean {
    return this.engine.run(ms);
  }

  cancel(): void {
    this.engine.cancel();
  }

  result(): ExploreResult {
    const r = this.engine.result();
    return this.fallback ? { ...r, engineFallback: this.fallback } : r;
  }
}

/** Run a search to its end in one go (tests, workers); `slice` lets a caller see progress. */
export function explore(options: ExploreOptions, onSlice?: (p: SearchCounts) => void): ExploreResult {
  const s = new Search(options);
  while (!s.run(200)) onSlice?.(s.progress());
  return s.result();
}
