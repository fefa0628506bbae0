// `npm test`: every check the project has, in order, counted together.
//   lint (1 test) → typecheck (1) → build (1) → unit tests → integration tests in the Node and the
//   web-worker extension host → Playwright UI tests.
// A failing stage does not stop the run: all counts are reported, then the exit code is 1. The last
// line printed is always "N passed, N failed" (", N skipped" when any were skipped); the line
// before it, the unit tests' line coverage of src/.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, RESULTS, countsLine, readResults } from './lib/results.mjs';
import { coverageLine } from './lib/coverage.mjs';

const node = process.execPath;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const MINUTES = 60_000;

/** `suites`: result files the stage writes; a stage without them counts as one test by its exit code. */
const stages = [
  { name: 'lint', command: [npm, 'run', '--silent', 'lint'] },
  { name: 'typecheck', command: [npm, 'run', '--silent', 'typecheck'] },
  { name: 'build', command: [node, 'scripts/build.mjs', '--tests'] },
  { name: 'unit', command: [node, 'scripts/run-unit-tests.mjs'], suites: ['unit'] },
  { name: 'integration', command: [node, 'scripts/run-integration-tests.mjs', '--no-build'], suites: ['integration-node', 'integration-web'] },
  { name: 'ui', command: [node, 'scripts/run-ui-tests.mjs', '--no-build'], suites: ['ui'] },
];

rmSync(RESULTS, { recursive: true, force: true }); // never count a previous run's results

const rows = [];
const started = Date.now();
for (const stage of stages) {
  console.log(`\n=== ${stage.name}: ${stage.command.map((a) => (a === node ? 'node' : a)).join(' ')}`);
  const t = Date.now();
  const run = spawnSync(stage.command[0], stage.command.slice(1), { cwd: ROOT, stdio: 'inherit', timeout: 30 * MINUTES, killSignal: 'SIGTERM' });
  const ok = run.status === 0;
  const seconds = (Date.now() - t) / 1000;
  if (!stage.suites) {
    rows.push({ name: stage.name, passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, seconds, note: ok ? '' : `exit ${run.status ?? run.signal}` });
    continue;
  }
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const notes = [];
  for (const suite of stage.suites) {
    const record = readResults(suite);
    if (!record) {
      counts.failed += 1;
      notes.push(`${suite}: no results written`);
      continue;
    }
    counts.passed += record.passed;
    counts.failed += record.failed;
    counts.skipped += record.skipped;
  }
  if (!ok && counts.failed === 0) {
    counts.failed += 1;
    notes.push(`exit ${run.status ?? run.signal} with no failing test recorded`);
  }
  rows.push({ name: stage.name, ...counts, seconds, note: notes.join('; ') });
}

const total = rows.reduce((sum, r) => ({ passed: sum.passed + r.passed, failed: sum.failed + r.failed, skipped: sum.skipped + r.skipped }), { passed: 0, failed: 0, skipped: 0 });
console.log(`\n=== summary (${((Date.now() - started) / 1000).toFixed(0)} s; per-suite details in ${join('test-artifacts', 'results')}/)`);
console.log(`${'stage'.padEnd(12)} ${'pass'.padStart(5)} ${'fail'.padStart(5)} ${'skip'.padStart(5)} ${'time'.padStart(8)}`);
for (const r of rows) {
  console.log(`${r.name.padEnd(12)} ${String(r.passed).padStart(5)} ${String(r.failed).padStart(5)} ${String(r.skipped).padStart(5)} ${`${r.seconds.toFixed(1)} s`.padStart(8)}${r.note ? `  ${r.note}` : ''}`);
}
// The line coverage of src/ (the unit stage's), then the counts: always the last line.
console.log(coverageLine(readResults('unit')?.coverage ?? undefined));
console.log(countsLine(total));
process.exit(total.failed > 0 ? 1 : 0);
