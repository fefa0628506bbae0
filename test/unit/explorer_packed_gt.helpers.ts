/**
 * Shared by the tests of the guest-tables scope's packed engine (src/explore/packed_gt/): a
 * breadth-first core search of that scope that hands every transition's successor to a callback.
 * It does not stop at a violation (a violating successor is not a state and is not expanded, as in
 * the core search), so the unfixed presets' searches cover their whole reachable space, not only
 * the states before the first hole.
 */
import assert from 'node:assert/strict';
import { apply, candidateActions, rootNode, type Node, type Outcome } from '../../src/explore/model';
import type { PackedGtModel } from '../../src/explore/packed_gt/model';
import { abstractGtRaw } from '../../src/explore/packed_gt/abstraction';
import type { GtLayout } from '../../src/explore/packed_gt/layout';
import type { Violation } from '../../src/model/step';
import { canonicalKey } from '../../src/explore/canon';
import { makeScope, type Bound, type Scope } from '../../src/explore/scope';
import type { Variant } from '../../src/kernel/variants';

/** Words as a string, for assert.equal() and maps. */
export const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

export interface GtSearch { scope: Scope; states: number; transitions: number }

/** The guest-tables scope at E = 2 with `ops` operations and two accesses, and the options given. */
export function gtBound(ops: number, extra: Partial<Bound> = {}): Bound {
  return { entries: 2, ops, accesses: 2, scope: 'guest-tables', ...extra };
}

/**
 * Search with the core, calling `each(node, key)` for the root and for every successor that is not
 * a violation (so a state is met once for every transition into it); `maxStates` stops early.
 */
export function gtCoreSearch(variant: Variant, bound: Bound, each: (n: Node, key: string, from: Node | null, action: number) => void, maxStates = Infinity): GtSearch {
  const scope = makeScope(bound);
  const root = rootNode(scope);
  const visited = new Set<string>();
  const k0 = canonicalKey(root);
  visited.add(k0);
  each(root, k0, null, 0);
  let frontier: Node[] = [root];
  let transitions = 0;
  while (frontier.length && visited.size < maxStates) {
    const next: Node[] = [];
    for (const n of frontier) {
      for (const a of candidateActions(scope, n)) {
        const o = apply(scope, variant, n, a);
        if (!o) continue;
        transitions++;
        if (o.violations.length) continue;
        const key = canonicalKey(o.node);
        each(o.node, key, n, a);
        if (!visited.has(key)) { visited.add(key); next.push(o.node); }
      }
    }
    frontier = next;
  }
  return { scope, states: visited.size, transitions };
}

/** The packed model's first violation in its last transition is the core's `o` (kind, strength, vCPU, gfn): asserted; the core's is returned. */
export function sameFirstViolation(pm: PackedGtModel, o: Outcome, where: string): Violation | undefined {
  const cv = o.violations[0];
  const pv = pm.violation;
  assert.deepEqual(
    pv ? { kind: pv.kind, strength: pv.strength, vcpu: pv.vcpu, gfn: pv.gfn } : null,
    cv ? { kind: cv.kind, strength: cv.strength, vcpu: cv.vcpu, gfn: cv.gfn } : null,
    `${where}: first violation`);
  return cv;
}

/** The packed words' place of the core's paused frame i (the packed paused frames are sorted). */
export function packedPausedIndex(L: GtLayout, n: Node, from: Uint8Array, i: number): number {
  const others = n.paused.filter((_, j) => j !== i);
  if (n.current) others.push(n.current);
  const alone = abstractGtRaw(L, { ...n, current: n.paused[i], paused: others });
  const want = text(alone.subarray(L.cur, L.cur + L.fs));
  for (let j = 0; j < from[L.npaused]; j++) if (text(from.subarray(L.paused + j * L.fs, L.paused + (j + 1) * L.fs)) === want) return j;
  throw new Error('the core\'s paused frame is not among the packed ones');
}

/**
 * The packed words of a state (the search's store keeps them squeezed, src/explore/packed_gt/
 * squeeze.ts gtSqueeze(), which makes them in the same pass; these are the two-pass forms the
 * tests hold gtSqueeze() and gtUnsqueeze() to, moved here from search.ts when the search stopped
 * using them). A state as stored (the model's words are L.size bytes, most of them zero), in three parts, each
 * starting at a word of the layout: the words up to its SP slots in use (an SP slot past the
 * header's count is all zero), then the words of the active list that its SPs in use can fill (it
 * lists SPs in use, each once, so the rest is zero), then the words from the rmaps up to its last
 * paused frame (the paused frames past the header's count are zero). The cuts are read off the
 * header, which is kept, so two states are equal exactly when their stored forms are, and
 * gtUnpack() gives the words back. Copied a word at a time, in loops: the parts are tens of words,
 * where V8's calls into its runtime (copyWithin(), fill(), subarray()) cost more than the copy.
 */
export function gtPack(L: GtLayout, w: Uint8Array, ww: Int32Array = new Int32Array(w.buffer, w.byteOffset, L.size >> 2)): number {
  const nsps = w[L.nsps];
  let n = (L.sp + nsps * L.ss) >> 2;
  for (let i = L.active >> 2, end = i + ((nsps + 3) >> 2); i < end; i++) ww[n++] = ww[i];
  for (let i = L.rmap >> 2, end = (L.paused + w[L.npaused] * L.fs + 3) >> 2; i < end; i++) ww[n++] = ww[i];
  return n;
}

/** The model's words (into `out`, L.size bytes) of the state stored at byte `at` of `stored` (gtPack()). */
export function gtUnpack(L: GtLayout, stored: Uint8Array, at: number, out: Uint8Array): void {
  gtUnpackWords(L, new Int32Array(stored.buffer, stored.byteOffset + at, (stored.length - at) >> 2), 0, new Int32Array(out.buffer, out.byteOffset, L.size >> 2));
}

/** gtUnpack() on words: the state stored at word `at` of `stored`, into `out` (L.size / 4 words). */
export function gtUnpackWords(L: GtLayout, stored: Int32Array, at: number, out: Int32Array): void {
  // The header's counts, in its first words (little-endian, as every typed array here).
  const nsps = (stored[at + (L.nsps >> 2)] >>> (8 * (L.nsps & 3))) & 0xff;
  const npaused = (stored[at + (L.npaused >> 2)] >>> (8 * (L.npaused & 3))) & 0xff;
  let k = at;
  let i = 0;
  for (const end = (L.sp + nsps * L.ss) >> 2; i < end; i++) out[i] = stored[k++];
  for (const end = L.active >> 2; i < end; i++) out[i] = 0;
  for (const end = i + ((nsps + 3) >> 2); i < end; i++) out[i] = stored[k++];
  for (const end = L.rmap >> 2; i < end; i++) out[i] = 0;
  for (const end = (L.paused + npaused * L.fs + 3) >> 2; i < end; i++) out[i] = stored[k++];
  for (const end = L.size >> 2; i < end; i++) out[i] = 0;
}
