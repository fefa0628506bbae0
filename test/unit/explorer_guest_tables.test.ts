/**
 * The guest-tables scope (src/explore/scope_guest_tables.ts): with no flow written for it, the
 * explorer finds the two 2026 reports' first step, a leaf filed where its SP's computed gfn
 * disagrees, for the presets that have the hole, and none for the one that has both fixes.
 *
 * The scope, at E = 2: root A's tables PML4 0x1000 -> PDPT 0x1001 -> PD 0x1002, PD[0] = huge G1 =
 * 0x10 (2 pages, memslot 1, host 4K, so a fault maps it with a direct level-1 SP D for gfn 0x10).
 * Page G1 also holds table contents (entry 1 -> Q = 0x21); T = 0x1003 is a table mapping 0x20, 0x21.
 *
 * Why 3 transitions and no fewer: the mismatch needs an SP built by a fault before the guest table
 * changes (access 1, a fault), the change (the write), and a fault after it that descends through
 * the old link (access 2, to the other page: the first one's SPTE is still present, so accessing it
 * again does not fault, KVM having seen nothing). Each is one transition (a fault runs whole).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explore } from '../../src/explore/search';
import { counterexampleScenario } from '../../src/explore/counterexample';
import { makeScope, GUEST_TABLES_BOUND, type Bound } from '../../src/explore/scope';
import { findPreset } from '../../src/kernel/variants';
import { parseScenario } from '../../src/scenario/parse';
import { runScenario } from '../../src/run/run';

/** The violation kind that reports a leaf filed in the rmap of a gfn its SP does not compute. */
const MISMATCH = 'rmap-disagreement';

function search(preset: string, bound: Bound = GUEST_TABLES_BOUND) {
  const variant = findPreset(preset)!;
  const r = explore({ variant, bound, engine: 'core' });
  const scope = makeScope(bound);
  const menu = (r.actions ?? []).map((a) => scope.menu[a]);
  return { variant, r, menu };
}

test('mainline-2026-pre (childReuse=present): a shortest counterexample of 3 transitions, access, write, access, that replays', () => {
  const { variant, r, menu } = search('mainline-2026-pre');
  assert.equal(r.verdict, 'violation');
  assert.equal(r.violation!.kind, MISMATCH);
  assert.equal(r.depth, 3);
  assert.deepEqual(menu.map((a) => a.t), ['access', 'guest-table-write', 'access']);
  // The two accesses go to the two pages of the 2M page (the second must miss in the shadow tables).
  const [a1, , a2] = menu as Array<Extract<typeof menu[number], { t: 'access' }>>;
  assert.notEqual(a1.addr, a2.addr);
  // Replayed by the scenario runner from the file the explorer writes, the same violation comes back.
  const json = counterexampleScenario(variant, GUEST_TABLES_BOUND, r.actions!, r.violation);
  const t = runScenario(parseScenario(JSON.stringify(json, null, 2), 'counterexample.json'), { variant });
  assert.equal(t.verdict, 'violation');
  assert.equal(t.violations[0].kind, r.violation!.kind);
  // The same words, but for the step number: the run counts the scenario's steps, the explorer its own.
  const unnumbered = (m: string) => m.replace(/\(step \d+\)/g, '(step N)');
  assert.equal(unnumbered(t.violations[0].message), unnumbered(r.violation!.message));
  // Under mainline-2026 the same operations pass: the mismatched child is zapped at the link.
  assert.equal(runScenario(parseScenario(JSON.stringify(json), 'counterexample.json'), { variant: findPreset('mainline-2026')! }).verdict, 'pass');
});

test('mainline-2026-gfn (childReuse=gfn): 3 transitions again, and only through the write that links the data page G1 as a table', () => {
  const { r, menu } = search('mainline-2026-gfn');
  assert.equal(r.verdict, 'violation');
  assert.equal(r.violation!.kind, MISMATCH);
  assert.equal(r.depth, 3);
  // The gfn test rejects a child for G2 (0x20) or for T (0x1003): both differ from D's gfn 0x10.
  // Only "table at G1" asks for a child with D's own gfn (indirect where D is direct): the role
  // test 81ccda30b4e8 adds is what would reject it.
  const write = menu.find((a) => a.t === 'guest-table-write');
  assert.ok(write && write.t === 'guest-table-write');
  assert.deepEqual({ kind: write.entry.kind, gfn: write.entry.gfn }, { kind: 'table', gfn: 0x10 });
});

test('mainline-2026 (both fixes): no violation within a small bound, and both preconditions reached', () => {
  // ops 2: the two faults the flow needs; the write and the accesses are budgeted apart.
  const { r } = search('mainline-2026', { ...GUEST_TABLES_BOUND, ops: 2 });
  assert.equal(r.verdict, 'no violation within the bound');
  assert.deepEqual(r.reached!.map((g) => [g.goal, g.reached]), [['guest-table-changed', true], ['linked-child-mismatch', true]]);
});

test('the guest-tables scope\'s packed search runs the default scope and gives the core\'s result (packed_gt/covers.ts covers its whole menu)', () => {
  // mainline-2026 at 2 operations is clean (the test above): the packed search must find the same
  // states, transitions, depth and goals as the core's, not only the verdict.
  const bound = { ...GUEST_TABLES_BOUND, ops: 2 };
  const variant = findPreset('mainline-2026')!;
  const packed = explore({ variant, bound, engine: 'packed' });
  const { r: core } = search('mainline-2026', bound);
  assert.equal(packed.engine, 'packed');
  assert.deepEqual([packed.verdict, packed.states, packed.transitions, packed.depth, packed.reached], [core.verdict, core.states, core.transitions, core.depth, core.reached]);
});
