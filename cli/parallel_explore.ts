/**
 * explore --workers N: one variant's packed search on N worker threads, each a shard of the
 * partitioned search (src/explore/packed/parallel.ts, shard.ts). This file is the plumbing only:
 * the main thread runs the coordinator (parallelExplore()) against a ShardGroup whose shards are
 * threads; the threads send each other their successors directly, on a MessagePort for each pair,
 * and sleep on a shared doorbell word while they wait for a peer.
 *
 * A level on a thread: expand a few hundred states, send the full outboxes, take what the peers
 * sent (receiveMessageOnPort(), without returning to the event loop); when its states are all
 * expanded, send the rest and an end mark to each peer, and take batches until every peer's end
 * mark came (a port delivers in order, so nothing of the level follows it). The result is the
 * single search's whatever the order batches arrive in (partition.ts), so the threads need no
 * other synchronisation than the coordinator's per-level calls.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MessageChannel, Worker, isMainThread, parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { InThreadShards, parallelExplore, type ShardGroup } from '../src/explore/packed/parallel';
import { ProgressMeter, type Progress } from '../src/explore/progress';
import { PackedShard, type Settled, type ShardLevel, type StoredState } from '../src/explore/packed/shard';
import type { ViolationAt } from '../src/explore/packed/partition';
import { BLOCK, SharedSearcher, doBarrierWork, sharedBuffers, sharedExplore, type BarrierWork, type SegmentOrder, type SegmentReport, type SharedBuffers, type SharedGroup } from '../src/explore/packed/shared';
import type { ExploreOptions, ExploreResult, Reduction } from '../src/explore/result';
import { describeBound, type Bound } from '../src/explore/scope';
import type { Variant } from '../src/kernel/variants';

/** What a shard thread is given: the search's options (its share of the memory budget) and its place. */
interface ShardData {
  variant: Variant;
  bound: Bound;
  maxStates?: number;
  maxMemoryBytes?: number;
  index: number;
  shards: number;
  bell: SharedArrayBuffer;
  /** ports[p]: the port to shard p (none to itself). */
  ports: Array<MessagePort | null>;
}

type CommandBody =
  | { cmd: 'level' }
  | { cmd: 'number'; start: number; total: number; keys: Float64Array[] }
  | { cmd: 'settle'; at: ViolationAt }
  | { cmd: 'state'; local: number };
type Command = CommandBody & { id: number };

type Reply = { id: number; result: unknown } | { id: number; error: string } | { progress: { states: number; transitions: number; bytes: number } };

/** Run from the TypeScript source, an eval'd worker registers tsx's loader first (as cli/explore.ts does). */
const FROM_SOURCE = __filename.endsWith('.ts') ? "require('tsx/cjs'); " : '';

/** Stopped by the user (or a failed thread): the search's promise rejects with this. */
export class ShardsStopped extends Error {}

/** A thread's answer to a request: its id and the result, or the error the thread caught. */
interface Answer {
  id: number;
  result?: unknown;
  error?: string;
}

/**
 * Worker threads of this file that answer numbered requests, what both searches' groups share:
 * start them, post a request and wait for its answer, and stop them all (a thread that fails or
 * exits early fails every request waiting, so the search's promise rejects instead of hanging).
 */
abstract class RequestThreads {
  protected readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  protected failed: Error | null = null;

  /** `what`: the threads' name in an error ("explorer shard 1 exited with status 1"). */
  constructor(private readonly what: string) {}

  /**
   * Start thread i of this file with `workerData`; `other` takes a message that answers no
   * request (a shard's progress) and says whether it did.
   */
  protected start(i: number, workerData: unknown, transferList: MessagePort[] = [], other?: (m: unknown) => boolean): void {
    const w = new Worker(`${FROM_SOURCE}require(${JSON.stringify(__filename)});`, { eval: true, workerData, transferList });
    w.on('message', (m: Answer) => {
      if (other?.(m)) return;
      const waiter = this.waiting.get(m.id);
      if (!waiter) return;
      this.waiting.delete(m.id);
      if (m.error !== undefined) waiter.reject(new Error(m.error)); else waiter.resolve(m.result);
    });
    w.on('error', (e) => this.fail(e));
    w.on('exit', (code) => { if (code !== 0) this.fail(new Error(`internal: ${this.what} ${i} exited with status ${code}`)); });
    this.workers.push(w);
  }

  /** Post `body` (with a fresh id) to thread i, transferring `transfer`; the promise of its answer. */
  protected request<T>(i: number, body: object, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.workers[i].postMessage({ ...body, id }, transfer);
    });
  }

  /** Stop every thread; every waiting call rejects with `e`. */
  fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    for (const w of this.workers) void w.terminate();
    for (const waiter of this.waiting.values()) waiter.reject(e);
    this.waiting.clear();
  }

  close(): Promise<unknown> {
    this.failed ??= new ShardsStopped('closed');
    return Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** N shard threads as a ShardGroup: each call posts a command to every thread (or one) and waits for the replies. */
class ThreadShards extends RequestThreads implements ShardGroup {
  /** The latest counts each thread reported. */
  readonly last: Array<{ states: number; transitions: number; bytes: number }> = [];

  constructor(options: ExploreOptions, readonly shards: number, onProgress: () => void) {
    super('explorer shard');
    const bell = new SharedArrayBuffer(4 * shards);
    const ports: Array<Array<MessagePort | null>> = Array.from({ length: shards }, () => Array.from({ length: shards }, () => null));
    for (let i = 0; i < shards; i++) {
      for (let j = i + 1; j < shards; j++) {
        const c = new MessageChannel();
        ports[i][j] = c.port1;
        ports[j][i] = c.port2;
      }
    }
    for (let i = 0; i < shards; i++) {
      const data: ShardData = { variant: options.variant, bound: options.bound, maxStates: options.maxStates, maxMemoryBytes: options.maxMemoryBytes, index: i, shards, bell, ports: ports[i] };
      this.last.push({ states: 0, transitions: 0, bytes: 0 });
      this.start(i, { kvmMmuLabShard: data }, ports[i].filter((p): p is MessagePort => p !== null), (m) => {
        const r = m as Reply;
        if (!('progress' in r)) return false;
        this.last[i] = r.progress;
        onProgress();
        return true;
      });
    }
  }

  private call<T>(shard: number, command: CommandBody): Promise<T> {
    return this.request<T>(shard, command);
  }

  /** The threads' last reported counts, summed. */
  summed(): { states: number; transitions: number; bytes: number } {
    return this.last.reduce((a, x) => ({ states: a.states + x.states, transitions: a.transitions + x.transitions, bytes: a.bytes + x.bytes }), { states: 0, transitions: 0, bytes: 0 });
  }

  private all<T>(command: (shard: number) => CommandBody): Promise<T[]> {
    return Promise.all(this.workers.map((_, i) => this.call<T>(i, command(i))));
  }

  level(): Promise<ShardLevel[]> {
    return this.all<ShardLevel>(() => ({ cmd: 'level' }));
  }

  async number(start: number, total: number, keys: Float64Array[]): Promise<void> {
    await this.all((i) => ({ cmd: 'number', start, total, keys: keys.filter((_, j) => j !== i) }));
  }

  settle(at: ViolationAt): Promise<Settled[]> {
    return this.all<Settled>(() => ({ cmd: 'settle', at }));
  }

  state(shard: number, local: number): Promise<StoredState> {
    return this.call<StoredState>(shard, { cmd: 'state', local });
  }
}

/** What a thread of the shared search is given: the search's options, its place, the shared buffers. */
interface SharedThreadData {
  variant: Variant;
  bound: Bound;
  /** The search's reduction: every thread canonicalises (and with por, offers candidates) as the coordinator does. */
  reduce?: Reduction;
  /** Hash compaction: every thread looks up the old levels' signatures and keeps them at a level's end. */
  hashCompact?: boolean;
  index: number;
  threads: number;
  shared: SharedBuffers;
}

/** Parents the main thread's searcher expands between two looks at the clock. */
const MAIN_SLICE = 256;
/** Milliseconds of search on the main thread between two turns of its event loop (Ctrl-C, the threads' replies). */
const MAIN_TURN_MS = 10;

/**
 * The shared search (src/explore/packed/shared.ts) as a SharedGroup of the main thread and
 * `threads - 1` worker threads: the main thread is searcher 0 (it would only wait at the barrier
 * otherwise), so --workers N starts N - 1 isolates. Each segment is a command to every worker
 * thread of the level, answered with the places it inserted (transferred, not copied), while the
 * main thread runs its own searcher on the same segment, giving its event loop a turn every
 * MAIN_TURN_MS (so that Ctrl-C and the replies are seen).
 *
 * A worker thread takes part from the first level that begins after it said it is ready (its
 * searcher made): the main thread does not wait for the threads to start, it searches the first
 * levels alone (SharedGroup: a thread joins at a level's start only). `waitForThreads` (tests):
 * wait for every thread before the first level, so that all take part in every level.
 */
class SharedThreads extends RequestThreads implements SharedGroup {
  readonly block = BLOCK;
  private readonly main: SharedSearcher;
  private readonly ready: boolean[] = [];
  private readonly allReady: Promise<void>;
  /** The worker threads (indices into this.workers) taking part in the current level. */
  private active: number[] = [];
  /** Per searcher (0: the main thread), the states it inserted and the levels it took part in. */
  readonly inserted: number[];
  readonly levelsIn: number[];

  constructor(options: ExploreOptions, readonly threads: number, readonly shared: SharedBuffers, private readonly waitForThreads = false) {
    super('explorer thread');
    this.inserted = Array.from({ length: threads }, () => 0);
    this.levelsIn = Array.from({ length: threads }, () => 0);
    let readyCount = 0;
    let allReady = () => {};
    this.allReady = new Promise<void>((resolve) => { allReady = resolve; });
    if (threads === 1) allReady();
    for (let i = 1; i < threads; i++) {
      const data: SharedThreadData = { variant: options.variant, bound: options.bound, reduce: options.reduce, hashCompact: options.hashCompact, index: i, threads, shared };
      this.ready.push(false);
      this.start(i - 1, { kvmMmuLabShared: data }, [], (m) => {
        if (!(m as { ready?: true }).ready) return false;
        this.ready[i - 1] = true;
        if (++readyCount === threads - 1) allReady();
        return true;
      });
    }
    // After the threads are started: their start overlaps with this model's making. If it
    // fails, the started threads must go too: nobody holds this group to close it, and a live
    // worker keeps the process from exiting (it hung after printing the error).
    try {
      this.main = new SharedSearcher(options, 0, shared);
    } catch (e) {
      void this.close();
      throw e;
    }
  }

  async segment(order: SegmentOrder): Promise<SegmentReport[]> {
    if (this.failed) throw this.failed;
    if (order.newLevel) {
      if (this.waitForThreads) await this.allReady;
      this.active = [];
      for (let w = 0; w < this.workers.length; w++) if (this.ready[w]) this.active.push(w);
      this.levelsIn[0]++;
      for (const w of this.active) this.levelsIn[w + 1]++;
    }
    const others = this.active.map((w) => this.request<SegmentReport>(w, { order }));
    // The threads' answers are awaited below; a failure while the main thread searches is seen
    // at its next turn (this.failed), and these rejections must not go unhandled meanwhile.
    for (const p of others) p.catch(() => {});
    this.main.begin(order);
    if (order.collect) collectGarbage();
    let turn = Date.now();
    while (!this.main.step(MAIN_SLICE)) {
      if (Date.now() - turn < MAIN_TURN_MS) continue;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.failed) throw this.failed;
      turn = Date.now();
    }
    const mine = this.main.report();
    const reports = [mine, ...await Promise.all(others)];
    this.inserted[0] += mine.fresh.length;
    this.active.forEach((w, k) => { this.inserted[w + 1] += reports[k + 1].fresh.length; });
    return reports;
  }

  async each(work: BarrierWork): Promise<Array<Int32Array | null>> {
    const parts = this.active.length + 1;
    const others = this.active.map((w, k) => this.request<Int32Array | null>(w, { work, part: k + 1, parts }));
    for (const p of others) p.catch(() => {});
    const mine = doBarrierWork(this.main, work, 0, parts);
    return [mine, ...await Promise.all(others)];
  }
}

/** What runParallelSearch() is asked: the single search's request, and the threads. */
export interface ParallelRequest {
  variant: Variant;
  bound: Bound;
  maxStates?: number;
  /** The command's whole budget: each thread gets an equal share. */
  maxMemoryBytes: number;
  workers: number;
  /** Milliseconds between two progress reports (default 1000). */
  progressIntervalMs?: number;
  /** shared (the default): one visited table in shared memory; partitioned: shards that exchange successors. */
  parallel?: 'shared' | 'partitioned';
  /** A reduction (ExploreOptions.reduce): the shared search only (the partitioned one refuses it). */
  reduce?: Reduction;
  /** Hash compaction (ExploreOptions.hashCompact): the shared search only (the partitioned one refuses it). */
  hashCompact?: boolean;
  /**
   * Tests, shared search: every worker thread takes part from the first level (the main thread
   * waits for them to start), and `threadStates` is filled with the states each searcher
   * inserted (0: the main thread) and `threadLevels` with the levels each took part in.
   */
  waitForThreads?: boolean;
  threadStates?: number[];
  threadLevels?: number[];
}

/**
 * The result of a search the user stopped (Ctrl-C) or whose thread failed: "incomplete, cancelled"
 * with the counts the threads last reported, the same for both parallel searches.
 */
function cancelledResult(req: ParallelRequest, t0: number, last: { states: number; transitions: number; depth: number; bytes: number }): ExploreResult {
  const seconds = (Date.now() - t0) / 1000;
  return {
    variant: req.variant.name, bound: req.bound, boundText: describeBound(req.bound), verdict: 'incomplete', stopped: 'cancelled', states: last.states, transitions: last.transitions, depth: last.depth,
    seconds, statesPerSecond: Math.round(last.states / Math.max(seconds, 1e-6)), peakMemoryBytes: last.bytes, engine: 'packed',
  };
}

/**
 * The shared search (src/explore/packed/shared.ts) on `workers` threads: one budget for all of
 * them (one store, one table), progress at each level's end, Ctrl-C as for the partitioned search.
 */
async function runSharedSearch(req: ParallelRequest, signal?: AbortSignal, onProgress?: (p: Progress) => void): Promise<ExploreResult> {
  const options: ExploreOptions = { variant: req.variant, bound: req.bound, maxStates: req.maxStates, maxMemoryBytes: req.maxMemoryBytes, engine: 'packed', ...(req.reduce ? { reduce: req.reduce } : {}), ...(req.hashCompact ? { hashCompact: true } : {}) };
  const t0 = Date.now();
  const interval = req.progressIntervalMs ?? 1000;
  const meter = new ProgressMeter();
  let lastShown = t0;
  let last = { states: 1, transitions: 0, depth: 0, bytes: 0 };
  const shared = sharedBuffers(req.maxMemoryBytes, req.workers);
  const group = new SharedThreads(options, req.workers, shared, req.waitForThreads);
  const onAbort = () => group.fail(new ShardsStopped('cancelled'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await sharedExplore(options, group, shared, (p) => {
      const depth = p.frontier > 0 ? p.depth + 1 : p.depth;
      last = { states: p.states, transitions: p.transitions, depth, bytes: p.memoryBytes };
      if (!onProgress || Date.now() - lastShown < interval) return;
      lastShown = Date.now();
      onProgress(meter.report({ ...p, depth, frontier: -1 }));
    });
  } catch (e) {
    if (!(e instanceof ShardsStopped)) throw e;
    return cancelledResult(req, t0, last);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await group.close();
    req.threadStates?.push(...group.inserted);
    req.threadLevels?.push(...group.levelsIn);
  }
}

/**
 * One variant's packed search on `workers` threads. Ctrl-C (signal) terminates the threads; the
 * result is then "incomplete, cancelled" with the counts the threads last reported. Progress once
 * an interval at most (a thread's report or a level's end): states, transitions and memory summed
 * over the threads, the depth being searched, the wall clock's seconds, the whole budget as the cap.
 */
export async function runParallelSearch(req: ParallelRequest, signal?: AbortSignal, onProgress?: (p: Progress) => void): Promise<ExploreResult> {
  if ((req.parallel ?? 'shared') === 'shared') return runSharedSearch(req, signal, onProgress);
  if (req.reduce) throw new Error('internal: the partitioned search takes no reduction (the CLI refuses --reduce with --parallel partitioned)');
  if (req.hashCompact) throw new Error('internal: the partitioned search has no hash compaction (the CLI refuses --hash-compact with --parallel partitioned)');
  const options: ExploreOptions = { variant: req.variant, bound: req.bound, maxStates: req.maxStates, maxMemoryBytes: Math.floor(req.maxMemoryBytes / req.workers), engine: 'packed' };
  const t0 = Date.now();
  let depth = 0;
  const interval = req.progressIntervalMs ?? 1000;
  const meter = new ProgressMeter();
  let lastShown = t0;
  const show = () => {
    if (!onProgress || Date.now() - lastShown < interval) return;
    lastShown = Date.now();
    const sum = group.summed();
    onProgress(meter.report({ states: sum.states, transitions: sum.transitions, depth, frontier: -1, seconds: (Date.now() - t0) / 1000, memoryBytes: sum.bytes, maxMemoryBytes: req.maxMemoryBytes }));
  };
  const group = new ThreadShards(options, req.workers, show);
  const onAbort = () => group.fail(new ShardsStopped('cancelled'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // A level's report: the next one is being searched.
    // The next level is searched only when this one found new states (p.frontier).
    return await parallelExplore(options, group, (p) => { depth = p.frontier > 0 ? p.depth + 1 : p.depth; show(); });
  } catch (e) {
    if (!(e instanceof ShardsStopped)) throw e;
    return cancelledResult(req, t0, { ...group.summed(), depth });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await group.close();
  }
}

/** The same search with every shard in this thread (for tests of this file's results against them). */
export function runInThread(req: ParallelRequest): Promise<ExploreResult> {
  const options: ExploreOptions = { variant: req.variant, bound: req.bound, maxStates: req.maxStates, engine: 'packed' };
  return parallelExplore(options, new InThreadShards(options, req.workers));
}

// ---- inside a shard thread ---------------------------------------------------------------------

function shardThread(data: ShardData): void {
  const shard = new PackedShard({ variant: data.variant, bound: data.bound, maxStates: data.maxStates, maxMemoryBytes: data.maxMemoryBytes }, data.index, data.shards);
  const bells = new Int32Array(data.bell);
  const me = data.index;
  const ring = (p: number) => { Atomics.add(bells, p, 1); Atomics.notify(bells, p); };
  let ends = 0;
  /** Take every message the peers sent so far; true when there was one. */
  const receive = (): boolean => {
    let got = false;
    for (let p = 0; p < data.shards; p++) {
      const port = data.ports[p];
      if (!port) continue;
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        got = true;
        const msg = m.message as { batch?: Int32Array; free?: Int32Array; end?: true };
        if (msg.end) ends++;
        else if (msg.free) shard.recycle(msg.free);
        else if (msg.batch) {
          shard.absorb(msg.batch, p);
          // Read: back to its sender, to be filled again (the sender needs no bell for it: it
          // takes it with its next receive(), and makes a new one if it has none by then).
          port.postMessage({ free: msg.batch }, [msg.batch.buffer as ArrayBuffer]);
        }
      }
    }
    return got;
  };
  const send = (all: boolean) => {
    for (let p = 0; p < data.shards; p++) {
      const port = data.ports[p];
      if (!port) continue;
      const batches = shard.takeOutgoing(p, all);
      for (const batch of batches) port.postMessage({ batch }, [batch.buffer as ArrayBuffer]);
      if (batches.length) ring(p);
    }
  };
  let lastProgress = Date.now();
  const level = (): ShardLevel => {
    ends = 0;
    for (let done = false; !done;) {
      done = shard.expand(256);
      send(done);
      receive();
      if (Date.now() - lastProgress >= 500) {
        lastProgress = Date.now();
        parentPort!.postMessage({ progress: { states: shard.states, transitions: shard.transitions, bytes: shard.bytes() } });
      }
    }
    for (let p = 0; p < data.shards; p++) if (data.ports[p]) { data.ports[p]!.postMessage({ end: true }); ring(p); }
    while (ends < data.shards - 1) {
      const seen = Atomics.load(bells, me);
      if (!receive()) Atomics.wait(bells, me, seen, 100);
    }
    return shard.endLevel();
  };
  parentPort!.on('message', (c: Command) => {
    try {
      switch (c.cmd) {
        case 'level': {
          const r = level();
          // The counts first: the coordinator prints its progress line when the level's answer
          // comes, from the counts it has then (sent after it, a line showed 0 states at depth 1).
          parentPort!.postMessage({ progress: { states: shard.states, transitions: shard.transitions, bytes: shard.bytes() } });
          // Copied, not transferred: the shard numbers its level from the same keys.
          parentPort!.postMessage({ id: c.id, result: r });
          return;
        }
        case 'number': shard.number(c.start, c.total, c.keys); parentPort!.postMessage({ id: c.id, result: null }); return;
        case 'settle': parentPort!.postMessage({ id: c.id, result: shard.settle(c.at) }); return;
        case 'state': parentPort!.postMessage({ id: c.id, result: shard.state(c.local) }); return;
      }
    } catch (e) {
      parentPort!.postMessage({ id: c.id, error: e instanceof Error ? e.stack ?? e.message : String(e) });
    }
  });
}

let gc: (() => void) | null | undefined;

/**
 * A full collection in this isolate (the shared search, after a table grew: SegmentOrder.collect).
 * A SharedArrayBuffer's memory is given back only once every isolate that saw it has collected its
 * handle, and a search thread makes almost no garbage of its own, so a dropped table (the old
 * levels' 256 MiB one at issue 17's bound) could stay resident to the end: two workers there held
 * 1.83 GiB at most in one run and 2.27 GiB in the next, the counted bytes the same. V8 collects on
 * request only with --expose-gc; set here, it gives a `gc` to a context made after it (node:v8
 * says flags set at run time may misbehave: if no `gc` comes of it, nothing is collected).
 */
function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const f: unknown = runInNewContext('gc');
      gc = typeof f === 'function' ? (f as () => void) : null;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

/** A thread of the shared search: each segment command runs its searcher to the segment's end. */
function sharedThread(data: SharedThreadData): void {
  const searcher = new SharedSearcher({ variant: data.variant, bound: data.bound, reduce: data.reduce, hashCompact: data.hashCompact }, data.index, data.shared);
  // The main thread gives this thread a level's segments from the next level on.
  parentPort!.postMessage({ ready: true });
  parentPort!.on('message', (c: { id: number; order?: SegmentOrder; work?: BarrierWork; part?: number; parts?: number }) => {
    try {
      if (c.work) {
        const result = doBarrierWork(searcher, c.work, c.part!, c.parts!);
        // A result in shared memory (hash compaction's signatures) is shared, not transferred.
        parentPort!.postMessage({ id: c.id, result }, result && !(result.buffer instanceof SharedArrayBuffer) ? [result.buffer as ArrayBuffer] : []);
        return;
      }
      searcher.begin(c.order!);
      if (c.order!.collect) collectGarbage();
      while (!searcher.step(1 << 30));
      const result = searcher.report();
      parentPort!.postMessage({ id: c.id, result }, [result.fresh.buffer as ArrayBuffer]);
    } catch (e) {
      parentPort!.postMessage({ id: c.id, error: e instanceof Error ? e.stack ?? e.message : String(e) });
    }
  });
}

if (!isMainThread && (workerData as { kvmMmuLabShared?: SharedThreadData } | null)?.kvmMmuLabShared) {
  sharedThread((workerData as { kvmMmuLabShared: SharedThreadData }).kvmMmuLabShared);
}

if (!isMainThread && (workerData as { kvmMmuLabShard?: ShardData } | null)?.kvmMmuLabShard) {
  shardThread((workerData as { kvmMmuLabShard: ShardData }).kvmMmuLabShard);
}
