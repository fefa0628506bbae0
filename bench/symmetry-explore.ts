/**
 * The unreduced search against the page symmetry (explore --reduce symmetry,
 * src/explore/packed/page_symmetry.ts):
 *   node scripts/build.mjs && npx tsx bench/symmetry-explore.ts [--reps N] [--quick]
 * runs the built CLI (dist/cli.js, as a user runs it) in a fresh process per run, unreduced and
 * reduced alternately so both see the same load, under a 2 GiB budget (--max-memory 2048), on v7
 * with --pages all at E = 4: 3 operations and 2 accesses, 4 operations and 1 access (both complete
 * unreduced), and issue 17's 4 operations and 2 accesses (left out with --quick), where neither
 * exact search fits and the two are also run with --hash-compact.
 * For each run: the verdict (and why it stopped), states, depth, the search's seconds, wall and
 * CPU seconds and the peak resident set (/usr/bin/time). The machine and its load average before
 * each run go in the JSON, written to bench/results/symmetry-explore.json: the machine is shared,
 * and a loaded one stretches wall times.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { budgetedRun, type BudgetedRun } from './timed_explore';

const repsAt = process.argv.indexOf('--reps');
const reps = repsAt > 0 ? Number(process.argv[repsAt + 1]) : 1;
const quick = process.argv.includes('--quick');
if (!existsSync('dist/cli.js')) throw new Error('dist/cli.js is missing: run node scripts/build.mjs first');

/** unreduced; --reduce symmetry; and both with --hash-compact at issue 17's bound, where neither exact search fits. */
type Mode = 'unreduced' | 'symmetry' | 'hash-compact' | 'symmetry + hash-compact';

type Run = BudgetedRun<Mode>;

function run(args: string[], mode: Mode): Run {
  return budgetedRun(args, [...(mode.includes('symmetry') ? ['--reduce', 'symmetry'] : []), ...(mode.includes('hash-compact') ? ['--hash-compact'] : [])], mode);
}

const pagesAll = ['--variant', 'v7', '--pages', 'all', '--entries', '4'];
const exact: Mode[] = ['unreduced', 'symmetry'];
const cases: Array<{ name: string; args: string[]; modes: Mode[] }> = [
  { name: 'v7, --pages all, E = 4, 3 operations, 2 accesses', args: [...pagesAll, '--ops', '3'], modes: exact },
  { name: 'v7, --pages all, E = 4, 4 operations, 1 access', args: [...pagesAll, '--accesses', '1'], modes: exact },
  ...(quick ? [] : [{ name: 'v7, --pages all, E = 4 (4 operations, 2 accesses: issue 17\'s bound)', args: pagesAll, modes: [...exact, 'hash-compact', 'symmetry + hash-compact'] as Mode[] }]),
];
const out = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, uptimeBefore: execFileSync('uptime', { encoding: 'utf8' }).trim() },
  budget: '--max-memory 2048 (2 GiB): the store, table and arrays, or the heap when larger',
  cases: [] as Array<{ name: string; args: string[]; modes: Mode[]; runs: Run[]; agree: boolean | 'incomplete' }>,
  uptimeAfter: '',
};
for (const c of cases) {
  const runs: Run[] = [];
  for (let i = 0; i < reps; i++) {
    for (const mode of c.modes) {
      const r = run(c.args, mode);
      runs.push(r);
      process.stderr.write(`${c.name}, ${mode}: ${r.verdict}${r.stopped ? ` (${r.stopped})` : ''}, ${r.states} states, depth ${r.depth}, ${r.searchSeconds} s search, ${r.wall} s wall, ${r.cpu} CPU-s, ${r.maxRssMiB} MiB peak RSS, load ${r.load.toFixed(1)}\n`);
    }
  }
  // Complete runs of the two modes must agree on the verdict and the depth (the reduction keeps both).
  const complete = runs.filter((r) => r.verdict !== 'incomplete');
  // (A hash-compaction run's verdict is probabilistic; its depth is compared all the same.)
  const modes = new Set(complete.map((r) => r.mode));
  const agree = modes.size < 2 ? 'incomplete' as const : complete.every((r) => r.verdict === complete[0].verdict && r.depth === complete[0].depth);
  if (agree === false) process.stderr.write(`${c.name}: the reduced and unreduced searches DISAGREE\n`);
  out.cases.push({ ...c, runs, agree });
}
out.uptimeAfter = execFileSync('uptime', { encoding: 'utf8' }).trim();
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/symmetry-explore.json', JSON.stringify(out, null, 2) + '\n');
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
