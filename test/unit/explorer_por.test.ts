// @no-coverage: whole searches with and without the reduction, every preset; V8's coverage counters about double such a file's CPU (docs/testing.md, "What the unit stage costs").
/**
 * The partial-order reduction of guest accesses under mmu_lock (`explore --reduce por`,
 * ExploreOptions.reduce; src/explore/packed/model.ts, the footprint in the fresh byte;
 * docs/explorer.md, "Partial-order reduction").
 *
 * Why the expected values are what they are:
 * - The reduced search (P) offers an access under the lock only where the unreduced one (B,
 *   reduction 4) does, and only to the frames the last visible step touched: so every P transition
 *   is a B transition from the same state with the fresh byte read as "some frame" = 1, and leads
 *   to the same successor apart from that byte. Checked on every transition of P's search.
 * - Every B trace can be rearranged, by moving each access under the lock back over the steps
 *   invisible to its frame (they commute: the same state), into a P trace of the same length that
 *   reaches the same state, or one whose TLBs list the same entries in another order of entries
 *   that cover no common page (such states have the same futures and violation kinds). So the
 *   verdict, the shortest depth and the goals are B's, and P's states, fresh byte cleared and each
 *   TLB's entries sorted, are B's states so normalised, no more and no fewer (checked as sets).
 * - States: the reduction drops interleavings whose every state a kept one reaches too (the
 *   second point on each prefix), so the states are B's apart from the fresh byte; the count can
 *   differ only by it (a state after two steps with different footprints is two P states, one B
 *   state). Not more is expected, not proven:
 *   the footprint is mostly fixed by the running operation's program counter, which the state
 *   holds; a bound where it splits B's states would fail the `<=` below and be worth knowing.
 *   "Fewer transitions" holds where some access under the lock follows a step visible to another
 *   frame only: a split's loop over one level-1 SP, the write-protection or zap of one page; the
 *   clean presets at every bound below have such a step (counts in docs/explorer.md).
 * - A P counterexample is a B trace: the core (reduction 4 as B) replays it (confirmWithCore(), at
 *   run time) and so does the scenario runner here.
 * Mutation: a flush's footprint one frame instead of every frame fails 10 of the 17 tests at the
 * two small bounds (the state sets differ). The 1G rule and the harvest's every frame, left out,
 * fail none here (docs/explorer.md says why); the engines' agreement test holds them
 * (explorer_packed.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PackedSearch } from '../../src/explore/packed/search';
import { PackedModel } from '../../src/explore/packed/model';
import type { Layout } from '../../src/explore/packed/layout';
import { STEP } from '../../src/explore/model';
import { counterexampleScenario } from '../../src/explore/counterexample';
import { parseScenario } from '../../src/scenario/parse';
import { runScenario } from '../../src/run/run';
import { DEFAULT_BOUND, type Bound } from '../../src/explore/scope';
import type { ExploreResult, Reduction } from '../../src/explore/result';
import { findPreset, PRESETS } from '../../src/kernel/variants';
import { TEST_BOUND, assertSameOutcome, finishedSearch as searchOf } from './explorer.helpers';

/** E = 2, 3 operations, 2 accesses, every kind (as the symmetry tests). */
const E2: Bound = { entries: 2, ops: 3, accesses: 2, pages: 'few' };


/** Each stored state, fresh byte cleared and each vCPU's TLB entries sorted, as a key. */
function normalisedStates(s: PackedSearch): Set<string> {
  const L = s.model.L;
  const out = new Set<string>();
  s.forEachState((words, at) => {
    const st = new Uint8Array(L.size);
    L.load(new Int32Array(st.buffer), words, at);
    out.add(normalKey(L, st));
  });
  return out;
}

function normalKey(L: Layout, st: Uint8Array): string {
  const c = st.slice();
  c[L.fresh] = 0;
  const blocks: string[] = [];
  for (let v = 0; v < 2; v++) {
    const entries: string[] = [];
    for (let i = 0; i < L.nt; i++) {
      const at = L.tlbAt(v, i);
      if (c[at]) entries.push(`${c[at]}.${c[at + 1]}`);
      c[at] = 0;
      c[at + 1] = 0;
    }
    blocks.push(entries.sort().join(' '));
  }
  // The canonical form orders the two vCPUs' blocks: so does the key (the swap is a symmetry).
  return `${Array.from(c).join(',')}|${blocks.sort().join('|')}`;
}

function sameOutcome(plain: ExploreResult, reduced: ExploreResult, reduce: Reduction = 'por'): void {
  assertSameOutcome(plain, reduced, reduce);
}

/** The reduced counterexample replays through the scenario runner to the same violation. */
function replays(variantName: string, bound: Bound, r: ExploreResult): void {
  const variant = findPreset(variantName)!;
  const json = counterexampleScenario(variant, bound, r.actions!, r.violation);
  const t = runScenario(parseScenario(JSON.stringify(json), 'counterexample.json'), { variant });
  assert.equal(t.verdict, 'violation');
  assert.equal(t.violations[0].kind, r.violation!.kind);
  assert.equal(t.violations[0].strength, r.violation!.strength);
}

for (const [name, bound] of [['E = 2, 3 operations, 2 accesses, every kind', E2], ['the tests\' bound', TEST_BOUND]] as const) {
  for (const preset of PRESETS) {
    test(`${preset.name} at ${name}: --reduce por keeps the verdict, the shortest depth and the goals, and B's states`, () => {
      const variant = findPreset(preset.name)!;
      const plainSearch = searchOf({ variant, bound });
      const plain = plainSearch.result();
      const porSearch = searchOf({ variant, bound, reduce: 'por' });
      const reduced = porSearch.result();
      sameOutcome(plain, reduced);
      if (plain.verdict === 'violation') {
        // A search that stops at a violation stops at the first one of its level, and the two
        // order a level differently: only the outcome, and a real counterexample, are claimed.
        replays(preset.name, bound, reduced);
        return;
      }
      assert.ok(reduced.states <= plain.states, `${reduced.states} <= ${plain.states}`);
      assert.ok(reduced.transitions < plain.transitions, `${reduced.transitions} < ${plain.transitions}`);
      assert.deepEqual(normalisedStates(porSearch), normalisedStates(plainSearch), 'the same states, fresh byte and TLB order aside');
    });
  }
}

test('every transition of the reduced search is one of the unreduced search from the same state', () => {
  for (const bound of [E2, TEST_BOUND]) {
    const variant = findPreset('v7')!;
    const search = searchOf({ variant, bound, reduce: 'por' });
    const scope = search.scope;
    const por = new PackedModel(scope, variant, { por: true });
    const plain = new PackedModel(scope, variant);
    const L = por.L;
    const cands = new Int32Array(scope.menu.length + 2 + L.nf);
    let checked = 0;
    let partial = 0;
    search.forEachState((words, at) => {
      const st = new Uint8Array(L.size);
      const sw = new Int32Array(st.buffer);
      L.load(sw, words, at);
      const b = st.slice();
      b[L.fresh] = st[L.fresh] ? 1 : 0;
      const bw = new Int32Array(b.buffer);
      if (st[L.lock] && st[L.fresh] && st[L.fresh] !== (1 << L.e) - 1) partial++;
      const plainActions = new Set<number>();
      for (let k = 0, n = plain.candidates(b, 0, cands); k < n; k++) {
        plain.forget();
        if (plain.apply(bw, 0, cands[k])) plainActions.add(cands[k]);
      }
      for (let k = 0, n = por.candidates(st, 0, cands); k < n; k++) {
        const a = cands[k];
        por.forget();
        if (!por.apply(sw, 0, a)) continue;
        assert.ok(plainActions.has(a), `action ${a} of the reduced search is not the unreduced search's`);
        plain.forget();
        assert.ok(plain.apply(bw, 0, a));
        const x = por.s.slice();
        const y = plain.s.slice();
        assert.equal(x[L.fresh] !== 0, y[L.fresh] !== 0, 'fresh in one exactly when fresh in the other');
        x[L.fresh] = 0;
        y[L.fresh] = 0;
        assert.deepEqual(x, y, `action ${a === STEP ? 'step' : a}: the same successor`);
        assert.deepEqual(por.violation, plain.violation);
        checked++;
      }
    });
    assert.ok(checked > 10_000, `${checked} transitions`);
    assert.ok(partial > 0, 'some state under the lock is fresh for some frames only');
  }
});

// The default bound (E = 4, 4 operations, 2 accesses, the few-pages menu, every kind): about a
// million states a preset, a few seconds each.
for (const preset of PRESETS) {
  test(`${preset.name} at the default bound: --reduce por keeps the verdict, the shortest depth and the goals`, () => {
    const variant = findPreset(preset.name)!;
    const plain = searchOf({ variant, bound: DEFAULT_BOUND }).result();
    const reduced = searchOf({ variant, bound: DEFAULT_BOUND, reduce: 'por' }).result();
    sameOutcome(plain, reduced);
    if (plain.verdict === 'violation') { replays(preset.name, DEFAULT_BOUND, reduced); return; }
    assert.ok(reduced.states <= plain.states, `${reduced.states} <= ${plain.states}`);
    assert.ok(reduced.transitions < plain.transitions, `${reduced.transitions} < ${plain.transitions}`);
  });
}

test('symmetry,por and --hash-compact: the outcome of symmetry alone, fewer transitions', () => {
  const variant = findPreset('v7')!;
  const sym = searchOf({ variant, bound: E2, reduce: 'symmetry' }).result();
  const both = searchOf({ variant, bound: E2, reduce: 'symmetry,por' }).result();
  sameOutcome(sym, both, 'symmetry,por');
  assert.ok(both.states <= sym.states, `${both.states} <= ${sym.states}`);
  assert.ok(both.transitions < sym.transitions, `${both.transitions} < ${sym.transitions}`);
  const compact = searchOf({ variant, bound: E2, reduce: 'symmetry,por', hashCompact: true }).result();
  sameOutcome(sym, compact, 'symmetry,por');
  assert.equal(compact.states, both.states, 'no collision at this size: the exact search\'s states');
  const nf = findPreset('never-flush')!;
  const r = searchOf({ variant: nf, bound: E2, reduce: 'symmetry,por', hashCompact: true }).result();
  assert.equal(r.verdict, 'violation');
  assert.equal(r.depth, searchOf({ variant: nf, bound: E2 }).result().depth);
  replays('never-flush', E2, r);
});
