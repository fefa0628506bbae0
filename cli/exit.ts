/**
 * The CLI's exit statuses, and the one place that turns an error into one. Every command throws
 * what went wrong; main() asks `failure()` what to print and which status to exit with, by the
 * error's class (never by matching its message): the user's mistakes are one line and status 2,
 * anything else is the CLI's own bug, said to be one, with a status no outcome uses.
 */
import { CommanderError } from 'commander';
import { BoundError } from '../src/explore/scope';
import { VariantError } from '../src/kernel/variants';
import { ScenarioRunError } from '../src/run/runner';
import { ScenarioError } from '../src/scenario/parse';

export const EXIT_PASS = 0;
export const EXIT_VIOLATION = 1;
export const EXIT_USAGE = 2;
/** `patch`: the patch is not understood; `explore`: the search stopped at a cap. */
export const EXIT_INCOMPLETE = 3;
/** Cancelled by the user (Ctrl-C, SIGINT): 128 + the signal's number, as a shell reports it. */
export const EXIT_CANCELLED = 130;
/** A bug in the CLI or the core: distinct from every command's outcomes. */
export const EXIT_INTERNAL = 4;

/** A problem with what the user gave the CLI itself (a file it cannot read, a bad --kinds list). */
export class UsageError extends Error {
  /** The file the problem is in (and its line), when there is one: the JSON error names them. */
  readonly file?: string;
  readonly line?: number;
  constructor(message: string, where: { file?: string; line?: number } = {}) {
    super(message);
    this.name = 'UsageError';
    if (where.file !== undefined) this.file = where.file;
    if (where.line !== undefined) this.line = where.line;
  }
}

/**
 * The core's errors that are the user's mistake: a scenario that does not parse (file:line:col),
 * one the runner cannot continue (its operation), a variant spec, an explorer bound.
 */
const USAGE_ERRORS = [UsageError, ScenarioError, ScenarioRunError, VariantError, BoundError];

export function isUsageError(e: unknown): e is Error {
  return USAGE_ERRORS.some((c) => e instanceof c);
}

/** What to print on stderr (possibly nothing) and the status to exit with, for an error a command threw. */
export function failure(e: unknown): { code: number; message: string } {
  // commander has printed its own message (or the help, or the version, which exit 0).
  if (e instanceof CommanderError) return { code: e.exitCode === 0 ? EXIT_PASS : EXIT_USAGE, message: '' };
  if (isUsageError(e)) return { code: EXIT_USAGE, message: `kvm-mmu-lab: ${e.message}\n` };
  const text = e instanceof Error ? e.message : String(e);
  return { code: EXIT_INTERNAL, message: `kvm-mmu-lab: internal error: ${text}\n(please report it with the command line and its input)\n` };
}
