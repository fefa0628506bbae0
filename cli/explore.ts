/**
 * kvm-mmu-lab explore: the bounded model checker from a terminal.
 *   explore --variant V --entries N [--ops K] [--accesses A] [--kinds LIST|all] [--json] [--out file]
 *   default bound: E = 4, 4 operations, 2 accesses, every operation kind (docs/explorer.md has the time)
 *   --engine packed (default) | core: the packed model of the scope, or every transition by the core
 *   explore --variant all ...   every preset, two at a time on worker threads, as a table
 *   explore --workers N|auto ...   one variant's packed search on N threads (cli/parallel_explore.ts), the single search's result
 *   explore --hash-compact ...   the packed search keeping a 64-bit hash a state (a "no violation" is then probabilistic); with --workers N too
 *   explore --reduce symmetry ...   the packed search (one worker or the shared search's N) over one state of each orbit of the region's page symmetry (same verdict and depth)
 *   explore --reduce por ...   guest accesses under mmu_lock only after a step visible to them (partial-order reduction; same verdict and depth); symmetry,por takes both
 * Progress on stderr once a second (--progress-interval ms; --quiet none): depth, states, rates, memory against the cap (docs/explorer.md, Progress).
 * Exit status: 0 no violation within the bound, 1 a violation, 2 bad usage, 3 incomplete (a cap), 130 cancelled (Ctrl-C).
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Option, type Command } from 'commander';
import { counterexampleScenario } from '../src/explore/counterexample';
import { engineChoice, Search, type EngineChoice } from '../src/explore/search';
import type { ExploreResult, Reduction } from '../src/explore/result';
import { ProgressMeter, type Progress } from '../src/explore/progress';
import { exploreProgressText } from '../src/view/explore_progress';
import { ALL_KINDS, DEFAULT_BOUND, describeBound, ENTRY_CHOICES, GUEST_TABLES_BOUND, makeScope, PAGE_CHOICES, SCOPE_CHOICES, type Bound } from '../src/explore/scope';
import { scopeLacks } from '../src/explore/packed_gt/covers';
import { exploreResultText, exploreTableText } from '../src/view/explore_text';
import { parseVariant, PRESETS, type Variant } from '../src/kernel/variants';
import { VIOLATION_KINDS, type ViolationKind } from '../src/model/step';
import { EXIT_CANCELLED, EXIT_INCOMPLETE, EXIT_PASS, EXIT_VIOLATION, UsageError } from './exit';
import { writeOutputFile } from './files';
import { terminalSafe } from '../src/view/terminal_text';
import { availableParallelism } from 'node:os';
import { maxMemoryOption, defaultBudgetBytes, memoryBudget, workerShare, type MemoryBudget } from './budget';
import { runParallelSearch } from './parallel_explore';

export interface ExploreRequest {
  variant: Variant;
  bound: Bound;
  maxStates?: number;
  audit?: boolean;
  engine?: 'packed' | 'core';
  /** The search's memory cap: the command's budget, or a worker's share of it (cli/budget.ts). */
  maxMemoryBytes?: number;
  /** Search past violations of other kinds until one of this kind (core engine). */
  until?: ViolationKind;
  /** Hash compaction (ExploreOptions.hashCompact): the packed engine's single search. */
  hashCompact?: boolean;
  /** Milliseconds between two progress reports (--progress-interval; default PROGRESS_INTERVAL_MS). */
  progressIntervalMs?: number;
  /** A reduction (ExploreOptions.reduce): the packed engine's single search. */
  reduce?: Reduction;
}

/** The progress line's default interval: once a second. */
export const PROGRESS_INTERVAL_MS = 1000;

/** A slice of work: 50 ms, shorter when progress is asked more often (0: one check's worth, a state or a few). */
export function sliceMs(progressIntervalMs: number): number {
  return Math.min(50, progressIntervalMs);
}

/**
 * Run one search, in slices, yielding to the event loop between them so a cancel gets through;
 * progress (src/explore/progress.ts) after a slice once the interval has passed since the last.
 */
export async function runSearch(req: ExploreRequest, signal?: AbortSignal, onProgress?: (p: Progress) => void): Promise<ExploreResult> {
  // The cap is the one the request carries (the command's budget, or this worker's share of it):
  // the packed engine compares its store's size (typed arrays, outside the heap) or the heap's,
  // whichever is larger; the core engine the heap's. The heap's size from V8's statistics, the
  // figure process.memoryUsage().heapUsed reports, without the resident-set read that costs the
  // core engine 4 % of a search (it is asked every 16 states).
  const s = new Search({
    variant: req.variant, bound: req.bound, audit: req.audit, maxStates: req.maxStates, engine: req.engine, until: req.until,
    ...(req.hashCompact ? { hashCompact: true } : {}),
    ...(req.reduce ? { reduce: req.reduce } : {}),
    memoryUsed: () => getHeapStatistics().used_heap_size,
    maxMemoryBytes: req.maxMemoryBytes ?? defaultBudgetBytes(),
  });
  const interval = req.progressIntervalMs ?? PROGRESS_INTERVAL_MS;
  const meter = new ProgressMeter();
  let last = Date.now();
  while (!s.run(sliceMs(interval))) {
    if (signal?.aborted) { s.cancel(); break; }
    if (onProgress && Date.now() - last >= interval) { last = Date.now(); onProgress(meter.report(s.progress())); }
    await new Promise((r) => setImmediate(r));
    if (signal?.aborted) { s.cancel(); break; }
  }
  return s.result();
}

export function exitCode(r: ExploreResult): number {
  return r.verdict === 'violation' ? EXIT_VIOLATION : r.verdict === 'incomplete' ? EXIT_INCOMPLETE : EXIT_PASS;
}

interface WorkerMessage { type: 'progress' | 'result'; variant: string; progress?: Progress; result?: ExploreResult }

/**
 * The requests of one command that runs them on `threads` workers at once, each capped at its
 * share of the budget: the workers running together hold at most the budget, not a budget each.
 */
export function shareBudget(reqs: ExploreRequest[], budget: MemoryBudget, threads: number): ExploreRequest[] {
  const cap = workerShare(budget, Math.min(threads, reqs.length));
  return reqs.map((r) => ({ ...r, maxMemoryBytes: cap }));
}

/**
 * Run from the TypeScript source (`node --import tsx cli/main.ts`, as the tests do), an eval'd
 * worker has no TypeScript loader of its own: it registers tsx's before requiring this file.
 */
const FROM_SOURCE = __filename.endsWith('.ts') ? "require('tsx/cjs'); " : '';

/** Every request on up to `threads` worker threads; cancelling terminates them. */
export function runInWorkers(reqs: ExploreRequest[], threads: number, signal?: AbortSignal, onProgress?: (variant: string, p: Progress) => void): Promise<ExploreResult[]> {
  // The workers' V8 compiles a hot function on the worker's own thread, not on a helper thread:
  // each worker is one search that runs its hot loop until that code is ready, and with the
  // compile in the background it ran slower code meanwhile (and the helper threads competed with
  // the other worker for the cores). V8 reads the flag when an isolate is made, so this main
  // thread is as it was and every worker made after it compiles in its own thread; it changes
  // which code runs when, never what a search computes (docs/explorer.md, "Where the guest-tables
  // search's CPU goes": `--variant all` at the default bound, the same rows, about 5 % less CPU).
  setFlagsFromString('--no-concurrent-recompilation');
  return new Promise((resolve, reject) => {
    // Filled, not `new Array(n)`: map() skips the holes of a sparse array, so a cancel left them
    // there and JSON printed them as null.
    const results: Array<ExploreResult | undefined> = Array.from({ length: reqs.length }, () => undefined);
    let next = 0;
    let running = 0;
    const workers = new Set<Worker>();
    const start = () => {
      while (running < threads && next < reqs.length) {
        const index = next++;
        running++;
        const w = new Worker(`globalThis.__kvmMmuLabExploreWorker = true; ${FROM_SOURCE}require(${JSON.stringify(__filename)});`, { eval: true, workerData: { kvmMmuLabExplore: reqs[index] } });
        workers.add(w);
        w.on('message', (m: WorkerMessage) => {
          if (m.type === 'progress' && m.progress) onProgress?.(m.variant, m.progress);
          if (m.type === 'result' && m.result) results[index] = m.result;
        });
        w.on('error', (e) => { for (const x of workers) void x.terminate(); reject(e); });
        w.on('exit', () => {
          workers.delete(w);
          running--;
          if (signal?.aborted) return;
          if (next < reqs.length) start();
          else if (running === 0) resolve(results.map((r, i) => r ?? cancelled(reqs[i])));
        });
      }
    };
    signal?.addEventListener('abort', () => {
      for (const w of workers) void w.terminate();
      resolve(results.map((r, i) => r ?? cancelled(reqs[i])));
    }, { once: true });
    start();
  });
}

function cancelled(req: ExploreRequest): ExploreResult {
  return { variant: req.variant.name, bound: req.bound, boundText: describeBound(req.bound), verdict: 'incomplete', stopped: 'cancelled', states: 0, transitions: 0, depth: 0, seconds: 0, statesPerSecond: 0, peakMemoryBytes: 0 };
}

// Inside a worker started by runInWorkers: run the one search it was given and post the result.
if (!isMainThread && (workerData as { kvmMmuLabExplore?: ExploreRequest } | null)?.kvmMmuLabExplore) {
  const req = (workerData as { kvmMmuLabExplore: ExploreRequest }).kvmMmuLabExplore;
  void runSearch(req, undefined, (p) => parentPort!.postMessage({ type: 'progress', variant: req.variant.name, progress: p })).then((result) => {
    parentPort!.postMessage({ type: 'result', variant: req.variant.name, result });
  });
}

/** The guest-tables scope's guest-table writes (Bound['writes']). */
const WRITE_CHOICES: ReadonlyArray<NonNullable<Bound['writes']>> = ['untrapped', 'trapped', 'both'];

/** The explorer's engines (ExploreResult['engine']). */
const ENGINES: ReadonlyArray<NonNullable<ExploreRequest['engine']>> = ['packed', 'core'];

/** What commander hands the action: --entries, --pages and --engine are one of their choices. */
interface ExploreOpts {
  variant?: string;
  entries?: '2' | '4' | '8';
  ops?: string;
  accesses?: string;
  pages?: 'few' | 'all';
  scope?: 'split' | 'guest-tables';
  writes?: NonNullable<Bound['writes']>;
  faultWindow?: boolean;
  deleteTables?: boolean;
  kinds?: string;
  json?: boolean;
  out?: string;
  maxStates?: string;
  audit?: boolean;
  quiet?: boolean;
  engine?: 'packed' | 'core';
  maxMemory?: string;
  until?: ViolationKind;
  workers?: string;
  parallel?: 'shared' | 'partitioned';
  hashCompact?: boolean;
  progressInterval?: string;
  reduce?: Reduction;
}

/** The reductions --reduce offers (ExploreOptions.reduce): each alone, or both as a list. */
const REDUCE_CHOICES: readonly Reduction[] = ['symmetry', 'por', 'symmetry,por'];

function intOption(name: string, v: string | undefined, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} expects a whole number from ${min} to ${max}, got '${v}'`);
  return n;
}

/** --kinds: undefined = the default bound's kinds; 'all' = every kind (no filter). */
function parseKinds(v: string | undefined): Bound['kinds'] {
  if (v === undefined) return DEFAULT_BOUND.kinds;
  if (v === 'all') return undefined;
  const list = v.split(',').map((x) => x.trim()).filter((x) => x);
  for (const k of list) if (!(ALL_KINDS as string[]).includes(k)) throw new UsageError(`--kinds expects a comma-separated list of ${ALL_KINDS.join(', ')}, or all; got '${k}'`);
  return list as Bound['kinds'];
}

/**
 * --workers: 1 (the default: the single search), a number of threads, or auto (this machine's
 * cores). More than one runs the shared search, or with --parallel partitioned the partitioned
 * one (cli/parallel_explore.ts), which the packed
 * engine of one variant has; the other searches say so instead of ignoring the option.
 */
function workersOf(o: ExploreOpts, engine: 'packed' | 'core'): number {
  if (o.workers === undefined) return 1;
  const n = o.workers === 'auto' ? availableParallelism() : intOption('workers', o.workers, 1, 1, 64);
  if (n > 1 && o.variant === 'all') throw new UsageError('--workers searches one variant on several threads; --variant all already runs two presets at a time (leave out one of them)');
  if (n > 1 && o.scope === 'guest-tables') throw new UsageError('--workers runs the split scope\'s packed search only (the guest-tables scope searches on one thread); leave out --workers');
  if (n > 1 && (engine === 'core' || o.audit)) throw new UsageError('--workers runs the packed engine only (the core engine and --audit search on one thread); leave out --workers, or --engine core / --audit / --until');
  if (n > 1 && o.hashCompact && o.parallel === 'partitioned') throw new UsageError('--hash-compact runs on the single search and the shared one (--parallel shared, the default), not the partitioned one (its shards keep their states); leave out --parallel partitioned or --hash-compact');
  if (n > 1 && o.reduce && o.parallel === 'partitioned') throw new UsageError('--reduce runs on the single search and the shared one (--parallel shared, the default), not the partitioned one (kept to compare, without reductions); leave out --parallel partitioned or --reduce');
  return n;
}

/**
 * --hash-compact: the packed engine's single search (src/explore/packed/search.ts); the core
 * engine, --audit and --until (which run the core engine) keep every state's key, and say so
 * instead of ignoring the option.
 */
function hashCompactOf(o: ExploreOpts, engine: 'packed' | 'core'): boolean {
  if (!o.hashCompact) return false;
  if (o.scope === 'guest-tables') throw new UsageError('--hash-compact runs on the split scope\'s packed search only (the guest-tables scope runs on its own packed search, the default, or the core engine, neither with hash compaction); leave out --hash-compact or --scope guest-tables');
  if (engine === 'core' || o.audit) throw new UsageError('--hash-compact runs on the packed engine only; leave out --hash-compact, or --engine core / --audit / --until');
  return true;
}

/**
 * --reduce symmetry: the packed engine's single search (src/explore/packed/page_symmetry.ts); the
 * core engine keeps string keys that the page symmetry does not act on, and says so. --reduce por
 * runs on both engines (the footprint: the packed model's fresh byte, the core's Node.foot), in the
 * split scope only (its footprint is a mask of the region's 2M frames).
 */
function reduceOf(o: ExploreOpts, engine: 'packed' | 'core'): Reduction | undefined {
  if (o.reduce === undefined) return undefined;
  if (o.reduce === 'por') {
    if (o.scope === 'guest-tables') throw new UsageError('--reduce por runs on the split scope only (its footprint is a set of the region\'s 2M frames); leave out --reduce or --scope guest-tables');
    return o.reduce;
  }
  if (o.scope === 'guest-tables') throw new UsageError('--reduce symmetry runs on the split scope\'s packed search only (the guest-tables scope runs on its own packed search, the default, or the core engine, neither with reductions); leave out --reduce or --scope guest-tables');
  if (engine === 'core' || o.audit) throw new UsageError('--reduce runs on the packed engine only; leave out --reduce, or --engine core / --audit / --until');
  return o.reduce;
}

/** The bound and engine the options ask for, each left out taken from the scope's default. */
function boundOf(o: ExploreOpts): { bound: Bound; choice: EngineChoice } {
  const guest = o.scope === 'guest-tables';
  const base = guest ? GUEST_TABLES_BOUND : DEFAULT_BOUND;
  const numbers = { entries: Number(o.entries ?? base.entries), ops: intOption('ops', o.ops, base.ops, 1, 12), accesses: intOption('accesses', o.accesses, base.accesses, 0, 12) };
  if (!guest) {
    if (o.writes !== undefined) throw new UsageError('--writes chooses the guest-tables scope\'s guest-table writes; use it with --scope guest-tables');
    if (o.faultWindow) throw new UsageError('--fault-window is the guest-tables scope\'s; use it with --scope guest-tables');
    if (o.deleteTables) throw new UsageError('--delete-tables is the guest-tables scope\'s; use it with --scope guest-tables');
    const kinds = parseKinds(o.kinds);
    const bound: Bound = { ...numbers, pages: o.pages ?? DEFAULT_BOUND.pages, ...(kinds ? { kinds } : {}) };
    return { bound, choice: engineOfCommand(o, bound) };
  }
  // The guest-tables scope has its own menu: --kinds chooses its operations besides faults.
  if (o.pages !== undefined) throw new UsageError('--pages chooses the split scope\'s menu; the guest-tables scope has its own (docs/explorer.md)');
  const kinds = parseGuestTableKinds(o.kinds);
  if (o.deleteTables && kinds && !kinds.includes('delete-memslot')) throw new UsageError('--delete-tables adds a memslot deletion; --kinds leaves out delete-memslot');
  const bound: Bound = {
    ...numbers, scope: 'guest-tables', ...(o.writes && o.writes !== 'untrapped' ? { writes: o.writes } : {}), ...(o.faultWindow ? { faultWindow: true } : {}),
    ...(o.deleteTables ? { deleteTables: true } : {}), ...(kinds ? { kinds } : {}),
  };
  return { bound, choice: engineOfCommand(o, bound) };
}

/** The guest-tables scope's --kinds: its operations besides faults, 'all' (the default) or 'none' (accesses and the write only). */
function parseGuestTableKinds(v: string | undefined): Bound['kinds'] {
  if (v === undefined || v === 'all') return undefined;
  if (v === 'none') return [];
  const list = v.split(',').map((x) => x.trim()).filter((x) => x);
  for (const k of list) if (!(GUEST_TABLE_KINDS as string[]).includes(k)) throw new UsageError(`--kinds in the guest-tables scope expects a comma-separated list of ${GUEST_TABLE_KINDS.join(', ')}, all or none; got '${k}'`);
  return list as Bound['kinds'];
}

/** The guest-tables scope's operations besides faults (Bound['kinds']). */
const GUEST_TABLE_KINDS: NonNullable<Bound['kinds']> = ['delete-memslot', 'invalidate'];

/**
 * The engine of either scope (src/explore/search.ts engineChoice()): packed unless --engine core,
 * or the core, said in the result, for what only it does (--audit, --until, a guest-tables menu the
 * packed model does not cover: packed_gt/covers.ts). Asked for by name, the packed engine is not
 * swapped for the core: with --until, or on a menu its model lacks, the command is refused instead.
 */
function engineOfCommand(o: ExploreOpts, bound: Bound): EngineChoice {
  if (o.until && o.engine === 'packed') throw new UsageError('--until runs on the core engine only; leave out --engine or use --engine core');
  if (o.engine === 'packed' && bound.scope === 'guest-tables') {
    const lacks = scopeLacks(makeScope(bound));
    if (lacks.length) {
      throw new UsageError(`the guest-tables scope's packed engine (docs/explorer.md, "The packed engine for the guest-tables scope") does not cover this scope: it lacks ${lacks.join(', ')}; ` +
        'leave out --engine (the core then searches it, and says so) or use --engine core, or leave those actions out of the scope (--kinds none: accesses and the write only)');
    }
  }
  return engineChoice({ engine: o.engine, audit: o.audit, until: o.until, bound });
}

export function registerExplore(program: Command, setExit: (code: number) => void): void {
  program.command('explore')
    .description(`bounded model checking: search every interleaving within a bound for a shortest counterexample; a clean result holds only within the bound and names what the bound could not reach (default bound: E = ${DEFAULT_BOUND.entries}, ${DEFAULT_BOUND.ops} operations, ${DEFAULT_BOUND.accesses} accesses, faults + ${(DEFAULT_BOUND.kinds ?? ALL_KINDS).join(' + ')})`)
    .option('-v, --variant <variant>', `a preset (${PRESETS.map((p) => p.name).join(', ')}), preset+policy=value,..., or "all"`, 'v7')
    .addOption(new Option('--scope <scope>', 'split (the eager split and dirty logging, two aliased roots) or guest-tables (guest tables that change: one guest-table write, untrapped unless --writes says otherwise, faults, a memslot deletion, invalidations; its own packed engine by default, --engine core for the core; E = 2, 4 operations, 2 accesses by default)').choices(SCOPE_CHOICES).default('split'))
    .addOption(new Option('--writes <which>', 'the guest-tables scope\'s one guest-table write: untrapped (by the VMM, the default), trapped (the guest\'s own store, emulated while write-tracked) or both').choices(WRITE_CHOICES))
    .option('--fault-window', 'the guest-tables scope: also let each access\'s fault stop between its guest walk and its mmu_lock, so that writes and other operations run there (the window FNAME(gpte_changed) re-checks)')
    .option('--delete-tables', 'the guest-tables scope: also offer the deletion of memslot 0, which holds the guest tables (with slotZap=memslot, the deletion that zaps the SPs shadowing them)')
    .addOption(new Option('-e, --entries <n>', `entries per table (default ${DEFAULT_BOUND.entries}; ${GUEST_TABLES_BOUND.entries} in the guest-tables scope)`).choices(ENTRY_CHOICES.map(String)))
    .option('--ops <k>', `bound on KVM operations (faults included), default ${DEFAULT_BOUND.ops}`)
    .option('--accesses <a>', `bound on guest accesses, default ${DEFAULT_BOUND.accesses}`)
    .addOption(new Option('--pages <which>', `region pages the menu names: few (4) or all (default ${DEFAULT_BOUND.pages})`).choices(PAGE_CHOICES))
    .option('--kinds <list>', `KVM operations besides faults: comma-separated of ${ALL_KINDS.join(', ')}, or all (default ${DEFAULT_BOUND.kinds ? DEFAULT_BOUND.kinds.join(',') : 'all'}); in the guest-tables scope of ${GUEST_TABLE_KINDS.join(', ')}, all (the default) or none`)
    .addOption(new Option('--engine <engine>', 'packed (the default in both scopes: the packed model of the scope, counterexamples confirmed by the core) or core (every transition run by the core; slow). --audit and --until run on the core: without --engine the explorer takes it and says so').choices(ENGINES))
    .addOption(new Option('--until <kind>', 'search past violations of other kinds until one of this kind (the core engine, taken for it and said so in the result; e.g. sp-use-after-free: the kernel goes on after the earlier WARNs)').choices(VIOLATION_KINDS))
    .option('--max-states <n>', 'stop (incomplete, exit 3) after this many distinct states')
    .option('--audit', 'also audit the whole structure after every transition (slower; the core engine, taken for it and said so in the result)')
    .option('-o, --out <file>', 'write the counterexample as a scenario file')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--progress-interval <ms>', `milliseconds between two progress lines on stderr (default ${PROGRESS_INTERVAL_MS}; 0: after every slice of work, a few states)`)
    .option('--json', 'print JSON instead of text')
    .option('--workers <n>', 'threads for one variant\'s search: a number, or auto (this machine\'s cores); the result is the single search\'s (packed engine; default 1)')
    .addOption(new Option('--parallel <search>', 'with --workers > 1: shared (one visited table in shared memory, each thread inserts its own successors; the default) or partitioned (states owned by hash, successors sent to their owner; the earlier design, kept to compare): both give the single search\'s result (docs/explorer.md)').choices(['shared', 'partitioned']))
    .option('--hash-compact', 'keep a 64-bit hash of each state instead of the state (hash compaction; packed engine, one worker or the shared search\'s several): larger bounds fit, but a "no violation" is then probabilistic, with the omission bound printed; a violation is still replayed by the core and certain')
    .addOption(new Option('--reduce <reduction>', 'symmetry: search one state of each orbit of the region\'s interchangeable pages once logging is on without initially-set and no split is left; por: offer a guest access while mmu_lock is held only after a step visible to its 2M frame (partial-order reduction); symmetry,por: both (symmetry: packed engine; por: either engine, split scope; one worker or the shared search\'s several): the same verdict, shortest counterexample length and goals, fewer states (docs/explorer.md)').choices(REDUCE_CHOICES))
    .addOption(maxMemoryOption('explore'))
    .action((o: ExploreOpts) => exploreCommand(o, setExit));
}

async function exploreCommand(o: ExploreOpts, setExit: (code: number) => void): Promise<void> {
  const { bound, choice } = boundOf(o);
  const engine = choice.engine;
  const hashCompact = hashCompactOf(o, engine);
  const reduce = reduceOf(o, engine);
  const workers = workersOf(o, engine);
  const maxStates = o.maxStates === undefined ? undefined : intOption('max-states', o.maxStates, 0, 1, 2 ** 31);
  // The packed engine's store is outside the JS heap; the core engine's states (and --audit's) are on it.
  const budget = memoryBudget(o.maxMemory, engine === 'core');
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const progressIntervalMs = intOption('progress-interval', o.progressInterval, PROGRESS_INTERVAL_MS, 0, 3_600_000);
  const progress = (label: string, p: Progress) => {
    if (o.quiet) return;
    process.stderr.write(terminalSafe(`explore ${label}: ${exploreProgressText(p)}\n`));
  };
  try {
    if (o.variant === 'all') {
      const threads = 2;
      // The engine as asked (o.engine): the search takes the same choice and says why in each row.
      const reqs = shareBudget(PRESETS.map((p) => ({ variant: parseVariant(p.name), bound, maxStates, audit: o.audit, engine: o.engine, until: o.until, hashCompact, reduce, progressIntervalMs })), budget, threads);
      const rows = await runInWorkers(reqs, threads, controller.signal, progress);
      process.stdout.write(o.json ? JSON.stringify(rows, null, 2) + '\n' : terminalSafe(`bound: ${describeBound(bound)}\nengine: ${engine}${choice.fallback ? ` (${choice.fallback})` : ''}\n\n${exploreTableText(rows)}`));
      if (cancelledBy(controller.signal, setExit)) return;
      setExit(rows.some((r) => r.verdict === 'violation') ? EXIT_VIOLATION : rows.some((r) => r.verdict === 'incomplete') ? EXIT_INCOMPLETE : EXIT_PASS);
      return;
    }
    const variant = parseVariant(o.variant ?? 'v7');
    const r = workers > 1
      ? await runParallelSearch({ variant, bound, maxStates, maxMemoryBytes: budget.bytes, workers, progressIntervalMs, parallel: o.parallel, reduce, hashCompact }, controller.signal, (p) => progress(variant.name, p))
      : await runSearch({ variant, bound, maxStates, audit: o.audit, engine: o.engine, maxMemoryBytes: budget.bytes, until: o.until, hashCompact, reduce, progressIntervalMs }, controller.signal, (p) => progress(variant.name, p));
    let file: string | undefined;
    let scenario: unknown;
    if (r.verdict === 'violation' && r.actions) {
      scenario = counterexampleScenario(variant, bound, r.actions, r.violation, o.until);
      if (o.out) { writeOutputFile(o.out, JSON.stringify(scenario, null, 2) + '\n'); file = o.out; }
    }
    process.stdout.write(o.json ? JSON.stringify({ ...r, ...(scenario ? { counterexample: scenario } : {}) }, null, 2) + '\n' : terminalSafe(exploreResultText(r, file)));
    if (cancelledBy(controller.signal, setExit)) return;
    setExit(exitCode(r));
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/**
 * After Ctrl-C: what was found so far has been printed (rows the cancel cut short say
 * "cancelled"); the status is 130, never a verdict, and stderr says the search was cancelled,
 * so that neither a script nor a reader takes the partial result for a clean one.
 */
function cancelledBy(signal: AbortSignal, setExit: (code: number) => void): boolean {
  if (!signal.aborted) return false;
  process.stderr.write('kvm-mmu-lab: explore cancelled (SIGINT): the search stopped before it covered the bound; nothing is claimed for what it did not reach\n');
  setExit(EXIT_CANCELLED);
  return true;
}

/** For tests: is this module running as an explorer worker? */
export const inExploreWorker = !isMainThread && !!(workerData as { kvmMmuLabExplore?: unknown } | null)?.kvmMmuLabExplore;
