/**
 * The abstraction function: a core explorer node (../model.ts) as a packed state (layout.ts).
 * Tests use it to hold the packed model to the core transition by transition. It throws when the
 * core state falls outside what the packed layout can say (a TLB entry holding an old pfn, an SP
 * the scope has no place for): that would mean the layout's reasoning is wrong, not the state.
 */
import { gfnToPfn } from '../../mmu/host';
import { spHashKey } from '../../mmu/shadow_page';
import { ACC_ALL, SPTE_PRESENT, SPTE_WRITABLE, isLastSpte } from '../../kernel/spte';
import type { MmuState } from '../../model/state';
import type { OpFrame, SplitFrame } from '../../model/frames';
import type { Node } from '../model';
import type { Scope } from '../scope';
import {
  ABSENT, LEAF_RO, LEAF_W, LINK, HUGE_L2, Layout, K_NONE, K_ENABLE, K_CLEAR, K_GET, K_INVALIDATE,
  F_KIND, F_PC, F_ARG, F_WORD, F_FLUSH, F_HAS_SPLIT, S_PC, S_LEVEL, S_CURSOR, S_HUGE, S_REUSED, S_INDEX, S_FLUSH,
  S_RESCHED, S_START, S_END, setBit, setBits, setL1,
} from './layout';
import { CL, EN, GL, IV } from './model';

const SPLIT_PCS = ['find', 'resched-unlock', 'resched-lock', 'get-sp', 'loop', 'drop', 'flush', 'link', 'done'];
const ENABLE_PCS: Record<string, number> = { flags: EN.FLAGS, 'init-set': EN.INIT_SET, 'split-lock': EN.SPLIT_LOCK, split: EN.SPLIT, 'wp-lock': EN.WP_LOCK, wp: EN.WP, 'wp-unlock': EN.WP_UNLOCK, 'wp-flush': EN.WP_FLUSH, end: EN.END };
const CLEAR_PCS: Record<string, number> = { lock: CL.LOCK, word: CL.WORD, 'split-start': CL.SPLIT_START, split: CL.SPLIT, wp: CL.WP, unlock: CL.UNLOCK, flush: CL.FLUSH, end: CL.END };
const GET_PCS: Record<string, number> = { start: GL.START, word: GL.WORD, unlock: GL.UNLOCK, flush: GL.FLUSH, end: GL.END };
const INVALIDATE_PCS: Record<string, number> = { lock: IV.LOCK, zap: IV.ZAP, flush: IV.FLUSH, unlock: IV.UNLOCK, free: IV.FREE };

function fail(what: string): never {
  throw new Error(`abstraction: ${what}`);
}

function leafCode(flags: number, level: number): number {
  if (!(flags & SPTE_PRESENT)) return ABSENT;
  if (!isLastSpte(flags, level)) return LINK;
  return flags & SPTE_WRITABLE ? LEAF_W : LEAF_RO;
}

class Abstraction {
  readonly L: Layout;
  readonly out: Uint8Array;
  private readonly state: MmuState;
  private readonly e: number;
  /** SP id of each root's indirect L3 SP, or -1. */
  private readonly l3sp: number[] = [-1, -1];
  private readonly l2sp: number;
  private readonly l1sp: number[] = [];

  constructor(private readonly scope: Scope, private readonly n: Node, clears: number[][]) {
    this.L = new Layout(scope.bound);
    this.L.clears.push(...clears);
    this.out = new Uint8Array(this.L.size);
    this.state = n.state;
    this.e = this.L.e;
    const state = this.state;
    const hashed = (gfn: number, level: number) => {
      const id = state.hash.get(spHashKey(gfn, { level: level as 1 | 2, direct: true, access: ACC_ALL }));
      return id === undefined || state.sps[id].freed ? -1 : id;
    };
    this.l2sp = hashed(scope.region, 2);
    for (let i = 0; i < this.e; i++) this.l1sp.push(hashed(scope.region + i * this.e, 1));
    const live = state.sps.filter((sp) => !sp.freed).length;
    const expected = 2 + this.roots(state) + (this.l2sp >= 0 ? 1 : 0) + this.l1sp.filter((x) => x >= 0).length;
    if (live !== expected) fail(`${live} live SPs, the layout has places for ${expected}`);
  }

  private roots(state: MmuState): number {
    let n = 0;
    state.roots.forEach((root, r) => {
      const sp = state.sps[root.spId];
      if (sp.flags[0] & SPTE_PRESENT) { this.l3sp[r] = sp.target[0]; n++; }
      for (let i = 1; i < this.e; i++) if (sp.flags[i] & SPTE_PRESENT) fail(`root ${root.name} maps outside the region`);
    });
    return n;
  }

  build(): Uint8Array {
    const { L, out, state, scope, n } = this;
    const slot = state.memslots[0];
    out[L.ops] = n.ops;
    out[L.acc] = n.accesses;
    out[L.lock] = state.mmuLockHeld ? 1 : 0;
    // With --reduce por the node's footprint (Node.foot), the packed model's fresh byte then.
    out[L.fresh] = n.fresh && state.mmuLockHeld ? (n.foot !== undefined ? n.foot : 1) : 0;
    out[L.mode] = !slot.logDirty ? 0 : !slot.manualProtect ? 1 : slot.initiallySet ? 3 : 2;
    this.rmap3();
    for (let r = 0; r < 2; r++) {
      if (this.l3sp[r] < 0) continue;
      out[L.l4 + r] = 1;
      const sp = state.sps[this.l3sp[r]];
      const index = state.geo.index(scope.region, 3);
      out[L.l3 + r] = leafCode(sp.flags[index], 3);
      if (out[L.l3 + r] === LINK && sp.target[index] !== this.l2sp) fail('an L3 entry links an SP other than the region\'s L2 SP');
    }
    if (this.l2sp >= 0) {
      out[L.l2x] = 1;
      const sp = state.sps[this.l2sp];
      for (let i = 0; i < this.e; i++) {
        out[L.l2e + i] = leafCode(sp.flags[i], 2);
        if (out[L.l2e + i] === LINK && sp.target[i] !== this.l1sp[i]) fail(`L2 entry ${i} links the wrong SP`);
      }
    }
    for (let i = 0; i < this.e; i++) {
      if (this.l1sp[i] < 0) continue;
      out[L.l1x + i] = 1;
      const sp = state.sps[this.l1sp[i]];
      for (let j = 0; j < this.e; j++) setL1(out, L.l1e, i * this.e + j, leafCode(sp.flags[j], 1));
    }
    for (let p = 0; p < L.p; p++) {
      const gfn = scope.region + p;
      if (slot.dirtyBitmap[gfn - slot.baseGfn]) setBit(out, L.dirty, p);
      if (state.writtenSinceProtect.has(gfn)) setBit(out, L.written, p);
      if (slot.remaps.some((m) => gfn >= m.gfn && gfn < m.gfn + m.npages)) setBit(out, L.remapped, p);
    }
    const range = state.invalidateRange;
    if (range) {
      const lo = range[0] - scope.region;
      const hi = range[1] - 1 - scope.region;
      if (lo < 0 || hi < lo || hi >= L.p) fail('an invalidation range outside the region');
      out[L.hull] = lo + 1;
      out[L.hull + 1] = hi + 1;
    }
    this.tlbs();
    this.frame(L.cur, n.current);
    if (n.paused.length > L.nf) fail('more paused operations than the layout holds');
    out[L.npaused] = n.paused.length;
    n.paused.forEach((f, i) => this.frame(L.pausedAt(i), f));
    return out;
  }

  private rmap3(): void {
    const { state, scope, out, L } = this;
    const slot = state.memslots[0];
    const r = slot.rmap[3];
    const frame = Math.floor(scope.region / state.geo.pages(3)) - Math.floor(slot.baseGfn / state.geo.pages(3));
    for (let i = 0; i < r.head.length; i++) if (i !== frame && r.head[i]) fail('a 1G leaf outside the region');
    const list = r.head[frame] ? [r.head[frame] - 1, ...(r.more.get(frame) ?? [])] : [];
    if (list.length > 2) fail('more than two 1G leaves');
    list.forEach((sptep, k) => {
      const root = this.l3sp.indexOf(Math.floor(sptep / this.e));
      if (root < 0) fail('a 1G leaf in no root\'s L3 SP');
      out[L.rmap3 + k] = root + 1;
    });
  }

  private tlbs(): void {
    const { state, scope, out, L } = this;
    const slot = state.memslots[0];
    state.vcpus.forEach((v, vcpu) => {
      if (v.tlb.length > L.nt) fail('more TLB entries than accesses');
      v.tlb.forEach((t, i) => {
        const base = t.l2Base - scope.region;
        if (base < 0 || base >= L.p || t.gfnBase !== t.l2Base) fail('a TLB entry outside the region');
        if (gfnToPfn(slot, t.gfnBase) !== t.pfnBase || !t.exec) fail(`TLB entry tlb#${t.id} holds pfn 0x${t.pfnBase.toString(16)}, not the page's current one`);
        const at = L.tlbAt(vcpu, i);
        out[at] = base + 1;
        out[at + 1] = t.level | ((t.root === 'A' ? 0 : 1) << 2) | ((t.writable ? 1 : 0) << 3);
      });
    });
  }

  /** Region pages of a list of gfns, as a mask at `at`. */
  private pages(at: number, gfns: Iterable<number>): void {
    for (const g of gfns) {
      const p = g - this.scope.region;
      if (p < 0 || p >= this.L.p) fail(`gfn 0x${g.toString(16)} outside the region in a frame`);
      setBit(this.out, at, p);
    }
  }

  private reduced(at: number, ranges: Array<[number, number]>): void {
    for (const [g, n] of ranges) {
      const from = g - this.scope.region;
      if (from < 0 || from + n > this.L.p) fail('a reduced range outside the region');
      setBits(this.out, at, from, from + n);
    }
  }

  private frame(at: number, f: OpFrame | null): void {
    const { out, L, scope } = this;
    if (!f) { out[at + F_KIND] = K_NONE; return; }
    this.reduced(L.reducedOf(at), f.reduced);
    let split: SplitFrame | null = null;
    switch (f.kind) {
      case 'enable-dirty-logging':
        out[at + F_KIND] = K_ENABLE;
        out[at + F_PC] = ENABLE_PCS[f.pc];
        out[at + F_ARG] = (f.manualProtect ? 1 : 0) | (f.initiallySet ? 2 : 0);
        out[at + F_WORD] = f.writeProtected ? 1 : 0;
        split = f.split;
        break;
      case 'clear-dirty-log': {
        out[at + F_KIND] = K_CLEAR;
        out[at + F_PC] = CLEAR_PCS[f.pc];
        const key = f.gfns.map((g) => g - scope.region).join(',');
        const index = L.clears.findIndex((c) => c.join(',') === key);
        if (index < 0) fail('a clear the menu does not have');
        out[at + F_ARG] = index;
        out[at + F_WORD] = f.word > 0 ? 1 : 0;
        out[at + F_FLUSH] = f.flush ? 1 : 0;
        this.pages(L.maskOf(at), f.mask);
        split = f.split;
        break;
      }
      case 'get-dirty-log': {
        out[at + F_KIND] = K_GET;
        out[at + F_PC] = GET_PCS[f.pc];
        const regionWord = Math.floor((scope.region - this.state.memslots[0].baseGfn) / 64);
        out[at + F_WORD] = f.word > regionWord ? 1 : 0;
        out[at + F_FLUSH] = f.flush ? 1 : 0;
        this.pages(L.maskOf(at), f.harvested);
        this.pages(L.mustOf(at), f.mustHarvest);
        break;
      }
      case 'invalidate':
        out[at + F_KIND] = K_INVALIDATE;
        out[at + F_PC] = INVALIDATE_PCS[f.pc];
        out[at + F_ARG] = f.gfn - scope.region;
        out[at + F_WORD] = f.zapped > 0 ? 1 : 0;
        break;
      case 'fault':
        fail('a fault frame outlived its transition');
    }
    if (split) this.split(at, split);
  }

  private split(at: number, sf: SplitFrame): void {
    const { out, scope, state } = this;
    const e = this.e;
    const slot = state.memslots[0];
    out[at + F_HAS_SPLIT] = 1;
    const pc = SPLIT_PCS.indexOf(sf.pc);
    // -1 would be stored as 255, a program counter the packed model does not have.
    if (pc < 0) throw new RangeError(`internal: the split's pc ${JSON.stringify(sf.pc)} has no packed code`);
    out[at + S_PC] = pc;
    out[at + S_LEVEL] = sf.level;
    // Below level 2 the split is over and the cursor keeps its last level-2 value.
    const level = Math.max(sf.level, 2);
    const n = state.geo.pages(level);
    const first = Math.floor(scope.region / n) - Math.floor(slot.baseGfn / n);
    const frames = level === 3 ? 1 : e;
    out[at + S_CURSOR] = Math.min(Math.max(sf.cursor - first, 0), frames);
    out[at + S_HUGE] = this.hugeCode(sf.huge);
    out[at + S_REUSED] = sf.reused ? 1 : 0;
    out[at + S_INDEX] = sf.index;
    out[at + S_FLUSH] = sf.flush ? 1 : 0;
    out[at + S_RESCHED] = sf.rescheduled ? 1 : 0;
    out[at + S_START] = Math.min(Math.max(sf.start - scope.region, 0), this.L.p);
    out[at + S_END] = Math.min(Math.max(sf.end - scope.region, 0), this.L.p);
  }

  private hugeCode(sptep: number): number {
    if (sptep < 0) return 0;
    const sp = Math.floor(sptep / this.e);
    const index = sptep % this.e;
    const root = this.l3sp.indexOf(sp);
    if (root >= 0) return 1 + root;
    if (sp === this.l2sp) return HUGE_L2 + index;
    return fail('a split frame names an SPTE outside the region');
  }
}

/** The packed image of a core explorer node. `clears` is the packed model's table of clears. */
export function abstractNode(scope: Scope, n: Node, clears: number[][]): Uint8Array {
  return new Abstraction(scope, n, clears).build();
}
