/**
 * Bound.faultWindow (the CLI's --fault-window): in the guest-tables scope an access may also stop
 * its fault between the guest walk (FNAME(walk_addr_generic), no lock) and write_lock(mmu_lock),
 * so that a guest-table write runs there; FNAME(fetch)'s FNAME(gpte_changed) re-reads the entry
 * under the lock and retries the fault when it changed. Without the flag the explorer runs every
 * fault whole (reduction 5), as before.
 *
 * The scope (E = 2): PD[0] = huge G1 = 0x10, mapped small by a direct SP D = sp#3 for gfn 0x10.
 * The path the tests walk, under mainline-2026-pre:
 *   1 vCPU 0 writes L2 0: a fault builds sp#1, sp#2, D and the leaf D[0];
 *   2 vCPU 1 writes L2 1, walked: its fault walks PD[0] = huge G1 (gfn 0x11) and stops;
 *   3 the VMM writes PD[0] := huge G2 = 0x20;
 *   4 the stopped fault resumes: write_lock(mmu_lock);
 *   5 its FNAME(fetch): at level 3 FNAME(gpte_changed) re-reads PD[0], finds huge G2, not the huge
 *     G1 its walk read: RET_PF_RETRY, nothing linked or installed (D[1] stays not present);
 *   6 its unlock; the access is retried, faults again, and that fault (run whole) walks huge G2 and,
 *     childReuse=present, walks into D: the leaf D[1] filed under 0x21 where get_gfn(D, 1) = 0x11.
 * So the window adds no new hole (the re-check does its job) and the old one is reached anyway.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, rootNode, RESUME_BASE, STEP, type Node } from '../../src/explore/model';
import { makeScope, GUEST_TABLES_BOUND, type Bound } from '../../src/explore/scope';
import { counterexampleScenario } from '../../src/explore/counterexample';
import { explore } from '../../src/explore/search';
import { findPreset } from '../../src/kernel/variants';
import { parseScenario } from '../../src/scenario/parse';
import { runScenario } from '../../src/run/run';
import type { MenuAction } from '../../src/explore/bound';

const BOUND: Bound = { ...GUEST_TABLES_BOUND, faultWindow: true };
const scope = makeScope(BOUND);
const find = (pred: (a: MenuAction) => boolean) => {
  const i = scope.menu.findIndex(pred);
  assert.ok(i >= 0);
  return i;
};
const ACCESS0 = find((a) => a.t === 'access' && a.vcpu === 0 && a.addr === 0 && a.kind === 'write' && !a.walked);
const WALKED1 = find((a) => a.t === 'access' && a.vcpu === 1 && a.addr === 1 && a.kind === 'write' && a.walked === true);
const WRITE_G2 = find((a) => a.t === 'guest-table-write' && a.entry.kind === 'huge' && a.entry.gfn === 0x20);

test('the menu: every access is offered again, walked, only with the flag', () => {
  const walked = (b: Bound) => makeScope(b).menu.filter((a) => a.t === 'access' && a.walked).length;
  assert.equal(walked(GUEST_TABLES_BOUND), 0);
  // 2 kinds x 2 vCPUs x E = 2 pages.
  assert.equal(walked(BOUND), 8);
});

test('a write in the window: FNAME(gpte_changed) sends the stopped fault back; the retried access reaches the old hole under mainline-2026-pre', () => {
  const variant = findPreset('mainline-2026-pre')!;
  const actions = [ACCESS0, WALKED1, WRITE_G2, RESUME_BASE - 0, STEP, STEP];
  let n: Node = rootNode(scope);
  const kinds: string[][] = [];
  for (const [i, a] of actions.entries()) {
    const out = apply(scope, variant, n, a);
    assert.ok(out, `action ${a} enabled`);
    n = out.node;
    kinds.push(out.violations.map((v) => v.kind));
    if (a === WALKED1) {
      // The fault stands paused after its walk, holding only kvm->srcu; it counts as an operation.
      assert.equal(n.paused.length, 1);
      assert.equal(n.paused[0].kind === 'fault' && n.paused[0].pc, 'lock');
      assert.equal(n.ops, 2);
    }
    if (i === 4) {
      // After the fetch step: RET_PF_RETRY, D[1] still not present, the fault at its unlock.
      assert.equal(n.current?.pc, 'unlock');
      assert.equal(n.state.sps[3].flags[1], 0);
    }
  }
  // Only the retried access's fault (the last transition) misfiles.
  assert.deepEqual(kinds, [[], [], [], [], [], ['rmap-disagreement']]);
  assert.equal(n.ops, 3, 'the first fault, the stopped one, the retry\'s');
  // The scenario the explorer writes for this path pauses the access at "walked" and resumes it, and
  // the runner reaches the same violation.
  const json = counterexampleScenario(variant, BOUND, actions);
  const ops = json.operations as Array<Record<string, unknown>>;
  assert.deepEqual(ops.map((o) => [o.op, o.pause ?? null]), [['access', null], ['access', 'walked'], ['guest-table-write', null], ['resume', null]]);
  const t = runScenario(parseScenario(JSON.stringify(json), 'window.json'), { variant });
  assert.equal(t.violations[0]?.kind, 'rmap-disagreement');
  assert.ok(t.steps.some((s) => /FNAME\(gpte_changed\)\(vcpu, gw, 2\)/.test(s.text)), 'the re-check is in the trace');
  // Both fixes: the same path passes.
  let m: Node = rootNode(scope);
  for (const a of actions) {
    const out = apply(scope, findPreset('mainline-2026')!, m, a)!;
    assert.deepEqual(out.violations, []);
    m = out.node;
  }
});

test('a stopped fault holds kvm->srcu: the memslot deletion cannot pass kvm_swap_active_memslots() until it ends', () => {
  const variant = findPreset('mainline-2026-pre')!;
  const del = find((a) => a.t === 'delete-memslot');
  let n = apply(scope, variant, rootNode(scope), ACCESS0)!.node;
  n = apply(scope, variant, n, WALKED1)!.node;
  // The deletion starts (slots_lock), and its next step, kvm_invalidate_memslot()'s swap, waits.
  n = apply(scope, variant, n, del)!.node;
  assert.equal(n.current?.kind === 'delete-memslot' && n.current.pc, 'invalidate');
  assert.equal(apply(scope, variant, n, STEP), null);
});

test('mainline-2026 with the fault window: no violation within a small bound', () => {
  const r = explore({ variant: findPreset('mainline-2026')!, bound: { ...BOUND, ops: 2 }, engine: 'core' });
  assert.equal(r.verdict, 'no violation within the bound');
});
