// Runs files with Node's own test runner: the spec reporter for people on stdout, TAP into a file
// whose closing summary (# pass / # fail / # skipped ...) gives the counts for
// test-artifacts/results/<suite>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, RESULTS, countsLine, writeResults } from './results.mjs';

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
 * `timeoutMs` bounds each test (so a hung one fails instead of hanging the run).
 * Returns the results record it wrote.
 */
export function runNodeTests({ suite, files, env = {}, timeoutMs }) {
  const started = Date.now();
  mkdirSync(RESULTS, { recursive: true });
  if (files.length === 0) {
    console.log(`[${suite}] no test files yet`);
    return writeResults(suite, { passed: 0, failed: 0, skipped: 0, durationMs: 0 });
  }
  const tap = join(RESULTS, `${suite}.tap`);
  const args = ['--import', 'tsx', '--test', ...(timeoutMs ? [`--test-timeout=${timeoutMs}`] : []), '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files];
  console.log(`[${suite}] node ${args.join(' ')}`);
  const run = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
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
  const record = writeResults(suite, { passed, failed, skipped, durationMs: Date.now() - started, tests: failures });
  console.log(`[${suite}] ${countsLine(record)}`);
  return record;
}
