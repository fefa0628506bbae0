/**
 * The guest-tables scope's packed search against the core's on the same scope, one search in a
 * process of its own (docs/explorer.md, "The search and the store"):
 *   node out/bench/explorer-guest-tables-packed.js packed|core [variant] [entries ops accesses]
 * prints one JSON line. The scope is the guest-tables scope with its operations besides faults left
 * out (Bound.kinds = [], `explore --kinds none`): the guest accesses and the VMM's write, the menu
 * the packed model covers whole today. Run alternately by engine (paired runs), compare the CPU
 * seconds: the rate is states per CPU-second of the whole process (the search, V8's compiler and
 * its collector).
 */
import { cpuUsage, version } from 'node:process';
import { CoreSearch } from '../src/explore/search';
import { PackedGtSearch } from '../src/explore/packed_gt/search';
import type { Bound } from '../src/explore/scope';
import { parseVariant } from '../src/kernel/variants';

const engine = process.argv[2] === 'core' ? 'core' : 'packed';
const variant = process.argv[3] ?? 'mainline-2026';
const [entries, ops, accesses] = (process.argv.slice(4, 7).length === 3 ? process.argv.slice(4, 7) : ['8', '4', '6']).map(Number);
const bound: Bound = { entries, ops, accesses, scope: 'guest-tables', kinds: [] };
const cpuSeconds = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;
const start = cpuUsage();
const wall0 = process.hrtime.bigint();
const options = { variant: parseVariant(variant), bound, engine } as const;
const search = engine === 'core' ? new CoreSearch(options) : new PackedGtSearch(options);
while (!search.run(100)) { /* slices of 100 ms, as a caller showing progress would run it */ }
const cpu = cpuSeconds(cpuUsage(start));
const wall = Number(process.hrtime.bigint() - wall0) / 1e9;
const r = search.result();
process.stdout.write(JSON.stringify({
  node: version, engine, variant, bound, verdict: r.verdict, violation: r.violation?.kind ?? null,
  states: r.states, transitions: r.transitions, depth: r.depth,
  wallSeconds: Math.round(wall * 1000) / 1000, cpuSeconds: Math.round(cpu * 1000) / 1000,
  statesPerCpuSecond: Math.round(r.states / cpu), transitionsPerCpuSecond: Math.round(r.transitions / cpu),
}) + '\n');
