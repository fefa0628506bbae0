// The workbench benchmark's results, read back from the integration run's timings log
// (test-artifacts/logs/integration-<host>-timings.log, which scripts/run-integration-tests.mjs
// writes from the `kvm-mmu-lab-timing` lines). test/integration/walk.suite.ts prints one line
// `<host> workbench-bench {json}` per run: the step end to end (command to rendered) and the
// webview's render, as percentiles.

export const WORKBENCH_BENCH_TAG = 'workbench-bench';

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
