/**
 * kvm-mmu-lab explore's progress on stderr, for every engine: `--progress-interval 0` asks for a
 * line after every slice of work (a slice then ends at its first check of the clock: one state's
 * successors in the packed engine, 16 states' in the core one, a level in the parallel search), so
 * a search of more than one level prints lines whatever the machine's speed; nothing here is timed.
 * Each line must be the one wording (src/view/explore_progress.ts) with the budget as its cap, and
 * its counts must only grow and end at most at the result's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PRESETS } from '../../src/kernel/variants';

const root = join(__dirname, '..', '..');
/** A bound every engine searches in a second or two: E = 2, 3 operations (faults, enable and clear), 1 access; 1,629 states, 35 levels for v7. */
const SMALL = ['--entries', '2', '--ops', '3', '--accesses', '1', '--kinds', 'enable,clear'];

function explore(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'explore', '--json', '--max-memory', '1000', '--progress-interval', '0', ...args], { encoding: 'utf8', cwd: root, timeout: 300_000, maxBuffer: 256 * 2 ** 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const LINE = /^explore (\S+): depth (\d+), ([\d,]+) states, ([\d,]+) states\/s \(average ([\d,]+)\), ([\d,]+) MiB of the ([\d,]+) MiB memory cap \((\d+)%\), (\d+\.\d) s$/;
const num = (s: string) => Number(s.replace(/,/g, ''));

interface Line { label: string; depth: number; states: number; capMiB: number }

/** Every stderr line, each required to be a progress line. */
function progressLines(err: string): Line[] {
  const lines = err.split('\n').filter((l) => l !== '');
  return lines.map((l) => {
    const m = LINE.exec(l);
    assert.ok(m, `not a progress line: ${JSON.stringify(l)}`);
    return { label: m[1], depth: Number(m[2]), states: num(m[3]), capMiB: num(m[7]) };
  });
}

/** The lines of one search: at least one, the cap the budget, counts that never go back and end at most at the result's. */
function checkSearch(lines: Line[], result: { states: number; depth: number }, capMiB: number): void {
  assert.ok(lines.length >= 1, 'at least one progress line');
  for (const [i, l] of lines.entries()) {
    assert.equal(l.capMiB, capMiB, 'the cap shown is the one --max-memory set');
    if (i > 0) {
      assert.ok(l.states >= lines[i - 1].states, `states went back at line ${i}`);
      assert.ok(l.depth >= lines[i - 1].depth, `depth went back at line ${i}`);
    }
  }
  const last = lines[lines.length - 1];
  assert.ok(last.states <= result.states && last.depth <= result.depth, `the last line (${last.states} states, depth ${last.depth}) is past the result (${result.states}, ${result.depth})`);
}

// The whole budget of 1,000 MiB is the cap of one search, on one thread or several (the threads'
// stores summed against it: each thread stops at its share, docs/explorer.md).
for (const [name, args] of [
  ['core engine', ['--engine', 'core', ...SMALL]],
  ['packed engine', SMALL],
  ['two workers', ['--workers', '2', ...SMALL]],
  ['hash compaction', ['--hash-compact', ...SMALL]],
  // The guest-tables scope: its packed engine (the default since 2026-12-07), and its core one.
  ['guest-tables scope', ['--scope', 'guest-tables']],
  ['guest-tables scope, core engine', ['--scope', 'guest-tables', '--engine', 'core']],
] as const) {
  test(`${name}: stderr has progress lines in the one wording, with the budget as the cap`, () => {
    const r = explore('--variant', 'v7', ...args);
    assert.ok(r.code === 0 || r.code === 1, `a verdict, not ${r.code}: ${r.err.slice(-500)}`);
    const lines = progressLines(r.err);
    assert.ok(lines.every((l) => l.label === 'v7'));
    checkSearch(lines, JSON.parse(r.out) as { states: number; depth: number }, 1000);
  });
}

test('--variant all: each preset\'s lines are labelled with it and capped at its worker\'s share (half the budget)', () => {
  const r = explore('--variant', 'all', ...SMALL);
  assert.ok(r.code === 0 || r.code === 1, r.err.slice(-500));
  const rows = JSON.parse(r.out) as Array<{ variant: string; states: number; depth: number }>;
  const lines = progressLines(r.err);
  for (const row of rows) {
    // A preset that stops at its first violation within one slice prints nothing; the others print theirs.
    const own = lines.filter((l) => l.label === row.variant);
    if (own.length) checkSearch(own, row, 500);
  }
  assert.ok(PRESETS.filter((p) => lines.some((l) => l.label === p.name)).length >= 2, 'most presets printed lines');
});

test('--quiet: no progress at all; a bad --progress-interval is refused naming the option', () => {
  const quiet = explore('--variant', 'v7', '--quiet', ...SMALL);
  assert.equal(quiet.code, 0, quiet.err);
  assert.equal(quiet.err, '');
  const bad = explore('--variant', 'v7', ...SMALL, '--progress-interval', 'soon');
  assert.equal(bad.code, 2);
  // With --json the usage error is JSON on stdout.
  assert.match(bad.out, /--progress-interval expects a whole number from 0 to 3600000, got 'soon'/);
});
