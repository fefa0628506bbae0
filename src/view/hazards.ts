/**
 * The hazards open at a step of a walk: TLB entries the stale-TLB check would report were its
 * moment now, which it has not reported (yet). Each has a deadline, the step where the check does
 * look: the next mmu_lock release for the unmapped strength, the end of the operation that
 * write-protected the page for the permissions strength. Flushed by then, the hazard closes and
 * the run passes; not flushed, the check fails there. The entries are found by the check's own
 * queries (src/checks/stale_tlb.ts), so a hazard is exactly what the check would see.
 */
import { hex } from '../kernel/geometry';
import { staleCauseOf, unmappedEntries, writeProtectedEntries } from '../checks/stale_tlb';
import type { MmuContext } from '../mmu/context';
import { describeTlbEntry, findRoot, shadowWalk } from '../mmu/hardware';
import type { MmuState, TlbEntry } from '../model/state';
import { SPTE_WRITABLE } from '../kernel/spte';
import type { Step, Violation } from '../model/step';
import type { InFlightOp, Walkthrough } from '../run/walkthrough';

export interface OpenHazard {
  strength: 'unmapped' | 'permissions';
  vcpu: number;
  /** The entry's id (tlb#N). */
  tlbId: number;
  /** The entry as the check names it ("vcpu0 tlb#1: 1G via root B, L2 gfn 0x40000 -> gfn 0x40000 pfn 0x440000 W"). */
  tlbEntry: string;
  /** First gfn of the entry the check finds stale. */
  gfn: number;
  /** Step that made the entry stale: the unmapping change, or the write-protection. */
  staleSince?: number;
  /** Step of the flush skipped since, when one was. */
  skippedFlush?: number;
  /** What made it stale, in kernel terms; may be empty. */
  cause: string;
  /** Step where the check looks: the next mmu_lock release, or the operation's end. Absent when the run has none. */
  deadline?: number;
  /** The whole hazard in one sentence. */
  message: string;
}

/** The first step after `index` that passes `is`, or undefined. */
function nextStep(steps: readonly Step[], index: number, is: (s: Step) => boolean): number | undefined {
  for (let k = index + 1; k < steps.length; k++) if (is(steps[k])) return k;
  return undefined;
}

/** The entry as the panel names it in a sentence: "vCPU 0's 1G entry tlb#1 (root B, gfns 0x40000..0x7ffff, W)". */
function entryWords(state: MmuState, e: TlbEntry): string {
  const n = state.geo.pages(e.level);
  const gfns = n === 1 ? `gfn ${hex(e.gfnBase)}` : `gfns ${hex(e.gfnBase)}..${hex(e.gfnBase + n - 1)}`;
  return `vCPU ${e.vcpu}'s ${state.geo.sizeName(e.level)} entry tlb#${e.id} (root ${e.root}, ${gfns}, ${e.writable ? 'W' : 'R'})`;
}

/** "(flush skipped at step 26)" or "(no flush yet)". */
function flushWords(h: Pick<OpenHazard, 'skippedFlush'>): string {
  return `(${h.skippedFlush !== undefined ? `flush skipped at step ${h.skippedFlush}` : 'no flush yet'})`;
}

/**
 * The step of operation `op`, at or before `index`, that cleared the writable bit of the SPTE now
 * mapping gfn through the entry's root; without recorded writes, the operation's last
 * write-protection that changed any SPTE.
 */
function writeProtectedAt(steps: readonly Step[], index: number, state: MmuState, e: TlbEntry, gfn: number, op: number): number | undefined {
  const leaf = shadowWalk(state, findRoot(state, e.root), e.l2Base + (gfn - e.gfnBase));
  let fallback: number | undefined;
  for (let k = index; k >= 0; k--) {
    const s = steps[k];
    // Only the dirty-log paths' write-protection steps clear a W bit (the split copies it).
    if (s.op !== op || s.kind !== 'write-protect') continue;
    if (s.writes.some((x) => x.sp === leaf.spId && x.index === leaf.index && (x.oldFlags & SPTE_WRITABLE) !== 0 && (x.newFlags & SPTE_WRITABLE) === 0)) return k;
    if (fallback === undefined && s.writeCount > 0) fallback = k;
  }
  return fallback;
}

/** The hazards open after step `index` of walk `w`; `ctx` holds the state then, `inFlight` the operations then, `violations` those found so far. */
export function openHazards(w: Walkthrough, index: number, ctx: MmuContext, inFlight: readonly InFlightOp[], violations: readonly Violation[]): OpenHazard[] {
  const { state } = ctx;
  const steps = w.steps;
  const checks = w.options.checks ?? {};
  // An entry the check has reported is a violation now, no longer a hazard.
  const reported = new Set(violations.filter((v) => v.kind === 'stale-tlb').map((v) => `${v.strength}|${v.tlbEntry}`));
  const out: OpenHazard[] = [];
  if (checks.unmapped !== false) {
    const deadline = nextStep(steps, index, (s) => s.kind === 'unlock' || s.kind === 'resched');
    for (const { entry, gfn } of unmappedEntries(ctx)) {
      const tlbEntry = describeTlbEntry(state, entry);
      if (reported.has(`unmapped|${tlbEntry}`)) continue;
      const cause = staleCauseOf(state, gfn);
      const h: OpenHazard = { strength: 'unmapped', vcpu: entry.vcpu, tlbId: entry.id, tlbEntry, gfn, cause: cause.what ?? '', message: '' };
      if (cause.staleSince !== undefined) h.staleSince = cause.staleSince;
      if (cause.skippedFlush !== undefined) h.skippedFlush = cause.skippedFlush;
      if (deadline !== undefined) h.deadline = deadline;
      const pfn = entry.pfnBase + (gfn - entry.gfnBase);
      const since = h.staleSince !== undefined ? `, stale since step ${h.staleSince} ${flushWords(h)}` : '';
      h.message = `A stale translation must be flushed before mmu_lock is released, unless the page tables map it again by then: ${entryWords(state, entry)} no longer maps gfn ${hex(gfn)} to pfn ${hex(pfn)}${since}.${deadline !== undefined ? ` mmu_lock is released at step ${deadline}.` : ''}`;
      out.push(h);
    }
  }
  if (checks.permissions !== false) {
    for (const op of inFlight) {
      const deadline = nextStep(steps, index, (s) => s.op === op.opIndex && s.kind === 'op-end');
      for (const { entry, gfn } of writeProtectedEntries(ctx, op.reduced)) {
        const tlbEntry = describeTlbEntry(state, entry);
        if (reported.has(`permissions|${tlbEntry}`)) continue;
        const h: OpenHazard = { strength: 'permissions', vcpu: entry.vcpu, tlbId: entry.id, tlbEntry, gfn, cause: '', message: '' };
        const at = writeProtectedAt(steps, index, state, entry, gfn, op.opIndex);
        if (at !== undefined) {
          h.staleSince = at;
          h.cause = `write-protected by ${op.label}`;
          for (let k = index; k > at; k--) if (steps[k].op === op.opIndex && steps[k].kind === 'flush-skipped') { h.skippedFlush = k; break; }
        }
        if (deadline !== undefined) h.deadline = deadline;
        const when = h.staleSince !== undefined ? ` at step ${h.staleSince} ${flushWords(h)}` : '';
        h.message = `A writable translation must be flushed before ${op.label} returns: ${entryWords(state, entry)} still grants write to gfn ${hex(gfn)}, which that operation write-protected${when}.${deadline !== undefined ? ` It returns at step ${deadline}.` : ''}`;
        out.push(h);
      }
    }
  }
  return out;
}
