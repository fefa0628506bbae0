/**
 * A policy or mode value no case handles is refused by name, in the core and in the packed
 * explorer, instead of taking one of the known branches; and the explorer refuses a scope whose
 * modes or shape its engines do not read (they would search another scope than the one given).
 *
 * Before these checks, each of the runs below went through: an unknown splitFlush mapped to
 * index -1 in the packed model (an undefined code, which its flush step reads as "never flush"),
 * an unknown linkPresent ran as drop-large, an unknown dropFlushRange as sptep-gfn, an unknown
 * enableLogFlush as if-write-protected, an unknown flushMode as a range-capable flush, an unknown
 * splitYield as "never yield"; the packed explorer searched a range-flush or cache-yield scope as
 * bare metal with splitYield "every", and the core explorer ran its Machine that way too, whatever
 * the scope said (it now reads the scope's modes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPreset, POLICY_VALUES, PRESETS, type PolicyName, type Variant } from '../../src/kernel/variants';
import { runScenario } from '../../src/run/run';
import { PackedModel } from '../../src/explore/packed/model';
import { makeScope, type Scope } from '../../src/explore/scope';
import { rootNode } from '../../src/explore/model';
import { CoreSearch, explore } from '../../src/explore/search';
import { goalReport } from '../../src/explore/goals';
import type { Scenario } from '../../src/scenario/types';
import { TEST_BOUND } from './explorer.helpers';

const POLICIES = Object.keys(POLICY_VALUES) as PolicyName[];
const withPolicy = (base: string, policy: PolicyName, value: string): Variant => ({ ...findPreset(base)!, [policy]: value }) as Variant;
const unknownPolicy = (policy: PolicyName) => new RegExp(`unknown ${policy} policy "sometimes": expected one of ${POLICY_VALUES[policy].join(', ')}`);

test('the packed explorer refuses an unknown value of every policy, naming it and the values it knows', () => {
  for (const policy of POLICIES) {
    assert.throws(() => new PackedModel(makeScope(TEST_BOUND), withPolicy('v7', policy, 'sometimes')), unknownPolicy(policy), policy);
  }
});

/**
 * The explorer's scope at E = 2 with a 1G fault through root A, then dirty logging enabled in
 * classic mode: the eager split of that 1G SPTE (its loop meets no present entry in the new child,
 * its drop reads linkPresent, its flush splitFlush and dropFlushRange, with a range, so the flush
 * mode decides its reach; it asks need_topup_split_caches_or_resched() first, which reads the
 * split yield), then the write-protection, whose memslot flush reads enableLogFlush.
 */
function faultThenEnable(): Scenario {
  const s = makeScope(TEST_BOUND).scenario;
  return {
    ...s,
    operations: [
      { op: 'access', vcpu: 0, root: 'A', addr: 4, kind: 'write' },
      { op: 'enable-dirty-logging', slot: 0, manualProtect: false, initiallySet: false },
    ],
  };
}

test('the scenario that reads every policy runs under v7 (so the refusals below are the unknown values\' doing)', () => {
  const t = runScenario(faultThenEnable(), { variant: findPreset('v7')! });
  // The split must have run for the refusals below to come from the split's reads: it got a child
  // SP for the 1G SPTE and dropped that SPTE.
  assert.equal(t.verdict, 'pass');
  assert.ok(t.steps.some((x) => x.kind === 'get-sp') && t.steps.some((x) => x.kind === 'drop-spte'), 'the split ran');
});

test('the core refuses an unknown policy value where it reads it', () => {
  const s = faultThenEnable();
  // slotZap is read by a memslot deletion only (kvm_arch_flush_shadow_memslot()'s choice): one follows.
  const withDelete: Scenario = { ...s, operations: [...s.operations, { op: 'delete-memslot', slot: 0 }] };
  for (const policy of POLICIES) {
    assert.throws(() => runScenario(policy === 'slotZap' ? withDelete : s, { variant: withPolicy('v7', policy, 'sometimes') }), unknownPolicy(policy), policy);
  }
});

test('the goal report refuses an unknown splitFlush or linkPresent: it decides whether "split-flush-skipped" applies', () => {
  for (const policy of ['splitFlush', 'linkPresent'] as const) {
    assert.throws(() => goalReport(withPolicy('v7', policy, 'sometimes'), 0), unknownPolicy(policy), policy);
  }
});

test('the core refuses an unknown flushMode or splitYield where it reads it', () => {
  const s = faultThenEnable();
  const v7 = findPreset('v7')!;
  assert.throws(() => runScenario({ ...s, flushMode: 'sometimes' } as unknown as Scenario, { variant: v7 }), /unknown flushMode "sometimes"/);
  assert.throws(() => runScenario({ ...s, splitYield: 'sometimes' } as unknown as Scenario, { variant: v7 }), /unknown splitYield "sometimes"/);
});

/** The tests' scope with its scenario changed. */
const scopeWith = (change: Partial<Scenario>, menu?: (m: Scope['menu']) => Scope['menu']): Scope => {
  const s = makeScope(TEST_BOUND);
  return { ...s, scenario: { ...s.scenario, ...change }, menu: menu ? menu(s.menu) : s.menu };
};

test('the packed explorer refuses a scope with a range-capable flush or another split yield, saying why; the core engine runs it', () => {
  const v7 = findPreset('v7')!;
  const range = scopeWith({ flushMode: 'range' });
  const cache = scopeWith({ splitYield: 'cache' });
  assert.throws(() => new PackedModel(range, v7), /bare-metal flushes only .*this scope's flushMode is "range"/);
  assert.throws(() => new PackedModel(cache, v7), /before every huge page .*this scope's splitYield is "cache"/);
  assert.equal(rootNode(cache).ops, 0);
  // The core engine runs its Machine with the scope's flush mode. v7 at the tests' bound is clean
  // on bare metal (explorer_v7.test.ts). Under a range-capable flush its split's flush is issued,
  // but drop_large_spte() passes sp->gfn of the table holding the huge SPTE: here root A's (or B's)
  // indirect level-3 SP, whose gfn is its guest table's (0x1000 or 0x2000), so the range misses the
  // region (gfns 4..7) and the TLB entry a vCPU filled through the huge page stays, as if the split
  // had skipped its flush. The other flushes of the scope cover what they unmap (the memslot
  // flushes the whole slot, an invalidation its gfn). So v7 under a range flush fails like
  // never-flush on bare metal, with a counterexample of the same length.
  const search = new CoreSearch({ variant: v7, bound: TEST_BOUND }, range);
  while (!search.run(1000));
  const r = search.result();
  const neverFlush = explore({ variant: findPreset('never-flush')!, bound: TEST_BOUND });
  assert.equal(r.verdict, 'violation');
  assert.equal(r.violation!.kind, 'stale-tlb');
  assert.equal(r.depth, neverFlush.depth);
});

test('both engines refuse a menu the vCPU and root swaps do not map onto itself (their symmetry reductions would be unsound)', () => {
  const v7 = findPreset('v7')!;
  // Accesses by vCPU 0 only: a state and its vCPU-swapped image would have different futures.
  const lopsided = scopeWith({}, (m) => m.filter((a) => a.t !== 'access' || a.vcpu === 0));
  assert.throws(() => new PackedModel(lopsided, v7), /symmetry reduction .*without "1 A \d+ (read|write)"/);
  assert.throws(() => rootNode(lopsided), /symmetry reduction/);
});

test('the packed explorer refuses a scope whose machine is not the one its layout has places for', () => {
  const v7 = findPreset('v7')!;
  const s = makeScope(TEST_BOUND);
  // Host pages of 2M: the first fault would map 2M, where the packed fault maps 1G.
  const small = scopeWith({ memslots: [{ ...s.scenario.memslots[0], hostLevel: 2 }] });
  assert.throws(() => new PackedModel(small, v7), /scope's scenario\.memslots\[0\]\.hostLevel differs/);
  // A read-only guest mapping: the packed fault always installs a writable leaf.
  const ro = scopeWith({ roots: s.scenario.roots.map((r) => ({ ...r, mappings: r.mappings.map((m) => ({ ...m, access: 1 })) })) });
  assert.throws(() => new PackedModel(ro, v7), /scenario\.roots\[0\]\.mappings\[0\]\.access differs/);
  // An exec access has no place in a packed TLB entry (it keeps no exec bit).
  const exec = scopeWith({}, (m) => m.map((a) => (a.t === 'access' ? { ...a, kind: 'exec' as const } : a)));
  assert.throws(() => new PackedModel(exec, v7), /menu\[0\] is an exec access/);
  // An invalidation outside the region.
  const outside = scopeWith({}, (m) => [...m, { t: 'invalidate', gfn: s.region + s.regionPages }]);
  assert.throws(() => new PackedModel(outside, v7), new RegExp(`an invalidation of gfn ${s.region + s.regionPages}, outside the region`));
});

test('the scopes makeScope() builds are accepted by both engines, for every preset and every E', () => {
  for (const entries of [2, 4, 8]) {
    const scope = makeScope({ entries, ops: 4, accesses: 2, pages: 'few' });
    for (const p of PRESETS) assert.ok(new PackedModel(scope, p), `${p.name} at E = ${entries}`);
    assert.equal(rootNode(scope).ops, 0);
  }
});
