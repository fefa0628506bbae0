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

/** A run of pages of a TLB entry, as offsets in it: [from, to). */
export interface PageRun {
  from: number;
  to: number;
}

/**
 * Append to `out` the runs of pages under SP `spId` (offsets from `base`) that do not map
 * expected + offset, a run adjacent to the last one extending it. With `firstOnly` it stops at
 * the first such page (its run is then the leaf or hole it is in). False when it stopped.
 */
function unmappedUnder(ctx: MmuContext, spId: number, expected: number, base: number, out: PageRun[], firstOnly: boolean): boolean {
  const { state, cache } = ctx;
  const sp = state.sps[spId];
  const n = state.geo.pages(sp.role.level);
  for (let i = 0; i < sp.flags.length; i++) {
    const f = sp.flags[i];
    const want = expected + i * n;
    const off = base + i * n;
    if (f & SPTE_PRESENT) {
      if (isLastSpte(f, sp.role.level)) {
        if (sp.target[i] === want) continue;
      } else {
        // A subtree that maps its whole range linearly from `want` is right without visiting it.
        if (cache.linearPfn(sp.target[i]) === want) continue;
        if (!unmappedUnder(ctx, sp.target[i], want, off, out, firstOnly)) return false;
        continue;
      }
    }
    const last = out[out.length - 1];
    if (last && last.to === off) last.to = off + n;
    else out.push({ from: off, to: off + n });
    if (firstOnly) return false;
  }
  return true;
}

/** entrySubtree(): every page of the entry is mapped to its pfns. */
const ALL_MAPPED = -1;
/** entrySubtree(): no page is (no SPTE, or a leaf to other pfns, at or above the entry's level). */
const NONE_MAPPED = -2;

/**
 * What the entry's root maps at the entry's level: ALL_MAPPED, NONE_MAPPED, or the child SP
 * whose pages must be looked at one by one (not all mapped linearly to the entry's pfns).
 */
function entrySubtree(ctx: MmuContext, e: TlbEntry): number {
  const s = slotOf(ctx, e);
  if (s.missing) return NONE_MAPPED;
  if (s.abovePfn !== undefined) return s.abovePfn === e.pfnBase ? ALL_MAPPED : NONE_MAPPED;
  const sp = ctx.state.sps[s.spId];
  const f = sp.flags[s.index];
  if (!(f & SPTE_PRESENT)) return NONE_MAPPED;
  if (isLastSpte(f, e.level)) return sp.target[s.index] === e.pfnBase ? ALL_MAPPED : NONE_MAPPED;
  const child = sp.target[s.index];
  return ctx.cache.linearPfn(child) === e.pfnBase ? ALL_MAPPED : child;
}

/** Offset (in pages) of the first page of the entry no longer mapped to its pfn, or -1. */
export function firstUnmappedPage(ctx: MmuContext, e: TlbEntry): number {
  const child = entrySubtree(ctx, e);
  if (child === ALL_MAPPED) return -1;
  if (child === NONE_MAPPED) return 0;
  const out: PageRun[] = [];
  unmappedUnder(ctx, child, e.pfnBase, 0, out, true);
  return out.length > 0 ? out[0].from : -1;
}

/**
 * The runs of pages (offsets in the entry) that the entry's root no longer maps to the entry's
 * pfns: what the unmapped strength finds, every page instead of the first only (the hazard
 * picture's bands, view/hazard_picture.ts).
 */
export function unmappedRuns(ctx: MmuContext, e: TlbEntry): PageRun[] {
  const child = entrySubtree(ctx, e);
  if (child === ALL_MAPPED) return [];
  if (child === NONE_MAPPED) return [{ from: 0, to: ctx.state.geo.pages(e.level) }];
  const out: PageRun[] = [];
  unmappedUnder(ctx, child, e.pfnBase, 0, out, false);
  return out;
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
