/**
 * Remote TLB flushes. kvm_flush_remote_tlbs() empties every vCPU's TLB;
 * kvm_flush_remote_tlbs_with_address(gfn, pages) does the same on bare metal and, with a
 * range-capable remote flush, removes only entries whose gfn range meets [gfn, gfn + pages).
 * The gfn and pages passed in are whatever the calling code computed, right or wrong.
 */
import type { FlushRecord } from '../model/step';
import type { MmuContext } from './context';
import type { FlushMode } from '../model/modes';
import { unknownMode } from '../model/errors';

/** Bare metal: a ranged remote flush is a full one; a range-capable flush (Hyper-V) removes only the range. */
function flushesEverything(mode: FlushMode): boolean {
  switch (mode) {
    case 'bare-metal': return true;
    case 'range': return false;
    default: return unknownMode('flushMode', mode);
  }
}

/**
 * Tie the unmapping changes still waiting for a flush to this flush (or to its skipping). A ranged
 * flush that does not meet a change leaves it waiting, and notes that it missed it.
 */
function settleUnmapEvents(ctx: MmuContext, skipped: boolean, range?: [number, number]): void {
  const { unmapEvents, unmapPending } = ctx.state;
  const still: number[] = [];
  for (const i of unmapPending) {
    const e = unmapEvents[i];
    if (range && !(e.gfn < range[0] + range[1] && range[0] < e.gfn + e.npages)) {
      e.missedBy = ctx.stepIndex;
      still.push(i);
      continue;
    }
    e.flushStep = ctx.stepIndex;
    e.flushSkipped = skipped;
  }
  ctx.state.unmapPending = still;
}

/** Note a change that unmapped [gfn, gfn + npages): a later flush (or its skipping) settles it. */
export function noteUnmap(ctx: MmuContext, gfn: number, npages: number, what: string): void {
  const s = ctx.state;
  s.unmapPending.push(s.unmapEvents.length);
  s.unmapEvents.push({ step: ctx.stepIndex, gfn, npages, flushStep: -1, flushSkipped: false, what });
}

function removeEntries(ctx: MmuContext, meets: (gfnBase: number, pages: number) => boolean): string[] {
  const removed: string[] = [];
  for (const vcpu of ctx.state.vcpus) {
    const kept = [];
    for (const e of vcpu.tlb) {
      if (meets(e.gfnBase, ctx.state.geo.pages(e.level))) removed.push(`vcpu${vcpu.id}:tlb#${e.id}`);
      else kept.push(e);
    }
    vcpu.tlb = kept;
  }
  return removed;
}

export function kvmFlushRemoteTlbs(ctx: MmuContext, call = 'kvm_flush_remote_tlbs(kvm)'): FlushRecord {
  const c = ctx.state.counters;
  c.remoteFlushes++;
  c.fullFlushes++;
  const rec: FlushRecord = { issued: true, call, full: true, gfn: 0, pages: 0, removed: removeEntries(ctx, () => true) };
  settleUnmapEvents(ctx, false);
  ctx.draft.flush = rec;
  return rec;
}

export function kvmFlushRemoteTlbsWithAddress(ctx: MmuContext, gfn: number, pages: number, call: string): FlushRecord {
  if (flushesEverything(ctx.flushMode)) {
    const rec = kvmFlushRemoteTlbs(ctx, call);
    rec.gfn = gfn;
    rec.pages = pages;
    return rec;
  }
  const c = ctx.state.counters;
  c.remoteFlushes++;
  c.rangedFlushes++;
  c.pagesFlushed += pages;
  const removed = removeEntries(ctx, (g, n) => g < gfn + pages && gfn < g + n);
  const rec: FlushRecord = { issued: true, call, full: false, gfn, pages, removed };
  settleUnmapEvents(ctx, false, [gfn, pages]);
  ctx.draft.flush = rec;
  return rec;
}

/**
 * A flush the code decided not to do: recorded, so a violation can name it, with the range the
 * call would have flushed (`range` omitted: a full flush).
 */
export function skipFlush(ctx: MmuContext, call: string, reason: string, range?: { gfn: number; pages: number }): FlushRecord {
  ctx.state.counters.flushesSkipped++;
  const rec: FlushRecord = { issued: false, call, full: !range, gfn: range ? range.gfn : 0, pages: range ? range.pages : 0, removed: [], reason };
  settleUnmapEvents(ctx, true);
  ctx.draft.flush = rec;
  return rec;
}
