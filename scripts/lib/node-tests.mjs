// Runs files with Node's own test runner: the spec reporter for people on stdout, TAP into a file
// whose closing summary (# pass / # fail / # skipped ...) gives the counts for
// test-artifacts/results/<suite>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { ROOT, ARTIFACTS, RESULTS, countsLine, writeResults } from './results.mjs';
import { c8Args, coverageLine, readCoverage } from './coverage.mjs';

/** Files under `dir` (relative to the repository) whose names end with `suffix`, sorted. */
export function findTestFiles(dir, suffix) {
  const base = join(ROOT, dir);
  if (!existsSync(base)) return [];
  return readdirSync(base, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(suffix) && !name.split(/[\\/]/).includes('node_modules'))
    .map((name) => relative(ROOT, join(base, name)))
    .sort();
}

function parseTap(text) {
  const summary = {};
  for (const match of text.matchAll(/^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) summary[match[1]] = Number(match[2]);
  const failures = [...text.matchAll(/^\s*not ok \d+ - (.*?)(?: # .*)?$/gm)].map((m) => ({ state: 'failed', title: m[1] }));
  return { summary, failures };
}

/**
 * A file that opts out of the line coverage: its header (first 40 lines) holds a line
 * `// @no-coverage: <why>`. Meant for the searches at scale (real threads, millions of states),
 * whose CPU V8's block counters about double (docs/testing.md, "What the unit stage costs") and
 * whose lines smaller tests reach.
 */
export function optsOutOfCoverage(text) {
  return /^\/\/ @no-coverage: \S/m.test(text.split('\n').slice(0, 40).join('\n'));
}

/** One `node --test` run of `files`, TAP into `tap`, under c8 into `coverageDir` when given. */
function runBatch({ suite, files, tap, coverageDir, env, timeoutMs, parallel }) {
  const args = ['--import', 'tsx', '--test', ...(parallel ? [`--test-concurrency=${Math.max(2, availableParallelism())}`] : []), ...(timeoutMs ? [`--test-timeout=${timeoutMs}`] : []), '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files];
  const command = coverageDir ? [createRequire(import.meta.url).resolve('c8/bin/c8.js'), ...c8Args(coverageDir), process.execPath, ...args] : args;
  console.log(`[${suite}] ${coverageDir ? `c8 ${c8Args(relative(ROOT, coverageDir)).join(' ')} ` : ''}node ${args.join(' ')}`);
  const run = spawnSync(process.execPath, command, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  try {
    return { status: run.status, signal: run.signal, ...parseTap(readFileSync(tap, 'utf8')) };
  } catch (error) {
    return { status: run.status, signal: run.signal, summary: {}, failures: [{ state: 'failed', title: `${suite}: no TAP output`, error: String(error) }] };
  }
}

/**
 * Runs `files` (paths relative to the repository) with `node --test`; TypeScript through tsx.
 * `timeoutMs` bounds each test (so a hung one fails instead of hanging the run). `coverage`: run
 * under c8 and put the line coverage of src/ in the record (./coverage.mjs); the files that opt out
 * (`optsOutOfCoverage`) run after, without it, their TAP in `<suite>-no-coverage.tap`, and count
 * in the same record. `parallel`: run test
 * files side by side, at least two at a time (node's default, the cores less one, is one file at a
 * time on a 2-core machine, where most of the unit tests' files each keep one core busy and leave the
 * other idle); only for suites whose files share nothing (no fixed port, no shared workbench).
 * Returns the results record it wrote.
 */
export function runNodeTests({ suite, files, env = {}, timeoutMs, coverage = false, parallel = false }) {
  const started = Date.now();
  mkdirSync(RESULTS, { recursive: true });
  if (files.length === 0) {
    console.log(`[${suite}] no test files yet`);
    return writeResults(suite, { passed: 0, failed: 0, skipped: 0, durationMs: 0 });
  }
  const coverageDir = join(ARTIFACTS, 'coverage', suite);
  const exempt = coverage ? files.filter((file) => optsOutOfCoverage(readFileSync(join(ROOT, file), 'utf8'))) : [];
  const covered = files.filter((file) => !exempt.includes(file));
  const batches = [
    ...(covered.length > 0 ? [{ files: covered, tap: join(RESULTS, `${suite}.tap`), coverageDir: coverage ? coverageDir : undefined }] : []),
    ...(exempt.length > 0 ? [{ files: exempt, tap: join(RESULTS, `${suite}-no-coverage.tap`), coverageDir: undefined }] : []),
  ];
  if (exempt.length > 0) console.log(`[${suite}] ${exempt.length} of ${files.length} files opt out of the coverage (// @no-coverage:) and run after the rest`);
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for (const batch of batches) {
    const run = runBatch({ suite, env, timeoutMs, parallel, ...batch });
    const { summary } = run;
    const batchFailed = (summary.fail ?? 0) + (summary.cancelled ?? 0);
    passed += summary.pass ?? 0;
    failed += batchFailed;
    skipped += (summary.skipped ?? 0) + (summary.todo ?? 0);
    failures.push(...run.failures);
    if (run.status !== 0 && batchFailed === 0) {
      failed += 1; // the runner itself failed (a file that does not load, a signal)
      failures.push({ state: 'failed', title: `${suite}: node --test exited with ${run.status ?? run.signal}` });
    }
  }
  const measured = coverage ? readCoverage(coverageDir, ROOT) : undefined;
  const lines = measured && exempt.length > 0 ? { ...measured, optedOut: exempt.length } : measured;
  const record = writeResults(suite, { passed, failed, skipped, durationMs: Date.now() - started, tests: failures, ...(coverage ? { coverage: lines ?? null } : {}) });
  if (coverage) console.log(`[${suite}] ${coverageLine(lines)}`);
  console.log(`[${suite}] ${countsLine(record)}`);
  return record;
}
