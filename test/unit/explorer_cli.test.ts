/**
 * kvm-mmu-lab explore as a user meets it: a clean result says "no violation within the bound",
 * names the bound and what the bound could not reach, and never "safe" (issue #18).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

function explore(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'explore', '--quiet', ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('never-flush within 2 operations and 1 access: exit 0, "within the bound", the bound, the unreached precondition and how to reach it', () => {
  // 2 operations and 1 access cannot build a reused child with a present non-leaf entry (it takes
  // 3 and 2: test/unit/explorer_goals.test.ts), so the clean result must name it as unreached.
  const r = explore('--variant', 'never-flush', '--ops', '2', '--accesses', '1');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^never-flush: no violation within the bound$/m);
  assert.match(r.out, /bound: E = 4 entries a table, .*at most 2 KVM operations and 1 guest access,/);
  assert.match(r.out, /not reached within this bound:\n( {4}- .*\n)* {4}- a reused child had a present non-leaf entry/);
  assert.match(r.out, /a larger --ops or --accesses \(now 2 and 1\)/);
  assert.doesNotMatch(r.out, /\bsafe\b/i);
});

test('--json carries every goal and whether it was reached', () => {
  const r = explore('--variant', 'never-flush', '--ops', '2', '--accesses', '1', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { verdict: string; reached: { goal: string; reached: boolean; text: string }[] };
  assert.equal(j.verdict, 'no violation within the bound');
  const nonleaf = j.reached.find((g) => g.goal === 'reused-child-present-nonleaf')!;
  assert.equal(nonleaf.reached, false);
  assert.match(nonleaf.text, /present non-leaf/);
  // Enabling logging within 2 operations does split a huge page a fault mapped before.
  assert.equal(j.reached.find((g) => g.goal === 'eager-split')!.reached, true);
});

test('the command\'s help promises no proof of safety', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'explore', '--help'], { encoding: 'utf8', cwd: root });
  assert.doesNotMatch(r.stdout, /prove|\bsafe\b/i);
  assert.match(r.stdout, /within a bound/);
});

test('--writes: the guest-tables scope\'s trapped writes find the unfixed kernel\'s hole in 4 transitions; the split scope refuses the option', () => {
  // 4 = access, the guest's write (its trap), its memory write, the other vCPU's access
  // (test/unit/explorer_trapped_writes.test.ts has the reasoning).
  const r = explore('--scope', 'guest-tables', '--writes', 'trapped', '--variant', 'mainline-2026-pre');
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /one trapped write \(the guest's store by either vCPU\) of PD\[0\]/);
  assert.match(r.out, /shortest counterexample: 4 transitions/);
  // The scope's default engine (since 2026-12-07; explorer_gt_default.test.ts).
  assert.match(r.out, /, packed engine\n/);
  const bad = explore('--writes', 'trapped');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--writes chooses the guest-tables scope's guest-table writes; use it with --scope guest-tables/);
  const window = explore('--fault-window');
  assert.equal(window.code, 2);
  assert.match(window.err, /--fault-window is the guest-tables scope's; use it with --scope guest-tables/);
});

test('--delete-tables and slotZap=memslot: the quirk-off variant runs where the era has it; the option belongs to the guest-tables scope', () => {
  // access, write, access: the rmap disagreement needs no deletion (explorer_slot_zap.test.ts).
  const r = explore('--scope', 'guest-tables', '--delete-tables', '--variant', 'mainline-2026-pre+slotZap=memslot');
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /the deletion of memslot 1 \(R1\) and of memslot 0 \(the guest tables\)/);
  assert.match(r.out, /shortest counterexample: 3 transitions/);
  const bad = explore('--delete-tables');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--delete-tables is the guest-tables scope's; use it with --scope guest-tables/);
  const era = explore('--scope', 'guest-tables', '--variant', 'v6.3+slotZap=memslot');
  assert.equal(era.code, 2);
  assert.match(era.err, /KVM_X86_QUIRK_SLOT_ZAP_ALL \(added in v6\.12\)/);
});
