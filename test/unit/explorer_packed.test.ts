/**
 * The packed explorer model (src/explore/packed/) against the core, transition by transition.
 *
 * The packed model is a second implementation of the explorer's transitions, so it is held to the
 * core by the abstraction function (packed/abstraction.ts): for a core node n and an action a,
 * the packed transition from abstract(n) must be enabled exactly when the core's is, lead to
 * abstract(core successor) byte for byte, and report the same first violation (kind, strength,
 * vCPU, gfn). That is checked on every transition of whole core searches at small bounds, on the
 * first states of searches with every operation kind, and on seeded random walks at E = 4 and 8.
 * The whole searches of both engines, compared by their results, are explorer_packed_searches.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, candidateActions, rootNode, type Node } from '../../src/explore/model';
import { canonicalKey } from '../../src/explore/canon';
import { makeScope, type Bound, type Scope } from '../../src/explore/scope';
import { PackedModel } from '../../src/explore/packed/model';
import { abstractNode } from '../../src/explore/packed/abstraction';
import { Canonicalizer } from '../../src/explore/packed/search';
import { findPreset, PRESETS, type Variant } from '../../src/kernel/variants';
import { TEST_BOUND } from './explorer.helpers';
import { G_STALE_ENTRY } from '../../src/explore/goals';

const bytes = (a: Uint8Array) => Array.from(a).join(',');

/** Compare one core transition with the packed one; returns the core outcome. */
function compare(scope: Scope, variant: Variant, pm: PackedModel, n: Node, from: Int32Array, a: number, where: string) {
  const o = apply(scope, variant, n, a, false, pm.por);
  pm.reached = 0;
  const enabled = pm.apply(from, 0, a);
  assert.equal(enabled, !!o, `${where}: action ${a} enabled in the core: ${!!o}, in the packed model: ${enabled}`);
  if (!o) return null;
  const cv = o.violations[0];
  const pv = pm.violation;
  assert.deepEqual(
    pv ? { kind: pv.kind, strength: pv.strength, vcpu: pv.vcpu, gfn: pv.gfn } : null,
    cv ? { kind: cv.kind, strength: cv.strength, vcpu: cv.vcpu, gfn: cv.gfn } : null,
    `${where}: action ${a}: first violation`);
  if (!cv) assert.equal(bytes(pm.s), bytes(abstractNode(scope, o.node, pm.L.clears)), `${where}: action ${a}: successor`);
  // The goals the transition reached (goals.ts), as the two engines record them. The packed model
  // looks for a stale TLB entry only after a step that removed an SPTE, the core after every
  // transition: the same entries, first seen at the same transition, compared by whole searches.
  assert.equal(pm.reached & ~G_STALE_ENTRY, o.reached & ~G_STALE_ENTRY, `${where}: action ${a}: goals reached`);
  return o;
}

/** Breadth-first search with the core, comparing every transition; the number of states seen. */
function coreSearchCompared(variant: Variant, bound: Bound, maxStates: number, por = false, scope: Scope = makeScope(bound)): { states: number; transitions: number } {
  const pm = new PackedModel(scope, variant, { por });
  const visited = new Set<string>();
  let frontier: Node[] = [rootNode(scope)];
  visited.add(canonicalKey(frontier[0]));
  let transitions = 0;
  while (frontier.length && visited.size < maxStates) {
    const next: Node[] = [];
    for (const n of frontier) {
      const from = new Int32Array(abstractNode(scope, n, pm.L.clears).buffer);
      for (const a of candidateActions(scope, n)) {
        const o = compare(scope, variant, pm, n, from, a, `${variant.name} after ${visited.size} states`);
        if (!o) continue;
        transitions++;
        if (o.violations.length) continue;
        const key = canonicalKey(o.node);
        if (!visited.has(key)) { visited.add(key); next.push(o.node); }
      }
    }
    frontier = next;
  }
  return { states: visited.size, transitions };
}

test('packed = core on every transition of the whole search at the tests\' bound (v7)', () => {
  for (const name of ['v7']) {
    const r = coreSearchCompared(findPreset(name)!, TEST_BOUND, Infinity);
    // Whole searches: more than a handful of states, each with its transitions compared.
    assert.ok(r.states > 1000 && r.transitions > r.states, `${name}: ${r.states} states, ${r.transitions} transitions`);
  }
});

/**
 * The partial searches compare every transition of their states, so they must get that far: the
 * whole searches at these bounds hold hundreds of thousands of states (docs/explorer.md), and
 * one that stopped short (no action offered, every successor a violation) would compare little.
 */
function assertReached(r: { states: number; transitions: number }, want: number, what: string): void {
  assert.ok(r.states >= want && r.transitions > r.states, `${what}: only ${r.states} states and ${r.transitions} transitions compared`);
}

// --reduce por (docs/explorer.md, "Partial-order reduction"): the two engines' footprints, the
// packed fresh byte and the core's Node.foot, held to each other by the same comparison (the
// abstraction maps Node.foot to the byte), and the same searches.
test('packed = core with --reduce por on every transition of the whole search at the tests\' bound (v7), and the first 1,500 states of every preset with every kind (E = 2)', () => {
  const r = coreSearchCompared(findPreset('v7')!, TEST_BOUND, Infinity, true);
  assert.ok(r.states > 1000 && r.transitions > r.states, `v7: ${r.states} states, ${r.transitions} transitions`);
  for (const p of PRESETS) assertReached(coreSearchCompared(p, { entries: 2, ops: 4, accesses: 2, pages: 'few' }, 1500, true), 1500, `${p.name}, por`);
});

// Reduction 4 turned off (Scope.reduction4, tests only; explorer_reduction4.test.ts holds the
// reduced search to it): the two engines must offer the same accesses under the lock there too,
// for the window between get's start and its harvest above all.
test('packed = core without reduction 4 on every transition of the whole search (v7, E = 2, 4 operations, enable and get; every kind, first 1,500 states)', () => {
  const bound: Bound = { entries: 2, ops: 4, accesses: 2, pages: 'few', kinds: ['enable', 'get'] };
  for (const reduction4 of ['off-in-get', 'off'] as const) {
    const r = coreSearchCompared(findPreset('v7')!, bound, Infinity, false, { ...makeScope(bound), reduction4 });
    // The packed search of this bound holds 20,347 states (explorer_reduction4.test.ts).
    assert.ok(r.states > 20000 && r.transitions > r.states, `v7, ${reduction4}: ${r.states} states, ${r.transitions} transitions`);
    const every: Bound = { entries: 2, ops: 4, accesses: 2, pages: 'few' };
    assertReached(coreSearchCompared(findPreset('v7')!, every, 1500, false, { ...makeScope(every), reduction4 }), 1500, `v7, ${reduction4}, every kind`);
  }
});

test('packed = core on the first 1,500 states of every preset with every operation kind (E = 2)', () => {
  for (const p of PRESETS) assertReached(coreSearchCompared(p, { entries: 2, ops: 4, accesses: 2, pages: 'few' }, 1500), 1500, p.name);
});

test('packed = core on the first 3,000 states at E = 4 with every operation kind (never-flush, mainline-2026)', () => {
  for (const name of ['never-flush', 'mainline-2026']) assertReached(coreSearchCompared(findPreset(name)!, { entries: 4, ops: 4, accesses: 2, pages: 'few' }, 3000), 3000, name);
});

/** A small deterministic PRNG (mulberry32), so a failing walk can be found again by its seed. */
function prng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

test('packed = core along 60 seeded random walks at E = 4 and E = 8, every kind, every preset', () => {
  let steps = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const rnd = prng(seed);
    const variant = PRESETS[seed % PRESETS.length];
    const bound: Bound = { entries: seed % 3 === 0 ? 8 : 4, ops: 6, accesses: 4, pages: 'few' };
    const scope = makeScope(bound);
    const pm = new PackedModel(scope, variant);
    let n = rootNode(scope);
    for (let depth = 0; depth < 40; depth++) {
      const from = new Int32Array(abstractNode(scope, n, pm.L.clears).buffer);
      const actions = candidateActions(scope, n);
      const outcomes = actions.map((a) => ({ a, o: compare(scope, variant, pm, n, from, a, `seed ${seed} depth ${depth}`) })).filter((x) => x.o);
      if (!outcomes.length) break;
      const pick = outcomes[Math.floor(rnd() * outcomes.length)];
      steps++;
      if (pick.o!.violations.length) break;
      n = pick.o!.node;
    }
  }
  assert.ok(steps > 1000, `${steps} steps walked`);
});

test('the canonical form is the same for a state and its images under the vCPU and root swaps', () => {
  const scope = makeScope({ entries: 4, ops: 6, accesses: 4, pages: 'few' });
  const variant = findPreset('v7')!;
  const pm = new PackedModel(scope, variant);
  const canon = new Canonicalizer(pm.L);
  const swap = (s: Uint8Array, vcpus: boolean, roots: boolean): Uint8Array => {
    // The swaps written out independently of Canonicalizer: roots exchange their L4/L3 entries,
    // their rmap codes, the root bit of TLB entries and the 1G split codes; vCPUs their TLBs.
    const L = pm.L;
    const t = s.slice();
    if (roots) {
      [t[L.l4], t[L.l4 + 1]] = [s[L.l4 + 1], s[L.l4]];
      [t[L.l3], t[L.l3 + 1]] = [s[L.l3 + 1], s[L.l3]];
      for (let k = 0; k < 2; k++) if (s[L.rmap3 + k]) t[L.rmap3 + k] = 3 - s[L.rmap3 + k];
      for (let i = 0; i < 2 * L.nt; i++) if (s[L.tlb + 2 * i]) t[L.tlb + 2 * i + 1] ^= 4;
      for (let i = -1; i < s[L.npaused]; i++) {
        const f = i < 0 ? L.cur : L.pausedAt(i);
        if (s[f + 5] && s[f + 9] >= 1 && s[f + 9] <= 2) t[f + 9] = 3 - s[f + 9];
      }
    }
    if (vcpus) {
      const half = 2 * L.nt;
      for (let i = 0; i < half; i++) { const x = t[L.tlb + i]; t[L.tlb + i] = t[L.tlb + half + i]; t[L.tlb + half + i] = x; }
    }
    return t;
  };
  const rnd = prng(7);
  let checked = 0;
  let asymmetric = 0;
  for (let walk = 0; walk < 60; walk++) {
    let s = pm.initial(new Uint8Array(pm.L.size));
    for (let depth = 0; depth < 30; depth++) {
      const out = new Int32Array(128);
      const n = pm.candidates(s, 0, out);
      const next: Uint8Array[] = [];
      for (let k = 0; k < n; k++) if (pm.apply(new Int32Array(s.buffer), 0, out[k]) && !pm.violation) next.push(pm.s.slice());
      if (!next.length) break;
      s = next[Math.floor(rnd() * next.length)];
      const key = bytes(new Uint8Array(canon.canon(s).buffer));
      for (const [v, r] of [[true, false], [false, true], [true, true]] as const) {
        const image = swap(s, v, r);
        if (bytes(image) !== bytes(s)) asymmetric++;
        assert.equal(bytes(new Uint8Array(canon.canon(image).buffer)), key);
        checked++;
      }
    }
  }
  assert.ok(checked > 1000 && asymmetric > checked / 4, `${checked} images, ${asymmetric} different from their state`);
});
