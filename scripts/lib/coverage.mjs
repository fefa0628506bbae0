// Line coverage of src/ for the unit tests, measured by c8 (V8's own coverage through the
// NODE_V8_COVERAGE variable, so every process a test starts, the CLI's too, is measured; tsx's
// source maps bring it back to the .ts lines). Only the files some test loads are measured: a
// type-only module (src/view/protocol.ts, src/patch/types.ts) is never loaded, so it is counted
// apart, as "not loaded", rather than as lines no test reaches.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** c8's command-line arguments (before the command it runs) writing json-summary into `dir`. */
export function c8Args(dir) {
  return ['--reporter=json-summary', `--report-dir=${dir}`, `--temp-directory=${join(dir, 'v8')}`, '--include=src/**', '--exclude=**/*.d.ts'];
}

/** The .ts files of src/ (relative to `root`, with '/'), declarations left out: they hold no code. */
export function sourceFiles(root) {
  return readdirSync(join(root, 'src'), { recursive: true })
    .map(String)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => `src/${name.split(sep).join('/')}`)
    .sort();
}

/**
 * From c8's coverage-summary.json (keys: 'total' and absolute file paths) and the list of src/
 * files: lines covered and measured, and the files no test loaded.
 */
export function summarize(summary, root, files) {
  const measured = new Set(Object.keys(summary).filter((k) => k !== 'total').map((k) => relative(root, k).split(sep).join('/')));
  const { covered, total } = summary.total.lines;
  return { covered, total, files: measured.size, notLoaded: files.filter((f) => !measured.has(f)) };
}

/** Reads the summary c8 wrote into `dir`; undefined when there is none. */
export function readCoverage(dir, root) {
  try {
    return summarize(JSON.parse(readFileSync(join(dir, 'coverage-summary.json'), 'utf8')), root, sourceFiles(root));
  } catch {
    return undefined;
  }
}

/** The one line the test summary prints. Percentages are floored: 99.96% is not 100%. */
export function coverageLine(c) {
  if (!c) return 'line coverage of src/: not measured';
  const pct = c.total === 0 ? 0 : Math.floor((c.covered / c.total) * 1000) / 10;
  const missing = c.notLoaded.length ? `; ${c.notLoaded.length} file${c.notLoaded.length === 1 ? '' : 's'} not loaded by any test (type-only or untested)` : '';
  // The test files that opt out (node-tests.mjs, `// @no-coverage:`) are named, so the number never
  // reads as the whole suite's.
  const whose = c.optedOut ? `unit tests but the ${c.optedOut} ${c.optedOut === 1 ? 'file that opts' : 'files that opt'} out` : 'unit tests';
  return `line coverage of src/ (${whose}): ${pct.toFixed(1)}% (${c.covered} of ${c.total} lines in ${c.files} file${c.files === 1 ? '' : 's'}${missing})`;
}
