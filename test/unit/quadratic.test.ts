/**
 * Quadratic paths, checked by counting work, never by timing (bench/hostile.bench.ts times them).
 * A diff deleting one modelled function of n lines made the classifier search every change for
 * each removed line (n^2: 189 s at 20,000 lines); hunks whose old lines are nowhere in the tree's
 * mmu.c were each searched for over the whole file, twice, and again by jsdiff (125 s for 2,000
 * hunks against 1.8 MB).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePatchInput } from '../../src/patch/parse';
import { classify } from '../../src/patch/classify';
import { applyFileDiff, type Work } from '../../src/patch/apply';
import { bigSource, deleteFunctionDiff, nonMatchingHunks } from '../../bench/hostile-inputs';

const ITERATORS = ['some', 'every', 'find', 'findIndex', 'filter', 'map', 'flatMap', 'forEach', 'reduce'] as const;

/**
 * Runs f with every array iteration callback counted; past `budget` callbacks it stops with an
 * error (so a quadratic path fails fast instead of running for minutes).
 */
function callbacks<T>(budget: number, f: () => T): { result: T; count: number } {
  const saved = ITERATORS.map((name) => [name, Array.prototype[name]] as const);
  let count = 0;
  const tick = () => { if (++count > budget) throw new Error(`more than ${budget} array callbacks`); };
  try {
    for (const [name, orig] of saved) {
      Object.defineProperty(Array.prototype, name, {
        configurable: true, writable: true,
        value: function (this: unknown[], cb: (...a: unknown[]) => unknown, ...rest: unknown[]) {
          return (orig as (...a: unknown[]) => unknown).call(this, function (this: unknown, ...a: unknown[]) { tick(); return cb.apply(this, a); }, ...rest);
        },
      });
    }
    const result = f();
    return { result, count };
  } finally {
    for (const [name, orig] of saved) Object.defineProperty(Array.prototype, name, { configurable: true, writable: true, value: orig });
  }
}

test('deleting one long modelled function: the classifier\'s work grows linearly with its length', () => {
  const at = (n: number) => {
    const p = parsePatchInput(deleteFunctionDiff(n), 'delete.diff');
    // Linear means a bounded number of callbacks per line; 400 a line is far above what it does and
    // far below n (a search of every change for each line is n callbacks a line).
    const { result, count } = callbacks(400 * n, () => classify(p.patches));
    // The whole function is deleted: no line of it needs a rule (classify's "whole function deleted").
    assert.equal(result.unexplained.length, 0);
    assert.deepEqual(result.touchedFunctions, ['drop_large_spte']);
    return count;
  };
  const small = at(2_000);
  const large = at(8_000);
  // Four times the lines, about four times the callbacks (not sixteen).
  assert.ok(large < 5 * small, `2,000 lines: ${small} callbacks; 8,000 lines: ${large}`);
});

test('hunks that are nowhere in the tree\'s file: lines compared grow with hunks plus file, not their product', () => {
  const at = (hunks: number, lines: number) => {
    const p = parsePatchInput(nonMatchingHunks(hunks, lines), 'hunks.diff');
    const f = p.patches[0].files[0];
    const work: Work = { compared: 0 };
    const r = applyFileDiff(f, bigSource(lines), { whitespaceInsensitive: true, work });
    assert.equal(r.hunks.length, hunks);
    for (const h of r.hunks) assert.equal(h.ok, false);
    return work.compared;
  };
  // Every hunk's lines are missing_*() calls the file has none of: each is refused at its first
  // line the index lacks, after comparing its own lines only. 2,000 hunks of 5 old and 5 new lines.
  const work = at(2_000, 60_000);
  assert.ok(work <= 2_000 * 10, `${work} lines compared`);
  // A hunk whose lines the file has many times (a blank line and a brace) is tried at the places of its rarest line only.
  const p = parsePatchInput('--- a/mmu.c\n+++ b/mmu.c\n@@ -5,3 +5,3 @@\n }\n-\n+ \n static int fn999999(struct kvm *kvm)\n', 'x.diff');
  const w: Work = { compared: 0 };
  applyFileDiff(p.patches[0].files[0], bigSource(60_000), { work: w });
  assert.ok(w.compared < 100, `${w.compared} lines compared for one hunk`);
});
