/**
 * One memory budget per command (`run`, `check`, `compare`, `patch`, `explore`): a default from
 * the machine, or `--max-memory <MiB>`. The command refuses work whose estimate is over it before
 * building anything (a scenario: src/run/estimate.ts; a patch: its size), checks its measure
 * against it as the work grows, and shares it among its workers (explore --variant all divides
 * it). Every refusal is exit 2 and names the budget. docs/reliability.md (Memory) has the numbers.
 */
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { Option } from 'commander';
import { ResourceLimitError } from '../src/model/errors';
import type { RunOptions } from '../src/run/runner';
import { estimateRun, MAX_STRING_CHARS, type RunShape } from '../src/run/estimate';
import type { Scenario } from '../src/scenario/types';
import { UsageError } from './exit';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** What one command may use: bytes, and where the number came from (for messages). */
export interface MemoryBudget {
  bytes: number;
  /** True when --max-memory set it. */
  given: boolean;
}

/**
 * What V8 lets this process's heap grow to, less 15% for the collector's room: work on the JS
 * heap (a scenario's run, a patch) past it ends in "heap out of memory" (exit 134), which no catch sees.
 */
export function heapRoom(): number {
  return Math.floor(getHeapStatistics().heap_size_limit * 0.85);
}

/** The default: half the machine's memory, at most 4 GiB and at most what the heap holds. */
export function defaultBudgetBytes(): number {
  return Math.min(4 * GiB, Math.floor(totalmem() / 2), heapRoom());
}

export function mib(bytes: number): string {
  return `${Math.round((bytes / MiB) * 10) / 10} MiB`;
}

/**
 * --max-memory's value (MiB, a whole number). `heapBound`: the work lives on the JS heap, so the
 * budget cannot usefully exceed heapRoom() (the packed explorer's store is outside it).
 */
export function memoryBudget(option: string | undefined, heapBound: boolean): MemoryBudget {
  if (option === undefined) return { bytes: defaultBudgetBytes(), given: false };
  const max = Math.floor((heapBound ? Math.min(heapRoom(), totalmem()) : totalmem()) / MiB);
  const n = /^\d+$/.test(option.trim()) ? Number(option) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new UsageError(`--max-memory expects a whole number of MiB from 1 to ${max}${heapBound ? " (what this Node's heap holds; node --max-old-space-size raises it)" : " (this machine's memory)"}, got '${option}'`);
  }
  return { bytes: n * MiB, given: true };
}

/** The budget in a message: its size and how to change it. */
export function budgetText(b: MemoryBudget): string {
  return b.given
    ? `the memory budget of ${mib(b.bytes)} (--max-memory)`
    : `the memory budget of ${mib(b.bytes)} (the default: half this machine's memory, at most 4 GiB and what Node's heap holds; --max-memory changes it)`;
}

/** What the budget refuses, per command, for its help. */
export const BUDGET_HELP = {
  scenario: 'a scenario whose run would hold more (about 6 bytes a memslot page, and 150 a page split to 4K; a kept trace more) is refused before it starts',
  patch: 'a patch needing more (about 1,500 bytes a line) is refused before it is read',
  explore: 'the search stops there (incomplete); --variant all gives each of its two workers half; --workers N shares it between its threads (one store and table; with --parallel partitioned each thread holds an N-th)',
} as const;

/** The option every budgeted command takes, with the default as it is on this machine. */
export function maxMemoryOption(what: keyof typeof BUDGET_HELP): Option {
  return new Option('--max-memory <MiB>', `the memory budget of the command, in MiB (default here ${Math.floor(defaultBudgetBytes() / MiB)}: half the machine's memory, at most 4 GiB and what Node's heap holds); ${BUDGET_HELP[what]}${what === 'explore' ? '' : ' (exit 2)'}`);
}

/** The command's own measure of what it holds: its JS heap and its buffers (typed arrays live outside the heap). */
export function bytesInUse(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Refuse a scenario whose run, by its estimate, would not fit: before its state is built. */
export function refuseScenarioOverBudget(file: string, s: Scenario, shape: RunShape, budget: MemoryBudget): void {
  const e = estimateRun(s, shape);
  if (e.jsonChars > MAX_STRING_CHARS) {
    throw new UsageError(`${file}: its --json trace would be about ${Math.round(e.jsonChars / 1e6)} million characters (${e.writes} SPTE writes), more than one string can hold (${Math.round(MAX_STRING_CHARS / 1e6)} million); use the text trace, or check --json`);
  }
  // The runner's checks measure the whole heap (Node's and the program's own, some 12 MiB): so does this.
  const now = bytesInUse();
  if (now + e.bytes > budget.bytes) {
    throw new UsageError(`${file}: its run would hold about ${mib(e.bytes)} (${e.slotPages} memslot pages, ${e.leafPages} pages split to 4K) besides the ${mib(now)} in use, over ${budgetText(budget)}; expected a scenario that fits it`);
  }
}

/** The runner's options that check the budget every few thousand steps, by this process's measure. */
export function runLimits(budget: MemoryBudget): Pick<RunOptions, 'maxMemoryBytes' | 'memoryUsed'> {
  return { maxMemoryBytes: budget.bytes, memoryUsed: bytesInUse };
}

/** Run `work`; a stop at the budget (the runner's ResourceLimitError) becomes the user's exit 2, naming the budget. */
export function withinBudget<T>(what: string, budget: MemoryBudget, work: () => T): T {
  try {
    return work();
  } catch (e) {
    if (e instanceof ResourceLimitError) throw new UsageError(`${what}: ${e.message.replace(/, the cap is .*$/, '')}, over ${budgetText(budget)}`);
    throw e;
  }
}

/**
 * What reading a patch holds, by its text: the text itself (a byte a character, two where it is
 * not Latin-1, and the file's buffer) and, per line, the line's string, its parsed form, the
 * classifier's records of it and the report's. Measured (docs/reliability.md): peak resident less
 * Node's own was 1,100 to 1,430 bytes a line for an mbox series, a diff of many files, one hunk
 * of long lines and one of empty ones; rounded up to 1,500.
 */
export const PATCH_BYTES_PER_LINE = 1500;
export const PATCH_BYTES_PER_BYTE = 4;

/** Lines in a patch's bytes (newlines, and a last line without one). */
export function countLines(buf: Uint8Array): number {
  let lines = 0;
  for (let k = buf.indexOf(10); k >= 0; k = buf.indexOf(10, k + 1)) lines++;
  return buf.length && buf[buf.length - 1] !== 10 ? lines + 1 : lines;
}

/** About what reading `bytes` of patch text in `lines` lines holds. */
export function patchBytesNeeded(bytes: number, lines: number): number {
  return bytes * PATCH_BYTES_PER_BYTE + lines * PATCH_BYTES_PER_LINE;
}

/** Refuse patch input whose reading would not fit, by its size and lines, before it is decoded. */
export function refusePatchOverBudget(file: string, buf: Uint8Array, budget: MemoryBudget): void {
  const lines = countLines(buf);
  const need = patchBytesNeeded(buf.length, lines);
  if (bytesInUse() + need > budget.bytes) {
    throw new UsageError(`${file}:1: ${buf.length} bytes in ${lines} lines would need about ${mib(need)} to read (${PATCH_BYTES_PER_LINE} bytes a line), over ${budgetText(budget)}; expected a patch of at most ${Math.floor(budget.bytes / (PATCH_BYTES_PER_LINE + 40 * PATCH_BYTES_PER_BYTE))} lines of 40 characters`);
  }
}

/** Each of `threads` workers running at once gets an equal share: together they hold at most the budget. */
export function workerShare(budget: MemoryBudget, threads: number): number {
  return Math.floor(budget.bytes / Math.max(1, threads));
}
