/**
 * childReuse: kvm_mmu_get_child_sp()'s -EEXIST test in the fault (docs/kernel-guest-tables.md §2).
 * These tests write the guest's tables (state.guestMemory) by hand between two accesses, as a write
 * from outside the guest does (the two 2026 reports' flows, cut short before any shadow page is
 * freed): the "unexpected role" flow needs a guest page table at a gfn that held data, which a
 * scenario's guest-table-write cannot make (writes change entries of the tables the mappings
 * compile to). test/unit/guest_tables.test.ts shows the "unexpected GFN" flow as a scenario.
 *
 * The guest tables compile from the one mapping: the top table at 0x1000, then the lower ones at
 * the gfns after it (scenario/guest_tables.ts): PDPT 0x1001, PD 0x1002; PD[0] = huge G1.
 *
 * Geometry: 4 entries a table, so a level-2 ("2M") guest page is 4 gfns. One memslot, gfns 0..63,
 * host pages 4K: every fault maps 4K, so a guest 2M page gets a direct level-1 SP below it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/parse';
import { ScenarioRun, ScenarioRunError } from '../../src/run/runner';
import { findPreset, parseVariant, type Variant } from '../../src/kernel/variants';
import type { MmuState } from '../../src/model/state';
import { withGuestPte } from '../../src/scenario/guest_tables';
import { ACC_ALL } from '../../src/kernel/spte';
import { spGetGfn } from '../../src/mmu/shadow_page';
import { SPTE_PRESENT } from '../../src/kernel/spte';

const G1 = 16; // the first guest 2M page
const G2 = 32; // where the guest PDE points afterwards (the "unexpected GFN" flow)
const Q = 40; // the 4K page the new guest table maps at index 1 (the "unexpected role" flow)

const SCENARIO = parseScenario(JSON.stringify({
  name: 'child-reuse', entries: 4,
  memslots: [{ id: 0, baseGfn: 0, pages: 64, hostPfn: 64, hostPageSize: '4K' }],
  roots: [{ name: 'A', guestTableGfn: '0x1000', mappings: [{ l2: 0, gfn: G1, size: '2M' }] }],
  vcpus: 1,
  operations: [
    { op: 'access', vcpu: 0, root: 'A', addr: 0, kind: 'read' },
    { op: 'access', vcpu: 0, root: 'A', addr: 1, kind: 'read' },
  ],
}), 'child-reuse.json');

/** Run the first access, change the guest's tables with `change`, run the second; the run and the PD's SP. */
function twoFaults(variant: Variant, change: (s: MmuState) => void) {
  const run = new ScenarioRun(SCENARIO, { variant });
  const steps = [];
  for (let s = run.step(); s; s = run.step()) {
    steps.push(s);
    if (s.op === 0 && s.kind === 'tlb-fill') change(run.machine.state); // the first access is done
  }
  const state = run.machine.state;
  // Root (level 4) -> [0] level 3 SP -> [0] level 2 SP (the guest PD's shadow) -> [0] the child under test.
  const l3 = state.sps[state.sps[state.roots[0].spId].target[0]];
  const pd = state.sps[l3.target[0]];
  return { run, state, steps, pd, child: state.sps[pd.target[0]] };
}

const PD = 0x1002;

/** The guest PDE now maps another 2M page: a write from outside the guest, and a guest TLB flush after it. */
function pdeToG2(s: MmuState): void {
  assert.equal(s.guestMemory.get(PD)?.level, 2, 'the PD is at 0x1002');
  s.guestMemory = withGuestPte(s.guestMemory, PD, 0, { kind: 'huge', gfn: G2, access: ACC_ALL });
  for (const v of s.vcpus) v.tlb = [];
}

/** The guest PDE now points to a guest page table at gfn G1 (the old 2M page's first gfn), entry 0 -> G1, entry 1 -> Q. */
function pdeToTableAtG1(s: MmuState): void {
  assert.equal(s.guestMemory.get(PD)?.level, 2, 'the PD is at 0x1002');
  const memory = new Map(s.guestMemory);
  memory.set(G1, { level: 1, entries: new Map([[0, { kind: 'leaf', gfn: G1, access: ACC_ALL }], [1, { kind: 'leaf', gfn: Q, access: ACC_ALL }]]) });
  s.guestMemory = withGuestPte(memory, PD, 0, { kind: 'table', gfn: G1, access: ACC_ALL });
  for (const v of s.vcpus) v.tlb = [];
}

test('the first fault links a direct level-1 SP for the guest 2M page at G1 (the setup of both flows)', () => {
  const { child } = twoFaults(findPreset('mainline-2026')!, () => {});
  assert.deepEqual({ gfn: child.gfn, level: child.role.level, direct: child.role.direct }, { gfn: G1, level: 1, direct: true });
});

test('childReuse=present (before 0cb2af2ea66a): the fault keeps the SP for G1 and files G2+1 in it, where get_gfn computes G1+1', () => {
  const { child, state } = twoFaults(findPreset('mainline-2026-pre')!, pdeToG2);
  // -EEXIST: the PDE's shadow still points at the first fault's SP, now holding the leaf for offset 1.
  assert.equal(child.gfn, G1);
  assert.ok(child.flags[1] & SPTE_PRESENT);
  assert.equal(child.target[1], 64 + G2 + 1, 'the leaf maps the new gfn G2 + 1 (host pfn = 64 + gfn)');
  // kvm_mmu_page_get_gfn() of a direct SP is sp->gfn + index: the SPTE's rmap is under G2 + 1 but
  // rmap_remove() would look under G1 + 1, the "unexpected GFN" report's mismatch.
  assert.equal(spGetGfn(state, child, 1), G1 + 1);
});

test('childReuse=gfn (0cb2af2ea66a): a gfn mismatch allocates the SP for G2; __link_shadow_page() zaps the old link and flushes', () => {
  const { child, state, steps } = twoFaults(findPreset('mainline-2026-gfn')!, pdeToG2);
  assert.equal(child.gfn, G2);
  assert.equal(spGetGfn(state, child, 1), G2 + 1, 'the leaf and its computed gfn agree');
  const old = state.sps.find((sp) => sp.gfn === G1 && sp.role.direct && sp.role.level === 1)!;
  assert.deepEqual(old.parentPtes, [], 'drop_parent_pte() took the PDE shadow off the old SP');
  const second = steps.filter((s) => s.op === 1);
  assert.ok(second.some((s) => s.kind === 'drop-spte' && s.anchor.fn === 'link_shadow_page'), 'the zap of the present SPTE');
  assert.ok(second.some((s) => s.kind === 'flush' && s.anchor.stmt.startsWith('kvm_mmu_remote_flush_or_zap(')), 'the unconditional flush');
});

test('childReuse=gfn passes a guest table at the old SP\'s gfn: the direct SP for G1 is reused where an indirect one is needed', () => {
  const { child, state } = twoFaults(findPreset('mainline-2026-gfn')!, pdeToTableAtG1);
  // The walk asks for an indirect level-1 SP at G1; the linked one has gfn G1 but direct = 1.
  assert.deepEqual({ gfn: child.gfn, direct: child.role.direct }, { gfn: G1, direct: true });
  assert.equal(child.target[1], 64 + Q, 'the leaf maps Q');
  assert.equal(spGetGfn(state, child, 1), G1 + 1, 'but get_gfn computes G1 + 1: the "unexpected role" report\'s mismatch');
});

test('childReuse=gfn-role (81ccda30b4e8): the role mismatch allocates the indirect SP, whose shadowed translation is Q', () => {
  const { child, state } = twoFaults(findPreset('mainline-2026')!, pdeToTableAtG1);
  assert.deepEqual({ gfn: child.gfn, direct: child.role.direct, level: child.role.level }, { gfn: G1, direct: false, level: 1 });
  assert.equal(spGetGfn(state, child, 1), Q);
});

test('childReuse=gfn with linkPresent=drop-large (no kernel had it) stops with a clear error, not a wrong trace', () => {
  const v = parseVariant('mainline-2026-pre+childReuse=gfn');
  assert.throws(() => twoFaults(v, pdeToG2), (e: unknown) => e instanceof ScenarioRunError && /operation 1 .*drop_large_spte\(\) on a non-leaf SPTE/.test(e.message));
});
