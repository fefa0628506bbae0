/**
 * explore --reduce symmetry as a user runs it (cli/explore.ts): the same verdict, depth and exit
 * status as without it, fewer states, the counterexample written as a scenario, and a refusal
 * (exit 2) where the reduction does not run: several workers, the core engine, the guest-tables
 * scope. The numbers are the library's (explorer_page_symmetry.test.ts): at the tests' bound v7 has
 * 50,756 states unreduced and 18,145 reduced, one for each class of the unreduced states under the
 * group (that file counts the classes); 20,090 until 2026-12-07, when the group did not act on a
 * state whose enable was before its write-protection or whose split was not done, though with no
 * huge leaf left such a split has nothing to split ("Splits with nothing to split" in
 * docs/explorer.md); never-flush's shortest counterexample is 13 transitions.
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

for (const [variant, code] of [['never-flush', 1], ['v7', 0]] as const) {
  test(`${variant}: --reduce symmetry keeps the verdict, the depth and the exit status (${code}), with fewer states`, () => {
    const plain = explore('--json', '--variant', variant, ...SMALL);
    const reduced = explore('--json', '--variant', variant, ...SMALL, '--reduce', 'symmetry');
    assert.equal(plain.code, code, plain.err);
    assert.equal(reduced.code, code, reduced.err);
    const p = JSON.parse(plain.out) as { verdict: string; depth: number; states: number; reduce?: string; counterexample?: { operations: unknown[] } };
    const r = JSON.parse(reduced.out) as typeof p;
    assert.equal(r.verdict, p.verdict);
    assert.equal(r.depth, p.depth);
    assert.equal(r.reduce, 'symmetry');
    assert.ok(r.states < p.states, `${r.states} < ${p.states}`);
    if (variant === 'v7') assert.deepEqual([p.states, r.states], [50756, 18145]);
    if (variant === 'never-flush') assert.ok(r.counterexample && r.counterexample.operations.length > 0, 'the counterexample is written as a scenario');
  });
}

test('the text result, and the --variant all table, say the search was reduced', () => {
  const r = explore('--variant', 'v7', ...SMALL, '--reduce', 'symmetry');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /reduced by the symmetry over the region's pages/);
  // Every preset at E = 2, 2 operations: small; never-flush is clean there (exit 0).
  const all = explore('--variant', 'all', '--entries', '2', '--ops', '2', '--accesses', '1', '--reduce', 'symmetry');
  assert.equal(all.code, 0, all.err);
  assert.match(all.out, /reduced by the symmetry over the region's pages/);
  assert.doesNotMatch(explore('--variant', 'all', '--entries', '2', '--ops', '2', '--accesses', '1').out, /reduced by the symmetry/);
});

test('--reduce is refused where it does not run (exit 2)', () => {
  // Two workers run it on the shared search (explorer_por_cli.test.ts compares the results); the
  // partitioned search, kept to compare, has no reductions.
  const workers = explore('--variant', 'v7', ...SMALL, '--reduce', 'symmetry', '--workers', '2', '--parallel', 'partitioned');
  assert.equal(workers.code, 2);
  assert.match(workers.err, /--reduce runs on the single search and the shared one/);
  const core = explore('--variant', 'v7', ...SMALL, '--reduce', 'symmetry', '--engine', 'core');
  assert.equal(core.code, 2);
  assert.match(core.err, /--reduce runs on the packed engine only/);
  const guest = explore('--scope', 'guest-tables', '--reduce', 'symmetry');
  assert.equal(guest.code, 2);
  assert.match(guest.err, /guest-tables scope runs on its own packed search, the default, or the core engine, neither with reductions/);
  const bogus = explore('--reduce', 'partial-order');
  assert.equal(bogus.code, 2);
});
