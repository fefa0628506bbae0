/**
 * The abstraction map of the guest-tables scope's packed engine: a core explorer node (../model.ts)
 * as its packed words (layout.ts), in canonical form. Two nodes map to equal words exactly when
 * their core canonical keys (../canon.ts) are equal (test/unit/explorer_packed_gt.test.ts holds it
 * to that over whole core searches). It throws when the core state holds something the layout
 * cannot say, or something the layout leaves out because it is a function of what it keeps (the SP
 * hash, parent_ptes, the root's SP, the invalidations in flight, a fault's walk) and is not that
 * function: that would be the layout's reasoning wrong, not the state.
 */
import { SPTE_PRESENT, isLastSpte } from '../../kernel/spte';
import { walkGuest } from '../../mmu/guest_walk';
import { spHashKey } from '../../mmu/shadow_page';
import type { KvmMmuPage, MmuState } from '../../model/state';
import type { OpFrame } from '../../model/frames';
import type { Node } from '../model';
import { GT } from '../scope_guest_tables';
import {
  E_FLAGS, E_GFN_ACCESS, E_MISFILED, gfnAccess, E_TARGET, F_ARG, F_ARG2, F_EEXIST, F_KIND, F_LIST, F_MISMATCH, F_PC, F_PCHILD, F_SEQ,
  F_PSPTEP, F_RECHECKED, F_VCPU, F_WALK, F_WALKED, GtLayout, K_DELETE, K_FAULT, K_INVALIDATE, K_WRITE, LIFE_FREED,
  LIFE_INVALID, LIFE_OBSOLETE, LIFE_ROOT_SHIFT, M_GONE, M_INIT_SET, M_INVALID, M_LOG, M_MANUAL, PCS, T_BYTES, withPd0,
} from './layout';

function fail(what: string): never {
  throw new Error(`packed_gt abstraction: ${what}`);
}

/** A code the layout gives, or a failure naming what had none. */
function code(c: number, what: string): number {
  if (c < 0 || c > 255) fail(`no code for ${what}`);
  return c;
}

/** Fields each frame kind may have (the layout writes each; any other would be left out unseen). */
const FIELDS: Record<string, ReadonlySet<string>> = {
  fault: new Set(['kind', 'opIndex', 'label', 'pc', 'stepsRun', 'reduced', 'done', 'vcpu', 'root', 'addr', 'access', 'pendingChild', 'pendingSptep', 'gw', 'walkError', 'rechecked', 'eexistNoted', 'mismatch', 'invalidList', 'walkedAccess', 'seqMoved']),
  invalidate: new Set(['kind', 'opIndex', 'label', 'pc', 'stepsRun', 'reduced', 'done', 'gfn', 'npages', 'zapped']),
  'delete-memslot': new Set(['kind', 'opIndex', 'label', 'pc', 'stepsRun', 'reduced', 'done', 'slotId', 'invalidList', 'zapped', 'unmapFlush']),
  'guest-table-write': new Set(['kind', 'opIndex', 'label', 'pc', 'stepsRun', 'reduced', 'done', 'by', 'vcpu', 'table', 'index', 'entry', 'spCursor', 'flush', 'zapped']),
};

const KINDS: Record<string, number> = { fault: K_FAULT, invalidate: K_INVALIDATE, 'delete-memslot': K_DELETE, 'guest-table-write': K_WRITE };

const opt = (v: boolean | number | undefined, what: string): number => (v === undefined ? 0 : code(1 + Number(v), what));

class Abstraction {
  private readonly state: MmuState;
  /** SP id -> slot (its rank), and slot -> SP. */
  private readonly slotOf: Int32Array;
  private readonly bySlot: KvmMmuPage[];
  /** The slots of the invalid list of the frame frame() wrote last (empty: none, or an empty one). */
  private list: number[] = [];

  constructor(private readonly L: GtLayout, private readonly n: Node) {
    const state = n.state;
    this.state = state;
    if (state.roots.length !== 1 || state.vcpus.length !== 2) fail('the scope has one root and two vCPUs');
    if (state.sps.length > L.nsp) fail(`${state.sps.length} SPs, the layout has ${L.nsp} slots`);
    const keyOf = state.sps.map((sp) => code(L.keyIndex(sp.gfn, sp.role.level, sp.role.direct, sp.role.access), `the SP key ${spHashKey(sp.gfn, sp.role)}`));
    this.bySlot = state.sps.slice().sort((a, b) => keyOf[a.id] - keyOf[b.id] || a.id - b.id);
    this.slotOf = new Int32Array(state.sps.length);
    this.bySlot.forEach((sp, i) => { this.slotOf[sp.id] = i; });
    this.checkDerived(keyOf);
  }

  /**
   * What the layout leaves out because it follows from what it keeps: check it does. The hash holds
   * the newest SP of each key unless that one was freed; the root is the newest SP of its key; an
   * SP's parent_ptes are the present links to it; the invalidations in flight are the invalidate
   * frames past their lock step (the free step ends them); guest memory differs from the initial one at most in
   * PD[0]; the split caches are untouched.
   */
  private checkDerived(keyOf: number[]): void {
    const { state, L } = this;
    const newest = new Map<number, KvmMmuPage>();
    for (const sp of state.sps) newest.set(keyOf[sp.id], sp);
    const hashed = new Map<string, number>();
    for (const sp of newest.values()) if (!sp.freed) hashed.set(spHashKey(sp.gfn, sp.role), sp.id);
    if (hashed.size !== state.hash.size || [...state.hash].some(([k, id]) => hashed.get(k) !== id)) fail('the SP hash is not the newest unfreed SP of each key');
    const root = state.sps[state.roots[0].spId];
    if (!root || newest.get(keyOf[root.id]) !== root) fail('the root is not the newest SP of its key');
    const e = L.e;
    const parents: number[][] = state.sps.map(() => []);
    for (const sp of state.sps) {
      for (let i = 0; i < e; i++) {
        const f = sp.flags[i];
        if ((f & SPTE_PRESENT) && !isLastSpte(f, sp.role.level)) parents[sp.target[i]].push(sp.id * e + i);
      }
    }
    for (const sp of state.sps) {
      const want = parents[sp.id].slice().sort((a, b) => a - b).join(',');
      if (sp.parentPtes.slice().sort((a, b) => a - b).join(',') !== want) fail(`sp#${sp.id}'s parent_ptes are not the present links to it`);
    }
    const frames = [this.n.current, ...this.n.paused].filter((f): f is OpFrame => f !== null);
    const inFlight = frames.filter((f) => f.kind === 'invalidate' && f.pc !== 'lock').map((f) => (f as { gfn: number }).gfn).sort((a, b) => a - b).join(',');
    if (state.invalidating.some(([, k]) => k !== 1) || state.invalidating.map(([g]) => g).sort((a, b) => a - b).join(',') !== inFlight) fail('the invalidations in flight are not the invalidate frames past their lock');
    const pd0 = L.pd0Code(state.guestMemory.get(GT.pd)?.entries.get(0));
    if (pd0 < 0) fail('PD[0] holds no value of the menu');
    if (memoryText(state.guestMemory) !== memoryText(withPd0(L.initialMemory, L.pd0s[pd0]))) fail('guest memory differs from the initial one elsewhere than PD[0]');
    if (state.splitCacheObjects !== 0 || state.splitDescsUsed !== 0) fail('the split caches are not in this layout');
  }

  /** The words with the vCPUs as they are, or swapped (the canonical form is the lesser). */
  words(swap: boolean): Uint8Array {
    const { L, n, state } = this;
    const out = new Uint8Array(L.size);
    out[L.ops] = n.ops;
    out[L.acc] = n.accesses;
    out[L.writes] = n.writes;
    out[L.lock] = state.mmuLockHeld ? 1 : 0;
    if (n.fresh && state.mmuLockHeld) {
      out[L.fresh] = 1;
      out[L.foot] = code(n.foot ?? 0, 'the footprint');
    }
    out[L.dead] = (state.vmBuggedAt >= 0 ? 1 : 0) | (state.hostOops ? 2 : 0);
    out[L.pd0] = L.pd0Code(state.guestMemory.get(GT.pd)?.entries.get(0));
    out[L.newPfns] = code(state.nextHostPfn - L.firstNewPfn, 'the host pages handed out');
    out[L.nsps] = state.sps.length;
    const range = state.invalidateRange;
    if ((range === null) !== (state.invalidating.length === 0)) fail('an invalidation range without an invalidation in progress, or the other way');
    if (range) {
      out[L.hullLo] = code(L.gfnCode(range[0]), `gfn ${range[0]}`);
      out[L.hullHi] = code(L.gfnCode(range[1] - 1), `gfn ${range[1] - 1}`);
      if (out[L.hullLo] <= 0 || out[L.hullHi] < out[L.hullLo]) fail('an invalidation range outside the memslot pages');
    }
    this.memslots(out);
    this.spSlots(out);
    this.tlbs(out, swap);
    this.frames(out, swap);
    return out;
  }

  private memslots(out: Uint8Array): void {
    const { L, state } = this;
    const live = state.memslots.map((m) => m.id);
    // The key lists live memslots in their order: the scope's, less the deleted.
    if (live.join(',') !== L.slotIds.filter((id) => live.includes(id)).join(',')) fail('memslots out of the scope\'s order');
    const r = L.remaps;
    L.slotIds.forEach((id, s) => {
      const at = L.slotAt[s];
      const m = state.memslots.find((x) => x.id === id);
      if (!m) { out[at] = M_GONE; return; }
      out[at] = (m.invalid ? M_INVALID : 0) | (m.logDirty ? M_LOG : 0) | (m.manualProtect ? M_MANUAL : 0) | (m.initiallySet ? M_INIT_SET : 0);
      for (let i = 0; i < L.slotPages[s]; i++) if ((m.dirtyBitmap[i] ?? 0) !== L.initialBitmaps[s][i]) fail(`memslot ${id}'s dirty bitmap differs from the scenario's`);
      if (out[r] + m.remaps.length > L.nremap) fail(`${out[r] + m.remaps.length} remaps`);
      for (const x of m.remaps) {
        if (x.npages !== 1 || x.gfn < m.baseGfn || x.gfn >= m.baseGfn + m.npages) fail('a remap of other than one page of its memslot');
        out[r + 1 + 2 * out[r]] = L.slotFirst[s] + 1 + x.gfn - m.baseGfn;
        out[r + 2 + 2 * out[r]] = code(L.pfnCode(x.pfn), `pfn ${x.pfn}`);
        out[r]++;
      }
      // The rmaps: level 1 only (4K host pages everywhere: no leaf above level 1).
      for (let level = 2; level <= 3; level++) if (m.rmap[level].head.some((h) => h !== 0)) fail(`a level-${level} rmap entry`);
      const r1 = m.rmap[1];
      for (let i = 0; i < m.npages; i++) {
        if (!r1.head[i]) { if (r1.more.get(i)?.length) fail('an rmap with no head'); continue; }
        const list = [r1.head[i] - 1, ...(r1.more.get(i) ?? [])];
        if (out[L.rmap] + list.length > L.nrm) fail(`${out[L.rmap] + list.length} SPTEs in the rmaps`);
        // Pages in the scope's order, so the list is by gfn code.
        for (const p of list) {
          out[L.rmap + 1 + 2 * out[L.rmap]] = L.slotFirst[s] + i + 1;
          out[L.rmap + 2 + 2 * out[L.rmap]] = this.sptepCode(p);
          out[L.rmap]++;
        }
      }
    });
    if (state.freedPfns.length > L.nfreed) fail(`${state.freedPfns.length} freed host ranges`);
    out[L.freed] = state.freedPfns.length;
    state.freedPfns.forEach(([x, y], k) => {
      if (y !== x + 1) fail('a freed host range of other than one page');
      out[L.freed + 1 + k] = code(L.pfnCode(x), `pfn ${x}`);
    });
    for (const gfn of state.writtenSinceProtect) out[L.written + code(L.gfnCode(gfn), `written gfn ${gfn}`) - 1] = 1;
    state.activeMmuPages.forEach((id, k) => { out[L.active + k] = 1 + this.slotOf[id]; });
  }

  private sptepCode(p: number): number {
    const e = this.L.e;
    return code(1 + this.slotOf[Math.floor(p / e)] * e + (p % e), `SPTE pointer ${p}`);
  }

  private spSlots(out: Uint8Array): void {
    const { L, state } = this;
    const e = L.e;
    this.bySlot.forEach((sp, s) => {
      const at = L.spAt(s);
      out[at] = 1 + L.keyIndex(sp.gfn, sp.role.level, sp.role.direct, sp.role.access);
      if (sp.rootCount > 3) fail('a root count above 3');
      out[at + 1] = (sp.freed ? LIFE_FREED : 0) | (sp.invalid ? LIFE_INVALID : 0) | (sp.mmuValidGen !== state.mmuValidGen ? LIFE_OBSOLETE : 0) | (sp.rootCount << LIFE_ROOT_SHIFT);
      if (sp.misfiled) for (const [i, x] of sp.misfiled) out[L.spteAt(s, i) + E_MISFILED] = 1 + code(L.gfnCode(x.gfn), `misfiled gfn ${x.gfn}`);
      for (let i = 0; i < e; i++) {
        const f = sp.flags[i];
        if (!(f & SPTE_PRESENT)) continue;
        const p = L.spteAt(s, i);
        out[p + E_FLAGS] = f;
        out[p + E_TARGET] = isLastSpte(f, sp.role.level) ? code(L.pfnCode(sp.target[i]), `pfn ${sp.target[i]}`) : 1 + this.slotOf[sp.target[i]];
        if (sp.gfns) {
          out[p + E_GFN_ACCESS] = gfnAccess(code(L.gfnCode(sp.gfns[i]), `gfn ${sp.gfns[i]}`), sp.accesses![i]);
        }
      }
    });
  }

  private tlbs(out: Uint8Array, swap: boolean): void {
    const { L, state } = this;
    for (let v = 0; v < 2; v++) {
      const vcpu = state.vcpus[swap ? 1 - v : v];
      const at = L.tlb + v * L.tb;
      out[at] = vcpu.reloadPending ? 1 : 0;
      if (vcpu.tlb.length > L.nt) fail(`${vcpu.tlb.length} TLB entries`);
      vcpu.tlb.forEach((t, k) => {
        if (t.root !== state.roots[0].name) fail('a TLB entry of another root');
        const p = at + 1 + k * T_BYTES;
        out[p] = code(t.l2Base, `address ${t.l2Base}`);
        out[p + 1] = t.level;
        out[p + 2] = code(L.gfnCode(t.gfnBase), `gfn ${t.gfnBase}`);
        out[p + 3] = code(L.pfnCode(t.pfnBase), `pfn ${t.pfnBase}`);
        out[p + 4] = (t.writable ? 1 : 0) | (t.exec ? 2 : 0);
      });
    }
  }

  private frames(out: Uint8Array, swap: boolean): void {
    const { L, n } = this;
    if (n.paused.length > L.nf - 1) fail(`${n.paused.length} paused frames`);
    this.list = [];
    if (n.current) out.set(this.frame(n.current, swap), L.cur);
    // The running frame's list, in its SPs' slots (layout.ts F_LIST); no other frame may hold one.
    this.list.forEach((s, k) => { out[L.listAt(s)] = 1 + k; });
    const paused = n.paused.map((f) => {
      this.list = [];
      const b = this.frame(f, swap);
      if (this.list.length) fail('a paused frame with an invalid list that is not empty');
      return b;
    }).sort(compare);
    paused.forEach((b, i) => out.set(b, L.paused + i * L.fs));
    out[L.npaused] = n.paused.length;
  }

  private frame(f: OpFrame, swap: boolean): Uint8Array {
    const { L, state } = this;
    const b = new Uint8Array(L.fs);
    const fields = FIELDS[f.kind];
    if (!fields) fail(`a ${f.kind} frame`);
    for (const k of Object.keys(f)) if (!fields.has(k)) fail(`field ${k} of a ${f.kind} frame`);
    if (f.reduced.length) fail('a frame that write-protected pages');
    b[F_KIND] = KINDS[f.kind];
    b[F_PC] = 1 + PCS[b[F_KIND]].indexOf(f.pc);
    if (b[F_PC] === 0) fail(`pc ${f.pc} of a ${f.kind} frame`);
    const vcpu = (v: number) => (swap ? 1 - v : v);
    const list = (l: number[] | undefined) => {
      if (l === undefined) return;
      if (l.length > L.nsp) fail('a list longer than the SPs');
      b[F_LIST] = 1 + l.length;
      this.list = l.map((id) => this.slotOf[id]);
    };
    switch (f.kind) {
      case 'fault': {
        if (f.root !== state.roots[0].name) fail('a fault through another root');
        b[F_VCPU] = vcpu(f.vcpu);
        b[F_ARG] = code(f.addr, `address ${f.addr}`);
        if (f.access !== 'read' && f.access !== 'write') fail(`a ${f.access} fault`);
        b[F_ARG2] = f.access === 'write' ? 1 : 0;
        if (f.gw || f.walkError) b[F_WALK] = 1 + this.walkCode(f);
        b[F_RECHECKED] = f.rechecked ?? 0;
        b[F_EEXIST] = f.eexistNoted === undefined ? 0 : this.sptepCode(f.eexistNoted);
        b[F_MISMATCH] = opt(f.mismatch, 'mismatch');
        b[F_PCHILD] = f.pendingChild < 0 ? 0 : 1 + this.slotOf[f.pendingChild];
        b[F_PSPTEP] = f.pendingSptep < 0 ? 0 : this.sptepCode(f.pendingSptep);
        b[F_WALKED] = opt(f.walkedAccess, 'walkedAccess');
        if (f.seqMoved === false) fail('a fault whose seqMoved is false, not absent');
        b[F_SEQ] = f.seqMoved ? 1 : 0;
        list(f.invalidList);
        break;
      }
      case 'invalidate':
        if (f.npages !== 1) fail('an invalidation of other than one page');
        b[F_ARG] = code(L.gfnCode(f.gfn), `gfn ${f.gfn}`);
        b[F_WALK] = 1 + code(f.zapped, 'zapped');
        break;
      case 'delete-memslot':
        b[F_ARG] = code(f.slotId, 'memslot');
        b[F_ARG2] = opt(f.unmapFlush, 'unmapFlush');
        b[F_WALK] = 1 + code(f.zapped, 'zapped');
        list(f.invalidList);
        break;
      case 'guest-table-write': {
        if (f.table !== GT.pd || f.index !== 0) fail('a write of other than PD[0]');
        b[F_VCPU] = f.by === 'guest' ? 1 + vcpu(f.vcpu!) : 0;
        b[F_ARG] = code(L.pd0Code(f.entry), 'the written entry');
        b[F_ARG2] = opt(f.flush, 'flush');
        b[F_WALK] = opt(f.zapped, 'zapped');
        b[F_RECHECKED] = f.spCursor === undefined ? 0 : f.spCursor < 0 ? 1 : 2 + this.slotOf[f.spCursor];
        break;
      }
    }
    return b;
  }

  /** The PD[0] value the fault's walk read: the one whose walk gives its walker (or its error). */
  private walkCode(f: Extract<OpFrame, { kind: 'fault' }>): number {
    const { L, state } = this;
    const got = JSON.stringify(f.gw ?? f.walkError);
    for (let c = 0; c < L.pd0s.length; c++) {
      const r = walkGuest({ ...state, guestMemory: withPd0(L.initialMemory, L.pd0s[c]) }, state.roots[0].guestTableGfn, f.addr, f.access);
      if ((r.ok === !!f.gw) && JSON.stringify(r.ok ? r.walk : r.error) === got) return c;
    }
    return fail('a fault\'s walk that no PD[0] value gives');
  }
}

/** Guest memory as text: every table by gfn, its entries by index. */
function memoryText(memory: ReadonlyMap<number, { entries: ReadonlyMap<number, { kind: string; gfn: number; access: number }> }>): string {
  return [...memory.keys()].sort((a, b) => a - b).map((g) => `${g}:` + [...memory.get(g)!.entries].sort((a, b) => a[0] - b[0]).map(([i, e]) => `${i}${e.kind}${e.gfn}.${e.access}`).join(',')).join(';');
}

/** Byte strings compared as unsigned bytes, first difference first. */
export function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * A core node of the guest-tables scope as its packed words, in canonical form: the lesser of its
 * words and of its words with the two vCPUs exchanged (what canonGt() computes from the words alone).
 */
export function abstractGtNode(L: GtLayout, n: Node): Uint8Array {
  const x = new Abstraction(L, n);
  const a = x.words(false);
  const b = x.words(true);
  return compare(a, b) <= 0 ? a : b;
}

/**
 * A core node as its packed words with the vCPUs as the node has them (not canonical): what a
 * packed transition from abstractGtRaw(n) must produce for the core's successor of n, whose actions
 * name vCPUs as the node does.
 */
export function abstractGtRaw(L: GtLayout, n: Node): Uint8Array {
  return new Abstraction(L, n).words(false);
}
