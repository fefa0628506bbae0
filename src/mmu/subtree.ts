/**
 * A cache of per-SP subtree facts, so the stale-TLB check does not walk every 4 KiB page of a
 * 1 GiB TLB entry when whole subtrees are unchanged: for each SP, whether its subtree maps its
 * range linearly onto one pfn run with no hole (and from which pfn), and whether every present
 * leaf under it is writable.
 *
 * Invariant: if an SP is not valid, none of its ancestors is. An SPTE write invalidates the SP that
 * holds it and walks up its parent_ptes, stopping at an SP already invalid.
 */
import type { MmuState } from '../model/state';
import { isLastSpte, SPTE_PRESENT, SPTE_WRITABLE } from '../kernel/spte';

/** Zero-length arrays shared by every new cache: grow() replaces them before anything is written. */
const NONE_U8 = new Uint8Array(0);
const NONE_F64 = new Float64Array(0);

export class SubtreeCache {
  // Allocated on first use: the explorer makes a Machine, so a cache, per transition, and most
  // transitions run no stale-TLB check, the only reader.
  private valid = NONE_U8;
  private linear = NONE_F64;
  private writable = NONE_U8;

  constructor(private readonly state: MmuState) {}

  private grow(id: number): void {
    if (id < this.valid.length) return;
    let n = Math.max(this.valid.length, 64);
    while (n <= id) n *= 2;
    const v = new Uint8Array(n); v.set(this.valid); this.valid = v;
    const l = new Float64Array(n); l.set(this.linear); this.linear = l;
    const w = new Uint8Array(n); w.set(this.writable); this.writable = w;
  }

  invalidate(spId: number): void {
    if (spId >= this.valid.length || !this.valid[spId]) return;
    this.valid[spId] = 0;
    const e = this.state.geo.entries;
    for (const p of this.state.sps[spId].parentPtes) this.invalidate(Math.floor(p / e));
  }

  private compute(spId: number): void {
    this.grow(spId);
    if (this.valid[spId]) return;
    const sp = this.state.sps[spId];
    const level = sp.role.level;
    if (level === 1) {
      this.computeLeafTable(spId);
      return;
    }
    const step = this.state.geo.pages(level);
    let base = NaN;
    let linear = true;
    let writable = true;
    for (let i = 0; i < sp.flags.length; i++) {
      const f = sp.flags[i];
      if (!(f & SPTE_PRESENT)) { linear = false; continue; }
      let entryBase: number;
      if (isLastSpte(f, level)) {
        entryBase = sp.target[i];
        if (!(f & SPTE_WRITABLE)) writable = false;
      } else {
        const child = sp.target[i];
        this.compute(child);
        entryBase = this.linear[child];
        if (!this.writable[child]) writable = false;
      }
      if (!linear) continue;
      const b = entryBase - i * step;
      if (i === 0) base = b;
      else if (b !== base) linear = false;
    }
    this.linear[spId] = linear ? base : NaN;
    this.writable[spId] = writable ? 1 : 0;
    this.valid[spId] = 1;
  }

  /**
   * An SPTE under `spId` lost its write permission and nothing else changed: the linear mapping
   * stands, only "all writable" becomes false here and in every ancestor. Cheaper than
   * invalidate(), which would make the next check re-read whole subtrees.
   */
  permissionsReduced(spId: number): void {
    if (spId >= this.valid.length || !this.valid[spId]) {
      this.invalidate(spId);
      return;
    }
    if (this.writable[spId] === 0) return;
    this.writable[spId] = 0;
    const e = this.state.geo.entries;
    for (const p of this.state.sps[spId].parentPtes) this.permissionsReduced(Math.floor(p / e));
  }

  /**
   * Record what a writer already knows: it just filled every entry of `spId` with leaves mapping
   * linearly from `pfn` (the split loop does), so the check need not read them back.
   */
  knownLinear(spId: number, pfn: number, writable: boolean): void {
    this.grow(spId);
    this.linear[spId] = pfn;
    this.writable[spId] = writable ? 1 : 0;
    this.valid[spId] = 1;
  }

  /** A level-1 table holds only leaves: linear iff every entry is present at base + i. */
  private computeLeafTable(spId: number): void {
    const sp = this.state.sps[spId];
    const flags = sp.flags;
    const target = sp.target;
    const base = target[0];
    let linear = (flags[0] & SPTE_PRESENT) !== 0;
    let writable = true;
    for (let i = 0; i < flags.length; i++) {
      const f = flags[i];
      if (!(f & SPTE_PRESENT)) { linear = false; continue; }
      if (!(f & SPTE_WRITABLE)) writable = false;
      if (target[i] !== base + i) linear = false;
    }
    this.linear[spId] = linear ? base : NaN;
    this.writable[spId] = writable ? 1 : 0;
    this.valid[spId] = 1;
  }

  /** pfn of the first page if the SP's subtree maps all of its range linearly; NaN otherwise. */
  linearPfn(spId: number): number {
    this.compute(spId);
    return this.linear[spId];
  }

  /** Every present leaf under this SP is writable. */
  allWritable(spId: number): boolean {
    this.compute(spId);
    return this.writable[spId] === 1;
  }
}
