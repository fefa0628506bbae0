/**
 * What the CPU does without asking KVM: look up its TLB, walk the shadow page tables of the root it
 * runs on, and fill the TLB at the size of the leaf it found. None of it takes mmu_lock.
 */
import type { Level } from '../kernel/geometry';
import type { MmuState, Root, TlbEntry } from '../model/state';
import { pfnToGfn } from './host';
import { isLastSpte, SPTE_EXEC, SPTE_PRESENT, SPTE_WRITABLE } from '../kernel/spte';
import { ModelInputError } from '../model/errors';
import type { AccessKind } from '../model/modes';
import { ownVcpu } from '../model/fork';


export function findRoot(state: MmuState, name: string): Root {
  const root = state.roots.find((r) => r.name === name);
  if (!root) throw new ModelInputError(`no root named '${name}'`);
  return root;
}

export function tlbLookup(state: MmuState, vcpu: number, root: string, l2: number): TlbEntry | undefined {
  for (const e of state.vcpus[vcpu].tlb) {
    if (e.root === root && l2 >= e.l2Base && l2 < e.l2Base + state.geo.pages(e.level)) return e;
  }
  return undefined;
}

export function permits(kind: AccessKind, writable: boolean, exec: boolean): boolean {
  return kind === 'read' || (kind === 'write' ? writable : exec);
}

export interface WalkResult {
  /** Level where the walk stopped: at a leaf, or at a not-present SPTE. */
  level: Level;
  present: boolean;
  spId: number;
  index: number;
  flags: number;
  /** pfn of the 4 KiB page addressed (leaf only). */
  pfn: number;
}

/** The hardware page walk of the shadow tables from `root`. */
export function shadowWalk(state: MmuState, root: Root, l2: number): WalkResult {
  let spId = root.spId;
  for (let level = 4; level >= 1; level--) {
    const sp = state.sps[spId];
    const index = state.geo.index(l2, level);
    const flags = sp.flags[index];
    if (!(flags & SPTE_PRESENT)) return { level: level as Level, present: false, spId, index, flags, pfn: -1 };
    if (isLastSpte(flags, level)) {
      const pfn = sp.target[index] + (l2 - state.geo.round(l2, level));
      return { level: level as Level, present: true, spId, index, flags, pfn };
    }
    spId = sp.target[index];
  }
  throw new Error('page walk fell off level 1');
}

/**
 * Fill the TLB with the translation the walk found, at the size of its leaf. The CPU walks the
 * shadow tables only, never the guest's: the entry's gfn (kept for the checks; hardware caches
 * L2 -> pfn) is the gfn the shadow leaf was installed for, the one whose host page it maps.
 */
export function tlbFill(state: MmuState, vcpu: number, root: Root, l2: number, w: WalkResult, step: number): TlbEntry {
  const l2Base = state.geo.round(l2, w.level);
  const pfnBase = w.pfn - (l2 - l2Base);
  const entry: TlbEntry = {
    id: state.nextTlbId++,
    vcpu,
    root: root.name,
    l2Base,
    level: w.level,
    gfnBase: pfnToGfn(state, pfnBase),
    pfnBase,
    writable: (w.flags & SPTE_WRITABLE) !== 0,
    exec: (w.flags & SPTE_EXEC) !== 0,
    filledAt: step,
  };
  ownVcpu(state, state.vcpus[vcpu]);
  state.vcpus[vcpu].tlb.push(entry);
  state.counters.tlbFills++;
  return entry;
}

export function describeTlbEntry(state: MmuState, e: TlbEntry): string {
  return `vcpu${e.vcpu} tlb#${e.id}: ${state.geo.sizeName(e.level)} via root ${e.root}, L2 gfn 0x${e.l2Base.toString(16)} -> gfn 0x${e.gfnBase.toString(16)} pfn 0x${e.pfnBase.toString(16)} ${e.writable ? 'W' : 'R'}`;
}
