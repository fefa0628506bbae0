/**
 * explore --reduce por and --reduce symmetry,por as a user runs them (cli/explore.ts): the same
 * verdict, depth and exit status as without them, no more states and fewer transitions (the
 * library's argument: explorer_por.test.ts; the reduction drops interleavings, not states), the
 * text says the search was reduced, and the refusals of --reduce hold for por as for symmetry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
/** The tests' small bound (explorer.helpers.ts TEST_BOUND) as options. */
const SMALL = ['--entries', '2', '--ops', '4', '--accesses', '2', '--kinds', 'enable,clear'];

function explore(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'explore', '--quiet', ...args], { encoding: 'utf8', cwd: root, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Json { verdict: string; depth: number; states: number; transitions: number; reduce?: string; counterexample?: { operations: unknown[] } }

for (const [variant, code] of [['never-flush', 1], ['v7', 0]] as const) {
  test(`${variant}: --reduce por and symmetry,por keep the verdict, the depth and the exit status (${code})`, () => {
    const plain = explore('--json', '--variant', variant, ...SMALL);
    assert.equal(plain.code, code, plain.err);
    const p = JSON.parse(plain.out) as Json;
    for (const reduce of ['por', 'symmetry,por']) {
      const reduced = explore('--json', '--variant', variant, ...SMALL, '--reduce', reduce);
      assert.equal(reduced.code, code, reduced.err);
      const r = JSON.parse(reduced.out) as Json;
      assert.equal(r.verdict, p.verdict);
      assert.equal(r.depth, p.depth);
      assert.equal(r.reduce, reduce);
      if (variant === 'v7') {
        assert.ok(r.states <= p.states, `${reduce}: ${r.states} <= ${p.states}`);
        assert.ok(r.transitions < p.transitions, `${reduce}: ${r.transitions} < ${p.transitions}`);
      } else {
        assert.ok(r.counterexample && r.counterexample.operations.length > 0, 'the counterexample is written as a scenario');
      }
    }
  });
}

test('the text result says the search was reduced by the partial-order reduction', () => {
  const r = explore('--variant', 'v7', ...SMALL, '--reduce', 'symmetry,por');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /reduced by the partial-order reduction \(--reduce por\)/);
  assert.match(r.out, /reduced by the symmetry over the region's pages/);
  const por = explore('--variant', 'v7', ...SMALL, '--reduce', 'por');
  assert.match(por.out, /reduced by the partial-order reduction/);
  assert.doesNotMatch(por.out, /reduced by the symmetry/);
});

test('--reduce por runs on the core engine too (never-flush: the same counterexample length)', () => {
  const plain = explore('--json', '--variant', 'never-flush', ...SMALL, '--engine', 'core');
  const reduced = explore('--json', '--variant', 'never-flush', ...SMALL, '--engine', 'core', '--reduce', 'por');
  assert.equal(plain.code, 1, plain.err);
  assert.equal(reduced.code, 1, reduced.err);
  const p = JSON.parse(plain.out) as Json;
  const r = JSON.parse(reduced.out) as Json;
  assert.equal(r.depth, p.depth);
  assert.equal(r.reduce, 'por');
});

test('--reduce symmetry,por on two workers (the shared search) gives the single search\'s result; the partitioned search refuses it', () => {
  // The shared search reduces in every thread as the single search does (docs/explorer.md
  // "Reductions and hash compaction on several workers"), so its JSON is the single search's but for the clock and
  // the memory held.
  const strip = (out: string) => { const j = JSON.parse(out) as Record<string, unknown>; for (const k of ['seconds', 'statesPerSecond', 'peakMemoryBytes']) delete j[k]; return j; };
  const one = explore('--json', '--variant', 'never-flush', ...SMALL, '--reduce', 'symmetry,por');
  const two = explore('--json', '--variant', 'never-flush', ...SMALL, '--reduce', 'symmetry,por', '--workers', '2');
  assert.equal(one.code, 1, one.err);
  assert.equal(two.code, 1, two.err);
  assert.deepEqual(strip(two.out), strip(one.out));
  assert.equal(strip(two.out).reduce, 'symmetry,por');
  const partitioned = explore('--variant', 'v7', ...SMALL, '--reduce', 'por', '--workers', '2', '--parallel', 'partitioned');
  assert.equal(partitioned.code, 2);
  assert.match(partitioned.err, /--reduce runs on the single search and the shared one .*not the partitioned one/);
});

test('--reduce por is refused where it does not run, and only the listed values are taken (exit 2)', () => {
  const core = explore('--variant', 'v7', ...SMALL, '--reduce', 'symmetry,por', '--engine', 'core');
  assert.equal(core.code, 2);
  assert.match(core.err, /--reduce runs on the packed engine only/);
  const guest = explore('--scope', 'guest-tables', '--reduce', 'por');
  assert.equal(guest.code, 2);
  assert.match(guest.err, /--reduce por runs on the split scope only/);
  const reversed = explore('--variant', 'v7', ...SMALL, '--reduce', 'por,symmetry');
  assert.equal(reversed.code, 2);
  assert.match(reversed.err, /symmetry,por/);
});
