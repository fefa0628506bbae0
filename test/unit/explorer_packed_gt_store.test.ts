/**
 * The guest-tables search's store and table (src/explore/packed_gt/squeeze.ts, table.ts;
 * docs/explorer.md, "The guest-tables store without its zero words"): squeezed forms against
 * forms worked out by hand, the one-pass forms against the two-pass ones on the states of core
 * searches, and the Robin Hood table against a Set on colliding hashes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeScope } from '../../src/explore/scope';
import { abstractGtRaw } from '../../src/explore/packed_gt/abstraction';
import { canonGtInPlace } from '../../src/explore/packed_gt/canon';
import { GtLayout } from '../../src/explore/packed_gt/layout';
import { gtLoad, gtSqueeze, gtUnsqueeze, squeeze, squeezedLength, squeezedRoom, unsqueeze } from '../../src/explore/packed_gt/squeeze';
import { rhFull, rhPlace, rhProbe, rhRehashed } from '../../src/explore/packed_gt/table';
import { findPreset } from '../../src/kernel/variants';
import { gtBound, gtCoreSearch, gtPack } from './explorer_packed_gt.helpers';

/** squeeze() of `words` as an array (and unsqueeze() checked to give them back). */
function squeezed(words: number[]): number[] {
  const src = Int32Array.from(words);
  const out = new Int32Array(squeezedRoom(words.length)).fill(0x5a5a5a5a);
  const n = squeeze(src, 0, words.length, out, 0);
  assert.equal(squeezedLength(out[0]), n);
  const back = new Int32Array(words.length).fill(-1);
  assert.equal(unsqueeze(out, 0, back), words.length);
  assert.deepEqual([...back], words);
  return [...out.subarray(0, n)];
}

test('squeezed forms worked out by hand: the head (used | nonzero << 16), the bitmaps, the nonzero words', () => {
  // Words 0, 3 and 5 are not zero (bits 1 + 8 + 32 = 41); -2^31 is not zero though its negation is itself.
  assert.deepEqual(squeezed([7, 0, 0, -2147483648, 0, 5]), [6 | (3 << 16), 41, 7, -2147483648, 5]);
  // 40 words: two bitmaps; word 31 is the first bitmap's top bit (-2^31 as an int32), word 32 the second's bit 0.
  const forty = new Array<number>(40).fill(0);
  forty[31] = 1;
  forty[32] = 2;
  assert.deepEqual(squeezed(forty), [40 | (2 << 16), -2147483648, 1, 1, 2]);
  // All zero: the head and an empty bitmap.
  assert.deepEqual(squeezed([0, 0, 0]), [3, 0]);
  // None zero, 32 words: every bit, so the bitmap is -1.
  const full = Array.from({ length: 32 }, (_, i) => i + 1);
  assert.deepEqual(squeezed(full), [32 | (32 << 16), -1, ...full]);
});

test('gtSqueeze() is squeeze() of gtPack(), gtUnsqueeze() gives the words back, on the states of core searches (forms of one and two bitmaps)', () => {
  const cases = [
    { variant: findPreset('mainline-2026-pre')!, bound: gtBound(2, { writes: 'both', faultWindow: true, deleteTables: true }) },
    { variant: findPreset('mainline-2026')!, bound: gtBound(3, { entries: 4 }) },
  ];
  for (const { variant, bound } of cases) {
    const L = new GtLayout(makeScope(bound));
    const scratch = new Uint8Array(L.size);
    const room = squeezedRoom(L.size >> 2);
    let long = 0;
    let states = 0;
    gtCoreSearch(variant, bound, (n) => {
      states++;
      const w = abstractGtRaw(L, n);
      canonGtInPlace(L, w, scratch);
      const copy = w.slice();
      const one = new Int32Array(room);
      const len = gtSqueeze(L, w, new Int32Array(w.buffer), one, 0);
      assert.deepEqual(w, copy, 'gtSqueeze() leaves the words as they were');
      const used = gtPack(L, copy);
      if (used > 32) long++;
      const two = new Int32Array(room);
      assert.equal(squeeze(new Int32Array(copy.buffer), 0, used, two, 0), len);
      assert.deepEqual(one.subarray(0, len), two.subarray(0, len));
      const back = new Int32Array(L.size >> 2).fill(-1);
      gtUnsqueeze(L, one, 0, back);
      assert.deepEqual(new Uint8Array(back.buffer), w);
    }, 6000);
    assert.ok(states > 5000, `${states} states`);
    // The E = 4 bound's forms of more than 32 packed words have two bitmaps.
    if (bound.entries === 4) assert.ok(long > 100, `${long} forms of two bitmaps`);
  }
});

test('the Robin Hood table finds exactly what was inserted, through colliding hashes and doublings, and keeps its order', () => {
  // 3,000 forms of 1 to 4 words in one chunk, whose hashes have 40 homes below 280 (7 apart, so the
  // runs are long and merge) in every table up to 2^16 slots, and one of 64 upper parts: pairs of one
  // home with other hashes (which a lookup must go past, not stop at) and pairs of one hash (which it
  // must compare).
  const chunk = new Int32Array(1 << 16);
  let table = new Int32Array(2 * 64);
  let fill = 0;
  let seed = 12345;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) | 0);
  const forms: Array<{ words: Int32Array; h: number }> = [];
  for (let i = 0; i < 3000; i++) {
    const len = 1 + (i & 3);
    const words = new Int32Array(len);
    words[0] = i + 1; // distinct forms
    for (let k = 1; k < len; k++) words[k] = next();
    forms.push({ words, h: 7 * ((next() >>> 8) % 40) + (((next() >>> 8) & 63) << 16) });
  }
  const places: number[] = [];
  let count = 0;
  const lookUp = (f: { words: Int32Array; h: number }): number => rhProbe(table, [chunk], f.words, 0, f.h, f.words.length);
  for (let i = 0; i < forms.length; i++) {
    const f = forms[i];
    const slot = lookUp(f);
    assert.ok(slot < 0, `form ${i} found before it was inserted`);
    chunk.set(f.words, fill);
    places.push(fill);
    rhPlace(table, -1 - slot, fill + 1, f.h);
    fill += f.words.length;
    count++;
    if (rhFull(table, count)) table = rhRehashed(table);
    // The one inserted before is found, at its place.
    if (i > 0) {
      const s = lookUp(forms[i - 1]);
      assert.ok(s >= 0 && table[s << 1] === places[i - 1] + 1, `form ${i - 1} after form ${i}`);
    }
  }
  for (let i = 0; i < forms.length; i++) {
    const s = lookUp(forms[i]);
    assert.ok(s >= 0 && table[s << 1] === places[i] + 1, `form ${i} at the end`);
  }
  // A form not inserted (a first word no form has) is not found, whatever its hash.
  for (let h = 0; h < 40; h++) assert.ok(rhProbe(table, [chunk], Int32Array.of(-7, 1), 0, 7 * h + (5 << 16), 2) < 0);
  // The order: a pair's distance from its home is at most one more than the pair's before it (0 after an empty slot).
  const mask = (table.length >> 1) - 1;
  let full = 0;
  for (let i = 0; i <= mask; i++) {
    if (table[i << 1] === 0) continue;
    full++;
    const prev = (i - 1) & mask;
    const dist = (i - (table[(i << 1) + 1] & mask)) & mask;
    const before = table[prev << 1] === 0 ? -1 : (prev - (table[(prev << 1) + 1] & mask)) & mask;
    assert.ok(dist <= before + 1, `slot ${i}: distance ${dist} after ${before}`);
  }
  assert.equal(full, 3000);
  // 3,000 pairs fill 15/16 of no table below 4,096 slots (3,000 > 15/16 of 2,048 = 1,920).
  assert.equal(table.length, 2 * 4096);
});

test('gtLoad() into one buffer, clearing only the last state\'s nonzero words, gives each state\'s words, whatever the state before it (more SPs, more paused frames, fewer)', () => {
  // The search loads every state it expands into the same words (search.ts load()), clearing only
  // the words the state before set. A state with fewer SPs in use or fewer paused frames than the
  // one before leaves none of that one's words: each load is compared with the state's own words.
  const variant = findPreset('mainline-2026-pre')!;
  const bound = gtBound(2, { writes: 'both', faultWindow: true, deleteTables: true });
  const L = new GtLayout(makeScope(bound));
  const scratch = new Uint8Array(L.size);
  const forms: Int32Array[] = [];
  const wants: Uint8Array[] = [];
  gtCoreSearch(variant, bound, (n) => {
    const w = abstractGtRaw(L, n);
    canonGtInPlace(L, w, scratch);
    const form = new Int32Array(squeezedRoom(L.size >> 2));
    forms.push(form.subarray(0, gtSqueeze(L, w, new Int32Array(w.buffer), form, 0)));
    wants.push(w);
  }, 3000);
  // In the search's order, then from the longest form to the shortest (each load after a longer one).
  const order = [...forms.keys()];
  const byLength = [...order].sort((a, b) => forms[b].length - forms[a].length || a - b);
  const out = new Int32Array(L.size >> 2);
  const bytes = new Uint8Array(out.buffer);
  const places = new Int32Array(L.size >> 2);
  let count = 0;
  let shorter = 0;
  let previous = -1;
  for (const i of [...order, ...byLength]) {
    count = gtLoad(L, forms[i], 0, out, places, count);
    assert.deepEqual(bytes, wants[i], `state ${i} after state ${previous}`);
    assert.equal(count, (forms[i][0] >>> 16), 'the nonzero words counted');
    if (previous >= 0 && wants[i][L.nsps] < wants[previous][L.nsps]) shorter++;
    previous = i;
  }
  assert.ok(forms.length >= 3000 && shorter > 100, `${forms.length} states, ${shorter} loads of fewer SPs than the state before`);
});
