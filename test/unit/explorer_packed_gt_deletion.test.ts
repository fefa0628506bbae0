// @no-coverage: core against packed on every deletion step of whole searches; V8's coverage counters about double such a file's CPU (docs/testing.md, "What the unit stage costs").
/**
 * The guest-tables scope's packed engine, stage 3e (docs/explorer.md, "Stage 3e: memslot deletion,
 * the obsolete root's reload, the stopped faults"): memslot deletion under both slotZap values
 * (src/explore/packed_gt/deletion.ts), the reload of a root that is obsolete and not zapped yet
 * (model.ts reloadRoots()), and the stopped faults of --fault-window (fault_window.ts).
 *
 * Held to the core as the earlier stages are (explorer_packed_gt.test.ts): from every state of
 * whole core searches, every action the core offers (candidateActions()) is applied by both engines
 * from the same node: the packed one must be enabled exactly when the core's is, and then report the
 * same first violation, or (with none) make the abstraction of the core's successor byte for byte
 * and reach the same goals. A RESUME names the paused frame by its place in the core's list; the
 * packed words keep the paused frames sorted, so the test finds the frame's place there by its bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, candidateActions, RESUME_BASE, rootNode, STEP, type Node } from '../../src/explore/model';
import { canonicalKey } from '../../src/explore/canon';
import { makeScope, type Bound } from '../../src/explore/scope';
import { abstractGtRaw } from '../../src/explore/packed_gt/abstraction';
import { PackedGtModel, UNSUPPORTED } from '../../src/explore/packed_gt/model';
import { G_STALE_ENTRY } from '../../src/explore/goals';
import { findPreset, parseVariant, type Variant } from '../../src/kernel/variants';
import { cloneState } from '../../src/model/state';
import { gtBound, gtCoreSearch, packedPausedIndex, sameFirstViolation, text } from './explorer_packed_gt.helpers';



interface Counts {
  states: number;
  /** Per class of action: compared (enabled or refused by both), enabled, violations. */
  compared: Record<string, number>;
  enabled: Record<string, number>;
  violations: Record<string, number>;
  /** Left UNSUPPORTED, by class: only the kinds this stage does not write. */
  unsupported: Record<string, number>;
}

const bump = (r: Record<string, number>, k: string) => { r[k] = (r[k] ?? 0) + 1; };

/** The class of an action at a node, for the counts: what it starts, or what kind of frame it steps. */
function classOf(scope: ReturnType<typeof makeScope>, n: Node, a: number): string {
  if (a === STEP) return `step ${n.current!.kind}`;
  if (a <= RESUME_BASE) return `resume ${n.paused[RESUME_BASE - a].kind}`;
  const m = scope.menu[a];
  if (m.t === 'access') return m.walked ? 'walked access' : 'access';
  if (m.t === 'guest-table-write') return m.by === 'guest' ? 'trapped write' : 'vmm write';
  return m.t;
}

/** What this stage leaves to the parallel work (gtops23): the trapped write, the invalidation, their steps and resumes. */
const OTHERS = new Set(['trapped write', 'invalidate', 'step invalidate', 'resume invalidate', 'step guest-table-write', 'resume guest-table-write']);

/**
 * Apply action `a` at node n in both engines and compare; `from` is n's raw words. Returns the
 * packed answer's class: 'unsupported', 'refused', 'violation' or 'enabled'.
 */
function compareOne(pm: PackedGtModel, variant: Variant, n: Node, from: Uint8Array, a: number, where: string): string {
  const scope = pm.scope;
  const pa = a <= RESUME_BASE ? RESUME_BASE - packedPausedIndex(pm.L, n, from, RESUME_BASE - a) : a;
  const got = pm.apply(from, pa);
  if (got === UNSUPPORTED) return 'unsupported';
  const o = apply(scope, variant, n, a);
  assert.equal(got, !!o, `${where}: enabled`);
  if (!o) return 'refused';
  const cv = sameFirstViolation(pm, o, where);
  // The successor is compared with a violation too: the search goes on past some (searchPast()),
  // and what the report leaves (the VM bugged or the host oopsed) decides what may run next.
  assert.equal(text(pm.s), text(abstractGtRaw(pm.L, o.node)), `${where}: successor`);
  if (cv) return `violation ${cv.kind}`;
  // A stale TLB entry left by the transition (G_STALE_ENTRY) is for whole searches to compare.
  assert.equal(pm.reached & ~G_STALE_ENTRY, o.reached & ~G_STALE_ENTRY, `${where}: goals`);
  return 'enabled';
}

/**
 * A breadth-first core search that goes on past the violations of the kinds `past` (as `explore
 * --until` does past what it does not stop at): a leaf misfiled by a fault is an rmap disagreement,
 * and only past it does a deletion meet the misfiled leaf (rmap_remove()'s miss) or an rmap entry
 * into a freed SP. Calls `each` once a state.
 */
function searchPast(variant: Variant, bound: Bound, past: ReadonlySet<string>, each: (n: Node, key: string) => void): void {
  const scope = makeScope(bound);
  const root = rootNode(scope);
  const visited = new Set<string>([canonicalKey(root)]);
  each(root, canonicalKey(root));
  let frontier: Node[] = [root];
  while (frontier.length) {
    const next: Node[] = [];
    for (const n of frontier) {
      for (const a of candidateActions(scope, n)) {
        const o = apply(scope, variant, n, a);
        if (!o || o.violations.some((v) => !past.has(v.kind))) continue;
        const key = canonicalKey(o.node);
        if (visited.has(key)) continue;
        visited.add(key);
        each(o.node, key);
        next.push(o.node);
      }
    }
    frontier = next;
  }
}

/** Every action the core offers at every state of its search, through both engines. */
function compareAll(variant: Variant, bound: Bound, past: ReadonlySet<string> = new Set()): Counts {
  const scope = makeScope(bound);
  const pm = new PackedGtModel(scope, variant);
  const r: Counts = { states: 0, compared: {}, enabled: {}, violations: {}, unsupported: {} };
  searchPast(variant, bound, past, (n, key) => {
    r.states++;
    const from = abstractGtRaw(pm.L, n);
    for (const a of candidateActions(scope, n)) {
      const c = classOf(scope, n, a);
      const got = compareOne(pm, variant, n, from, a, `${variant.name}, state ${key}, action ${a} (${c})`);
      if (got === 'unsupported') { bump(r.unsupported, c); continue; }
      bump(r.compared, c);
      if (got === 'enabled') bump(r.enabled, c);
      else if (got.startsWith('violation')) bump(r.violations, `${c}: ${got.slice(10)}`);
    }
  });
  return r;
}

/**
 * Past a misfiled leaf (the rmap disagreement): what a deletion then does with it; and past the
 * miss's report (data corruption): the rest of that deletion, run with the VM bugged.
 */
const MISFILED: ReadonlySet<string> = new Set(['rmap-disagreement', 'data-corruption']);

const sum = (r: Record<string, number>, pred: (k: string) => boolean = () => true) => Object.entries(r).filter(([k]) => pred(k)).reduce((s, [, v]) => s + v, 0);

test('packed = core on memslot deletion with the quirk on (kvm_mmu_zap_all_fast()): start, every step and resume, and every access around it', () => {
  // mainline-2026-pre at 3 operations: a fault misfiles a leaf (childReuse=present), and the
  // deletion's zap of the obsolete D drops it through rmap_remove(), which misses: the VM is bugged
  // (data corruption), as the era reports it. The deletion's steps run at every place accesses and
  // the other operations leave them.
  const r = compareAll(findPreset('mainline-2026-pre')!, gtBound(3), MISFILED);
  const info = JSON.stringify(r);
  assert.ok(r.states > 20_000, info);
  // By reasoning: one deletion a path, so it starts only where none has (with an operation left,
  // mmu_lock free): hundreds of states; then each of its 9 steps runs from every state where it is
  // current, after every interleaving of accesses and the write: thousands.
  assert.ok((r.enabled['delete-memslot'] ?? 0) > 200 && (r.enabled['step delete-memslot'] ?? 0) > 3000, info);
  assert.ok((r.violations['step delete-memslot: data-corruption'] ?? 0) > 0, `the misfiled leaf's rmap miss at the zap: ${info}`);
  // Nothing of this stage is left unsupported: only the invalidation's start and steps (gtops23).
  for (const k of Object.keys(r.unsupported)) assert.ok(OTHERS.has(k), `${k} unsupported: ${info}`);
});

test('packed = core on memslot deletion with the quirk off (slotZap=memslot), of R1 and of the tables\' memslot', () => {
  // mainline-2026-pre+slotZap=memslot with --delete-tables at 3 operations: kvm_mmu_zap_memslot():
  // the unmap of the slot's rmaps, the zap of the indirect SPs at its gfns (the root among them,
  // kept for its vCPUs, invalid, off the active list), the commit or the unmap's flush; the root
  // reload after it frees the invalid root.
  const r = compareAll(parseVariant('mainline-2026-pre+slotZap=memslot'), gtBound(3, { deleteTables: true }), MISFILED);
  const info = JSON.stringify(r);
  assert.ok(r.states > 40_000, info);
  assert.ok((r.enabled['delete-memslot'] ?? 0) > 200 && (r.enabled['step delete-memslot'] ?? 0) > 3000, info);
  // The tables' deletion zaps the root's children recursively, D among them, and misses the misfiled leaf.
  assert.ok((r.violations['step delete-memslot: data-corruption'] ?? 0) > 0, info);
  for (const k of Object.keys(r.unsupported)) assert.ok(OTHERS.has(k), `${k} unsupported: ${info}`);
});

test('packed = core on the stopped faults of --fault-window: the walked access, its resume, every step, the gpte recheck, the retried access', () => {
  // mainline-2026 with the fault window, trapped and untrapped writes and the tables' deletion at
  // 2 operations: a stopped fault's resume takes mmu_lock; each walk step links one SP, notes an
  // -EEXIST or installs the leaf; a write in the window makes FNAME(gpte_changed) retry; the
  // deletion may not pass its memslot swap while a fault is stopped (the lock table).
  const r = compareAll(findPreset('mainline-2026')!, gtBound(2, { faultWindow: true, writes: 'both', deleteTables: true }));
  const info = JSON.stringify(r);
  assert.ok(r.states > 5000, info);
  assert.ok((r.enabled['walked access'] ?? 0) > 500 && (r.enabled['resume fault'] ?? 0) > 500 && (r.enabled['step fault'] ?? 0) > 2000, info);
  for (const k of Object.keys(r.unsupported)) assert.ok(OTHERS.has(k), `${k} unsupported: ${info}`);
  // The unfixed preset with the fault window and the quirk off: the stopped fault walks into D built
  // for another gfn and misfiles its leaf (an rmap disagreement at its walk step).
  const p = compareAll(parseVariant('mainline-2026-pre+slotZap=memslot'), gtBound(2, { faultWindow: true, deleteTables: true }));
  const pinfo = JSON.stringify(p);
  assert.ok(sum(p.violations, (k) => k.startsWith('step fault')) > 0, `a stopped fault's leaf misfiled: ${pinfo}`);
  for (const k of Object.keys(p.unsupported)) assert.ok(OTHERS.has(k), `${k} unsupported: ${pinfo}`);
});

test('packed = core on the reload of a root that is obsolete and not zapped yet (kvm_mmu_free_obsolete_roots() zaps and frees it)', () => {
  // The core's searches never reach such a reload (the deletion zaps every obsolete SP, the root
  // among them, before it drops mmu_lock), so the nodes are made: every node of a search where a
  // deletion has just toggled the generation (the root obsolete, not invalid, the vCPUs owing a
  // reload), with mmu_lock released and the deletion taken away. Both engines are functions of the
  // node, so they must agree there too: the access zaps the old root (its children with it), flushes,
  // frees, and makes a new root.
  const variant = findPreset('mainline-2026-pre')!;
  const bound = gtBound(3);
  const scope = makeScope(bound);
  const pm = new PackedGtModel(scope, variant);
  const seen = new Set<string>();
  const counts: Record<string, number> = {};
  gtCoreSearch(variant, bound, (n, key) => {
    if (seen.has(key) || !n.current || n.current.kind !== 'delete-memslot' || n.current.pc !== 'zap' || n.current.zapped !== 0) return;
    seen.add(key);
    const state = cloneState(n.state);
    state.mmuLockHeld = false;
    const m: Node = { ...n, state, current: null, fresh: false };
    const root = state.sps[state.roots[0].spId];
    assert.ok(root.mmuValidGen !== state.mmuValidGen && !root.invalid && state.vcpus.every((v) => v.reloadPending), 'the root obsolete and not zapped, every vCPU owing a reload');
    const from = abstractGtRaw(pm.L, m);
    for (const a of candidateActions(scope, m)) {
      if (scope.menu[a]?.t !== 'access') continue;
      bump(counts, compareOne(pm, variant, m, from, a, `made node from ${key}, action ${a}`));
    }
  });
  const info = JSON.stringify(counts);
  // Every access there reloads first (a fill or a fault after it), so most are enabled; a misfiled
  // leaf below the zapped root makes the data-corruption report.
  assert.ok((counts.enabled ?? 0) > 100, info);
  assert.equal(counts.unsupported ?? 0, 0, info);
});
