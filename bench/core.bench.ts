/**
 * Benchmarks of the simulation core. Prints one JSON object (see scripts/bench.mjs).
 * - split-64g: eager split of a 64 GiB guest on 1 GiB pages down to 4K (32,832 splits, 16.8 M
 *   SPTEs written by the split) with both stale-TLB checks on; time of the enable-dirty-logging
 *   operation alone, SPTE writes a second, peak memory.
 * - reused-partial-strict: the seed's scenario at E = 512 with both checks, per run.
 */
import { ScenarioRun } from '../src/run/runner';
import { builtinScenario } from '../src/scenario/builtins';
import { runScenario } from '../src/run/run';
import { findPreset } from '../src/kernel/variants';
import { bigGuest } from '../src/scenario/generated';

function splitBig(gib: number, preset: string) {
  const s = bigGuest(gib);
  const r = new ScenarioRun(s, { variant: findPreset(preset)!, checks: { recordWrites: false, keepSteps: false, unmapped: true, permissions: true } });
  // The faults that map the 1 GiB pages are set-up, not measured.
  while (r.machine.state.counters.faults < gib || r.machine.state.mmuLockHeld || r.machine.state.vcpus[0].tlb.length < gib) r.step();
  const writes0 = r.machine.state.counters.spteWrites;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  // The split ends at the unlock after it; the write-protection and its flush follow.
  let splitMs = 0;
  let splitCpuMs = 0;
  let step;
  while ((step = r.step())) {
    if (!splitMs && step.kind === 'unlock') {
      splitMs = Number(process.hrtime.bigint() - t0) / 1e6;
      splitCpuMs = process.cpuUsage(cpu0).user / 1000;
    }
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpuMs = process.cpuUsage(cpu0).user / 1000;
  const c = r.machine.state.counters;
  return { ms, splitMs, splitCpuMs, cpuMs, splits: c.splits, spteWrites: c.spteWrites - writes0, splitFlushes: c.splitFlushes, violations: r.machine.violations.length, rssMiB: process.memoryUsage().rss / 2 ** 20 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function benchCore(quick: boolean) {
  const out: Record<string, unknown> = {};
  const reps = quick ? 1 : 3;
  for (const preset of ['v7', 'pre-patch']) {
    const runs = Array.from({ length: reps }, () => splitBig(64, preset));
    const ms = median(runs.map((r) => r.ms));
    const splitMs = median(runs.map((r) => r.splitMs));
    const r = runs[0];
    out[`split-64g-${preset}`] = {
      splitMs, splitCpuMs: median(runs.map((x) => x.splitCpuMs)), ms, cpuMs: median(runs.map((x) => x.cpuMs)), splits: r.splits, spteWrites: r.spteWrites, splitFlushes: r.splitFlushes, violations: r.violations,
      splitSpteWritesPerSecond: Math.round((r.splits * 512) / (splitMs / 1000)), spteWritesPerSecond: Math.round(r.spteWrites / (ms / 1000)), peakRssMiB: Math.round(Math.max(...runs.map((x) => x.rssMiB))),
      note: 'splitMs: the eager split to 4K (lock to unlock); ms: all of enable-dirty-logging (split, write-protect of every 4K SPTE, memslot flush); both stale-TLB checks on',
    };
  }
  const s = builtinScenario('reused-partial')!;
  const times: number[] = [];
  for (let i = 0; i < (quick ? 5 : 30); i++) {
    const t0 = process.hrtime.bigint();
    runScenario(s, { variant: findPreset('never-flush')! });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  out['reused-partial-strict'] = { msMedian: median(times), msMin: Math.min(...times), runs: times.length, note: 'E = 512, whole scenario, both checks, every SPTE write recorded' };
  return out;
}
