/**
 * Source anchoring: find each modelled step (src/kernel/anchors.ts) in the reviewer's own kernel
 * files. Order of attempts, each with its confidence:
 *   exact   (1.0)  the anchor's function, the anchor's statement
 *   renamed (0.9)  a known other name of the function or statement (names.ts), in its function
 *   moved   (0.75) the statement where the kernel's history moved it (names.ts KNOWN_MOVES, with
 *                  the commit); never a look-alike found elsewhere in the file
 *   fuzzy   (<=0.7) a line in the function calling the same callee with most of the same tokens
 * Otherwise "not found", with the reason: the file was not given, the function is absent (and
 * what that means for the version), or the statement is absent.
 */
import { ANCHORS, type AnchorId } from '../kernel/anchors';
import { functionAt, indexFunctions, norm, type FunctionSpan } from '../source/cfunc';
import { functionAbsence, functionAliases, KNOWN_MOVES, STATEMENT_ABSENCE, STATEMENT_ALIASES } from '../source/names';

export interface SourceFile {
  /** Path as given (only the base name is used to match the anchor's file). */
  path: string;
  text: string;
}

export type AnchorHow = 'exact' | 'renamed' | 'moved' | 'fuzzy';

export interface AnchorFound {
  id: AnchorId;
  found: true;
  file: string;
  line: number;
  /** The function found holding the statement. */
  function: string;
  how: AnchorHow;
  confidence: number;
  /** The last line of the statement (it may span lines; equal to `line` for a fuzzy match). */
  endLine: number;
  /** The source line found. */
  text: string;
  /** For renamed/moved: which known name or version form matched (a move names its commit); for fuzzy: the score. */
  note?: string;
  /** For moved: the commit that moved the statement. */
  commit?: string;
}

export interface AnchorMissing {
  id: AnchorId;
  found: false;
  /** The anchor's own file, function and statement. */
  file: string;
  function: string;
  reason: string;
  /** The 1-based line where the function (or a renamed form) starts, when it is in the given file without the statement. */
  functionLine?: number;
}

export type AnchorResult = AnchorFound | AnchorMissing;

export function baseName(p: string): string {
  const k = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return k >= 0 ? p.slice(k + 1) : p;
}

interface Indexed {
  file: SourceFile;
  lines: string[];
  spans: FunctionSpan[];
  byName: Map<string, FunctionSpan>;
  /** Whitespace-free text of each line, and prefix offsets into their concatenation. */
  normLines: string[];
}

function indexFile(f: SourceFile): Indexed {
  const lines = f.text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const spans = indexFunctions(lines);
  const byName = new Map<string, FunctionSpan>();
  for (const s of spans) if (!byName.has(s.name)) byName.set(s.name, s);
  return { file: f, lines, spans, byName, normLines: lines.map(norm) };
}

/** A statement found: its first and last line (1-based). */
interface Span { line: number; endLine: number }

/** Find a whitespace-free statement in lines [from, to] (1-based, inclusive); it may span lines. */
function findStmt(ix: Indexed, stmt: string, from: number, to: number): Span | undefined {
  const want = norm(stmt);
  if (!want) return undefined;
  // Join the range with line starts recorded, then map the hit's first and last offsets back to their lines.
  let joined = '';
  const starts: number[] = [];
  for (let l = from; l <= to; l++) { starts.push(joined.length); joined += ix.normLines[l - 1]; }
  const at = joined.indexOf(want);
  if (at < 0) return undefined;
  const lineOf = (offset: number) => {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid] <= offset) lo = mid; else hi = mid - 1; }
    return from + lo;
  };
  return { line: lineOf(at), endLine: lineOf(at + want.length - 1) };
}

const TOKEN = /[A-Za-z_]\w*|\d+|->|[|&!=]=?/g;

function tokens(s: string): string[] {
  return s.match(TOKEN) ?? [];
}

const KEYWORDS = new Set(['if', 'while', 'for', 'switch', 'return', 'sizeof']);

function callee(stmt: string): string | undefined {
  for (const m of stmt.matchAll(/([A-Za-z_]\w*)\s*\(/g)) if (!KEYWORDS.has(m[1])) return m[1];
  return undefined;
}

/** Fuzzy: a line of the range that calls the same callee (or a known rename) with most tokens. */
function fuzzy(ix: Indexed, stmt: string, from: number, to: number): { line: number; score: number } | undefined {
  const c = callee(stmt);
  if (!c) return undefined;
  const names = [c, ...functionAliases(c).map((a) => a.name)];
  const want = new Set(tokens(stmt));
  let best: { line: number; score: number } | undefined;
  for (let l = from; l <= to; l++) {
    const text = ix.lines[l - 1];
    if (!names.some((n) => text.includes(n + '('))) continue;
    const have = new Set(tokens(text));
    let common = 0;
    for (const t of want) if (have.has(t) || names.includes(t)) common++;
    const score = common / want.size;
    if (score >= 0.5 && (!best || score > best.score)) best = { line: l, score };
  }
  return best;
}

function found(id: AnchorId, ix: Indexed, at: Span, how: AnchorHow, confidence: number, note?: string, commit?: string): AnchorFound {
  const { line, endLine } = at;
  const fn = functionAt(ix.spans, line)?.name ?? '(outside any function)';
  return { id, found: true, file: ix.file.path, line, endLine, function: fn, how, confidence, text: ix.lines[line - 1].trim(), ...(note ? { note } : {}), ...(commit ? { commit } : {}) };
}

/** How sure an anchor is, in words: "exact", "renamed, 0.9", "moved by b64d740ea7dd, 0.75", "fuzzy, score 0.58". */
export function confidenceText(a: Pick<AnchorFound, 'how' | 'confidence' | 'commit'>): string {
  switch (a.how) {
    case 'exact': return 'exact';
    case 'renamed': return `renamed, ${a.confidence}`;
    case 'moved': return `moved${a.commit ? ` by ${a.commit}` : ''}, ${a.confidence}`;
    case 'fuzzy': return `fuzzy, score ${a.confidence}`;
  }
}

/** A function by its model name or a known other name. */
function spanOf(ix: Indexed, fn: string): FunctionSpan | undefined {
  return ix.byName.get(fn) ?? functionAliases(fn).map((x) => ix.byName.get(x.name)).find(Boolean);
}

/** Anchor every modelled step in the given files. */
export function anchorSources(files: SourceFile[], ids: AnchorId[] = Object.keys(ANCHORS) as AnchorId[]): AnchorResult[] {
  const indexed = files.map(indexFile);
  const byBase = new Map<string, Indexed>();
  for (const ix of indexed) byBase.set(baseName(ix.file.path), ix);
  return ids.map((id) => anchorOne(id, indexed, byBase));
}

function anchorOne(id: AnchorId, all: Indexed[], byBase: Map<string, Indexed>): AnchorResult {
  const a = ANCHORS[id];
  const missing = (reason: string): AnchorMissing => ({ id, found: false, file: a.file, function: a.fn, reason });
  if (a.file.startsWith('(')) return missing('a hardware step: it has no kernel source');
  const ix = byBase.get(baseName(a.file));
  const aliases = STATEMENT_ALIASES[id] ?? [];

  if (ix) {
    // 1. the function by its own name or a known other name
    const fnNames: Array<{ name: string; note?: string }> = [{ name: a.fn }, ...functionAliases(a.fn).map((x) => ({ name: x.name, note: x.when }))];
    for (const fnName of fnNames) {
      const span = ix.byName.get(fnName.name);
      if (!span) continue;
      const renamedFn = fnName.name !== a.fn;
      const own = findStmt(ix, a.stmt, span.start, span.end);
      if (own !== undefined) return found(id, ix, own, renamedFn ? 'renamed' : 'exact', renamedFn ? 0.9 : 1, fnName.note);
      for (const al of aliases) {
        if (al.file && baseName(al.file) !== baseName(a.file)) continue;
        const l = findStmt(ix, al.stmt, span.start, span.end);
        if (l !== undefined) return found(id, ix, l, 'renamed', 0.9, al.when);
      }
    }
  }
  // 2. a statement form that names its own function or file (a rename that changed function)
  for (const al of aliases) {
    if (!al.fn && !al.file) continue;
    const target = byBase.get(baseName(al.file ?? a.file));
    const span = target && spanOf(target, al.fn ?? a.fn);
    const l = span && findStmt(target, al.stmt, span.start, span.end);
    if (l) return found(id, target, l, 'renamed', 0.9, al.when);
  }
  // 3. where the kernel's history moved it, and only there
  for (const mv of KNOWN_MOVES[id] ?? []) {
    const target = byBase.get(baseName(mv.file ?? a.file));
    const span = target && spanOf(target, mv.fn);
    const l = span && findStmt(target, mv.stmt ?? a.stmt, span.start, span.end);
    if (l) return found(id, target, l, 'moved', 0.75, `moved by ${mv.commit}: ${mv.when}`, mv.commit);
  }
  if (!ix) {
    const given = all.map((x) => baseName(x.file.path)).join(', ') || 'none';
    return missing(`the step lives in ${a.file}, which was not given (given: ${given})`);
  }
  // 4. fuzzy, in the function (or a renamed one)
  const span = spanOf(ix, a.fn);
  if (span) {
    for (const s of [a.stmt, ...aliases.map((x) => x.stmt)]) {
      const f = fuzzy(ix, s, span.start, span.end);
      if (f) return found(id, ix, { line: f.line, endLine: f.line }, 'fuzzy', Math.round(f.score * 70) / 100, `same call as '${s}' with ${Math.round(f.score * 100)}% of its tokens`);
    }
    return { ...missing(`${span.name}() is at ${ix.file.path}:${span.start}, but the statement '${a.stmt}' is not in it${STATEMENT_ABSENCE[id] ? `: ${STATEMENT_ABSENCE[id]}` : ''}`), functionLine: span.start };
  }
  return missing(`no function ${a.fn}() in ${ix.file.path}${functionAbsence(a.fn) ? `: ${functionAbsence(a.fn)}` : ''}`);
}
