// @no-coverage: core search against packed search, whole; V8's coverage counters about double such a file's CPU (docs/testing.md, "What the unit stage costs").
/**
 * The guest-tables scope's packed search (src/explore/packed_gt/search.ts; docs/explorer.md, "The
 * search and the store"), held to the core search (src/explore/search.ts CoreSearch) whole.
 *
 * The packed model does not yet have memslot deletion, invalidations, the trapped write or the
 * stopped faults, so the whole searches run on the scope with its menu filtered to what the model
 * covers: the guest accesses (faults run whole) and the VMM's untrapped write of PD[0], with the
 * core searching the same filtered scope. Both are breadth-first over the same transitions with the
 * same canonical key (the packed words are equal exactly when the core's keys are:
 * explorer_packed_gt.test.ts), so a clean search must give the same states, transitions, depth and
 * goals, and a violating one the same verdict and shortest depth. A search that stops at a
 * violation stops at the first violating transition of its level, and the two engines order a
 * level differently (the core expands the node it met first, the packed search the canonical form,
 * which may be its vCPU-swapped image, whose candidates come in another order), so there the state
 * and transition counts are not compared.
 *
 * Then the pieces the agreement rests on, each over every state of core searches with every menu
 * option: the in-place canonical form against canonGt(); the candidates read off the words against
 * the core's candidateActions(); the table of what the model covers (covers.ts) against what apply()
 * answers. And the gate: the search refuses a scope whose menu has an action the model lacks, an
 * UNSUPPORTED answer mid-search stops it with an error. And the CLI: --engine packed runs the
 * packed search, and since 2026-12-07 so does no --engine (the scope's default), whose `--variant
 * all` is held to the core's searches of every preset at the default bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { apply, candidateActions, rootNode, STEP, RESUME_BASE, type Node } from '../../src/explore/model';
import { makeGuestTableScope } from '../../src/explore/scope_guest_tables';
import { makeScope, GUEST_TABLES_BOUND, type Bound, type Scope } from '../../src/explore/scope';
import { CoreSearch } from '../../src/explore/search';
import type { ExploreResult } from '../../src/explore/result';
import { PackedGtSearch, gtCandidateLists, gtCandidates } from '../../src/explore/packed_gt/search';
import { PackedGtModel, UNSUPPORTED } from '../../src/explore/packed_gt/model';
import { abstractGtRaw } from '../../src/explore/packed_gt/abstraction';
import { canonGt, canonGtInPlace } from '../../src/explore/packed_gt/canon';
import { ACTIONS_COVERED, FRAMES_COVERED, gtActionKind, scopeLacks } from '../../src/explore/packed_gt/covers';
import { K_DELETE, K_FAULT, K_INVALIDATE, K_WRITE } from '../../src/explore/packed_gt/layout';
import { findPreset, parseVariant, PRESETS, type Variant } from '../../src/kernel/variants';
import { gtBound, gtCoreSearch, gtPack, gtUnpack } from './explorer_packed_gt.helpers';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** The scope with its menu filtered to what the packed model covers: accesses (not stopped) and the VMM's writes. */
function covered(bound: Bound): Scope {
  const s = makeGuestTableScope(bound);
  return { ...s, menu: s.menu.filter((a) => (a.t === 'access' && !a.walked) || (a.t === 'guest-table-write' && a.by !== 'guest')) };
}

function runToEnd(s: { run(ms: number): boolean; result(): ExploreResult }): ExploreResult {
  while (!s.run(10_000));
  return s.result();
}

/** Replay `actions` through the core from the root: each enabled, no violation before the last, the last's first violation returned. */
function replay(scope: Scope, variant: Variant, actions: number[]): { kind: string; at: number } {
  let n: Node = rootNode(scope);
  for (let i = 0; i < actions.length; i++) {
    const o = apply(scope, variant, n, actions[i]);
    assert.ok(o, `action ${actions[i]} at transition ${i + 1} is enabled in the core`);
    if (o.violations.length) return { kind: o.violations[0].kind, at: i + 1 };
    n = o.node;
  }
  return { kind: 'none', at: actions.length };
}

/** Whole searches of the filtered scope by both engines: what must agree. Returns both results. */
function agree(variant: Variant, bound: Bound, scope: Scope = covered(bound)): { core: ExploreResult; packed: ExploreResult } {
  const core = runToEnd(new CoreSearch({ variant, bound, engine: 'core' }, scope));
  const packed = runToEnd(new PackedGtSearch({ variant, bound, engine: 'packed' }, scope));
  const where = `${variant.name} at ${JSON.stringify(bound)}`;
  assert.equal(packed.engine, 'packed');
  assert.equal(packed.verdict, core.verdict, `${where}: verdict`);
  assert.equal(packed.depth, core.depth, `${where}: depth`);
  assert.deepEqual(packed.reached, core.reached, `${where}: goals`);
  if (core.verdict === 'violation') {
    assert.equal(packed.violation!.kind, core.violation!.kind, `${where}: violation`);
    assert.equal(packed.actions!.length, packed.depth, `${where}: the counterexample is as long as the depth`);
    // The core replays the packed counterexample to the same violation at its last transition.
    assert.deepEqual(replay(scope, variant, packed.actions!), { kind: packed.violation!.kind, at: packed.depth }, `${where}: replay`);
  } else {
    assert.equal(packed.states, core.states, `${where}: states`);
    assert.equal(packed.transitions, core.transitions, `${where}: transitions`);
  }
  return { core, packed };
}

test('whole searches of the covered menu agree with the core: every preset at two bounds, and the clean preset at two more', () => {
  // Every preset but mainline-2026 lets a fault reuse the direct SP D below the old huge page for a
  // walk that now asks for another child (childReuse present or gfn), so access, write, access files
  // a leaf in the rmap of a gfn kvm_mmu_page_get_gfn() does not give: an rmap disagreement in 3
  // transitions (explorer_guest_tables.test.ts has why none fewer), with deletion and invalidation
  // out of the menu as well as in. mainline-2026 zaps the mismatched child at the link: no
  // violation. Goals: the write reaches guest-table-changed and the third transition's fault meets
  // the mismatched link in every preset.
  const bounds: Bound[] = [GUEST_TABLES_BOUND, { entries: 4, ops: 4, accesses: 3, scope: 'guest-tables' }];
  let clean = 0;
  for (const bound of bounds) {
    for (const p of PRESETS) {
      const { packed } = agree(p, bound);
      assert.equal(packed.verdict, p.childReuse === 'gfn-role' ? 'no violation within the bound' : 'violation', `${p.name}: verdict by reasoning`);
      if (packed.verdict === 'violation') {
        assert.equal(packed.depth, 3, `${p.name}: access, write, access`);
        assert.equal(packed.violation!.kind, 'rmap-disagreement');
      } else clean++;
      assert.ok(packed.reached!.every((g) => g.reached), `${p.name}: both goals reached`);
    }
  }
  assert.equal(clean, 2);
  // The clean preset's searches, larger: more accesses (each access of the bound can fault twice,
  // four operations share the faults), and E = 8.
  for (const bound of [{ entries: 2, ops: 4, accesses: 4, scope: 'guest-tables' as const }, { entries: 8, ops: 3, accesses: 3, scope: 'guest-tables' as const }]) {
    const { packed } = agree(findPreset('mainline-2026')!, bound);
    assert.ok(packed.states > 900, `${JSON.stringify(bound)}: ${packed.states} states`);
  }
});

test('canonGtInPlace() gives canonGt()\'s words, the stored form gives the words back, and the candidates read off the words are the core\'s, on every state of core searches with every menu option', () => {
  const cases: Array<[Variant, Bound]> = [
    [findPreset('mainline-2026-pre')!, gtBound(2, { writes: 'both', faultWindow: true, deleteTables: true })],
    [findPreset('mainline-2026')!, gtBound(3)],
  ];
  for (const [variant, bound] of cases) {
    const scope = makeScope(bound);
    const model = new PackedGtModel(scope, variant);
    const L = model.L;
    const lists = gtCandidateLists(scope);
    const cands = new Int32Array(scope.menu.length + 1 + L.nf);
    const scratch = new Uint8Array(L.size);
    let swapped = 0;
    let frames = 0;
    const r = gtCoreSearch(variant, bound, (n) => {
      const raw = abstractGtRaw(L, n);
      const want = text(canonGt(L, raw));
      const w = raw.slice();
      canonGtInPlace(L, w, scratch);
      assert.equal(text(w), want);
      if (want !== text(raw)) swapped++;
      if (n.current || n.paused.length) frames++;
      const k = gtCandidates(model, lists, raw, cands);
      assert.deepEqual([...cands.subarray(0, k)], candidateActions(scope, n), `${variant.name}: candidates`);
      // The stored form (the SP slots in use, the paused frames) gives the words back.
      const packed = w.slice();
      const words = gtPack(L, packed);
      assert.ok(words * 4 <= L.size && packed.subarray(0, 11).every((x, i) => x === w[i]));
      const back = new Uint8Array(L.size).fill(0xff);
      gtUnpack(L, packed, 0, back);
      assert.equal(text(back), text(w), `${variant.name}: gtUnpack(gtPack(w)) = w`);
    }, 20_000);
    // Nodes that are not their own canonical form (the canonical one swaps the vCPUs), and nodes with frames (steps and resumes among the candidates).
    assert.ok(r.states >= 3000 && swapped > 500 && frames > 500, `${variant.name}: ${r.states} states, ${swapped} swapped, ${frames} with frames`);
  }
});

test('the table of what the packed model covers says what apply() answers: a covered action is never UNSUPPORTED, an uncovered one always', () => {
  const bound = gtBound(2, { writes: 'both', faultWindow: true, deleteTables: true });
  const scope = makeScope(bound);
  const variant = findPreset('mainline-2026-pre')!;
  const pm = new PackedGtModel(scope, variant);
  const frameKind: Record<string, number> = { 'fault': K_FAULT, 'guest-table-write': K_WRITE, 'invalidate': K_INVALIDATE, 'delete-memslot': K_DELETE };
  const met = new Map<string, number>();
  gtCoreSearch(variant, bound, (n) => {
    const raw = abstractGtRaw(pm.L, n);
    for (const a of candidateActions(scope, n)) {
      let kind: string;
      let covers: boolean;
      if (a >= 0) {
        kind = gtActionKind(scope.menu[a]);
        covers = ACTIONS_COVERED[gtActionKind(scope.menu[a])];
      } else {
        // A step of the running frame, or a resume of a paused one (numbered as the core numbers them).
        const f = a === STEP ? n.current! : n.paused[RESUME_BASE - a];
        kind = `frame ${f.kind}`;
        covers = FRAMES_COVERED[frameKind[f.kind]];
      }
      const got = pm.apply(raw, a);
      assert.equal(got !== UNSUPPORTED, covers, `${kind}: covered ${covers}, apply() answered ${String(got)}`);
      met.set(kind, (met.get(kind) ?? 0) + 1);
    }
  }, 3000);
  // Every kind of menu action and of frame is met (the search is large enough to hold each to the table).
  for (const k of ['access', 'stopped-fault', 'vmm-write', 'guest-write', 'delete-memslot', 'invalidate', 'frame fault', 'frame guest-table-write', 'frame invalidate', 'frame delete-memslot']) {
    assert.ok((met.get(k) ?? 0) > 0, `${k} met: ${JSON.stringify([...met])}`);
  }
});

test('the search refuses a scope whose menu the model does not cover, naming what it lacks; an UNSUPPORTED answer mid-search stops it', () => {
  const variant = findPreset('mainline-2026')!;
  // Today the model covers every menu of the scope: every kind of write, the stopped faults, the tables' deletion.
  for (const b of [GUEST_TABLES_BOUND, gtBound(2, { writes: 'both', faultWindow: true, deleteTables: true })]) assert.deepEqual(scopeLacks(makeScope(b)), []);
  const table = ACTIONS_COVERED as Record<string, boolean>;
  const frames = FRAMES_COVERED as Record<number, boolean>;
  // A table without the deletion (as before stage 3e landed): the default menu offers it, so the
  // search is refused, naming it and its frame's steps, and nothing else.
  table['delete-memslot'] = false;
  frames[K_DELETE] = false;
  try {
    assert.deepEqual(scopeLacks(makeScope(GUEST_TABLES_BOUND)), ['memslot deletion', 'the steps and resumes of a memslot deletion']);
    assert.throws(() => new PackedGtSearch({ variant, bound: GUEST_TABLES_BOUND, engine: 'packed' }), /lacks memslot deletion, the steps and resumes of a memslot deletion/);
    assert.deepEqual(scopeLacks(makeScope({ ...GUEST_TABLES_BOUND, kinds: ['invalidate'] })), []);
  } finally {
    table['delete-memslot'] = true;
    frames[K_DELETE] = true;
  }
  // A model that answers UNSUPPORTED for the invalidation (a transition the table claims but the
  // model lacks): the search meets the first invalidation and stops with an error naming it.
  const real = PackedGtModel.prototype.apply;
  PackedGtModel.prototype.apply = function (this: PackedGtModel, from: Uint8Array, action: number) {
    return action >= 0 && this.scope.menu[action].t === 'invalidate' ? UNSUPPORTED : real.call(this, from, action);
  };
  try {
    const bound: Bound = { ...GUEST_TABLES_BOUND, kinds: ['invalidate'] };
    const s = new PackedGtSearch({ variant, bound, engine: 'packed' });
    assert.throws(() => runToEnd(s), /has no transition for menu action \d+ \(\{"t":"invalidate".*rather than skip it/);
  } finally {
    PackedGtModel.prototype.apply = real;
  }
});

test('the state cap stops the packed search (incomplete) after the state that reached it, as the core does', () => {
  const bound: Bound = { entries: 2, ops: 4, accesses: 4, scope: 'guest-tables' };
  const variant = findPreset('mainline-2026')!;
  const r = runToEnd(new PackedGtSearch({ variant, bound, engine: 'packed', maxStates: 100 }, covered(bound)));
  assert.equal(r.verdict, 'incomplete');
  assert.match(r.stopped!, /state cap of 100/);
  // Checked after each expanded state's successors: at least the cap, at most one state's successors more.
  assert.ok(r.states >= 100 && r.states < 100 + covered(bound).menu.length, `${r.states} states`);
});

const root = join(__dirname, '..', '..');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'explore', '--quiet', '--scope', 'guest-tables', ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('explore --scope guest-tables --engine packed runs the packed search on the whole menu, which agrees with the core', () => {
  // mainline-2026 at 3 operations with every kind of write: clean in both engines (the full-menu
  // searches above), so the whole result is compared, not only the verdict.
  const args = ['--variant', 'mainline-2026', '--ops', '3', '--writes', 'both', '--json'];
  const packed = cli('--engine', 'packed', ...args);
  const core = cli('--engine', 'core', ...args);
  assert.equal(packed.code, 0, packed.err);
  assert.equal(core.code, 0, core.err);
  const p = JSON.parse(packed.out) as ExploreResult;
  const c = JSON.parse(core.out) as ExploreResult;
  assert.equal(p.engine, 'packed');
  assert.equal(c.engine, 'core');
  assert.deepEqual([p.verdict, p.states, p.transitions, p.depth, p.reached], [c.verdict, c.states, c.transitions, c.depth, c.reached]);
  assert.match(p.boundText, /the deletion of memslot 1/);
  // A preset with the hole: exit 1, the counterexample of 3 transitions the core replayed.
  const pre = cli('--engine', 'packed', '--variant', 'mainline-2026-pre');
  assert.equal(pre.code, 1, pre.err);
  assert.match(pre.out, /shortest counterexample: 3 transitions/);
  assert.match(pre.out, /packed engine/);
  // --kinds in the guest-tables scope takes its own operations.
  const bad = cli('--kinds', 'enable');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--kinds in the guest-tables scope expects a comma-separated list of delete-memslot, invalidate, all or none; got 'enable'/);
});

test('whole searches of the whole menu agree with the core: every preset at the default bound, and every kind of write, stopped faults and both deletions', () => {
  // The default menu (the VMM's write, the deletion of memslot 1, invalidations): the same verdict,
  // shortest depth and goals in every preset, the packed counterexample replayed by the core (its
  // resumes renamed to the core's order of paused frames: search.ts coreActions()), and for the
  // clean preset (mainline-2026, which zaps a mismatched child at the link) the same states and
  // transitions. Then the scope's other menus at smaller bounds, where paused operations are
  // resumed: trapped writes (the emulator's write and the zap are two steps apart), stopped faults,
  // the tables' deletion under both slotZap values.
  //
  // The CLI's default engine for this scope is the packed one (since 2026-12-07): its `--variant all
  // --json`, run with no --engine, must be the core's result for every preset (the core's searches
  // here are the costly part, so they are run once, for both comparisons). The same engine, verdict,
  // depth, goals and violation; the same counterexample, action for action (so the same scenario
  // file and the same plain-text trace: counterexampleScenario() and the runner are the core's, fed
  // the same actions); for the clean preset the same states and transitions. A violating search stops
  // at the first violating transition of its level, and the packed search expands a level's states
  // in another order (canonical forms, which may be the vCPU-swapped image, with their candidates in
  // another order: the header of this file), so there its states and transitions are not compared.
  // Both engines' counterexamples here are access, write, access in menu order; were a change of
  // order to make them pick two different shortest paths, the depth and violation would still agree
  // and the action-for-action check is the one to relax, with the reason.
  const cliDefault = cli('--variant', 'all', '--json');
  assert.equal(cliDefault.code, 1, cliDefault.err);
  const rows = JSON.parse(cliDefault.out) as ExploreResult[];
  assert.deepEqual(rows.map((r) => r.variant), PRESETS.map((p) => p.name));
  let clean = 0;
  for (const [i, p] of PRESETS.entries()) {
    const v = findPreset(p.name)!;
    const { core } = agree(v, GUEST_TABLES_BOUND, makeScope(GUEST_TABLES_BOUND));
    const row = rows[i];
    assert.equal(row.engine, 'packed', `${p.name}: the CLI's default engine`);
    assert.equal(row.engineFallback, undefined, `${p.name}: no fallback`);
    assert.deepEqual([row.verdict, row.depth, row.reached, row.violation?.kind, row.actions], [core.verdict, core.depth, core.reached, core.violation?.kind, core.actions], `${p.name}: the default (packed) against the core`);
    if (core.verdict !== 'violation') {
      clean++;
      assert.deepEqual([row.states, row.transitions], [core.states, core.transitions], `${p.name}: the clean search's states and transitions`);
    }
  }
  assert.equal(clean, 1, 'mainline-2026 alone is clean at the default bound');
  const small = gtBound(2, { writes: 'both', faultWindow: true, deleteTables: true });
  for (const name of ['mainline-2026', 'mainline-2026-pre+slotZap=memslot', 'mainline-2026+slotZap=memslot', 'mainline-2026-gfn']) {
    const v = parseVariant(name);
    agree(v, small, makeScope(small));
  }
});

test('the compositions of the presets agree too (slotZap, childReuse with linkPresent), on the covered menu', () => {
  // slotZap only acts at a deletion (out of this menu): the same searches as their presets.
  // mainline-2026-gfn+childReuse=gfn-role is mainline-2026's policies: clean.
  for (const name of ['mainline-2026+slotZap=memslot', 'mainline-2026-pre+slotZap=memslot', 'mainline-2026-gfn+childReuse=gfn-role']) {
    const v = parseVariant(name);
    const { packed } = agree(v, GUEST_TABLES_BOUND);
    assert.equal(packed.verdict, v.childReuse === 'gfn-role' ? 'no violation within the bound' : 'violation', name);
  }
});

test('a packed path\'s resumes are renamed to the core\'s order of paused frames (coreActions()): a path that resumes the frame the words sort first but the core paused second', () => {
  // The words keep paused frames sorted (the key's multiset), Node.paused keeps them in the order
  // they were paused. Find, by a core search with trapped writes and stopped faults, a node whose
  // two paused frames sort the other way round, and a resume from it the core takes: the core's
  // path to that node, then that resume. Walk the packed model along it (each resume given the
  // words' index of the same frame), then coreActions() must give back the core's path exactly;
  // taking the packed indices as the core's (no renaming) would resume the other frame.
  const variant = findPreset('mainline-2026')!;
  const bound = gtBound(3, { writes: 'both', faultWindow: true });
  const scope = makeScope(bound);
  const pm = new PackedGtModel(scope, variant);
  const first = new Map<string, { from: Node | null; action: number }>();
  const keyOf = new Map<Node, string>();
  let found: { n: Node; resume: number } | null = null;
  gtCoreSearch(variant, bound, (n, key, from, action) => {
    keyOf.set(n, key);
    if (!first.has(key)) first.set(key, { from, action });
    if (found || n.paused.length < 2) return;
    const w = abstractGtRaw(pm.L, n);
    for (let j = 0; j < n.paused.length; j++) {
      const a = RESUME_BASE - j;
      const o = apply(scope, variant, n, a);
      if (!o || o.violations.length) continue;
      // The words' index of core frame j differs from j.
      const packedIndex = RESUME_BASE - packedResume(pm, n, j, w);
      if (packedIndex !== a) { found = { n, resume: a }; return; }
    }
  }, 20_000);
  assert.ok(found, 'a node with two paused frames in another order than the words\', one of them resumable');
  const { n, resume } = found as { n: Node; resume: number };
  // The core's path to n (first arrivals back to the root), then the resume.
  const path: number[] = [];
  for (let at: Node | null = n; at !== null;) {
    const p: { from: Node | null; action: number } = first.get(keyOf.get(at)!)!;
    if (p.from === null) break;
    path.push(p.action);
    at = p.from;
  }
  path.reverse();
  path.push(resume);
  // The packed names of the same path.
  const packed: number[] = [];
  let node: Node = rootNode(scope);
  let w = abstractGtRaw(pm.L, node);
  for (const a of path) {
    const pa = a <= RESUME_BASE ? RESUME_BASE - packedResume(pm, node, RESUME_BASE - a, w) : a;
    assert.equal(pm.apply(w, pa), true);
    packed.push(pa);
    w = pm.s.slice();
    node = apply(scope, variant, node, a)!.node;
  }
  assert.notDeepEqual(packed, path, 'the packed path names its last resume otherwise');
  const search = new PackedGtSearch({ variant, bound, engine: 'packed' });
  assert.deepEqual(search.coreActions(packed), path);
});

/** The words' index of core paused frame j at node n (w: n's words): the frame with the same bytes. */
function packedResume(pm: PackedGtModel, n: Node, j: number, w: Uint8Array): number {
  const L = pm.L;
  const others = n.paused.filter((_, k) => k !== j);
  const moved = abstractGtRaw(L, { ...n, current: n.paused[j], paused: n.current ? [...others, n.current] : others });
  const frame = text(moved.subarray(L.cur, L.cur + L.fs));
  for (let i = 0; i < w[L.npaused]; i++) if (text(w.subarray(L.paused + i * L.fs, L.paused + (i + 1) * L.fs)) === frame) return i;
  throw new Error('a paused frame the words do not hold');
}
