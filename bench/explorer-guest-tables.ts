/**
 * The guest-tables scope's numbers (issue 15), one search in a process of its own:
 *   node out/bench/explorer-guest-tables.js [variant] [core|packed]
 * prints one JSON line: the search of the engine named (the core when none is, as this bench has
 * always measured; packed is the scope's default engine since 2026-12-07) at the scope's default
 * bound (GUEST_TABLES_BOUND),
 * with wall and CPU seconds, states, transitions, depth and states per CPU-second. For
 * mainline-2026-pre the figure that matters is the time to the shortest counterexample; for
 * mainline-2026 (both fixes) the time of the full search. scripts/bench.mjs runs both, alternating,
 * and keeps the best and the median (explorer.guestTables).
 *
 * A fresh process per run, so that no other benchmark has warmed up or polluted the JIT, and the
 * CPU time is the search's own (plus V8's compiler and GC threads). The heap is read with
 * v8.getHeapStatistics() as the CLI's memory cap reads it; no cap is set.
 */
import { cpuUsage, version } from 'node:process';
import { getHeapStatistics } from 'node:v8';
import { CoreSearch } from '../src/explore/search';
import { PackedGtSearch } from '../src/explore/packed_gt/search';
import { GUEST_TABLES_BOUND } from '../src/explore/scope';
import { parseVariant } from '../src/kernel/variants';

const variant = process.argv[2] ?? 'mainline-2026';
const engine = process.argv[3] === 'packed' ? 'packed' : 'core';
const cpuSeconds = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;
const start = cpuUsage();
const wall0 = process.hrtime.bigint();
const options = { variant: parseVariant(variant), bound: GUEST_TABLES_BOUND, engine, memoryUsed: () => getHeapStatistics().used_heap_size } as const;
const search = engine === 'core' ? new CoreSearch(options) : new PackedGtSearch(options);
while (!search.run(100)) { /* slices of 100 ms, as a caller showing progress would run it */ }
const cpu = cpuSeconds(cpuUsage(start));
const wall = Number(process.hrtime.bigint() - wall0) / 1e9;
const r = search.result();
process.stdout.write(JSON.stringify({
  node: version, engine, variant, bound: GUEST_TABLES_BOUND, verdict: r.verdict, violation: r.violation?.kind ?? null,
  states: r.states, transitions: r.transitions, depth: r.depth,
  wallSeconds: Math.round(wall * 1000) / 1000, cpuSeconds: Math.round(cpu * 1000) / 1000,
  statesPerSecond: Math.round(r.states / wall), statesPerCpuSecond: Math.round(r.states / cpu),
  peakHeapMiB: Math.round(r.peakMemoryBytes / 2 ** 20),
}) + '\n');
