/**
 * The diff part of a patch: file headers, `index` blob ids, hunks. A hunk is read by its @@ line
 * counts, so a hunk whose lines lost their leading whitespace (web-archive text) is still read
 * line for line: a line that starts with neither ' ', '+', '-' nor '\' is a context line.
 * One pass over the lines, a constant amount of work per line.
 */
import type { Diagnostics } from './diagnostics';
import type { FileDiff, Hunk, HunkLine } from './types';

export interface DiffResult {
  files: FileDiff[];
  whitespaceLost: boolean;
  /** Line visits (the outer loop and the hunk bodies): at most twice the lines, whatever the input. */
  visits: number;
}

const HUNK_RE = /^@@ -(\d{1,9})(?:,(\d{1,9}))? \+(\d{1,9})(?:,(\d{1,9}))? @@ ?(.*)$/;
const INDEX_RE = /^index ([0-9a-fA-F]{4,64})\.\.([0-9a-fA-F]{4,64})(?: [0-7]{6})?\s*$/;

/** Does a diff start at line i? */
export function isDiffStart(lines: string[], i: number): boolean {
  const l = lines[i];
  if (l.startsWith('diff --git ') || l.startsWith('diff -') || l.startsWith('Index: ')) return true;
  return l.startsWith('--- ') && i + 1 < lines.length && lines[i + 1].startsWith('+++ ');
}

function stripPrefix(p: string): string {
  let s = p;
  const tab = s.indexOf('\t');
  if (tab >= 0) s = s.slice(0, tab);
  s = s.trim();
  if (s.startsWith('"') && s.endsWith('"') && s.length > 1) s = s.slice(1, -1);
  if (s === '/dev/null') return s;
  if (s.startsWith('a/') || s.startsWith('b/')) return s.slice(2);
  return s;
}

function gitPaths(line: string): [string, string] {
  const rest = line.slice('diff --git '.length);
  const mid = rest.indexOf(' b/');
  if (mid >= 0) return [stripPrefix(rest.slice(0, mid)), stripPrefix(rest.slice(mid + 1))];
  const sp = rest.indexOf(' ');
  return sp >= 0 ? [stripPrefix(rest.slice(0, sp)), stripPrefix(rest.slice(sp + 1))] : [stripPrefix(rest), stripPrefix(rest)];
}

/** A mail signature: "-- " (or "--" with the space lost) followed by a version line or nothing. */
function isSignature(lines: string[], i: number, end: number): boolean {
  if (lines[i] !== '-- ' && lines[i] !== '--') return false;
  if (i + 1 >= end) return true;
  const next = lines[i + 1];
  return next === '' || /^\d[\w.+-]{0,40}$/.test(next);
}

/**
 * Parse lines[from, end) as a diff. `lineNo(i)` maps a line index to the input line number
 * (they differ after quoted-printable decoding).
 */
export function parseDiff(lines: string[], from: number, end: number, diags: Diagnostics, lineNo: (i: number) => number = (i) => i + 1): DiffResult {
  const files: FileDiff[] = [];
  let cur: FileDiff | undefined;
  let whitespaceLost = false;
  let afterHunk = false;
  let sawGitHeader = false;
  let visits = 0;
  const err = (i: number, message: string | (() => string), expected?: string) => diags.error(lineNo(i), message, expected);
  // A file left without hunks is reported when the next one starts (or at the end), in line order.
  const leave = (f: FileDiff | undefined) => {
    if (f && f.hunks.length === 0 && f.status === 'modified') diags.error(f.inputLine, () => `${f.path}: file header without hunks`, "at least one '@@' hunk after '--- a/...' and '+++ b/...'");
  };
  // Once problems are only counted (past the cap) the input is bad anyway: new files and broken
  // hunks are no longer kept, so that millions of them cost time in proportion, not memory.
  const keep = () => diags.suppressed === 0;
  const newFile = (i: number, oldPath: string, newPath: string): FileDiff => {
    leave(cur);
    const f: FileDiff = { oldPath, newPath, path: newPath === '/dev/null' ? oldPath : newPath, status: 'modified', hunks: [], inputLine: lineNo(i) };
    if (keep()) files.push(f);
    return f;
  };

  let i = from;
  while (i < end) {
    visits++;
    const line = lines[i];
    if (line.startsWith('diff --git ')) {
      const [o, n] = gitPaths(line);
      cur = newFile(i, o, n);
      sawGitHeader = true;
      afterHunk = false;
      i++;
      continue;
    }
    if (line.startsWith('Index: ') && i + 1 < end && /^={10,}$/.test(lines[i + 1])) {
      const p = line.slice(7).trim();
      cur = newFile(i, p, p);
      sawGitHeader = true;
      afterHunk = false;
      i += 2;
      continue;
    }
    if (cur && sawGitHeader && !afterHunk && cur.hunks.length === 0) {
      const m = INDEX_RE.exec(line);
      if (m) { cur.oldBlob = m[1].toLowerCase(); cur.newBlob = m[2].toLowerCase(); i++; continue; }
      if (line.startsWith('new file mode')) { cur.status = 'added'; i++; continue; }
      if (line.startsWith('deleted file mode')) { cur.status = 'deleted'; i++; continue; }
      if (line.startsWith('rename from ')) { cur.status = 'renamed'; cur.oldPath = line.slice(12).trim(); i++; continue; }
      if (line.startsWith('rename to ')) { cur.status = 'renamed'; cur.newPath = cur.path = line.slice(10).trim(); i++; continue; }
      if (line.startsWith('copy from ') || line.startsWith('copy to ')) { cur.status = 'copied'; i++; continue; }
      if (line.startsWith('old mode') || line.startsWith('new mode')) { if (cur.status === 'modified') cur.status = 'mode'; i++; continue; }
      if (line.startsWith('similarity index') || line.startsWith('dissimilarity index')) { i++; continue; }
      if (line.startsWith('Binary files ') || line === 'GIT binary patch') {
        cur.status = 'binary';
        i++;
        while (i < end && !lines[i].startsWith('diff --git ')) i++;
        continue;
      }
    }
    if (line.startsWith('--- ') && i + 1 < end && lines[i + 1].startsWith('+++ ')) {
      const o = stripPrefix(line.slice(4));
      const n = stripPrefix(lines[i + 1].slice(4));
      if (!cur || cur.hunks.length > 0 || !sawGitHeader) cur = newFile(i, o, n);
      else { cur.oldPath = o; cur.newPath = n; cur.path = n === '/dev/null' ? o : n; }
      if (o === '/dev/null') cur.status = 'added';
      if (n === '/dev/null') cur.status = 'deleted';
      sawGitHeader = false;
      afterHunk = false;
      i += 2;
      continue;
    }
    if (line.startsWith('@@')) {
      const m = HUNK_RE.exec(line);
      if (!m) {
        err(i, () => `malformed hunk header '${line.slice(0, 80)}'`, "'@@ -<start>,<count> +<start>,<count> @@'");
        i++;
        continue;
      }
      if (!cur) {
        err(i, 'hunk before any file header', "'diff --git a/<file> b/<file>' or '--- <file>' and '+++ <file>' before the first '@@'");
        cur = newFile(i, '(unknown)', '(unknown)');
      }
      const hunk: Hunk = {
        index: cur.hunks.length + 1, header: line, section: (m[5] ?? '').trim(),
        oldStart: Number(m[1]), oldLines: m[2] === undefined ? 1 : Number(m[2]),
        newStart: Number(m[3]), newLines: m[4] === undefined ? 1 : Number(m[4]),
        lines: [], inputLine: lineNo(i), whitespaceLost: false,
      };
      const r = readHunkBody(lines, i + 1, end, hunk, lineNo);
      visits += r.next - i;
      // A broken hunk past the cap is counted, not kept (a sound one is kept: it may be classified).
      if (keep() || !r.problem || cur.hunks.length === 0) cur.hunks.push(hunk);
      if (hunk.whitespaceLost) whitespaceLost = true;
      if (r.problem) {
        if (diags.full) diags.error(lineNo(r.errorAt), '');
        else err(r.errorAt, `${cur.path}: hunk ${hunk.index} (${line.slice(0, 60)}, line ${hunk.inputLine}) ${problemText(r.problem, hunk, lineNo)}`, `${hunk.oldLines} old and ${hunk.newLines} new lines as its header says`);
      }
      i = r.next;
      afterHunk = true;
      continue;
    }
    if (isSignature(lines, i, end)) break; // the rest is the mail signature
    if (afterHunk && line.trim() !== '') {
      // Text after a complete hunk that is neither a header nor a blank line: the counts are wrong,
      // or something was appended to the diff.
      const looksLikeHunkLine = line[0] === ' ' || line[0] === '+' || line[0] === '-';
      const file = cur?.path;
      const n = cur?.hunks.length;
      err(i, () => looksLikeHunkLine
        ? `${file}: line continues hunk ${n} after its @@ line counts were used up (the counts in the @@ header are wrong?)`
        : `${file}: unexpected text after hunk ${n}: '${line.slice(0, 60)}'`,
      "a hunk header '@@ ... @@', a file header 'diff --git', or the end of the diff");
      afterHunk = false; // report once per gap
    }
    i++;
  }
  leave(cur);
  return { files, whitespaceLost, visits };
}

/** What is wrong with a hunk, as data: the message is built only if it is going to be shown. */
type HunkProblem =
  | { kind: 'cut'; at: number; oldLeft: number; newLeft: number }
  | { kind: 'more'; at: number; side: 'old' | 'new' }
  | { kind: 'truncated'; oldLeft: number; newLeft: number };

interface HunkRead {
  next: number;
  problem?: HunkProblem;
  errorAt: number;
}

function problemText(p: HunkProblem, h: Hunk, lineNo: (i: number) => number): string {
  switch (p.kind) {
    case 'cut': return `is cut short at line ${lineNo(p.at)}: ${h.oldLines - p.oldLeft} old and ${h.newLines - p.newLeft} new lines read, ${p.oldLeft} old and ${p.newLeft} new still expected`;
    case 'more': return `has more ${p.side} lines than its header says (line ${lineNo(p.at)})`;
    case 'truncated': return `is truncated at the end of the input: ${p.oldLeft} old and ${p.newLeft} new lines still expected`;
  }
}

function readHunkBody(lines: string[], from: number, end: number, h: Hunk, lineNo: (i: number) => number): HunkRead {
  let oldLeft = h.oldLines;
  let newLeft = h.newLines;
  let i = from;
  const out: HunkLine[] = h.lines;
  while (i < end && (oldLeft > 0 || newLeft > 0)) {
    const line = lines[i];
    if (line.startsWith('@@ ') || line.startsWith('diff --git ') || isSignature(lines, i, end) || (line.startsWith('--- ') && i + 1 < end && lines[i + 1].startsWith('+++ ') && oldLeft === 0)) {
      return { next: i, errorAt: i, problem: { kind: 'cut', at: i, oldLeft, newLeft } };
    }
    const c = line[0];
    let hl: HunkLine;
    if (c === '\\') {
      if (out.length) out[out.length - 1].noNewline = true;
      i++;
      continue;
    } else if (c === '+') {
      hl = { kind: '+', text: line.slice(1), inputLine: lineNo(i) };
      newLeft--;
    } else if (c === '-') {
      hl = { kind: '-', text: line.slice(1), inputLine: lineNo(i) };
      oldLeft--;
    } else {
      if (c === ' ') hl = { kind: ' ', text: line.slice(1), inputLine: lineNo(i) };
      else {
        hl = { kind: ' ', text: line, inputLine: lineNo(i) };
        if (line !== '') h.whitespaceLost = true;
      }
      oldLeft--;
      newLeft--;
    }
    if (oldLeft < 0 || newLeft < 0) {
      return { next: i + 1, errorAt: i, problem: { kind: 'more', at: i, side: oldLeft < 0 ? 'old' : 'new' } };
    }
    out.push(hl);
    i++;
  }
  if (oldLeft > 0 || newLeft > 0) {
    return { next: i, errorAt: Math.max(from, i - 1), problem: { kind: 'truncated', oldLeft, newLeft } };
  }
  if (i < end && lines[i][0] === '\\') { if (out.length) out[out.length - 1].noNewline = true; i++; }
  if (h.whitespaceLost) {
    // A '+'/'-' line of a whitespace-lost hunk kept one space of its lost tab: "+ if (flush)".
    for (const l of out) if (l.kind !== ' ' && l.text.startsWith(' ')) l.text = l.text.slice(1);
  }
  return { next: i, errorAt: i };
}
