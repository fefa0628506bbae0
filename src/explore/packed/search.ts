/**
 * Breadth-first search over packed states (layout.ts, model.ts). States live back to back in one
 * byte arena in the order they were found, which is breadth-first order, so the arena is also the
 * queue; a visited set of canonical forms is an open-addressing table of arena indices.
 *
 * Canonical form: the two vCPUs are interchangeable (their TLB blocks are put in order), so are
 * the two aliased roots (the lesser of the state and its root-swapped image is kept), and paused
 * operations are a set (sorted). The core's canonicalKey() makes the same identifications.
 *
 * A violation's path is rebuilt from the initial state by matching canonical forms, so it is a
 * list of the core explorer's own actions, and it is replayed through the core (../model.ts), whose
 * checks must report the violation at the same transition: the core has the last word on every
 * counterexample the packed search finds.
 */
import type { Violation } from '../../trace/types';
import { apply as coreApply, rootNode, type Node } from '../model';
import { makeScope, type Scope } from '../scope';
import { searchResult, withTime } from '../result';
import { memoryCapMessage } from '../../engine/errors';
import type { ExploreOptions, ExploreResult, Progress, Verdict } from '../search';
import { F_HAS_SPLIT, S_HUGE, HUGE_L2, Layout } from './layout';
import { PackedModel, type PackedViolation } from './model';

export const DEFAULT_MAX_STATES = 100_000_000;
const CHUNK_BITS = 15;
/** States a chunk of the store holds. */
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
/** Bytes of typed arrays the search may hold when the caller sets no cap. */
export const DEFAULT_MAX_BYTES = 2 * 2 ** 30;

/** Canonical forms (see the file comment), written into `out`. */
export class Canonicalizer {
  private readonly a: Uint8Array;
  private readonly b: Uint8Array;
  private readonly aw: Int32Array;
  private readonly bw: Int32Array;
  private readonly frame: Uint8Array;

  constructor(private readonly L: Layout) {
    this.a = new Uint8Array(L.size);
    this.b = new Uint8Array(L.size);
    this.aw = new Int32Array(this.a.buffer);
    this.bw = new Int32Array(this.b.buffer);
    this.frame = new Uint8Array(L.fs);
  }

  /**
   * The canonical form of s, as words; the returned array is reused by the next call. The roots
   * are put in order by a signature (their L4 and L3 entries, their place in the 1G rmap, their
   * TLB entries) when the signatures differ, which the root swap exchanges; only on a tie are both
   * orders built and the lesser kept. Either way the result is the same for a state and its image.
   */
  canon(s: Uint8Array): Int32Array {
    const { a, b, aw, bw } = this;
    const sa = this.signature(s, 0);
    const sb = this.signature(s, 1);
    a.set(s);
    if (sa > sb) this.swapRoots(a);
    this.normalize(a);
    if (sa !== sb) return aw;
    b.set(s);
    this.swapRoots(b);
    this.normalize(b);
    for (let i = 0; i < aw.length; i++) {
      if (aw[i] !== bw[i]) return aw[i] < bw[i] ? aw : bw;
    }
    return aw;
  }

  /** What root r looks like, as a number the root swap gives to the other root. */
  private signature(s: Uint8Array, r: number): number {
    const L = this.L;
    let sig = (s[L.l4 + r] << 2) | s[L.l3 + r];
    sig = (sig << 2) | (s[L.rmap3] === r + 1 ? 2 : s[L.rmap3 + 1] === r + 1 ? 1 : 0);
    for (let i = 0; i < 2 * L.nt; i++) {
      const at = L.tlb + 2 * i;
      if (s[at] && ((s[at + 1] >> 2) & 1) === r) sig += 16 * (1 + (s[at + 1] & 3) + 4 * (s[at + 1] >> 3));
    }
    return sig;
  }

  /**
   * 1 when a canonical state (at s[at..]) is its own image under the vCPU swap (its two TLB
   * blocks are equal), else 0. (The root swap is not looked for: the test costs more than the
   * transitions it saves.)
   */
  symmetries(s: Uint8Array, at: number): number {
    const L = this.L;
    const v0 = at + L.tlb;
    const v1 = v0 + 2 * L.nt;
    for (let i = 0; i < 2 * L.nt; i++) if (s[v0 + i] !== s[v1 + i]) return 0;
    return 1;
  }

  private swapRoots(s: Uint8Array): void {
    const L = this.L;
    let t = s[L.l4]; s[L.l4] = s[L.l4 + 1]; s[L.l4 + 1] = t;
    t = s[L.l3]; s[L.l3] = s[L.l3 + 1]; s[L.l3 + 1] = t;
    for (let k = 0; k < 2; k++) if (s[L.rmap3 + k]) s[L.rmap3 + k] = 3 - s[L.rmap3 + k];
    for (let i = 0; i < 2 * L.nt; i++) {
      const at = L.tlb + 2 * i;
      if (s[at]) s[at + 1] ^= 4;
    }
    for (let i = -1; i < s[L.npaused]; i++) {
      const f = i < 0 ? L.cur : L.pausedAt(i);
      const huge = s[f + S_HUGE];
      if (s[f + F_HAS_SPLIT] && huge > 0 && huge < HUGE_L2) s[f + S_HUGE] = 3 - huge;
    }
  }

  /** vCPU TLB blocks in order, paused frames sorted. */
  private normalize(s: Uint8Array): void {
    const L = this.L;
    const block = 2 * L.nt;
    const v1 = L.tlb + block;
    for (let i = 0; i < block; i++) {
      const x = s[L.tlb + i];
      const y = s[v1 + i];
      if (x === y) continue;
      if (x > y) {
        for (let j = i; j < block; j++) { const t = s[L.tlb + j]; s[L.tlb + j] = s[v1 + j]; s[v1 + j] = t; }
      }
      break;
    }
    const n = s[L.npaused];
    for (let i = 1; i < n; i++) {
      for (let j = i; j > 0 && this.less(s, L.pausedAt(j), L.pausedAt(j - 1)); j--) this.swapFrames(s, L.pausedAt(j), L.pausedAt(j - 1));
    }
  }

  private less(s: Uint8Array, x: number, y: number): boolean {
    for (let k = 0; k < this.L.fs; k++) if (s[x + k] !== s[y + k]) return s[x + k] < s[y + k];
    return false;
  }

  private swapFrames(s: Uint8Array, x: number, y: number): void {
    const fs = this.L.fs;
    this.frame.set(s.subarray(x, x + fs));
    s.copyWithin(x, y, y + fs);
    s.set(this.frame, y);
  }
}

export class PackedSearch {
  readonly scope: Scope;
  readonly model: PackedModel;
  private readonly canonicalizer: Canonicalizer;
  private readonly size: number;
  private readonly words: number;
  /**
   * The states, CHUNK at a time (a chunk is never copied when more are needed), as words and as
   * bytes over the same memory.
   */
  private readonly chunks: Int32Array[] = [];
  private readonly chunkBytes: Uint8Array[] = [];
  private table: Int32Array;
  private parent: Int32Array;
  private count = 0;
  private cursor = 0;
  private levelEnd = 1;
  private level = 0;
  private transitions = 0;
  private seconds = 0;
  private peak = 0;
  private done = false;
  private out: ExploreResult | null = null;
  private readonly cands: Int32Array;
  /** usedWords() by the number of paused frames. */
  private readonly usedByPaused: number[];
  private readonly now: () => number;

  constructor(readonly options: ExploreOptions) {
    this.scope = makeScope(options.bound);
    this.model = new PackedModel(this.scope, options.variant);
    this.canonicalizer = new Canonicalizer(this.model.L);
    this.size = this.model.L.size;
    this.words = this.size >> 2;
    const L = this.model.L;
    if (L.npaused !== 7) throw new Error('internal: usedWords() reads the paused count from byte 7');
    this.usedByPaused = Array.from({ length: L.nf + 1 }, (_, n) => Math.min(this.words, (L.pausedAt(n) + 3) >> 2));
    this.now = options.now ?? Date.now;
    this.table = new Int32Array(1 << 15);
    this.parent = new Int32Array(4096);
    this.cands = new Int32Array(this.scope.menu.length + 2 + this.model.L.nf);
    const init = this.model.initial(new Uint8Array(this.size));
    this.insert(this.canonicalizer.canon(init), -1);
  }

  get finished(): boolean {
    return this.done;
  }

  private bytes(): number {
    return this.chunks.length * CHUNK * this.size + this.table.byteLength + this.parent.byteLength;
  }

  /**
   * Words of a state in use: paused frames are kept at the front of their area and the rest is
   * zero, so two states with the same count of paused frames (a header byte) differ only within
   * their used words.
   */
  private usedWords(c: Int32Array): number {
    return this.usedByPaused[(c[1] >>> 24) & 0xff];
  }

  private hash(c: Int32Array, used: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < used; i++) {
      h = Math.imul(h ^ c[i], 0x01000193);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    return h ^ (h >>> 13);
  }

  /**
   * Add a canonical state unless it is known; true when it was new. The table holds pairs
   * (index + 1, hash) side by side, so a probe reads one cache line before it compares states.
   */
  private insert(cw: Int32Array, parent: number): boolean {
    const used = this.usedWords(cw);
    const h = this.hash(cw, used);
    const table = this.table;
    const mask = (table.length >> 1) - 1;
    const w = this.words;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = table[slot << 1];
      if (id === 0) {
        const index = this.count++;
        this.ensure(index);
        const words = this.chunks[index >> CHUNK_BITS];
        for (let k = 0, at = (index & CHUNK_MASK) * w; k < w; k++) words[at + k] = cw[k];
        this.parent[index] = parent;
        table[slot << 1] = index + 1;
        table[(slot << 1) + 1] = h;
        if (this.count * 4 > table.length) this.rehash();
        return true;
      }
      if (table[(slot << 1) + 1] !== h) continue;
      const words = this.chunks[(id - 1) >> CHUNK_BITS];
      const base = ((id - 1) & CHUNK_MASK) * w;
      let same = true;
      for (let k = 0; k < used; k++) if (words[base + k] !== cw[k]) { same = false; break; }
      if (same) return false;
    }
  }

  private ensure(index: number): void {
    if ((index >> CHUNK_BITS) >= this.chunks.length) {
      const words = new Int32Array(CHUNK * this.words);
      this.chunks.push(words);
      this.chunkBytes.push(new Uint8Array(words.buffer));
    }
    if (index >= this.parent.length) {
      const p = new Int32Array(this.parent.length * 2);
      p.set(this.parent);
      this.parent = p;
    }
  }

  /** A table twice the size, from the stored hashes. */
  private rehash(): void {
    const old = this.table;
    const table = new Int32Array(old.length * 2);
    const mask = (table.length >> 1) - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] === 0) continue;
      let slot = old[i + 1] & mask;
      while (table[slot << 1] !== 0) slot = (slot + 1) & mask;
      table[slot << 1] = old[i];
      table[(slot << 1) + 1] = old[i + 1];
    }
    this.table = table;
  }

  progress(): Progress {
    return { states: this.count, transitions: this.transitions, depth: this.level, frontier: this.count - this.cursor, seconds: this.seconds };
  }

  /** Work for about `ms` milliseconds; true when the search is over. */
  run(ms: number): boolean {
    if (this.done) return true;
    const t0 = this.now();
    const { model, options } = this;
    const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
    const maxBytes = options.maxMemoryBytes ?? DEFAULT_MAX_BYTES;
    const cands = this.cands;
    try {
      for (let batch = 0; ; batch++) {
        if (this.cursor >= this.count) { this.finish('no violation within the bound'); return true; }
        if (this.cursor === this.levelEnd) { this.level++; this.levelEnd = this.count; }
        const chunk = this.cursor >> CHUNK_BITS;
        const at = (this.cursor & CHUNK_MASK) * this.words;
        const words = this.chunks[chunk];
        const bytes = this.chunkBytes[chunk];
        const n = model.candidates(bytes, at << 2, cands, this.canonicalizer.symmetries(bytes, at << 2));
        for (let k = 0; k < n; k++) {
          if (!model.apply(words, at, cands[k])) continue;
          this.transitions++;
          if (model.violation) { this.violationFound(this.cursor, model.violation); return true; }
          this.insert(this.canonicalizer.canon(model.s), this.cursor);
        }
        this.cursor++;
        if (this.count >= maxStates) {
          this.finish('incomplete', `stopped at the state cap of ${maxStates} distinct states (raise it with --max-states)`);
          return true;
        }
        if ((batch & 1023) === 0) {
          // The state store's own size, or the host's measure when it gives one and it is larger
          // (a worker's heap plus its buffers).
          const bytes = Math.max(this.bytes(), options.memoryUsed ? options.memoryUsed() : 0);
          if (bytes > this.peak) this.peak = bytes;
          if (bytes > maxBytes) {
            this.finish('incomplete', memoryCapMessage(bytes, maxBytes));
            return true;
          }
          if (this.now() - t0 >= ms) return false;
        }
      }
    } finally {
      this.seconds += (this.now() - t0) / 1000;
    }
  }

  cancel(): void {
    if (!this.done) this.finish('incomplete', 'cancelled');
  }

  /** The core explorer's actions from the initial state to the violating transition. */
  private rebuildPath(last: number): number[] {
    const chain: number[] = [];
    for (let i = last; i > 0; i = this.parent[i]) chain.push(i);
    chain.reverse();
    const model = this.model;
    const actual = model.initial(new Uint8Array(this.size));
    const actualWords = new Int32Array(actual.buffer);
    const actions: number[] = [];
    const cands = this.cands;
    const matches = (target: number) => {
      const c = this.canonicalizer.canon(model.s);
      const words = this.chunks[target >> CHUNK_BITS];
      const at = (target & CHUNK_MASK) * this.words;
      for (let k = 0; k < this.words; k++) if (c[k] !== words[at + k]) return false;
      return true;
    };
    for (const target of chain) {
      const n = model.candidates(actual, 0, cands);
      // Actions are menu indices, STEP (-1) or RESUME_BASE - i: "not found" needs its own flag.
      let found = false;
      for (let k = 0; k < n && !found; k++) {
        if (model.apply(actualWords, 0, cands[k]) && !model.violation && matches(target)) { found = true; actions.push(cands[k]); }
      }
      if (!found) throw new Error('internal: the packed search cannot rebuild its path');
      actual.set(model.s);
      model.forget();
    }
    const n = model.candidates(actual, 0, cands);
    for (let k = 0; k < n; k++) {
      if (model.apply(actualWords, 0, cands[k]) && model.violation) { actions.push(cands[k]); return actions; }
    }
    throw new Error('internal: the packed search cannot rebuild its violating transition');
  }

  /** Replay the actions through the core: its checks must report the violation at the last one. */
  private confirmWithCore(actions: number[], expected: PackedViolation): Violation {
    let node: Node = rootNode(this.scope);
    for (let i = 0; i < actions.length; i++) {
      const o = coreApply(this.scope, this.options.variant, node, actions[i]);
      if (!o) throw new Error(`internal: the core does not allow action ${actions[i]} of the packed counterexample at transition ${i + 1}`);
      if (o.violations.length && i < actions.length - 1) throw new Error(`internal: the core reports ${o.violations[0].kind} at transition ${i + 1}, before the packed model does`);
      if (i === actions.length - 1) {
        const v = o.violations[0];
        if (!v || v.kind !== expected.kind || v.strength !== expected.strength) {
          throw new Error(`internal: the packed model reports ${expected.kind} at transition ${i + 1}, the core ${v ? v.kind : 'nothing'}`);
        }
        return v;
      }
      node = o.node;
    }
    throw new Error('internal: empty counterexample');
  }

  private violationFound(at: number, v: PackedViolation): void {
    const actions = this.rebuildPath(at);
    const violation = this.confirmWithCore(actions, v);
    this.finish('violation', undefined, violation, actions, actions.length);
  }

  private finish(verdict: Verdict, stopped?: string, violation?: Violation, actions?: number[], depth?: number): void {
    this.done = true;
    this.peak = Math.max(this.peak, this.bytes());
    this.out = searchResult(this.options, {
      verdict, stopped, violation, actions, states: this.count, transitions: this.transitions,
      depth: depth ?? this.level, peakMemoryBytes: this.peak, engine: 'packed',
    });
  }

  result(): ExploreResult {
    return withTime(this.out, this.seconds);
  }
}
