/** `kvm-mmu-lab patch` as a user meets it: exit 0 checks pass after (or nothing to check), 1 a violation after, 2 bad input, 3 not understood. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_SCENARIOS } from '../../src/scenario/builtins';

const root = join(__dirname, '..', '..');
const FX = join(root, 'test', 'fixtures', 'patch');
const SEED = '/work/shared/seed/000_59f67f44841b1267.txt';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'patch', ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('the seed: series, touched steps, before/after, checks for both in both flush modes, exit 1 for the range weakness', (t) => {
  if (!existsSync(SEED)) { t.skip(`${SEED} is not present (the shared seed directory is outside the repository)`); return; }
  const r = cli(SEED);
  // v7 fails reused-partial with a range-capable flush, as pre-patch did: a violation after the patch.
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /\[1\] v7 23\/23 KVM: x86\/mmu: Avoid unnecessary flush on eager page split/);
  assert.match(r.out, /modelled functions: drop_large_spte, __link_shadow_page, link_shadow_page, shadow_mmu_split_huge_page/);
  // Only the steps pre-patch or v7 has: not v6.3's _sptep flush nor the 2026 zap.
  assert.match(r.out, /modelled steps: .*dropLargeFlush,/);
  assert.doesNotMatch(r.out, /modelled steps: .*(dropLargeFlushSptep|linkZapFlush)/);
  assert.match(r.out, /^before: pre-patch$/m);
  assert.match(r.out, /^after: {2}v7$/m);
  // common-1g: pre-patch flushes 513 times in the split, v7 none (spec section 6), in either mode.
  assert.match(r.out, /checks \(before: pre-patch\), bare metal:\n {2}common-1g +PASS +\d+ remote flushes \(513 from eager split\)/);
  assert.match(r.out, /checks \(after: v7\), bare metal:\n {2}common-1g +PASS +\d+ remote flushes \(0 from eager split\)\n {2}reused-partial +PASS/);
  assert.match(r.out, /checks \(after: v7\), range-capable flush \(Hyper-V\):\n {2}common-1g +PASS +\d+ remote flushes \(0 from eager split\)\n {2}reused-partial +VIOLATION/);
  assert.match(r.out, /reused-partial, range-capable flush \(Hyper-V\): fails before and after the patch: the weakness predates it/);
  // The two 2026 use-after-free flows fail on both sides in both modes: pre-patch and v7 are v6.0-era
  // code (childReuse=present; rmap_remove()'s miss is a BUG()), the holes date from 2010.
  assert.match(r.out, /^verdict: pre-patch -> v7; bare metal: uaf-unexpected-gfn fails after the patch, as it did before, uaf-unexpected-role fails after the patch, as it did before; range-capable flush \(Hyper-V\): reused-partial fails after the patch, as it did before, uaf-unexpected-gfn fails after the patch, as it did before, uaf-unexpected-role fails after the patch, as it did before$/m);
  // On bare metal alone the split scenarios pass; the use-after-free flows still fail (exit 1), and
  // the review says they predate the patch.
  const bare = cli(SEED, '--flush-mode', 'bare-metal');
  assert.equal(bare.code, 1, bare.err);
  assert.match(bare.out, /checks \(after: v7\), bare metal:\n {2}common-1g +PASS[^\n]*\n {2}reused-partial +PASS[^\n]*\n {2}reused-leaf +PASS/);
  assert.match(bare.out, /uaf-unexpected-role, bare metal: fails before and after the patch: the weakness predates it/);
  assert.doesNotMatch(bare.out, /range-capable/);
  // One column for the verdicts: the names are padded to the longest (uaf-unexpected-role, 19), so
  // every PASS or VIOLATION starts at column 2 + 19 + 1 = 22.
  const rows = bare.out.split('\n').filter((l) => /^ {2}\S+ +(PASS|VIOLATION) /.test(l));
  assert.ok(rows.length >= 12, bare.out);
  assert.deepEqual(rows.map((l) => l.search(/(PASS|VIOLATION) /)), rows.map(() => 22), rows.join('\n'));
});

test('--flush-mode: both by default, one on request, anything else refused; the JSON names each row\'s mode', () => {
  const j = JSON.parse(cli(join(FX, 'seed-like.format-patch.patch'), '--json').out);
  assert.deepEqual(j.flushModes, ['bare-metal', 'range']);
  // Every built-in scenario (the review checks them all), each in the two modes.
  assert.deepEqual(j.checks.after.map((r: { scenario: string; flushMode: string }) => `${r.scenario}/${r.flushMode}`),
    BUILTIN_SCENARIOS.flatMap((n) => [`${n}/bare-metal`, `${n}/range`]));
  assert.deepEqual(BUILTIN_SCENARIOS.slice(0, 3), ['common-1g', 'reused-partial', 'reused-leaf']);
  assert.equal(j.outcome, 'violation');
  assert.equal(j.exitCode, 1);
  const range = JSON.parse(cli(join(FX, 'seed-like.format-patch.patch'), '--json', '--flush-mode', 'range').out);
  assert.deepEqual(range.flushModes, ['range']);
  assert.ok(range.checks.before.every((r: { flushMode: string }) => r.flushMode === 'range'));
  const bad = cli(join(FX, 'seed-like.format-patch.patch'), '--flush-mode', 'hyperv');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /'hyperv' is invalid.*bare-metal, range, both/);
});

test('--tree: blob verdict, per-hunk offsets and anchors; --json carries the same', () => {
  const tree = mkdtempSync(join(tmpdir(), 'kml-tree-'));
  mkdirSync(join(tree, 'arch/x86/kvm/mmu'), { recursive: true });
  copyFileSync(join(FX, 'src/pre-seed/mmu.c'), join(tree, 'arch/x86/kvm/mmu/mmu.c'));
  const r = cli(join(FX, 'seed-like.format-patch.patch'), '--tree', tree, '--flush-mode', 'bare-metal');
  // Exit 1: the 2026 use-after-free flows fail under v7 as under pre-patch (see the first test).
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /mmu\.c: pre-image \(blob cd8c0b3/);
  assert.match(r.out, /hunk 5 \(line 74\): applies at line 63, offset 0/);
  assert.match(r.out, /splitLink +arch\/x86\/kvm\/mmu\/mmu\.c:75 in shadow_mmu_split_huge_page\(\) \[renamed, 0\.9\]/);
  const j = JSON.parse(cli(join(FX, 'seed-like.format-patch.patch'), '--tree', tree, '--json', '--flush-mode', 'bare-metal').out);
  assert.equal(j.series.after.name, 'v7');
  assert.equal(j.blobChecks[0].check.verdict, 'pre-image');
  assert.equal(j.exitCode, 1);
});

test('a 2026-style patch that changes only __link_shadow_page(): the split scenarios pass, the use-after-free flows still fail', () => {
  // Only __link_shadow_page() changes (not kvm_mmu_get_child_sp()), so childReuse stays present:
  // no preset has zap-and-flush with it, and the after variant is named by its policies.
  const r = cli(join(FX, 'zap-and-flush.patch'));
  // With childReuse=present the second fault of each 2026 flow still walks into the old direct SP
  // (-EEXIST), so its leaf is filed off sp->gfn + index: zapping at link time never runs. Half of
  // 0cb2af2ea66a is not a fix, and the review says so (exit 1).
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /uaf-unexpected-gfn, bare metal: fails before and after the patch: the weakness predates it/);
  assert.match(r.out, /checks \(after: [^)]*\), bare metal:\n {2}common-1g +PASS[^\n]*\n {2}reused-partial +PASS[^\n]*\n {2}reused-leaf +PASS/);
  assert.match(r.out, /^before: v6\.3\nafter: {2}splitFlush=present-nonleaf,linkPresent=zap-and-flush,dropFlushRange=sptep-gfn,enableLogFlush=always,childReuse=present$/m);
});

test('not understood: exit 3, the lines and the steps named, no after variant', () => {
  const r = cli(join(FX, 'reused-flush.not-understood.patch'));
  assert.equal(r.code, 3);
  assert.match(r.out, /after: {2}\(not determined/);
  assert.match(r.out, /patch 1, hunk 1, line 20: \+if \(sp_was_reused\(sp\)\) {2}\(in shadow_mmu_split_huge_page\)/);
  assert.match(r.out, /modelled steps touched: .*splitPresentFlush/);
  assert.match(r.out, /^verdict: not understood: 2 changed line\(s\) in modelled functions \(shadow_mmu_split_huge_page\) match no classification rule; the after variant is not determined/m);
});

test('an earlier revision of the split series: one verdict in text and JSON, exit 3 (not "bad input")', () => {
  const r = cli(join(FX, 'rev-v6-nested.patch'));
  assert.equal(r.code, 3, r.err);
  assert.equal(r.err, '');
  assert.match(r.out, /modelled functions: nested_mmu_split_huge_page, nested_mmu_try_split_huge_page, kvm_mmu_slot_try_split_huge_pages/);
  assert.match(r.out, /^verdict: not understood: it adds nested_mmu_split_huge_page\(\) \(the model's shadow_mmu_split_huge_page\(\)\) whole/m);
  assert.doesNotMatch(r.out, /model is unchanged/);
  const j = JSON.parse(cli(join(FX, 'rev-v6-nested.patch'), '--json').out);
  assert.deepEqual([j.series.understood, j.outcome, j.exitCode], [false, 'not-understood', 3]);
  assert.ok(j.series.touchedFunctions.length > 0 && j.series.reasons.length > 0);
  assert.equal(j.series.before, undefined);
});

test('a cover letter, a pull request, a push notification: exit 0, every subject, the commit ids the mail has', () => {
  const cover = cli(join(FX, 'cover-letter.txt'));
  assert.equal(cover.code, 0, cover.err);
  assert.match(cover.out, /\[1\] v3 0\/3 mini: eager split flushes, revisited \(cover letter\)\n.*\n {4}lists 3 commit\(s\):\n {6}mini: skip the split flush/);
  assert.match(cover.out, /^verdict: no diff: cover letter listing 3 commit\(s\); nothing to classify or check$/m);
  const pull = cli(join(FX, 'pull-request.txt'));
  assert.equal(pull.code, 0, pull.err);
  assert.match(pull.out, /\[1\] \[GIT PULL\] mini: split flush changes for the next merge window \(pull request\)/);
  assert.match(pull.out, /base 111111111111, tip 444444444444/);
  assert.match(pull.out, / {6}444444444444 mini: zap the present SPTE when linking a table {2}\(Ada Example\)/);
  const push = cli(join(FX, 'push-notification.txt'));
  assert.equal(push.code, 0, push.err);
  assert.match(push.out, / {6}333333333333 mini: flush the dropped SPTE own range\n/);
});

test('a flood of malformed hunks: exit 2 with the first 20 problems and a count', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kml-flood-'));
  const f = join(dir, 'at.patch');
  // 5,000 '@@' lines: 5,001 problems (see patch.test.ts), 20 shown and one line for the rest.
  writeFileSync(f, '@@ -1,1 +1,1 @@\n'.repeat(5000));
  const r = cli(f);
  assert.equal(r.code, 2);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 21);
  assert.match(lines[20], /at\.patch:21: error: 4981 more problem\(s\) from this line on are not shown/);
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
