/**
 * One packed search in a process of its own, for the explorer's states-per-second figure
 * (scripts/bench.mjs runs it several times, under the machine's Node and under Node 24):
 *   node out/bench/explorer-rate.js [variant]   (the CLI's default bound)
 * prints one JSON line. A fresh process per run, so that no other benchmark has warmed up or
 * polluted the JIT, and the CPU time is the search's own (plus V8's compiler and GC threads).
 *
 * Besides the whole search it reports the rate after the first 500,000 states: the first levels
 * of the breadth-first search are the ones where the JIT is still compiling (and re-compiling
 * after deoptimisations as new operation paths are reached), which a longer search amortises.
 */
import { cpuUsage, version } from 'node:process';
import { PackedSearch } from '../src/explore/packed/search';
import { DEFAULT_BOUND } from '../src/explore/scope';
import { parseVariant } from '../src/kernel/variants';

const WARM = 500_000;
const variant = process.argv[2] ?? 'v7';
const search = new PackedSearch({ variant: parseVariant(variant), bound: DEFAULT_BOUND });
const cpuSeconds = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;
const start = cpuUsage();
const wall0 = process.hrtime.bigint();
let warm: { states: number; cpu: number } | null = null;
while (!search.run(100)) {
  const states = search.progress().states;
  if (!warm && states >= WARM) warm = { states, cpu: cpuSeconds(cpuUsage(start)) };
}
const cpu = cpuSeconds(cpuUsage(start));
const wall = Number(process.hrtime.bigint() - wall0) / 1e9;
const r = search.result();
process.stdout.write(JSON.stringify({
  node: version, variant, verdict: r.verdict, states: r.states, transitions: r.transitions,
  wallSeconds: Math.round(wall * 1000) / 1000, cpuSeconds: Math.round(cpu * 1000) / 1000,
  statesPerSecond: Math.round(r.states / wall), statesPerCpuSecond: Math.round(r.states / cpu),
  afterFirst500kStatesPerCpuSecond: warm && cpu > warm.cpu ? Math.round((r.states - warm.states) / (cpu - warm.cpu)) : null,
}) + '\n');
