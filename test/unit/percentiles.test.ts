// The summary the workbench benchmark prints (test/support/percentiles.ts) and the bench's reader of
// it (scripts/lib/workbench-timings.mjs): which sample is the p95, and a timings log read back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentiles } from '../support/percentiles';
import { readWorkbenchCpu, readWorkbenchTimings, WORKBENCH_BENCH_TAG, WORKBENCH_CPU_TAG } from '../../scripts/lib/workbench-timings.mjs';
import { cpuDelta, processes, threadsCpu } from '../../scripts/lib/proc-cpu.mjs';

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

test('the bench reads the CPU lines of each series, the last of each name, and none as undefined', () => {
  const line = (series: string, count: number, renderer: number) => `node ${WORKBENCH_CPU_TAG} ${JSON.stringify({ series, count, cpuMs: { renderer }, cpuMsPerCount: { renderer: renderer / count } })}`;
  // An earlier run's steps line, then this run's alone and steps: the later steps line wins.
  const log = [line('steps', 108, 999), 'node host: something else', line('alone', 100, 600), line('steps', 108, 10800), ''].join('\n');
  assert.deepEqual(readWorkbenchCpu(log), {
    alone: { count: 100, cpuMs: { renderer: 600 }, cpuMsPerCount: { renderer: 6 } },
    steps: { count: 108, cpuMs: { renderer: 10800 }, cpuMsPerCount: { renderer: 100 } },
  });
  assert.equal(readWorkbenchCpu('node host: nothing here\n'), undefined);
});

test('CPU deltas: what grew between two readings, rounded, under 1 ms and vanished processes left out', () => {
  // renderer 1000 → 1500.4: 500; gpu 10 → 10.6: 0.6 rounds to 1, kept; a new process counts from 0;
  // one gone by the second reading (not in b) is not reported; 3 → 3.2 rounds to 0: left out.
  assert.deepEqual(cpuDelta({ renderer: 1000, gpu: 10, gone: 50, idle: 3 }, { renderer: 1500.4, gpu: 10.6, fresh: 20, idle: 3.2 }), { renderer: 500, gpu: 1, fresh: 20 });
});

test('this process is read from /proc with its own arguments, and its threads by name', { skip: process.platform !== 'linux' }, () => {
  const me = processes().get(process.pid);
  assert.ok(me, 'this process is not in /proc');
  assert.equal(me.ppid, process.ppid);
  assert.ok(me.args.includes(process.argv[1] ?? 'node'), `args: ${me.args}`);
  // CPU time is never negative, and this process has run some by now.
  assert.ok(me.cpuMs >= 0);
  const threads = threadsCpu(process.pid);
  assert.ok(Object.keys(threads).length >= 1, 'no thread read');
});
