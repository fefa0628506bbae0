/**
 * The diff part of a patch: file headers, `index` blob ids, hunks. A hunk is read by its @@ line
 * counts, so a hunk whose lines lost their leading whitespace (web-archive text) is still read
 * line for line: a line that starts with neither ' ', '+', '-' nor '\' is a context line.
 * One pass over the lines, a constant amount of work per line.
 */
import type { Diagnostic, FileDiff, Hunk, HunkLine } from './types';

export interface DiffResult {
  files: FileDiff[];
  whitespaceLost: boolean;
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
export function parseDiff(lines: string[], from: number, end: number, name: string, diags: Diagnostic[], lineNo: (i: number) => number = (i) => i + 1): DiffResult {
  const files: FileDiff[] = [];
  let cur: FileDiff | undefined;
  let whitespaceLost = false;
  let afterHunk = false;
  let sawGitHeader = false;
  const err = (i: number, message: string, expected?: string) => diags.push({ severity: 'error', file: name, line: lineNo(i), message, ...(expected ? { expected } : {}) });
  const newFile = (i: number, oldPath: string, newPath: string): FileDiff => {
    const f: FileDiff = { oldPath, newPath, path: newPath === '/dev/null' ? oldPath : newPath, status: 'modified', hunks: [], inputLine: lineNo(i) };
    files.push(f);
    return f;
  };

  let i = from;
  while (i < end) {
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
        err(i, `malformed hunk header '${line.slice(0, 80)}'`, "'@@ -<start>,<count> +<start>,<count> @@'");
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
      cur.hunks.push(hunk);
      if (hunk.whitespaceLost) whitespaceLost = true;
      if (r.error) err(r.errorAt, `${cur.path}: hunk ${hunk.index} (${line.slice(0, 60)}, line ${hunk.inputLine}) ${r.error}`, `${hunk.oldLines} old and ${hunk.newLines} new lines as its header says`);
      i = r.next;
      afterHunk = true;
      continue;
    }
    if (isSignature(lines, i, end)) break; // the rest is the mail signature
    if (afterHunk && line.trim() !== '') {
      // Text after a complete hunk that is neither a header nor a blank line: the counts are wrong,
      // or something was appended to the diff.
      const looksLikeHunkLine = line[0] === ' ' || line[0] === '+' || line[0] === '-';
      err(i, looksLikeHunkLine
        ? `${cur?.path}: line continues hunk ${cur?.hunks.length} after its @@ line counts were used up (the counts in the @@ header are wrong?)`
        : `${cur?.path}: unexpected text after hunk ${cur?.hunks.length}: '${line.slice(0, 60)}'`,
      "a hunk header '@@ ... @@', a file header 'diff --git', or the end of the diff");
      afterHunk = false; // report once per gap
    }
    i++;
  }
  for (const f of files) {
    if (f.hunks.length === 0 && f.status === 'modified') {
      diags.push({ severity: 'error', file: name, line: f.inputLine, message: `${f.path}: file header without hunks`, expected: "at least one '@@' hunk after '--- a/...' and '+++ b/...'" });
    }
  }
  return { files, whitespaceLost };
}

interface HunkRead {
  next: number;
  error?: string;
  errorAt: number;
}

function readHunkBody(lines: string[], from: number, end: number, h: Hunk, lineNo: (i: number) => number): HunkRead {
  let oldLeft = h.oldLines;
  let newLeft = h.newLines;
  let i = from;
  const out: HunkLine[] = h.lines;
  while (i < end && (oldLeft > 0 || newLeft > 0)) {
    const line = lines[i];
    if (line.startsWith('@@ ') || line.startsWith('diff --git ') || isSignature(lines, i, end) || (line.startsWith('--- ') && i + 1 < end && lines[i + 1].startsWith('+++ ') && oldLeft === 0)) {
      return { next: i, errorAt: i, error: `is cut short at line ${lineNo(i)}: ${h.oldLines - oldLeft} old and ${h.newLines - newLeft} new lines read, ${oldLeft} old and ${newLeft} new still expected` };
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
      return { next: i + 1, errorAt: i, error: `has more ${oldLeft < 0 ? 'old' : 'new'} lines than its header says (line ${lineNo(i)})` };
    }
    out.push(hl);
    i++;
  }
  if (oldLeft > 0 || newLeft > 0) {
    return { next: i, errorAt: Math.max(from, i - 1), error: `is truncated at the end of the input: ${oldLeft} old and ${newLeft} new lines still expected` };
  }
  if (i < end && lines[i][0] === '\\') { if (out.length) out[out.length - 1].noNewline = true; i++; }
  if (h.whitespaceLost) {
    // A '+'/'-' line of a whitespace-lost hunk kept one space of its lost tab: "+ if (flush)".
    for (const l of out) if (l.kind !== ' ' && l.text.startsWith(' ')) l.text = l.text.slice(1);
  }
  return { next: i, errorAt: i };
}
