/**
 * A guest access by a vCPU: what the hardware does, no mmu_lock. A TLB hit with the permission
 * completes at once; otherwise the CPU walks the shadow tables and fills its TLB at the size of the
 * leaf it finds; with no usable leaf the access exits to KVM as a page fault.
 */
import { hex } from '../kernel/geometry';
import { describeTlbEntry, findRoot, permits, shadowWalk, tlbFill, tlbLookup } from '../mmu/hardware';
import { walkGuest } from '../mmu/guest_walk';
import { type AccessKind } from '../model/modes';
import { isPfnFreed } from '../mmu/host';
import { reloadRoots } from './root_reload';
import type { TlbEntry } from '../model/state';
import type { Machine } from '../machine/machine';
import type { OpFrame } from '../model/frames';

/** reloaded: the vCPU served its root reload request first (root_reload.ts); the access comes next. */
export type AccessOutcome = 'done' | 'fault' | 'reloaded';

export function guestAccess(m: Machine, op: OpFrame | null, vcpu: number, rootName: string, l2: number, kind: AccessKind): AccessOutcome {
  const state = m.state;
  if (state.vcpus[vcpu].reloadPending) {
    reloadRoots(m, op, vcpu);
    return 'reloaded';
  }
  const root = findRoot(state, rootName);
  const who = (gfn: number | null) => `vCPU ${vcpu} ${kind}s L2 gfn ${hex(l2)} ${gfn === null ? '(no guest mapping)' : `-> gfn ${hex(gfn)}`} via root ${rootName}`;
  let entry = tlbLookup(state, vcpu, rootName, l2);
  if (entry && !permits(kind, entry.writable, entry.exec)) {
    // A permission fault drops the TLB entry; the CPU then walks the tables again.
    state.vcpus[vcpu].tlb = state.vcpus[vcpu].tlb.filter((e) => e !== entry);
    entry = undefined;
  }
  if (entry) {
    // The gfn is the one the TLB entry was filled for (tlbFill): the hardware asks no guest table.
    const gfn = entry.gfnBase + (l2 - entry.l2Base);
    complete(m, vcpu, gfn, entry.pfnBase + (l2 - entry.l2Base), kind, entry);
    m.emit(op, { kind: 'tlb-hit', anchor: 'hwAccess', actor: 'guest', vcpu, text: `${who(gfn)}: TLB hit on tlb#${entry.id} (${geoSize(m, entry)}), pfn ${hex(entry.pfnBase + (l2 - entry.l2Base))}` });
    return 'done';
  }
  const w = shadowWalk(state, root, l2);
  if (w.present && permits(kind, (w.flags & 4) !== 0, (w.flags & 128) !== 0)) {
    const filled = tlbFill(state, vcpu, root, l2, w, m.ctx.stepIndex);
    m.ctx.draft.tlbFilled = describeTlbEntry(state, filled);
    const gfn = filled.gfnBase + (l2 - filled.l2Base);
    complete(m, vcpu, gfn, w.pfn, kind, filled);
    m.emit(op, { kind: 'tlb-fill', anchor: 'hwAccess', actor: 'guest', vcpu, text: `${who(gfn)}: page walk finds a ${m.geo.sizeName(w.level)} leaf, fills tlb#${filled.id}, pfn ${hex(w.pfn)}` });
    return 'done';
  }
  // The exit: KVM's fault walks the guest tables next (FNAME(walk_addr_generic)); name its gfn here.
  const g = walkGuest(state, root.guestTableGfn, l2, kind);
  m.emit(op, { kind: 'access-fault', anchor: 'hwAccess', actor: 'guest', vcpu, text: `${who(g.ok ? g.walk.gfn : null)}: ${w.present ? 'the SPTE does not allow it' : `no SPTE at level ${w.level}`}: VM exit, page fault` });
  return 'fault';
}

function geoSize(m: Machine, e: TlbEntry): string {
  return `${m.geo.sizeName(e.level)}${e.writable ? ' W' : ' R'}`;
}

function complete(m: Machine, vcpu: number, gfn: number, pfn: number, kind: AccessKind, entry: TlbEntry): void {
  const state = m.state;
  state.counters.guestAccesses++;
  if (kind === 'write') {
    state.writtenSinceProtect.add(gfn);
    state.lastWrite.set(gfn, { step: m.ctx.stepIndex, vcpu, tlbEntry: entry.id });
  }
  if (isPfnFreed(state, pfn)) {
    const cause = m.staleCause(gfn);
    const skipped = cause.skippedFlush !== undefined ? `; the flush at step ${cause.skippedFlush} was skipped` : '';
    const v = {
      kind: 'use-after-free' as const, vcpu, gfn, step: m.ctx.stepIndex,
      tlbEntry: describeTlbEntry(state, entry),
      message: `vCPU ${vcpu} ${kind === 'write' ? 'wrote' : 'read'} gfn ${hex(gfn)} through tlb#${entry.id} and reached pfn ${hex(pfn)}, which the host has freed` +
        (cause.staleSince !== undefined ? `; the entry went stale at step ${cause.staleSince} (${cause.what})` : '') + skipped,
      ...(cause.staleSince !== undefined ? { staleSince: cause.staleSince } : {}),
      ...(cause.skippedFlush !== undefined ? { skippedFlush: cause.skippedFlush } : {}),
    };
    m.violate(v, `uaf:${vcpu}:${gfn}:${entry.id}`);
  }
}
