// The workbench benchmark's results, read back from the integration run's timings log
// (test-artifacts/logs/integration-<host>-timings.log, which scripts/run-integration-tests.mjs
// writes from the `kvm-mmu-lab-timing` lines). test/integration/walk.suite.ts prints one line
// `<host> workbench-bench {json}` per run: the step end to end (command to rendered) and the
// webview's render, as percentiles.

export const WORKBENCH_BENCH_TAG = 'workbench-bench';
/**
 * The file in the test workspace that asks the benchmark for its full series (`npm run bench --
 * --workbench` passes --bench to scripts/run-integration-tests.mjs, which writes it). Without it
 * (CI, `npm test`, a plain integration run) the benchmark runs the same three series short: every
 * path and every assertion, a few samples each, to keep CI's time down.
 */
export const FULL_SERIES_FILE = 'kvm-mmu-lab-bench-full-series.txt';
/**
 * The file in the test workspace that asks for the paired A/B of when the editor beside follows
 * the walk (`node scripts/run-integration-tests.mjs --editor-ab`; test/integration/walk.suite.ts),
 * and the tag of its result line (`kvm-mmu-lab-timing <host> editor-ab {json}`).
 */
export const EDITOR_AB_FILE = 'kvm-mmu-lab-bench-editor-ab.txt';
export const EDITOR_AB_TAG = 'editor-ab';
/** The benchmark's marks (`kvm-mmu-lab-timing <host> cpu-mark <name>-start|<name>-end <count>`): the runner reads the workbench's CPU time at each. */
export const CPU_MARK = 'cpu-mark';
/** The runner's line of the CPU time between two marks, per process (scripts/lib/proc-cpu.mjs). */
export const WORKBENCH_CPU_TAG = 'workbench-cpu';

/**
 * The last benchmark line's JSON in a timings log, or undefined when the log has none.
 * @param {string} log
 * @returns {Record<string, unknown> | undefined}
 */
export function readWorkbenchTimings(log) {
  const lines = log.split('\n').filter((l) => l.split(' ')[1] === WORKBENCH_BENCH_TAG);
  if (!lines.length) return undefined;
  const last = lines[lines.length - 1];
  const json = last.slice(last.indexOf(WORKBENCH_BENCH_TAG) + WORKBENCH_BENCH_TAG.length + 1);
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new Error(`timings log: the benchmark line is not JSON (${error.message}): ${json.slice(0, 80)}`);
  }
}

/**
 * The CPU lines of the last benchmark in a timings log (`<host> workbench-cpu {json}`, one a
 * series: the pings alone, the steps back to back, the steps paced), by series; undefined when none.
 * @param {string} log
 * @returns {Record<string, { count: number, cpuMs: Record<string, number>, cpuMsPerCount: Record<string, number> }> | undefined}
 */
export function readWorkbenchCpu(log) {
  const out = {};
  for (const line of log.split('\n')) {
    if (line.split(' ')[1] !== WORKBENCH_CPU_TAG) continue;
    const { series, ...rest } = JSON.parse(line.slice(line.indexOf(WORKBENCH_CPU_TAG) + WORKBENCH_CPU_TAG.length + 1));
    out[series] = rest;
  }
  return Object.keys(out).length ? out : undefined;
}
