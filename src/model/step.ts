/**
 * A trace is data: steps with kernel anchors, what each step changed, counters, and check
 * results. The webview, the editor decorations and the plain-text mail reply all render this.
 */
import type { Counters } from './state';
import type { Anchor } from '../kernel/anchors';

export type Actor = 'kvm' | 'guest' | 'host' | 'userspace';

export type StepKind =
  | 'lock' | 'unlock' | 'resched'
  | 'get-sp' | 'split-loop' | 'drop-spte' | 'flush' | 'flush-skipped' | 'link'
  | 'fault' | 'install-leaf' | 'write-protect' | 'zap' | 'host-free'
  | 'dirty-bitmap' | 'harvest' | 'memslot-flags'
  | 'tlb-hit' | 'tlb-fill' | 'access-fault' | 'access-blocked' | 'op-end' | 'note'
  | 'guest-table-write' | 'zap-sp' | 'free-sp' | 'memslot-delete' | 'root-reload';

export interface SpteWrite {
  sp: number;
  index: number;
  level: number;
  oldFlags: number;
  oldTarget: number;
  newFlags: number;
  newTarget: number;
}

export interface FlushRecord {
  issued: boolean;
  /** "kvm_flush_remote_tlbs" (full), or the ranged call and its arguments as the code computes them. */
  call: string;
  full: boolean;
  gfn: number;
  pages: number;
  /** TLB entries removed, as "vcpu:id". */
  removed: string[];
  /** For a skipped flush: why the code chose not to flush. */
  reason?: string;
}

/**
 * use-after-free: a vCPU reached a host page the host freed. data-corruption: rmap_remove() did not
 * find the SPTE where kvm_mmu_page_get_gfn() says it is (pte_list_remove()'s report).
 * sp-use-after-free: an rmap walk reached an SPTE of a shadow page that was freed.
 * rmap-disagreement: a leaf was filed in the rmap of a gfn other than kvm_mmu_page_get_gfn()'s.
 */
export type ViolationKind = 'stale-tlb' | 'lost-dirty-page' | 'use-after-free' | 'structure' | 'data-corruption' | 'sp-use-after-free' | 'rmap-disagreement';

export const VIOLATION_KINDS: readonly ViolationKind[] = ['stale-tlb', 'lost-dirty-page', 'use-after-free', 'structure', 'data-corruption', 'sp-use-after-free', 'rmap-disagreement'];

export interface Violation {
  kind: ViolationKind;
  /** "unmapped" or "permissions" for stale-tlb. */
  strength?: 'unmapped' | 'permissions';
  vcpu: number;
  gfn: number;
  /** Step at which the check failed. */
  step: number;
  /** TLB entry involved, described ("vcpu0 tlb#1: 1G via root B, L2 gfn 0x40000 -> gfn 0x40000 pfn 0x140000 W"). */
  tlbEntry?: string;
  /** Step that made the entry stale (the SPTE change), when known. */
  staleSince?: number;
  /** Step of the flush that was skipped there, when there was one. */
  skippedFlush?: number;
  /** data-corruption, sp-use-after-free, rmap-disagreement: the step that filed the rmap entry where it was not looked for. */
  causeStep?: number;
  /** sp-use-after-free: the step whose kvm_mmu_commit_zap_page() freed the SP. */
  freedStep?: number;
  message: string;
}

export interface Step {
  index: number;
  /** Index of the scenario operation this step belongs to (-1: none). */
  op: number;
  opLabel: string;
  actor: Actor;
  vcpu?: number;
  kind: StepKind;
  anchor: Anchor;
  text: string;
  writes: SpteWrite[];
  /** Number of SPTE writes, also when the writes themselves were not recorded. */
  writeCount: number;
  flush?: FlushRecord;
  tlbFilled?: string;
  /** For a split's get-sp step: the child SP, and whether it came from the hash. */
  childSp?: { id: number; reused: boolean };
  violations: Violation[];
  /** mmu_lock held after this step. */
  lockHeld: boolean;
  counters: Counters;
}
