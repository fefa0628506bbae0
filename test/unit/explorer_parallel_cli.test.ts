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
