// npm run bench [-- --quick] [-- --render-only]: bundle the benchmarks like the shipped code
// (esbuild, so the numbers are those of the bundles, not of a TypeScript loader), run them, print
// the JSON and keep a copy in bench/results/latest.json. The panel's render benchmark
// (bench/render.bench.ts) runs the webview bundle in headless Chromium and goes under panel.render.
// The activation bench loads dist/ as it ships, so dist/ is built first as `npm run package`
// builds it (--production: minified, no source maps).
//   --render-only  only the render benchmark (bench/results/render.tmp.json, not kept in git)
//   --workbench    first run the integration tests in both extension hosts (they start VS Code),
//                  whose walk suite times every step in the real workbench; without it the bench
//                  reads the timings the last integration run left (panel.workbench, docs/testing.md)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { ensureNode24 } from './lib/vscode-host.mjs';
import { ARTIFACTS } from './lib/results.mjs';
import { readWorkbenchCpu, readWorkbenchTimings } from './lib/workbench-timings.mjs';

const args = process.argv.slice(2);
const node = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', mainFields: ['module', 'main'], logLevel: 'warning' };
if (!args.includes('--render-only')) {
  try {
    execFileSync(process.execPath, ['scripts/build.mjs', '--production'], { stdio: 'pipe' });
  } catch (error) {
    process.stderr.write(error.stderr ?? '');
    throw error;
  }
}
await esbuild.build({ ...node, entryPoints: ['bench/main.ts', 'bench/activation-probe.ts', 'bench/explorer-rate.ts', 'bench/explorer-guest-tables.ts', 'bench/explorer-guest-tables-packed.ts'], outdir: 'out/bench' });
await esbuild.build({ ...node, entryPoints: ['bench/render-main.ts'], outfile: 'out/bench/render.js', external: ['playwright-core'] });
// The webview exactly as scripts/build.mjs bundles it for dist/webview.js.
await esbuild.build({ entryPoints: ['media/main.ts'], outfile: 'out/bench/webview.js', bundle: true, platform: 'browser', format: 'iife', target: 'es2022', logLevel: 'warning' });
const run = (file, ...more) => execFileSync(process.execPath, ['--max-old-space-size=4096', file, ...more, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const render = JSON.parse(run('out/bench/render.js', 'out/bench/webview.js'));
const workbench = workbenchTimings(args.includes('--workbench'));
mkdirSync('bench/results', { recursive: true });
if (args.includes('--render-only')) {
  const out = JSON.stringify({ date: new Date().toISOString(), render, workbench }, null, 2) + '\n';
  process.stdout.write(out);
  writeFileSync('bench/results/render.tmp.json', out);
} else {
  const results = JSON.parse(run('out/bench/main.js'));
  results.panel.render = render;
  results.panel.workbench = workbench;
  results.explorer.rate = await explorerRate(args.includes('--quick') ? 1 : 3);
  results.explorer.guestTables = explorerGuestTables(args.includes('--quick') ? 1 : 3);
  const out = JSON.stringify(results, null, 2) + '\n';
  process.stdout.write(out);
  writeFileSync('bench/results/latest.json', out);
}

/**
 * The explorer's states per second: the full v7 search at the CLI's default bound, each run in a
 * fresh process (bench/explorer-rate.ts), `reps` times under the machine's Node and under the
 * VS Code host's Node 24 in turn, so that both see the same load. Best and median of each.
 */
async function explorerRate(reps) {
  let node24 = null;
  let note;
  // Installing it says what it does on stdout, where the bench's JSON goes: send that to stderr.
  const log = console.log;
  console.log = console.error;
  try {
    node24 = await ensureNode24();
  } catch (error) {
    note = `Node 24 not available (${error.message}): machine's Node only`;
  } finally {
    console.log = log;
  }
  const runs = { machine: [], node24: [] };
  for (let i = 0; i < reps; i++) {
    runs.machine.push(JSON.parse(execFileSync(process.execPath, ['out/bench/explorer-rate.js'], { encoding: 'utf8' })));
    if (node24) runs.node24.push(JSON.parse(execFileSync(node24, ['out/bench/explorer-rate.js'], { encoding: 'utf8' })));
  }
  const summary = (list) => {
    if (!list.length) return null;
    const rates = list.map((r) => r.statesPerCpuSecond).sort((a, b) => a - b);
    return { node: list[0].node, states: list[0].states, bestStatesPerCpuSecond: rates[rates.length - 1], medianStatesPerCpuSecond: rates[rates.length >> 1], runs: list };
  };
  return { note, machineNode: summary(runs.machine), node24: summary(runs.node24) };
}

/**
 * The guest-tables scope's numbers (issue 15; bench/explorer-guest-tables.ts, the scope's default
 * bound), each run in a fresh process, the presets and engines alternating so that all see the same
 * load: mainline-2026-pre to its shortest counterexample, mainline-2026 searched whole, by the core
 * engine (as this bench has always reported) and by the packed one (the scope's default since
 * 2026-12-07: packed.*). Best (least CPU time) and median of each.
 */
function explorerGuestTables(reps) {
  const presets = ['mainline-2026-pre', 'mainline-2026'];
  const engines = ['core', 'packed'];
  const runs = Object.fromEntries(engines.flatMap((e) => presets.map((p) => [`${e} ${p}`, []])));
  for (let i = 0; i < reps; i++) {
    for (const e of engines) for (const p of presets) runs[`${e} ${p}`].push(JSON.parse(execFileSync(process.execPath, ['out/bench/explorer-guest-tables.js', p, e], { encoding: 'utf8' })));
  }
  const summary = (list) => {
    const byCpu = [...list].sort((a, b) => a.cpuSeconds - b.cpuSeconds);
    const best = byCpu[0];
    const median = byCpu[byCpu.length >> 1];
    return { verdict: best.verdict, violation: best.violation, states: best.states, depth: best.depth, bestCpuSeconds: best.cpuSeconds, medianCpuSeconds: median.cpuSeconds, medianWallSeconds: median.wallSeconds, bestStatesPerCpuSecond: best.statesPerCpuSecond, runs: list };
  };
  return {
    note: 'Core engine (packed: the packed engine, the default since 2026-12-07), guest-tables scope at its default bound, one fresh process a run. mainline-2026-pre: time to the shortest counterexample (issue 15: under 1 s); mainline-2026: the full search (under 30 s, at 1 M states per CPU-second).',
    firstCounterexample: summary(runs['core mainline-2026-pre']),
    fullSearch: summary(runs['core mainline-2026']),
    packed: { firstCounterexample: summary(runs['packed mainline-2026-pre']), fullSearch: summary(runs['packed mainline-2026']) },
  };
}

/**
 * A step in the real workbench (issue 16's Numbers): command to rendered, and the webview's render,
 * at 512 entries, as test/integration/walk.suite.ts's benchmark printed them into each host's
 * timings log. With `fresh`, the integration tests run first (both hosts, a few minutes; the load
 * is taken before and after); else the logs the last run left, with their age.
 */
function workbenchTimings(fresh) {
  const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  if (fresh) {
    // Its progress on stderr: stdout is the bench's JSON.
    // --bench: the walk suite's benchmark runs its full series (CI runs them short).
    const r = spawnSync(process.execPath, ['scripts/run-integration-tests.mjs', '--bench'], { stdio: ['ignore', process.stderr, process.stderr] });
    if (r.status !== 0) console.error(`[bench] the integration tests failed (exit ${r.status}); their timings are read all the same`);
  }
  const out = { note: 'test/integration/walk.suite.ts: every step of reused-partial under never-flush (512 entries), forward then back, in the real workbench (code-server and chromium); endToEnd: from executeCommand to its promise (snapshot, status bar, the panel\'s rendered reply; since 2026-12-07 the editor beside follows once stepping pauses, 80 ms after the last step, not within the command: editorBeside is 0 then, and editorFollow is the editor\'s work each time it followed); webviewRender: the webview\'s own DOM update (media/main.ts); panelReply: posting the step to the panel to its reply, split into replyIn, webviewCheck and replyOut (two clocks: good to a ms or two); pingReply: the smallest request\'s round trip to the same panel between steps (the baseline); pingAlone: the same with no step in flight (100 pings 20 ms apart, before the steps); endToEndPaced, panelReplyPaced: every step again, each 250 ms after the last settled (a click at a time, not back to back); cpu: CPU ms of each workbench process (and thread) per ping or step over each series, from /proc (scripts/lib/proc-cpu.mjs); slow, pingAloneSlow: [ms from the series start, what, ms] of each step over 50 ms and ping over 30 ms; messageBytes: the step message as JSON (sent: delta, full or resent); p95 is the sample at floor(0.95 n)' };
  for (const host of ['node', 'web']) {
    const file = join(ARTIFACTS, 'logs', `integration-${host}-timings.log`);
    if (!existsSync(file)) {
      out[host] = { missing: `${file}: run npm run test:integration (or npm run bench -- --workbench)` };
      continue;
    }
    const log = readFileSync(file, 'utf8');
    const result = readWorkbenchTimings(log);
    const cpu = readWorkbenchCpu(log);
    const measured = statSync(file).mtime.toISOString();
    // A log from CI or a plain integration run holds the short series (a few samples each): say so.
    const short = result?.series === 'short' ? { shortSeries: 'from a run without --bench (CI or npm run test:integration): a few samples a series, not the benchmark; run npm run bench -- --workbench' } : {};
    out[host] = result ? { measured, ...short, ...result, ...(cpu ? { cpu } : {}) } : { missing: `${file} (${measured}) has no benchmark line: an integration run from before the benchmark, or one that failed before it` };
  }
  if (fresh) out.loadAverage = { before: loadBefore, after: loadavg().map((x) => Math.round(x * 100) / 100) };
  return out;
}
