/**
 * The guest's page walk as KVM does it for a shadow page fault: FNAME(walk_addr_generic) in
 * paging_tmpl.h, over the guest tables in guest memory (MmuState.guestMemory). It runs before the
 * fault takes mmu_lock, and what it read is what FNAME(fetch) later builds the shadow tables from
 * and re-checks (FNAME(gpte_changed)). Arrays are indexed as the kernel's walker's are: [level - 1].
 */
import { hex, type Level } from '../kernel/geometry';
import { ACC_ALL, ACC_EXEC_MASK, ACC_WRITE_MASK } from '../kernel/spte';
import { ModelInputError } from '../model/errors';
import type { AccessKind } from '../model/modes';
import type { GuestPte, MmuState } from '../model/state';
import type { GuestWalk, GuestWalkError } from '../model/walker';

export type { GuestWalk, GuestWalkError } from '../model/walker';
import { gfnToMemslot } from './rmap';

/** A not-present entry: what a zeroed page (or an index a table leaves out) reads as. */
export const NOT_PRESENT: GuestPte = { kind: 'none', gfn: 0, access: 0 };

export type GuestWalkResult = { ok: true; walk: GuestWalk } | { ok: false; error: GuestWalkError };

/**
 * One guest PTE as the kernel reads it from guest memory (__get_user() in the walk,
 * kvm_vcpu_read_guest_atomic() in FNAME(gpte_changed)): a not-present entry when the page holds no
 * table there; null (the read fails) for a gfn that holds no table and that no memslot holds.
 * A table the scenario placed is readable wherever it is: scenarios keep their guest tables at gfns
 * outside the memslots they list (as if in a memslot they leave out), docs/model.md says so.
 */
export function readGuestPte(state: MmuState, tableGfn: number, index: number): GuestPte | null {
  const table = state.guestMemory.get(tableGfn);
  if (!table) return gfnToMemslot(state, tableGfn) ? NOT_PRESENT : null;
  return table.entries.get(index) ?? NOT_PRESENT;
}

export function sameGuestPte(a: GuestPte, b: GuestPte): boolean {
  return a.kind === b.kind && (a.kind === 'none' || (a.gfn === b.gfn && a.access === b.access));
}

/** The entry kinds that can stand at a level: a link above level 1, a huge leaf at 2 and 3, a 4 KiB leaf at 1. */
export function pteKindFits(kind: GuestPte['kind'], level: number): boolean {
  switch (kind) {
    case 'none': return true;
    case 'table': return level > 1;
    case 'huge': return level === 2 || level === 3;
    case 'leaf': return level === 1;
  }
}

/** permission_fault(): reads always pass (the model's guest entries are all readable). */
function permits(access: number, kind: AccessKind): boolean {
  return kind === 'read' || (access & (kind === 'write' ? ACC_WRITE_MASK : ACC_EXEC_MASK)) !== 0;
}

/** FNAME(walk_addr_generic)(walker, vcpu, mmu, addr, access) from the root's top table. */
export function walkGuest(state: MmuState, topGfn: number, addr: number, kind: AccessKind): GuestWalkResult {
  const geo = state.geo;
  const walk: GuestWalk = { level: 4, gfn: -1, tableGfn: [-1, -1, -1, -1], index: [-1, -1, -1, -1], ptes: [NOT_PRESENT, NOT_PRESENT, NOT_PRESENT, NOT_PRESENT], ptAccess: [0, 0, 0, 0], pteAccess: ACC_ALL };
  let tableGfn = topGfn;
  let access = ACC_ALL; // pte_access = ~0
  for (let level = 4 as Level; level >= 1; level = (level - 1) as Level) {
    const index = geo.index(addr, level);
    const at = level - 1;
    walk.tableGfn[at] = tableGfn;
    walk.index[at] = index;
    const table = state.guestMemory.get(tableGfn);
    if (table && table.level !== level) {
      throw new ModelInputError(`the guest walk of L2 ${hex(addr)} reads gfn ${hex(tableGfn)} as a level-${level} table, and it holds a level-${table.level} one: the model keeps one level a table`);
    }
    const pte = readGuestPte(state, tableGfn, index);
    if (!pte) return { ok: false, error: { level, tableGfn, index, why: 'no-memslot' } };
    const ptAccess = access;
    access &= pte.access;
    if (pte.kind === 'none') return { ok: false, error: { level, tableGfn, index, why: 'not-present' } };
    walk.ptes[at] = pte;
    walk.ptAccess[at] = ptAccess;
    if (pte.kind === 'table') {
      tableGfn = pte.gfn;
      continue;
    }
    // FNAME(is_last_gpte): a huge or 4 KiB leaf ends the walk.
    walk.level = level;
    walk.pteAccess = access;
    if (!permits(access, kind)) return { ok: false, error: { level, tableGfn, index, why: 'permission' } };
    walk.gfn = pte.gfn + (addr - geo.round(addr, level));
    return { ok: true, walk };
  }
  throw new Error('internal: the guest walk fell off level 1');
}

/** The walk's error as a sentence for the trace. */
export function describeWalkError(e: GuestWalkError): string {
  const where = `level-${e.level} table at gfn ${hex(e.tableGfn)}, index ${e.index}`;
  switch (e.why) {
    case 'not-present': return `the entry at ${where} is not present`;
    case 'no-memslot': return `no memslot holds the ${where} (kvm_vcpu_gfn_to_hva_prot() gives an error address)`;
    case 'permission': return `the entry at ${where} does not allow the access (permission_fault())`;
  }
}

export function describeGuestPte(p: GuestPte): string {
  switch (p.kind) {
    case 'none': return 'not present';
    case 'table': return `table at gfn ${hex(p.gfn)}`;
    case 'huge': return `huge leaf gfn ${hex(p.gfn)}`;
    case 'leaf': return `4K leaf gfn ${hex(p.gfn)}`;
  }
}
