/**
 * One shard of the partitioned breadth-first search (parallel.ts): the states whose hash it owns
 * (partition.ts ownerOf()), stored as the single search stores them (visited.ts: canonical forms
 * back to back in chunks, an open-addressing table of their places), and one level at a time:
 *
 * 1. expand(): expand its states of the level. A successor it owns is looked up here (BATCH at a
 *    time, with the passes that bring table slots and stored states into the cache first, as the
 *    single search does); one another shard owns goes into that shard's outbox as a record
 *    [hash, used words, parent's number, candidate position, parent's local index, words...].
 * 2. absorb(): look up the records other shards sent (in any order, interleaved with 1 or after).
 *    A state new in this level keeps the least key (partition.ts) of all its copies, and the
 *    parent that key names.
 * 3. endLevel(), then number(): the new states' keys in order, and their numbers from every
 *    shard's keys (globalRanks()).
 *
 * Each stored state has its local index in the word before it, so that a copy of a state new in
 * this level can lower its key without another table.
 */
import type { ExploreOptions } from '../result';
import { memoryCapMessage } from '../../model/errors';
import { makeScope } from '../scope';
import { type Layout } from './layout';
import { PackedModel } from './model';
import { Canonicalizer, hashWords } from './search';
import { globalRanks, keySpan, orderKey, ownerOf, sortByKey, type ViolationAt } from './partition';
import { BATCH, CHUNK_BITS, CHUNK_MASK, CHUNK_WORDS, MAX_CHUNKS, grown, pendingSlots, probe, rehashed, warm } from './visited';
/** Words of a record's header: hash, used, parent's number, position, parent's local index. */
export const RECORD_HEADER = 5;
/** Words of one outbox batch (256 KiB): large enough that a message costs little per record. */
export const OUTBOX_WORDS = 1 << 16;

/** What a shard reports at the end of a level's exchange. */
export interface ShardLevel {
  /** States of the level this shard expanded, and the transitions they took. */
  expanded: number;
  transitions: number;
  /** States new in the next level that this shard owns, their keys in order. */
  newStates: number;
  keys: Float64Array;
  /** This shard's least violating transition of the level, with the parent's local index. */
  violation: ViolationAt | null;
  violationLocal: number;
  /** Goals (goals.ts bits) reached by every transition so far. */
  reached: number;
  /** Bytes the shard holds. */
  bytes: number;
  /** Why the shard stopped (its memory cap), if it did. */
  stopped?: string;
  /** It stopped at its memory cap (the coordinator names the whole budget). */
  overMemory?: boolean;
}

/** What a shard had found before a violating transition (parallel.ts settles the counts). */
export interface Settled {
  states: number;
  transitions: number;
  reached: number;
}

/** A stored state and its parent, for rebuilding a counterexample's path. */
export interface StoredState {
  words: Int32Array;
  parentShard: number;
  parentLocal: number;
}

export class PackedShard {
  readonly model: PackedModel;
  private readonly canonicalizer: Canonicalizer;
  private readonly L: Layout;
  private readonly size: number;
  private readonly words: number;
  private readonly span: number;
  private readonly chunks: Int32Array[] = [];
  private readonly chunkBytes: Uint8Array[] = [];
  private chunkFill = CHUNK_WORDS;
  private place: Int32Array = new Int32Array(4096);
  private table = new Int32Array(1 << 14);
  private parentLocal: Int32Array = new Int32Array(4096);
  private parentShard = new Uint8Array(4096);
  /**
   * The number (the single search's index) of each state of the level being expanded, by local
   * index - levelStart: only that level's are read (expand(), settle()), so it is a level's array,
   * not a word for every state held (4 bytes a state; 25 MiB at 6.28 M states).
   */
  private levelNumber: Int32Array = new Int32Array(4096);
  /** Scratch for a level's numbers by sorted position (numberLevel()). */
  private ranks: Int32Array = new Int32Array(4096);
  private count = 0;
  /** Local indices of the level being expanded [levelStart, nextStart), and the next one's start. */
  private levelStart = 0;
  private nextStart = 0;
  private cursor = 0;
  /** Numbers of the level being expanded: [parentFirst, parentFirst + parents). */
  private parentFirst = 0;
  private parents = 1;
  /** Keys of the next level's states, by local index - nextStart. */
  private nextKey = new Float64Array(4096);
  /** Per state of the level being expanded (by local index - levelStart): its transitions and goals. */
  private levelTrans = new Int32Array(4096);
  private levelReached = new Int32Array(4096);
  private transitionsBefore = 0;
  private levelTransitions = 0;
  private reachedBefore = 0;
  private violation: ViolationAt | null = null;
  private violationLocal = -1;
  private stopped: string | undefined;
  private overMemory = false;
  private sortedKeys = new Float64Array(0);
  private order = new Int32Array(4096);
  private scratch = new Int32Array(4096);
  private readonly cands: Int32Array;
  /** Own successors waiting to be looked up: records at slot * stride. */
  private readonly stride: number;
  private readonly pending: Int32Array;
  private readonly pendingBytes: Uint8Array[];
  private readonly pendingWords: Int32Array[];
  private npending = 0;
  /** Where each pending record starts and its hash; the same for a batch being absorbed. */
  private readonly pendingOffsets: Int32Array;
  private readonly pendingHash: Int32Array;
  private readonly absorbOffsets = new Int32Array(BATCH);
  private readonly absorbHash = new Int32Array(BATCH);
  /** Per other shard: the batch being filled, its fill, and full batches not yet taken. */
  private readonly outbox: Int32Array[] = [];
  private readonly outFill: number[] = [];
  private readonly outReady: Int32Array[][] = [];
  /**
   * Outbox buffers the peers sent back empty (recycle()), filled again before a new one is made:
   * a fresh 256 KiB buffer is zeroed memory the kernel must map (page faults) and, once the
   * receiver drops it, unmap (a TLB flush on every core running this process).
   */
  private readonly spare: Int32Array[] = [];
  /** Outbox buffers this shard has made (the rest of what it sent was recycled). */
  outboxesMade = 0;
  private readonly outboxWords: number;
  sink = 0;

  /** `outboxWords`: the words of an outbox buffer (tests make it small, so that buffers go round often). */
  constructor(readonly options: ExploreOptions, readonly index: number, readonly shards: number, outboxWords = OUTBOX_WORDS) {
    if (shards < 1 || shards > 255 || index < 0 || index >= shards) throw new RangeError(`internal: shard ${index} of ${shards}`);
    const scope = makeScope(options.bound);
    this.model = new PackedModel(scope, options.variant);
    this.canonicalizer = new Canonicalizer(this.model.L);
    this.L = this.model.L;
    this.size = this.L.size;
    this.words = this.size >> 2;
    this.cands = new Int32Array(scope.menu.length + 2 + this.L.nf);
    this.span = keySpan(this.cands.length);
    this.stride = RECORD_HEADER + this.words;
    // A buffer holds at least the largest record.
    this.outboxWords = Math.max(outboxWords, this.stride);
    const room = BATCH + this.cands.length;
    ({ all: this.pending, bytes: this.pendingBytes, words: this.pendingWords } = pendingSlots(room, this.stride, RECORD_HEADER, this.size));
    this.pendingOffsets = new Int32Array(room);
    this.pendingHash = new Int32Array(room);
    for (let p = 0; p < shards; p++) { this.outbox.push(p === index ? new Int32Array(0) : this.freshOutbox()); this.outFill.push(0); this.outReady.push([]); }
    // The initial state, number 0, is its owner's.
    const init = this.canonicalizer.canon(this.model.initial(new Uint8Array(this.size)));
    const used = this.L.usedWords(init, 0);
    const h = hashWords(init, 0, used);
    if (ownerOf(h, shards) === index) {
      const rec = new Int32Array(RECORD_HEADER + used);
      rec[0] = h; rec[1] = used; rec[2] = 0; rec[3] = 0; rec[4] = -1;
      for (let k = 0; k < used; k++) rec[RECORD_HEADER + k] = init[k];
      this.lookUp(rec, new Int32Array(1), Int32Array.of(h), 1, index);
    }
    // Level 0: the initial state (number 0) where it is owned, nothing elsewhere.
    this.sortedKeys = new Float64Array(this.count);
    this.numberLevel(0, []);
  }

  /** States this shard holds, and the transitions it took. */
  get states(): number {
    return this.count;
  }

  get transitions(): number {
    return this.transitionsBefore + this.levelTransitions;
  }

  bytes(): number {
    let out = 0;
    for (const r of this.outReady) out += r.length * this.outboxWords * 4;
    out += this.spare.length * this.outboxWords * 4;
    return this.chunks.length * CHUNK_WORDS * 4 + this.table.byteLength + this.place.byteLength + this.parentLocal.byteLength
      + this.parentShard.byteLength + this.levelNumber.byteLength + this.ranks.byteLength + this.nextKey.byteLength + this.levelTrans.byteLength
      + this.levelReached.byteLength + this.order.byteLength + this.scratch.byteLength + out;
  }

  /**
   * Expand up to `max` states of the level; true when the level's states are all expanded (or the
   * shard stopped at its memory cap). Own successors are looked up here, others' wait in outboxes.
   */
  expand(max: number): boolean {
    const { model, canonicalizer, cands } = this;
    const maxBytes = this.options.maxMemoryBytes;
    let done = 0;
    model.useBuffer(this.pendingBytes[this.npending], this.pendingWords[this.npending]);
    while (this.cursor < this.nextStart && done < max && !this.stopped) {
      const i = this.cursor++;
      done++;
      const g = this.levelNumber[i - this.levelStart];
      // Past this shard's own violation nothing is needed: the one reported is at most it.
      if (this.violation && g > this.violation.parent) continue;
      const ref = this.place[i];
      const chunk = ref >>> CHUNK_BITS;
      const at = ref & CHUNK_MASK;
      const words = this.chunks[chunk];
      const bytes = this.chunkBytes[chunk];
      const before = model.reached;
      model.reached = 0;
      const n = model.candidates(bytes, at << 2, cands, canonicalizer.symmetries(bytes, at << 2));
      let t = 0;
      for (let k = 0; k < n; k++) {
        if (!model.apply(words, at, cands[k])) continue;
        t++;
        if (model.violation) {
          if (!this.violation || g < this.violation.parent) { this.violation = { parent: g, position: k }; this.violationLocal = i; }
          break;
        }
        const j = this.npending;
        const sw = model.sw;
        const used = canonicalizer.canonInto(model.s, sw);
        const h = hashWords(sw, 0, used);
        const owner = ownerOf(h, this.shards);
        if (owner === this.index) {
          const rec = j * this.stride;
          const p = this.pending;
          p[rec] = h; p[rec + 1] = used; p[rec + 2] = g; p[rec + 3] = k; p[rec + 4] = i;
          this.pendingOffsets[j] = rec;
          this.pendingHash[j] = h;
          this.npending++;
          model.useBuffer(this.pendingBytes[j + 1], this.pendingWords[j + 1]);
        } else {
          this.post(owner, sw, h, used, g, k, i);
          model.forget();
        }
      }
      this.levelTrans[i - this.levelStart] = t;
      this.levelReached[i - this.levelStart] = model.reached;
      model.reached |= before;
      this.levelTransitions += t;
      if (this.npending >= BATCH) this.flushPending();
      if ((this.cursor & 1023) === 0 && maxBytes !== undefined) {
        const b = this.bytes();
        if (b > maxBytes) { this.stopped = memoryCapMessage(b, maxBytes); this.overMemory = true; }
      }
      if (this.chunks.length >= MAX_CHUNKS - 1) this.stopped = `stopped at a shard's state store limit of ${Math.round(MAX_CHUNKS * CHUNK_WORDS * 4 / 2 ** 30)} GiB (lower the bound)`;
    }
    const finished = this.cursor >= this.nextStart || !!this.stopped;
    if (finished) this.flushPending();
    return finished;
  }

  private flushPending(): void {
    if (this.npending === 0) return;
    const n = this.npending;
    this.npending = 0;
    this.lookUp(this.pending, this.pendingOffsets, this.pendingHash, n, this.index);
    this.model.useBuffer(this.pendingBytes[0], this.pendingWords[0]);
  }

  /** Append a successor's record to the outbox of its owner. */
  private post(owner: number, sw: Int32Array, h: number, used: number, g: number, k: number, i: number): void {
    let box = this.outbox[owner];
    let f = this.outFill[owner];
    if (f + RECORD_HEADER + used > box.length) {
      this.outReady[owner].push(box.subarray(0, f));
      box = this.outbox[owner] = this.freshOutbox();
      f = 0;
    }
    box[f] = h; box[f + 1] = used; box[f + 2] = g; box[f + 3] = k; box[f + 4] = i;
    for (let x = 0; x < used; x++) box[f + RECORD_HEADER + x] = sw[x];
    this.outFill[owner] = f + RECORD_HEADER + used;
  }

  /**
   * Batches of records for shard `owner` that are ready to send; `all` also takes the one being
   * filled (at the end of the level's expansion). Each is a view on a buffer of its own, which
   * this shard does not touch again unless it is given back by recycle() once its records were read.
   */
  takeOutgoing(owner: number, all: boolean): Int32Array[] {
    const out = this.outReady[owner];
    this.outReady[owner] = [];
    if (all && this.outFill[owner] > 0) {
      out.push(this.outbox[owner].subarray(0, this.outFill[owner]));
      this.outbox[owner] = this.freshOutbox();
      this.outFill[owner] = 0;
    }
    return out;
  }

  /**
   * A batch this shard sent, given back by its receiver after absorb() read it: its buffer is
   * filled again. Only a buffer of this shard's outbox size is kept (a view's whole buffer).
   */
  recycle(batch: Int32Array): void {
    if (batch.buffer.byteLength !== this.outboxWords * 4) return;
    this.spare.push(new Int32Array(batch.buffer as ArrayBuffer));
  }

  /** An empty outbox buffer: a recycled one if there is one. */
  private freshOutbox(): Int32Array {
    const s = this.spare.pop();
    if (s) return s;
    this.outboxesMade++;
    return new Int32Array(this.outboxWords);
  }

  /** Look up the records another shard (`from`) sent. */
  absorb(batch: Int32Array, from: number): void {
    let at = 0;
    while (at < batch.length) {
      let n = 0;
      while (n < BATCH && at < batch.length) { this.absorbOffsets[n] = at; this.absorbHash[n++] = batch[at]; at += RECORD_HEADER + batch[at + 1]; }
      this.lookUp(batch, this.absorbOffsets, this.absorbHash, n, from);
    }
  }

  /**
   * Insert n records of buf (at offsets[0..n), their hashes in hashes[0..n)) sent by shard
   * `from`: first warm() brings their table slots and the stored states those name into the
   * cache, then each is looked up for real.
   */
  private lookUp(buf: Int32Array, offsets: Int32Array, hashes: Int32Array, n: number, from: number): void {
    this.sink = warm(this.table, this.chunks, hashes, n, true);
    for (let j = 0; j < n; j++) {
      const r = offsets[j];
      this.insert(buf, r + RECORD_HEADER, buf[r], buf[r + 1], orderKey(buf[r + 2], buf[r + 3], this.span), from, buf[r + 4]);
    }
  }

  /** Add a state unless known; a copy of a state new in this level lowers its key and parent. */
  private insert(cw: Int32Array, at: number, h: number, used: number, key: number, fromShard: number, fromLocal: number): void {
    const table = this.table;
    const slot = probe(table, this.chunks, cw, at, h, used);
    const id = table[slot << 1];
    if (id === 0) {
      const index = this.count++;
      const ref = this.allocate(index, used);
      const words = this.chunks[ref >>> CHUNK_BITS];
      const base = ref & CHUNK_MASK;
      words[base - 1] = index;
      for (let k = 0; k < used; k++) words[base + k] = cw[at + k];
      this.parentLocal[index] = fromLocal;
      this.parentShard[index] = fromShard;
      this.nextKey[index - this.nextStart] = key;
      table[slot << 1] = ref + 1;
      table[(slot << 1) + 1] = h;
      if (this.count * 4 > table.length) this.table = rehashed(table);
      return;
    }
    // Known: its local index is in the word before it.
    const index = this.chunks[(id - 1) >>> CHUNK_BITS][((id - 1) & CHUNK_MASK) - 1];
    if (index >= this.nextStart && key < this.nextKey[index - this.nextStart]) {
      this.nextKey[index - this.nextStart] = key;
      this.parentLocal[index] = fromLocal;
      this.parentShard[index] = fromShard;
    }
  }

  /** A place for state `index` of `used` words, after the word that holds its index. */
  private allocate(index: number, used: number): number {
    if (this.chunkFill + used + 1 > CHUNK_WORDS) {
      if (this.chunks.length >= MAX_CHUNKS) throw new RangeError('internal: the shard\'s state store is full (expand() stops a chunk before)');
      const words = new Int32Array(CHUNK_WORDS);
      this.chunks.push(words);
      this.chunkBytes.push(new Uint8Array(words.buffer));
      this.chunkFill = 0;
    }
    if (index >= this.place.length) {
      this.place = grown(this.place);
      this.parentLocal = grown(this.parentLocal);
      const s = new Uint8Array(this.parentShard.length * 2); s.set(this.parentShard); this.parentShard = s;
    }
    if (index - this.nextStart >= this.nextKey.length) {
      const k = new Float64Array(this.nextKey.length * 2); k.set(this.nextKey); this.nextKey = k;
    }
    const ref = ((this.chunks.length - 1) << CHUNK_BITS) | (this.chunkFill + 1);
    this.chunkFill += used + 1;
    this.place[index] = ref;
    return ref;
  }

  /** The level's report, once every shard's records for it were absorbed: the new keys in order. */
  endLevel(): ShardLevel {
    const n = this.count - this.nextStart;
    if (this.order.length < n) this.order = new Int32Array(Math.max(n, this.order.length * 2));
    if (this.scratch.length < this.parents + 1) this.scratch = new Int32Array(Math.max(this.parents + 1, this.scratch.length * 2));
    const keys = new Float64Array(n);
    sortByKey(this.nextKey, n, this.span, this.parentFirst, this.parents, this.scratch, this.order, keys);
    this.sortedKeys = keys;
    return {
      expanded: this.nextStart - this.levelStart, transitions: this.levelTransitions, newStates: n, keys,
      violation: this.violation, violationLocal: this.violationLocal, reached: this.model.reached, bytes: this.bytes(),
      ...(this.stopped ? { stopped: this.stopped } : {}),
      ...(this.overMemory ? { overMemory: true } : {}),
    };
  }

  /**
   * Number the next level's states, whose first number is `start`, from every other shard's keys
   * (partition.ts globalRanks()), and make it the level to expand.
   */
  number(start: number, total: number, others: Float64Array[]): void {
    this.numberLevel(start, others);
    this.parentFirst = start;
    this.parents = total;
  }

  private numberLevel(start: number, others: Float64Array[]): void {
    const n = this.count - this.nextStart;
    if (this.ranks.length < n) { this.ranks = new Int32Array(Math.max(n, this.ranks.length * 2)); this.levelNumber = new Int32Array(this.ranks.length); }
    const ranks = this.ranks.subarray(0, n);
    if (this.sortedKeys.length !== n) throw new Error(`internal: shard ${this.index} numbers ${n} states from ${this.sortedKeys.length} keys`);
    globalRanks(start, this.sortedKeys, others, ranks);
    // The next level's states are local indices nextStart.. (the level about to be expanded).
    for (let i = 0; i < n; i++) this.levelNumber[this.order[i]] = ranks[i];
    this.levelStart = this.nextStart;
    this.nextStart = this.count;
    this.cursor = this.levelStart;
    this.transitionsBefore += this.levelTransitions;
    this.levelTransitions = 0;
    this.reachedBefore = this.model.reached;
    const m = this.nextStart - this.levelStart;
    if (this.levelTrans.length < m) { this.levelTrans = new Int32Array(Math.max(m, this.levelTrans.length * 2)); this.levelReached = new Int32Array(this.levelTrans.length); }
    this.sortedKeys = new Float64Array(0);
  }

  /**
   * What the single search had when it met the violating transition `v` (the least of the level):
   * the states before it (every earlier level's, and the next level's whose key is less), the
   * transitions and goals of the states numbered before v's parent, and of v's parent up to v.
   */
  settle(v: ViolationAt): Settled {
    const limit = orderKey(v.parent, v.position, this.span);
    let states = this.nextStart;
    for (let i = this.nextStart; i < this.count; i++) if (this.nextKey[i - this.nextStart] < limit) states++;
    let transitions = this.transitionsBefore;
    let reached = this.reachedBefore;
    for (let i = this.levelStart; i < this.nextStart; i++) {
      if (this.levelNumber[i - this.levelStart] > v.parent) continue;
      transitions += this.levelTrans[i - this.levelStart];
      reached |= this.levelReached[i - this.levelStart];
    }
    return { states, transitions, reached };
  }

  /** The stored state at local index i (its words in use) and its parent. */
  state(i: number): StoredState {
    const ref = this.place[i];
    const chunk = this.chunks[ref >>> CHUNK_BITS];
    const at = ref & CHUNK_MASK;
    const used = this.L.usedWords(chunk, at);
    return { words: chunk.slice(at, at + used), parentShard: this.parentShard[i], parentLocal: this.parentLocal[i] };
  }
}
