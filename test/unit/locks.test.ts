/**
 * The lock table (src/machine/locks.ts) against the kernel's rules, as docs/locking.md reads them:
 * the runner refuses each interleaving the kernel cannot produce, with the lock and the reason,
 * and allows the ones it can; the table agrees with the machine's own mmu_lock flag on every step;
 * docs/locking.md holds the table the code has.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ScenarioRun, ScenarioRunError } from '../../src/run/runner';
import { holdsLock, lockTableMarkdown, LOCK_TABLE, lockPoint } from '../../src/machine/locks';
import { parseScenario } from '../../src/scenario/parse';
import { BUILTIN_SCENARIOS } from '../../src/scenario/builtins';
import type { Scenario } from '../../src/scenario/types';
import { findPreset, parseVariant, PRESETS } from '../../src/kernel/variants';
import { SPTE_LARGE, SPTE_PRESENT, SPTE_WRITABLE } from '../../src/kernel/spte';
import { scenario } from './helpers';
import { scenarioArb, Tally } from './random_scenarios';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * A small scope (4 entries a table, the explorer's): roots A and B alias gfns 16..31 through a
 * level-3 ("1G") guest mapping; one 64-page memslot on a huge host page. Each operation is on a
 * line of its own, so line N + 12 is operation N (the header below is 12 lines).
 */
function small(ops: string[]): Scenario {
  const text = [
    '{',
    '  "name": "locks", "title": "locks", "description": "lock rules",',
    '  "entries": 4,',
    '  "memslots": [ { "id": 0, "baseGfn": 0, "pages": 64, "hostPfn": 64, "hostPageSize": "1G" } ],',
    '  "roots": [',
    '    { "name": "A", "guestTableGfn": "0x1000", "mappings": [ { "l2": 0, "gfn": 16, "size": "1G" } ] },',
    '    { "name": "B", "guestTableGfn": "0x2000", "mappings": [ { "l2": 16, "gfn": 16, "size": "1G" } ] }',
    '  ],',
    '  "vcpus": 2,',
    '  "operations": [',
    '',
    '',
    ops.join(',\n'),
    '  ]',
    '}',
  ].join('\n');
  return parseScenario(text, 'locks.json');
}
const LINE0 = 13;

function runAll(s: Scenario, preset = 'v7'): ScenarioRun {
  const r = new ScenarioRun(s, { variant: findPreset(preset)! });
  r.runToEnd();
  return r;
}

function refused(s: Scenario, op: number, pattern: RegExp): void {
  assert.throws(() => runAll(s), (e: Error) => {
    assert.ok(e instanceof ScenarioRunError, `not a ScenarioRunError: ${e.stack}`);
    assert.equal(e.opIndex, op, e.message);
    assert.match(e.message, new RegExp(`^operation ${op} \\(line ${LINE0 + op}\\): `), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

const FAULT_VIA_B = '{ "op": "access", "vcpu": 0, "root": "B", "addr": 16, "kind": "write" }';
const ENABLE_IS = '{ "op": "enable-dirty-logging", "id": "enable", "manualProtect": true, "initiallySet": true }';
const ENABLE_CLASSIC_PAUSED = '{ "op": "enable-dirty-logging", "id": "enable", "pause": "unlock" }';

test('two memslot ioctls never overlap: KVM_CLEAR_DIRTY_LOG inside a paused KVM_SET_USER_MEMORY_REGION is refused, slots_lock named', () => {
  // Enabling classic logging pauses at its first mmu_lock release (after the split, with
  // slots_lock held by kvm_set_memory_region() until it returns); a clear then would take
  // slots_lock in kvm_vm_ioctl_clear_dirty_log().
  const s = small([FAULT_VIA_B, ENABLE_CLASSIC_PAUSED, '{ "op": "get-dirty-log" }', '{ "op": "resume", "target": "enable" }']);
  refused(s, 2, /get-dirty-log needs slots_lock for its first step, but #1 enable-dirty-logging \(KVM_SET_USER_MEMORY_REGION\) holds slots_lock from its entry until it returns, and #2 get-dirty-log \(KVM_GET_DIRTY_LOG\) takes it too \(kvm_vm_ioctl_get_dirty_log\(\): mutex_lock\(&kvm->slots_lock\)\): two memslot ioctls never overlap/);
});

test('enabling logging waits for an invalidation between range_start and range_end (kvm_swap_active_memslots): refused', () => {
  // The invalidation pauses after KVM_MMU_UNLOCK, before invalidate_range_end:
  // mn_active_invalidate_count is still raised, so the memslot update cannot install the new
  // memslots. The old runner let this run (the invalidation held no mmu_lock and no slots_lock).
  const s = small([FAULT_VIA_B, '{ "op": "invalidate", "id": "inv", "gfn": 40, "pause": "unlock" }', ENABLE_IS, '{ "op": "resume", "target": "inv" }']);
  refused(s, 2, /enable-dirty-logging needs invalidation for its first step, but #1 invalidate is between invalidate_range_start and invalidate_range_end \(kvm->mn_active_invalidate_count is raised\), and kvm_swap_active_memslots\(\) does not install the new memslots until it is 0/);
  // Resumed first, the same operations run.
  const ok = small([FAULT_VIA_B, '{ "op": "invalidate", "id": "inv", "gfn": 40, "pause": "unlock" }', '{ "op": "resume", "target": "inv" }', ENABLE_IS]);
  assert.ok(runAll(ok).finished);
});

test('the notifier takes no slots_lock: an invalidation runs in a clear\'s window between KVM_MMU_UNLOCK and its memslot flush', () => {
  const s = scenario('reused-partial');
  const r = runAll(s);
  const inv = r.machine.steps.filter((st) => st.opLabel.endsWith('invalidate'));
  const flush = r.machine.steps.find((st) => st.kind === 'flush' && st.anchor.fn === 'kvm_clear_dirty_log_protect')!;
  assert.ok(inv.length === 5 && inv.every((st) => st.index < flush.index), 'the whole invalidation ran before the clear\'s flush');
});

test('mmu_lock is exclusive: an operation whose first step takes it cannot start while a paused one holds it', () => {
  // The invalidation pauses after one step, holding mmu_lock (KVM_MMU_LOCK in __kvm_handle_hva_range()).
  const s = small([FAULT_VIA_B, '{ "op": "invalidate", "id": "inv", "gfn": 40, "pause": { "afterSteps": 1 } }', '{ "op": "access", "vcpu": 1, "root": "A", "addr": 5, "kind": "write" }']);
  refused(s, 2, /the access faults, and the fault needs mmu_lock, but #1 invalidate holds mmu_lock for write \(since kvm_mmu_notifier_invalidate_range_start\(\).*KVM_MMU_LOCK\(kvm\).*\), and the next step of #2 fault takes it \(FNAME\(page_fault\): write_lock\(&vcpu->kvm->mmu_lock\)/);
});

test('a manual-protect KVM_GET_DIRTY_LOG takes no mmu_lock: it may run while an invalidation holds it (the old runner refused it)', () => {
  const s = small([FAULT_VIA_B, '{ "op": "enable-dirty-logging", "manualProtect": true }', '{ "op": "invalidate", "id": "inv", "gfn": 40, "pause": { "afterSteps": 1 } }', '{ "op": "get-dirty-log" }', '{ "op": "resume", "target": "inv" }']);
  const r = runAll(s);
  const get = r.machine.steps.filter((st) => st.opLabel.endsWith('get-dirty-log'));
  const free = r.machine.steps.find((st) => st.kind === 'host-free')!;
  assert.equal(get.length, 2);
  assert.ok(get.every((st) => st.lockHeld && st.index < free.index), 'the harvest ran while the invalidation held mmu_lock');
});

test('a paused operation resumes while another holds mmu_lock when its next step does not take it, and not when it does', () => {
  // The clear pauses after KVM_MMU_UNLOCK; an invalidation then pauses holding mmu_lock. The
  // clear's next steps (the memslot flush, the return) take no mmu_lock: it resumes and returns.
  const base = [FAULT_VIA_B, ENABLE_IS, '{ "op": "clear-dirty-log", "id": "clear", "first": 0, "pages": 64, "pause": "unlock" }',
    '{ "op": "invalidate", "id": "inv", "gfn": 40, "pause": { "afterSteps": 1 } }'];
  const ok = runAll(small([...base, '{ "op": "resume", "target": "clear" }', '{ "op": "resume", "target": "inv" }']));
  const clearEnd = ok.machine.steps.find((st) => st.opLabel.endsWith('clear-dirty-log') && st.kind === 'op-end')!;
  assert.ok(clearEnd.lockHeld, 'KVM_CLEAR_DIRTY_LOG returned while the invalidation held mmu_lock');
  // The invalidation's last step (invalidate_range_end) takes mmu_lock: paused at 'free' it cannot
  // go on while the clear holds the lock inside its loop.
  const s = small([FAULT_VIA_B, ENABLE_IS, '{ "op": "invalidate", "id": "inv", "gfn": 40, "pause": "unlock" }',
    '{ "op": "clear-dirty-log", "id": "clear", "first": 0, "pages": 64, "pause": { "afterSteps": 1 } }', '{ "op": "resume", "target": "inv" }', '{ "op": "resume", "target": "clear" }']);
  refused(s, 4, /resuming #2 invalidate needs mmu_lock for its next step, but #3 clear-dirty-log \(KVM_CLEAR_DIRTY_LOG\) holds mmu_lock for write .*kvm_mmu_notifier_invalidate_range_end\(\)/);
});

test('the table agrees with the machine: mmu_lock is held exactly when the table says an in-flight operation holds it, by one at most, and slots_lock by one at most', (t) => {
  const check = (s: Scenario, preset: string) => {
    const r = new ScenarioRun(s, { variant: findPreset(preset)! });
    let st;
    while ((st = r.step())) {
      const frames = r.inFlight();
      const state = r.machine.state;
      const mmu = frames.filter((f) => holdsLock(f, state, 'mmu_lock'));
      const slots = frames.filter((f) => holdsLock(f, state, 'slots_lock'));
      assert.equal(mmu.length > 0, state.mmuLockHeld, `${s.name}/${preset} step ${st.index} (${st.text}): table ${mmu.map((f) => `${f.label}@${lockPoint(f, state)}`)} vs machine ${state.mmuLockHeld}`);
      assert.ok(mmu.length <= 1 && slots.length <= 1, `${s.name} step ${st.index}: two holders`);
    }
  };
  for (const name of BUILTIN_SCENARIOS) for (const p of PRESETS) check(scenario(name), p.name);
  // Random scenarios refused by the file checks or the runner are counted, and fail the test past
  // the share random_scenarios.ts reasons for (before, 51 of 150 were enough).
  const tally = new Tally('lock table on random scenarios');
  fc.assert(fc.property(scenarioArb, fc.constantFrom(...PRESETS.map((p) => p.name)), (s, preset) => {
    tally.run(s, () => check(s, preset));
  }), { numRuns: 150, seed: 20260518 });
  tally.assertEnough((l) => t.diagnostic(l));
});

test('every row of the table is a point some operation stands at, and every point an operation stands at has a row', () => {
  const seen = new Set<string>();
  // The point before an operation's first step is not seen between steps (the runner starts it
  // and runs that step at once): it is the row of the operation's kind whose step the trace shows.
  const first = (st: { opLabel: string; text: string }): string => {
    const kind = st.opLabel.replace(/^#\d+ /, '');
    if (kind === 'get-dirty-log') return `${kind}/${/\(manual-protect\)/.test(st.text) ? 'start:manual' : 'start:classic'}`;
    // A guest-table write by the guest (its first step's text names "the guest") starts at its trap decision.
    if (kind === 'guest-table-write') return `${kind}/${/\(the guest\)/.test(st.text) ? 'guest:trap' : 'write'}`;
    return `${kind}/${kind === 'enable-dirty-logging' ? 'flags' : kind === 'delete-memslot' ? 'slots-lock' : 'lock'}`;
  };
  const visit = (s: Scenario, tamper?: (r: ScenarioRun) => void, variants = ['v7', 'mainline-2026']) => {
    for (const p of variants) {
      const r = new ScenarioRun(s, { variant: parseVariant(p) });
      const ops = new Set<string>();
      let st;
      while ((st = r.step())) {
        if (st.opLabel && !ops.has(st.opLabel)) { ops.add(st.opLabel); if (!st.opLabel.endsWith('access')) seen.add(first(st)); }
        for (const f of r.inFlight()) if (!f.done) seen.add(`${f.kind}/${lockPoint(f, r.machine.state)}`);
        tamper?.(r);
      }
    }
  };
  for (const name of BUILTIN_SCENARIOS) visit(scenario(name));
  // Classic logging (the split's lock and write-protection) and a classic harvest; a clear without initially-set.
  visit(small([FAULT_VIA_B, '{ "op": "enable-dirty-logging" }', '{ "op": "access", "vcpu": 0, "root": "B", "addr": 17, "kind": "write" }', '{ "op": "get-dirty-log" }']));
  visit(small([FAULT_VIA_B, '{ "op": "enable-dirty-logging", "manualProtect": true }', '{ "op": "access", "vcpu": 0, "root": "B", "addr": 17, "kind": "write" }', '{ "op": "clear-dirty-log", "first": 0, "pages": 64 }']));
  // A split paused at its cache top-up, inside each ioctl.
  visit({ ...small([FAULT_VIA_B, '{ "op": "enable-dirty-logging", "id": "e", "pause": "resched" }', '{ "op": "resume", "target": "e" }']), splitYield: 'every' });
  visit({ ...small([FAULT_VIA_B, ENABLE_IS, '{ "op": "clear-dirty-log", "id": "c", "first": 0, "pages": 64, "pause": "resched" }', '{ "op": "resume", "target": "c" }']), splitYield: 'every' });
  // A fault that meets a huge SPTE where logging wants a table: no operation of the model leaves
  // a read-only huge SPTE, so one is made by hand once logging is on (the fault path's drop, flush
  // and link rows are real pcs of the code).
  visit(small([FAULT_VIA_B, ENABLE_IS, '{ "op": "access", "vcpu": 1, "root": "B", "addr": 17, "kind": "write" }']), (r) => {
    const st = r.machine.state;
    if (!st.memslots[0].logDirty || r.inFlight().length) return;
    for (const sp of st.sps) for (let i = 0; i < sp.flags.length; i++) if ((sp.flags[i] & SPTE_PRESENT) && (sp.flags[i] & SPTE_LARGE)) sp.flags[i] &= ~SPTE_WRITABLE;
  });
  // A VMM write of A's level-3 table 0x1001, entry 0 (the 1G leaf of L2 0..15) to not present: the
  // next access to L2 0 faults and its walk fails, so the fault stands at 'inject'.
  visit(small(['{ "op": "guest-table-write", "by": "vmm", "table": "0x1001", "index": 0, "entry": { "kind": "none" } }', '{ "op": "access", "vcpu": 0, "root": "A", "addr": 0, "kind": "read" }']));
  // A memslot deletion after a fault (mainline-2026 runs it through; v7 oopses in its zap, which
  // the miss-free run covers all the same): every SP is zapped, flushed and freed.
  visit(parseScenario(JSON.stringify({
    name: 'delete', entries: 4,
    memslots: [{ id: 1, baseGfn: 0, pages: 32, hostPfn: 64, hostPageSize: '4K' }],
    roots: [{ name: 'A', guestTableGfn: '0x1000', mappings: [{ l2: 0, gfn: 16, size: '2M' }] }],
    operations: [{ op: 'access', vcpu: 0, root: 'A', addr: 0, kind: 'read' }, { op: 'delete-memslot', slot: 1 }],
  })));
  // The same with KVM_X86_QUIRK_SLOT_ZAP_ALL disabled (slotZap=memslot): deleting memslot 1 (data
  // only) clears the leaf through its rmap and, with no SP to free, flushes (remote-flush); deleting
  // memslot 3, which holds the guest tables, prepares the SPs that shadow them (slot-zap) and commits.
  const quirkOff = (slot: number) => parseScenario(JSON.stringify({
    name: `delete-quirk-off-${slot}`, entries: 4,
    memslots: [{ id: 1, baseGfn: 0, pages: 32, hostPfn: 64, hostPageSize: '4K' }, { id: 3, baseGfn: 0x1000, pages: 4, hostPfn: 0x400, hostPageSize: '4K' }],
    roots: [{ name: 'A', guestTableGfn: '0x1000', mappings: [{ l2: 0, gfn: 16, size: '2M' }] }],
    operations: [{ op: 'access', vcpu: 0, root: 'A', addr: 0, kind: 'read' }, { op: 'delete-memslot', slot }],
  }));
  visit(quirkOff(1), undefined, ['mainline-2026+slotZap=memslot']);
  visit(quirkOff(3), undefined, ['mainline-2026+slotZap=memslot']);
  const rows = LOCK_TABLE.map((r) => `${r.kind}/${r.at}`);
  assert.deepEqual(rows.filter((k) => !seen.has(k)), [], 'rows no operation reached');
  assert.deepEqual([...seen].filter((k) => !rows.includes(k)), [], 'points without a row');
});

test('docs/locking.md holds the table the code decides with', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'locking.md'), 'utf8');
  assert.ok(doc.includes(lockTableMarkdown()), `docs/locking.md does not hold the table of src/machine/locks.ts; it should read:\n${lockTableMarkdown()}`);
});
