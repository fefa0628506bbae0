/**
 * Memslot deletion in the guest-tables scope's packed engine (docs/explorer.md, "Stage 3e"), on the
 * words of layout.ts, mirroring ops/memslot_delete.ts step by step under both slotZap values:
 *
 * - the quirk on (slotZap=all): kvm_mmu_zap_all_fast(): mmu_valid_gen toggled (every SP's obsolete
 *   bit flips, as the core's 0/1 generation does), every vCPU owes a root reload, the obsolete SPs
 *   on active_mmu_pages prepared for zapping one a step (kvm_zap_obsolete_pages(): a root still
 *   loaded is kept, invalid, off the list), then kvm_mmu_commit_zap_page(): the flush, the free;
 * - the quirk off (slotZap=memslot): kvm_mmu_zap_memslot(): kvm_unmap_gfn_range() over the slot
 *   (each rmap of the slot emptied as a whole without rmap_remove(); an entry into a freed SP is a
 *   use-after-free), then every valid SP with guest PTEs at a gfn of the slot prepared one a step,
 *   then the commit, or the flush the unmap owed.
 *
 * The frame's words (layout.ts): F_ARG the memslot id, F_ARG2 unmapFlush (0 absent, 1 + value),
 * F_WALK 1 + zapped, F_LIST the invalid list. Each function takes the model and the words; each
 * transition makes its successor with model.successor(). Its steps and resumes are reached through
 * model.ts advanceCurrent(), after the lock rules of locks.ts (which of its steps wait for kvm->srcu
 * and the invalidation window).
 */
import { slotZapsMemslotOnly } from '../../kernel/variants';
import { E_FLAGS, E_MISFILED, F_ARG, F_ARG2, F_KIND, F_LIST, F_PC, F_WALK, K_DELETE, LIFE_FREED, LIFE_INVALID, LIFE_OBSOLETE, M_GONE, M_INVALID, pcOf } from './layout';
import { Unsupported, type GtEngine } from './engine';

const pcCode = (name: string): number => pcOf(K_DELETE, name);
const PC_INVALIDATE = pcCode('invalidate');
const PC_ZAP_LOCK = pcCode('zap-lock');
const PC_GEN = pcCode('gen');
const PC_ZAP = pcCode('zap');
const PC_UNMAP = pcCode('unmap');
const PC_REMOTE_FLUSH = pcCode('remote-flush');
const PC_SLOT_ZAP = pcCode('slot-zap');
const PC_ZAP_UNLOCK = pcCode('zap-unlock');
const PC_COMMIT_FLUSH = pcCode('commit-flush');
const PC_COMMIT_FREE = pcCode('commit-free');
const PC_DELETE = pcCode('delete');
const PC_SLOTS_UNLOCK = pcCode('slots-unlock');

/** The memslot's place in the scope (layout order) for the deletion frame at `at`. */
function placeOf(model: GtEngine, w: Uint8Array, at: number): number {
  const s = model.L.slotIds.indexOf(w[at + F_ARG]);
  if (s < 0) throw new Error('packed_gt: a deletion of a memslot the scope does not have');
  return s;
}

/** The deletion's invalid list (the running frame's: layout.ts F_LIST). */
function listOf(model: GtEngine, w: Uint8Array, at: number): number[] {
  if (at !== model.L.cur) throw new Error('packed_gt: a list of a frame not running');
  return model.L.runningList(w);
}

function setList(model: GtEngine, w: Uint8Array, at: number, list: number[]): void {
  if (at !== model.L.cur) throw new Error('packed_gt: a list of a frame not running');
  model.L.setRunningList(w, list);
}

/** The present-bit bytes of every SPTE, to tell whether a step wrote one (model.ts stepWasVisible()). */
export function spteFlags(model: GtEngine, w: Uint8Array): Uint8Array {
  const L = model.L;
  const n = w[L.nsps];
  const out = new Uint8Array(n * L.e);
  for (let s = 0; s < n; s++) for (let i = 0; i < L.e; i++) out[s * L.e + i] = w[L.spteAt(s, i) + E_FLAGS];
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The menu's delete-memslot, started (model.ts apply(), start of an operation): refused beyond the
 * bound, while mmu_lock is held, while another memslot ioctl holds slots_lock, while an
 * invalidation is in flight, when the memslot is gone or being deleted, and (candidateActions())
 * when the VM is bugged or the host oopsed. Its first step takes slots_lock (invisible); the
 * running operation is paused.
 */
export function startDeletion(model: GtEngine, from: Uint8Array, slotId: number): boolean {
  const L = model.L;
  if (from[L.dead] || from[L.ops] >= model.scope.bound.ops || from[L.lock]) return false;
  if (from[L.cur + F_KIND] === K_DELETE) return false;
  for (let i = 0; i < from[L.npaused]; i++) if (from[L.paused + i * L.fs + F_KIND] === K_DELETE) return false;
  if (model.invalidationInProgress(from)) return false;
  const s = L.slotIds.indexOf(slotId);
  if (s < 0 || from[L.slotAt[s]] & (M_GONE | M_INVALID)) return false;
  const w = model.successor(from);
  model.pauseCurrent(w);
  w.fill(0, L.cur, L.cur + L.fs);
  w[L.cur + F_KIND] = K_DELETE;
  w[L.cur + F_PC] = PC_INVALIDATE;
  w[L.cur + F_ARG] = slotId;
  w[L.cur + F_WALK] = 1;
  w[L.cur + F_LIST] = 1;
  w[L.ops]++;
  model.setFresh(w, false);
  model.s = w;
  return true;
}

/** kvm_zap_obsolete_pages()'s next SP (mmu/zap.ts nextObsoleteSp()): active_mmu_pages in order, stopping at the first SP not obsolete, skipping invalid ones. */
function nextObsoleteSp(model: GtEngine, w: Uint8Array): number {
  const L = model.L;
  for (let k = 0; k < L.nsp && w[L.active + k]; k++) {
    const slot = w[L.active + k] - 1;
    const life = w[L.spAt(slot) + 1];
    if (life & LIFE_INVALID) continue;
    if (!(life & LIFE_OBSOLETE)) return -1;
    return slot;
  }
  return -1;
}

/**
 * for_each_gfn_valid_sp_with_gptes() over the memslot at place `s` (mmu/zap.ts
 * nextGfnValidSpWithGptes()): an SP neither freed, invalid nor obsolete, indirect, its gfn in the
 * slot; the lowest gfn first, the newest SP of it first (the scope has one indirect key a gfn, so
 * the newest is the last slot of that key: checked).
 */
function nextGfnValidSpWithGptes(model: GtEngine, w: Uint8Array, s: number): number {
  const L = model.L;
  const lo = L.pageGfns[L.slotFirst[s]];
  const hi = lo + L.slotPages[s];
  let best = -1;
  let bestGfn = 0;
  for (let slot = 0; slot < w[L.nsps]; slot++) {
    const k = L.keys[model.keyOf(w, slot)];
    if (k.direct || k.gfn < lo || k.gfn >= hi) continue;
    if (w[L.spAt(slot) + 1] & (LIFE_FREED | LIFE_INVALID | LIFE_OBSOLETE)) continue;
    if (best >= 0 && k.gfn > bestGfn) continue;
    // Two indirect keys of one gfn would need the SPs' creation order across keys, which the words do not keep.
    if (best >= 0 && k.gfn === bestGfn && model.keyOf(w, best) !== model.keyOf(w, slot)) throw new Unsupported();
    best = slot;
    bestGfn = k.gfn;
  }
  return best;
}

/** slotZap=memslot, after the unmap and after each prepare: the next SP with guest PTEs, or the commit, or kvm_mmu_remote_flush_or_zap()'s flush. */
function afterSlotZap(model: GtEngine, w: Uint8Array, at: number): void {
  if (nextGfnValidSpWithGptes(model, w, placeOf(model, w, at)) >= 0) w[at + F_PC] = PC_SLOT_ZAP;
  else w[at + F_PC] = w[at + F_LIST] > 1 ? PC_COMMIT_FLUSH : PC_REMOTE_FLUSH;
}

/**
 * kvm_unmap_gfn_range() over the slot at place `s` (level 1: the scope maps no leaf above it):
 * each rmap followed entry by entry, an entry into a freed SP being the use-after-free report
 * (mmu/deref.ts), a live SPTE cleared with its misfiled record; each rmap emptied as a whole.
 * Returns the live entries met (the flush owed is whether there were any) and whether an SPTE was
 * present to clear.
 */
function unmapSlot(model: GtEngine, w: Uint8Array, s: number): number {
  const L = model.L;
  const e = L.e;
  let cleared = 0;
  // The memslot's pages' entries are together in the list, by page, each page's in list order.
  const lo = 1 + L.slotFirst[s];
  const hi = lo + L.slotPages[s];
  const first = L.rmapStart(w, lo);
  let k = first;
  for (; k < w[L.rmap] && w[L.rmap + 1 + 2 * k] < hi; k++) {
    const code = w[L.rmap + 2 + 2 * k] - 1;
    const slot = Math.floor(code / e);
    const index = code % e;
    const at = L.spteAt(slot, index);
    if (w[L.spAt(slot) + 1] & LIFE_FREED) {
      const filed = w[at + E_MISFILED];
      if (!model.violation) model.violation = { kind: 'sp-use-after-free', vcpu: -1, gfn: filed ? L.pageGfns[filed - 2] : -1 };
      continue;
    }
    if (w[at + E_FLAGS]) {
      model.clearSpte(w, slot, index);
      w[at + E_MISFILED] = 0;
    }
    cleared++;
  }
  // Each rmap emptied as a whole.
  L.rmapCut(w, first, k);
  return cleared;
}

/** The frame at L.cur (a deletion) runs its next step, in place; its successor's fresh byte is set. */
export function advanceDeletion(model: GtEngine, w: Uint8Array): void {
  const L = model.L;
  const at = L.cur;
  const s = placeOf(model, w, at);
  const memslotOnly = slotZapsMemslotOnly(model.variant);
  let visible = false;
  switch (w[at + F_PC]) {
    case PC_INVALIDATE:
      // kvm_invalidate_memslot(): the slot marked KVM_MEMSLOT_INVALID.
      w[L.slotAt[s]] |= M_INVALID;
      w[at + F_PC] = PC_ZAP_LOCK;
      break;
    case PC_ZAP_LOCK:
      w[L.lock] = 1;
      w[at + F_PC] = memslotOnly ? PC_UNMAP : PC_GEN;
      break;
    case PC_GEN: {
      // mmu_valid_gen toggled: an SP of the old generation becomes obsolete, one of the other (obsolete until now) does not.
      for (let slot = 0; slot < w[L.nsps]; slot++) w[L.spAt(slot) + 1] ^= LIFE_OBSOLETE;
      for (let v = 0; v < 2; v++) w[L.tlb + v * L.tb] = 1;
      w[at + F_PC] = nextObsoleteSp(model, w) >= 0 ? PC_ZAP : PC_COMMIT_FLUSH;
      break;
    }
    case PC_ZAP: {
      const before = spteFlags(model, w);
      const list = listOf(model, w, at);
      model.prepareZap(w, nextObsoleteSp(model, w), list);
      setList(model, w, at, list);
      w[at + F_WALK]++;
      visible = !sameBytes(before, spteFlags(model, w));
      w[at + F_PC] = nextObsoleteSp(model, w) >= 0 ? PC_ZAP : PC_COMMIT_FLUSH;
      break;
    }
    case PC_UNMAP: {
      const before = spteFlags(model, w);
      const cleared = unmapSlot(model, w, s);
      w[at + F_ARG2] = 1 + (cleared > 0 ? 1 : 0);
      visible = !sameBytes(before, spteFlags(model, w));
      afterSlotZap(model, w, at);
      break;
    }
    case PC_SLOT_ZAP: {
      const before = spteFlags(model, w);
      const list = listOf(model, w, at);
      model.prepareZap(w, nextGfnValidSpWithGptes(model, w, s), list);
      setList(model, w, at, list);
      w[at + F_WALK]++;
      visible = !sameBytes(before, spteFlags(model, w));
      afterSlotZap(model, w, at);
      break;
    }
    case PC_REMOTE_FLUSH:
      // kvm_mmu_remote_flush_or_zap() with an empty list: the flush the unmap owed, if it did.
      if (w[at + F_ARG2] === 2) { model.flushAll(w); visible = true; }
      w[at + F_PC] = PC_ZAP_UNLOCK;
      break;
    case PC_COMMIT_FLUSH:
      if (w[at + F_LIST] > 1) {
        model.flushAll(w);
        visible = true;
        w[at + F_PC] = PC_COMMIT_FREE;
      } else {
        w[at + F_PC] = PC_ZAP_UNLOCK;
      }
      break;
    case PC_COMMIT_FREE: {
      for (const slot of listOf(model, w, at)) {
        w[L.spAt(slot) + 1] |= LIFE_FREED;
        model.offActiveList(w, slot);
      }
      setList(model, w, at, []);
      w[at + F_PC] = PC_ZAP_UNLOCK;
      break;
    }
    case PC_ZAP_UNLOCK:
      w[L.lock] = 0;
      model.unlockCheck(w);
      w[at + F_PC] = PC_DELETE;
      break;
    case PC_DELETE: {
      // kvm_delete_memslot(): the slot leaves the memslots with its rmaps (unwalked); the key writes nothing of it.
      w[L.slotAt[s]] = M_GONE;
      // Its remaps leave the list (the others keep their order).
      const r = L.remaps;
      const lo = 1 + L.slotFirst[s];
      const hi = lo + L.slotPages[s];
      let n = 0;
      for (let k = 0; k < w[r]; k++) {
        const g = w[r + 1 + 2 * k];
        if (g >= lo && g < hi) continue;
        w[r + 1 + 2 * n] = g;
        w[r + 2 + 2 * n] = w[r + 2 + 2 * k];
        n++;
      }
      w.fill(0, r + 1 + 2 * n, r + 1 + 2 * w[r]);
      w[r] = n;
      {
        const lo = 1 + L.slotFirst[s];
        const first = L.rmapStart(w, lo);
        let end = first;
        while (end < w[L.rmap] && w[L.rmap + 1 + 2 * end] < lo + L.slotPages[s]) end++;
        L.rmapCut(w, first, end);
      }
      w[at + F_PC] = PC_SLOTS_UNLOCK;
      break;
    }
    case PC_SLOTS_UNLOCK:
      w.fill(0, at, at + L.fs);
      break;
    default:
      throw new Error(`packed_gt: a deletion at pc ${w[at + F_PC]}`);
  }
  model.setFresh(w, visible);
}
