/**
 * In-flight operations as plain data. An operation advances one step at a time; everything it
 * needs to resume (its program counter and locals) lives in its frame, so a state with operations
 * half done can be cloned, stepped back to, and explored.
 */
import type { AccessKind } from './modes';
import type { GuestPte, Sptep } from './state';
import type { GuestWalk, GuestWalkError } from './walker';

/** Where a scenario may stop an operation to let others run. */
export type PausePoint = 'unlock' | 'resched' | 'walked' | { afterSteps: number };

/** kvm_shadow_mmu_try_split_huge_pages() over [start, end) down to `target`, resumable. */
export interface SplitFrame {
  pc: 'find' | 'resched-unlock' | 'resched-lock' | 'get-sp' | 'loop' | 'drop' | 'flush' | 'link' | 'done';
  slot: number;
  start: number;
  end: number;
  target: number;
  level: number;
  /** rmap frame index at `level` the iterator is on. */
  cursor: number;
  huge: Sptep;
  child: number;
  reused: boolean;
  index: number;
  flush: boolean;
  /** Why the flush flag got set, for the trace ("entry 3 is a present non-leaf"). */
  flushWhy: string;
  /** The lock was just dropped before this huge page (so 'every' yields once a page). */
  rescheduled: boolean;
}

interface FrameBase {
  opIndex: number;
  label: string;
  pc: string;
  stepsRun: number;
  pause?: PausePoint;
  /** gfn ranges [gfn, gfn + n) this operation write-protected: the permissions check's input. */
  reduced: Array<[number, number]>;
  done: boolean;
}

export interface FaultFrame extends FrameBase {
  kind: 'fault';
  vcpu: number;
  root: string;
  addr: number;
  access: AccessKind;
  /** Child SP got for a huge SPTE being replaced, between its drop and its link. */
  pendingChild: number;
  pendingSptep: Sptep;
  /** FNAME(walk_addr_generic)'s walker, read before mmu_lock; absent until the fault walks. */
  gw?: GuestWalk;
  /** Why the walk failed: the fault is injected into the guest and no SPTE changes. */
  walkError?: GuestWalkError;
  /** Lowest level whose guest entry FNAME(fetch) has re-read (FNAME(gpte_changed)); 5 before any. */
  rechecked?: number;
  /** The parent SPTE whose -EEXIST over a child of another gfn or role the fault has said (one note each). */
  eexistNoted?: number;
  /** The fault met a present link to a child other than the one its walk asked for (reused or zapped). */
  mismatch?: boolean;
  /** __link_shadow_page()'s invalid_list: the child its mmu_page_zap_pte() left parentless and zapped. */
  invalidList?: number[];
  /**
   * The explorer stopped this fault between its guest walk and its mmu_lock (a "walked" access,
   * Bound.faultWindow): when it ends, the access is retried, as the scenario runner does.
   */
  walkedAccess?: boolean;
  /**
   * A stopped fault (the explorer's in the guest-tables scope, the runner's paused "walked"): an invalidation ended (kvm_mmu_invalidate_end():
   * mmu_invalidate_seq++) since the fault took its snapshot of mmu_invalidate_seq in
   * kvm_mmu_faultin_pfn(), which the model places before the stop; is_page_fault_stale() then
   * retries it at its lock (mmu_invalidate_retry_gfn(): the sequence moved). Absent: it did not.
   */
  seqMoved?: boolean;
}

export interface EnableLogFrame extends FrameBase {
  kind: 'enable-dirty-logging';
  slot: number;
  manualProtect: boolean;
  initiallySet: boolean;
  split: SplitFrame | null;
  writeProtected: boolean;
}

export interface ClearLogFrame extends FrameBase {
  kind: 'clear-dirty-log';
  slot: number;
  first: number;
  /** gfns userspace asks to clear (its bitmap), sorted. */
  gfns: number[];
  word: number;
  mask: number[];
  flush: boolean;
  split: SplitFrame | null;
}

export interface GetLogFrame extends FrameBase {
  kind: 'get-dirty-log';
  slot: number;
  word: number;
  flush: boolean;
  /** gfns harvested in classic mode (manual-protect checks against the bitmap itself). */
  harvested: number[];
  harvestedCount: number;
  /** Ground truth when the ioctl started: writes the harvest must contain. */
  mustHarvest: number[];
}

export interface InvalidateFrame extends FrameBase {
  kind: 'invalidate';
  gfn: number;
  npages: number;
  zapped: number;
}

/**
 * A write of one guest page-table entry. by 'vmm': from outside the guest (the VMM, a device), one
 * step. by 'guest': the guest's own store by vCPU `vcpu` (src/ops/guest_table_write_trapped.ts):
 * a plain store when the gfn is not write-tracked, else emulated and followed by the MMU's
 * track-write zap under mmu_lock.
 */
export interface GuestTableWriteFrame extends FrameBase {
  kind: 'guest-table-write';
  by: 'vmm' | 'guest';
  table: number;
  index: number;
  entry: GuestPte;
  /** The vCPU whose store it is (by 'guest'). */
  vcpu?: number;
  /** for_each_gfn_valid_sp_with_gptes(): the last SP id zapped so far (-1 before the first). */
  spCursor?: number;
  /** kvm_mmu_track_write()'s `flush`: a zapped SPTE was present. */
  flush?: boolean;
  /** SPs whose written SPTE was zapped (present or not), for the flush step's text. */
  zapped?: number;
}

/**
 * KVM_SET_USER_MEMORY_REGION with size 0 (memslot deletion) in the modelled era:
 * kvm_invalidate_memslot() -> kvm_arch_flush_shadow_memslot() -> kvm_mmu_zap_all_fast(), then
 * kvm_delete_memslot(). One step per statement, one per shadow page zapped.
 */
export interface MemslotDeleteFrame extends FrameBase {
  kind: 'delete-memslot';
  /** The memslot's id (not its index: the index changes when it goes). */
  slotId: number;
  /** kvm->arch.zapped_obsolete_pages: SP ids prepared for freeing. */
  invalidList: number[];
  /** SPs prepared so far (each one step). */
  zapped: number;
  /**
   * slotZap=memslot: what kvm_unmap_gfn_range() returned (a leaf SPTE was zapped, so a flush is
   * owed), handed to kvm_mmu_zap_memslot_pages_and_flush() as its `flush`. Absent before the unmap.
   */
  unmapFlush?: boolean;
}

export type OpFrame = FaultFrame | EnableLogFrame | ClearLogFrame | GetLogFrame | InvalidateFrame | GuestTableWriteFrame | MemslotDeleteFrame;
