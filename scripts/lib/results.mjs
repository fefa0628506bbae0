// Every test stage writes test-artifacts/results/<suite>.json:
//   { "suite": "...", "passed": N, "failed": N, "skipped": N, "durationMs": N, "tests": [{ "title", "state", "error"? }],
//     "coverage"?: { "covered", "total", "files", "notLoaded": [...], "optedOut"? } | null }   (unit only; null: c8 wrote none;
//     optedOut: how many test files ran without c8, node-tests.mjs optsOutOfCoverage)
// scripts/test.mjs sums these files; a stage that wrote none counts as one failure.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'test-artifacts');
export const RESULTS = join(ARTIFACTS, 'results');

export function resultsFile(suite) {
  return join(RESULTS, `${suite}.json`);
}

export function writeResults(suite, { passed, failed, skipped = 0, durationMs, tests = [], coverage }) {
  mkdirSync(RESULTS, { recursive: true });
  const record = { suite, passed, failed, skipped, durationMs, tests, ...(coverage !== undefined ? { coverage } : {}) };
  writeFileSync(resultsFile(suite), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

export function readResults(suite) {
  try {
    return JSON.parse(readFileSync(resultsFile(suite), 'utf8'));
  } catch {
    return undefined;
  }
}

export function countsLine({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
}
