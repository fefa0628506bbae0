/**
 * Anchoring in a patch instead of a kernel tree: where each modelled step's statement is among
 * the hunk lines of the function its anchor names. For every patch of the input and every file it
 * changes, the hunks give two partial images of each touched function (src/patch/classify.ts does
 * the same attribution): the new one (context and added lines) and the old one (context and
 * removed lines). Each image is written out as a small kernel-style C file, one definition per
 * function holding that function's hunk lines in order, and anchored with anchorSources(), so the
 * renames, statement aliases and fuzzy matches of the tree apply to patches too. A line of the
 * image maps back to the input line it came from.
 *
 * Only a statement found inside the step's own function (or a known other name of it), or where
 * the kernel's history moved it (names.ts KNOWN_MOVES, the same rule as in a tree), counts: a lone
 * look-alike elsewhere in the patch says little. Among the images, the
 * highest confidence wins; on a tie the later patch of a series, then the new image (the line
 * the patch leaves in place).
 */
import { anchorSources, baseName, type AnchorHow, type AnchorResult, type SourceFile } from './anchor';
import { ANCHORS, type AnchorId } from '../kernel/anchors';
import { hunkFunctions, UNKNOWN_FN } from '../patch/classify';
import type { FileDiff, ParsedInput } from '../patch/types';

export type PatchSide = 'new' | 'old';

export interface PatchAnchorFound {
  id: AnchorId;
  found: true;
  /** 1-based lines of the input (the patch text) where the statement starts and ends. */
  inputLine: number;
  endInputLine: number;
  /** The changed file's path, as the diff names it. */
  file: string;
  /** 1-based index of the patch in the input (a series has several). */
  patch: number;
  side: PatchSide;
  /** The hunk line's mark: '+' added, '-' removed, ' ' context. */
  kind: ' ' | '+' | '-';
  function: string;
  how: AnchorHow;
  confidence: number;
  note?: string;
}

export interface PatchAnchorMissing {
  id: AnchorId;
  found: false;
  /** When the step's function is in the patch without the statement: the input line that starts it (its @@ header or its definition line). */
  functionInputLine?: number;
  reason: string;
}

export type PatchAnchor = PatchAnchorFound | PatchAnchorMissing;

interface Image {
  source: SourceFile;
  /** Input line (1-based) of each image line (index: image line - 1). */
  origin: number[];
  /** Hunk mark of each image line. */
  kind: (' ' | '+' | '-')[];
}

/** One side of one file diff, as a kernel-style C file of the functions its hunks touch. */
function image(f: FileDiff, side: PatchSide): Image {
  const byFn = new Map<string, { start: number; lines: { text: string; inputLine: number; kind: ' ' | '+' | '-' }[] }>();
  for (const h of f.hunks) {
    const owners = hunkFunctions(h);
    h.lines.forEach((l, i) => {
      if (l.kind === (side === 'new' ? '-' : '+')) return;
      const { fn, definition } = owners[i];
      if (fn === UNKNOWN_FN) return;
      let entry = byFn.get(fn);
      // A function starts at its definition line when the hunk holds it, else at the @@ header naming it.
      if (!entry) byFn.set(fn, (entry = { start: definition ? l.inputLine : h.inputLine, lines: [] }));
      entry.lines.push({ text: l.text, inputLine: l.inputLine, kind: l.kind });
    });
  }
  const out: string[] = [];
  const origin: number[] = [];
  const kind: (' ' | '+' | '-')[] = [];
  const push = (text: string, from: number, k: ' ' | '+' | '-' = ' ') => { out.push(text); origin.push(from); kind.push(k); };
  for (const [fn, { start, lines }] of byFn) {
    // Every body line is indented, so that no '{' or '}' of the hunks ends the definition early.
    push(`int ${fn}(void)`, start);
    push('{', start);
    for (const l of lines) push(`\t${l.text}`, l.inputLine, l.kind);
    push('}', lines[lines.length - 1]?.inputLine ?? start);
  }
  return { source: { path: f.path, text: out.join('\n') }, origin, kind };
}

/** Where every modelled step is in the patch's hunks (by anchor id). */
export function anchorInPatch(input: ParsedInput): Map<AnchorId, PatchAnchor> {
  const best = new Map<AnchorId, PatchAnchor>();
  const ids = Object.keys(ANCHORS) as AnchorId[];
  for (const p of input.patches) {
    // The new side last, so that it wins a tie (the loop keeps a later candidate of equal confidence).
    for (const side of ['old', 'new'] as const) {
      const images = p.files.filter((f) => f.hunks.length).map((f) => image(f, side));
      if (!images.length) continue;
      const results: AnchorResult[] = anchorSources(images.map((i) => i.source), ids);
      for (const r of results) {
        const prev = best.get(r.id);
        if (r.found) {
          const im = images.find((i) => i.source.path === r.file)!;
          if (prev?.found && prev.confidence > r.confidence) continue;
          best.set(r.id, {
            id: r.id, found: true, inputLine: im.origin[r.line - 1], endInputLine: im.origin[r.endLine - 1], file: r.file, patch: p.index, side,
            kind: im.kind[r.line - 1], function: r.function, how: r.how, confidence: r.confidence, ...(r.note ? { note: r.note } : {}),
          });
        } else if (!prev?.found) {
          // The function is in this image without the statement: remember where it starts.
          const line = r.functionLine;
          const im = line !== undefined ? images.find((i) => baseName(i.source.path) === baseName(ANCHORS[r.id].file)) : undefined;
          const functionInputLine = im ? im.origin[line! - 1] : prev?.functionInputLine;
          const inFile = images.some((i) => baseName(i.source.path) === baseName(ANCHORS[r.id].file));
          const reason = line === undefined && inFile ? `${ANCHORS[r.id].fn}() is not in the hunks` : r.reason;
          best.set(r.id, { id: r.id, found: false, reason, ...(functionInputLine !== undefined ? { functionInputLine } : {}) });
        }
      }
    }
  }
  for (const id of ids) if (!best.has(id)) best.set(id, { id, found: false, reason: 'the input has no hunks' });
  return best;
}
