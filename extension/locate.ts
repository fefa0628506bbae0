// A minimal source locator: where a step's statement is in a kernel file's text. It finds the
// function by its definition line (column 0, the name followed by "("; a prototype ending in ";"
// is skipped) and the statement inside it, whitespace-insensitively. It stands in until the source
// anchoring of src/anchor/ (renames, moved statements, fuzzy matches) is committed; then this file
// is the one to swap. No vscode import: the unit tests load it.
import type { Anchor } from '../src/trace/types';

export interface Located {
  /** 0-based line of the function's definition. */
  fnLine: number;
  /** Where the statement is (0-based lines and columns); the function's line when `how` is 'function'. */
  line: number;
  character: number;
  endLine: number;
  endCharacter: number;
  /** 'statement': found as written; 'function': the function is there but not this statement. */
  how: 'statement' | 'function';
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Offset of the start of each line of `text`. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function position(starts: readonly number[], offset: number): [number, number] {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return [lo, offset - starts[lo]];
}

/** The span [start, end) of the definition of `fn` in `text`, from its first line to its closing "}" at column 0. */
export function findFunction(text: string, fn: string): { start: number; bodyStart: number; end: number } | undefined {
  const definition = new RegExp(`^[A-Za-z_].*\\b${escape(fn)}\\s*\\(`, 'gm');
  for (let m = definition.exec(text); m; m = definition.exec(text)) {
    const after = m.index + m[0].length;
    const brace = text.indexOf('{', after);
    const semi = text.indexOf(';', after);
    if (brace < 0 || (semi >= 0 && semi < brace)) continue; // a prototype or a call at file scope
    const close = /^\}/gm;
    close.lastIndex = brace;
    const end = close.exec(text);
    return { start: m.index, bodyStart: brace, end: end ? end.index + 1 : text.length };
  }
  return undefined;
}

/** Where `anchor` (function and statement) is in `text`, or undefined when the function is not there. */
export function locateAnchor(text: string, anchor: Pick<Anchor, 'fn' | 'stmt'>): Located | undefined {
  const span = findFunction(text, anchor.fn);
  if (!span) return undefined;
  const starts = lineStarts(text);
  const [fnLine] = position(starts, span.start);
  // The body without whitespace, and for each kept character its offset in the text.
  const kept: number[] = [];
  let squeezed = '';
  for (let i = span.bodyStart; i < span.end; i++) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    squeezed += c;
    kept.push(i);
  }
  const wanted = anchor.stmt.replace(/\s+/g, '');
  const at = wanted ? squeezed.indexOf(wanted) : -1;
  if (at < 0) {
    const lineEnd = text.indexOf('\n', span.start);
    return { fnLine, line: fnLine, character: 0, endLine: fnLine, endCharacter: (lineEnd < 0 ? text.length : lineEnd) - span.start, how: 'function' };
  }
  const [line, character] = position(starts, kept[at]);
  const [endLine, endCharacter] = position(starts, kept[at + wanted.length - 1] + 1);
  return { fnLine, line, character, endLine, endCharacter, how: 'statement' };
}
