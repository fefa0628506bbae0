/**
 * Breadth-first search of the guest-tables scope over packed states (layout.ts, model.ts), the
 * store and the batch lookup of the split scope's packed search (../packed/visited.ts): canonical
 * forms (canonGt(), the vCPU swap) stored back to back, each in the words it uses (its SP slots in
 * use and its paused frames, the model's zero words left out) without their zero words
 * (squeeze.ts), in chunks that are also the BFS queue; an open-addressing table of (place + 1,
 * hash); each state's parent by number. docs/explorer.md, "The search and the store".
 *
 * A successor is made in the slot where it waits for its lookup (PackedGtModel.useBuffer()), put
 * in canonical form there (canonGtInPlace()), and looked up BATCH at a time (visited.ts's warm(), then rhProbe()
 * for each in the order they were made), so states are numbered, counted and capped exactly as one
 * at a time would. The candidates of a state are the core's (candidateActions() in ../model.ts),
 * read off the words, in the same order; a candidate the model answers UNSUPPORTED stops the search
 * with an error naming it: it is never skipped, because a skipped action is states not searched
 * and a "no violation" that does not hold. The constructor refuses a scope whose menu has an action
 * the model lacks (covers.ts), so on such a scope the search never starts.
 *
 * A violation's path is rebuilt from the initial state by matching canonical forms (the stored
 * chain is of canonical forms, whose actions name the vCPUs as the canonical form has them), as
 * the core's own actions, and replayed through the core, which must report the same violation at
 * the same transition.
 */
import type { Violation } from '../../model/step';
import { apply as coreApply, rootNode, STEP, RESUME_BASE, type Node } from '../model';
import { makeScope, type Scope } from '../scope';
import { searchResult, withTime, type ExploreOptions, type ExploreResult, type Verdict } from '../result';
import { memoryCapMessage } from '../../model/errors';
import type { SearchCounts } from '../progress';
import { BATCH, CHUNK_BITS, CHUNK_MASK, CHUNK_WORDS, MAX_CHUNKS, pendingSlots, warm } from '../packed/visited';
import { ByState } from '../packed/by_state';
import { confirmWithCore, DEFAULT_MAX_BYTES, DEFAULT_MAX_STATES, hashWords } from '../packed/search';
import { abstractGtRaw } from './abstraction';
import { canonGtInPlace } from './canon';
import { scopeLacks } from './covers';
import { F_KIND, type GtLayout } from './layout';
import { PackedGtModel, type GtViolation } from './model';
import { SQUEEZE_MAX_USED, gtLoad, gtSqueeze, squeezedRoom } from './squeeze';
import { rhFull, rhPlace, rhProbe, rhRehashed } from './table';

/** What a candidate is, read once from the menu: an access, a write, or an operation's start. */
const C_ACCESS = 0;
const C_WRITE = 1;
const C_START = 2;
const C_INVALIDATE = 3;

/**
 * The core's candidateActions() (../model.ts) from the words: nothing after the host oopsed; STEP
 * when an operation runs; the accesses while the bound allows one (with mmu_lock held, only after a
 * visible step: reduction 4); the write where an operation could start, once a path; a start while
 * operations are left; the resumes where an operation could start. A bugged VM runs no vCPU and no
 * VM ioctl: only invalidations and the VMM's write. mmu_lock free is "an operation could start":
 * the running operation is interruptible unless it holds mmu_lock, and a paused one never holds it.
 */
export function gtCandidates(model: PackedGtModel, lists: Int32Array[], w: Uint8Array, out: Int32Array): number {
  const L = model.L;
  const bound = model.scope.bound;
  let n = 0;
  if (w[L.dead] & 2) return 0;
  if (w[L.cur + F_KIND]) out[n++] = STEP;
  const free = w[L.lock] === 0;
  const bugged = (w[L.dead] & 1) !== 0;
  // Which kinds are candidates here (a bit each); the menu's candidates are then a list by those bits.
  let on = 0;
  if (!bugged && w[L.acc] < bound.accesses && (free || w[L.fresh] !== 0)) on |= 1 << C_ACCESS;
  if (free && w[L.writes] < 1) on |= 1 << C_WRITE;
  if (free && w[L.ops] < bound.ops) on |= (bugged ? 0 : 1 << C_START) | (1 << C_INVALIDATE);
  const list = lists[on];
  for (let i = 0; i < list.length; i++) out[n++] = list[i];
  if (free) for (let i = 0; i < w[L.npaused]; i++) out[n++] = RESUME_BASE - i;
  return n;
}

/**
 * gtCandidates()'s menu part, made once for the scope's menu: for each set of candidate kinds (a
 * bit by kind, 16 sets), the menu's actions of those kinds in menu order, instead of a test on
 * every action of every state expanded.
 */
export function gtCandidateLists(scope: Scope): Int32Array[] {
  const kinds = scope.menu.map((a) => (a.t === 'access' ? C_ACCESS : a.t === 'guest-table-write' ? C_WRITE : a.t === 'invalidate' ? C_INVALIDATE : C_START));
  const lists: Int32Array[] = [];
  for (let on = 0; on < 16; on++) lists.push(Int32Array.from(kinds.flatMap((k, i) => ((on >> k) & 1 ? [i] : []))));
  return lists;
}

export class PackedGtSearch {
  readonly scope: Scope;
  readonly model: PackedGtModel;
  private readonly L: GtLayout;
  private readonly size: number;
  private readonly words: number;
  /** A pending slot's words: the model's words, then the squeezed form's room (squeeze.ts). */
  private readonly stride: number;
  /** The states, each squeezed (squeeze.ts) from the words it uses (gtPack()). */
  private readonly chunks: Int32Array[] = [];
  private chunkFill = CHUNK_WORDS;
  private current = -1;
  /** Each state's place (chunk << CHUNK_BITS | word), by number (in chunks: never copied). */
  private readonly place = new ByState((n) => new Int32Array(n));
  /** Pairs (place + 1, hash) by slot, in Robin Hood order (table.ts). */
  private table = new Int32Array(1 << 15);
  private readonly parent = new ByState((n) => new Int32Array(n));
  private count = 0;
  private cursor = 0;
  private levelEnd = 1;
  private level = 0;
  private transitions = 0;
  private reachedMask = 0;
  /**
   * Milliseconds searched, summed over run()'s slices and divided by 1000 only when read: kept in
   * seconds, the field began as 0 (a small integer to V8) and became a fraction at the end of the
   * first slice, a change of the field's representation that threw away the compiled code of every
   * method that reads the search's fields (a "wrong map" deoptimisation of insert(), a lazy one of
   * lookUpPending(), each compiled again; docs/explorer.md, "Where the guest-tables search's CPU
   * goes"). Date.now() gives whole milliseconds, but as a number V8 keeps as a double (it is past
   * 2^31), and so is the difference of two: Math.round() gives it back as a small integer. A clock
   * with fractions (options.now) is summed a whole millisecond a slice.
   */
  private elapsedMs = 0;
  private peak = 0;
  private done = false;
  private out: ExploreResult | null = null;
  private readonly lists: Int32Array[];
  private readonly cands: Int32Array;
  /** The state being expanded, whole (gtLoad()): what every transition reads, and nothing writes but load(). */
  private readonly from: Uint8Array;
  private readonly fromWords: Int32Array;
  /** The places of `from`'s nonzero words, fromSet of them (gtLoad()). */
  private readonly fromPlaces: Int32Array;
  private fromSet = 0;
  /** canonGtInPlace()'s buffer for a frame image. */
  private readonly scratch: Uint8Array;
  private readonly pending: Int32Array;
  private readonly pendingBytes: Uint8Array[];
  private readonly pendingWords: Int32Array[];
  private readonly pendingHash: Int32Array;
  private readonly pendingUsed: Int32Array;
  private readonly pendingParent: Int32Array;
  private npending = 0;
  /** Where warm()'s loads leave their value (public, so that the compiler keeps them). */
  sink = 0;
  private readonly now: () => number;

  /** `scope`: makeScope()'s for the bound unless given (the tests' scopes with a filtered menu). */
  constructor(readonly options: ExploreOptions, scope: Scope = makeScope(options.bound)) {
    this.scope = scope;
    if (scope.bound.scope !== 'guest-tables') throw new Error('internal: the guest-tables packed search runs on the guest-tables scope');
    if (options.hashCompact || options.reduce) throw new Error('internal: hash compaction and the reductions run on the split scope\'s packed search only');
    if (options.until) throw new Error('internal: --until runs on the core engine only');
    if (scope.reduction4) throw new Error('internal: the guest-tables packed model keeps reduction 4');
    const lacks = scopeLacks(scope);
    if (lacks.length) throw new Error(`the guest-tables scope's packed engine lacks ${lacks.join(', ')} (docs/explorer.md, "The packed engine for the guest-tables scope"); search it with the core engine`);
    this.model = new PackedGtModel(scope, options.variant);
    this.L = this.model.L;
    this.size = this.L.size;
    this.words = this.size >> 2;
    this.now = options.now ?? Date.now;
    this.lists = gtCandidateLists(scope);
    this.cands = new Int32Array(scope.menu.length + 1 + this.L.nf);
    this.from = new Uint8Array(this.size);
    this.fromWords = new Int32Array(this.from.buffer);
    this.fromPlaces = new Int32Array(this.words);
    this.scratch = new Uint8Array(this.size);
    if (this.words > SQUEEZE_MAX_USED) throw new Error('internal: the guest-tables packed state is longer than a squeezed form can count');
    if (this.L.nsps >= this.L.sp || (this.L.nsps >> 2) >= 31) throw new Error('internal: gtUnsqueeze() reads the SP count among the first 31 words');
    this.stride = this.words + squeezedRoom(this.words);
    const room = BATCH + this.cands.length;
    ({ all: this.pending, bytes: this.pendingBytes, words: this.pendingWords } = pendingSlots(room, this.stride, 0, this.size));
    this.pendingHash = new Int32Array(room);
    this.pendingUsed = new Int32Array(room);
    this.pendingParent = new Int32Array(room);
    const init = this.initialWords();
    canonGtInPlace(this.L, init, this.scratch);
    const cw = new Int32Array(squeezedRoom(this.words));
    const used = gtSqueeze(this.L, init, new Int32Array(init.buffer), cw, 0);
    const h = hashWords(cw, 0, used);
    this.insert(cw, 0, h, used, -1, -1 - rhProbe(this.table, this.chunks, cw, 0, h, used));
  }

  /** The initial state's words, the vCPUs as the core has them. */
  private initialWords(): Uint8Array {
    return abstractGtRaw(this.L, rootNode(this.scope));
  }

  get finished(): boolean {
    return this.done;
  }

  private bytes(): number {
    return this.chunks.length * CHUNK_WORDS * 4 + this.table.byteLength + this.parent.byteLength + this.place.byteLength;
  }

  private memoryUsed(): number {
    return Math.max(this.bytes(), this.options.memoryUsed ? this.options.memoryUsed() : 0);
  }

  progress(): SearchCounts {
    return {
      states: this.count, transitions: this.transitions, depth: this.level, frontier: this.count - this.cursor, seconds: this.elapsedMs / 1000,
      memoryBytes: this.memoryUsed(), maxMemoryBytes: this.options.maxMemoryBytes ?? DEFAULT_MAX_BYTES,
    };
  }

  /** Store a new state (its squeezed form cw[at..at+used), hash h) at table slot `slot`, where rhProbe() found it goes. */
  private insert(cw: Int32Array, at: number, h: number, used: number, parent: number, slot: number): void {
    const index = this.count++;
    if (this.chunkFill + used > CHUNK_WORDS) {
      if (this.chunks.length >= MAX_CHUNKS) throw new RangeError('internal: the state store is full (run() stops a chunk before)');
      const words = new Int32Array(CHUNK_WORDS);
      this.chunks.push(words);
      this.current = this.chunks.length - 1;
      this.chunkFill = 0;
    }
    const ref = (this.current << CHUNK_BITS) | this.chunkFill;
    const words = this.chunks[this.current];
    const base = this.chunkFill;
    for (let k = 0; k < used; k++) words[base + k] = cw[at + k];
    this.chunkFill += used;
    this.place.set(index, ref);
    this.parent.set(index, parent);
    rhPlace(this.table, slot, ref + 1, h);
    if (rhFull(this.table, this.count)) this.table = rhRehashed(this.table);
  }

  /** Load stored state i into `from` (the model's words, whole): the last one's nonzero words cleared, this one's put in (gtLoad()). */
  private load(i: number): void {
    const ref = this.place.get(i);
    this.fromSet = gtLoad(this.L, this.chunks[ref >>> CHUNK_BITS], ref & CHUNK_MASK, this.fromWords, this.fromPlaces, this.fromSet);
    // The model keeps the walks of `from` until the next load (PackedGtModel.parentWalk()).
    this.model.expanding(this.from);
  }

  /** Work for about `ms` milliseconds; true when the search is over. */
  run(ms: number): boolean {
    if (this.done) return true;
    const t0 = this.now();
    const { model, options, cands, lists, from, L } = this;
    const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
    const maxBytes = options.maxMemoryBytes ?? DEFAULT_MAX_BYTES;
    model.useBuffer(this.pendingBytes[this.npending]);
    try {
      for (let batch = 0; ; batch++) {
        if (this.npending >= BATCH || (this.npending > 0 && (this.cursor === this.levelEnd || this.cursor >= this.count))) {
          if (this.lookUpPending()) return true;
          model.useBuffer(this.pendingBytes[0]);
        }
        if (this.cursor >= this.count) { this.finish('no violation within the bound'); return true; }
        if (this.chunks.length >= MAX_CHUNKS - 1) {
          this.finish('incomplete', `stopped at the state store's limit of ${Math.round(MAX_CHUNKS * CHUNK_WORDS * 4 / 2 ** 30)} GiB (lower the bound)`);
          return true;
        }
        if (this.cursor === this.levelEnd) { this.level++; this.levelEnd = this.count; }
        this.load(this.cursor);
        const n = gtCandidates(model, lists, from, cands);
        for (let k = 0; k < n; k++) {
          const r = model.apply(from, cands[k]);
          // Compared with the booleans, not with UNSUPPORTED: V8 compares a value with true or false
          // by reference, but with a string, where apply()'s answers are of both types, it called
          // its StrictEqual builtin, 11.4 M times at --entries 4 --accesses 3 (0.6 % of the
          // instructions: docs/explorer.md, "The stale-TLB check, measured").
          if (r !== true) {
            if (r === false) continue;
            throw new Error(`internal: the guest-tables packed model has no transition for ${this.actionText(cands[k])}, which the scope offers (state ${this.cursor}, depth ${this.level}); the search stops rather than skip it`);
          }
          this.transitions++;
          this.reachedMask |= model.reached;
          if (model.violation) {
            if (this.npending > 0 && this.lookUpPending()) return true;
            this.violationFound(this.cursor);
            return true;
          }
          const j = this.npending++;
          const s = this.pendingBytes[j];
          if (model.s !== s) throw new Error('internal: a packed_gt transition made its successor outside successor()');
          canonGtInPlace(L, s, this.scratch);
          const c = j * this.stride + this.words;
          const used = gtSqueeze(L, s, this.pendingWords[j], this.pending, c);
          this.pendingHash[j] = hashWords(this.pending, c, used);
          this.pendingUsed[j] = used;
          this.pendingParent[j] = this.cursor;
          model.useBuffer(this.pendingBytes[j + 1]);
        }
        this.cursor++;
        if (this.npending === 0 && this.count >= maxStates) return this.stopAtStateCap(maxStates, this.cursor);
        if ((batch & 1023) === 0) {
          const bytes = this.memoryUsed();
          if (bytes > this.peak) this.peak = bytes;
          if (bytes > maxBytes) {
            this.finish('incomplete', memoryCapMessage(bytes, maxBytes));
            return true;
          }
          if (this.now() - t0 >= ms) return false;
        }
      }
    } finally {
      model.useBuffer(null);
      this.elapsedMs += Math.round(this.now() - t0);
    }
  }

  /** Insert the pending successors in the order they were made; true when the search stopped at the state cap. */
  private lookUpPending(): boolean {
    const n = this.npending;
    const w = this.stride;
    const c = this.words;
    const { pending, pendingHash, pendingUsed, pendingParent } = this;
    this.sink = warm(this.table, this.chunks, pendingHash, n, true);
    const maxStates = this.options.maxStates ?? DEFAULT_MAX_STATES;
    this.npending = 0;
    let capParent = -1;
    for (let j = 0; j < n; j++) {
      if (capParent >= 0 && pendingParent[j] !== capParent) {
        // One state at a time would have stopped before expanding this successor's parent.
        this.transitions -= n - j;
        break;
      }
      const slot = rhProbe(this.table, this.chunks, pending, j * w + c, pendingHash[j], pendingUsed[j]);
      if (slot < 0) this.insert(pending, j * w + c, pendingHash[j], pendingUsed[j], pendingParent[j], -1 - slot);
      if (capParent < 0 && this.count >= maxStates) capParent = pendingParent[j];
    }
    return capParent >= 0 && this.stopAtStateCap(maxStates, capParent + 1);
  }

  private stopAtStateCap(maxStates: number, cursor: number): boolean {
    this.cursor = cursor;
    this.finish('incomplete', `stopped at the state cap of ${maxStates} distinct states (raise it with --max-states)`);
    return true;
  }

  cancel(): void {
    if (!this.done) this.finish('incomplete', 'cancelled');
  }

  /** A candidate in words: the menu action, or the step or resume. */
  private actionText(a: number): string {
    if (a === STEP) return 'the step of the running operation';
    if (a <= RESUME_BASE) return `the resume of paused operation ${RESUME_BASE - a}`;
    return `menu action ${a} (${JSON.stringify(this.scope.menu[a])})`;
  }

  /**
   * The core's actions from the initial state to the violating transition from stored state
   * `last`: from the initial words, each time the first candidate whose successor has the next
   * stored state's canonical form, then the first candidate that violates.
   */
  rebuildPath(last: number): { actions: number[]; violation: GtViolation } {
    const { model, L, lists } = this;
    model.useBuffer(null);
    const chain: number[] = [];
    for (let i = last; i > 0; i = this.parent.get(i)) chain.push(i);
    chain.reverse();
    let actual = this.initialWords();
    const cands = new Int32Array(this.cands.length);
    const actions: number[] = [];
    const matches = (i: number): boolean => {
      const c = model.s.slice();
      canonGtInPlace(L, c, this.scratch);
      const cw = new Int32Array(squeezedRoom(this.words));
      const used = gtSqueeze(L, c, new Int32Array(c.buffer), cw, 0);
      const ref = this.place.get(i);
      const words = this.chunks[ref >>> CHUNK_BITS];
      const base = ref & CHUNK_MASK;
      // The squeezed form's head word fixes its length (squeeze.ts): equal words up to `used` are equal states.
      for (let k = 0; k < used; k++) if (cw[k] !== words[base + k]) return false;
      return true;
    };
    for (const target of chain) {
      const n = gtCandidates(model, lists, actual, cands);
      let found = false;
      for (let k = 0; k < n && !found; k++) {
        if (model.apply(actual, cands[k]) === true && !model.violation && matches(target)) { found = true; actions.push(cands[k]); }
      }
      if (!found) throw new Error('internal: the guest-tables packed search cannot rebuild its path');
      actual = model.s;
    }
    const n = gtCandidates(model, lists, actual, cands);
    for (let k = 0; k < n; k++) {
      if (model.apply(actual, cands[k]) === true && model.violation) { actions.push(cands[k]); return { actions, violation: model.violation }; }
    }
    throw new Error('internal: the guest-tables packed search cannot rebuild its violating transition');
  }

  /**
   * The core's names for a packed path's actions. A resume names a paused frame by its place among
   * the words' paused frames, which are kept sorted (the key's multiset); the core names it by its
   * place in Node.paused, the order they were paused in. Walking both engines along the path, each
   * packed resume is given the core's index of the frame with the same words (abstraction.ts).
   */
  coreActions(packed: number[]): number[] {
    const { model, L, scope } = this;
    const variant = this.options.variant;
    model.useBuffer(null);
    let w = this.initialWords();
    let n: Node = rootNode(scope);
    const out: number[] = [];
    for (let k = 0; k < packed.length; k++) {
      const a = packed[k];
      const c = a <= RESUME_BASE ? RESUME_BASE - coreFrameOf(L, n, w, RESUME_BASE - a) : a;
      const o = coreApply(scope, variant, n, c);
      if (!o || model.apply(w, a) !== true) throw new Error(`internal: the guest-tables packed path's transition ${k + 1} is not the core's`);
      out.push(c);
      n = o.node;
      w = model.s;
    }
    return out;
  }

  /**
   * The violation the rebuilt path's last transition reports is the one confirmed: the path may
   * reach the vCPU-swapped image of the stored state, whose first violating candidate is the image
   * of the search's (the same kind) or one before it in the menu's order.
   */
  private violationFound(at: number): void {
    const { actions: packed, violation: v } = this.rebuildPath(at);
    const actions = this.coreActions(packed);
    const violation = confirmWithCore(this.scope, this.options.variant, actions, v);
    this.finish('violation', undefined, violation, actions, actions.length);
  }

  private finish(verdict: Verdict, stopped?: string, violation?: Violation, actions?: number[], depth?: number): void {
    this.done = true;
    this.peak = Math.max(this.peak, this.bytes());
    this.out = searchResult(this.options, {
      verdict, stopped, violation, actions, states: this.count, transitions: this.transitions,
      depth: depth ?? this.level, peakMemoryBytes: this.peak, engine: 'packed', reachedMask: this.reachedMask,
    });
  }

  result(): ExploreResult {
    return withTime(this.out, this.elapsedMs / 1000);
  }
}

/** The place in the core's Node.paused of the frame held as paused frame `i` of the words `w` (w = the node's words). */
function coreFrameOf(L: GtLayout, n: Node, w: Uint8Array, i: number): number {
  const frame = w.subarray(L.paused + i * L.fs, L.paused + (i + 1) * L.fs);
  for (let j = 0; j < n.paused.length; j++) {
    // The node with paused frame j running (the running one, if any, paused): its words hold j's frame at L.cur.
    const others = n.paused.filter((_, k) => k !== j);
    const moved = abstractGtRaw(L, { ...n, current: n.paused[j], paused: n.current ? [...others, n.current] : others });
    const mine = moved.subarray(L.cur, L.cur + L.fs);
    if (mine.every((b, k) => b === frame[k])) return j;
  }
  throw new Error('internal: a paused frame of the packed words that the core node does not hold');
}
