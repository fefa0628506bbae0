/**
 * The guest's own store to PD[0], trapped, in the guest-tables scope's packed engine (docs/explorer.md,
 * "Stage 3d"), on the words of layout.ts, mirroring ops/guest_table_write_trapped.ts step by step:
 * the trap decision (kvm_gfn_is_write_tracked() of PD's gfn), the emulator's memory write, then
 * kvm_mmu_track_write(): write_lock(mmu_lock), mmu_page_zap_pte() of PD[0] in each SP that shadows
 * PD, kvm_mmu_remote_flush_or_zap(), write_unlock(). Each function takes the model and the words;
 * the start makes its successor with model.successor(), the steps run in place from model.ts
 * advanceCurrent(), after the lock rules of locks.ts.
 */
import { isLastSpte, SPTE_PRESENT } from '../../kernel/spte';
import type { MenuAction } from '../bound';
import { G_GUEST_TABLE_CHANGED } from '../goals';
import type { GtEngine } from './engine';
import { mayStart } from './locks';
import { E_FLAGS, F_ARG, F_ARG2, F_KIND, F_PC, F_RECHECKED, F_VCPU, F_WALK, K_WRITE, LIFE_FREED, LIFE_INVALID, LIFE_OBSOLETE, pcOf } from './layout';

const W_TRAP = pcOf(K_WRITE, 'trap');
const W_WRITE = pcOf(K_WRITE, 'write');
const W_LOCK = pcOf(K_WRITE, 'lock');
const W_ZAP = pcOf(K_WRITE, 'zap');
const W_FLUSH = pcOf(K_WRITE, 'flush');
const W_UNLOCK = pcOf(K_WRITE, 'unlock');
/**
 * The guest's own store to PD[0] (model.ts guestTableWrite() with by 'guest'): offered where an
 * operation could start, one write a path, only a write that changes the entry, not while its vCPU
 * is inside KVM; the running
 * operation is paused and the write's frame runs its first step, the trap decision.
 */
export function startGuestWrite(model: GtEngine, from: Uint8Array, action: number): boolean {
  const L = model.L;
  const target = model.pd0Of(action);
  if (from[L.writes] >= 1 || !mayStart(L, from) || from[L.pd0] === target) return false;
  const a = model.scope.menu[action] as Extract<MenuAction, { t: 'guest-table-write' }>;
  // model.ts guestTableWrite(): not while the storing vCPU is inside KVM (a stopped fault of it).
  if (model.emulating(from, a.vcpu ?? 0)) return false;
  const w = model.successor(from);
  model.pauseCurrent(w);
  // newFrame(): pc 'trap', the vCPU (1 + vCPU: the guest's), the entry; flush, zapped, spCursor absent.
  w[L.cur + F_KIND] = K_WRITE;
  w[L.cur + F_PC] = W_TRAP;
  w[L.cur + F_VCPU] = 1 + (a.vcpu ?? 0);
  w[L.cur + F_ARG] = target;
  w[L.writes]++;
  model.reached |= G_GUEST_TABLE_CHANGED;
  model.setFresh(w, stepGuestWrite(model, w));
  model.s = w;
  return true;
}

/**
 * kvm_gfn_is_write_tracked() of PD's gfn (guest_table_write_trapped.ts isWriteTracked()): an
 * indirect SP of level > 1 at that gfn that is not invalid (an obsolete one not yet zapped counts).
 */
function pdWriteTracked(model: GtEngine, w: Uint8Array): boolean {
  const L = model.L;
  for (let s = 0; s < w[L.nsps]; s++) if (model.keyOf(w, s) === model.pdKey && !(w[L.spAt(s) + 1] & LIFE_INVALID)) return true;
  return false;
}

/** kvm->arch.indirect_shadow_pages != 0: some indirect SP is not invalid (any level). */
function hasIndirectShadowPages(model: GtEngine, w: Uint8Array): boolean {
  const L = model.L;
  for (let s = 0; s < w[L.nsps]; s++) if (!L.keys[model.keyOf(w, s)].direct && !(w[L.spAt(s) + 1] & LIFE_INVALID)) return true;
  return false;
}

/**
 * for_each_gfn_valid_sp_with_gptes() over PD's gfn from after slot `cursor` (-1: from the first):
 * the next SP of PD's key that is not freed, invalid or obsolete, or -1. The core goes by SP id;
 * within one key the slots are in creation order, which is id order.
 */
function nextShadowingPd(model: GtEngine, w: Uint8Array, cursor: number): number {
  const L = model.L;
  for (let s = cursor + 1; s < w[L.nsps]; s++) {
    if (model.keyOf(w, s) === model.pdKey && !(w[L.spAt(s) + 1] & (LIFE_FREED | LIFE_INVALID | LIFE_OBSOLETE))) return s;
  }
  return -1;
}

/**
 * One step of the guest's trapped write of PD[0] (ops/guest_table_write_trapped.ts
 * advanceGuestTableWriteTrapped()), the frame running. Returns whether the step was visible
 * (an SPTE written or a flush issued). The written entry is PD[0]: SPTE index 0 of PD's SPs.
 */
export function stepGuestWrite(model: GtEngine, w: Uint8Array): boolean {
  const L = model.L;
  const f = L.cur;
  switch (w[f + F_PC]) {
    case W_TRAP:
      // Not write-tracked: a plain store through the guest's own mapping, no KVM code (a level-1
      // SP at PD's gfn, which KVM would unsync, is not among the scope's keys: checked).
      if (!pdWriteTracked(model, w)) {
        w[L.pd0] = w[f + F_ARG];
        model.endCurrent(w);
        return false;
      }
      // The store faults and kvm_mmu_page_fault() hands it to x86_emulate_instruction().
      w[f + F_PC] = W_WRITE;
      return false;
    case W_WRITE:
      // emulator_write_phys(): kvm_vcpu_write_guest(); no lock held until kvm_mmu_track_write().
      w[L.pd0] = w[f + F_ARG];
      w[f + F_PC] = W_LOCK;
      return false;
    case W_LOCK:
      // kvm_mmu_track_write(): returns at once if kvm->arch.indirect_shadow_pages is 0.
      if (!hasIndirectShadowPages(model, w)) {
        model.endCurrent(w);
        return false;
      }
      // write_lock(&kvm->mmu_lock); spCursor = -1, flush = false, zapped = 0.
      w[L.lock] = 1;
      w[f + F_RECHECKED] = 1;
      w[f + F_ARG2] = 1;
      w[f + F_WALK] = 1;
      w[f + F_PC] = nextShadowingPd(model, w, -1) >= 0 ? W_ZAP : W_FLUSH;
      return false;
    case W_ZAP: {
      // for_each_gfn_valid_sp_with_gptes(): mmu_page_zap_pte(kvm, sp, spte, NULL) of the next SP.
      const sp = nextShadowingPd(model, w, w[f + F_RECHECKED] - 2);
      if (sp < 0) throw new Error('packed_gt: a trapped write at its zap with no SP left');
      w[f + F_RECHECKED] = 2 + sp;
      const at = L.spteAt(sp, 0);
      const flags = w[at + E_FLAGS];
      const present = (flags & SPTE_PRESENT) !== 0;
      if (present && isLastSpte(flags, L.keys[model.keyOf(w, sp)].level)) model.dropLeafOrReport(w, sp, 0);
      // A link: drop_parent_pte(); with no invalid_list the child left without a parent stays.
      else if (present) model.clearSpte(w, sp, 0);
      if (present) w[f + F_ARG2] = 2;
      w[f + F_WALK]++;
      w[f + F_PC] = nextShadowingPd(model, w, sp) >= 0 ? W_ZAP : W_FLUSH;
      return present;
    }
    case W_FLUSH: {
      // kvm_mmu_remote_flush_or_zap() with an empty invalid_list: kvm_flush_remote_tlbs() if a zapped SPTE was present.
      const flush = w[f + F_ARG2] === 2;
      if (flush) model.flushAll(w);
      w[f + F_PC] = W_UNLOCK;
      return flush;
    }
    case W_UNLOCK:
      // write_unlock(&kvm->mmu_lock), with the stale-TLB check of every release; the store retires.
      w[L.lock] = 0;
      model.unlockCheck(w);
      model.endCurrent(w);
      return false;
    default:
      throw new Error(`packed_gt: a trapped write at pc ${w[f + F_PC]}`);
  }
}
