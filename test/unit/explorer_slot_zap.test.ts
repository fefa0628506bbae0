/**
 * The guest-tables scope with KVM_X86_QUIRK_SLOT_ZAP_ALL disabled (slotZap=memslot, docs/explorer.md
 * "Memslot deletion with the quirk disabled"). The scope as in explorer_guest_tables.test.ts: root A's
 * tables in memslot 0 (PML4 0x1000, PDPT 0x1001, PD 0x1002), PD[0] = huge G1 = 0x10 (memslot 1, R1,
 * host 4K, so a fault maps it with a direct level-1 SP D), R2 = memslot 2 at 0x20.
 *
 * What the quirk changes, by reasoning from kvm_mmu_zap_memslot():
 * - The rmap disagreement comes before any deletion (access, write, access: 3 transitions), so
 *   the shortest counterexample of the unfixed presets is the same with the quirk off.
 * - The use-after-free needs D freed with its misfiled leaf (filed in R2) left in an rmap. Deleting
 *   R1 (the scope's deletion) never frees D: D is direct, so for_each_gfn_valid_sp_with_gptes()
 *   skips it, and the unmap only empties R1's rmaps. Deleting memslot 0 (--delete-tables) zaps the
 *   root, whose recursive nested zap reaches D: rmap_remove() of the misfiled leaf misses, D is
 *   freed, and the invalidation of Q walks into it: access, write, access, the deletion of memslot
 *   0 (its steps), the invalidation of Q (its steps), 13 transitions in all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explore } from '../../src/explore/search';
import { counterexampleScenario } from '../../src/explore/counterexample';
import { makeScope, GUEST_TABLES_BOUND, type Bound } from '../../src/explore/scope';
import { parseVariant } from '../../src/kernel/variants';
import { parseScenario } from '../../src/scenario/parse';
import { runScenario } from '../../src/run/run';

function search(spec: string, bound: Bound, until?: 'sp-use-after-free') {
  const variant = parseVariant(spec);
  const r = explore({ variant, bound, engine: 'core', ...(until ? { until } : {}) });
  // The actions that start something (the others step an operation in flight).
  const menu = (r.actions ?? []).map((a) => makeScope(bound).menu[a]).filter((a) => a !== undefined);
  return { variant, r, menu };
}

test('mainline-2026-pre with the quirk off, at the default bound: the same 3-transition rmap disagreement (no deletion needed)', () => {
  const { r, menu } = search('mainline-2026-pre+slotZap=memslot', GUEST_TABLES_BOUND);
  assert.equal(r.verdict, 'violation');
  assert.equal(r.violation!.kind, 'rmap-disagreement');
  assert.equal(r.depth, 3);
  assert.deepEqual(menu.map((a) => a.t), ['access', 'guest-table-write', 'access']);
});

test('mainline-2026 (both fixes) with the quirk off: no violation within a small bound, both preconditions reached, the tables\' deletion offered', () => {
  const { r } = search('mainline-2026+slotZap=memslot', { ...GUEST_TABLES_BOUND, ops: 2, deleteTables: true });
  assert.equal(r.verdict, 'no violation within the bound');
  assert.deepEqual(r.reached!.map((g) => [g.goal, g.reached]), [['guest-table-changed', true], ['linked-child-mismatch', true]]);
});

test('mainline-2026-pre with the quirk off: the use-after-free comes through the deletion of the tables\' slot, and replays', () => {
  const bound: Bound = { ...GUEST_TABLES_BOUND, deleteTables: true };
  const { variant, r, menu } = search('mainline-2026-pre+slotZap=memslot', bound, 'sp-use-after-free');
  assert.equal(r.verdict, 'violation');
  assert.equal(r.violation!.kind, 'sp-use-after-free');
  assert.equal(r.depth, 13);
  const starts = menu.map((a) => (a.t === 'delete-memslot' ? `delete ${a.slot}` : a.t === 'invalidate' ? `invalidate ${a.gfn}` : a.t));
  assert.ok(starts.includes('delete 0') && !starts.includes('delete 1'), `the deletion is memslot 0's: ${starts.join(', ')}`);
  assert.ok(starts.includes(`invalidate ${0x21}`), 'the walk that reaches the freed SP is the invalidation of Q');
  const json = counterexampleScenario(variant, bound, r.actions!, r.violation);
  const t = runScenario(parseScenario(JSON.stringify(json, null, 2), 'counterexample.json'), { variant });
  assert.deepEqual(t.violations.map((v) => v.kind), ['rmap-disagreement', 'data-corruption', 'sp-use-after-free']);
});
