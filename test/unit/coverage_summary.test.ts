/** The test summary's coverage line (scripts/lib/coverage.mjs), from c8's json-summary. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs script, no declarations
import { coverageLine, sourceFiles, summarize } from '../../scripts/lib/coverage.mjs';
// @ts-expect-error: a plain .mjs script, no declarations
import { optsOutOfCoverage } from '../../scripts/lib/node-tests.mjs';

const root = join(__dirname, '..', '..');
type Lines = { total: number; covered: number; skipped: number; pct: number };
const lines = (covered: number, total: number): { lines: Lines } => ({ lines: { total, covered, skipped: 0, pct: 0 } });

test('the src/ files are the .ts sources, declarations left out', () => {
  const files: string[] = sourceFiles(root);
  assert.ok(files.includes('src/patch/blob.ts'));
  assert.ok(files.includes('src/explore/packed/model.ts'), 'files in nested folders, with / separators');
  assert.ok(!files.includes('src/platform.d.ts'), 'an ambient declaration holds no code');
  assert.deepEqual(files, [...files].sort());
});

test('coverage line: the total c8 counted, the files it measured, the ones no test loaded', () => {
  // c8 keys its summary by absolute path, with a 'total'.
  const summary = {
    total: lines(150, 200),
    [join(root, 'src', 'a.ts')]: lines(100, 120),
    [join(root, 'src', 'b', 'c.ts')]: lines(50, 80),
  };
  const c = summarize(summary, root, ['src/a.ts', 'src/b/c.ts', 'src/types.ts']);
  assert.deepEqual(c, { covered: 150, total: 200, files: 2, notLoaded: ['src/types.ts'] });
  // 150 / 200 = 75%.
  assert.equal(coverageLine(c), 'line coverage of src/ (unit tests): 75.0% (150 of 200 lines in 2 files; 1 file not loaded by any test (type-only or untested))');
  // Floored, not rounded: 9,999 of 10,000 lines is 99.99%, printed 99.9%, never 100.0%.
  assert.match(coverageLine({ covered: 9999, total: 10000, files: 1, notLoaded: [] }), /: 99\.9% \(9999 of 10000 lines in 1 file\)$/);
  // No summary (c8 failed, or the unit stage did not run): said, not hidden.
  assert.equal(coverageLine(undefined), 'line coverage of src/: not measured');
  // The line can never be mistaken for the final counts line ("N passed, N failed").
  assert.doesNotMatch(coverageLine(c), /^\d+ passed, \d+ failed/);
});

test('coverage line: the test files that ran without c8 are named, so the number is not read as the whole suite\'s', () => {
  // 150 / 200 = 75%, measured over every test file but 3.
  const c = { covered: 150, total: 200, files: 2, notLoaded: [], optedOut: 3 };
  assert.equal(coverageLine(c), 'line coverage of src/ (unit tests but the 3 files that opt out): 75.0% (150 of 200 lines in 2 files)');
  assert.match(coverageLine({ ...c, optedOut: 1 }), /\(unit tests but the 1 file that opts out\):/);
});

test('a test file opts out of the coverage by a `// @no-coverage: <why>` line in its first 40 lines, and only so', () => {
  assert.equal(optsOutOfCoverage('// @no-coverage: whole searches\n/** doc */\n'), true);
  // Anywhere in the header: after a 38-line docblock, line 39 still counts; line 41 does not
  // (a later line is the test's code, where the words could appear in a string).
  const header = (n: number) => `${'// line\n'.repeat(n)}// @no-coverage: whole searches\n`;
  assert.equal(optsOutOfCoverage(header(38)), true);
  assert.equal(optsOutOfCoverage(header(40)), false);
  // A reason is required: the bare marker, or one inside a sentence, opts nothing out.
  assert.equal(optsOutOfCoverage('// @no-coverage:\n'), false);
  assert.equal(optsOutOfCoverage('// @no-coverage:   \n'), false);
  assert.equal(optsOutOfCoverage(' * see // @no-coverage: x\n'), false);
});
