/**
 * The canonical encoding of an explorer state: two states with the same encoding have the same
 * futures, so the search keeps one. What is left out is only what no transition reads (SP ids,
 * TLB entry ids, counters, the explanation records); SPs are named by their hash key (gfn, role),
 * which is what identifies them to the code. Symmetry: the two vCPUs are interchangeable, and so
 * are the two aliased roots (same mappings, guest tables at 0x1000.. and 0x2000..): the encoding is
 * the least over the four permutations.
 */
import type { OpFrame, SplitFrame } from '../model/frames';
import type { GuestTable, KvmMmuPage, Memslot, MmuState } from '../model/state';
import { SPTE_PRESENT, isLastSpte } from '../kernel/spte';
import { inKvm, type Node } from './model';

/** gfn of a guest table under the root swap (A's tables 0x1000.., B's 0x2000..). */
function swapGfn(g: number, swap: boolean): number {
  if (!swap) return g;
  if (g >= 0x1000 && g < 0x2000) return g + 0x1000;
  if (g >= 0x2000 && g < 0x3000) return g - 0x1000;
  return g;
}

function ranks(state: MmuState, swap: boolean): Int32Array {
  const sps = state.sps;
  const order = sps.map((sp) => sp.id);
  const k = (id: number) => {
    const sp = sps[id];
    return [sp.role.direct ? swapGfn(sp.gfn, false) : swapGfn(sp.gfn, swap), sp.role.level, sp.role.direct ? 1 : 0, sp.role.access];
  };
  const keys = order.map(k);
  order.sort((a, b) => {
    const x = keys[a];
    const y = keys[b];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || x[3] - y[3];
  });
  const rank = new Int32Array(sps.length);
  order.forEach((id, r) => { rank[id] = r; });
  return rank;
}

/**
 * One SP's code, cached by SP object. A stored state is never written (share.ts), and the states of
 * a search share their unchanged SPs, so most SPs of a successor were coded already; what the code
 * reads from outside the SP (its children's ranks, whether it is obsolete, the root swap) is kept
 * beside it and compared before the cached text is used. The text is the one spCodeText() builds.
 */
interface SpCode { swap: boolean; obsolete: boolean; childRanks: number[]; text: string }
const spCodes = new WeakMap<KvmMmuPage, SpCode[]>();

function spCode(state: MmuState, sp: KvmMmuPage, rank: Int32Array, swap: boolean): string {
  const obsolete = sp.mmuValidGen !== state.mmuValidGen;
  const e = state.geo.entries;
  let cached = spCodes.get(sp);
  if (cached) {
    for (const c of cached) {
      if (c.swap !== swap || c.obsolete !== obsolete) continue;
      let same = true;
      for (let i = 0, k = 0; i < e && same; i++) {
        const f = sp.flags[i];
        if ((f & SPTE_PRESENT) && !isLastSpte(f, sp.role.level)) same = c.childRanks[k++] === rank[sp.target[i]];
      }
      if (same) return c.text;
    }
  } else {
    cached = [];
    spCodes.set(sp, cached);
  }
  const childRanks: number[] = [];
  for (let i = 0; i < e; i++) {
    const f = sp.flags[i];
    if ((f & SPTE_PRESENT) && !isLastSpte(f, sp.role.level)) childRanks.push(rank[sp.target[i]]);
  }
  const text = spCodeText(state, sp, rank, swap);
  // One entry per (swap, obsolete) in practice; a few more when children are renamed by new SPs.
  if (cached.length >= 4) cached.shift();
  cached.push({ swap, obsolete, childRanks, text });
  return text;
}

function spCodeText(state: MmuState, sp: KvmMmuPage, rank: Int32Array, swap: boolean): string {
  const e = state.geo.entries;
  let s = `${sp.role.direct ? sp.gfn : swapGfn(sp.gfn, swap)}.${sp.role.level}.${sp.role.direct ? 1 : 0}.${sp.role.access}${lifeCode(state, sp)}:`;
  for (let i = 0; i < e; i++) {
    const f = sp.flags[i];
    if (!(f & SPTE_PRESENT)) { s += '_'; continue; }
    const t = isLastSpte(f, sp.role.level) ? sp.target[i] : 's' + rank[sp.target[i]];
    s += `${f}>${t}`;
    if (sp.gfns) s += `@${swapGfn(sp.gfns[i], swap)}/${sp.accesses![i]}`;
    s += ',';
  }
  return s;
}

function spSection(state: MmuState, rank: Int32Array, swap: boolean, codes: KeyCodes | null): string {
  const byRank: string[] = new Array(state.sps.length);
  for (const sp of state.sps) {
    const text = spCode(state, sp, rank, swap);
    byRank[rank[sp.id]] = codes ? codes.code(text) : text;
  }
  return byRank.join(';');
}

/**
 * What a shadow page's lifetime adds to its encoding (empty for a live, current, unpinned SP with
 * nothing misfiled, so the split scope's keys are as before): freed, invalid, obsolete (its
 * generation is not the VM's), root count, and the leaves filed under another gfn (the ghost record
 * the data-corruption and disagreement reports read; its step is left out, no transition reads it).
 */
function lifeCode(state: MmuState, sp: MmuState['sps'][number]): string {
  let s = '';
  if (sp.freed) s += 'F';
  if (sp.invalid) s += 'I';
  if (sp.mmuValidGen !== state.mmuValidGen) s += 'O';
  if (sp.rootCount) s += `r${sp.rootCount}`;
  if (sp.misfiled && sp.misfiled.size) s += `m${[...sp.misfiled].sort((a, b) => a[0] - b[0]).map(([i, x]) => `${i}>${x.gfn}`).join('.')}`;
  return s;
}

function sptep(state: MmuState, rank: Int32Array, p: number): string {
  if (p < 0) return '-';
  const e = state.geo.entries;
  return `${rank[Math.floor(p / e)]}.${p % e}`;
}

function rmapSection(state: MmuState, rank: Int32Array): string {
  let s = '';
  for (const slot of state.memslots) {
    for (let level = 1; level <= 3; level++) {
      const r = slot.rmap[level];
      for (let i = 0; i < r.head.length; i++) {
        if (!r.head[i]) continue;
        s += `${level}/${i}=${sptep(state, rank, r.head[i] - 1)}`;
        const more = r.more.get(i);
        if (more) for (const p of more) s += '+' + sptep(state, rank, p);
        s += ' ';
      }
    }
  }
  return s;
}

/** The dirty bitmap as its bytes' digits (what join('') gives, without the builtin's cost). */
function bitmapCode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i];
  return s;
}

/** A memslot's flags, dirty bitmap and remaps, cached by memslot object (stored states are never written). */
const memslotCodes = new WeakMap<Memslot, string>();

function memslotCode(slot: Memslot): string {
  let s = memslotCodes.get(slot);
  if (s !== undefined) return s;
  s = `${slot.logDirty ? 1 : 0}${slot.manualProtect ? 1 : 0}${slot.initiallySet ? 1 : 0}:${bitmapCode(slot.dirtyBitmap)}:`;
  for (const r of slot.remaps) s += `${r.gfn}+${r.npages}>${r.pfn},`;
  memslotCodes.set(slot, s);
  return s;
}

function slotSection(state: MmuState, codes: KeyCodes | null): string {
  let s = '';
  for (const slot of state.memslots) s += memslotCode(slot);
  if (codes) s = codes.code(s);
  s += '|f';
  for (const [a, b] of state.freedPfns) s += `${a}-${b},`;
  s += `|n${state.nextHostPfn}|w${state.writtenSinceProtect.size ? [...state.writtenSinceProtect].sort((a, b) => a - b).join(',') : ''}`;
  s += `|l${state.mmuLockHeld ? 1 : 0}c${state.splitCacheObjects}d${state.splitDescsUsed}`;
  // Memslots that are being deleted or gone, the VM bugged, the host oopsed.
  s += `|m${state.memslots.map((m) => `${m.id}${m.invalid ? 'i' : ''}`).join(',')}${state.vmBuggedAt >= 0 ? 'B' : ''}${state.hostOops ? 'X' : ''}`;
  return s;
}

function tlbSection(state: MmuState, vcpu: number, swap: boolean): string {
  // A vCPU owing a root reload (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS) goes with its TLB under the vCPU swap.
  let s = state.vcpus[vcpu].reloadPending ? 'R' : '';
  for (const e of state.vcpus[vcpu].tlb) {
    const root = swap ? (e.root === 'A' ? 'B' : 'A') : e.root;
    s += `${root}${e.l2Base}.${e.level}.${e.gfnBase}.${e.pfnBase}${e.writable ? 'w' : 'r'}${e.exec ? 'x' : ''},`;
  }
  return s;
}

/**
 * One guest table's present entries. Cached by table: a table is a value, replaced whole by a
 * guest-table write (scenario/guest_tables.ts) and never written once a state holds it, and the
 * states of a search share their tables (share.ts).
 */
const tableCodes = new WeakMap<GuestTable, string>();

function tableCode(t: GuestTable): string {
  let s = tableCodes.get(t);
  if (s !== undefined) return s;
  s = '';
  for (const i of [...t.entries.keys()].sort((a, b) => a - b)) {
    const e = t.entries.get(i)!;
    s += `${i}${e.kind[0]}${e.gfn}.${e.access},`;
  }
  tableCodes.set(t, s);
  return s;
}

/**
 * Guest memory: every table by gfn, its present entries (the guest-tables scope writes it). Cached
 * by map: a guest-table write replaces the map (withGuestPte()), and the states of a search share it.
 */
const guestMemoryCodes = new WeakMap<MmuState['guestMemory'], string>();

function guestMemorySection(state: MmuState): string {
  let s = guestMemoryCodes.get(state.guestMemory);
  if (s !== undefined) return s;
  s = '';
  for (const gfn of [...state.guestMemory.keys()].sort((a, b) => a - b)) s += `${gfn}:${tableCode(state.guestMemory.get(gfn)!)};`;
  guestMemoryCodes.set(state.guestMemory, s);
  return s;
}

const SKIP = new Set(['opIndex', 'label', 'stepsRun', 'pause', 'flushWhy', 'done']);

function frameCode(state: MmuState, rank: Int32Array, f: OpFrame | SplitFrame | null): string {
  if (!f) return '~';
  let s = '{';
  const o = f as unknown as Record<string, unknown>;
  // A guest's write names its vCPU: the key says which vCPU is emulating beside its TLB instead
  // (canonicalKey), so that the vCPU swap carries it along.
  const named = (f as OpFrame).kind === 'guest-table-write' || (f as OpFrame).kind === 'fault';
  for (const k in o) {
    if (SKIP.has(k) || (named && k === 'vcpu')) continue;
    const v = o[k];
    if (k === 'huge' || k === 'pendingSptep') s += sptep(state, rank, v as number);
    else if (k === 'child' || k === 'pendingChild') s += (v as number) < 0 ? '-' : rank[v as number];
    else if (k === 'split') s += frameCode(state, rank, v as SplitFrame | null);
    // Arrays and plain objects (a guest write's entry) by value: String() would make every object alike.
    else if (Array.isArray(v) || (typeof v === 'object' && v !== null)) s += JSON.stringify(v);
    else s += String(v);
    s += ',';
  }
  return s + '}';
}

/**
 * Which operation in flight the vCPU is inside of (its trapped guest-table write, or its fault
 * stopped after the walk), by its place: the frames' keys leave their vCPU out, so that the vCPU
 * swap carries it along with the TLBs.
 */
function emulatingMark(n: Node, vcpu: number, code: (f: OpFrame) => string): string {
  const f = [n.current, ...n.paused].find((x) => inKvm(x, vcpu));
  return f ? `E${code(f)}` : '';
}

/**
 * Short names for the texts of a key's long, recurring sections (an SP's code, the memslots', guest
 * memory): one search's keys then hold a number where the text was, which makes them a third as
 * long (cheaper to hash in the visited set, and to keep). A name stands for one text only, so two
 * keys are equal exactly when their texts are; the names are a search's own (CoreSearch makes one),
 * and are handed out in the order the search meets the texts, which is deterministic.
 */
export class KeyCodes {
  private readonly names = new Map<string, string>();

  code(text: string): string {
    let name = this.names.get(text);
    if (name === undefined) {
      name = '#' + this.names.size.toString(36);
      this.names.set(text, name);
    }
    return name;
  }
}

/**
 * The canonical key of a node (the least encoding over the vCPU and root permutations). With
 * `codes`, the long sections are written by their short names (KeyCodes); without, in full.
 */
export function canonicalKey(n: Node, codes: KeyCodes | null = null): string {
  const state = n.state;
  let best = '';
  // One root (the guest-tables scope): no root swap; its guest memory and write count are state.
  const single = state.roots.length === 1;
  const memory = single ? guestMemorySection(state) : '';
  const guest = single ? `|g${n.writes}:${codes ? codes.code(memory) : memory}` : '';
  const slots = slotSection(state, codes);
  // The invalidation range (both scopes): faults retry inside it, and it is the hull of every
  // invalidation since the count was last zero, which the frames in flight do not tell (two
  // invalidations begun, one ended: the range still spans both). Empty (no text) while none is in
  // progress, so the keys of those states are as they were before the split scope had the rule.
  const range = state.invalidateRange;
  const hull = range ? `|h${range[0]},${range[1]}` : '';
  for (const swap of single ? [false] : [false, true]) {
    const rank = ranks(state, swap);
    const paused = n.paused.map((f) => frameCode(state, rank, f)).sort().join('');
    // The active list's order decides which SP a deletion zaps first (guest-tables scope only: the
    // split scope never zaps by it, and its keys stay as they were).
    const active = single ? `|a${state.activeMmuPages.map((id) => rank[id]).join(',')}${hull}` : hull;
    const body = `${n.ops}/${n.accesses}${guest}${active}${n.fresh && state.mmuLockHeld ? `!${n.foot ? n.foot : ''}` : ''}|${spSection(state, rank, swap, codes)}|${rmapSection(state, rank)}|${slots}|${frameCode(state, rank, n.current)}|${paused}|`;
    const code = (f: OpFrame) => frameCode(state, rank, f);
    const t0 = emulatingMark(n, 0, code) + tlbSection(state, 0, swap);
    const t1 = emulatingMark(n, 1, code) + tlbSection(state, 1, swap);
    const a = body + t0 + '/' + t1;
    const b = body + t1 + '/' + t0;
    const m = a < b ? a : b;
    if (best === '' || m < best) best = m;
  }
  return best;
}
