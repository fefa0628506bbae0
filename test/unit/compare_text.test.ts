/**
 * The comparison of presets as text (src/view/compare_text.ts), the one definition the CLI, the
 * extension's Markdown and the review view's table share. The rows are made up here; every expected
 * line is written out from the column rules: two spaces between columns, the name and the verdict
 * left-aligned, counts right-aligned, each column as wide as its widest cell or heading.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareMarkdown, compareTable, compareText, FULL_SCALE_OFF, FULL_SCALE_RUNNING, verdictLabel, type ComparedRow } from '../../src/view/compare_text';

const v7: ComparedRow = { variant: 'v7', verdict: 'pass', violations: 0, remoteFlushes: 2, splitFlushes: 1, flushesSkipped: 1, pagesFlushed: 0, spsReused: 1 };
const never: ComparedRow = { variant: 'never-flush', verdict: 'violation', violations: 1, remoteFlushes: 1, splitFlushes: 0, flushesSkipped: 2, pagesFlushed: 0, spsReused: 1 };

test('the terminal table: widths from the widest cell, names left, counts right, a rule under the head', () => {
  // Widths: variant 11 ("never-flush"), verdict 9 ("violation"), then each heading is wider than its
  // counts: 14, 13, 7, 13, 10. A count is padded on the left to its column's width.
  const expected = [
    'variant      verdict    remote flushes  split flushes  skipped  pages flushed  SPs reused',
    '-----------  ---------  --------------  -------------  -------  -------------  ----------',
    'v7           pass                    2              1        1              0           1',
    'never-flush  violation               1              0        2              0           1',
  ].join('\n') + '\n';
  assert.equal(compareText([v7, never]), expected);
});

test('the full-scale column is there only when some row has a cost; a running one is an ellipsis', () => {
  // No cost at all (the CLI without --full-scale), or every row "not computed": seven columns.
  assert.equal(compareTable([v7, never]).head.length, 7);
  assert.equal(compareTable([{ ...v7, splitFlushesPer64G: FULL_SCALE_OFF }]).head.length, 7);
  // While the job runs (-1) the column is there and says so with "…"; a count shows as digits.
  const running = compareTable([{ ...v7, splitFlushesPer64G: FULL_SCALE_RUNNING }, { ...never, splitFlushesPer64G: 32832 }]);
  assert.equal(running.head[7], 'split flushes / 64 GiB');
  assert.deepEqual(running.rows.map((r) => r.cells[7]), ['…', '32832']);
  // The review view groups thousands with its own `count`: every count column, the cost too.
  const grouped = compareTable([{ ...never, pagesFlushed: 1048576, splitFlushesPer64G: 32832 }], { count: (n) => n.toLocaleString('en-US') });
  assert.deepEqual(grouped.rows[0].cells.slice(2), ['1', '0', '2', '1,048,576', '1', '32,832']);
  assert.deepEqual(grouped.numeric, [false, false, true, true, true, true, true, true]);
});

test('the terminal table with the full-scale column: its heading sets its width', () => {
  // "split flushes / 64 GiB" is 22 wide; 32832 is padded to it.
  const text = compareText([{ ...v7, splitFlushesPer64G: 32832 }]);
  assert.equal(text.split('\n')[2], `v7       pass                  2              1        1              0           1${' '.repeat(2 + 22 - 5)}32832`);
});

test('Markdown: a heading with the scenario and flush mode, the variant as code, a violation in bold capitals', () => {
  const expected = [
    '# Variants compared on reused-partial (bare-metal flushes)',
    '',
    '| variant | verdict | remote flushes | split flushes | skipped | pages flushed | SPs reused |',
    '|---|---|--:|--:|--:|--:|--:|',
    '| `v7` | pass | 2 | 1 | 1 | 0 | 1 |',
    '| `never-flush` | **VIOLATION** | 1 | 0 | 2 | 0 | 1 |',
    '',
  ].join('\n');
  assert.equal(compareMarkdown('reused-partial', 'bare-metal', [v7, never]), expected);
});

test('the view\'s verdict: PASS, or VIOLATION with how many', () => {
  assert.equal(verdictLabel(v7), 'PASS');
  assert.equal(verdictLabel({ ...never, violations: 3 }), 'VIOLATION (3)');
});

test('every word of the table goes through the translation it is given', () => {
  // A translation that marks what it touched: each heading, the verdicts, the Markdown title.
  const t = (m: string, ...args: (string | number)[]) => `«${m.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]))}»`;
  const table = compareTable([v7, never], { t });
  assert.ok(table.head.every((h) => h.startsWith('«')), table.head.join(' | '));
  assert.deepEqual(table.rows.map((r) => r.cells[1]), ['«pass»', '«violation»']);
  assert.match(compareMarkdown('s', 'range', [never], t), /^«# Variants compared on s \(range flushes\)»\n[^]*\*\*«VIOLATION»\*\*/);
  assert.equal(verdictLabel(never, t), '«VIOLATION (1)»');
});
