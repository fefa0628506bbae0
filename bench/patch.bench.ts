/**
 * Patch reading at scale: a generated 50 MB mbox series (format-patch messages against the
 * miniature mmu.c) is parsed and classified; prints MB/s. Run: node --import tsx bench/patch.bench.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify } from '../src/patch/classify';
import { parsePatchInput } from '../src/patch/parse';

const one = readFileSync(join(__dirname, '..', 'test', 'fixtures', 'patch', 'seed-like.format-patch.patch'), 'utf8');
const target = Number(process.argv[2] ?? 50) * 1024 * 1024;
const parts: string[] = [];
let size = 0;
while (size < target) { parts.push(one); size += one.length + 1; }
const text = parts.join('\n');
const t0 = performance.now();
const r = parsePatchInput(text, 'bench.mbox');
const t1 = performance.now();
const c = classify(r.patches);
const t2 = performance.now();
const mb = text.length / 1024 / 1024;
console.log(JSON.stringify({
  inputMB: Math.round(mb * 10) / 10, patches: r.patches.length, errors: r.diagnostics.filter((d) => d.severity === 'error').length,
  parseMs: Math.round(t1 - t0), parseMBps: Math.round(mb / ((t1 - t0) / 1000)), classifyMs: Math.round(t2 - t1), before: c.before?.name, after: c.after?.name ?? '(not determined)',
  node: process.version,
}));
