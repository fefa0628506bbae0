/**
 * What an explorer scope is made of: the bound a search is asked for, the menu of actions it may
 * take, and the scope itself (its scenario and menu). Kept apart from the scopes that build them
 * (scope.ts, scope_guest_tables.ts) so that each scope imports only this.
 */
import type { AccessKind } from '../model/modes';
import type { GuestPte } from '../model/state';
import type { Scenario } from '../scenario/types';

export interface Bound {
  /** Entries per table: 2, 4 or 8. */
  entries: number;
  /** KVM operations started (faults, enable/clear/get dirty log, invalidations). */
  ops: number;
  /** Guest accesses (each a TLB hit, a walk and fill, or a fault and a retry). */
  accesses: number;
  /**
   * Pages of the region that accesses, clears and invalidations name: 'few' = the first two 4K
   * pages of each of the first two level-2 frames (4 pages, enough for every relation between two
   * pages: same 4K page, same level-2 frame, different level-2 frames); 'all' = every page.
   */
  pages?: 'few' | 'all';
  /**
   * KVM operations the menu offers besides faults (default: all of them): the split scope's enable,
   * clear, get and invalidate; the guest-tables scope's delete-memslot and invalidate (an empty list:
   * its accesses and its write only).
   */
  kinds?: Array<'enable' | 'clear' | 'get' | 'invalidate' | 'delete-memslot'>;
  /**
   * Which world: 'split' (the default), the eager split's scope below; 'guest-tables', guest tables
   * that change (scope_guest_tables.ts; the core engine only).
   */
  scope?: 'split' | 'guest-tables';
  /**
   * The guest-tables scope's guest-table writes: 'untrapped' (the default), the VMM's; 'trapped',
   * the guest's own store by either vCPU, trapped while the table is write-tracked; 'both', each
   * target offered both ways. One write a path in every case (docs/explorer.md).
   */
  writes?: 'untrapped' | 'trapped' | 'both';
  /**
   * The guest-tables scope only: also offer each access as one whose fault stops after its guest
   * walk, before its mmu_lock (the window FNAME(fetch)'s FNAME(gpte_changed) re-check is for); the
   * fault is resumed later and the access retried when it ends.
   */
  faultWindow?: boolean;
  /**
   * The guest-tables scope only: also offer the deletion of memslot 0, which holds the guest tables
   * (the SPs that shadow them have guest PTEs there: what a deletion with
   * KVM_X86_QUIRK_SLOT_ZAP_ALL disabled, slotZap=memslot, zaps besides the slot's leaves).
   */
  deleteTables?: boolean;
}

export type MenuAction =
  | { t: 'access'; vcpu: number; root: string; addr: number; kind: AccessKind; /** Its fault stops after its guest walk (Bound.faultWindow). */ walked?: boolean }
  | { t: 'enable'; manualProtect: boolean; initiallySet: boolean }
  | { t: 'clear'; gfns: number[] }
  | { t: 'get' }
  | { t: 'invalidate'; gfn: number }
  /**
   * A write of one guest page-table entry (the guest-tables scope; at most one a path): by the VMM
   * (untrapped, when `by` is absent) or by the guest's vCPU `vcpu` (trapped while write-tracked).
   */
  | { t: 'guest-table-write'; table: number; index: number; entry: GuestPte; name: string; by?: 'guest'; vcpu?: number }
  /** KVM_SET_USER_MEMORY_REGION deleting a memslot (the guest-tables scope). */
  | { t: 'delete-memslot'; slot: number };

export interface Scope {
  bound: Bound;
  /** First gfn (and L2 address) of the region both roots map. */
  region: number;
  /** Pages in the region: E^2, one level-3 page. */
  regionPages: number;
  scenario: Scenario;
  menu: MenuAction[];
  /** Roots: 2 aliased ones (the split scope, symmetric under their swap) or 1. */
  roots: 1 | 2;
  /**
   * Tests only: where reduction 4 of docs/explorer.md is not applied, so that a guest access under
   * mmu_lock is offered after every step, visible or not: 'off' everywhere, 'off-in-get' while a
   * KVM_GET_DIRTY_LOG holds the lock (from its start, which copies the ground truth, to its
   * release). Absent: reduction 4, as every search outside the tests. Not with `--reduce por`,
   * which refines reduction 4. The test that the reduction keeps the unreduced search's verdict,
   * shortest counterexample and goals uses it (explorer_reduction4.test.ts).
   */
  reduction4?: 'off' | 'off-in-get';
}
