/**
 * The model's own annotated listing: every statement the model steps through (src/kernel/anchors.ts),
 * grouped by kernel file and function, as a read-only document the editor can highlight when no
 * kernel tree is set (or a step's file is not in it). Each statement sits on a line of its own, so
 * a step maps to exactly one line.
 */
import { ANCHORS, anchorKey } from '../kernel/anchors';
import type { Anchor } from '../kernel/anchors';

export interface Listing {
  text: string;
  /** 0-based line of each anchor, keyed by anchorKey(). */
  lines: Map<string, number>;
}

export { anchorKey };

/** The listing; `header` lines (already comments or plain text) go first. */
export function modelListing(header: readonly string[]): Listing {
  const out: string[] = [...header, ''];
  const lines = new Map<string, number>();
  const byFile = new Map<string, Map<string, Anchor[]>>();
  for (const a of Object.values(ANCHORS) as Anchor[]) {
    const fns = byFile.get(a.file) ?? new Map<string, Anchor[]>();
    byFile.set(a.file, fns);
    const list = fns.get(a.fn) ?? [];
    fns.set(a.fn, list);
    if (!list.some((x) => x.stmt === a.stmt)) list.push(a);
  }
  for (const [file, fns] of byFile) {
    out.push(`/* ===== ${file} ===== */`, '');
    for (const [fn, anchors] of fns) {
      out.push(`${fn}${fn.includes('(') || fn.includes(' ') ? '' : '()'}`, '{');
      for (const a of anchors) {
        lines.set(anchorKey(a), out.length);
        out.push(`\t${a.stmt}`);
      }
      out.push('}', '');
    }
  }
  return { text: out.join('\n'), lines };
}
