/**
 * share.ts lets a successor keep its parent's SP, memslot or vCPU object when the transition left
 * it equal in every field. "Every field" is a list written by hand in share.ts, so a field added to
 * KvmMmuPage, Memslot, Vcpu or TlbEntry and not to that list would make a changed object look
 * unchanged: the successor would silently get its parent's old value back, and the search would
 * explore states no transition made.
 *
 * This test changes one field at a time (every field any sampled object has, nested ones too) in a
 * copy of a real explorer state, and asks share.ts to share: the changed object must stay the
 * copy's own. The samples come from the guest-tables scope with trapped and untrapped writes and
 * the fault window, and from the split scope, so freed SPs, misfiled leaves, invalid memslots,
 * pending root reloads, dirty bitmaps and remaps are all among them (asserted below).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, candidateActions } from '../../src/explore/model';
import { ALL_KINDS, makeScope, type Bound } from '../../src/explore/scope';
import { findPreset, PRESETS } from '../../src/kernel/variants';
import { exploredStates } from '../support/explored_states';
import { cloneState, type MmuState } from '../../src/model/state';
import { shareUnchanged } from '../../src/explore/share';
import { endFork, forkState } from '../../src/model/fork';

const states = exploredStates;

/** A value of the same shape that differs from `v` (a present value for an absent one). */
function changed(v: unknown, example: unknown): unknown {
  if (v === undefined || v === null) return example === undefined || example === null ? 1 : changed(example, undefined);
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'string') return `${v}x`;
  if (ArrayBuffer.isView(v)) {
    const a = v as unknown as Uint8Array;
    const c = new (a.constructor as Uint8ArrayConstructor)(Math.max(a.length, 1));
    c.set(a);
    c[0] = (a.length ? a[0] : 0) + 1;
    return c;
  }
  if (Array.isArray(v)) return [...v, v[0] ?? 0];
  if (v instanceof Map) return new Map([...v, [-1, v.values().next().value ?? { gfn: 1, step: 1 }]]);
  throw new Error(`no change written for ${Object.prototype.toString.call(v)}`);
}

type Path = Array<string | number>;

function get(o: unknown, path: Path): unknown {
  return path.reduce<unknown>((x, k) => (x as Record<string | number, unknown>)?.[k], o);
}

function set(o: unknown, path: Path, v: unknown): void {
  const parent = get(o, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]] = v;
}

/** Each leaf field's path in `o` (objects of our own type are descended; values, arrays and maps are leaves). */
function fieldPaths(o: Record<string, unknown>, prefix: Path = []): Path[] {
  const out: Path[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (v && typeof v === 'object' && !ArrayBuffer.isView(v) && !Array.isArray(v) && !(v instanceof Map)) out.push(...fieldPaths(v as Record<string, unknown>, [...prefix, k]));
    else out.push([...prefix, k]);
  }
  return out;
}

interface Kind { name: string; objects: (s: MmuState) => readonly object[]; fields: (o: object) => Path[] }

// A memslot's rmap and remaps, and a vCPU's TLB entries, are arrays of objects: each element's fields are paths too.
const KINDS: Kind[] = [
  { name: 'sps', objects: (s) => s.sps, fields: (o) => fieldPaths(o as Record<string, unknown>) },
  {
    name: 'memslots', objects: (s) => s.memslots,
    fields: (o) => {
      const m = o as MmuState['memslots'][number];
      const own = fieldPaths(m as unknown as Record<string, unknown>).filter((p) => p[0] !== 'rmap' && p[0] !== 'remaps');
      const rmap = m.rmap.flatMap((r, l) => (r ? [['rmap', l, 'head'], ['rmap', l, 'more']] as Path[] : []));
      const remaps = m.remaps.flatMap((_, i) => ['gfn', 'npages', 'pfn'].map((k) => ['remaps', i, k] as Path));
      return [...own, ['rmap'], ['remaps'], ...rmap, ...remaps];
    },
  },
  {
    name: 'vcpus', objects: (s) => s.vcpus,
    fields: (o) => {
      const v = o as MmuState['vcpus'][number];
      const own = fieldPaths(v as unknown as Record<string, unknown>).filter((p) => p[0] !== 'tlb');
      return [...own, ['tlb'], ...v.tlb.flatMap((e, i) => Object.keys(e).map((k) => ['tlb', i, k] as Path))];
    },
  },
];

const SAMPLES: MmuState[] = [
  ...states('mainline-2026-pre', { entries: 2, ops: 4, accesses: 2, scope: 'guest-tables', writes: 'both' }, 3000),
  ...states('mainline-2026', { entries: 2, ops: 4, accesses: 2, scope: 'guest-tables', faultWindow: true }, 3000),
  ...states('mainline-2026', { entries: 2, ops: 3, accesses: 2, scope: 'guest-tables' }, 3000),
  ...states('v7', { entries: 2, ops: 3, accesses: 2 }, 1500),
].map((n) => n.state);

test('share.ts keeps a changed SP, memslot or vCPU the successor\'s own, whichever field changed', () => {
  let checked = 0;
  for (const kind of KINDS) {
    // Every field name any object of this kind has, with an example value for the objects that lack it.
    const examples = new Map<string, unknown>();
    for (const s of SAMPLES) for (const o of kind.objects(s)) for (const p of kind.fields(o)) if (examples.get(p.join('.')) == null) examples.set(p.join('.'), get(o, p));
    for (const s of SAMPLES.filter((_, i) => i % 97 === 0)) {
      const objects = kind.objects(s);
      for (let i = 0; i < objects.length; i++) {
        const own = kind.fields(objects[i]);
        const absent = [...examples.keys()].filter((k) => !k.includes('.') && !(k in objects[i])).map((k) => [k]);
        for (const path of [...own, ...absent]) {
          const child = cloneState(s);
          const obj = kind.objects(child)[i];
          set(obj, path, changed(get(obj, path), examples.get(path.join('.'))));
          shareUnchanged(s, child);
          assert.notEqual(kind.objects(child)[i], objects[i], `${kind.name}[${i}].${path.join('.')} changed, and share.ts gave back the parent's object`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 1000, `fields changed and checked: ${checked}`);
});

test('the samples hold what the field check must cover', () => {
  const has = (f: (s: MmuState) => boolean) => SAMPLES.some(f);
  assert.ok(has((s) => s.sps.some((sp) => sp.freed)), 'a freed SP');
  assert.ok(has((s) => s.sps.some((sp) => sp.misfiled && sp.misfiled.size > 0)), 'a misfiled leaf');
  assert.ok(has((s) => s.sps.some((sp) => sp.gfns !== null)), 'an indirect SP with gfns[]');
  assert.ok(has((s) => s.memslots.some((m) => m.invalid)), 'an invalid memslot');
  assert.ok(has((s) => s.vcpus.some((v) => v.reloadPending)), 'a pending root reload');
  assert.ok(has((s) => s.vcpus.some((v) => v.tlb.length > 0)), 'a TLB entry');
  assert.ok(has((s) => s.memslots.some((m) => m.rmap.some((r) => r && r.more.size > 0))), 'an rmap list');
});

test('no transition writes the state it starts from, trapped writes and stopped faults included', () => {
  for (const [preset, bound] of [
    ['mainline-2026-pre', { entries: 2, ops: 4, accesses: 2, scope: 'guest-tables', writes: 'trapped' }],
    ['mainline-2026', { entries: 2, ops: 4, accesses: 2, scope: 'guest-tables', faultWindow: true }],
  ] as Array<[string, Bound]>) {
    const scope = makeScope(bound);
    const variant = findPreset(preset)!;
    for (const n of states(preset, bound, 400)) {
      const before = cloneState(n.state);
      for (const a of candidateActions(scope, n)) apply(scope, variant, n, a);
      assert.deepStrictEqual(n.state, before, `${preset}: a transition wrote its parent's state`);
    }
  }
});

/**
 * The explorer runs a transition on a fork (model/fork.ts): SPs', memslots' and vCPUs' arrays, the
 * SP hash and guest memory stay the parent's until written, and every writer copies first. A writer
 * that forgot would write the parent, which this catches for the writers each scope reaches: the
 * split scope's dirty logging (bitmap fill, clear, harvest), write-protection, split and
 * invalidation (remaps), and the guest-tables scope's faults, zaps, frees and deletions under every
 * preset (misfiled leaves and rmap misses come from the presets without both fixes).
 */
test('forks: no transition writes the state it starts from, in the split scope and under every guest-tables preset', () => {
  const cases: Array<[string, Bound, number]> = [
    ['v7', { entries: 2, ops: 3, accesses: 2 }, 1500],
    ['never-flush', { entries: 2, ops: 3, accesses: 2, kinds: ALL_KINDS }, 1500],
    // Invalidations alone, so that some end and their pages are re-faulted (remaps).
    ['v7', { entries: 2, ops: 3, accesses: 2, kinds: ['invalidate'] }, 1500],
    ...PRESETS.map((p) => [p.name, { entries: 2, ops: 4, accesses: 2, scope: 'guest-tables', writes: 'both' }, 300] as [string, Bound, number]),
  ];
  const reached = { bitmap: 0, remaps: 0, misfiled: 0, freed: 0 };
  for (const [preset, bound, limit] of cases) {
    const scope = makeScope(bound);
    const variant = findPreset(preset)!;
    for (const n of states(preset, bound, limit)) {
      const before = cloneState(n.state);
      for (const a of candidateActions(scope, n)) {
        const o = apply(scope, variant, n, a);
        if (!o) continue;
        const s = o.node.state;
        if (s.memslots.some((m, i) => m.dirtyBitmap !== n.state.memslots[i]?.dirtyBitmap)) reached.bitmap++;
        if (s.memslots.some((m) => m.remaps.length)) reached.remaps++;
        if (s.sps.some((sp) => sp.misfiled?.size)) reached.misfiled++;
        if (s.sps.some((sp) => sp.freed)) reached.freed++;
      }
      assert.deepStrictEqual(n.state, before, `${preset}: a transition wrote its parent's state`);
    }
  }
  // The writers above were reached (else the comparison proves less than it says).
  assert.ok(Object.values(reached).every((x) => x > 0), JSON.stringify(reached));
});

test('a fork reads the same as a deep copy, field for field', () => {
  for (const [preset, bound] of [
    ['v7', { entries: 2, ops: 3, accesses: 2 }],
    ['mainline-2026', { entries: 2, ops: 4, accesses: 2, scope: 'guest-tables', faultWindow: true }],
  ] as Array<[string, Bound]>) {
    for (const n of states(preset, bound, 500)) {
      assert.deepStrictEqual(forkState(n.state), cloneState(n.state));
      endFork();
    }
  }
});
