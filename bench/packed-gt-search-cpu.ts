/**
 * The guest-tables scope's packed search on its whole menu (the CLI's default scope), one search in
 * a process of its own, for issue 15's rate (docs/explorer.md, "The guest-tables store without its
 * zero words"):
 *   node out/bench/packed-gt-search-cpu.js [variant] [entries ops accesses]
 * prints one JSON line: the CPU seconds (user + sys) of the search alone (process.cpuUsage() around
 * its run() calls, which is all the search does) and of the whole process up to the end of the
 * search (loading the bundle, V8's compiler and collector included), and states a CPU-second of each.
 * Run it alternately with another build's bundle (paired runs) and compare the CPU seconds.
 */
import { cpuUsage, version } from 'node:process';
import { PackedGtSearch } from '../src/explore/packed_gt/search';
import { GUEST_TABLES_BOUND, type Bound } from '../src/explore/scope';
import { parseVariant } from '../src/kernel/variants';

const variant = process.argv[2] ?? 'mainline-2026';
const rest = process.argv.slice(3, 6).map(Number);
const bound: Bound = rest.length === 3 ? { ...GUEST_TABLES_BOUND, entries: rest[0], ops: rest[1], accesses: rest[2] } : GUEST_TABLES_BOUND;
const cpuSeconds = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1e6;
const start = cpuUsage();
const search = new PackedGtSearch({ variant: parseVariant(variant), bound, engine: 'packed' });
while (!search.run(100)) { /* slices of 100 ms, as the CLI runs it */ }
const searchCpu = cpuSeconds(cpuUsage(start));
const processCpu = cpuSeconds(cpuUsage());
const r = search.result();
process.stdout.write(JSON.stringify({
  node: version, variant, bound, verdict: r.verdict, states: r.states, transitions: r.transitions, depth: r.depth,
  searchCpuSeconds: Math.round(searchCpu * 1000) / 1000, processCpuSeconds: Math.round(processCpu * 1000) / 1000,
  statesPerSearchCpuSecond: Math.round(r.states / searchCpu), statesPerProcessCpuSecond: Math.round(r.states / processCpu),
  peakMemoryBytes: r.peakMemoryBytes,
}) + '\n');
