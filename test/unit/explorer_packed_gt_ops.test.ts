// @no-coverage: core against packed on every step of whole searches; V8's coverage counters about double such a file's CPU (docs/testing.md, "What the unit stage costs").
/**
 * The guest-tables scope's packed engine, stage 3d (docs/explorer.md, "Stage 3d: steps, resumes,
 * the trapped write and the invalidation"): STEP and RESUME with the lock rules (locks.ts), the
 * guest's trapped write of PD[0] and the mmu-notifier invalidation, each held to the core as the
 * accesses are (explorer_packed_gt.test.ts): from every state of a core search, every such action
 * is enabled exactly when the core's is, leads to the abstraction of the core's successor byte for
 * byte, and reports the same first violation and the same goals.
 *
 * The searches also apply every other action the core offers, so that what the packed engine
 * leaves UNSUPPORTED is known and counted: only what another piece of work (gtdel23) writes may be
 * (the memslot deletion's start and steps, the stopped fault's start and steps, and an access
 * whose root reload would zap an obsolete root). For a step or a resume of those frames the lock
 * rules are already the packed engine's: where it refuses one, the core must refuse it too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, candidateActions, RESUME_BASE, rootNode, STEP, type Node } from '../../src/explore/model';
import { makeScope, type Bound, type MenuAction } from '../../src/explore/scope';
import { GT, gtQ } from '../../src/explore/scope_guest_tables';
import { abstractGtRaw } from '../../src/explore/packed_gt/abstraction';
import { PackedGtModel, UNSUPPORTED } from '../../src/explore/packed_gt/model';
import { G_STALE_ENTRY } from '../../src/explore/goals';
import { findPreset, parseVariant, type Variant } from '../../src/kernel/variants';
import { gtBound, gtCoreSearch, text, sameFirstViolation } from './explorer_packed_gt.helpers';

/** The actions this stage models, by what they are. */
const MODELLED = ['write-start', 'write-step', 'invalidate-start', 'invalidate-step', 'access', 'vmm-write', 'delete-start', 'delete-step', 'walked-start', 'fault-step'] as const;

type Modelled = typeof MODELLED[number];

interface Tally { enabled: number; refused: number; violations: number }
interface Counts {
  states: number;
  modelled: Record<Modelled, Tally>;
}

/** What action `a` is at node n. */
function kindOf(n: Node, scopeMenu: ReturnType<typeof makeScope>['menu'], a: number): Modelled {
  if (a === STEP || a <= RESUME_BASE) {
    const f = a === STEP ? n.current! : n.paused[RESUME_BASE - a];
    switch (f.kind) {
      case 'guest-table-write': return 'write-step';
      case 'invalidate': return 'invalidate-step';
      case 'delete-memslot': return 'delete-step';
      case 'fault': return 'fault-step';
      default: throw new Error(`a ${f.kind} frame in the guest-tables scope`);
    }
  }
  const m = scopeMenu[a];
  switch (m.t) {
    case 'access': return m.walked ? 'walked-start' : 'access';
    case 'guest-table-write': return m.by === 'guest' ? 'write-start' : 'vmm-write';
    case 'invalidate': return 'invalidate-start';
    case 'delete-memslot': return 'delete-start';
    default: throw new Error(`a ${m.t} in the guest-tables scope's menu`);
  }
}

/**
 * The packed action for the core's action `a` at n: the same, but a resume names the paused frame
 * by its place in the words, where the paused frames are sorted (a multiset, as the key has them),
 * not by the core's order of pausing. Frame i's words are found by mapping n with frame i as the
 * running one and the others paused (the same frames, and the SP slots depend on the state only, so
 * its bytes are the same).
 */
function packedAction(pm: PackedGtModel, n: Node, a: number, from: Uint8Array): number {
  if (a > RESUME_BASE) return a;
  const L = pm.L;
  const i = RESUME_BASE - a;
  const others = n.paused.filter((_, k) => k !== i);
  const moved = abstractGtRaw(L, { ...n, current: n.paused[i], paused: n.current ? [...others, n.current] : others });
  const frame = text(moved.subarray(L.cur, L.cur + L.fs));
  for (let j = 0; j < from[L.npaused]; j++) if (text(from.subarray(L.paused + j * L.fs, L.paused + (j + 1) * L.fs)) === frame) return RESUME_BASE - j;
  throw new Error('a paused frame the words do not hold');
}

/**
 * Every action the core offers from every state of its search, through both engines. Returns the
 * counts by kind; asserts agreement on every modelled one and that only gtdel23's are unsupported.
 */
function compareOps(variant: Variant, bound: Bound): Counts {
  const scope = makeScope(bound);
  const pm = new PackedGtModel(scope, variant);
  const seen = new Set<string>();
  const c = noCounts();
  gtCoreSearch(variant, bound, (n, key) => {
    if (seen.has(key)) return;
    seen.add(key);
    compareNode(pm, variant, n, key, c);
  });
  return c;
}

function noCounts(): Counts {
  const tally = (): Tally => ({ enabled: 0, refused: 0, violations: 0 });
  return {
    states: 0,
    modelled: Object.fromEntries(MODELLED.map((k) => [k, tally()])) as Record<Modelled, Tally>,
  };
}

/** Every action the core offers at node n, through both engines, counted into c. */
function compareNode(pm: PackedGtModel, variant: Variant, n: Node, key: string, c: Counts): void {
  const scope = pm.scope;
  c.states++;
  const from = abstractGtRaw(pm.L, n);
  for (const a of candidateActions(scope, n)) {
    const kind = kindOf(n, scope.menu, a);
    const where = `${variant.name}, state ${key}, action ${a} (${kind})`;
    const got = pm.apply(from, packedAction(pm, n, a, from));
    // Since stages 3d and 3e were merged the model has every action of the scope (covers.ts).
    assert.notEqual(got, UNSUPPORTED, `${where}: unsupported`);
    const o = apply(scope, variant, n, a);
    const t = c.modelled[kind];
    assert.equal(got, !!o, `${where}: enabled`);
    if (!o) { t.refused++; continue; }
    t.enabled++;
    const cv = sameFirstViolation(pm, o, where);
    if (cv) { t.violations++; continue; }
    assert.equal(text(pm.s), text(abstractGtRaw(pm.L, o.node)), `${where}: successor`);
    // G_STALE_ENTRY (a stale entry left by any transition) is compared by whole searches.
    assert.equal(pm.reached & ~G_STALE_ENTRY, o.reached & ~G_STALE_ENTRY, `${where}: goals`);
  }
}

const show = (c: Counts) => JSON.stringify(c);

test('packed = core on every trapped write, invalidation, and step and resume of theirs, from every state of core searches; none unsupported (the deletion\'s and the stopped fault\'s too, since the merge)', () => {
  const cases: Array<[Variant, Bound]> = [
    // childReuse=present: the trapped write's zap meets PD's SP linking a table at G1 kept over D.
    [findPreset('mainline-2026-pre')!, gtBound(2, { writes: 'both', faultWindow: true })],
    [findPreset('mainline-2026')!, gtBound(3, { writes: 'both' })],
    [parseVariant('mainline-2026-pre+slotZap=memslot'), gtBound(2, { writes: 'trapped', faultWindow: true, deleteTables: true })],
  ];
  for (const [variant, bound] of cases) {
    const c = compareOps(variant, bound);
    const m = c.modelled;
    console.log(`${variant.name} ${JSON.stringify(bound)}: ${show(c)}`);
    // Each search reaches thousands of states; in most of them a write may start (one a path) or an
    // invalidation (ops left), and every started one is stepped to its end along some path.
    assert.ok(c.states > 2000, show(c));
    for (const k of ['write-start', 'write-step', 'invalidate-start', 'invalidate-step'] as const) {
      assert.ok(m[k].enabled > 100, `${variant.name}: ${k} enabled (${show(c)})`);
    }
  }
});

test('packed = core past a first hole: the invalidation that follows an rmap entry into a freed SP (the shadow-page use-after-free)', () => {
  // The searches above stop at a violation, and every path to an rmap entry into a freed SP passes
  // one first, so their invalidations never meet one. This path goes on past them, as the core
  // does (mainline-2026 reports an rmap miss with WARN and kvm_vm_bugged(), and goes on):
  // vCPU 0 reads page 0 (a fault makes the direct SP D below PD[0], huge G1, and maps D[0]); the
  // VMM writes PD[0] := table at G1; vCPU 1 reads page 1: its fault keeps D (childReuse=present)
  // and installs D[1] for Q, filed in Q's rmap while kvm_mmu_page_get_gfn() gives G1 + 1 (the
  // rmap disagreement); the deletion of R1 zaps D, misses D[1] in G1 + 1's rmap (data corruption,
  // the VM bugged) and frees D; the invalidation of Q then follows Q's rmap into freed D: the
  // use-after-free, named by the gfn the entry was filed under, Q.
  const variant = findPreset('mainline-2026-pre')!;
  const scope = makeScope(gtBound(4));
  const pm = new PackedGtModel(scope, variant);
  const menu = (want: (m: MenuAction) => boolean): number => {
    const i = scope.menu.findIndex(want);
    assert.ok(i >= 0);
    return i;
  };
  const c = noCounts();
  const seen: string[] = [];
  let n = rootNode(scope);
  const go = (a: number, violation?: string): void => {
    compareNode(pm, variant, n, `path step ${seen.length}`, c);
    const o = apply(scope, variant, n, a);
    assert.ok(o, `path step ${seen.length}: action ${a} enabled`);
    seen.push(...o.violations.map((v) => v.kind));
    if (violation) assert.equal(o.violations[0]?.kind, violation, `path step ${seen.length}`);
    n = o.node;
  };
  go(menu((m) => m.t === 'access' && !m.walked && m.vcpu === 0 && m.addr === 0 && m.kind === 'read'));
  go(menu((m) => m.t === 'guest-table-write' && m.by !== 'guest' && m.entry.kind === 'table' && m.entry.gfn === GT.g1));
  go(menu((m) => m.t === 'access' && !m.walked && m.vcpu === 1 && m.addr === 1 && m.kind === 'read'), 'rmap-disagreement');
  go(menu((m) => m.t === 'delete-memslot' && m.slot === 1));
  while (n.current) go(STEP);
  assert.ok(seen.includes('data-corruption') && n.state.vmBuggedAt >= 0, `the deletion's rmap miss: ${seen.join(', ')}`);
  go(menu((m) => m.t === 'invalidate' && m.gfn === gtQ()));
  // The invalidation's zap: compared here (the first violation, use-after-free of Q, in both).
  compareNode(pm, variant, n, 'the invalidation at its zap', c);
  const o = apply(scope, variant, n, STEP);
  assert.equal(o?.violations[0]?.kind, 'sp-use-after-free');
  assert.equal(o?.violations[0]?.gfn, gtQ());
  assert.equal(c.modelled['invalidate-step'].violations, 1, show(c));
});
