/**
 * The canonical form of the guest-tables scope's packed words (layout.ts) under the vCPU swap, from
 * the words alone: the lesser of the words and of their image with the two vCPUs exchanged (their
 * TLB blocks swapped, every frame's vCPU flipped, the paused frames sorted again). It gives what
 * abstractGtNode() gives for a node whose raw words (abstractGtRaw()) it is handed; the tests hold
 * the two to each other.
 */
import { compare } from './abstraction';
import { F_KIND, F_VCPU, K_FAULT, K_WRITE, type GtLayout } from './layout';

/** Flip the vCPU of the frame at `at` (a fault's vCPU; a guest's write's 1 + vCPU; the VMM's write has none). */
function flipFrame(w: Uint8Array, at: number): void {
  const kind = w[at + F_KIND];
  if (kind === K_FAULT) w[at + F_VCPU] = 1 - w[at + F_VCPU];
  else if (kind === K_WRITE && w[at + F_VCPU] !== 0) w[at + F_VCPU] = 3 - w[at + F_VCPU];
}

/** The frame at `at` is one flipFrame() changes: a fault, or the guest's write (the VMM's has no vCPU). */
function namesVcpu(w: Uint8Array, at: number): boolean {
  const kind = w[at + F_KIND];
  return kind === K_FAULT || (kind === K_WRITE && w[at + F_VCPU] !== 0);
}

/**
 * Sort the paused frames as byte strings (the key sorts their texts), in place: an insertion sort
 * of the fixed-width frames where they lie (at most L.nf - 1 of them, nearly always sorted but for
 * the one just paused or flipped), with no copies made.
 */
export function sortPaused(L: GtLayout, w: Uint8Array): void {
  const n = w[L.npaused];
  const fs = L.fs;
  for (let i = 1; i < n; i++) {
    for (let j = i; j > 0; j--) {
      const a = L.paused + (j - 1) * fs;
      const b = a + fs;
      let k = 0;
      while (k < fs && w[a + k] === w[b + k]) k++;
      if (k === fs || w[a + k] < w[b + k]) break;
      for (; k < fs; k++) { const t = w[a + k]; w[a + k] = w[b + k]; w[b + k] = t; }
    }
  }
}

/** The words with the two vCPUs exchanged. */
export function swapVcpus(L: GtLayout, w: Uint8Array): Uint8Array {
  const out = w.slice();
  out.set(w.subarray(L.tlb + L.tb, L.tlb + 2 * L.tb), L.tlb);
  out.set(w.subarray(L.tlb, L.tlb + L.tb), L.tlb + L.tb);
  if (out[L.cur + F_KIND]) flipFrame(out, L.cur);
  for (let i = 0; i < out[L.npaused]; i++) flipFrame(out, L.paused + i * L.fs);
  sortPaused(L, out);
  return out;
}

/** The canonical form of words whose paused frames are sorted. */
export function canonGt(L: GtLayout, w: Uint8Array): Uint8Array {
  const b = swapVcpus(L, w);
  return compare(w, b) <= 0 ? w : b;
}

/**
 * canonGt() made in `w` itself, with no copy in the common case (the search's successors:
 * search.ts): the words before the TLB blocks are the same in w and in its image, so the first
 * byte where the two vCPUs' blocks differ decides which is less; when w's is greater, w is turned
 * into its image where it is. With equal blocks only the frames (after the TLBs) can differ: their
 * image is made in `scratch` (L.size bytes) and kept when less. Gives canonGt()'s words
 * (test/unit/explorer_packed_gt_search.test.ts holds the two to each other).
 */
export function canonGtInPlace(L: GtLayout, w: Uint8Array, scratch: Uint8Array): void {
  const a = L.tlb;
  const b = L.tlb + L.tb;
  for (let i = 0; i < L.tb; i++) {
    const x = w[a + i];
    const y = w[b + i];
    if (x === y) continue;
    if (x < y) return;
    for (let j = i; j < L.tb; j++) { const t = w[a + j]; w[a + j] = w[b + j]; w[b + j] = t; }
    if (w[L.cur + F_KIND]) flipFrame(w, L.cur);
    for (let k = 0; k < w[L.npaused]; k++) flipFrame(w, L.paused + k * L.fs);
    sortPaused(L, w);
    return;
  }
  // No frame names a vCPU (none, or only invalidations, deletions and the VMM's write): the swap
  // leaves every frame as it is and the paused ones sorted, so the image is w.
  if (!namesVcpu(w, L.cur)) {
    let k = 0;
    while (k < w[L.npaused] && !namesVcpu(w, L.paused + k * L.fs)) k++;
    if (k === w[L.npaused]) return;
  }
  // The frames' image (the frames past the paused count are zero in both), in scratch.
  const end = L.paused + w[L.npaused] * L.fs;
  for (let i = L.cur; i < end; i++) scratch[i] = w[i];
  scratch[L.npaused] = w[L.npaused];
  if (scratch[L.cur + F_KIND]) flipFrame(scratch, L.cur);
  for (let k = 0; k < scratch[L.npaused]; k++) flipFrame(scratch, L.paused + k * L.fs);
  sortPaused(L, scratch);
  for (let i = L.cur; i < end; i++) {
    if (w[i] === scratch[i]) continue;
    if (scratch[i] < w[i]) for (let j = i; j < end; j++) w[j] = scratch[j];
    return;
  }
}
