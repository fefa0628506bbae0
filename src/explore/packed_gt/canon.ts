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

/** Sort the paused frames as byte strings (the key sorts their texts), in place. */
export function sortPaused(L: GtLayout, w: Uint8Array): void {
  const n = w[L.npaused];
  if (n < 2) return;
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) frames.push(w.slice(L.paused + i * L.fs, L.paused + (i + 1) * L.fs));
  frames.sort(compare);
  frames.forEach((f, i) => w.set(f, L.paused + i * L.fs));
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
