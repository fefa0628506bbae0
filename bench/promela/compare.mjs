// node bench/promela/compare.mjs [--entries N --ops K --accesses A --kinds enable,clear]
// Runs Spin on bench/promela/split.pml and our explorer (bundled with esbuild, as npm run bench
// does) for every variant at the same bound (default: the CLI's default bound without
// get-dirty-log, which split.pml does not model; --kinds enable,clear drops -DALLOPS) and prints
// variant x (spin verdict, states, seconds, our verdict, states, seconds, ratio). The never-flush
// row's times are the times to the first counterexample (ours: the shortest, breadth first;
// Spin: depth first). Exit status 1 when the verdicts disagree.
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
const note = m.ensureSpin();
if (note) { process.stderr.write(note + '\n'); process.exit(2); }
const rows = [];
let disagree = false;
for (const v of ['never-flush', 'v7', 'pre-patch', 'if-reused']) {
  const spin = m.runSpin('bench/promela/split.pml', v, bound);
  const ours = m.runOurs(v, bound);
  const agree = spin.verdict === ours.verdict;
  if (!agree) disagree = true;
  rows.push([v, spin.verdict, String(spin.states), spin.seconds.toFixed(2), ours.verdict, String(ours.states), ours.seconds.toFixed(2), (ours.seconds / spin.seconds).toFixed(1), agree ? 'yes' : 'NO']);
}
const head = ['variant', 'spin verdict', 'spin states', 'spin s', 'our verdict', 'our states', 'our s', 'ours/spin', 'agree'];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (c) => c.map((x, i) => x.padEnd(w[i])).join('  ').trimEnd();
process.stdout.write(`bound: ${JSON.stringify(bound)}\n${[line(head), ...rows.map(line)].join('\n')}\n` +
  'never-flush seconds = time to the first counterexample (ours: shortest, BFS; Spin: DFS). Spin seconds: pan run, compile apart.\n');
process.exit(disagree ? 1 : 0);
