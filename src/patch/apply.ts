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

/** The first 1-based line where `want` (whitespace-free lines) occurs, nearest to `near`. */
function locate(fileNorm: string[], want: string[], near: number): number | undefined {
  if (want.length === 0) return undefined;
  const fits = (s: number) => { for (let k = 0; k < want.length; k++) if (fileNorm[s + k] !== want[k]) return false; return true; };
  const start = Math.max(0, Math.min(fileNorm.length - 1, near - 1));
  for (let d = 0; d < fileNorm.length; d++) {
    const a = start - d, b = start + d;
    if (a < 0 && b + want.length > fileNorm.length) break;
    if (b + want.length <= fileNorm.length && fits(b)) return b + 1;
    if (d > 0 && a >= 0 && a + want.length <= fileNorm.length && fits(a)) return a + 1;
  }
  return undefined;
}

/**
 * jsdiff compares past the file's end when the file is shorter than the hunk's range (a --tree with
 * a shorter mmu.c): `line` is undefined there, which is no match, not an error.
 */
const wsInsensitive = (_n: number, line: string | undefined, _op: string, content: string) => line !== undefined && norm(line) === norm(content);

/** Apply one file diff to `text`, hunk by hunk. */
export function applyFileDiff(f: FileDiff, text: string, opts: { whitespaceInsensitive?: boolean } = {}): { hunks: HunkApply[]; result?: string } {
  const lax = opts.whitespaceInsensitive || f.hunks.some((h) => h.whitespaceLost);
  const options = lax ? { compareLine: wsInsensitive } : {};
  const fileNorm = text.split('\n').map(norm);
  const hunks: HunkApply[] = [];
  let cur = text;
  let complete = true;
  let shift = 0;
  for (const h of f.hunks) {
    const oldSide = h.lines.filter((l) => l.kind !== '+').map((l) => norm(l.text));
    const newSide = h.lines.filter((l) => l.kind !== '-').map((l) => norm(l.text));
    const at = locate(fileNorm, oldSide, h.oldStart + shift);
    // Apply this hunk alone to the text patched so far (a failed hunk is skipped).
    const single = toStructured(f, [{ ...h, oldStart: h.oldStart + shift, newStart: h.newStart + shift }]);
    const applied = applyPatch(cur, single, options);
    if (applied !== false && at !== undefined) {
      hunks.push({ hunk: h.index, inputLine: h.inputLine, ok: true, at, offset: at - h.oldStart });
      shift += h.newLines - h.oldLines;
      cur = applied;
      continue;
    }
    const done = locate(fileNorm, newSide, h.newStart);
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
