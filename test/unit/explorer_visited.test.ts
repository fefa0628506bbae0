/**
 * The visited set both packed searches share (src/explore/packed/visited.ts), on a table small
 * enough to follow by hand: 4 slots (8 words: place + 1, hash), mask 3, one chunk whose words
 * hold two stored states. The whole searches that use it are held to a plain search in
 * explorer_packed_store.test.ts and to each other in explorer_parallel.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probe, rehashed, warm } from '../../src/explore/packed/visited';

// State A = [7, 8, 9] at place 0, state B = [7, 8, 10] at place 3 (chunk 0, so a place is its word).
const chunks = [Int32Array.of(7, 8, 9, 7, 8, 10)];
const A = Int32Array.of(7, 8, 9);
const B = Int32Array.of(7, 8, 10);
// Both given the hash 5: 5 & 3 = slot 1 in 4 slots, 5 & 7 = slot 5 in 8.
const H = 5;

test('probe(): a state\'s slot when stored, else the empty slot where it goes, passing a same-hash state with other words', () => {
  const table = new Int32Array(8);
  // Empty table: A goes to its home slot, 5 & 3 = 1.
  assert.equal(probe(table, chunks, A, 0, H, 3), 1);
  table[2] = 0 + 1; table[3] = H;
  // Stored there: found at slot 1 (table[2] names place 0, whose 3 words are A's).
  assert.equal(probe(table, chunks, A, 0, H, 3), 1);
  // B has A's hash but its third word differs (10, not 9): slot 1 is not B's, the next one is.
  assert.equal(probe(table, chunks, B, 0, H, 3), 2, 'a state with the same hash and other words was taken as known');
  table[4] = 3 + 1; table[5] = H;
  assert.equal(probe(table, chunks, B, 0, H, 3), 2);
  // Hash 9 also starts at slot 1 (9 & 3): slots 1 and 2 hold hash 5, so it goes to slot 3 without
  // comparing words; and B read from words[3..6) of a longer array (at = 3) is still B.
  assert.equal(probe(table, chunks, Int32Array.of(1, 2, 3), 0, 9, 3), 3);
  assert.equal(probe(table, chunks, chunks[0], 3, H, 3), 2);
});

test('rehashed(): twice the slots, each pair placed again by its hash, so both states are found', () => {
  const table = Int32Array.of(0, 0, 1, H, 4, H, 0, 0);
  const bigger = rehashed(table);
  assert.equal(bigger.length, 16);
  // In 8 slots hash 5 starts at slot 5: A (first in the old table) there, B after it at 6.
  assert.deepEqual([...bigger.subarray(10, 14)], [1, H, 4, H]);
  assert.equal(probe(bigger, chunks, A, 0, H, 3), 5);
  assert.equal(probe(bigger, chunks, B, 0, H, 3), 6);
});

test('warm(): reads the slots (and with places, the first word of each stored state they name) and uses nothing', () => {
  const table = Int32Array.of(0, 0, 1, H, 4, H, 0, 0);
  // Hash 5's home slot is 1: its first word is 1 (place 0 + 1); with places, A's first word, 7.
  assert.equal(warm(table, chunks, Int32Array.of(H), 1, false), 1);
  assert.equal(warm(table, chunks, Int32Array.of(H), 1, true), 1 ^ 7);
  // An empty slot (hash 0 → slot 0) names no state.
  assert.equal(warm(table, chunks, Int32Array.of(0), 1, true), 0);
});
