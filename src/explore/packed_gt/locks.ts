/**
 * The lock rules of the guest-tables scope's packed engine, as pure functions of the words
 * (layout.ts): when an operation may start, when the running operation may step (STEP) and when a
 * paused one may resume (RESUME_BASE - i), for every frame kind (the fault stopped after its walk,
 * the invalidation, the memslot deletion, the guest's trapped write). They mirror src/explore/model.ts
 * (interruptible(), memslotBusy(), blockedByHolder(), invalidationInProgress(), the STEP and
 * RESUME branches of applyCopying()) and read the core's own lock table (src/machine/locks.ts
 * LOCK_TABLE) turned into bit masks per (frame kind, program counter), so the two cannot drift apart.
 */
import { LOCK_TABLE, type LockName } from '../../machine/locks';
import { F_KIND, F_PC, F_VCPU, type GtLayout, K_DELETE, K_FAULT, K_INVALIDATE, K_WRITE, PCS } from './layout';

/** A lock as a bit. */
export const LK_SLOTS = 1;
export const LK_SRCU = 2;
export const LK_MMU = 4;
export const LK_INV = 8;

const BIT: Record<LockName, number> = { slots_lock: LK_SLOTS, srcu: LK_SRCU, mmu_lock: LK_MMU, invalidation: LK_INV };
const CORE_KIND: Record<number, string> = { [K_FAULT]: 'fault', [K_INVALIDATE]: 'invalidate', [K_DELETE]: 'delete-memslot', [K_WRITE]: 'guest-table-write' };

/** Row index of (kind, pc code, guest's write or not): 32 rows a kind. */
const rowOf = (kind: number, pc: number, guest: boolean) => (kind * 2 + (guest ? 1 : 0)) * 32 + pc;

/** What a frame standing at a row holds, and what its next step takes or waits for (the lock table's `holds`, `takes` + `waitsFor`). */
const HOLDS = new Uint8Array(rowOf(K_WRITE + 1, 0, false));
const WANTS = new Uint8Array(HOLDS.length);
/** 1 where the row exists (a frame can stand there). */
const KNOWN = new Uint8Array(HOLDS.length);

const mask = (ls: readonly LockName[]) => ls.reduce((m, l) => m | BIT[l], 0);
for (const kind of [K_FAULT, K_INVALIDATE, K_DELETE, K_WRITE]) {
  for (const guest of kind === K_WRITE ? [false, true] : [false]) {
    PCS[kind].forEach((pc, i) => {
      // lockPoint(): the guest's write stands at `guest:<pc>`, every other frame at its pc.
      const at = guest ? `guest:${pc}` : pc;
      const row = LOCK_TABLE.find((r) => r.kind === CORE_KIND[kind] && r.at === at);
      if (!row) return;
      const k = rowOf(kind, 1 + i, guest);
      HOLDS[k] = mask(row.holds);
      WANTS[k] = mask([...row.takes, ...row.waitsFor]);
      KNOWN[k] = 1;
    });
  }
}

function rowAt(w: Uint8Array, at: number): number {
  const kind = w[at + F_KIND];
  const k = rowOf(kind, w[at + F_PC], kind === K_WRITE && w[at + F_VCPU] !== 0);
  if (!KNOWN[k]) throw new Error(`packed_gt locks: no lock row for kind ${kind} at pc ${w[at + F_PC]}`);
  return k;
}

/** The locks the frame at `at` holds where it stands (held()). */
export function frameHolds(w: Uint8Array, at: number): number {
  return HOLDS[rowAt(w, at)];
}

/** The locks the next step of the frame at `at` takes or waits for. */
export function frameWants(w: Uint8Array, at: number): number {
  return WANTS[rowAt(w, at)];
}

/** model.ts interruptible(): no running operation, or the running one does not hold mmu_lock. */
export function interruptible(L: GtLayout, w: Uint8Array): boolean {
  return !w[L.cur + F_KIND] || (frameHolds(w, L.cur) & LK_MMU) === 0;
}

/** Where an operation may start (or a paused one resume, or the VMM write): interruptible and mmu_lock free. */
export function mayStart(L: GtLayout, w: Uint8Array): boolean {
  return interruptible(L, w) && !w[L.lock];
}

/** model.ts memslotBusy(): a frame (running or paused) holds slots_lock: no memslot ioctl may start. */
export function memslotBusy(L: GtLayout, w: Uint8Array): boolean {
  if (w[L.cur + F_KIND] && frameHolds(w, L.cur) & LK_SLOTS) return true;
  for (let i = 0; i < w[L.npaused]; i++) if (frameHolds(w, L.paused + i * L.fs) & LK_SLOTS) return true;
  return false;
}

/** model.ts invalidationInProgress(): an invalidate frame, running or paused (between its start and its end). */
export function invalidationInProgress(L: GtLayout, w: Uint8Array): boolean {
  if (w[L.cur + F_KIND] === K_INVALIDATE) return true;
  for (let i = 0; i < w[L.npaused]; i++) if (w[L.paused + i * L.fs + F_KIND] === K_INVALIDATE) return true;
  return false;
}

/**
 * model.ts blockedByHolder(): the next step of the frame at `next` waits for a lock one of the
 * other frames (every frame but `next`, the running one included unless it is `next`)
 * holds; the core asks the lock table only when one of those others holds kvm->srcu (a fault
 * stopped after its walk, the guest's trapped write in its emulation, an invalidation under its
 * lock) or the invalidation window (an invalidation until its end); until the lock audit of
 * 2026-12-07 it asked only beside a fault or an invalidation, which left out the trapped write.
 * An absent running frame is no other.
 */
export function blockedByHolder(L: GtLayout, w: Uint8Array, next: number): boolean {
  // The others' locks together: "one of them holds kvm->srcu or the window" and "one of them holds
  // a lock the step wants" are both tests on the union (no list made: this runs on every step).
  let held = 0;
  if (next !== L.cur && w[L.cur + F_KIND]) held |= frameHolds(w, L.cur);
  for (let i = 0; i < w[L.npaused]; i++) {
    const at = L.paused + i * L.fs;
    if (at !== next) held |= frameHolds(w, at);
  }
  if ((held & (LK_SRCU | LK_INV)) === 0) return false;
  return (held & frameWants(w, next)) !== 0;
}

/** STEP: there is a running operation and no stopped fault holds what its next step needs. */
export function stepEnabled(L: GtLayout, w: Uint8Array): boolean {
  return w[L.cur + F_KIND] !== 0 && !blockedByHolder(L, w, L.cur);
}

/**
 * RESUME_BASE - i: paused frame i continues where an operation could start (the running one, if
 * any, is then paused), and no other frame holds what its next step needs. A stopped fault may
 * resume during an invalidation: its lock step decides whether is_page_fault_stale() sends it back
 * (fault_window.ts; until 2026-12-07 it waited out every invalidation).
 */
export function resumeEnabled(L: GtLayout, w: Uint8Array, i: number): boolean {
  if (i >= w[L.npaused] || !mayStart(L, w)) return false;
  return !blockedByHolder(L, w, L.paused + i * L.fs);
}
