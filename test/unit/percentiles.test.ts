// The summary the workbench benchmark prints (test/support/percentiles.ts) and the bench's reader of
// it (scripts/lib/workbench-timings.mjs): which sample is the p95, and a timings log read back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentiles } from '../support/percentiles';
import { readWorkbenchTimings, WORKBENCH_BENCH_TAG } from '../../scripts/lib/workbench-timings.mjs';

test('p95 is the sample at floor(0.95 n) of the sorted list; the median at floor(n / 2)', () => {
  // 1..100 shuffled: sorted, index 95 holds 96 and index 50 holds 51.
  const xs = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
  assert.deepEqual(percentiles(xs), { medianMs: 51, p95Ms: 96, maxMs: 100, steps: 100 });
  // Ten samples: floor(9.5) = 9, the last: with under 20 samples the p95 is the largest.
  assert.equal(percentiles([5, 1, 9, 2, 8, 3, 7, 4, 6, 10]).p95Ms, 10);
  assert.throws(() => percentiles([]), /no samples/);
});

test('the bench reads the last benchmark line of each host\'s timings log, and says when there is none', () => {
  const result = { scenario: 'reused-partial', variant: 'never-flush', entries: 512, endToEnd: percentiles([1, 2, 3]) };
  const log = [
    'node host: snapshot in the extension median 1 ms',
    `node ${WORKBENCH_BENCH_TAG} ${JSON.stringify({ ...result, entries: 8 })}`,
    `node ${WORKBENCH_BENCH_TAG} ${JSON.stringify(result)}`,
    '',
  ].join('\n');
  assert.deepEqual(readWorkbenchTimings(log), result);
  assert.equal(readWorkbenchTimings('node host: nothing here\n'), undefined);
  assert.throws(() => readWorkbenchTimings(`node ${WORKBENCH_BENCH_TAG} {not json`), /timings log: the benchmark line is not JSON/);
});
