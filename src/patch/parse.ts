/**
 * Reading patch input: git format-patch files, mbox series (also `b4 am` output), `git show` /
 * `git log -p` output, plain unified diffs, single mails, and text copied from a web mail archive
 * (leading whitespace lost). Never throws on bad input: problems become diagnostics that name the
 * input, the line, and what was expected there.
 */
import { Diagnostics } from './diagnostics';
import { isDiffStart, parseDiff, type DiffResult } from './diff';
import { mailKind, readListing } from './listing';
import { decodeBase64, decodeQuotedPrintable, decodeUtf8, header, type Header, parseSubject, readHeaders, splitAddress, splitTrailers } from './mail';
import type { Diagnostic, InputFormat, ParsedInput, PatchInfo } from './types';

/** Larger inputs are refused with a message rather than read. */
export const MAX_PATCH_BYTES = 64 * 1024 * 1024;

const MBOX_FROM = /^From (\S{1,200}) +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) /;
const COMMIT_LINE = /^commit ([0-9a-f]{7,64})\b/;

interface Segment {
  kind: 'mbox' | 'commit' | 'single';
  start: number;
  end: number;
  fromLine?: string;
}

function segment(lines: string[]): Segment[] {
  const segs: Segment[] = [];
  const n = lines.length;
  let kind: Segment['kind'] | undefined;
  for (let i = 0; i < n; i++) {
    const l = lines[i];
    if (l.length < 5 || (l[0] !== 'F' && l[0] !== 'c')) continue;
    if ((kind === undefined || kind === 'mbox') && MBOX_FROM.test(l) && (i === 0 || lines[i - 1] === '') && i + 1 < n && /^[A-Za-z0-9-]+: /.test(lines[i + 1])) {
      kind = 'mbox';
      segs.push({ kind, start: i, end: n, fromLine: l });
    } else if ((kind === undefined || kind === 'commit') && COMMIT_LINE.test(l) && (i === 0 || lines[i - 1] === '' || kind === 'commit') && i + 1 < n && /^(Author|Merge|AuthorDate):/.test(lines[i + 1])) {
      kind = 'commit';
      segs.push({ kind, start: i, end: n, fromLine: l });
    }
  }
  for (let k = 0; k + 1 < segs.length; k++) segs[k].end = segs[k + 1].start;
  if (segs.length === 0) return [{ kind: 'single', start: 0, end: n }];
  if (segs[0].start > 0 && lines.slice(0, segs[0].start).some((l) => l.trim() !== '')) {
    // Text before the first message: keep it as a segment if it holds a diff.
    segs.unshift({ kind: 'single', start: 0, end: segs[0].start });
  }
  return segs;
}

function firstNonEmpty(lines: string[], from: number, end: number): number {
  let i = from;
  while (i < end && lines[i].trim() === '') i++;
  return i;
}

interface Body {
  lines: string[];
  /** input line number of each body line */
  lineNo: (i: number) => number;
}

function decodeBody(lines: string[], start: number, end: number, headers: Header[]): Body {
  const cte = header(headers, 'Content-Transfer-Encoding')?.value.toLowerCase();
  const raw = lines.slice(start, end);
  if (cte === 'quoted-printable') {
    const d = decodeQuotedPrintable(raw);
    return { lines: d.lines, lineNo: (i) => start + 1 + (d.origin[i] ?? raw.length - 1) };
  }
  if (cte === 'base64') {
    const text = decodeUtf8(decodeBase64(raw.join(''))).replace(/\r\n/g, '\n');
    return { lines: text.split('\n'), lineNo: () => start + 1 };
  }
  return { lines: raw, lineNo: (i) => start + 1 + i };
}

function firstDiffLine(b: string[], from: number): number {
  for (let i = from; i < b.length; i++) if (isDiffStart(b, i)) return i;
  return b.length;
}

function emptyPatch(index: number, format: InputFormat, inputLine: number): PatchInfo {
  return { index, format, subject: '', rawSubject: '', prefix: { tags: [] }, message: '', trailers: [], files: [], inputLine, whitespaceLost: false, cover: false, kind: 'patch', listed: [] };
}

/** Shared by the segment readers: the diagnostics and the line visits of every diff read. */
interface Ctx {
  diags: Diagnostics;
  visits: number;
}

function readDiff(ctx: Ctx, p: PatchInfo, lines: string[], from: number, end: number, lineNo?: (i: number) => number): void {
  const d: DiffResult = parseDiff(lines, from, end, ctx.diags, lineNo);
  ctx.visits += d.visits;
  p.files = d.files;
  p.whitespaceLost = d.whitespaceLost;
}

/**
 * After the diff (or its absence) is known: a message without one is a cover letter, a pull
 * request, a push notification or just a mail; the commits it lists are read from lines [from, end).
 */
function settle(p: PatchInfo, lines: string[], from: number, end: number, lineNo: (i: number) => number): PatchInfo {
  p.cover = p.files.length === 0;
  if (!p.cover) return p;
  const l = readListing(lines, from, end, lineNo);
  p.kind = mailKind(p, l);
  p.listed = l.listed;
  if (l.base) p.base = l.base;
  if (l.tip) p.tip = l.tip;
  return p;
}

/** The patch's diff, if it has one after its message, read into its files. */
function withDiff(ctx: Ctx, p: PatchInfo, lines: string[], msgFrom: number, diffAt: number, end: number): PatchInfo {
  if (diffAt < end) readDiff(ctx, p, lines, diffAt, end);
  return settle(p, lines, msgFrom, end, (i) => i + 1);
}

function fillMessage(p: PatchInfo, msg: string[], lineOf: (i: number) => number): void {
  const { body, trailers } = splitTrailers(msg, lineOf);
  let s = 0;
  while (s < body.length && body[s].trim() === '') s++;
  p.message = body.slice(s).join('\n').trimEnd();
  p.trailers = trailers;
}

/** Where the commit message ends: a '---' line, or the diff itself. */
function messageEnd(b: string[], from: number, diffAt: number): number {
  for (let i = from; i < diffAt; i++) if (b[i] === '---' || b[i] === '--- ') return i;
  return diffAt;
}

function parseMailSegment(ctx: Ctx, lines: string[], seg: Segment, index: number, format: InputFormat): PatchInfo {
  const { headers, bodyStart } = readHeaders(lines, seg.kind === 'mbox' ? seg.start + 1 : seg.start, seg.end);
  const p = emptyPatch(index, format, seg.start + 1);
  const subj = header(headers, 'Subject')?.value ?? '';
  const from = header(headers, 'From')?.value;
  if (from) { const a = splitAddress(from); p.author = a.name; if (a.email) p.email = a.email; }
  p.date = header(headers, 'Date')?.value;
  p.messageId = header(headers, 'Message-Id')?.value;
  if (seg.fromLine) { const m = /^From ([0-9a-f]{40}) /.exec(seg.fromLine); if (m) p.commit = m[1]; }
  const body = decodeBody(lines, bodyStart, seg.end, headers);
  let b = body.lines;
  let msgFrom = 0;
  // A "From: other author" line at the top of the body overrides the sender (git am convention).
  const f0 = firstNonEmpty(b, 0, b.length);
  if (f0 < b.length && /^From: /.test(b[f0])) {
    const inner = readHeaders(b, f0, b.length);
    const ia = header(inner.headers, 'From');
    if (ia) { const a = splitAddress(ia.value); p.author = a.name; p.email = a.email; }
    const is = header(inner.headers, 'Subject');
    msgFrom = inner.bodyStart;
    if (is) { b = b.slice(); }
  }
  const s = parseSubject(subj);
  p.rawSubject = subj;
  p.subject = s.subject;
  p.prefix = s.prefix;
  const diffAt = firstDiffLine(b, msgFrom);
  fillMessage(p, b.slice(msgFrom, messageEnd(b, msgFrom, diffAt)), (i) => body.lineNo(msgFrom + i));
  if (diffAt < b.length) readDiff(ctx, p, b, diffAt, b.length, body.lineNo);
  return settle(p, b, 0, b.length, body.lineNo);
}

function parseCommitSegment(ctx: Ctx, lines: string[], seg: Segment, index: number): PatchInfo {
  const p = emptyPatch(index, 'git-show', seg.start + 1);
  p.commit = COMMIT_LINE.exec(lines[seg.start])![1];
  let i = seg.start + 1;
  for (; i < seg.end && lines[i] !== ''; i++) {
    const l = lines[i];
    const colon = l.indexOf(':');
    if (colon < 0) break;
    const key = l.slice(0, colon);
    const v = l.slice(colon + 1).trim();
    if (key === 'Author') { const a = splitAddress(v); p.author = a.name; if (a.email) p.email = a.email; }
    else if (key === 'Date' || key === 'AuthorDate') p.date = v;
  }
  const diffAt = firstDiffLine(lines, i);
  const end = Math.min(diffAt, seg.end);
  // The message is indented by four spaces; it ends at the first line that is not.
  const msg: string[] = [];
  let j = firstNonEmpty(lines, i, end);
  const msgStart = j;
  for (; j < end; j++) {
    const l = lines[j];
    if (l === '' || l.startsWith('    ')) msg.push(l.slice(4));
    else break;
  }
  const first = firstNonEmpty(msg, 0, msg.length);
  const raw = first < msg.length ? msg[first].trim() : '';
  const s = parseSubject(raw);
  p.rawSubject = raw;
  p.subject = s.subject;
  p.prefix = s.prefix;
  fillMessage(p, msg.slice(first + 1), (k) => msgStart + first + 2 + k);
  return withDiff(ctx, p, lines, msgStart, diffAt, seg.end);
}

/** A single segment: a mail without the mbox From line, web-archive text, or a plain diff. */
function parseSingle(ctx: Ctx, lines: string[], seg: Segment, index: number): PatchInfo | undefined {
  const f = firstNonEmpty(lines, seg.start, seg.end);
  if (f >= seg.end) return undefined;
  if (isDiffStart(lines, f) || lines[f].startsWith('@@')) {
    const p = emptyPatch(index, 'plain-diff', f + 1);
    readDiff(ctx, p, lines, f, seg.end);
    return p;
  }
  if (/^[A-Za-z0-9-]+: /.test(lines[f]) && /^(From|Subject|Date|To|Cc|Message-I[Dd]|Return-Path|Received|X-[A-Za-z-]+|MIME-Version|Content-Type): /.test(lines[f])) {
    return parseMailSegment(ctx, lines, { kind: 'single', start: f, end: seg.end }, index, 'mail');
  }
  // Web-archive text: a subject line, then "From:" / "Date:" lines, blank lines between them.
  const p = emptyPatch(index, 'web-archive', f + 1);
  const s = parseSubject(lines[f]);
  p.rawSubject = lines[f].trim();
  p.subject = s.subject;
  p.prefix = s.prefix;
  let i = f + 1;
  for (let k = 0; k < 12 && i < seg.end; k++) {
    i = firstNonEmpty(lines, i, seg.end);
    if (i >= seg.end) break;
    const m = /^(From|Date|Subject|To|Cc): (.*)$/.exec(lines[i]);
    if (!m) break;
    if (m[1] === 'From') { const a = splitAddress(m[2]); p.author = a.name; if (a.email) p.email = a.email; }
    if (m[1] === 'Date') p.date = m[2].trim();
    i++;
  }
  const diffAt = firstDiffLine(lines, i);
  const end = Math.min(diffAt, seg.end);
  fillMessage(p, lines.slice(i, messageEnd(lines, i, end)), (k) => i + 1 + k);
  return withDiff(ctx, p, lines, i, diffAt, seg.end);
}

/** A message a reader can take as a mail about patches (not stray text): it has a subject and, when it is web-archive text, a From: or Date: line. */
function isMail(p: PatchInfo): boolean {
  return p.subject !== '' && p.format !== 'plain-diff' && (p.format !== 'web-archive' || p.author !== undefined || p.date !== undefined);
}

/** Parse patch input text. `name` is used in diagnostics (the file name, usually). */
export function parsePatchInput(text: string, name: string): ParsedInput {
  const diags = new Diagnostics(name);
  const ctx: Ctx = { diags, visits: 0 };
  const result: ParsedInput = { name, format: 'plain-diff', patches: [], diagnostics: diags.list, visits: 0, crlf: false, bytes: text.length, lines: 0 };
  const fail = (line: number, message: string, expected: string): ParsedInput => {
    diags.error(line, message, expected);
    result.diagnostics = diags.finish();
    return result;
  };
  if (text.length > MAX_PATCH_BYTES) return fail(1, `input is ${text.length} characters, larger than the ${MAX_PATCH_BYTES} this tool reads`, 'a patch or an mbox series under 64 MiB');
  if (text.trim() === '') return fail(1, 'the input is empty', 'a patch: an mbox, git format-patch or git show output, or a unified diff');
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    let line = 1;
    for (let k = text.indexOf('\n'); k >= 0 && k < nul; k = text.indexOf('\n', k + 1)) line++;
    return fail(line, 'binary data (a NUL byte)', 'text: a patch mail or a unified diff');
  }
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length && l.charCodeAt(l.length - 1) === 13) { lines[i] = l.slice(0, -1); result.crlf = true; }
  }
  result.lines = lines.length;
  const segs = segment(lines);
  let index = 0;
  for (const seg of segs) {
    let p: PatchInfo | undefined;
    if (seg.kind === 'mbox') {
      const b4 = seg.fromLine!.startsWith('From git@z ');
      const fp = /^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001/.test(seg.fromLine!);
      p = parseMailSegment(ctx, lines, seg, index + 1, b4 ? 'b4' : fp && segs.length === 1 ? 'format-patch' : 'mbox');
    } else if (seg.kind === 'commit') p = parseCommitSegment(ctx, lines, seg, index + 1);
    else p = parseSingle(ctx, lines, seg, index + 1);
    if (!p) continue;
    if (p.cover && p.subject === '' && p.message === '') continue;
    index++;
    result.patches.push(p);
  }
  // git log -p lists the newest commit first: put a series of commits in the order they apply.
  const shows = result.patches.filter((p) => p.format === 'git-show');
  if (shows.length > 1 && shows.length === result.patches.length) {
    const t = shows.map((p) => Date.parse(p.date ?? ''));
    if (t.every((x) => !Number.isNaN(x)) && t.every((x, k) => k === 0 || x <= t[k - 1]) && t[0] > t[t.length - 1]) {
      result.patches.reverse();
      result.patches.forEach((p, k) => { p.index = k + 1; });
      diags.warning(1, 'commits listed newest first (git log order): read in the order they apply, oldest first');
    }
  }
  const real = result.patches.filter((p) => !p.cover);
  result.format = real[0]?.format ?? result.patches[0]?.format ?? 'plain-diff';
  result.visits = ctx.visits;
  // No diff at all is an error only when nothing here is a mail: a cover letter, a pull request or
  // a push notification is read and shown, with the commits it lists.
  if (real.length === 0 && !result.patches.some(isMail)) {
    const firstLine = firstNonEmpty(lines, 0, lines.length) + 1;
    return fail(firstLine, 'no diff found in the input', "a line 'diff --git a/<file> b/<file>', or '--- <file>' followed by '+++ <file>', then '@@' hunks (or a mail: a cover letter, pull request or push notification with a Subject)");
  }
  if (real.some((p) => p.whitespaceLost)) {
    const p = real.find((q) => q.whitespaceLost)!;
    const h = p.files.flatMap((f) => f.hunks).find((x) => x.whitespaceLost)!;
    diags.warning(h.inputLine, 'leading whitespace of the diff lines is lost (text copied from a web archive?): hunks were read by their @@ line counts, and context is matched whitespace-insensitively');
  }
  result.diagnostics = diags.finish();
  return result;
}

export function hasErrors(p: ParsedInput): boolean {
  return p.diagnostics.some((d) => d.severity === 'error');
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.severity}: ${d.message}${d.expected ? `; expected ${d.expected}` : ''}`;
}
