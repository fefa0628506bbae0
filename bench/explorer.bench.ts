/**
 * The explorer in `npm run bench`: never-flush (time to the shortest counterexample) and v7 (the
 * full search) at the Spin comparison's bound, and the same bound in Spin on
 * bench/promela/split.pml (skipped, with a note, when spin and gcc cannot be installed).
 * bench/promela/compare.mjs prints the same comparison for every variant as a table; the rate of
 * the full search at the CLI's default bound is bench/explorer-rate.ts, in fresh processes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explore } from '../src/explore/search';
import type { ExploreOptions } from '../src/explore/result';
import { DEFAULT_BOUND, type Bound } from '../src/explore/scope';
import { parseVariant } from '../src/kernel/variants';

export const SPIN_VARIANT: Record<string, number> = { 'pre-patch': 0, v7: 1, 'never-flush': 2, 'if-reused': 3 };

export interface SpinResult { verdict: 'violation' | 'no violation' | 'incomplete (time)' | 'incomplete (memory)' | 'error'; states: number; seconds: number; compileSeconds: number; depth: number; memoryMiB?: number; hashFactor?: number; output?: string }

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** spin and gcc on the PATH, installed with apt-get when missing; a note when that fails. */
export function ensureSpin(): string | null {
  if (has('spin') && has('gcc')) return null;
  const r = spawnSync('sh', ['-c', 'apt-get update && apt-get install -y spin gcc'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (has('spin') && has('gcc')) return null;
  return `spin/gcc not available and apt-get install failed (${(r.stderr || '').trim().split('\n').pop() ?? 'no output'}): Spin comparison skipped`;
}

/**
 * Run Spin on split.pml for one variant at the bound (kinds enable+clear, or all; pages few, or
 * all with -DALLPAGES). `pan` is compiled with -O2 -DSAFETY and `panDefs` (Spin's own answers to
 * large spaces: -DHC4 hash compaction, -DCOLLAPSE, -DBITSTATE, -DMEMLIM=N) and run with `panRun`
 * (-wN: a hash table of 2^N slots).
 */
export function runSpin(pml: string, variant: string, bound: Bound, panDefs: string[] = [], panRun: string[] = [], timeoutSeconds = 0): SpinResult {
  const dir = mkdtempSync(join(tmpdir(), 'kvm-mmu-lab-spin-'));
  copyFileSync(pml, join(dir, 'split.pml'));
  const all = !bound.kinds || (bound.kinds as string[]).includes('invalidate');
  const defs = [`-DVARIANT=${SPIN_VARIANT[variant]}`, `-DE=${bound.entries}`, `-DOPS=${bound.ops}`, `-DACC=${bound.accesses}`, ...(all ? ['-DALLOPS'] : []), ...(bound.pages === 'all' ? ['-DALLPAGES'] : [])];
  const t0 = process.hrtime.bigint();
  execFileSync('spin', [...defs, '-a', 'split.pml'], { cwd: dir, stdio: 'ignore' });
  execFileSync('gcc', ['-O2', '-DSAFETY', '-DVECTORSZ=2048', ...panDefs, '-o', 'pan', 'pan.c'], { cwd: dir, stdio: 'ignore' });
  const compileSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const t1 = process.hrtime.bigint();
  // A time limit stops pan with SIGINT, on which it prints its statistics as for a search done
  // ("Warning: Search not completed"), so the states it stored by then are known. coreutils'
  // timeout sends it: with spawnSync's own timeout the statistics printed after the signal were
  // not in the output.
  const pan = [join(dir, 'pan'), '-m1000000', '-E', ...panRun];
  const cmd = timeoutSeconds > 0 ? ['timeout', '-s', 'INT', String(timeoutSeconds), ...pan] : pan;
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - t1) / 1e9;
  const out = r.stdout ?? '';
  const errors = /errors: (\d+)/.exec(out);
  const states = Number(/(\d+) states, stored/.exec(out)?.[1] ?? 0);
  const depth = Number(/depth reached (\d+)/.exec(out)?.[1] ?? 0);
  const memoryMiB = Number(/([\d.]+)\s+total actual memory usage/.exec(out)?.[1] ?? 0);
  // Hash compaction and bitstate: pan's own estimate of the states it may have missed.
  const hf = /hash factor: ([\d.e+]+)/.exec(out);
  const extra = { memoryMiB, ...(hf ? { hashFactor: Number(hf[1]) } : {}) };
  if (!errors) return { verdict: 'error', states, seconds, compileSeconds, depth, ...extra, output: out.slice(-2000) };
  if (Number(errors[1]) > 0) return { verdict: 'violation', states, seconds, compileSeconds, depth, ...extra };
  if (/Search not completed/.test(out)) {
    return { verdict: /MEMLIM|out of memory/i.test(out) ? 'incomplete (memory)' : 'incomplete (time)', states, seconds, compileSeconds, depth, ...extra, output: out.slice(-2000) };
  }
  return { verdict: 'no violation', states, seconds, compileSeconds, depth, ...extra };
}

/** One search with the given engine; seconds are wall time, cpuSeconds this thread's CPU time. */
export function runOurs(variant: string, bound: Bound, engine: 'packed' | 'core' = 'packed', more: Pick<ExploreOptions, 'reduce' | 'hashCompact' | 'maxMemoryBytes'> = {}) {
  const cpu0 = process.cpuUsage();
  const r = explore({ variant: parseVariant(variant), bound, engine, memoryUsed: () => process.memoryUsage().heapUsed, ...more });
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    engine: r.engine, verdict: r.verdict === 'violation' ? 'violation' : r.verdict === 'incomplete' ? `incomplete (${r.stopped})` : 'no violation',
    states: r.states, transitions: r.transitions, depth: r.depth, seconds: r.seconds, cpuSeconds: Math.round(cpuSeconds * 1000) / 1000,
    statesPerSecond: r.statesPerSecond, statesPerCpuSecond: Math.round(r.states / Math.max(cpuSeconds, 1e-6)),
    peakMiB: Math.round(r.peakMemoryBytes / 2 ** 20), violation: r.violation?.kind,
    ...(r.hashCompaction ? { omissionBound: r.hashCompaction.omissionBound } : {}),
  };
}

/**
 * The kinds the Promela model has with -DALLOPS: everything but KVM_GET_DIRTY_LOG, which it leaves
 * out (get only write-protects and flushes: it can only remove TLB entries).
 */
export const SPIN_KINDS: NonNullable<Bound['kinds']> = ['enable', 'clear', 'invalidate'];

export function benchExplorer(quick: boolean, pml = 'bench/promela/split.pml') {
  const spinBound: Bound = { ...DEFAULT_BOUND, kinds: SPIN_KINDS };
  const out: Record<string, unknown> = {
    defaultBound: DEFAULT_BOUND,
    spinBound,
    note: 'Packed engine. The CLI default bound has every operation kind; the Spin comparison runs both at the default bound without get-dirty-log, which split.pml does not have. ' +
      'never-flush: time to the shortest counterexample (BFS, including the replay through the core that confirms it); v7: the full search. ' +
      'Spin: DFS on bench/promela/split.pml at the same bound (-DSAFETY -DALLOPS), pan run time (compile time apart). statesPerCpuSecond: states over the CPU time of the search (the machine is shared). ' +
      'These run in the benchmarks\' process, after the others; the states-per-second figure is explorer.rate: the full v7 search at the default bound in fresh processes (scripts/bench.mjs).',
  };
  const variants = quick ? ['never-flush'] : ['never-flush', 'v7'];
  const skip = existsSync(pml) ? ensureSpin() : `no ${pml}: Spin comparison skipped`;
  if (skip) out.spinNote = skip;
  for (const v of variants) {
    const ours = runOurs(v, spinBound);
    const spin = skip ? null : runSpin(pml, v, spinBound);
    out[v] = { ours, spin, ratioOursToSpin: spin && spin.seconds > 0 ? Math.round((ours.seconds / spin.seconds) * 100) / 100 : null };
  }
  // The engine the packed one replaced, on a bound it can still search (enable + clear only).
  const small: Bound = { ...DEFAULT_BOUND, kinds: ['enable', 'clear'] };
  const core = runOurs('never-flush', small, 'core');
  const packed = runOurs('never-flush', small, 'packed');
  out.enginesOnEnableClear = { bound: small, core, packed, ratioCoreToPacked: Math.round((core.seconds / Math.max(packed.seconds, 1e-6)) * 10) / 10 };
  return out;
}

/** The bound compare.mjs starts from: the CLI's default without get-dirty-log (see SPIN_KINDS). */
export function defaultBound(): Bound {
  return { ...DEFAULT_BOUND, kinds: [...SPIN_KINDS] };
}
