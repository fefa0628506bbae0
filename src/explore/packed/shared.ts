/**
 * The shared-memory breadth-first search of the packed model (`explore --workers N`,
 * docs/explorer.md "One visited table in shared memory"): every thread looks up and inserts the
 * successors it makes itself, in one visited table that all threads share, instead of sending
 * them to an owner (the partitioned search, shard.ts). Level-synchronous: a level's parents are
 * handed out in blocks of its numbering, and the next level is numbered at the barrier.
 *
 * Memory, all SharedArrayBuffers:
 * - the store: one buffer sized to the memory budget at the start (the kernel maps its pages as
 *   they are first written, so only what is used is held); threads take chunks of it with an
 *   atomic add and fill them alone. A state is stored as [key, words...]: its place (`ref`) is
 *   the index of its first word, the word before holds its key while it is new in the level
 *   being made, and OLD once the level is numbered.
 * - the table: open addressing, pairs (ref + 1, hash). A thread copies the state into its chunk
 *   first, then claims an empty slot with Atomics.compareExchange, then writes the hash: whoever
 *   reads the slot with Atomics.load sees the state's words (they were written before the slot
 *   was claimed); a hash word still 0 is compared word for word. The table grows only at a
 *   barrier (a level's end, or a segment's: a thread takes no more blocks once the table is half
 *   full, and the coordinator doubles it before the level goes on).
 * - the control words: the next block of parents, the least violating key, the stop flag, the
 *   chunks taken, and each thread's count of states inserted (for the table's fill).
 *
 * Determinism (partition.ts): a state's key is the least (parent's index in its level, candidate
 * position) over every transition that reaches it, kept by an atomic min on its key word, so it
 * does not depend on which thread made which copy first; the next level is numbered in key order
 * (partition.ts sortByKey(), a counting sort by parent), which is the single search's order. So
 * the counts of a complete search, the violation reported and the counts before it are the
 * single search's, for any number of threads and any interleaving.
 */
import type { Violation } from '../../model/step';
import { memoryCapMessage, mib } from '../../model/errors';
import { searchResult, withTime, type ExploreOptions, type ExploreResult, type Verdict } from '../result';
import type { SearchCounts } from '../progress';
import { makeScope } from '../scope';
import type { Layout } from './layout';
import type { PackedModel } from './model';
import { Canonicalizer, DEFAULT_MAX_BYTES, DEFAULT_MAX_STATES, COMPACT_HASH_BITS, confirmWithCore, hashWords, hashWordsBoth, hashWordsHigh, omissionBound, rebuildPackedPath, reducedModel } from './search';
import { keySpan, sortByKey, type ViolationAt } from './partition';
import { BATCH, CHUNK_BITS, grown, pendingSlots } from './visited';
import { LEFT, MAX_LOAD_DEN, MAX_LOAD_NUM, compactHas, compactInsert, compactInsertBelow, compactKey } from './compact_table';

/** Key words are int32: a key k is stored as k + KEY_BIAS, so that keys up to 2^32 - 2 fit. */
export const KEY_BIAS = -0x80000000;
/** The key word of a state of an earlier level: below every biased key, so never lowered. */
export const OLD = -0x80000000;
/** No violation yet (the least violating key's word). */
export const NO_VIOLATION = 0x7fffffff;

/** Control words, each on its own 64-byte line (16 words). */
const C_CURSOR = 0;
const C_VIOLATION = 16;
const C_STOP = 32;
const C_CHUNKS = 48;
/** States a segment may still insert before the table is grown (set by the coordinator). */
const C_ROOM = 64;
/** Chunks the memory budget allows (set by the coordinator; past it, a thread sets the stop flag). */
const C_CHUNK_LIMIT = 80;
/** Hash compaction: the next entry of the level's list of free chunks (SegmentOrder.free). */
const C_FREE_NEXT = 96;
/**
 * Hash compaction: the chunks freed during the level (SharedBuffers.freed): entries reserved by
 * the threads that freed them, and entries taken by threads that need a chunk.
 */
const C_FREED_PUT = 112;
const C_FREED_TAKE = 128;
/** Thread t's states inserted in this segment: C_COUNTS + 16 t. */
const C_COUNTS = 144;

export function controlWords(threads: number): number {
  return C_COUNTS + 16 * threads;
}

/** The least table the search starts with, and the most a segment may fill it before growing. */
const MIN_SLOTS_BITS = 10;

/** What every thread shares, as typed arrays over SharedArrayBuffers (posted to each thread). */
export interface SharedBuffers {
  store: Int32Array;
  ctl: Int32Array;
  /**
   * Hash compaction: the level of the states in each chunk of the store (a thread starts a chunk
   * at each level, so a chunk holds one level), from which the coordinator frees the chunks of
   * levels already expanded.
   */
  chunkLevel: Int32Array;
  /**
   * Hash compaction: per chunk, the states of the level being expanded it holds that are still to
   * be expanded (set by the coordinator at the level's start); the thread that takes it to 0 puts
   * the chunk in `freed` (entry + 1; 0 not yet written), from which a thread that needs a chunk
   * takes it in the same level. One entry a chunk: each chunk is freed at most once a level.
   */
  chunkLeft: Int32Array;
  freed: Int32Array;
  /** log2 of the store's chunk in words: CHUNK_BITS (tests make it small, so that a level spans many chunks). */
  chunkBits: number;
}

/** One segment of a level: its parents (their places, in number order) and what they report. */
export interface SegmentOrder {
  /** The first segment of its level (each thread's list of states inserted starts again). */
  newLevel: boolean;
  table: Int32Array;
  /** The level's states, by index in the level. */
  places: Int32Array;
  /** Per parent (by index): transitions taken, goals reached; written by whichever thread expands it. */
  trans: Int32Array;
  reached: Int32Array;
  /**
   * Hash compaction (else empty): the signatures of the states of earlier levels, pairs (upper
   * half, 1 for 0; lower half), read only during a level; the level's states are in `table`.
   */
  oldTable: Int32Array;
  /** Hash compaction: the level being expanded (its states' chunks are marked with level + 1), and the chunks free to fill again. */
  level: number;
  free: Int32Array;
  /**
   * A table was replaced by a larger one since the last level began: a thread that can, asks its
   * isolate for a collection once it has begun the level (it no longer holds the old table), so
   * that the old table's memory is given back rather than held until a collection comes by itself
   * (the CLI's threads; SimulatedThreads ignores it).
   */
  collect?: boolean;
}

/** A thread's report at a segment's end: the places of the states it inserted, in its order. */
export interface SegmentReport {
  fresh: Int32Array;
}

/** Parents a thread takes at once (tests pass fewer, so that threads interleave more). */
export const BLOCK = 64;

/**
 * One thread's part of the search: its model, its chunk of the store, its successors waiting to be
 * looked up. step() does a bounded amount of work, so that tests can interleave several searchers
 * in one thread (SimulatedThreads); a thread calls it until its segment is done.
 */
export class SharedSearcher {
  readonly model: PackedModel;
  private readonly canonicalizer: Canonicalizer;
  private readonly L: Layout;
  private readonly size: number;
  private readonly words: number;
  private readonly cands: Int32Array;
  readonly span: number;
  private readonly store: Int32Array;
  private readonly storeBytes: Uint8Array;
  private readonly ctl: Int32Array;
  private readonly chunkLevel: Int32Array;
  private table: Int32Array = new Int32Array(0);
  private places: Int32Array = new Int32Array(0);
  private trans: Int32Array = new Int32Array(0);
  private reachedOf: Int32Array = new Int32Array(0);
  private parents = 0;
  /** The block being expanded: [cursor, blockEnd). */
  private cursor = 0;
  private blockEnd = 0;
  /** Where this thread writes next in its chunk, and the chunk's end. */
  private fill = 0;
  private end = 0;
  /** The places this thread inserted in the level (over its segments), and where this segment's start. */
  private fresh = new Int32Array(1 << 12);
  private nfresh = 0;
  private segmentStart = 0;
  /** The key of each of them, read once at the level's end (numbering, countKeys()). */
  private keys = new Int32Array(0);
  private readonly pending: Int32Array;
  private readonly pendingBytes: Uint8Array[];
  private readonly pendingWords: Int32Array[];
  private readonly pendingHash: Int32Array;
  private readonly pendingUsed: Int32Array;
  private readonly pendingKey: Int32Array;
  private npending = 0;
  /** Hash compaction: the signature's upper half of each pending successor; the old levels' table; the level's chunks' mark. */
  private readonly compact: boolean;
  private readonly pendingHigh: Int32Array;
  private oldTable: Int32Array = new Int32Array(0);
  private chunkMark = 0;
  private free: Int32Array = new Int32Array(0);
  private readonly chunkLeft: Int32Array;
  private readonly freed: Int32Array;
  private readonly chunkBits: number;
  private readonly chunkWords: number;
  /** Hash compaction: parents expanded and not yet taken off their chunk's count: `leftCount` of chunk `leftChunk`. */
  private leftChunk = -1;
  private leftCount = 0;
  /**
   * Hash compaction: each inserted state's signature (by its index i in `fresh`: upper half, 1
   * for 0, at 2 i, lower half at 2 i + 1), in shared memory: at the level's end every thread reads
   * every thread's, to put those whose home is in its range into the old levels' table.
   */
  private signatures: Int32Array = new Int32Array(0);
  /** sortByHome()'s other buffer (shared memory too: the sort's result may land in either). */
  private signaturesTmp: Int32Array = new Int32Array(0);
  sink = 0;

  /**
   * `block`: parents taken at once. `keepFirst`: for the mutation test only, a state keeps the
   * first key that reached it instead of the least (the search is then wrong).
   */
  constructor(readonly options: ExploreOptions, readonly index: number, shared: SharedBuffers, private readonly block = BLOCK, private readonly keepFirst = false) {
    const scope = makeScope(options.bound);
    // With the search's reductions (options.reduce), made as every other part of it makes them.
    ({ model: this.model, canonicalizer: this.canonicalizer } = reducedModel(options, scope));
    this.L = this.model.L;
    this.size = this.L.size;
    this.words = this.size >> 2;
    this.cands = new Int32Array(scope.menu.length + 2 + this.L.nf);
    this.span = keySpan(this.cands.length);
    this.store = shared.store;
    this.storeBytes = new Uint8Array(shared.store.buffer, shared.store.byteOffset, shared.store.byteLength);
    this.ctl = shared.ctl;
    this.chunkLevel = shared.chunkLevel;
    this.chunkLeft = shared.chunkLeft;
    this.freed = shared.freed;
    this.chunkBits = shared.chunkBits;
    this.chunkWords = 1 << shared.chunkBits;
    const room = BATCH + this.cands.length;
    ({ all: this.pending, bytes: this.pendingBytes, words: this.pendingWords } = pendingSlots(room, this.words, 0, this.size));
    this.pendingHash = new Int32Array(room);
    this.pendingUsed = new Int32Array(room);
    this.pendingKey = new Int32Array(room);
    this.compact = !!options.hashCompact;
    this.pendingHigh = new Int32Array(this.compact ? room : 0);
    if (this.compact) this.signatures = sharedInt32(2 * this.fresh.length);
  }

  /** Start a segment of a level (the table may be a new, larger one). */
  begin(order: SegmentOrder): void {
    if (order.newLevel) this.model.forget();
    this.table = order.table;
    this.places = order.places;
    this.trans = order.trans;
    this.reachedOf = order.reached;
    this.parents = order.places.length;
    this.cursor = 0;
    this.blockEnd = 0;
    if (order.newLevel) this.nfresh = 0;
    if (this.compact) {
      this.oldTable = order.oldTable;
      this.free = order.free;
      // A chunk holds one level's states: the next state of this level starts a chunk.
      if (order.newLevel) { this.fill = 0; this.end = 0; this.chunkMark = order.level + 1; this.leftChunk = -1; this.leftCount = 0; }
    }
    this.segmentStart = this.nfresh;
    Atomics.store(this.ctl, C_COUNTS + 16 * this.index, 0);
  }

  /** The places this thread inserted in the segment (a copy it gives away; it keeps its own for the numbering). */
  report(): SegmentReport {
    return { fresh: this.fresh.slice(this.segmentStart, this.nfresh) };
  }

  /**
   * The level's numbering, done by every thread on what it inserted (sharedExplore() says the
   * order): first each state's key is read (and its key word set OLD, so that a later copy lowers
   * nothing) and counted by parent in this thread's `counts`.
   */
  countKeys(counts: Int32Array): void {
    if (this.keys.length < this.nfresh) this.keys = new Int32Array(Math.max(this.nfresh, this.keys.length * 2));
    countKeys(this.store, this.fresh, this.nfresh, this.keys, counts, this.span);
  }

  /** Then each state goes to the next free position of its parent's run for this thread (`counts`: those positions, made by the coordinator). */
  placeKeys(counts: Int32Array, places: Int32Array, sortedKeys: Int32Array): void {
    placeKeys(this.fresh, this.keys, this.nfresh, counts, places, sortedKeys, this.span);
  }

  /**
   * Last, this thread's share of the parents (range `part` of `parts` equal ranges): each parent's
   * run of children put in key order (a few, by insertion), and each child's parent written.
   */
  sortRuns(parentStart: Int32Array, places: Int32Array, sortedKeys: Int32Array, parentOf: Int32Array, part: number, parts: number): void {
    const P = parentStart.length - 1;
    sortRuns(parentStart, places, sortedKeys, parentOf, partStart(P, part, parts), partStart(P, part + 1, parts));
  }

  /**
   * The table grown: this thread places the old slots whose home in the new table is in its range
   * of it (range `part` of `parts`), with plain writes (no other thread writes there); one whose
   * probe would leave the range is returned, for the coordinator to place once every thread is
   * done (rehashInto()).
   */
  rehash(old: Int32Array, table: Int32Array, part: number, parts: number): Int32Array {
    return rehashInto(old, table, part, parts);
  }

  /**
   * Expand up to `max` parents (of blocks taken from the shared cursor); true when this thread's
   * segment is done: no block left, the table's room used up, or the stop flag set. Everything
   * waiting is looked up before it returns true.
   */
  step(max: number): boolean {
    const { model, canonicalizer, cands, ctl, span } = this;
    model.useBuffer(this.pendingBytes[this.npending], this.pendingWords[this.npending]);
    for (let done = 0; done < max; done++) {
      if (this.cursor >= this.blockEnd) {
        if (this.compact) this.expanded(-1);
        if (!this.take()) {
          this.flush();
          return true;
        }
      }
      const p = this.cursor++;
      // Past the least violation found so far nothing is needed: the one reported is at most it.
      // A plain load: a stale value only expands a parent that is not needed.
      const v = ctl[C_VIOLATION];
      if (v !== NO_VIOLATION && p > Math.floor((v - KEY_BIAS) / span)) continue;
      const at = this.places[p];
      model.reached = 0;
      const n = model.candidates(this.storeBytes, at * 4, cands, canonicalizer.symmetries(this.storeBytes, at * 4));
      let t = 0;
      for (let k = 0; k < n; k++) {
        if (!model.apply(this.store, at, cands[k])) continue;
        t++;
        const key = p * span + k + KEY_BIAS;
        if (model.violation) {
          // The least violating key over every thread (an atomic min).
          for (let cur = ctl[C_VIOLATION]; key < cur;) {
            const prev = Atomics.compareExchange(ctl, C_VIOLATION, cur, key);
            if (prev === cur) break;
            cur = prev;
          }
          break;
        }
        const j = this.npending++;
        const sw = model.sw;
        const used = canonicalizer.canonInto(model.s, sw);
        this.pendingHash[j] = this.compact ? hashWordsBoth(sw, 0, used, this.pendingHigh, j) : hashWords(sw, 0, used);
        this.pendingUsed[j] = used;
        this.pendingKey[j] = key;
        model.useBuffer(this.pendingBytes[j + 1], this.pendingWords[j + 1]);
      }
      this.trans[p] = t;
      this.reachedOf[p] = model.reached;
      // Nothing reads the parent again (its successors are in the pending buffers).
      if (this.compact) this.expanded(at >>> this.chunkBits);
      if (this.npending >= BATCH) {
        this.flush();
        model.useBuffer(this.pendingBytes[0], this.pendingWords[0]);
      }
    }
    return false;
  }

  /** Take the next block of parents; false when there is none for this thread now. */
  private take(): boolean {
    const ctl = this.ctl;
    if (Atomics.load(ctl, C_STOP) !== 0) return false;
    // The table's room: every thread's inserts of this segment (each publishes its own count).
    Atomics.store(ctl, C_COUNTS + 16 * this.index, this.nfresh - this.segmentStart + this.npending);
    let inserted = 0;
    for (let i = C_COUNTS; i < ctl.length; i += 16) inserted += Atomics.load(ctl, i);
    if (inserted >= Atomics.load(ctl, C_ROOM)) return false;
    const b = Atomics.add(ctl, C_CURSOR, this.block);
    if (b >= this.parents) return false;
    const v = Atomics.load(ctl, C_VIOLATION);
    if (v !== NO_VIOLATION && b > Math.floor((v - KEY_BIAS) / this.span)) return false;
    this.cursor = b;
    this.blockEnd = Math.min(b + this.block, this.parents);
    return true;
  }

  /** Look up what waits: warm the slots and the states they name, then insert each. */
  private flush(): void {
    const n = this.npending;
    if (n === 0) return;
    this.npending = 0;
    const { pending, pendingHash, pendingUsed, pendingKey, words } = this;
    this.sink = warmShared(this.table, this.store, pendingHash, n);
    if (!this.compact) {
      for (let j = 0; j < n; j++) this.insert(pending, j * words, pendingHash[j], pendingUsed[j], pendingKey[j]);
      return;
    }
    const { oldTable, pendingHigh } = this;
    const mask = (oldTable.length >> 1) - 1;
    for (let j = 0; j < n; j++) this.sink ^= oldTable[(pendingHash[j] & mask) << 1];
    for (let j = 0; j < n; j++) {
      const low = pendingHash[j];
      const high = compactKey(pendingHigh[j]);
      // A state of an earlier level: its signature is in the old table (read only during a level).
      if (compactHas(oldTable, low, high)) continue;
      const at = this.nfresh;
      if (this.insert(pending, j * words, low, pendingUsed[j], pendingKey[j]) && this.nfresh > at) {
        if (this.signatures.length < 2 * this.fresh.length) this.signatures = sharedGrown(this.signatures, 2 * this.fresh.length);
        this.signatures[2 * at] = high;
        this.signatures[2 * at + 1] = low;
      }
    }
  }

  /**
   * Hash compaction, at a level's end: this thread's signatures of the level, sorted by their home
   * in the old levels' table of 2^bits slots (a view of shared memory, given to every thread), so
   * that compactInto() walks the table in order instead of missing the cache at each insertion.
   */
  levelSignatures(bits: number): Int32Array {
    if (this.signaturesTmp.length < this.signatures.length) this.signaturesTmp = sharedInt32(this.signatures.length);
    return sortByHome(this.signatures, this.signaturesTmp, this.nfresh, bits);
  }

  /**
   * Hash compaction, at a level's end: the level's states, by signature, into the old levels'
   * table (`table`, grown first if needed), a Robin Hood table as the single search's: of every
   * thread's signatures (`all`), this thread (part `part` of `parts`) inserts those whose home is
   * in its range of slots, touching no slot outside it (compactInsertBelow()); what would reach
   * past the range is returned, for the coordinator to insert once every thread is done. No thread
   * reads the table until the barrier is passed. Two states of the level with one signature are
   * one entry, as in the single search's table.
   */
  addToOldTable(table: Int32Array, all: readonly Int32Array[], part: number, parts: number): Int32Array {
    return compactInto(table, all, part, parts);
  }

  /**
   * Add a state (cw[at..at+used), hash h) with key `key` unless known; a known state new in this
   * level keeps the lesser key.
   */
  private insert(cw: Int32Array, at: number, h: number, used: number, key: number): boolean {
    const { table, store } = this;
    const mask = (table.length >> 1) - 1;
    let copied = false;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      // A plain load (Atomics.load is a call into a builtin here, 4 % of a thread's time): what
      // it may miss is checked below with an atomic one before a slot is passed over.
      let id = table[slot << 1];
      if (id === 0) {
        // Copy first (into this thread's chunk, where no other thread looks), then claim.
        if (!copied) {
          if (this.fill + used + 1 > this.end) this.newChunk();
          const f = this.fill;
          store[f] = key;
          for (let k = 0; k < used; k++) store[f + 1 + k] = cw[at + k];
          copied = true;
        }
        const ref = this.fill + 1;
        const prev = Atomics.compareExchange(table, slot << 1, 0, ref + 1);
        if (prev === 0) {
          table[(slot << 1) + 1] = h;
          this.fill += used + 1;
          if (this.nfresh >= this.fresh.length) this.fresh = grown(this.fresh);
          this.fresh[this.nfresh++] = ref;
          return true;
        }
        // Another thread claimed it first: that state is compared like any other.
        id = prev;
      }
      const hh = table[(slot << 1) + 1];
      if (hh !== h && hh !== 0) continue;
      if (!sameState(store, id - 1, cw, at, used)) {
        // Passed over only once an atomic load of the slot (which orders the claimant's words
        // before it) compares unequal too.
        if (!sameState(store, Atomics.load(table, slot << 1) - 1, cw, at, used)) continue;
      }
      // Known. New in this level: the least key wins (an atomic min, whatever the order).
      if (this.keepFirst) return false;
      for (let cur = store[id - 2]; key < cur;) {
        const prev = Atomics.compareExchange(store, id - 2, cur, key);
        if (prev === cur) break;
        cur = prev;
      }
      return false;
    }
  }

  /**
   * Hash compaction: a parent of `chunk` expanded (-1: none, the counts kept are given back). Kept
   * while the parents are of one chunk (a block's parents mostly are: a level is numbered by parent,
   * and a thread's children of a block fill its chunk in a row), given back with one atomic
   * subtraction when the chunk changes or a block ends; the thread whose subtraction leaves no
   * parent in the chunk puts it in the list of chunks freed in this level.
   */
  private expanded(chunk: number): void {
    if (chunk === this.leftChunk && chunk >= 0) { this.leftCount++; return; }
    if (this.leftCount > 0 && Atomics.sub(this.chunkLeft, this.leftChunk, this.leftCount) === this.leftCount) {
      const k = Atomics.add(this.ctl, C_FREED_PUT, 1);
      Atomics.store(this.freed, k, this.leftChunk + 1);
    }
    this.leftChunk = chunk;
    this.leftCount = chunk < 0 ? 0 : 1;
  }

  /** Hash compaction: a chunk freed in this level (expanded()), or -1 when none is left. */
  private takeFreed(): number {
    const ctl = this.ctl;
    for (;;) {
      const t = Atomics.load(ctl, C_FREED_TAKE);
      if (t >= Atomics.load(ctl, C_FREED_PUT)) return -1;
      if (Atomics.compareExchange(ctl, C_FREED_TAKE, t, t + 1) !== t) continue;
      // The entry was reserved by the thread that freed the chunk, which writes it right after.
      for (;;) {
        const c = Atomics.load(this.freed, t);
        if (c !== 0) return c - 1;
      }
    }
  }

  /** A chunk of the store of this thread's own; past the budget's chunks, the stop flag too. */
  private newChunk(): void {
    if (this.compact) {
      // A chunk whose states were all expanded (hash compaction keeps no expanded state): of the
      // levels before (the coordinator's list), or of this one; else a new one.
      const k = Atomics.add(this.ctl, C_FREE_NEXT, 1);
      const c = k < this.free.length ? this.free[k] : this.takeFreed();
      if (c >= 0) {
        this.chunkLevel[c] = this.chunkMark;
        this.fill = c * this.chunkWords;
        this.end = this.fill + this.chunkWords;
        return;
      }
    }
    const c = Atomics.add(this.ctl, C_CHUNKS, 1);
    if (this.compact) this.chunkLevel[c] = this.chunkMark;
    if (c >= Atomics.load(this.ctl, C_CHUNK_LIMIT)) Atomics.store(this.ctl, C_STOP, 1);
    if ((c + 1) * this.chunkWords > this.store.length) throw new RangeError('internal: the shared store is full (the stop flag is set a chunk before)');
    this.fill = c * this.chunkWords;
    this.end = this.fill + this.chunkWords;
  }
}

/**
 * Part `part` of `parts` of a Robin Hood table's filling (hash compaction's old levels' table):
 * the signatures of `lists` (pairs: upper half, 1 for 0; lower half; an upper half of 0 is an
 * empty slot of the table being grown, skipped) whose home in `table` lies
 * in the part's range of slots, inserted there by compactInsertBelow(); the ones that would reach
 * past the range are returned (pairs as given), for placeLeft() once every part is done.
 */
export function compactInto(table: Int32Array, lists: readonly Int32Array[], part: number, parts: number, sorted = true): Int32Array {
  const slots = table.length >> 1;
  const mask = slots - 1;
  const lo = partStart(slots, part, parts);
  const hi = partStart(slots, part + 1, parts);
  let left = new Int32Array(64);
  let nleft = 0;
  for (const list of lists) {
    // Sorted by home (sortByHome()): the part's signatures are a run of the list, found by halving.
    let from = 0;
    if (sorted) {
      let b = list.length >> 1;
      while (from < b) {
        const m = (from + b) >> 1;
        if ((list[2 * m + 1] & mask) < lo) from = m + 1; else b = m;
      }
    }
    for (let i = 2 * from; i < list.length; i += 2) {
      if (list[i] === 0) continue;
      const low = list[i + 1];
      const home = low & mask;
      if (sorted && home >= hi) break;
      if (home < lo || home >= hi) continue;
      if (compactInsertBelow(table, low, list[i], hi) !== LEFT) continue;
      if (nleft + 2 > left.length) left = grown(left);
      left[nleft++] = list[i];
      left[nleft++] = low;
    }
  }
  return left.slice(0, nleft);
}

/**
 * The first n pairs (upper half, lower half) of `a` in the order of their home in a table of
 * 2^bits slots (the lower half's low bits), equal homes in the order given: a radix sort in two
 * passes through `tmp` (as long as a), so that the result is back in `a`; returns its view.
 */
export function sortByHome(a: Int32Array, tmp: Int32Array, n: number, bits: number): Int32Array {
  const b1 = bits >> 1;
  const b2 = bits - b1;
  const count = new Int32Array((1 << Math.max(b1, b2)) + 1);
  radixPass(a, tmp, n, 0, b1, count);
  radixPass(tmp, a, n, b1, b2, count);
  return a.subarray(0, 2 * n);
}

/** One pass of sortByHome(): from `src` to `dst` by the lower half's bits [shift, shift + width). */
function radixPass(src: Int32Array, dst: Int32Array, n: number, shift: number, width: number, count: Int32Array): void {
  const m = (1 << width) - 1;
  const k = 1 << width;
  for (let i = 0; i <= k; i++) count[i] = 0;
  for (let i = 0; i < n; i++) count[((src[2 * i + 1] >>> shift) & m) + 1]++;
  for (let i = 1; i <= k; i++) count[i] += count[i - 1];
  for (let i = 0; i < n; i++) {
    const at = count[(src[2 * i + 1] >>> shift) & m]++;
    dst[2 * at] = src[2 * i];
    dst[2 * at + 1] = src[2 * i + 1];
  }
}

/** The signatures compactInto() left, inserted by the whole table's compactInsert() (the coordinator's, once every part is done). */
export function placeLeft(table: Int32Array, left: readonly Int32Array[]): void {
  for (const l of left) for (let i = 0; i < l.length; i += 2) compactInsert(table, l[i + 1], l[i]);
}

function sameState(store: Int32Array, base: number, cw: Int32Array, at: number, used: number): boolean {
  let k = 0;
  while (k < used && store[base + k] === cw[at + k]) k++;
  return k === used;
}

/**
 * Thread `index` of `threads`'s part of a table's growth: every pair of `old` whose home slot in
 * `table` lies in the thread's range of slots, placed there by linear probing; the pairs whose
 * probe reaches the range's end are returned (hash, place + 1 pairs) and placed after every
 * thread's part (placeSpilled()), where they land past the range. Every pair then sits after
 * its home with no empty slot between, as linear probing needs. Compare-and-exchange here
 * instead (each a miss the processor cannot overlap) made the growth 8 times the single search's
 * (perf, 6.28 M states).
 */
export function rehashInto(old: Int32Array, table: Int32Array, index: number, threads: number): Int32Array {
  const slots = table.length >> 1;
  const mask = slots - 1;
  const lo = partStart(slots, index, threads);
  const hi = partStart(slots, index + 1, threads);
  let spill = new Int32Array(64);
  let nspill = 0;
  for (let i = 0; i < old.length; i += 2) {
    const id = old[i];
    if (id === 0) continue;
    const h = old[i + 1];
    let slot = h & mask;
    if (slot < lo || slot >= hi) continue;
    while (slot < hi && table[slot << 1] !== 0) slot++;
    if (slot === hi) {
      if (nspill + 2 > spill.length) { const x = new Int32Array(spill.length * 2); x.set(spill); spill = x; }
      spill[nspill++] = id;
      spill[nspill++] = h;
      continue;
    }
    table[slot << 1] = id;
    table[(slot << 1) + 1] = h;
  }
  return spill.slice(0, nspill);
}

/** The pairs rehashInto() left, placed by linear probing once every thread's part is done. */
export function placeSpilled(table: Int32Array, spilled: readonly Int32Array[]): void {
  const mask = (table.length >> 1) - 1;
  for (const s of spilled) {
    for (let i = 0; i < s.length; i += 2) {
      let slot = s[i + 1] & mask;
      while (table[slot << 1] !== 0) slot = (slot + 1) & mask;
      table[slot << 1] = s[i];
      table[(slot << 1) + 1] = s[i + 1];
    }
  }
}

/** countKeys() of a thread's n states: their keys into keys[], their key words set OLD, counted by parent. */
export function countKeys(store: Int32Array, fresh: Int32Array, n: number, keys: Int32Array, counts: Int32Array, span: number): void {
  for (let i = 0; i < n; i++) {
    const ref = fresh[i];
    const k = store[ref - 1];
    store[ref - 1] = OLD;
    keys[i] = k;
    counts[Math.floor((k - KEY_BIAS) / span)]++;
  }
}

/** placeKeys() of a thread's n states: each to counts[its parent] (then one further). */
export function placeKeys(fresh: Int32Array, keys: Int32Array, n: number, counts: Int32Array, places: Int32Array, sortedKeys: Int32Array, span: number): void {
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    const at = counts[Math.floor((k - KEY_BIAS) / span)]++;
    places[at] = fresh[i];
    sortedKeys[at] = k;
  }
}

/** sortRuns() of parents [from, to): each one's run [parentStart[p], parentStart[p + 1]) in key order, each child's parent written. */
export function sortRuns(parentStart: Int32Array, places: Int32Array, sortedKeys: Int32Array, parentOf: Int32Array, from: number, to: number): void {
  for (let p = from; p < to; p++) {
    const a = parentStart[p];
    const b = parentStart[p + 1];
    for (let i = a + 1; i < b; i++) {
      const k = sortedKeys[i];
      const x = places[i];
      let j = i;
      while (j > a && sortedKeys[j - 1] > k) { sortedKeys[j] = sortedKeys[j - 1]; places[j] = places[j - 1]; j--; }
      sortedKeys[j] = k;
      places[j] = x;
    }
    for (let i = a; i < b; i++) parentOf[i] = p;
  }
}

/**
 * The positions of each (parent, thread) run, parents in order and threads in order within a
 * parent: counts[t][p] (thread t's children of parent p) becomes the run's first position, and
 * parentStart[p] the first of parent p's; returns the number of states.
 */
export function runStarts(counts: readonly Int32Array[], parents: number, parentStart: Int32Array): number {
  let run = 0;
  for (let p = 0; p < parents; p++) {
    parentStart[p] = run;
    for (const c of counts) { const k = c[p]; c[p] = run; run += k; }
  }
  parentStart[parents] = run;
  return run;
}

/** warm() of visited.ts on the shared table and store: the slots, then the states they name. */
function warmShared(table: Int32Array, store: Int32Array, hashes: Int32Array, n: number): number {
  const mask = (table.length >> 1) - 1;
  let sink = 0;
  for (let j = 0; j < n; j++) sink ^= table[(hashes[j] & mask) << 1];
  for (let j = 0; j < n; j++) {
    const h = hashes[j];
    const slot = (h & mask) << 1;
    const id = table[slot];
    if (id !== 0 && table[slot + 1] === h) sink ^= store[id - 1];
  }
  return sink;
}

/**
 * The threads, however they run: each segment is run on every one taking part in the level, and
 * each one's report comes back. A group may leave a thread out of a level (a thread still
 * starting: the CLI's main thread searches the first levels alone rather than wait for it), but
 * only from a whole level: the threads that a segment with `newLevel` runs on are the ones every
 * later segment of that level and its barrier work (each()) run on, so that every state inserted
 * in the level is counted and placed by the thread that inserted it. A thread left out inserts
 * nothing, and its counts stay zero.
 */
export interface SharedGroup {
  /** The most threads (searcher indices are 0 to threads - 1). */
  readonly threads: number;
  /** Parents a thread takes at once (the table's slack is a block's successors a thread). */
  readonly block: number;
  segment(order: SegmentOrder): Promise<SegmentReport[]>;
  /**
   * The same work on every thread of the level at a barrier (numbering, the table's growth), the
   * k-th of them taking part k of as many equal parts as there are threads in the level; what
   * each returned (rehash: its spilled pairs).
   */
  each(work: BarrierWork): Promise<Array<Int32Array | null>>;
}

/** Work every thread does at a barrier, on its share (SharedSearcher's methods of the same names). */
export type BarrierWork =
  | { kind: 'count'; counts: Int32Array[] }
  | { kind: 'place'; counts: Int32Array[]; places: Int32Array; sortedKeys: Int32Array }
  | { kind: 'sort'; parentStart: Int32Array; places: Int32Array; sortedKeys: Int32Array; parentOf: Int32Array }
  | { kind: 'rehash'; old: Int32Array; table: Int32Array }
  | { kind: 'rehashCompact'; old: Int32Array; table: Int32Array }
  | { kind: 'signatures'; bits: number }
  | { kind: 'compact'; table: Int32Array; signatures: Int32Array[] }
  | { kind: 'clear'; table: Int32Array };

/**
 * Do `work` as searcher `s`, which takes part `part` of `parts` (the threads of the level) where
 * the work is split by range (the runs' sort, the growth); the counts are by searcher index.
 */
export function doBarrierWork(s: SharedSearcher, work: BarrierWork, part: number, parts: number): Int32Array | null {
  switch (work.kind) {
    case 'count': s.countKeys(work.counts[s.index]); return null;
    case 'place': s.placeKeys(work.counts[s.index], work.places, work.sortedKeys); return null;
    case 'sort': s.sortRuns(work.parentStart, work.places, work.sortedKeys, work.parentOf, part, parts); return null;
    case 'rehash': return s.rehash(work.old, work.table, part, parts);
    case 'rehashCompact': return compactInto(work.table, [work.old], part, parts, false);
    case 'signatures': return s.levelSignatures(work.bits);
    case 'compact': return s.addToOldTable(work.table, work.signatures, part, parts);
    case 'clear': {
      const t = work.table;
      zeroed(t.subarray(partStart(t.length, part, parts), partStart(t.length, part + 1, parts)));
      return null;
    }
  }
}

/**
 * The most bytes the store may have: each searcher reads it through one Uint8Array (the model
 * reads a parent's bytes in place), and Node 20's V8 has a limit there that the constructor does
 * not state: 2^32 + 4 bytes throws "Invalid typed array length", and exactly 2^32 is made but the
 * search goes wrong in silence (v7 at the default bound on two workers found 29,013 states
 * instead of 1,168,848 and said "no violation"; why is not found: a loop's compiled reads of
 * such a view, alone or mixed with small arrays, read right). One chunk less than 2^32 gives the
 * single search's result. A budget past this gives the store this much, and the search says so when it stops there.
 */
export const STORE_MAX_BYTES = 2 ** 32 - 4 * 2 ** 20;

/** Chunks held back from the stop rule: one a thread (each may take one past the limit before it sees the flag) and two. */
function spareChunks(threads: number): number {
  return threads + 2;
}

/** Why a search stopped at the store's end rather than at the budget (STORE_MAX_BYTES). */
export function storeEndMessage(usedBytes: number, capBytes: number): string {
  return `stopped at the end of the shared store: ${mib(usedBytes)} MiB in use; the store of --workers holds at most ${STORE_MAX_BYTES / 2 ** 20} MiB of states, below the cap of ${mib(capBytes)} MiB (use --workers 1 for more)`;
}

/** Make the shared buffers: the store sized to the budget (with a chunk a thread to spare, at most STORE_MAX_BYTES), the control words. */
export function sharedBuffers(maxBytes: number, threads: number, chunkBits = CHUNK_BITS): SharedBuffers {
  const chunkBytes = 4 << chunkBits;
  const chunks = Math.min(Math.floor(STORE_MAX_BYTES / chunkBytes), Math.ceil(maxBytes / chunkBytes) + spareChunks(threads));
  return {
    chunkBits,
    store: new Int32Array(new SharedArrayBuffer(chunks * chunkBytes)),
    ctl: new Int32Array(new SharedArrayBuffer(4 * controlWords(threads))),
    chunkLevel: new Int32Array(new SharedArrayBuffer(4 * chunks)),
    chunkLeft: new Int32Array(new SharedArrayBuffer(4 * chunks)),
    freed: new Int32Array(new SharedArrayBuffer(4 * chunks)),
  };
}

function sharedTable(slotsBits: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8 << slotsBits));
}

/**
 * `table` (pairs whose second word is the hash they are placed by) as a new table of `slots`
 * slots: each thread places the pairs whose home is in its range, then the coordinator the ones
 * that would have gone past a range. Both of sharedExplore()'s tables grow this way: the level's
 * (linear probing: rehashInto(), placeSpilled()) half full, and hash compaction's old levels'
 * (Robin Hood: compactInto(), placeLeft()) 15/16 full.
 */
async function grownTable(group: SharedGroup, table: Int32Array, slots: number, robinHood: boolean): Promise<Int32Array> {
  const bigger = sharedTable(Math.log2(slots));
  const spilled = (await group.each({ kind: robinHood ? 'rehashCompact' : 'rehash', old: table, table: bigger })).filter((x): x is Int32Array => x !== null);
  if (robinHood) placeLeft(bigger, spilled); else placeSpilled(bigger, spilled);
  return bigger;
}

/** A copy of a in shared memory, twice as long or n long if that is more (the rest zero). */
function sharedGrown(a: Int32Array, n: number): Int32Array {
  const b = sharedInt32(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

/** A level as the coordinator keeps it: its states' places (dropped under hash compaction once expanded), each one's parent, and under hash compaction each one's candidate position. */
interface Level {
  places: Int32Array;
  parents: Int32Array;
  positions?: Int16Array;
}

/**
 * Run the shared search to its end (or its cap, or its group's failure). The coordinator's work:
 * the initial state, each segment's order, the table's growth, each level's numbering, and the
 * violation's counts and path. `shared` are the buffers the group's threads were given.
 *
 * Hash compaction (options.hashCompact; docs/explorer.md "Reductions and hash compaction on several workers"):
 * the states of earlier levels are only signatures, in `oldTable`, which no thread writes during a
 * level; `table` then holds the level's new states only (exactly compared, keys kept as without
 * compaction), is cleared at each level, and at the level's end its states' signatures go into
 * `oldTable` (a Robin Hood table, filled by the threads by ranges: compactInto()). The store keeps
 * the part of the level being expanded not yet expanded, and the next (a chunk holds one level; a
 * chunk whose parents were all expanded is handed out again, within the level: expanded()), and
 * each level keeps its parents and the candidate positions of its keys, from which a violation's
 * chain is made again.
 */
export async function sharedExplore(options: ExploreOptions, group: SharedGroup, shared: SharedBuffers, onLevel?: (p: SearchCounts) => void): Promise<ExploreResult> {
  const now = options.now ?? Date.now;
  const t0 = now();
  const compact = !!options.hashCompact;
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  const maxBytes = options.maxMemoryBytes ?? DEFAULT_MAX_BYTES;
  const { store, ctl, chunkLevel, chunkLeft, freed } = shared;
  const scope = makeScope(options.bound);
  // The initial state's canonical form and the counterexample's rebuild: the threads' reductions.
  const { model, canonicalizer } = reducedModel(options, scope);
  const span = keySpan(scope.menu.length + 2 + model.L.nf);
  // A segment's inserts after its room is used up: each thread ends its block (a block's parents'
  // successors at most); the table keeps at least that many free slots beyond the room.
  const slack = group.threads * group.block * span;
  let slotsBits = MIN_SLOTS_BITS;
  while ((1 << slotsBits) < 8 * slack) slotsBits++;
  let table = sharedTable(slotsBits);
  let oldTable = compact ? sharedTable(MIN_SLOTS_BITS) : new Int32Array(0);

  // The initial state: chunk 0, place 1, key word OLD.
  ctl[C_CHUNKS] = 1;
  chunkLevel[0] = 0;
  const init = canonicalizer.canon(model.initial(new Uint8Array(model.L.size)));
  const used = model.L.usedWords(init, 0);
  const h = hashWords(init, 0, used);
  store[0] = OLD;
  for (let k = 0; k < used; k++) store[1 + k] = init[k];
  if (compact) {
    const high = compactKey(hashWordsHigh(init, 0, used));
    const slot = h & ((oldTable.length >> 1) - 1);
    oldTable[slot << 1] = high;
    oldTable[(slot << 1) + 1] = h;
  } else {
    table[(h & ((table.length >> 1) - 1)) << 1] = 2;
    table[((h & ((table.length >> 1) - 1)) << 1) + 1] = h;
  }

  /** Each level's places and each state's parent (its index in the level before), for the path. */
  const levels: Level[] = [{ places: sharedInt32(1).fill(1), parents: Int32Array.of(-1), ...(compact ? { positions: Int16Array.of(0) } : {}) }];
  let states = 1;
  let transitions = 0;
  let reachedBefore = 0;
  let depth = 0;
  let peak = 0;
  let held = 8;
  /** A table grew since the last level began (SegmentOrder.collect). */
  let grew = false;
  let transAll = sharedInt32(1024);
  let reachedAll = sharedInt32(1024);
  const scratch = new NumberingScratch();
  const chunkWords = 1 << shared.chunkBits;
  const bytesNow = () => Atomics.load(ctl, C_CHUNKS) * chunkWords * 4 + table.byteLength + oldTable.byteLength + held;
  // The chunks a thread may take before the stop flag: the budget's, or the store's own end (its
  // spare chunks kept back) when the budget is larger than the store (STORE_MAX_BYTES).
  const storeChunks = Math.floor(store.length / chunkWords) - spareChunks(group.threads);
  let storeBound = false;
  const finish = (verdict: Verdict, counts: { states: number; transitions: number; reached: number; depth: number }, stopped?: string, violation?: Violation, actions?: number[]) => {
    peak = Math.max(peak, bytesNow());
    return withTime(searchResult(options, {
      verdict, stopped, violation, actions, states: counts.states, transitions: counts.transitions,
      depth: counts.depth, peakMemoryBytes: peak, engine: 'packed', reachedMask: counts.reached,
      ...(compact ? { hashCompaction: { hashBits: COMPACT_HASH_BITS, omissionBound: omissionBound(counts.states) } } : {}),
    }), (now() - t0) / 1000);
  };
  for (;;) {
    const level = levels[levels.length - 1];
    const parents = level.places.length;
    if (parents * span > 0xfffffffe) {
      return finish('incomplete', { states, transitions, reached: reachedBefore, depth }, `stopped: a level of ${parents} states is wider than the shared search's keys allow (${Math.floor(0xfffffffe / span)}); use --workers 1`);
    }
    // Reused from level to level (their pages stay faulted in), zeroed for the level's parents.
    if (transAll.length < parents) { transAll = sharedInt32(Math.max(parents, transAll.length * 2)); reachedAll = sharedInt32(transAll.length); }
    const trans = zeroed(transAll.subarray(0, parents));
    const reachedOf = zeroed(reachedAll.subarray(0, parents));
    // Hash compaction: the level's table starts empty (as large as the last level's grew), and
    // the chunks of the levels before the one expanded are free (their states were expanded).
    // The same table is cleared by the threads rather than made again: a new SharedArrayBuffer a
    // level was faulted in again each level, and the old ones waited for a collection in every
    // isolate that had seen them (4.0 GiB resident at issue 17's bound, 2.3 GiB counted).
    if (compact && depth > 0) await group.each({ kind: 'clear', table });
    const free = compact ? freeChunks(chunkLevel, Atomics.load(ctl, C_CHUNKS), depth) : new Int32Array(0);
    ctl[C_FREE_NEXT] = 0;
    if (compact) {
      // Each chunk's parents of this level, and no chunk freed in it yet.
      const chunks = Atomics.load(ctl, C_CHUNKS);
      zeroed(chunkLeft.subarray(0, chunks));
      zeroed(freed.subarray(0, Math.min(chunks, ctl[C_FREED_PUT])));
      const places = level.places;
      for (let i = 0; i < parents; i++) chunkLeft[places[i] >>> shared.chunkBits]++;
      ctl[C_FREED_PUT] = 0;
      ctl[C_FREED_TAKE] = 0;
    }
    const order: SegmentOrder = { newLevel: true, table, places: level.places, trans, reached: reachedOf, oldTable, level: depth, free };
    ctl[C_CURSOR] = 0;
    ctl[C_VIOLATION] = NO_VIOLATION;
    const fresh: Int32Array[] = [];
    let newStates = 0;
    // The states `table` holds besides the level's new ones (hash compaction: none).
    const base = compact ? 0 : states;
    for (;;) {
      // Grown once more than half full (as the single search's), in one rehash, before a segment
      // (not at a level's end: the search may stop there, and the rehash would be wasted).
      let slots2 = table.length >> 1;
      while ((base + newStates) * 2 > slots2) slots2 *= 2;
      if (slots2 !== table.length >> 1) { table = await grownTable(group, table, slots2, false); grew = true; }
      // The room: states this segment may insert with the table at most 5/8 full (the barrier
      // grows it past half full, as the single search does; the slack past 5/8 is a block a thread).
      const slots = table.length >> 1;
      Atomics.store(ctl, C_ROOM, Math.max(0, ((slots >> 3) * 5) - (base + newStates)));
      held = levelBytes(levels) + transAll.byteLength * 2 + scratch.byteLength + 4 * newStates;
      const budgetChunks = Math.floor((maxBytes - table.byteLength - oldTable.byteLength - held) / (chunkWords * 4));
      storeBound = budgetChunks > storeChunks;
      Atomics.store(ctl, C_CHUNK_LIMIT, Math.max(1, Math.min(budgetChunks, storeChunks)));
      order.table = table;
      // The growths since the last level began, this level's before its first segment included.
      if (order.newLevel) { order.collect = grew; grew = false; }
      const reports = await group.segment(order);
      order.newLevel = false;
      for (const r of reports) { fresh.push(r.fresh); newStates += r.fresh.length; }
      const bytes = bytesNow();
      if (bytes > peak) peak = bytes;
      const v = Atomics.load(ctl, C_VIOLATION);
      if (Atomics.load(ctl, C_STOP) !== 0) {
        const soFar = transitions + sumOf(trans);
        const why = storeBound ? storeEndMessage(bytes, maxBytes) : memoryCapMessage(bytes, maxBytes);
        return finish('incomplete', { states: states + newStates, transitions: soFar, reached: reachedBefore | orOf(reachedOf, parents), depth }, why);
      }
      const cursor = Atomics.load(ctl, C_CURSOR);
      if (cursor >= parents || (v !== NO_VIOLATION && cursor > Math.floor((v - KEY_BIAS) / span))) break;
    }
    const v = Atomics.load(ctl, C_VIOLATION);
    if (v !== NO_VIOLATION) {
      // What the single search had when it met the violating transition: the states whose key is
      // less, the transitions and goals of the parents up to the violating one.
      const at: ViolationAt = { parent: Math.floor((v - KEY_BIAS) / span), position: (v - KEY_BIAS) % span };
      let before = states;
      for (const f of fresh) for (let i = 0; i < f.length; i++) if (store[f[i] - 1] < v) before++;
      let t = transitions;
      let reached = reachedBefore;
      for (let p = 0; p <= at.parent; p++) { t += trans[p]; reached |= reachedOf[p]; }
      const { actions, violation } = counterexample(options, model, canonicalizer, store, levels, at.parent);
      return finish('violation', { states: before, transitions: t, reached: reached | violation.reached, depth: actions.length }, undefined, violation.violation, actions);
    }
    transitions += sumOf(trans);
    reachedBefore |= orOf(reachedOf, parents);
    onLevel?.({
      states: states + newStates, transitions, depth, frontier: newStates, seconds: (now() - t0) / 1000, memoryBytes: bytesNow(),
      maxMemoryBytes: maxBytes,
    });
    if (newStates === 0) return finish('no violation within the bound', { states, transitions, reached: reachedBefore, depth });
    if (compact) {
      // The level's signatures join the old ones': the table grown first (at most 15/16 full, as
      // the single search's Robin Hood table: no thread inserts into it during a level, so no
      // room is kept for a segment's slack).
      let slots2 = oldTable.length >> 1;
      while ((states + newStates) * MAX_LOAD_DEN > slots2 * MAX_LOAD_NUM) slots2 *= 2;
      if (slots2 !== oldTable.length >> 1) { oldTable = await grownTable(group, oldTable, slots2, true); grew = true; }
      const signatures = (await group.each({ kind: 'signatures', bits: Math.log2(oldTable.length >> 1) })).filter((x): x is Int32Array => x !== null);
      placeLeft(oldTable, (await group.each({ kind: 'compact', table: oldTable, signatures })).filter((x): x is Int32Array => x !== null));
    }
    const next = await numberInThreads(group, newStates, parents, scratch, compact ? span : 0);
    // Hash compaction keeps no expanded state: the places of the level just expanded are dropped.
    if (compact) level.places = new Int32Array(0);
    levels.push(next);
    states += newStates;
    if (states >= maxStates) {
      return finish('incomplete', { states, transitions, reached: reachedBefore, depth }, `stopped at the state cap of ${maxStates} distinct states (raise it with --max-states)`);
    }
    depth++;
  }
}

/** The chunks of the store taken so far (tests: hash compaction reuses the chunks of expanded levels). */
export function chunksTaken(shared: SharedBuffers): number {
  return Atomics.load(shared.ctl, C_CHUNKS);
}

/**
 * Hash compaction: the chunks whose states are of a level before `depth` (the level about to be
 * expanded), in order: those states were expanded, and nothing reads them again.
 */
export function freeChunks(chunkLevel: Int32Array, chunks: number, depth: number): Int32Array {
  const out: number[] = [];
  for (let c = 0; c < chunks; c++) if (chunkLevel[c] < depth) out.push(c);
  const free = sharedInt32(out.length);
  for (let i = 0; i < out.length; i++) free[i] = out[i];
  return free;
}

/**
 * a, zeroed by a loop: fill() on a view of a SharedArrayBuffer takes V8's generic elements path
 * (0.1 CPU-s of the coordinator's at 6.28 M states, perf), a loop is compiled like any other.
 */
/**
 * Where part `part` of `parts` near-equal parts of n items starts (part `parts` starts at n): the
 * threads' shares of a barrier's work (parents to sort, slots of a table to fill or clear) are
 * [partStart(n, p, parts), partStart(n, p + 1, parts)), which cover 0..n once between them.
 */
function partStart(n: number, part: number, parts: number): number {
  return Math.floor((part * n) / parts);
}

function zeroed(a: Int32Array): Int32Array {
  for (let i = 0; i < a.length; i++) a[i] = 0;
  return a;
}

function sharedInt32(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * Math.max(1, n))).subarray(0, n);
}

function levelBytes(levels: readonly Level[]): number {
  let b = 0;
  for (const l of levels) b += l.places.byteLength + l.parents.byteLength + (l.positions?.byteLength ?? 0);
  return b;
}

function sumOf(a: Int32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function orOf(a: Int32Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m |= a[i];
  return m;
}

/**
 * The next level from the places the threads inserted: its states in key order (a counting sort
 * by parent, then position: partition.ts sortByKey()), each one's parent (the key's parent
 * index), and every key word set to OLD, so that a later copy of the state lowers nothing.
 */
export function numberLevel(store: Int32Array, fresh: readonly Int32Array[], n: number, span: number, parents: number, scratch: NumberingScratch = new NumberingScratch()): { places: Int32Array; parents: Int32Array } {
  scratch.reserve(n, parents);
  const { refs, keys, out, sorted } = scratch;
  let i = 0;
  for (const f of fresh) {
    for (let j = 0; j < f.length; j++, i++) {
      const ref = f[j];
      refs[i] = ref;
      keys[i] = store[ref - 1] - KEY_BIAS;
      store[ref - 1] = OLD;
    }
  }
  sortByKey(keys, n, span, 0, parents, scratch.count, out, sorted);
  const places = sharedInt32(n);
  const parentOf = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    places[j] = refs[out[j]];
    parentOf[j] = Math.floor(sorted[j] / span);
  }
  return { places, parents: parentOf };
}

/**
 * numberLevel() done by the threads at the barrier, each on the states it inserted: countKeys()
 * (keys read, counted by parent), then here the position of each (parent, thread) run, parents
 * in order and threads in order within a parent, then placeKeys() (each state to its run), then
 * sortRuns() (each parent's run in key order, on a range of parents a thread). The same result
 * as numberLevel(): a counting sort by parent, then by position within a parent.
 */
export async function numberInThreads(group: SharedGroup, n: number, parents: number, scratch: NumberingScratch, positionsSpan = 0): Promise<Level> {
  const counts = scratch.threadCounts(group.threads, parents);
  await group.each({ kind: 'count', counts });
  const parentStart = scratch.parentStart(parents + 1);
  const run = runStarts(counts, parents, parentStart);
  if (run !== n) throw new Error(`internal: the threads counted ${run} new states of ${n}`);
  // Hash compaction keeps no level's places once it is expanded: one buffer serves every level
  // (a SharedArrayBuffer made each level waited for a collection in every isolate that saw it).
  const places = positionsSpan === 0 ? sharedInt32(n) : scratch.places(n);
  const sortedKeys = scratch.sortedKeys(n);
  await group.each({ kind: 'place', counts, places, sortedKeys });
  const parentOf = sharedInt32(n);
  await group.each({ kind: 'sort', parentStart, places, sortedKeys, parentOf });
  if (positionsSpan === 0) return { places, parents: parentOf };
  // Hash compaction: each state's candidate position (its key's), for the counterexample's chain.
  const positions = new Int16Array(n);
  for (let i = 0; i < n; i++) positions[i] = (sortedKeys[i] - KEY_BIAS) % positionsSpan;
  return { places, parents: parentOf, positions };
}

/**
 * numberLevel()'s arrays, kept from level to level (grown, never shrunk): made again each level,
 * their pages were faulted in again each level (a third of the coordinator's time, perf).
 */
export class NumberingScratch {
  refs = new Int32Array(0);
  keys = new Float64Array(0);
  out = new Int32Array(0);
  sorted = new Float64Array(0);
  count = new Int32Array(0);

  reserve(n: number, parents: number): void {
    if (this.refs.length < n) {
      const m = Math.max(n, this.refs.length * 2);
      this.refs = new Int32Array(m);
      this.keys = new Float64Array(m);
      this.out = new Int32Array(m);
      this.sorted = new Float64Array(m);
    }
    if (this.count.length < parents + 1) this.count = new Int32Array(Math.max(parents + 1, this.count.length * 2));
  }

  private counts: Int32Array[] = [];
  private keysShared: Int32Array = new Int32Array(0);
  private startsShared: Int32Array = new Int32Array(0);
  private placesShared: Int32Array = new Int32Array(0);

  /** Each parent's first position (numberInThreads()), used within the numbering only. */
  parentStart(n: number): Int32Array {
    if (this.startsShared.length < n) this.startsShared = sharedInt32(Math.max(n, this.startsShared.length * 2));
    return this.startsShared.subarray(0, n);
  }

  /** Hash compaction: the next level's places, in the buffer of the level before (no longer read once it is expanded). */
  places(n: number): Int32Array {
    if (this.placesShared.length < n) this.placesShared = sharedInt32(Math.max(n, this.placesShared.length * 2));
    return this.placesShared.subarray(0, n);
  }

  /** Each thread's count by parent, zeroed for `parents`. */
  threadCounts(threads: number, parents: number): Int32Array[] {
    if (this.counts.length !== threads || this.counts[0].length < parents) {
      this.counts = [];
      for (let t = 0; t < threads; t++) this.counts.push(sharedInt32(Math.max(parents, 1024)));
    }
    return this.counts.map((c) => zeroed(c.subarray(0, parents)));
  }

  /** The keys in their sorted positions (placeKeys(), sortRuns()). */
  sortedKeys(n: number): Int32Array {
    if (this.keysShared.length < n) this.keysShared = sharedInt32(Math.max(n, this.keysShared.length * 2));
    return this.keysShared.subarray(0, n);
  }

  /** The bytes held (the places' buffer is counted as the level's places: levelBytes()). */
  get byteLength(): number {
    let b = this.refs.byteLength + this.keys.byteLength + this.out.byteLength + this.sorted.byteLength + this.count.byteLength + this.keysShared.byteLength + this.startsShared.byteLength;
    for (const c of this.counts) b += c.byteLength;
    return b;
  }
}

/** The violating transition's path: the chain of least-key parents, rebuilt and replayed as the single search's. */
function counterexample(options: ExploreOptions, model: PackedModel, canonicalizer: Canonicalizer, store: Int32Array, levels: readonly Level[], parent: number): { actions: number[]; violation: { violation: Violation; reached: number } } {
  const targets: Array<{ words: Int32Array; at: number }> = [];
  if (options.hashCompact) {
    targets.push(...compactChain(model, canonicalizer, levels, parent));
  } else {
    for (let d = levels.length - 1, i = parent; d > 0; d--) {
      targets.push({ words: store, at: levels[d].places[i] });
      i = levels[d].parents[i];
    }
    targets.reverse();
  }
  const actions = rebuildPackedPath(model, canonicalizer, targets);
  if (!model.violation) throw new Error('internal: the rebuilt path ends without a violation');
  return { actions, violation: { violation: confirmWithCore(model.scope, options.variant, actions, model.violation), reached: model.reached } };
}

/**
 * Hash compaction's chain of canonical forms to the violating parent, made again as the search
 * made it (the single search's rebuildCompactPath() does the same with actions): from the
 * canonical initial state, each state's candidate position (its key's) taken among its parent's
 * candidates, applied to the parent's canonical form, and canonicalised.
 */
function compactChain(model: PackedModel, canonicalizer: Canonicalizer, levels: readonly Level[], parent: number): Array<{ words: Int32Array; at: number }> {
  const positions: number[] = [];
  for (let d = levels.length - 1, i = parent; d > 0; d--) {
    positions.push(levels[d].positions![i]);
    i = levels[d].parents[i];
  }
  positions.reverse();
  const size = model.L.size;
  const buffer = new Uint8Array(size);
  model.useBuffer(buffer, new Int32Array(buffer.buffer));
  const cands = new Int32Array(model.scope.menu.length + 2 + model.L.nf);
  let from = canonicalizer.canon(model.initial(new Uint8Array(size))).slice();
  const targets: Array<{ words: Int32Array; at: number }> = [];
  for (const k of positions) {
    model.forget();
    const bytes = new Uint8Array(from.buffer);
    const n = model.candidates(bytes, 0, cands, canonicalizer.symmetries(bytes, 0));
    if (k >= n || !model.apply(from, 0, cands[k]) || model.violation) throw new Error('internal: the shared hash-compaction search cannot make its path again');
    from = canonicalizer.canonInPlace(model.s, model.sw).slice();
    targets.push({ words: from, at: 0 });
  }
  model.forget();
  return targets;
}

/**
 * N searchers in this thread over the same shared buffers, their steps interleaved by a seeded
 * choice (a few parents each time), so that copies of a state arrive in orders threads could make
 * them in: for tests, and as the definition the threads must agree with. `joins[i]`: the level
 * from which searcher i takes part (default 0, every level), as the CLI's threads join when they
 * have started (SharedGroup).
 */
export class SimulatedThreads implements SharedGroup {
  readonly list: SharedSearcher[] = [];
  readonly shared: SharedBuffers;
  /** Segments run so far (more than the levels when the table grew within a level). */
  segments = 0;
  /** Levels begun so far, and the searchers taking part in the current one. */
  private levels = 0;
  private active: SharedSearcher[] = [];
  /** Per searcher, the levels it took part in (tests: that a late one did join). */
  readonly levelsIn: number[];
  /**
   * Tests of SegmentOrder.collect: the levels begun with it, and those begun with it wrong (set
   * with both tables the same objects as at the level before, or not set with one replaced).
   */
  collects = 0;
  collectsWrong = 0;
  private lastTables: [Int32Array, Int32Array] | null = null;

  constructor(options: ExploreOptions, readonly threads: number, private readonly choose: (n: number) => number = () => 0, readonly block = BLOCK, keepFirst = false, private readonly joins: readonly number[] = [], chunkBits = CHUNK_BITS) {
    this.shared = sharedBuffers(options.maxMemoryBytes ?? DEFAULT_MAX_BYTES, threads, chunkBits);
    for (let i = 0; i < threads; i++) this.list.push(new SharedSearcher(options, i, this.shared, block, keepFirst));
    this.levelsIn = this.list.map(() => 0);
  }

  segment(order: SegmentOrder): Promise<SegmentReport[]> {
    this.segments++;
    if (order.newLevel) {
      const replaced = this.lastTables !== null && (this.lastTables[0] !== order.table || this.lastTables[1] !== order.oldTable);
      if (order.collect) this.collects++;
      if (!!order.collect !== replaced) this.collectsWrong++;
      this.lastTables = [order.table, order.oldTable];
      this.active = this.list.filter((s) => (this.joins[s.index] ?? 0) <= this.levels);
      for (const s of this.active) this.levelsIn[s.index]++;
      this.levels++;
    }
    for (const s of this.active) s.begin(order);
    const running = this.active.slice();
    while (running.length) {
      const i = this.choose(running.length);
      if (running[i].step(1 + this.choose(3))) running.splice(i, 1);
    }
    return Promise.resolve(this.active.map((s) => s.report()));
  }

  each(work: BarrierWork): Promise<Array<Int32Array | null>> {
    // In reverse order: the numbering must not depend on which thread goes first.
    const out: Array<Int32Array | null> = this.active.map(() => null);
    for (let k = this.active.length - 1; k >= 0; k--) out[k] = doBarrierWork(this.active[k], work, k, this.active.length);
    return Promise.resolve(out);
  }
}

/** The shared search with its threads simulated in this thread (tests); the group too, to see what it did. */
export async function simulatedExplore(options: ExploreOptions, threads: number, choose?: (n: number) => number, block?: number, keepFirst?: boolean, joins?: readonly number[], chunkBits?: number): Promise<{ result: ExploreResult; group: SimulatedThreads; levels: number }> {
  const group = new SimulatedThreads(options, threads, choose, block, keepFirst, joins, chunkBits);
  let levels = 0;
  const result = await sharedExplore(options, group, group.shared, () => levels++);
  return { result, group, levels };
}
