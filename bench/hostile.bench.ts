/**
 * The quadratic paths of issue 19, at 10x the size that found them: a diff deleting one modelled
 * function of 200,000 lines (2.5 MB; 20,000 lines took 189 s in the classifier), and 20,000 hunks
 * that are nowhere in an 18 MB mmu.c (2,000 against 1.8 MB took 125 s to apply). Also the
 * scenario limits: a clear of a whole 2^26-page memslot, parsed. Each: milliseconds and the heap
 * it grew by. Part of `npm run bench`; alone: node --import tsx bench/hostile.bench.ts
 */
import { cpus, totalmem } from 'node:os';
import { parsePatchInput } from '../src/patch/parse';
import { classify } from '../src/patch/classify';
import { anchorInPatch } from '../src/anchor/hunks';
import { applyFileDiff } from '../src/patch/apply';
import { parseScenario } from '../src/scenario/parse';
import { bigSource, deleteFunctionDiff, nonMatchingHunks } from './hostile-inputs';

function measure<T>(f: () => T): { ms: number; heapMiB: number; result: T } {
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const result = f();
  const ms = Math.round(performance.now() - t0);
  return { ms, heapMiB: Math.round((process.memoryUsage().heapUsed - heap0) / 2 ** 20), result };
}

export function benchHostile(quick: boolean): Record<string, unknown> {
  const scale = quick ? 0.1 : 1;
  const lines = Math.round(200_000 * scale);
  const del = deleteFunctionDiff(lines);
  const parsedDel = measure(() => parsePatchInput(del, 'delete.diff'));
  const classified = measure(() => classify(parsedDel.result.patches));
  const anchoredDel = measure(() => anchorInPatch(parsedDel.result));

  const hunks = Math.round(20_000 * scale);
  const fileLines = Math.round(600_000 * scale);
  const src = bigSource(fileLines);
  const diff = parsePatchInput(nonMatchingHunks(hunks, fileLines), 'hunks.diff');
  const applied = measure(() => applyFileDiff(diff.patches[0].files[0], src, { whitespaceInsensitive: true }));
  const classifiedHunks = measure(() => classify(diff.patches));
  const anchoredHunks = measure(() => anchorInPatch(diff));

  const scenario = JSON.stringify({
    name: 'limit', memslots: [{ id: 0, baseGfn: 0, pages: 2 ** 26, hostPfn: 0 }],
    roots: [{ name: 'A', guestTableGfn: '0xffff000', mappings: [{ l2: 0, gfn: 0, size: '4K' }] }],
    operations: [{ op: 'enable-dirty-logging', manualProtect: true }, { op: 'clear-dirty-log', first: 0, pages: 2 ** 26 }],
  });
  const clear = measure(() => parseScenario(scenario, 'limit.json'));
  return {
    deleteFunction: { lines, diffMB: +(del.length / 2 ** 20).toFixed(1), parseMs: parsedDel.ms, classifyMs: classified.ms, classifyHeapMiB: classified.heapMiB, anchorMs: anchoredDel.ms },
    nonMatchingHunks: { hunks, fileMB: +(src.length / 2 ** 20).toFixed(1), applyMs: applied.ms, applyHeapMiB: applied.heapMiB, classifyMs: classifiedHunks.ms, anchorMs: anchoredHunks.ms },
    scenarioClearOf2to26Pages: { parseMs: clear.ms, heapMiB: clear.heapMiB },
  };
}

// Alone only: bundled into bench/main.ts's out/bench/main.js, this must print nothing of its own.
if (/hostile\.bench\.ts$/.test(process.argv[1] ?? '')) {
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  process.stdout.write(JSON.stringify({ date: new Date().toISOString(), machine, hostile: benchHostile(process.argv.includes('--quick')) }, null, 2) + '\n');
}
