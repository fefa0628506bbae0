/**
 * The diagnostics of one input, capped: the first few are kept with their text, the rest only
 * counted, so that a malformed input of millions of lines costs a counter per problem, not a
 * message per problem (and the reader gets a screenful, not two million lines).
 */
import type { Diagnostic } from './types';

/** How many diagnostics are kept with their text; past this they are counted. */
export const MAX_SHOWN_DIAGNOSTICS = 20;

export class Diagnostics {
  readonly list: Diagnostic[] = [];
  /** Problems found past the cap. */
  suppressed = 0;
  private firstSuppressedLine = 0;

  constructor(readonly file: string, readonly cap = MAX_SHOWN_DIAGNOSTICS) {}

  /** No more text is kept: callers may skip building a message. */
  get full(): boolean {
    return this.list.length >= this.cap;
  }

  /** Record a problem; `message` may be a function so that a suppressed one costs nothing to build. */
  add(severity: Diagnostic['severity'], line: number, message: string | (() => string), expected?: string): void {
    if (this.full) {
      if (this.suppressed++ === 0) this.firstSuppressedLine = line;
      return;
    }
    this.list.push({ severity, file: this.file, line, message: typeof message === 'function' ? message() : message, ...(expected ? { expected } : {}) });
  }

  error(line: number, message: string | (() => string), expected?: string): void {
    this.add('error', line, message, expected);
  }

  warning(line: number, message: string | (() => string)): void {
    this.add('warning', line, message);
  }

  /** The kept diagnostics, followed by one line that counts the suppressed ones (if any). */
  finish(): Diagnostic[] {
    if (this.suppressed) {
      this.list.push({
        severity: 'error', file: this.file, line: this.firstSuppressedLine,
        message: `${this.suppressed} more problem(s) from this line on are not shown (only the first ${this.cap} are)`,
        expected: 'the first problems fixed; the rest often follow from them',
      });
    }
    return this.list;
  }
}
