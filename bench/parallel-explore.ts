/**
 * One worker against two on one variant (explore --workers, cli/parallel_explore.ts):
 *   node scripts/build.mjs && npx tsx bench/parallel-explore.ts [--reps N] [--base other/cli.js] [--no-partitioned] [--cases start,default,pages|symmetry,issue17] [--out file.json]
 * runs the built CLI (dist/cli.js, as a user runs it) in a fresh process per run, --workers 1,
 * --workers 2 (the shared search) and --workers 2 --parallel partitioned (the earlier design)
 * in turn so all see the same load; with --base, also the shared search of another build (e.g.
 * main's, built into a scratch folder) in the same round, to compare two builds in the same
 * minute. The cases:
 * - the start: the tests' small bound (a few tens of thousands of states, a tenth of a second of
 *   search), where what two workers cost beyond one is the threads' start: the extra CPU seconds
 *   and wall seconds of each two-worker run over the one-worker run of its round;
 * - v7 at the CLI's default bound (complete, 1.05 M states);
 * - v7 with --pages all at E = 4 capped at 8,178,760 states (that search does not complete in the
 *   default budget; the two-worker search stops at the end of the level that crosses the cap, and
 *   that level ends at exactly 8,178,760 states, so both searches stop at the same state having
 *   done the same work). Until 2026-12-07 (par28) the cap was 6,283,808, a level's end before the
 *   split scope's retry rule changed the levels: since then one worker stopped at 6,283,817 states
 *   and two at the next level's end, 8,178,760 (bench/results/parallel-explore.json of 19:13 UTC),
 *   so the two did not do the same work.
 * - v7 with --pages all at E = 4 under --reduce symmetry capped at 21,049,225 states (the end of
 *   level 14, found from the two-worker search's progress), and issue 17's whole bound
 *   (--reduce symmetry --hash-compact, complete): the shared search only, the partitioned one
 *   taking neither option. Whether the rate ratio rises with the bound (the threads' start and
 *   the second isolate's compile are fixed costs). Named in --cases only (minutes each).
 * Each run's wall time and CPU time (user and system, all threads: /usr/bin/time) and the search's
 * own states per second; per round, the rate ratio (two workers' states a second over one
 * worker's, the same round) and the CPU ratio (CPU microseconds a state, two over one), which a
 * loaded machine changes less than the wall time; medians over the rounds. The machine and its
 * load (load average before each run, before and after the whole) are part of the JSON, written
 * to bench/results/parallel-explore.json (or --out): on a shared machine the rate ratio is only
 * as good as the cores the two workers actually got.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { timedExplore } from './timed_explore';

const argAfter = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const reps = Number(argAfter('--reps') ?? 3);
const base = argAfter('--base');
const outFile = argAfter('--out') ?? 'bench/results/parallel-explore.json';
const withPartitioned = !process.argv.includes('--no-partitioned');
if (!existsSync('dist/cli.js')) throw new Error('dist/cli.js is missing: run node scripts/build.mjs first');
if (base && !existsSync(base)) throw new Error(`--base ${base}: no such file`);

interface Run { build: string; workers: number; parallel: string; states: number; verdict: string; searchSeconds: number; statesPerSecond: number; wall: number; cpu: number; userUsPerState: number; sysUsPerState: number; maxRssMiB: number; load: number }

function run(args: string[], workers: number, parallel = 'shared', cli = 'dist/cli.js'): Run {
  const t = timedExplore<{ states: number; verdict: string; seconds: number; statesPerSecond: number }>(['--workers', String(workers), ...(workers > 1 ? ['--parallel', parallel] : []), ...args], cli);
  const j = t.json;
  const us = (s: number) => Math.round((s / j.states) * 1e6 * 1000) / 1000;
  return {
    build: cli, workers, parallel: workers > 1 ? parallel : 'single', states: j.states, verdict: j.verdict, searchSeconds: Math.round(j.seconds * 1000) / 1000, statesPerSecond: j.statesPerSecond, wall: t.wall, cpu: t.cpu,
    userUsPerState: us(t.user), sysUsPerState: us(t.sys), maxRssMiB: t.maxRssMiB, load: t.load,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

const allCases: Array<{ key: string; name: string; args: string[]; start?: true; sharedOnly?: true }> = [
  { key: 'start', name: 'start: v7 at the tests\' small bound (the threads\' start is most of two workers\' extra)', args: ['--variant', 'v7', '--entries', '2', '--ops', '4', '--accesses', '2', '--kinds', 'enable,clear'], start: true },
  { key: 'default', name: 'v7, default bound (complete)', args: ['--variant', 'v7'] },
  { key: 'pages', name: 'v7, --pages all, E = 4, capped at 8,178,760 states (a level\'s end)', args: ['--variant', 'v7', '--pages', 'all', '--max-states', '8178760'] },
  // The reductions and hash compaction run on the shared search only (the partitioned one refuses them).
  { key: 'symmetry', name: 'v7, --pages all, E = 4, --reduce symmetry, capped at 21,049,225 states (the end of level 14)', args: ['--variant', 'v7', '--pages', 'all', '--reduce', 'symmetry', '--max-states', '21049225'], sharedOnly: true },
  { key: 'issue17', name: 'issue 17\'s bound: v7, --pages all, E = 4, --reduce symmetry --hash-compact (complete, 61,234,400 states)', args: ['--variant', 'v7', '--pages', 'all', '--reduce', 'symmetry', '--hash-compact'], sharedOnly: true },
];
const only = argAfter('--cases')?.split(',');
// The reductions' cases (minutes each) run only when named in --cases.
const cases = allCases.filter((c) => (only ? only.includes(c.key) : !c.sharedOnly));
const out = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, uptimeBefore: execFileSync('uptime', { encoding: 'utf8' }).trim() },
  base: base ?? null,
  cases: [] as unknown[],
  uptimeAfter: '',
};
const r2 = (x: number) => Math.round(x * 100) / 100;
const cpuPerState = (r: Run) => r.userUsPerState + r.sysUsPerState;
/** A two-worker run against the one-worker run of its round. */
function against(two: Run, one: Run) {
  return { rate: r2(two.statesPerSecond / one.statesPerSecond), cpu: r2(cpuPerState(two) / cpuPerState(one)), extraCpu: r2(two.cpu - one.cpu), extraWall: r2(two.wall - one.wall) };
}
type Against = ReturnType<typeof against>;
for (const c of cases) {
  const rounds: Array<{ runs: Record<string, Run>; vsOne: Record<string, Against> }> = [];
  for (let i = 0; i < reps; i++) {
    const runs: Record<string, Run> = { one: run(c.args, 1), shared: run(c.args, 2, 'shared') };
    if (base) runs.baseShared = run(c.args, 2, 'shared', base);
    if (withPartitioned && !c.sharedOnly) runs.partitioned = run(c.args, 2, 'partitioned');
    const vsOne: Record<string, Against> = {};
    for (const [k, r] of Object.entries(runs)) if (k !== 'one') vsOne[k] = against(r, runs.one);
    rounds.push({ runs, vsOne });
    const line = Object.entries(vsOne).map(([k, a]) => `${k} rate x${a.rate} cpu/state x${a.cpu} (${cpuPerState(runs[k]).toFixed(3)} µs; +${a.extraCpu} CPU-s, +${a.extraWall} s wall)`).join('; ');
    process.stderr.write(`${c.name}, round ${i + 1}: one ${cpuPerState(runs.one).toFixed(3)} µs a state, ${runs.one.searchSeconds} s; ${line}; load ${Object.values(runs).map((r) => r.load.toFixed(1)).join('/')}\n`);
  }
  const medians: Record<string, { rate: number; cpu: number; extraCpu: number; extraWall: number }> = {};
  for (const k of Object.keys(rounds[0].vsOne)) {
    const xs = rounds.map((r) => r.vsOne[k]);
    medians[k] = { rate: median(xs.map((x) => x.rate)), cpu: median(xs.map((x) => x.cpu)), extraCpu: median(xs.map((x) => x.extraCpu)), extraWall: median(xs.map((x) => x.extraWall)) };
  }
  out.cases.push({
    name: c.name,
    ...(c.start ? { note: 'extraCpu and extraWall: what two workers cost beyond one on a search of a tenth of a second, i.e. the threads\' start' } : {}),
    medians,
    rateRatioPerRound: Object.fromEntries(Object.keys(medians).map((k) => [k, rounds.map((r) => r.vsOne[k].rate)])),
    cpuRatioPerRound: Object.fromEntries(Object.keys(medians).map((k) => [k, rounds.map((r) => r.vsOne[k].cpu)])),
    rounds,
  });
}
out.uptimeAfter = execFileSync('uptime', { encoding: 'utf8' }).trim();
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(out, null, 2) + '\n');
// The summary (the rounds' runs are in the file).
process.stdout.write(JSON.stringify(out.cases.map((c) => ({ ...(c as object), rounds: undefined })), null, 2) + '\n');
