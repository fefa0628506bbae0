/**
 * What-if (src/run/whatif.ts) on the built-in reused-partial under never-flush, whose walk is
 * (kvm-mmu-lab run reused-partial -v never-flush):
 *   0-5   #0 vCPU 0 writes L2 0x40000 via B: fault, sp#2[1] = 1G leaf, tlb#1 (1G, W)
 *   6-8   #1 enable-dirty-logging (manual-protect, initially-set): slots_lock taken at 6, released at 8
 *   9-16  #2 vCPU 1 writes L2 0x205 via A: fault, sp#4 (direct, level 2), sp#5 maps gfn 0x40205
 *   17    #3 clear-dirty-log takes slots_lock and mmu_lock; 18 its first word
 *   19    the split's write_unlock(mmu_lock) before it splits (need_topup_split_caches_or_resched)
 *   20    write_lock(mmu_lock) again; 21-27 the split reusing sp#4, 25 drops sp#2[1], 26 skips the flush
 *   28-42 the write-protect of the words; 43 KVM_MMU_UNLOCK: stale-tlb (vCPU 0's tlb#1), paused "clear"
 *   44-48 #4 invalidate gfn 0x40300; 49 vCPU 0 writes 0x40300 via the stale tlb#1: use-after-free
 *   50-51 the clear resumed: memslot flush, slots_lock released; 52-53 #7 get-dirty-log. 54 steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinScenarioText } from '../../src/scenario/builtins';
import { parseScenario } from '../../src/scenario/parse';
import { parseVariant } from '../../src/kernel/variants';
import { runScenario } from '../../src/run/run';
import { whatIfBranch, whatIfChoices, whatIfSource, type WhatIfChoice, type WhatIfPoint } from '../../src/run/whatif';

const src = whatIfSource(builtinScenarioText('reused-partial')!, 'builtin:reused-partial');
const neverFlush = { variant: parseVariant('never-flush') };

function pick(p: WhatIfPoint, match: Record<string, unknown>): WhatIfChoice {
  const c = p.choices.find((x) => x.op && Object.entries(match).every(([k, v]) => x.op![k] === v));
  assert.ok(c, `no choice ${JSON.stringify(match)} after step ${p.at}`);
  return c;
}

test('after the split drops mmu_lock (step 19): accesses by both vCPUs through both roots, invalidations; no other memslot ioctl, because the clear holds slots_lock', () => {
  const p = whatIfChoices(src, neverFlush, 19);
  assert.equal(p.step.kind, 'resched');
  assert.equal(p.onlyContinue, undefined, 'the clear holds slots_lock here, not mmu_lock');
  const accesses = p.choices.filter((c) => c.kind === 'access');
  // The pages: each 1G mapping's first page, the next, the first of its second 2M page and the
  // next (gfn 0x40000, 0x40001, 0x40200, 0x40201), the accesses' gfns 0x40205 and 0x40300, and
  // the invalidation's 0x40300: 6 gfns; both roots map all of them (A at L2 gfn - 0x40000, B at
  // L2 = gfn); 2 vCPUs, read and write: 6 x 2 x 2 x 2 = 48.
  assert.equal(accesses.length, 48);
  assert.deepEqual([...new Set(accesses.map((c) => c.op!.vcpu))], [0, 1]);
  assert.deepEqual([...new Set(accesses.map((c) => c.op!.root))].sort(), ['A', 'B']);
  assert.deepEqual([...new Set(accesses.filter((c) => c.op!.root === 'A').map((c) => c.op!.addr))].sort(), ['0x0', '0x1', '0x200', '0x201', '0x205', '0x300']);
  assert.ok(accesses.every((c) => !c.disabled), 'no lock stops a vCPU here: the clear holds no mmu_lock and the vCPUs are not inside KVM');
  assert.match(pick(p, { op: 'access', vcpu: 0, root: 'B', addr: '0x40300', kind: 'write' }).label, /^vCPU 0 writes L2 gfn 0x40300 \(gfn 0x40300\) via root B$/);
  // kvm_vm_ioctl_get_dirty_log() takes slots_lock, which the paused KVM_CLEAR_DIRTY_LOG holds until it returns.
  const get = pick(p, { op: 'get-dirty-log' });
  assert.match(get.disabled ?? '', /needs slots_lock .*#3 clear-dirty-log \(KVM_CLEAR_DIRTY_LOG\) holds slots_lock/);
  assert.match(pick(p, { op: 'clear-dirty-log' }).disabled ?? '', /slots_lock/);
  // The notifier takes no slots_lock: every invalidation may come.
  const inval = p.choices.filter((c) => c.op?.op === 'invalidate');
  assert.deepEqual(inval.map((c) => c.op!.gfn), ['0x40000', '0x40001', '0x40200', '0x40201', '0x40205', '0x40300']);
  assert.ok(inval.every((c) => !c.disabled));
  assert.equal(p.choices.filter((c) => c.kind === 'resume').length, 0, 'nothing is paused at step 19');
  assert.equal(p.choices[0].kind, 'continue');
});

test('inside a section under mmu_lock (step 20, the split re-took it): of KVM only the clear continues; guest accesses that do not fault may still come', () => {
  const p = whatIfChoices(src, neverFlush, 20);
  assert.match(p.onlyContinue ?? '', /#3 clear-dirty-log holds mmu_lock/);
  assert.deepEqual([...new Set(p.choices.map((c) => c.kind))], ['continue', 'access'], 'no operation, invalidation or resume');
  const accesses = p.choices.filter((c) => c.kind === 'access');
  assert.equal(accesses.length, 48);
  // At step 20 the split has not run: root B still maps all of the region with its 1G leaf
  // sp#2[1] (and vCPU 0 holds tlb#1), so its 6 pages are served without a fault; root A maps only
  // gfn 0x40205 (sp#4[1] -> sp#5[5]), so its 5 other pages fault, and the fault waits for mmu_lock:
  // 5 pages x 2 vCPUs x read/write = 20 refused, the other 28 not.
  const refused = accesses.filter((c) => c.disabled);
  assert.equal(refused.length, 20);
  assert.ok(refused.every((c) => c.op!.root === 'A' && c.op!.addr !== '0x205'));
  assert.match(refused[0].disabled!, /the access faults, and the fault needs mmu_lock, but #3 clear-dirty-log \(KVM_CLEAR_DIRTY_LOG\) holds mmu_lock/);
  assert.throws(() => whatIfBranch(src, neverFlush, 20, refused[0].number), /cannot come after step 20/);
});

test('inside a fault (step 2) only the fault continues: a scenario runs an access\'s fault whole', () => {
  const p = whatIfChoices(src, neverFlush, 2);
  assert.match(p.onlyContinue ?? '', /#0 fault runs to its end/);
  assert.deepEqual(p.choices.map((c) => c.kind), ['continue']);
  assert.throws(() => whatIfBranch(src, neverFlush, 2, 2), /choice 2 is not offered after step 2: choose 1 to 1/);
});

test('an access in the mmu_lock section, between the huge SPTE\'s drop (step 25) and the skipped flush: vCPU 0 writes through its stale 1G entry', () => {
  const p = whatIfChoices(src, neverFlush, 25);
  const c = pick(p, { op: 'access', vcpu: 0, root: 'B', addr: '0x40200', kind: 'write' });
  assert.equal(c.disabled, undefined, 'a TLB hit takes no lock');
  const t = runScenario(whatIfBranch(src, neverFlush, 25, c.number).scenario, neverFlush);
  // Step 26 is the write, a hit on tlb#1 although sp#2[1] is gone since step 25; the clear then
  // goes on one step later than in the walk: its skipped flush at 27 (26 in the walk), its
  // mmu_lock release and the stale-tlb check at 44 (43), the memslot flush and return at 45 and 46:
  // 47 steps.
  assert.match(t.steps[26].text, /TLB hit on tlb#1/);
  assert.equal(t.steps[27].kind, 'flush-skipped');
  assert.deepEqual(t.violations.map((v) => [v.step, v.kind, v.staleSince, v.skippedFlush]), [[44, 'stale-tlb', 25, 27]]);
  assert.equal(t.steps.length, 47);
});

test('after the invalidation ends (step 48) the paused clear may be resumed instead of the access', () => {
  const p = whatIfChoices(src, neverFlush, 48);
  const resume = p.choices.filter((c) => c.kind === 'resume');
  assert.deepEqual(resume.map((c) => c.op), [{ op: 'resume', target: 'clear' }]);
  assert.equal(resume[0].disabled, undefined);
});

test('a branch that avoids the violation: invalidate gfn 0x40000 in the split\'s lock drop (after step 19)', () => {
  const p = whatIfChoices(src, neverFlush, 19);
  const c = pick(p, { op: 'invalidate', gfn: '0x40000' });
  const b = whatIfBranch(src, neverFlush, 19, c.number);
  // The clear is paused after its 3 steps (17, 18, 19), and the invalidation is the last operation.
  const ops = b.file.operations as Array<Record<string, unknown>>;
  assert.equal(ops.length, 5);
  assert.deepEqual(ops[3].pause, { afterSteps: 3 });
  assert.deepEqual(ops[4], { op: 'invalidate', gfn: '0x40000', pages: 1 });
  const t = runScenario(b.scenario, neverFlush);
  // 20-24: the invalidation: lock, B's 1G SPTE sp#2[1] covers gfn 0x40000 and is zapped, so the
  // flush is issued (tlb#1 and tlb#2 go), unlock, end and free. 25: the clear, finished at the
  // end, re-takes mmu_lock: no huge SPTE is left, so the split's 7 steps (21-27 of the walk) are
  // not there; 26 the first word's write-protect, 27-40 the 7 other words (2 steps each), 41 the
  // unlock, 42 the memslot flush, 43 slots_lock released: 44 steps, no stale TLB entry anywhere.
  assert.equal(t.steps.length, 44);
  assert.equal(t.steps[21].writeCount, 1);
  assert.equal(t.steps[22].flush?.issued, true);
  assert.equal(t.verdict, 'pass');
  assert.equal(runScenario(src.scenario, neverFlush).verdict, 'violation', 'the walk it branched from fails');
});

test('a branch that reaches the walk\'s use-after-free and stops there: after step 48, vCPU 0 writes 0x40300 via B', () => {
  const p = whatIfChoices(src, neverFlush, 48);
  const c = pick(p, { op: 'access', vcpu: 0, root: 'B', addr: '0x40300', kind: 'write' });
  const t = runScenario(whatIfBranch(src, neverFlush, 48, c.number).scenario, neverFlush);
  // Step 49 is the access through the stale tlb#1 to the freed page, as in the walk; the paused
  // clear then finishes (50 the memslot flush, 51 return) and there is no get-dirty-log: 52 steps.
  assert.deepEqual(t.violations.map((v) => [v.step, v.kind]), [[43, 'stale-tlb'], [49, 'use-after-free']]);
  assert.equal(t.steps.length, 52);
});

test('the saved branch round-trips through the reader and runs the same', () => {
  const p = whatIfChoices(src, neverFlush, 19);
  const b = whatIfBranch(src, neverFlush, 19, pick(p, { op: 'access', vcpu: 1, root: 'A', addr: '0x300', kind: 'read' }).number);
  const again = parseScenario(b.text, 'branch.scenario.json');
  assert.deepEqual(again, b.scenario);
  assert.equal(again.name, 'reused-partial-whatif-19-' + pick(p, { op: 'access', vcpu: 1, root: 'A', addr: '0x300', kind: 'read' }).number);
  assert.equal(again.expect, undefined, 'the original\'s expectations are not the branch\'s');
  assert.ok(!('$schema' in b.file));
  // Its first 20 steps are the walk's.
  const walk = runScenario(src.scenario, neverFlush).steps;
  const branch = runScenario(again, neverFlush).steps;
  for (let i = 0; i < 20; i++) assert.equal(branch[i].text, walk[i].text, `step ${i}`);
  assert.equal(branch[20].opLabel, '#4 access');
});

test('bad input: a step out of range, a choice not offered, one the locks forbid', () => {
  assert.throws(() => whatIfChoices(src, neverFlush, 54), /step 54 is out of range: the walk of reused-partial has 54 steps \(0 to 53\)/);
  assert.throws(() => whatIfBranch(src, neverFlush, 19, 59), /choice 59 is not offered after step 19: choose 1 to 58/);
  const get = pick(whatIfChoices(src, neverFlush, 19), { op: 'get-dirty-log' });
  assert.throws(() => whatIfBranch(src, neverFlush, 19, get.number), /cannot come after step 19: .*slots_lock/);
});

const root = join(__dirname, '..', '..');
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('CLI: whatif lists the choices, --choose runs and saves the branch, mistakes exit 2 with one line', () => {
  const list = cli('whatif', 'reused-partial', '-v', 'never-flush', '--at', '19');
  assert.equal(list.code, 0);
  assert.match(list.out, /^after step 19 of reused-partial \(#3 clear-dirty-log: resched\):\n {3}1\. continue as written/);
  assert.match(list.out, /KVM_GET_DIRTY_LOG on slot 0 {2}\[not possible\]\n\s+get-dirty-log needs slots_lock/);
  const under = cli('whatif', 'reused-partial', '-v', 'never-flush', '--at', '2');
  assert.match(under.out, /only the same operation can continue here/);
  const file = join(mkdtempSync(join(tmpdir(), 'whatif-')), 'b.scenario.json');
  const n = /(\d+)\. mmu-notifier invalidation of gfn 0x40000/.exec(list.out)![1];
  const run = cli('whatif', 'reused-partial', '-v', 'never-flush', '--at', '19', '--choose', n, '--save', file);
  assert.equal(run.code, 0, run.err);
  assert.equal(run.out, `reused-partial-whatif-19-${n}: PASS in 44 steps (saved to ${file})\n`);
  assert.equal(parseScenario(readFileSync(file, 'utf8'), file).operations.length, 5);
  const bad = (args: string[], message: RegExp) => {
    const r = cli('whatif', 'reused-partial', '-v', 'never-flush', ...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, message);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  };
  bad(['--at', '54'], /step 54 is out of range/);
  bad(['--at', '19', '--choose', '0'], /choice 0 is not offered after step 19: choose 1 to 58/);
  bad(['--at', '-1'], /--at|unknown option/);
  bad(['--at', 'x'], /expected a step number/);
  bad(['--at', '19', '--save', file], /--save and --trace need --choose/);
  bad(['--at', '2', '--choose', '2'], /not offered after step 2: choose 1 to 1/);
  bad(['--at', '20', '--choose', '2'], /choice 2 \(vCPU 0 writes L2 gfn 0x0 \(gfn 0x40000\) via root A\) cannot come after step 20: the access faults, and the fault needs mmu_lock/);
  bad([], /required option '--at <step>'/);
});
