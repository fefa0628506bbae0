// @no-coverage: whole searches with and without the reduction; V8's coverage counters about double such a file's CPU (docs/testing.md, "What the unit stage costs").
/**
 * Reduction 4 of docs/explorer.md (with mmu_lock held, a guest access is offered only after a
 * step visible to accesses) against the search without it (Scope.reduction4, tests only), and the
 * window it was in question for: between the start of a classic KVM_GET_DIRTY_LOG, which takes
 * the lock and copies the ground truth `written` into the pages this harvest must find, and the
 * harvest. The start reads what an access writes, so an access does not commute with it; the
 * settled argument is in docs/explorer.md, "Reduction 4 and the start of `get`".
 *
 * Why the expected values are what they are:
 * - Without reduction 4 (U) the search offers every access B (reduction 4) offers, and more: every
 *   B trace is a U trace, so U finds every violation and goal B finds, no later.
 * - A U trace with an access w under the lock after an invisible step is rearranged by moving w
 *   back. Over a step other than get's start it commutes (the step reads and writes nothing an
 *   access reads or writes): the same state. Over get's start S it does not commute, but `w; S`
 *   reaches the state `S; w` reaches except that the get's must-harvest set also holds w's page
 *   (the page is in `written` before the copy), and that set is read only by the lost-page check
 *   at the get's release: the same transitions are enabled after both, to states alike in the same
 *   way, and the check reports at the release everything it reports after `S; w` and perhaps more
 *   (the page w wrote, if the harvest lacks it). So B finds every U violation at the same
 *   transition or earlier, and reaches every goal: the same verdict, counterexample length,
 *   violation kind and goals; the search depth too, at these bounds (measured, not proven).
 * - States: U's are B's, and, where a get holds the lock, states that differ from a B state only
 *   in having fewer must-harvest pages (the write came after the copy). Turning the reduction off
 *   everywhere adds no state beyond turning it off in get's section: elsewhere the moves give the
 *   same state (checked as sets).
 * - The window tests: see their comments (a write whose dirty mark was lost, after the copy or
 *   before it).
 * Mutations: the harvest taken as invisible in the packed model (no access under get's lock after
 * it in B) fails both state-set tests, first at pre-patch (U has states after the harvest that no
 * B state is like), and leaves the outcomes equal; must-harvest computed at the release instead of
 * the start (the core) fails the core's window test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PackedSearch } from '../../src/explore/packed/search';
import { PackedModel } from '../../src/explore/packed/model';
import { F_KIND, K_GET, type Layout } from '../../src/explore/packed/layout';
import { abstractNode } from '../../src/explore/packed/abstraction';
import { apply, rootNode, STEP, type Node } from '../../src/explore/model';
import { makeScope, type Bound, type Scope } from '../../src/explore/scope';
import type { ExploreResult } from '../../src/explore/result';
import { findPreset, PRESETS, type Variant } from '../../src/kernel/variants';
import type { Violation } from '../../src/model/step';
import { finishedSearch, storedStates } from './explorer.helpers';

/** E = 2, 3 operations, 2 accesses, every kind (as the por and symmetry tests). */
const E2: Bound = { entries: 2, ops: 3, accesses: 2, pages: 'few' };
/** E = 2, 4 operations, 2 accesses, enable and get only: two gets after enabling, or a fault between. */
const GETS: Bound = { entries: 2, ops: 4, accesses: 2, pages: 'few', kinds: ['enable', 'get'] };

function searchOf(variant: Variant, bound: Bound, reduction4?: Scope['reduction4']): PackedSearch {
  const scope: Scope = reduction4 ? { ...makeScope(bound), reduction4 } : makeScope(bound);
  return finishedSearch({ variant, bound }, scope);
}

const keyOf = (st: Uint8Array) => Array.from(st).join(',');

/**
 * The state with the must-harvest bytes of every get in flight (running or paused) zeroed, and
 * those bytes in frame order; null when no get is in flight. The set stays in the frame from the
 * start to the end, so a state after the release still carries it.
 */
function withoutMust(L: Layout, st: Uint8Array): { key: string; must: Uint8Array } | null {
  const frames = [L.cur];
  for (let i = 0; i < st[L.npaused]; i++) frames.push(L.pausedAt(i));
  const gets = frames.filter((f) => st[f + F_KIND] === K_GET);
  if (!gets.length) return null;
  const c = st.slice();
  const must = new Uint8Array(gets.length * L.mb);
  gets.forEach((f, k) => {
    const at = L.mustOf(f);
    must.set(st.subarray(at, at + L.mb), k * L.mb);
    c.fill(0, at, at + L.mb);
  });
  return { key: keyOf(c), must };
}

const includes = (big: Uint8Array, small: Uint8Array) => small.every((b, i) => (big[i] & b) === b);

/** The outcome a reduction must keep (as assertSameOutcome() in explorer.helpers.ts, without `reduce`). */
function assertKept(u: ExploreResult, b: ExploreResult, what: string): void {
  assert.notEqual(u.verdict, 'incomplete', what);
  assert.equal(b.verdict, u.verdict, `${what}: verdict`);
  assert.equal(b.depth, u.depth, `${what}: depth (the counterexample's length, or the search's)`);
  assert.deepEqual(b.reached, u.reached, `${what}: goals reached`);
  assert.equal(b.violation?.kind, u.violation?.kind, `${what}: violation kind`);
  assert.equal(b.violation?.strength, u.violation?.strength, `${what}: violation strength`);
  assert.equal(b.actions?.length, u.actions?.length, `${what}: counterexample length`);
}

for (const [name, bound] of [['E = 2, 3 operations, 2 accesses, every kind', E2], ['E = 2, 4 operations, 2 accesses, enable and get', GETS]] as const) {
  test(`reduction 4 keeps the verdict, depth, goals and counterexample of the search without it, on every preset (${name})`, () => {
    for (const p of PRESETS) {
      const b = searchOf(p, bound);
      const inGet = searchOf(p, bound, 'off-in-get');
      const off = searchOf(p, bound, 'off');
      assertKept(inGet.result(), b.result(), `${p.name}, off in get's section`);
      assertKept(off.result(), b.result(), `${p.name}, off everywhere`);
      // Reduction 4 drops transitions: accesses under the lock after an invisible step.
      assert.ok(b.result().transitions < inGet.result().transitions && inGet.result().transitions < off.result().transitions, `${p.name}: transitions`);
    }
  });

  test(`without reduction 4, every state is a reduced search's state or one like it with fewer pages to harvest (${name})`, () => {
    for (const p of PRESETS) {
      const b = searchOf(p, bound);
      const L = b.model.L;
      const reduced = new Set<string>();
      const musts = new Map<string, Uint8Array[]>();
      for (const st of storedStates(b)) {
        reduced.add(keyOf(st));
        const w = withoutMust(L, st);
        if (w) musts.set(w.key, [...(musts.get(w.key) ?? []), w.must]);
      }
      const inGet = storedStates(searchOf(p, bound, 'off-in-get'));
      let extra = 0;
      for (const st of inGet) {
        if (reduced.has(keyOf(st))) continue;
        extra++;
        const w = withoutMust(L, st);
        assert.ok(w, `${p.name}: a state without reduction 4 that the reduced search lacks, and no get is in flight there`);
        assert.ok((musts.get(w.key) ?? []).some((m) => includes(m, w.must) && keyOf(m) !== keyOf(w.must)),
          `${p.name}: a state without reduction 4 that no reduced state is like (the same but for more pages to harvest)`);
      }
      // Where the search reaches a get with a page written (every preset at these bounds), it
      // has such states: a write after the copy.
      assert.ok(extra > 0, `${p.name}: no write in get's window`);
      // Turned off everywhere, the reduction adds no other state: the moves over the other
      // invisible steps give the same state.
      const off = storedStates(searchOf(p, bound, 'off'));
      assert.deepEqual(new Set(off.map(keyOf)), new Set(inGet.map(keyOf)), `${p.name}: off everywhere = off in get's section, as sets`);
    }
  });
}

// ---- the window itself, in the core and in the packed model ----------------------------------

const v7 = findPreset('v7')!;
const WINDOW: Bound = { entries: 2, ops: 4, accesses: 2, pages: 'few', kinds: ['enable', 'get'] };

function menuIndex(scope: Scope, want: (a: Scope['menu'][number]) => boolean): number {
  const i = scope.menu.findIndex(want);
  assert.ok(i >= 0);
  return i;
}

/**
 * The node after: logging enabled (classic mode), vCPU 0 wrote region page 0 (a write fault: a
 * writable 4K SPTE, the page marked dirty, a writable TLB entry), and then, by hand, the page's
 * dirty bit and its ground-truth bit cleared. That is the state a write whose mark was lost would
 * leave (a writable mapping of a page that is in neither the bitmap nor `written`): the next
 * write through the TLB entry is one no harvest will find.
 */
function unloggedWritable(scope: Scope): { node: Node; write: number; get: number } {
  const enable = menuIndex(scope, (a) => a.t === 'enable' && !a.manualProtect);
  const get = menuIndex(scope, (a) => a.t === 'get');
  const write = menuIndex(scope, (a) => a.t === 'access' && a.vcpu === 0 && a.root === 'A' && a.addr === scope.region && a.kind === 'write');
  let n = run(scope, rootNode(scope), [enable]);
  while (n.current) n = run(scope, n, [STEP]);
  n = run(scope, n, [write]);
  const page = scope.region;
  const slot = n.state.memslots[0];
  assert.equal(slot.dirtyBitmap[page - slot.baseGfn], 1, 'the write fault marked the page dirty');
  assert.ok(n.state.writtenSinceProtect.has(page));
  const bitmap = slot.dirtyBitmap.slice();
  bitmap[page - slot.baseGfn] = 0;
  const written = new Set(n.state.writtenSinceProtect);
  written.delete(page);
  const state = { ...n.state, memslots: [{ ...slot, dirtyBitmap: bitmap }], writtenSinceProtect: written };
  return { node: { ...n, state }, write, get };
}

/** Apply actions, none refused, none violating; the last node. */
function run(scope: Scope, n: Node, actions: number[]): Node {
  for (const a of actions) {
    const o = apply(scope, v7, n, a);
    assert.ok(o, `action ${a} is enabled`);
    assert.deepEqual(o.violations, [], `action ${a} reports nothing`);
    n = o.node;
  }
  return n;
}

/** Steps of the running operation and then whole gets, until a violation or the end; each transition's violations. */
function trace(scope: Scope, n: Node, actions: number[]): Violation[][] {
  const out: Violation[][] = [];
  for (const a of actions) {
    const o = apply(scope, v7, n, a);
    assert.ok(o, `action ${a} is enabled`);
    out.push(o.violations);
    n = o.node;
  }
  return out;
}

/**
 * The transitions that finish the current get when no page is dirty (none is here): no harvest
 * step (no word has a bit), the check with the release, the flush (skipped: nothing harvested),
 * the end.
 */
const GET_STEPS = [STEP, STEP, STEP];

test('a write in get\'s window, after the copy: found by the next get, not this one; the same write before the copy: found by this one (the core)', () => {
  const scope: Scope = { ...makeScope(WINDOW), reduction4: 'off-in-get' };
  const { node, write, get } = unloggedWritable(scope);
  // After the copy: get starts (mmu_lock, must-harvest = written, without the page), the write
  // hits the writable TLB entry (offered only with reduction 4 off: the start wrote no SPTE), the
  // harvest finds no dirty bit, the check has nothing to miss; the ioctl returns with the page in
  // `written`, so the next get must find it and does not: lost dirty page at its release.
  const after = trace(scope, node, [get, write, ...GET_STEPS, get, ...GET_STEPS]);
  const lost = (vs: Violation[][]) => vs.map((v, i) => v.some((x) => x.kind === 'lost-dirty-page' && x.gfn === scope.region) ? i : -1).filter((i) => i >= 0);
  // Transitions: 0 get's start, 1 the write, 2 the check and release (first get), 3 flush, 4 end,
  // 5 the second start, 6 the check and release.
  assert.deepEqual(lost(after), [6], 'reported once, by the second get');
  // Before the copy: the page is in this get's must-harvest and the harvest lacks it.
  const before = trace(scope, node, [write, get, ...GET_STEPS]);
  // Transitions: 0 the write, 1 get's start, 2 the check and release.
  assert.deepEqual(lost(before), [2], 'reported by the first get, at its release');
  // Reduction 4 offers no access between the start and a visible step: the first order is not
  // searched as such; the second is, and reports at an earlier transition.
  const reduced = makeScope(WINDOW);
  const started = apply(reduced, v7, node, get)!;
  assert.equal(started.node.fresh, false, 'get\'s start is invisible to accesses');
  assert.equal(apply(reduced, v7, started.node, write), null, 'no access under the lock after it');
});

test('the same window in the packed model: the same transitions report the lost page', () => {
  const scope: Scope = { ...makeScope(WINDOW), reduction4: 'off-in-get' };
  const pm = new PackedModel(scope, v7);
  const { node, write, get } = unloggedWritable(scope);
  const from = abstractNode(scope, node, pm.L.clears);
  const lostAt = (actions: number[]) => {
    let s = new Int32Array(from.slice().buffer);
    const at: number[] = [];
    actions.forEach((a, i) => {
      assert.ok(pm.apply(s, 0, a), `action ${a} is enabled`);
      if (pm.violation?.kind === 'lost-dirty-page') at.push(i);
      s = new Int32Array(pm.s.slice().buffer);
    });
    return at;
  };
  assert.deepEqual(lostAt([get, write, ...GET_STEPS, get, ...GET_STEPS]), [6]);
  assert.deepEqual(lostAt([write, get, ...GET_STEPS]), [2]);
});
