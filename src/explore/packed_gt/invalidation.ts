/**
 * The mmu-notifier invalidation of one page in the guest-tables scope's packed engine
 * (docs/explorer.md, "Stage 3d"), on the words of layout.ts, mirroring ops/invalidate.ts step by
 * step: KVM_MMU_LOCK, kvm_zap_all_rmap_sptes() of the page's rmap (no rmap_remove(); an entry into
 * a freed SP is the use-after-free), the flush, the unlock, and invalidate_range_end with the host's
 * free of the page and its remap. Each function takes the model and the words; the start makes its
 * successor with model.successor(), the steps run in place from model.ts advanceCurrent(), after the
 * lock rules of locks.ts.
 */
import { SPTE_PRESENT } from '../../kernel/spte';
import type { MenuAction } from '../bound';
import type { GtEngine } from './engine';
import { sortPaused } from './canon';
import { invalidationInProgress, mayStart } from './locks';
import { E_FLAGS, E_MISFILED, F_ARG, F_KIND, F_PC, F_SEQ, F_WALK, K_FAULT, K_INVALIDATE, LIFE_FREED, M_GONE, PFN_NEW, pcOf } from './layout';

const I_LOCK = pcOf(K_INVALIDATE, 'lock');
const I_ZAP = pcOf(K_INVALIDATE, 'zap');
const I_FLUSH = pcOf(K_INVALIDATE, 'flush');
const I_UNLOCK = pcOf(K_INVALIDATE, 'unlock');
const I_FREE = pcOf(K_INVALIDATE, 'free');
/**
 * An mmu-notifier invalidation of one page starts (model.ts applyCopying(), the start of a KVM
 * operation): within the bound, where an operation could start, a page a live memslot holds; the
 * running operation is paused and the invalidation runs its lock step. A memslot being deleted
 * (M_INVALID) still holds it: __kvm_handle_hva_range() walks the active memslots, the INVALID copy
 * among them (the lock audit of 2026-12-07). That step takes mmu_lock
 * only, which nobody holds here (mayStart()), so no stopped fault blocks it
 * (blockedByHolder()).
 */
export function startInvalidation(model: GtEngine, from: Uint8Array, action: number): boolean {
  const L = model.L;
  const a = model.scope.menu[action] as Extract<MenuAction, { t: 'invalidate' }>;
  const g = L.gfnCode(a.gfn);
  // model.ts: a memslot that is there holds the page, being deleted (M_INVALID) or not; a gone one does not.
  if (from[L.ops] >= model.scope.bound.ops || !mayStart(L, from) || slotGone(model, from, g)) return false;
  const w = model.successor(from);
  model.pauseCurrent(w);
  // newFrame(): pc 'lock', the page, zapped 0.
  w[L.cur + F_KIND] = K_INVALIDATE;
  w[L.cur + F_PC] = I_LOCK;
  w[L.cur + F_ARG] = g;
  w[L.cur + F_WALK] = 1;
  w[L.ops]++;
  model.setFresh(w, stepInvalidation(model, w));
  model.s = w;
  return true;
}

/** The memslot of page `g` is gone (the deletion's last swap ran): the notifier no longer reaches KVM for it. */
function slotGone(model: GtEngine, w: Uint8Array, g: number): boolean {
  return (w[model.L.slotAt[model.memslotOf(g)]] & M_GONE) !== 0;
}

/**
 * One step of the invalidation of the page of gfn code F_ARG (ops/invalidate.ts
 * advanceInvalidate()), the frame running. Returns whether the step was visible.
 */
export function stepInvalidation(model: GtEngine, w: Uint8Array): boolean {
  const L = model.L;
  const f = L.cur;
  const g = w[f + F_ARG];
  const s = model.memslotOf(g);
  const live = !(w[L.slotAt[s]] & M_GONE);
  switch (w[f + F_PC]) {
    case I_LOCK:
      // kvm_mmu_notifier_invalidate_range_start(), __kvm_handle_hva_range(): KVM_MMU_LOCK(kvm);
      // the invalidation is in progress from here to its free step (derived from the frame).
      // kvm_mmu_invalidate_begin() (the range reset when the count goes from 0 to 1: no other
      // invalidation is in flight, the running one being this) and kvm_mmu_invalidate_range_add()
      // under the same lock hold: the range becomes the hull with this page
      // (MmuState.invalidateRange, in gfn codes).
      L.widenHull(w, g, !pausedInvalidation(L, w));
      w[L.lock] = 1;
      w[f + F_PC] = I_ZAP;
      return false;
    case I_ZAP: {
      // kvm_unmap_gfn_range() -> kvm_zap_rmap(): kvm_zap_all_rmap_sptes() of the page's rmap in
      // a memslot that is there (being deleted or not); level 1 only (no leaf above it here).
      let visible = false;
      if (live) {
        const first = L.rmapStart(w, g);
        let k = first;
        for (; k < w[L.rmap] && w[L.rmap + 1 + 2 * k] === g; k++) visible = zapRmapEntry(model, w, w[L.rmap + 2 + 2 * k] - 1) || visible;
        // The rmap head reset as a whole.
        L.rmapCut(w, first, k);
        w[f + F_WALK] += k - first;
      }
      w[f + F_PC] = I_FLUSH;
      return visible;
    }
    case I_FLUSH: {
      // __kvm_handle_hva_range(): kvm_flush_remote_tlbs() before the unlock if anything was zapped.
      const flush = w[f + F_WALK] > 1;
      if (flush) model.flushAll(w);
      w[f + F_PC] = I_UNLOCK;
      return flush;
    }
    case I_UNLOCK:
      // KVM_MMU_UNLOCK(kvm), with the stale-TLB check of every release; still in progress.
      w[L.lock] = 0;
      model.unlockCheck(w);
      w[f + F_PC] = I_FREE;
      return false;
    case I_FREE:
      // invalidate_range_end ends the invalidation; the host frees the page, and a later fault
      // finds a new one (the memslot's remap, read by gfnToPfn()).
      if (live) freeAndRemap(model, w, s, g);
      model.endCurrent(w);
      // kvm_mmu_invalidate_end(): mmu_invalidate_seq++, seen by every stopped fault at its lock
      // (F_SEQ); the count lowered, and the range forgotten at zero (ops/invalidate.ts).
      if (!invalidationInProgress(L, w)) { w[L.hullLo] = 0; w[L.hullHi] = 0; }
      markSeqMoved(L, w);
      return true;
    default:
      throw new Error(`packed_gt: an invalidation at pc ${w[f + F_PC]}`);
  }
}

/** An invalidation among the paused frames (the running one is the invalidation at its lock). */
function pausedInvalidation(L: GtEngine['L'], w: Uint8Array): boolean {
  for (let i = 0; i < w[L.npaused]; i++) if (w[L.paused + i * L.fs + F_KIND] === K_INVALIDATE) return true;
  return false;
}

/** Every paused stopped fault sees the sequence moved (model.ts markSeqMoved()); the paused frames sorted again. */
function markSeqMoved(L: GtEngine['L'], w: Uint8Array): void {
  let marked = false;
  for (let i = 0; i < w[L.npaused]; i++) {
    const at = L.paused + i * L.fs;
    if (w[at + F_KIND] === K_FAULT && !w[at + F_SEQ]) { w[at + F_SEQ] = 1; marked = true; }
  }
  if (marked) sortPaused(L, w);
}

/**
 * kvm_zap_all_rmap_sptes()'s visit of one rmap entry (mmu/rmap_zap.ts): an entry into a freed SP
 * is the shadow-page use-after-free (mmu/deref.ts: named by the gfn the entry was misfiled under,
 * else -1), and the freed page is left as it is; a live SP's present leaf is cleared
 * (mmu_spte_clear_track_bits(): no rmap_remove(), so no miss) with its misfiled record. Returns
 * whether an SPTE was written.
 */
function zapRmapEntry(model: GtEngine, w: Uint8Array, sptep: number): boolean {
  const L = model.L;
  const slot = Math.floor(sptep / L.e);
  const index = sptep % L.e;
  const at = L.spteAt(slot, index);
  if (w[L.spAt(slot) + 1] & LIFE_FREED) {
    const m = w[at + E_MISFILED];
    if (!model.violation) model.violation = { kind: 'sp-use-after-free', vcpu: -1, gfn: m ? L.pageGfns[m - 2] : -1 };
    return false;
  }
  if (!(w[at + E_FLAGS] & SPTE_PRESENT)) return false;
  model.clearSpte(w, slot, index);
  w[at + E_MISFILED] = 0;
  return true;
}

/** The free step's host side for page `g` of memslot `s`: its host page freed, the page remapped to the next host page handed out. */
function freeAndRemap(model: GtEngine, w: Uint8Array, s: number, g: number): void {
  const L = model.L;
  const pfn = model.gfnToPfn(w, g);
  const n = w[L.freed];
  if (n >= L.nfreed) throw new Error('packed_gt: no room for a freed host page');
  w[L.freed + 1 + n] = pfn;
  w[L.freed] = n + 1;
  const r = L.remaps;
  const m = w[r];
  if (m >= L.nremap) throw new Error('packed_gt: no room for a remap');
  // After every remap of memslot s and of the memslots before it (their gfn codes are below s's end).
  const end = 1 + L.slotFirst[s] + L.slotPages[s];
  let k = 0;
  while (k < m && w[r + 1 + 2 * k] < end) k++;
  for (let j = m; j > k; j--) { w[r + 1 + 2 * j] = w[r - 1 + 2 * j]; w[r + 2 + 2 * j] = w[r + 2 * j]; }
  w[r + 1 + 2 * k] = g;
  w[r + 2 + 2 * k] = PFN_NEW + w[L.newPfns];
  w[r] = m + 1;
  w[L.newPfns]++;
}
