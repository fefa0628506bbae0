/**
 * The size of the guest-tables scope's packed state follows the bound (src/explore/packed_gt/layout.ts;
 * docs/explorer.md, "The state's size from the bound"): the capacities, the bytes of a frame and of
 * an SP slot, and the words the store keeps, each against the arithmetic written beside it; and the
 * bound on SPs checked against the core, which knows nothing of the layout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeScope, GUEST_TABLES_BOUND } from '../../src/explore/scope';
import { rootNode } from '../../src/explore/model';
import { GtLayout } from '../../src/explore/packed_gt/layout';
import { abstractGtRaw } from '../../src/explore/packed_gt/abstraction';
import { canonGtInPlace } from '../../src/explore/packed_gt/canon';
import { parseVariant } from '../../src/kernel/variants';
import { gtBound, gtCoreSearch, gtPack, gtUnpack } from './explorer_packed_gt.helpers';

test('the capacities follow the bound: SP slots 2 + ops + 2 min(ops, 2 accesses), frames without list room, SP slots in whole words', () => {
  // Default bound: E = 2, 4 operations, 2 accesses.
  const L = new GtLayout(makeScope(GUEST_TABLES_BOUND));
  // 2 + 4 + 2 min(4, 2 x 2) = 14 (it was 1 + 4 (4 + 2) = 25).
  assert.equal(L.nsp, 14);
  // A frame: kind, pc, ten fields, the list's length (F_LIST = 12), a stopped fault's "the
  // sequence moved" (F_SEQ = 13, then 1 byte: 14); the list's SPs are marked in their slots.
  assert.equal(L.fs, 14);
  // An SP slot: key, life, 2 entries of 4 bytes (flags, target, gfn code and access, misfiled), the list mark: 11, rounded up to 12.
  assert.equal(L.ss, 12);
  // Rmap entries in all pages and remaps in all memslots: one a fault, one an invalidation: 4 each.
  assert.equal(L.nrm, 4);
  assert.equal(L.nremap, 4);
  // Fewer accesses than operations: faults are at most 2 an access. 5 operations, 1 access, E = 4:
  // 2 + 5 + 2 min(5, 2) = 11; an SP slot 3 + 4 x 4 = 19, rounded up to 20.
  const M = new GtLayout(makeScope(gtBound(5, { entries: 4, accesses: 1 })));
  assert.equal(M.nsp, 11);
  assert.equal(M.ss, 20);
  // E = 8: 3 + 8 x 4 = 35, rounded up to 36.
  assert.equal(new GtLayout(makeScope(gtBound(2, { entries: 8 }))).ss, 36);
});

test('the initial state at the default bound is stored in 26 words (it was 48, then 24 before the invalidation range)', () => {
  const scope = makeScope(GUEST_TABLES_BOUND);
  const L = new GtLayout(scope);
  const w = abstractGtRaw(L, rootNode(scope));
  canonGtInPlace(L, w, new Uint8Array(L.size));
  const want = w.slice();
  // The header to the SP slots: 13 header bytes (11, and the invalidation range's two gfn codes),
  // 3 memslots' status bytes, the remaps (1 + 2 x 4), the freed host pages (1 + 4), the written
  // pages (4 + 2 + 2 memslot pages): 38 bytes, 40 in whole words.
  assert.equal(L.sp, 40);
  // Part 1: the header and one SP slot (the root): 40 + 12 = 52 bytes, 13 words. Part 2: the active
  // list's first word (one SP). Part 3, from the rmaps (40 + 14 x 12 + 16 for the active list = 224,
  // word 56) to the running frame's end, no frame paused: the rmaps (1 + 2 x 4), the TLBs
  // (2 x (1 + 5 x 2)), the frame (14): 45 bytes, up to byte 269, word 68: 12 words. 13 + 1 + 12 = 26.
  assert.equal(L.rmap, 224);
  const packed = w.slice();
  assert.equal(gtPack(L, packed), 26);
  const back = new Uint8Array(L.size).fill(0xff);
  gtUnpack(L, packed, 0, back);
  assert.deepEqual(back, want);
});

test('no state of the core\'s searches has more SPs than the layout\'s bound on them (every menu option, 2 and 3 operations)', () => {
  const variant = parseVariant('mainline-2026');
  for (const bound of [
    gtBound(2, { writes: 'both', faultWindow: true, deleteTables: true }),
    gtBound(3, { writes: 'both', deleteTables: true }),
  ]) {
    const L = new GtLayout(makeScope(bound));
    let most = 0;
    gtCoreSearch(variant, bound, (n) => { most = Math.max(most, n.state.sps.length); }, 30_000);
    assert.ok(most <= L.nsp, `${most} SPs at ${JSON.stringify(bound)}, the layout has ${L.nsp}`);
    // The bound is not loose by more than the argument allows: a path makes a root and three SPs a fault at least.
    assert.ok(most >= 4, `${most} SPs`);
  }
});
