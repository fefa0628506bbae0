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
 * Runs `files` (paths relative to the repository) with `node --test`; TypeScript through tsx.
 * `timeoutMs` bounds each test (so a hung one fails instead of hanging the run). `coverage`: run
 * under c8 and put the line coverage of src/ in the record (./coverage.mjs). `parallel`: run test
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
  const tap = join(RESULTS, `${suite}.tap`);
  const args = ['--import', 'tsx', '--test', ...(parallel ? [`--test-concurrency=${Math.max(2, availableParallelism())}`] : []), ...(timeoutMs ? [`--test-timeout=${timeoutMs}`] : []), '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files];
  const coverageDir = join(ARTIFACTS, 'coverage', suite);
  const command = coverage ? [createRequire(import.meta.url).resolve('c8/bin/c8.js'), ...c8Args(coverageDir), process.execPath, ...args] : args;
  console.log(`[${suite}] ${coverage ? `c8 ${c8Args(relative(ROOT, coverageDir)).join(' ')} ` : ''}node ${args.join(' ')}`);
  const run = spawnSync(process.execPath, command, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  let summary = {};
  let failures = [];
  try {
    ({ summary, failures } = parseTap(readFileSync(tap, 'utf8')));
  } catch (error) {
    failures = [{ state: 'failed', title: `${suite}: no TAP output`, error: String(error) }];
  }
  const passed = summary.pass ?? 0;
  let failed = (summary.fail ?? 0) + (summary.cancelled ?? 0);
  const skipped = (summary.skipped ?? 0) + (summary.todo ?? 0);
  if (run.status !== 0 && failed === 0) {
    failed = 1; // the runner itself failed (a file that does not load, a signal)
    failures.push({ state: 'failed', title: `${suite}: node --test exited with ${run.status ?? run.signal}` });
  }
  const lines = coverage ? readCoverage(coverageDir, ROOT) : undefined;
  const record = writeResults(suite, { passed, failed, skipped, durationMs: Date.now() - started, tests: failures, ...(coverage ? { coverage: lines ?? null } : {}) });
  if (coverage) console.log(`[${suite}] ${coverageLine(lines)}`);
  console.log(`[${suite}] ${countsLine(record)}`);
  return record;
}
