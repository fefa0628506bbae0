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

/**
 * The one shape of an error under `--json`, for every command, printed on stdout (where the
 * command's JSON goes, and where `patch --json` has always put its report):
 *   {"error": {"code": "usage", "message": "...", "file": "x.json", "line": 3, "column": 5}}
 * `code` names the kind of mistake: usage (the command line, or a file that cannot be read or
 * written), scenario (a scenario file that does not parse: file, line, column), scenario-run (an
 * operation the runner cannot continue: line), variant, bound, patch (a patch that is not a
 * patch: file, line), internal (a bug in the CLI). `message` is the text the command prints without
 * --json (the first problem when there are several); file, line and column are there when known.
 * The exit status is the same as without --json.
 */
export interface JsonError {
  code: 'usage' | 'scenario' | 'scenario-run' | 'variant' | 'bound' | 'patch' | 'internal';
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/** The JSON error object for an error a command threw; undefined for commander's help and version (exit 0). */
export function jsonError(e: unknown): { error: JsonError } | undefined {
  if (e instanceof CommanderError) return e.exitCode === 0 ? undefined : { error: { code: 'usage', message: e.message.replace(/^error: /, '') } };
  if (e instanceof ScenarioError) {
    const p = e.problems[0];
    return { error: { code: 'scenario', message: e.message, ...(p ? { file: p.file, line: p.line, column: p.column } : {}) } };
  }
  if (e instanceof ScenarioRunError) return { error: { code: 'scenario-run', message: e.message, ...(e.line !== undefined ? { line: e.line } : {}) } };
  if (e instanceof VariantError) return { error: { code: 'variant', message: e.message } };
  if (e instanceof BoundError) return { error: { code: 'bound', message: e.message } };
  if (e instanceof UsageError) return { error: { code: 'usage', message: e.message, ...(e.file !== undefined ? { file: e.file } : {}), ...(e.line !== undefined ? { line: e.line } : {}) } };
  return { error: { code: 'internal', message: failure(e).message.replace(/^kvm-mmu-lab: /, '').trimEnd() } };
}

/** Does this command line ask for JSON (`--json` before any `--`)? Known before commander parses it. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}
