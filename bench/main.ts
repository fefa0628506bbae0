/**
 * npm run bench: every benchmark of the project, one JSON document on stdout with the machine it
 * ran on. Compare ratios measured in the same run; the machines are shared and noisy.
 *   --quick  one repetition each (for a smoke run)
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { benchActivation } from './activation.bench';
import { benchCore } from './core.bench';
import { benchExplorer } from './explorer.bench';
import { benchHostile } from './hostile.bench';
import { benchPanel } from './panel.bench';

// The bundle may be loaded by a worker thread (the explorer's workers); only the main thread benches.
if (isMainThread) main();

function main() {
const quick = process.argv.includes('--quick');
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30),
  freeMemoryGiB: Math.round(freemem() / 2 ** 30), loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  node: process.version, platform: `${process.platform}-${process.arch}`,
};
const results = { date: new Date().toISOString(), machine, quick, activation: benchActivation(quick), core: benchCore(quick), panel: benchPanel(quick), explorer: benchExplorer(quick), hostile: benchHostile(quick), loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) };
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}
