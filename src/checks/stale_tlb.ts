/**
 * The stale-TLB invariant in KVM's two strengths.
 * - unmapped: at every mmu_lock release, each 4 KiB page a TLB entry covers must still be mapped
 *   by the entry's root to the same pfn. Another operation may run at the release, and one that
 *   finds no SPTE will not flush.
 * - permissions: an operation that write-protected SPTEs must have flushed every TLB entry that
 *   still grants write to them before it ends.
 * Both walk only as deep as they must: a subtree that maps its whole range linearly (or is all
 * writable) is accepted from the subtree cache without visiting its leaves.
 */
import type { MmuContext } from '../mmu/context';
import { findRoot } from '../mmu/hardware';
import type { MmuState, TlbEntry } from '../model/state';
import { isLastSpte, SPTE_PRESENT, SPTE_WRITABLE } from '../kernel/spte';

interface Slot {
  spId: number;
  index: number;
  /** The walk met a leaf above the entry's level: pfn it gives for the entry's first page. */
  abovePfn?: number;
  aboveWritable?: boolean;
  missing?: boolean;
}

/** Walk from the entry's root down to the SPTE slot at the entry's level. */
function slotOf(ctx: MmuContext, e: TlbEntry): Slot {
  const { state } = ctx;
  let spId = findRoot(state, e.root).spId;
  for (let level = 4; level > e.level; level--) {
    const sp = state.sps[spId];
    const index = state.geo.index(e.l2Base, level);
    const f = sp.flags[index];
    if (!(f & SPTE_PRESENT)) return { spId, index, missing: true };
    if (isLastSpte(f, level)) {
      return { spId, index, abovePfn: sp.target[index] + (e.l2Base - state.geo.round(e.l2Base, level)), aboveWritable: (f & SPTE_WRITABLE) !== 0 };
    }
    spId = sp.target[index];
  }
  return { spId, index: state.geo.index(e.l2Base, e.level) };
}

/** First page offset in the child subtree that does not map expected + offset, or -1. */
function firstBadPage(ctx: MmuContext, spId: number, expected: number): number {
  const { state, cache } = ctx;
  const sp = state.sps[spId];
  const n = state.geo.pages(sp.role.level);
  for (let i = 0; i < sp.flags.length; i++) {
    const f = sp.flags[i];
    const want = expected + i * n;
    if (!(f & SPTE_PRESENT)) return i * n;
    if (isLastSpte(f, sp.role.level)) {
      if (sp.target[i] !== want) return i * n;
      continue;
    }
    const child = sp.target[i];
    if (cache.linearPfn(child) === want) continue;
    return i * n + firstBadPage(ctx, child, want);
  }
  return -1;
}

/** Offset (in pages) of the first page of the entry no longer mapped to its pfn, or -1. */
export function firstUnmappedPage(ctx: MmuContext, e: TlbEntry): number {
  const s = slotOf(ctx, e);
  if (s.missing) return 0;
  if (s.abovePfn !== undefined) return s.abovePfn === e.pfnBase ? -1 : 0;
  const sp = ctx.state.sps[s.spId];
  const f = sp.flags[s.index];
  if (!(f & SPTE_PRESENT)) return 0;
  if (isLastSpte(f, e.level)) return sp.target[s.index] === e.pfnBase ? -1 : 0;
  const child = sp.target[s.index];
  if (ctx.cache.linearPfn(child) === e.pfnBase) return -1;
  return firstBadPage(ctx, child, e.pfnBase);
}

/** Offsets of pages under a subtree whose leaf is present but read-only, up to `limit`. */
function readOnlyPages(ctx: MmuContext, spId: number, base: number, out: number[], limit: number): void {
  const { state, cache } = ctx;
  const sp = state.sps[spId];
  const n = state.geo.pages(sp.role.level);
  for (let i = 0; i < sp.flags.length && out.length < limit; i++) {
    const f = sp.flags[i];
    if (!(f & SPTE_PRESENT)) continue;
    if (isLastSpte(f, sp.role.level)) {
      if (!(f & SPTE_WRITABLE)) out.push(base + i * n);
      continue;
    }
    const child = sp.target[i];
    if (!cache.allWritable(child)) readOnlyPages(ctx, child, base + i * n, out, limit);
  }
}

/**
 * For a writable entry: first gfn it covers whose SPTE is now read-only and that `reducedBy`
 * says this operation write-protected; -1 if none.
 */
export function firstWriteProtectedPage(ctx: MmuContext, e: TlbEntry, reducedBy: (gfn: number) => boolean): number {
  if (!e.writable) return -1;
  const s = slotOf(ctx, e);
  if (s.missing) return -1;
  if (s.abovePfn !== undefined) return !s.aboveWritable && reducedBy(e.gfnBase) ? e.gfnBase : -1;
  const sp = ctx.state.sps[s.spId];
  const f = sp.flags[s.index];
  if (!(f & SPTE_PRESENT)) return -1;
  if (isLastSpte(f, e.level)) return !(f & SPTE_WRITABLE) && reducedBy(e.gfnBase) ? e.gfnBase : -1;
  const child = sp.target[s.index];
  if (ctx.cache.allWritable(child)) return -1;
  // A leaf is at least one page; the run of read-only leaves is bounded by the entry's size.
  const offsets: number[] = [];
  readOnlyPages(ctx, child, 0, offsets, Number.MAX_SAFE_INTEGER);
  for (const off of offsets) {
    if (reducedBy(e.gfnBase + off)) return e.gfnBase + off;
  }
  return -1;
}

/** A TLB entry the check would report, and the first gfn it reports it for. */
export interface StaleEntry {
  entry: TlbEntry;
  gfn: number;
}

/** Every entry of every vCPU's TLB not wholly mapped by its root to its pfns: what the unmapped strength reports at a release. */
export function unmappedEntries(ctx: MmuContext): StaleEntry[] {
  const out: StaleEntry[] = [];
  for (const vcpu of ctx.state.vcpus) {
    for (const entry of vcpu.tlb) {
      const off = firstUnmappedPage(ctx, entry);
      if (off >= 0) out.push({ entry, gfn: entry.gfnBase + off });
    }
  }
  return out;
}

/**
 * Every writable entry over a page that `reduced` (one operation's write-protected gfn ranges)
 * covers and whose SPTE is now read-only: what the permissions strength reports when that
 * operation ends.
 */
export function writeProtectedEntries(ctx: MmuContext, reduced: ReadonlyArray<readonly [number, number]>): StaleEntry[] {
  const out: StaleEntry[] = [];
  if (reduced.length === 0) return out;
  const reducedBy = (gfn: number): boolean => reduced.some(([g, n]) => gfn >= g && gfn < g + n);
  for (const vcpu of ctx.state.vcpus) {
    for (const entry of vcpu.tlb) {
      const gfn = firstWriteProtectedPage(ctx, entry, reducedBy);
      if (gfn >= 0) out.push({ entry, gfn });
    }
  }
  return out;
}

/** Why a TLB entry over gfn is stale: the step of the latest unmapping change covering it, and the flush skipped there. */
export interface StaleCause {
  staleSince?: number;
  skippedFlush?: number;
  what?: string;
}

/** The latest unmapping change covering gfn (the step that made a TLB entry stale) and what became of its flush. */
export function staleCauseOf(state: MmuState, gfn: number): StaleCause {
  const events = state.unmapEvents;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (gfn >= e.gfn && gfn < e.gfn + e.npages) {
      const missed = e.missedBy !== undefined ? `; the ranged flush at step ${e.missedBy} did not cover it` : '';
      const out: StaleCause = { staleSince: e.step, what: e.what + missed };
      if (e.flushSkipped) out.skippedFlush = e.flushStep;
      return out;
    }
  }
  return {};
}
