// @no-coverage: whole searches on real threads through the CLI; V8's coverage counters about double such a file's CPU (docs/testing.md, "What the unit stage costs").
/**
 * explore --workers N as a user runs it: the shared search's threads (the default,
 * src/explore/packed/shared.ts) and the partitioned search's (`--parallel partitioned`,
 * src/explore/packed/parallel.ts) must print the single search's result (each says why it is the
 * same: every level numbered in the single search's order), the same exit status, and refuse
 * what they cannot search.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { STORE_MAX_BYTES, sharedBuffers, storeEndMessage } from '../../src/explore/packed/shared';
import { CHUNK_WORDS } from '../../src/explore/packed/visited';

const root = join(__dirname, '..', '..');
/** The tests' small bound (explorer.helpers.ts TEST_BOUND) as options. */
const SMALL = ['--entries', '2', '--ops', '4', '--accesses', '2', '--kinds', 'enable,clear'];

function explore(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'explore', '--quiet', '--json', ...args], { encoding: 'utf8', cwd: root, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The result without what depends on the clock, the threads' memory or the thread count. */
function comparable(out: string): unknown {
  const j = JSON.parse(out) as Record<string, unknown>;
  return { ...j, seconds: 0, statesPerSecond: 0, peakMemoryBytes: 0 };
}

for (const [variant, code] of [['never-flush', 1], ['v7', 0]] as const) {
  test(`${variant}: --workers 2 and 3 (shared) and 2 (partitioned) print the single search's result and exit ${code}`, () => {
    const one = explore('--variant', variant, ...SMALL);
    assert.equal(one.code, code, one.err);
    for (const args of [['--workers', '2'], ['--workers', '3'], ['--workers', '2', '--parallel', 'partitioned']]) {
      const many = explore('--variant', variant, ...SMALL, ...args);
      assert.equal(many.code, code, many.err);
      // never-flush: the 13-transition counterexample, the scenario file included, the same.
      assert.deepEqual(comparable(many.out), comparable(one.out), args.join(' '));
    }
  });
}

test('--workers refuses what it cannot search in parallel, and bad counts (exit 2)', () => {
  const core = explore('--variant', 'v7', ...SMALL, '--workers', '2', '--engine', 'core');
  assert.equal(core.code, 2);
  assert.match(core.out, /--workers runs the packed engine only/);
  const all = explore('--variant', 'all', ...SMALL, '--workers', '2');
  assert.equal(all.code, 2);
  assert.match(all.out, /--workers searches one variant/);
  const zero = explore('--variant', 'v7', ...SMALL, '--workers', '0');
  assert.equal(zero.code, 2);
  assert.match(zero.out, /--workers expects a whole number from 1 to 64, got '0'/);
});

// A budget larger than one shared store may be (STORE_MAX_BYTES, shared.ts). Before 2026-12-07,
// --max-memory 4096 made a store of 4 GiB + 16 MiB, whose byte view Node 20 refuses ("internal
// error: Invalid typed array length"), and the worker thread already started kept the process
// alive after it printed that (spawnSync's timeout: status null). A store of exactly 2^32 bytes
// is made but the search goes wrong in silence: 29,013 states and "no violation" at v7's default
// bound, whose single search finds 1,168,848 (a mutation of STORE_MAX_BYTES to 2 ** 32 shows it).
// The default bound, not the small one: the wrong reads came once the search's code was compiled.
test('--workers 2 with a budget past the shared store (--max-memory 8192) prints the single search\'s result and exits', () => {
  const one = explore('--variant', 'v7');
  assert.equal(one.code, 0, one.err);
  const many = explore('--variant', 'v7', '--workers', '2', '--max-memory', '8192');
  assert.equal(many.code, 0, `exit ${many.code} (null: it did not exit)\n${many.out}\n${many.err}`);
  assert.deepEqual(comparable(many.out), comparable(one.out));
});

test('the shared store stops below 2^32 bytes whatever the budget, and says why when it stops there', () => {
  const chunkBytes = CHUNK_WORDS * 4;
  // 8 GiB asked: the store is the most a view may hold, a whole number of chunks below 2^32.
  const big = sharedBuffers(8 * 2 ** 30, 2).store.byteLength;
  assert.equal(big, STORE_MAX_BYTES);
  assert.ok(big < 2 ** 32 && big % chunkBytes === 0 && big >= 2 ** 32 - chunkBytes);
  // 64 MiB asked: the budget's 16 chunks and a chunk a thread and two to spare (2 threads: 4).
  assert.equal(sharedBuffers(64 * 2 ** 20, 2).store.byteLength, (16 + 4) * chunkBytes);
  assert.match(storeEndMessage(4000 * 2 ** 20, 8192 * 2 ** 20), /end of the shared store: 4000 MiB in use; .* at most 4092 MiB of states, below the cap of 8192 MiB \(use --workers 1 for more\)/);
});
