/**
 * Blob check and applying a file diff to the reviewer's own file. Hunks are applied with jsdiff
 * (`diff` package): one hunk at a time, so each hunk gets its own verdict, with lines compared
 * whitespace-insensitively when asked (always for whitespace-lost hunks).
 */
import { applyPatch, type StructuredPatch } from 'diff';
import { norm } from '../source/cfunc';
import { blobIdMatches, gitBlobId } from './blob';
import type { FileDiff, Hunk } from './types';

export type BlobVerdict = 'pre-image' | 'post-image' | 'neither' | 'unknown';

export interface HunkApply {
  hunk: number;
  inputLine: number;
  ok: boolean;
  /** Where the hunk's old lines start in the file (1-based), when found. */
  at?: number;
  /** at - the @@ header's old start. */
  offset?: number;
  /** Found already applied (its new lines are there). */
  alreadyApplied?: boolean;
  message?: string;
}

export interface FileCheck {
  path: string;
  blob: string;
  verdict: BlobVerdict;
  /** What was compared: the patch's index line, or a note that it had none. */
  detail: string;
  hunks: HunkApply[];
  /** The patched text when every hunk applied. */
  result?: string;
  /** Blob id of the patched text (equal to the patch's new id when the apply is exact). */
  resultBlob?: string;
}

function toStructured(f: FileDiff, hunks: Hunk[]): StructuredPatch {
  return {
    oldFileName: f.oldPath, newFileName: f.newPath, oldHeader: '', newHeader: '',
    hunks: hunks.map((h) => ({ oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, lines: h.lines.map((l) => l.kind + l.text) })),
  };
}

/** Lines compared while locating hunks: what the unit tests count instead of timing (test/unit/quadratic.test.ts). */
export interface Work { compared: number }

/** Where each whitespace-free line of a file is (0-based, ascending): built once per file diff. */
type LineIndex = Map<string, number[]>;

function indexLines(fileNorm: readonly string[]): LineIndex {
  const ix: LineIndex = new Map();
  fileNorm.forEach((l, i) => { const a = ix.get(l); if (a) a.push(i); else ix.set(l, [i]); });
  return ix;
}

/**
 * The first 1-based line where `want` (whitespace-free lines) occurs, nearest to `near`. Only the
 * places of its rarest line are tried, from the index: a scan of the whole file for every hunk was
 * quadratic (2,000 hunks that are nowhere in a 1.8 MB mmu.c: 125 s).
 */
function locate(fileNorm: readonly string[], ix: LineIndex, want: string[], near: number, work: Work): number | undefined {
  if (want.length === 0) return undefined;
  let rarest = -1;
  let places: number[] = [];
  for (let k = 0; k < want.length; k++) {
    const p = ix.get(want[k]);
    if (!p) return undefined; // a line the file does not have at all
    if (rarest < 0 || p.length < places.length) { rarest = k; places = p; }
  }
  work.compared += want.length;
  const fits = (s: number) => { for (let k = 0; k < want.length; k++) { work.compared++; if (fileNorm[s + k] !== want[k]) return false; } return true; };
  const start = Math.max(0, Math.min(fileNorm.length - 1, near - 1));
  let best: number | undefined;
  for (const p of places) {
    work.compared++;
    const s = p - rarest;
    if (s < 0 || s + want.length > fileNorm.length) continue;
    // Nearest to `near`; of two as near, the one after it (as the scan outward from `near` found it).
    const d = Math.abs(s - start);
    if (best !== undefined && (d > Math.abs(best - start) || (d === Math.abs(best - start) && s < best))) continue;
    if (fits(s)) best = s;
  }
  return best === undefined ? undefined : best + 1;
}

/**
 * jsdiff compares past the file's end when the file is shorter than the hunk's range (a --tree with
 * a shorter mmu.c): `line` is undefined there, which is no match, not an error.
 */
const wsInsensitive = (_n: number, line: string | undefined, _op: string, content: string) => line !== undefined && norm(line) === norm(content);

/** Apply one file diff to `text`, hunk by hunk. */
export function applyFileDiff(f: FileDiff, text: string, opts: { whitespaceInsensitive?: boolean; work?: Work } = {}): { hunks: HunkApply[]; result?: string } {
  const work = opts.work ?? { compared: 0 };
  const lax = opts.whitespaceInsensitive || f.hunks.some((h) => h.whitespaceLost);
  const options = lax ? { compareLine: wsInsensitive } : {};
  const fileNorm = text.split('\n').map(norm);
  const ix = indexLines(fileNorm);
  const hunks: HunkApply[] = [];
  let cur = text;
  let complete = true;
  let shift = 0;
  for (const h of f.hunks) {
    const oldSide = h.lines.filter((l) => l.kind !== '+').map((l) => norm(l.text));
    const newSide = h.lines.filter((l) => l.kind !== '-').map((l) => norm(l.text));
    const at = locate(fileNorm, ix, oldSide, h.oldStart + shift, work);
    // Apply this hunk alone to the text patched so far (a failed hunk is skipped); a hunk whose old
    // lines are nowhere in the file cannot apply, and jsdiff's own search is not asked.
    const single = toStructured(f, [{ ...h, oldStart: h.oldStart + shift, newStart: h.newStart + shift }]);
    const applied = at === undefined ? false : applyPatch(cur, single, options);
    if (applied !== false && at !== undefined) {
      hunks.push({ hunk: h.index, inputLine: h.inputLine, ok: true, at, offset: at - h.oldStart });
      shift += h.newLines - h.oldLines;
      cur = applied;
      continue;
    }
    const done = locate(fileNorm, ix, newSide, h.newStart, work);
    complete = false;
    if (done !== undefined) hunks.push({ hunk: h.index, inputLine: h.inputLine, ok: false, alreadyApplied: true, at: done, offset: done - h.newStart, message: `its new lines are already at line ${done}: the file has this hunk applied` });
    else {
      const firstOld = h.lines.find((l) => l.kind !== '+');
      hunks.push({ hunk: h.index, inputLine: h.inputLine, ok: false, message: `its ${oldSide.length} old lines (from '${(firstOld?.text ?? '').trim().slice(0, 50)}') are not in the file, even ignoring whitespace` });
    }
  }
  return { hunks, ...(complete ? { result: cur } : {}) };
}

/**
 * Is `text` the patch's pre-image, post-image, or neither; and how do the hunks apply.
 * Asynchronous because the hosts' SHA-1 (crypto.subtle) is.
 */
export async function checkFile(f: FileDiff, text: string): Promise<FileCheck> {
  const blob = await gitBlobId(text);
  const base = { path: f.path, blob };
  let verdict: BlobVerdict = 'unknown';
  let detail = 'the patch has no index line, so blob ids cannot be compared';
  if (f.oldBlob && f.newBlob) {
    if (blobIdMatches(f.oldBlob, blob)) { verdict = 'pre-image'; detail = `blob ${blob.slice(0, 12)} matches the index line's old id ${f.oldBlob}`; }
    else if (blobIdMatches(f.newBlob, blob)) { verdict = 'post-image'; detail = `blob ${blob.slice(0, 12)} matches the index line's new id ${f.newBlob}`; }
    else { verdict = 'neither'; detail = `blob ${blob.slice(0, 12)} is neither ${f.oldBlob} (pre-image) nor ${f.newBlob} (post-image)`; }
  }
  const r = applyFileDiff(f, text, { whitespaceInsensitive: verdict !== 'pre-image' });
  const out: FileCheck = { ...base, verdict, detail, hunks: r.hunks };
  if (r.result !== undefined) { out.result = r.result; out.resultBlob = await gitBlobId(r.result); }
  return out;
}
