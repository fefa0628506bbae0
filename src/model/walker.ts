/**
 * The guest walk's result as data (struct guest_walker of paging_tmpl.h, the parts the model uses):
 * a fault frame keeps it from its walk, before mmu_lock, to FNAME(fetch)'s re-check under it.
 * src/mmu/guest_walk.ts walks; arrays are indexed as the kernel's are, [level - 1].
 */
import type { Level } from '../kernel/geometry';
import type { GuestPte } from './state';

/** struct guest_walker, the parts the model uses. */
export interface GuestWalk {
  /** walker->level: level of the guest leaf (1: a 4 KiB page; 2, 3: a huge page). */
  level: Level;
  /** walker->gfn: the 4 KiB gfn the address maps to (inside the huge page for a huge leaf). */
  gfn: number;
  /** walker->table_gfn[level - 1]: gfn of the table read at each level (-1 below the leaf). */
  tableGfn: number[];
  /** PT_INDEX(addr, level): the entry read in each table (the kernel keeps pte_gpa). */
  index: number[];
  /** walker->ptes[level - 1]: the entry read at each level. */
  ptes: GuestPte[];
  /** walker->pt_access[level - 1]: the access of the entries above the one read at that level. */
  ptAccess: number[];
  /** walker->pte_access: the access of every entry on the path, the leaf's included. */
  pteAccess: number;
}

/** Why a walk ends in a fault for the guest (the `error:` label of FNAME(walk_addr_generic)). */
export interface GuestWalkError {
  level: Level;
  tableGfn: number;
  index: number;
  why: 'not-present' | 'no-memslot' | 'permission';
}
