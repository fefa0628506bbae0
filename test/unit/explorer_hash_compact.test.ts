/**
 * Hash compaction (src/explore/packed/search.ts, ExploreOptions.hashCompact, explore --hash-compact).
 *
 * Why the expected values are the exact search's own: with no two reachable canonical states
 * sharing a 64-bit hash, the hash-compaction search takes the same successors as new, in the same
 * order, as the exact search does, so it numbers the same states with the same parents, stops at
 * the same violating transition, and makes the same chain of canonical forms again from the stored
 * actions (rebuildCompactPath()), which rebuildPackedPath() turns into the same core actions. A
 * collision among n states has probability at most about n^2 / 2^65 (docs/explorer.md): for the
 * about 50,000 states of a preset at TEST_BOUND that is under 1e-10, for all eight presets under
 * 1e-9; and the hash is a fixed function, so these runs are the same every time. A difference here
 * is a bug, not bad luck.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { COMPACT_HASH_BITS, PackedSearch, omissionBound } from '../../src/explore/packed/search';
import { Search } from '../../src/explore/search';
import type { Bound } from '../../src/explore/scope';
import type { ExploreOptions, ExploreResult } from '../../src/explore/result';
import { findPreset, PRESETS } from '../../src/kernel/variants';
import { TEST_BOUND } from './explorer.helpers';

function search(options: ExploreOptions): ExploreResult {
  const s = new PackedSearch(options);
  while (!s.run(1000));
  return s.result();
}

/** What the two modes must share: everything but the clock, the memory held and the omission bound. */
function comparable(r: ExploreResult): unknown {
  return { ...r, seconds: 0, statesPerSecond: 0, peakMemoryBytes: 0, hashCompaction: undefined };
}

test('omissionBound is n^2 / 2^65 for 64-bit hashes, capped at 1', () => {
  // 2^32 states: 2^64 / 2^65 = 1/2; 2^20 states: 2^40 / 2^65 = 2^-25.
  assert.equal(COMPACT_HASH_BITS, 64);
  assert.equal(omissionBound(2 ** 32), 0.5);
  assert.equal(omissionBound(2 ** 20), 2 ** -25);
  assert.equal(omissionBound(2 ** 40), 1);
});

for (const preset of PRESETS) {
  test(`${preset.name}: hash compaction gives the exact search's verdict, depth, counts and counterexample at the tests' bound`, () => {
    const options: ExploreOptions = { variant: findPreset(preset.name)!, bound: TEST_BOUND };
    const exact = search(options);
    const compact = search({ ...options, hashCompact: true });
    assert.notEqual(exact.verdict, 'incomplete', 'the exact search must finish at the tests\' bound');
    assert.equal(exact.hashCompaction, undefined, 'an exact result claims no omission bound');
    assert.deepEqual(comparable(compact), comparable(exact));
    // The omission bound is of the states it stored: n^2 / 2^65.
    assert.deepEqual(compact.hashCompaction, { hashBits: 64, omissionBound: (exact.states * exact.states) / 2 ** 65 });
    assert.ok(compact.hashCompaction!.omissionBound < 1e-9);
  });
}

test('never-flush: the hash-compaction counterexample is the exact one, 13 transitions, replayed by the core', () => {
  // docs/explorer.md: never-flush's shortest counterexample at the tests' bound is 13 transitions.
  const options: ExploreOptions = { variant: findPreset('never-flush')!, bound: TEST_BOUND };
  const compact = search({ ...options, hashCompact: true });
  assert.equal(compact.verdict, 'violation');
  assert.equal(compact.depth, 13);
  assert.equal(compact.actions?.length, 13);
  assert.equal(compact.violation?.kind, 'stale-tlb');
  assert.deepEqual(compact.actions, search(options).actions);
  // The same from run to run.
  assert.deepEqual(search({ ...options, hashCompact: true }).actions, compact.actions);
});

test('hash compaction keeps only the states not yet expanded: under half the exact store at 830 k states', () => {
  // v7, E = 2, --pages few, every kind: 830,740 states, about 17 words each in the exact store
  // (14 chunks of 4 MiB), a table of 2^21 pairs (16 MiB), places and parents (4 MiB each): about
  // 80 MiB. Hash compaction keeps the same table (64-bit hashes instead of (place, hash)), the
  // parents, 2-byte actions, and only the chunks of the unexpanded states (the widest level is a
  // small part of the states): about 30 MiB. Without the chunks' reuse (releaseExpanded()) it held
  // 78.5 MiB, as much as the exact store less the places, and this test failed.
  const bound: Bound = { entries: 2, ops: 4, accesses: 2, pages: 'few' };
  const options: ExploreOptions = { variant: findPreset('v7')!, bound };
  const exact = search(options);
  const compact = search({ ...options, hashCompact: true });
  assert.equal(compact.states, exact.states);
  assert.ok(compact.peakMemoryBytes < exact.peakMemoryBytes / 2, `hash compaction held ${compact.peakMemoryBytes} bytes, the exact search ${exact.peakMemoryBytes}`);
});

test('hash compaction refuses the core engine and the stored states it does not keep', () => {
  const options: ExploreOptions = { variant: findPreset('v7')!, bound: TEST_BOUND, hashCompact: true };
  assert.throws(() => new Search({ ...options, engine: 'core' }), /hash compaction runs on the packed engine only/);
  assert.throws(() => new Search({ ...options, audit: true }), /hash compaction runs on the packed engine only/);
  const s = new PackedSearch(options);
  assert.throws(() => s.forEachState(() => undefined), /does not keep the states it expanded/);
});

// ---- the CLI

const root = join(__dirname, '..', '..');
/** The tests' small bound (explorer.helpers.ts TEST_BOUND) as options. */
const SMALL = ['--entries', '2', '--ops', '4', '--accesses', '2', '--kinds', 'enable,clear'];

function explore(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'explore', '--quiet', ...args], { encoding: 'utf8', cwd: root, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('explore --hash-compact says a clean result is probabilistic and prints the omission bound', () => {
  // v7 at the tests' bound: 50,756 states (the exact search's count, above), so the bound is
  // 50756^2 / 2^65 = 6.98e-11.
  const text = explore('--variant', 'v7', ...SMALL, '--hash-compact');
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /^v7: no violation within the bound \(probabilistic: hash compaction\)$/m);
  assert.match(text.out, /this "no violation" is probabilistic, not a proof/);
  assert.match(text.out, /at most about n\^2\/2\^65 = 6\.98e-11 for n = 50756 states/);
  const json = explore('--variant', 'v7', ...SMALL, '--hash-compact', '--json');
  const r = JSON.parse(json.out) as ExploreResult;
  assert.equal(r.hashCompaction?.hashBits, 64);
  assert.equal(r.hashCompaction?.omissionBound, (50756 * 50756) / 2 ** 65);
  // Without the option, no such words.
  assert.doesNotMatch(explore('--variant', 'v7', ...SMALL).out, /probabilistic|hash compaction/);
});

test('explore --hash-compact: a violation is certain, its being shortest carries the bound', () => {
  const r = explore('--variant', 'never-flush', ...SMALL, '--hash-compact');
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /the core replayed the counterexample/);
  assert.match(r.out, /the violation is certain \(the core replayed it\); that no shorter counterexample exists is probabilistic/);
});

test('explore --variant all --hash-compact: the table has the omission column and its legend', () => {
  const r = explore('--variant', 'all', ...SMALL, '--hash-compact');
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /omission <=/);
  assert.match(r.out, /^v7 +no violation within the bound \(probabilistic\) +50756 .* 6\.98e-11 /m);
  assert.match(r.out, /a "no violation" is probabilistic/);
});

test('explore --hash-compact on two workers (the shared search) gives the single search\'s result and the same omission line', () => {
  // The shared search's hash compaction (docs/explorer.md "Reductions and hash compaction on several workers")
  // stores and omits as the single one when no two states share a 64-bit signature: the same
  // counts, so the same bound (v7 here: 50,756 states, 6.98e-11, as the table above).
  const one = explore('--variant', 'v7', ...SMALL, '--hash-compact');
  const two = explore('--variant', 'v7', ...SMALL, '--hash-compact', '--workers', '2');
  assert.equal(one.code, 0, one.err);
  assert.equal(two.code, 0, two.err);
  const line = (out: string) => out.split('\n').filter((l) => /states|omission|probabilistic/.test(l) && !/\d+(\.\d+)? s\b|states\/s/.test(l));
  assert.deepEqual(line(two.out), line(one.out));
  assert.match(two.out, /6\.98e-11/);
});

test('explore --hash-compact with --parallel partitioned, the core engine or the guest-tables scope is refused (exit 2)', () => {
  const workers = explore('--variant', 'v7', ...SMALL, '--hash-compact', '--workers', '2', '--parallel', 'partitioned');
  assert.equal(workers.code, 2);
  assert.match(workers.err + workers.out, /--hash-compact runs on the single search and the shared one .*not the partitioned one/);
  const core = explore('--variant', 'v7', ...SMALL, '--hash-compact', '--engine', 'core');
  assert.equal(core.code, 2);
  assert.match(core.err + core.out, /--hash-compact runs on the packed engine only/);
  const guest = explore('--scope', 'guest-tables', '--hash-compact');
  assert.equal(guest.code, 2);
  assert.match(guest.err + guest.out, /the guest-tables scope runs on its own packed search, the default, or the core engine, neither with hash compaction/);
});
