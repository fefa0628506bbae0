// node bench/promela/compare.mjs [--entries N --ops K --accesses A --kinds enable,clear] [--pages all]
//   [--variants v7,never-flush] [--pan "-DHC4 -DMEMLIM=2048"] [--pan-run "-w28"]
//   [--spin-timeout S] (pan stopped with SIGINT after S seconds: its states by then) [--reduce symmetry] [--hash-compact]
//   [--max-memory MiB]
// Runs Spin on bench/promela/split.pml and our explorer (bundled with esbuild, as npm run bench
// does) for every variant at the same bound (default: the CLI's default bound without
// get-dirty-log, which split.pml does not model; --kinds enable,clear drops -DALLOPS) and prints
// variant x (spin verdict, states, seconds, our verdict, states, seconds, ratio). The never-flush
// row's times are the times to the first counterexample (ours: the shortest, breadth first;
// Spin: depth first). Exit status 1 when the verdicts disagree. --pages all: both tools' menus
// name every page of the region (split.pml -DALLPAGES). --pan: defines for pan's compile (Spin's
// hash compaction -DHC4, -DCOLLAPSE, -DBITSTATE, a memory limit -DMEMLIM=MiB); --reduce,
// --hash-compact, --max-memory: ours. A search stopped by its memory limit says so (Spin: "error"
// with pan's last lines; ours: incomplete).
// A hash-compacted or bitstate "no violation" is probabilistic: the table says each tool's own
// estimate (Spin's hash factor, our omission bound).
import * as esbuild from 'esbuild';

const arg = (name) => { const i = process.argv.indexOf(`--${name}`); return i < 0 ? undefined : process.argv[i + 1]; };
await esbuild.build({
  entryPoints: ['bench/explorer.bench.ts'], outfile: 'out/bench/explorer.js', bundle: true, platform: 'node', format: 'cjs',
  target: 'node20', mainFields: ['module', 'main'], logLevel: 'warning',
});
const { createRequire } = await import('node:module');
const m = createRequire(import.meta.url)('../../out/bench/explorer.js');
const bound = { ...m.defaultBound() };
if (arg('entries')) bound.entries = Number(arg('entries'));
if (arg('ops')) bound.ops = Number(arg('ops'));
if (arg('accesses')) bound.accesses = Number(arg('accesses'));
if (arg('kinds')) bound.kinds = arg('kinds').split(',');
if (arg('pages')) bound.pages = arg('pages');
const panDefs = arg('pan') ? arg('pan').split(/\s+/).filter(Boolean) : [];
const panRun = arg('pan-run') ? arg('pan-run').split(/\s+/).filter(Boolean) : [];
const spinSeconds = Number(arg('spin-timeout') ?? 0);
const more = {
  ...(arg('reduce') ? { reduce: arg('reduce').includes(',') ? arg('reduce').split(',') : arg('reduce') } : {}),
  ...(process.argv.includes('--hash-compact') ? { hashCompact: true } : {}),
  ...(arg('max-memory') ? { maxMemoryBytes: Number(arg('max-memory')) * 2 ** 20 } : {}),
};
const variants = arg('variants') ? arg('variants').split(',') : ['never-flush', 'v7', 'pre-patch', 'if-reused'];
const note = m.ensureSpin();
if (note) { process.stderr.write(note + '\n'); process.exit(2); }
const rows = [];
let disagree = false;
const { loadavg } = await import('node:os');
const uptime = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const details = [];
for (const v of variants) {
  const load = uptime();
  const spin = m.runSpin('bench/promela/split.pml', v, bound, panDefs, panRun, spinSeconds);
  const ours = m.runOurs(v, bound, 'packed', more);
  // A search stopped by its time or memory limit agrees or disagrees with nothing.
  const open = spin.verdict.startsWith('incomplete') || ours.verdict.startsWith('incomplete');
  const agree = open ? null : spin.verdict === ours.verdict;
  if (agree === false) disagree = true;
  details.push({ variant: v, load, spin: { ...spin, output: spin.output?.slice(-600) }, ours });
  rows.push([v, spin.verdict, String(spin.states), spin.seconds.toFixed(2), String(Math.round(spin.memoryMiB ?? 0)), ours.verdict, String(ours.states), ours.seconds.toFixed(2), String(ours.peakMiB), (ours.seconds / spin.seconds).toFixed(2), agree === null ? '-' : agree ? 'yes' : 'NO']);
}
if (process.argv.includes('--json')) process.stderr.write(JSON.stringify({ bound, panDefs, panRun, spinSeconds, ours: more, node: process.version, details }, null, 1) + '\n');
const head = ['variant', 'spin verdict', 'spin states', 'spin s', 'spin MiB', 'our verdict', 'our states', 'our s', 'our MiB', 'ours/spin', 'agree'];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (c) => c.map((x, i) => x.padEnd(w[i])).join('  ').trimEnd();
process.stdout.write(`bound: ${JSON.stringify(bound)}\n${[line(head), ...rows.map(line)].join('\n')}\n` +
  'never-flush seconds = time to the first counterexample (ours: shortest, BFS; Spin: DFS). Spin seconds: pan run, compile apart.\n');
process.exit(disagree ? 1 : 0);
