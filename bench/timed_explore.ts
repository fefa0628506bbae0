/**
 * The built CLI's explore in a fresh process under /usr/bin/time, as the explorer benchmarks run
 * it (bench/hash-compact.ts, bench/symmetry-explore.ts, bench/parallel-explore.ts): its --json
 * result with the process's wall and CPU seconds and peak resident set, and the load average
 * before it started. Exit 3 (a cap) is a result like any other; other exits are errors.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

export interface TimedExplore<J> {
  /** The CLI's --json output. */
  json: J;
  wall: number;
  /** User plus system seconds, every thread. */
  cpu: number;
  /** The two apart (system time is mostly page faults here). */
  user: number;
  sys: number;
  maxRssMiB: number;
  /** The one-minute load average before the run. */
  load: number;
}

/** Per process: benchmarks run at the same time on a shared machine must not read each other's times. */
const TIME_FILE = `/tmp/kvm-mmu-lab-bench-explore-time-${process.pid}`;

/** `cli`: the built CLI to run (another build's, to compare two in the same minute). */
export function timedExplore<J>(args: string[], cli = 'dist/cli.js'): TimedExplore<J> {
  const load = loadavg()[0];
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', TIME_FILE, process.execPath, cli, 'explore', '--json', '--quiet', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0 && r.status !== 3) throw new Error(`explore ${args.join(' ')}: status ${r.status}\n${r.stderr}`);
  // The last line: time writes "Command exited with non-zero status 3" before it for a capped search.
  const [wall, user, sys, rss] = readFileSync(TIME_FILE, 'utf8').trim().split('\n').pop()!.split(/\s+/).map(Number);
  return { json: JSON.parse(r.stdout) as J, wall, cpu: Math.round((user + sys) * 100) / 100, user, sys, maxRssMiB: Math.round(rss / 1024), load };
}

/** The fields of a budgeted run's result that the hash-compaction and symmetry benchmarks keep. */
export interface BudgetedRun<M> {
  mode: M;
  verdict: string;
  stopped?: string;
  states: number;
  depth: number;
  searchSeconds: number;
  wall: number;
  cpu: number;
  maxRssMiB: number;
  peakStoreMiB: number;
  omissionBound?: number;
  load: number;
}

/** explore under a 2 GiB budget (--max-memory 2048) with `args` and the mode's own options `more`. */
export function budgetedRun<M>(args: string[], more: string[], mode: M): BudgetedRun<M> {
  const t = timedExplore<{ verdict: string; stopped?: string; states: number; depth: number; seconds: number; peakMemoryBytes: number; hashCompaction?: { omissionBound: number } }>(['--max-memory', '2048', ...args, ...more]);
  const j = t.json;
  return {
    mode, verdict: j.verdict, ...(j.stopped ? { stopped: j.stopped } : {}), states: j.states, depth: j.depth,
    searchSeconds: Math.round(j.seconds * 100) / 100, wall: t.wall, cpu: t.cpu, maxRssMiB: t.maxRssMiB,
    peakStoreMiB: Math.round(j.peakMemoryBytes / 2 ** 20), ...(j.hashCompaction ? { omissionBound: j.hashCompaction.omissionBound } : {}), load: t.load,
  };
}
