/** `kvm-mmu-lab patch` as a user meets it: exit 0 checks pass after, 1 a violation after, 2 bad input or not understood. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const FX = join(root, 'test', 'fixtures', 'patch');
const SEED = '/work/shared/seed/000_59f67f44841b1267.txt';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), 'patch', ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('the seed: series, touched steps, before/after, checks for both, exit 0', (t) => {
  if (!existsSync(SEED)) { t.skip(`${SEED} is not present (the shared seed directory is outside the repository)`); return; }
  const r = cli(SEED);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\[1\] v7 23\/23 KVM: x86\/mmu: Avoid unnecessary flush on eager page split/);
  assert.match(r.out, /modelled functions: drop_large_spte, __link_shadow_page, link_shadow_page, shadow_mmu_split_huge_page/);
  assert.match(r.out, /^before: pre-patch$/m);
  assert.match(r.out, /^after: {2}v7$/m);
  // common-1g: pre-patch flushes 513 times in the split, v7 none (spec section 6).
  assert.match(r.out, /checks \(before: pre-patch\):\n {2}common-1g +PASS +\d+ remote flushes \(513 from eager split\)/);
  assert.match(r.out, /checks \(after: v7\):\n {2}common-1g +PASS +\d+ remote flushes \(0 from eager split\)/);
});

test('--tree: blob verdict, per-hunk offsets and anchors; --json carries the same', () => {
  const tree = mkdtempSync(join(tmpdir(), 'kml-tree-'));
  mkdirSync(join(tree, 'arch/x86/kvm/mmu'), { recursive: true });
  copyFileSync(join(FX, 'src/pre-seed/mmu.c'), join(tree, 'arch/x86/kvm/mmu/mmu.c'));
  const r = cli(join(FX, 'seed-like.format-patch.patch'), '--tree', tree);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /mmu\.c: pre-image \(blob cd8c0b3/);
  assert.match(r.out, /hunk 5 \(line 74\): applies at line 63, offset 0/);
  assert.match(r.out, /splitLink +arch\/x86\/kvm\/mmu\/mmu\.c:75 in shadow_mmu_split_huge_page\(\) \[renamed, 0\.9\]/);
  const j = JSON.parse(cli(join(FX, 'seed-like.format-patch.patch'), '--tree', tree, '--json').out);
  assert.equal(j.series.after.name, 'v7');
  assert.equal(j.blobChecks[0].check.verdict, 'pre-image');
  assert.equal(j.exitCode, 0);
});

test('a 2026-style patch: after is mainline-2026, checks pass', () => {
  const r = cli(join(FX, 'zap-and-flush.patch'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^before: v6\.3\nafter: {2}mainline-2026$/m);
});

test('not understood: exit 2, the lines and the steps named, no after variant', () => {
  const r = cli(join(FX, 'reused-flush.not-understood.patch'));
  assert.equal(r.code, 2);
  assert.match(r.out, /after: {2}\(not determined/);
  assert.match(r.out, /patch 1, hunk 1, line 20: \+if \(sp_was_reused\(sp\)\) {2}\(in shadow_mmu_split_huge_page\)/);
  assert.match(r.out, /modelled steps touched: .*splitPresentFlush/);
});

test('bad input: exit 2 with file, line and expectation; never a stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kml-bad-'));
  const empty = join(dir, 'empty.patch');
  writeFileSync(empty, '');
  const e = cli(empty);
  assert.equal(e.code, 2);
  assert.match(e.err, /empty\.patch:1: error: the input is empty; expected a patch/);
  const bin = join(dir, 'bin.patch');
  writeFileSync(bin, Buffer.from([0x64, 0x69, 0x66, 0x66, 0x0a, 0x00, 0x01]));
  const b = cli(bin);
  assert.equal(b.code, 2);
  assert.match(b.err, /bin\.patch:2: binary data/);
  const other = cli(join(FX, 'other-file.diff'));
  assert.equal(other.code, 2);
  assert.match(other.err, /other-file\.diff:1: error: the patch changes README, none of which holds a modelled step; expected a change to arch\/x86\/kvm\/mmu\/mmu\.c/);
  const missing = cli(join(dir, 'nope.patch'));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nope\.patch: cannot read it/);
  assert.doesNotMatch(e.err + b.err + other.err + missing.err, /\n\s+at /, 'no stack trace');
});

test('a patch that makes the split never flush: after is never-flush, reused-partial fails, exit 1', () => {
  const r = cli(join(FX, 'never-flush.unified.diff'));
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /^before: v7\nafter: {2}never-flush$/m);
  // Spec section 6, scenario 2: never-flush leaves a stale 1G entry and a write to a freed page.
  assert.match(r.out, /reused-partial +VIOLATION/);
  assert.match(r.out, /stale-tlb \(unmapped\)/);
});
