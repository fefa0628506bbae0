/**
 * The exact search against hash compaction (explore --hash-compact, src/explore/packed/search.ts):
 *   node scripts/build.mjs && npx tsx bench/hash-compact.ts [--reps N] [--quick]
 * runs the built CLI (dist/cli.js, as a user runs it) in a fresh process per run, exact and
 * hash-compact alternately so both see the same load, under a 2 GiB budget (--max-memory 2048):
 * - v7 with --pages all at E = 4 (issue 17's bound: the exact search stops at the cap);
 * - v7 with --pages all at E = 4 and fewer operations or accesses, to find the largest of these
 *   bounds each mode completes under the budget.
 * For each run: the verdict (and why it stopped), states, depth, the search's seconds, wall and
 * CPU seconds and the peak resident set (/usr/bin/time), the omission bound of a hash-compact run.
 * The machine and its load average before each run go in the JSON, written to
 * bench/results/hash-compact.json: the machine is shared, and a loaded one stretches wall times.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { budgetedRun, type BudgetedRun } from './timed_explore';

const repsAt = process.argv.indexOf('--reps');
const reps = repsAt > 0 ? Number(process.argv[repsAt + 1]) : 1;
const quick = process.argv.includes('--quick');
if (!existsSync('dist/cli.js')) throw new Error('dist/cli.js is missing: run node scripts/build.mjs first');

type Run = BudgetedRun<'exact' | 'hash-compact'>;

function run(args: string[], mode: Run['mode']): Run {
  return budgetedRun(args, mode === 'hash-compact' ? ['--hash-compact'] : [], mode);
}

const pagesAll = ['--variant', 'v7', '--pages', 'all', '--entries', '4'];
const cases: Array<{ name: string; args: string[] }> = [
  { name: 'v7, --pages all, E = 4 (4 operations, 2 accesses)', args: pagesAll },
  ...(quick ? [] : [
    { name: 'v7, --pages all, E = 4, 3 operations, 2 accesses', args: [...pagesAll, '--ops', '3'] },
    { name: 'v7, --pages all, E = 4, 4 operations, 1 access', args: [...pagesAll, '--accesses', '1'] },
  ]),
];
const out = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, uptimeBefore: execFileSync('uptime', { encoding: 'utf8' }).trim() },
  budget: '--max-memory 2048 (2 GiB): the store, table and arrays, or the heap when larger',
  cases: [] as Array<{ name: string; args: string[]; runs: Run[] }>,
  uptimeAfter: '',
};
for (const c of cases) {
  const runs: Run[] = [];
  for (let i = 0; i < reps; i++) {
    for (const mode of ['exact', 'hash-compact'] as const) {
      const r = run(c.args, mode);
      runs.push(r);
      process.stderr.write(`${c.name}, ${mode}: ${r.verdict}${r.stopped ? ` (${r.stopped})` : ''}, ${r.states} states, depth ${r.depth}, ${r.searchSeconds} s search, ${r.wall} s wall, ${r.cpu} CPU-s, ${r.maxRssMiB} MiB peak RSS, load ${r.load.toFixed(1)}\n`);
    }
  }
  out.cases.push({ ...c, runs });
}
out.uptimeAfter = execFileSync('uptime', { encoding: 'utf8' }).trim();
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/hash-compact.json', JSON.stringify(out, null, 2) + '\n');
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
