/**
 * One worker against two on one variant (explore --workers, cli/parallel_explore.ts):
 *   node scripts/build.mjs && npx tsx bench/parallel-explore.ts [--reps N]
 * runs the built CLI (dist/cli.js, as a user runs it) in a fresh process per run, --workers 1,
 * --workers 2 (the shared search) and --workers 2 --parallel partitioned (the earlier design)
 * in turn so all three see the same load, on v7 at the CLI's default bound (complete)
 * and with --pages all at E = 4 capped at 6,283,808 states (that search does not complete in the
 * default budget; the two-worker search stops at the end of the level that crosses the cap, and
 * that level ends at exactly 6,283,808 states, so both searches stop at the same state having done
 * the same work). Each run's wall time and CPU time (user and system, all threads: /usr/bin/time)
 * and the search's own states per second; the ratio of the two rates per pair, measured in the
 * same run, and the CPU microseconds a state, user and system, which a loaded machine changes
 * less than the wall time. The machine and its load (load average before and after)
 * are part of the JSON, written to bench/results/parallel-explore.json: on a shared machine
 * the ratio is only as good as the cores the two workers actually got.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { timedExplore } from './timed_explore';

const repsAt = process.argv.indexOf('--reps');
const reps = repsAt > 0 ? Number(process.argv[repsAt + 1]) : 3;
if (!existsSync('dist/cli.js')) throw new Error('dist/cli.js is missing: run node scripts/build.mjs first');

interface Run { workers: number; parallel: string; states: number; verdict: string; searchSeconds: number; statesPerSecond: number; wall: number; cpu: number; userUsPerState: number; sysUsPerState: number; maxRssMiB: number; load: number }

function run(args: string[], workers: number, parallel = 'shared'): Run {
  const t = timedExplore<{ states: number; verdict: string; seconds: number; statesPerSecond: number }>(['--workers', String(workers), ...(workers > 1 ? ['--parallel', parallel] : []), ...args]);
  const j = t.json;
  const us = (s: number) => Math.round((s / j.states) * 1e6 * 1000) / 1000;
  return {
    workers, parallel: workers > 1 ? parallel : 'single', states: j.states, verdict: j.verdict, searchSeconds: j.seconds, statesPerSecond: j.statesPerSecond, wall: t.wall, cpu: t.cpu,
    userUsPerState: us(t.user), sysUsPerState: us(t.sys), maxRssMiB: t.maxRssMiB, load: t.load,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

const cases: Array<{ name: string; args: string[] }> = [
  { name: 'v7, default bound (complete)', args: ['--variant', 'v7'] },
  { name: 'v7, --pages all, E = 4, capped at 6,283,808 states (a level\'s end)', args: ['--variant', 'v7', '--pages', 'all', '--max-states', '6283808'] },
];
const out = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, uptimeBefore: execFileSync('uptime', { encoding: 'utf8' }).trim() },
  cases: [] as unknown[],
  uptimeAfter: '',
};
const ratio = (x: number) => Math.round(x * 100) / 100;
for (const c of cases) {
  const rounds: Array<{ one: Run; shared: Run; partitioned: Run; sharedRate: number; partitionedRate: number; sharedCpu: number; partitionedCpu: number }> = [];
  for (let i = 0; i < reps; i++) {
    const one = run(c.args, 1);
    const shared = run(c.args, 2, 'shared');
    const partitioned = run(c.args, 2, 'partitioned');
    const cpuPerState = (r: Run) => r.userUsPerState + r.sysUsPerState;
    rounds.push({
      one, shared, partitioned,
      sharedRate: ratio(shared.statesPerSecond / one.statesPerSecond), partitionedRate: ratio(partitioned.statesPerSecond / one.statesPerSecond),
      sharedCpu: ratio(cpuPerState(shared) / cpuPerState(one)), partitionedCpu: ratio(cpuPerState(partitioned) / cpuPerState(one)),
    });
    const r = rounds[i];
    process.stderr.write(`${c.name}: CPU µs a state (user+sys) one ${one.userUsPerState}+${one.sysUsPerState}, shared ${shared.userUsPerState}+${shared.sysUsPerState} (x${r.sharedCpu}), partitioned ${partitioned.userUsPerState}+${partitioned.sysUsPerState} (x${r.partitionedCpu}); rate x${r.sharedRate} / x${r.partitionedRate}; load ${one.load.toFixed(1)}/${shared.load.toFixed(1)}/${partitioned.load.toFixed(1)}\n`);
  }
  out.cases.push({
    name: c.name, medianSharedCpuRatio: median(rounds.map((r) => r.sharedCpu)), medianPartitionedCpuRatio: median(rounds.map((r) => r.partitionedCpu)),
    medianSharedRateRatio: median(rounds.map((r) => r.sharedRate)), medianPartitionedRateRatio: median(rounds.map((r) => r.partitionedRate)), rounds,
  });
}
out.uptimeAfter = execFileSync('uptime', { encoding: 'utf8' }).trim();
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/parallel-explore.json', JSON.stringify(out, null, 2) + '\n');
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
