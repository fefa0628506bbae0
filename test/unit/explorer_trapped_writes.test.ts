/**
 * The guest-tables scope with the guest's own, trapped write of PD[0] (Bound.writes, the CLI's
 * --writes): what the spec calls way (a), "must stay safe".
 *
 * The scope (scope_guest_tables.ts, E = 2): PD[0] = huge G1 = 0x10 mapped small by a direct SP D;
 * the write targets are huge G2, table at G1 (data read as a table), table T, not present. The
 * trapped write is three KVM-visible phases: the trap, the emulator's memory write, then
 * kvm_mmu_track_write() under mmu_lock (zap the written SPTE in each SP shadowing the PD, flush).
 *
 * What the kernel's order implies, and what these tests hold the explorer to:
 * - The zap itself is safe: run whole, a trapped write removes the link to D before any fault can
 *   walk the new entry, so the next fault builds a fresh child (trapped-write-safe shows it).
 * - The window is not: between the memory write and write_lock() nothing is held, so a fault by the
 *   other vCPU walks the new PD[0] while the old link to D is still present. That is the untrapped
 *   write's situation exactly, so the presets with a hole have it here too, one transition later
 *   (access, the write's trap, its memory write, the other vCPU's access: 4 transitions, against 3
 *   untrapped), and mainline-2026 (both fixes) has none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explore } from '../../src/explore/search';
import { counterexampleScenario } from '../../src/explore/counterexample';
import { makeScope, GUEST_TABLES_BOUND, type Bound } from '../../src/explore/scope';
import { STEP } from '../../src/explore/model';
import { findPreset } from '../../src/kernel/variants';
import { parseScenario } from '../../src/scenario/parse';
import { runScenario } from '../../src/run/run';

const TRAPPED: Bound = { ...GUEST_TABLES_BOUND, writes: 'trapped' };

function search(preset: string, bound: Bound) {
  const variant = findPreset(preset)!;
  const r = explore({ variant, bound, engine: 'core' });
  const scope = makeScope(bound);
  return { variant, r, scope };
}

test('the menu: trapped writes are the same four targets, by each vCPU; untrapped stays the default', () => {
  const writes = (b: Bound) => makeScope(b).menu.filter((a) => a.t === 'guest-table-write');
  const un = writes(GUEST_TABLES_BOUND);
  const tr = writes(TRAPPED);
  assert.deepEqual(un.map((a) => a.t === 'guest-table-write' && a.by), [undefined, undefined, undefined, undefined]);
  // 4 targets x 2 vCPUs: the vCPU swap the engines reduce by maps this menu onto itself.
  assert.equal(tr.length, 8);
  assert.deepEqual(tr.map((a) => a.t === 'guest-table-write' && [a.by, a.vcpu, a.entry.kind, a.entry.gfn]).slice(0, 4), un.map((a) => a.t === 'guest-table-write' && ['guest', 0, a.entry.kind, a.entry.gfn]));
  assert.equal(writes({ ...GUEST_TABLES_BOUND, writes: 'both' }).length, 12);
});

for (const [preset, target] of [['mainline-2026-pre', 'huge'], ['mainline-2026-gfn', 'table']] as const) {
  test(`${preset}: trapped only, the hole is still found, through the window: a fault between the emulator's memory write and kvm_mmu_track_write()`, () => {
    const { variant, r, scope } = search(preset, TRAPPED);
    assert.equal(r.verdict, 'violation');
    assert.equal(r.violation!.kind, 'rmap-disagreement');
    assert.equal(r.depth, 4);
    const acts = r.actions!;
    // access; the trapped write (its first step, the trap); STEP (the memory write); the other vCPU's access.
    const [a1, w, step, a2] = acts.map((a) => (a === STEP ? null : scope.menu[a]));
    assert.equal(a1?.t, 'access');
    assert.ok(w?.t === 'guest-table-write' && w.by === 'guest');
    assert.equal(acts[2], STEP);
    assert.equal(step, null);
    assert.ok(a2?.t === 'access' && a1?.t === 'access' && a2.vcpu !== w.vcpu, 'the fault is by the vCPU that is not emulating');
    // pre: any target with another gfn (huge G2 is the first in the menu); gfn: only the table at G1 (D's own gfn, another role).
    assert.equal(w.entry.kind, target);
    // Replayed from the file the explorer writes: the write pauses after its 2 steps, the access runs, the write resumes.
    const json = counterexampleScenario(variant, TRAPPED, acts, r.violation);
    const ops = json.operations as Array<Record<string, unknown>>;
    assert.deepEqual(ops[1].pause, { afterSteps: 2 });
    const t = runScenario(parseScenario(JSON.stringify(json), 'cx.json'), { variant });
    assert.equal(t.violations[0]?.kind, 'rmap-disagreement');
    // The same operations with the write run whole (no pause: the fault comes after the zap) pass on every preset.
    delete ops[1].pause;
    const whole = parseScenario(JSON.stringify({ ...json, operations: ops.filter((o) => o.op !== 'resume') }), 'whole.json');
    for (const p of ['mainline-2026-pre', 'mainline-2026-gfn', 'mainline-2026']) assert.equal(runScenario(whole, { variant: findPreset(p)! }).verdict, 'pass', p);
  });
}

test('mainline-2026 (both fixes): trapped only, no violation within a small bound, both preconditions reached', () => {
  // ops 2: the two faults the flow needs (the write is budgeted apart), as the untrapped test of the scope.
  const { r } = search('mainline-2026', { ...TRAPPED, ops: 2 });
  assert.equal(r.verdict, 'no violation within the bound');
  assert.deepEqual(r.reached!.map((g) => [g.goal, g.reached]), [['guest-table-changed', true], ['linked-child-mismatch', true]]);
});

test('both: one write a path, so the shortest is the untrapped write\'s 3 transitions', () => {
  const { r, scope } = search('mainline-2026-pre', { ...GUEST_TABLES_BOUND, writes: 'both' });
  assert.equal(r.depth, 3);
  const w = r.actions!.map((a) => scope.menu[a]).find((a) => a?.t === 'guest-table-write');
  assert.ok(w && w.t === 'guest-table-write' && w.by === undefined, 'the VMM\'s write');
});
