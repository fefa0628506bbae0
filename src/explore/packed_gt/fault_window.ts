/**
 * The stopped faults of --fault-window (Bound.faultWindow) in the guest-tables scope's packed
 * engine (docs/explorer.md, "The fault's window" and "Stage 3e"), on the words of layout.ts,
 * mirroring src/explore/model.ts (a walked access; the resume of a paused fault; STEP of the running
 * one; retryWalkedAccess()) and ops/fault.ts step by step:
 *
 * - the walked access: the access as model.ts access() runs it up to the VM exit, then the fault's
 *   guest walk, and the fault frame paused at `lock` holding only kvm->srcu (its walk is the PD[0]
 *   value it read, F_WALK);
 * - its resume: write_lock(mmu_lock); with its root obsolete, an invalidation ended since its
 *   snapshot of mmu_invalidate_seq (F_SEQ) or its gfn in the invalidation range,
 *   is_page_fault_stale() sends it back: the access is retried as at the unlock;
 * - each `walk` step re-walks the shadow tables from the root and does the first thing missing:
 *   FNAME(gpte_changed) for the guest entries the walk used, once a level (a change retries: the
 *   fault goes to its unlock with nothing more linked; an SP it made stays), the -EEXIST of
 *   kvm_mmu_get_child_sp() under the preset's childReuse (the mismatch noted once, in a step of
 *   its own), a new SP in its canonical slot, the link, or link_shadow_page() over a present link
 *   (zap, then the `flush` step: commit or full flush, then the `link` step), and the leaf;
 * - the `unlock` step with the stale-TLB check, then the access retried (a second fault run whole,
 *   within the operation bound; the step is refused when the access still faults).
 *
 * Each function takes the model and the words; each transition makes its successor with
 * model.successor().
 */
import { isLastSpte, SPTE_PRESENT, SPTE_WRITABLE } from '../../kernel/spte';
import { linkZapsAndFlushes } from '../../kernel/variants';
import { readGuestPte, sameGuestPte, walkGuest, type GuestWalk } from '../../mmu/guest_walk';
import { initialState } from '../../run/initial_state';
import { E_FLAGS, E_GFN_ACCESS, E_TARGET, F_ARG, F_ARG2, F_EEXIST, F_KIND, F_LIST, F_MISMATCH, F_PC, F_PCHILD, F_PSPTEP, F_RECHECKED, F_SEQ, F_VCPU, F_WALK, F_WALKED, gfnAccess, K_FAULT, LIFE_FREED, LIFE_INVALID, LIFE_OBSOLETE, pcOf, withPd0 } from './layout';
import { Unsupported, type GtEngine } from './engine';

const PC_LOCK = pcOf(K_FAULT, 'lock');
const PC_WALK = pcOf(K_FAULT, 'walk');
const PC_FLUSH = pcOf(K_FAULT, 'flush');
const PC_LINK = pcOf(K_FAULT, 'link');
const PC_UNLOCK = pcOf(K_FAULT, 'unlock');

/** Per model: the walk code the abstraction writes, and FNAME(gpte_changed)'s answers, tabulated. */
interface Tables {
  /** canon[(pd0 * 2 + write) * addrs + addr]: the first PD[0] code whose walk is the same (abstraction.ts walkCode()). */
  canon: number[];
  /** same[(walkKey * npd0 + now) * 4 + level - 1]: the entry the walk read at `level` is the same with PD[0] = pd0s[now]. */
  same: boolean[];
}

const TABLES = new WeakMap<GtEngine, Tables>();

function tables(model: GtEngine): Tables {
  let t = TABLES.get(model);
  if (t) return t;
  const L = model.L;
  const state = initialState(model.scope.scenario);
  const top = state.roots[0].guestTableGfn;
  const npd0 = L.pd0s.length;
  const addrs = model.addrs;
  const memories = L.pd0s.map((pd0) => ({ ...state, guestMemory: withPd0(L.initialMemory, pd0) }));
  const texts: string[] = [];
  for (let c = 0; c < npd0; c++) {
    for (let w = 0; w < 2; w++) {
      for (let addr = 0; addr < addrs; addr++) {
        const r = walkGuest(memories[c], top, addr, w ? 'write' : 'read');
        texts[(c * 2 + w) * addrs + addr] = JSON.stringify(r.ok ? r.walk : r.error);
      }
    }
  }
  const canon: number[] = [];
  const same: boolean[] = [];
  for (let c = 0; c < npd0; c++) {
    for (let w = 0; w < 2; w++) {
      for (let addr = 0; addr < addrs; addr++) {
        const key = (c * 2 + w) * addrs + addr;
        let first = c;
        for (let d = 0; d < c; d++) if (texts[(d * 2 + w) * addrs + addr] === texts[key]) { first = d; break; }
        canon[key] = first;
        const gw = model.walks[key];
        for (let now = 0; now < npd0; now++) {
          for (let level = 1; level <= 4; level++) {
            let ok = false;
            if (gw && gw.tableGfn[level - 1] >= 0) {
              // Every table a walk reads is in guest memory, so the re-read does not depend on the memslots (readGuestPte()).
              if (!memories[now].guestMemory.has(gw.tableGfn[level - 1])) throw new Error('packed_gt: a walk reads a table outside guest memory');
              const pte = readGuestPte(memories[now], gw.tableGfn[level - 1], gw.index[level - 1]);
              ok = !!pte && sameGuestPte(pte, gw.ptes[level - 1]);
            }
            same[(key * npd0 + now) * 4 + level - 1] = ok;
          }
        }
      }
    }
  }
  t = { canon, same };
  TABLES.set(model, t);
  return t;
}

const permits = (write: boolean, bits: number): boolean => !write || (bits & 1) !== 0;

/**
 * A walked access (the menu's `walked: true`, model.ts access()): enabled as the access is, and
 * only when it faults, its walk succeeds, an operation is left in the bound, mmu_lock is free and its
 * gfn is not in the invalidation range. The TLB's permission miss, the root reload and the stale-access goal
 * happen as in the access; the fault frame is paused at `lock`, with the running operation.
 */
export function startStoppedFault(model: GtEngine, from: Uint8Array, vcpu: number, addr: number, write: boolean): boolean {
  const L = model.L;
  const bound = model.scope.bound;
  const lock = from[L.lock] !== 0;
  if (from[L.acc] >= bound.accesses || (lock && !from[L.fresh]) || model.emulating(from, vcpu)) return false;
  const reload = from[L.tlb + vcpu * L.tb] !== 0;
  const hit = model.tlbLookup(from, vcpu, addr);
  if (hit >= 0 && from[hit + 1] !== 1) throw new Unsupported();
  if (hit >= 0 && !reload && permits(write, from[hit + 4]) && !model.freed(from, from[hit + 3]) && (!write || from[L.written + from[hit + 2] - 1])) return false;
  if (reload && lock) return false;
  const key = (from[L.pd0] * 2 + (write ? 1 : 0)) * model.addrs + addr;
  const gw = model.walks[key];
  if (gw && !model.liveSlotHolds(from, L.gfnCode(gw.gfn))) return false;
  const w = model.successor(from);
  model.noteStaleAccess(w, vcpu, addr, write);
  if (reload) model.reloadRoots(w, vcpu);
  if (model.hardwareAccess(w, vcpu, addr, write)) return false;
  // kvm_mmu_faultin_pfn() reads mmu_invalidate_seq (F_SEQ 0 below) and its lockless pre-check
  // retries a gfn inside the invalidation range: no stop there (model.ts access()).
  if (from[L.ops] >= bound.ops || lock || !gw || L.inHull(from, L.gfnCode(gw.gfn))) return false;
  model.pauseCurrent(w);
  const at = L.cur;
  w[at + F_KIND] = K_FAULT;
  w[at + F_PC] = PC_LOCK;
  w[at + F_VCPU] = vcpu;
  w[at + F_ARG] = addr;
  w[at + F_ARG2] = write ? 1 : 0;
  w[at + F_WALK] = 1 + tables(model).canon[key];
  w[at + F_WALKED] = 2;
  model.pauseCurrent(w);
  w[L.ops]++;
  w[L.acc]++;
  model.setFresh(w, true);
  model.s = w;
  return true;
}

/** The running stopped fault ends (its frame cleared) and its vCPU's access is tried again: false when it still faults. */
function endAndRetry(model: GtEngine, w: Uint8Array): boolean {
  const at = model.L.cur;
  const vcpu = w[at + F_VCPU];
  const addr = w[at + F_ARG];
  const write = w[at + F_ARG2] === 1;
  w.fill(0, at, at + model.L.fs);
  return retryAccess(model, w, vcpu, addr, write);
}

/**
 * The fault frame at L.cur runs its next step, in place (ops/fault.ts advanceFault()); the fresh
 * byte is set. At its end the access is retried (model.ts retryWalkedAccess()): false when the
 * access still faults, which refuses the transition.
 */
export function advanceStoppedFault(model: GtEngine, w: Uint8Array): boolean {
  const L = model.L;
  const at = L.cur;
  let visible = false;
  switch (w[at + F_PC]) {
    case PC_LOCK: {
      // ops/fault.ts: is_page_fault_stale() finds the root obsolete (zapped or of an older
      // generation): the fault takes and drops the lock with no SPTE touched, and the access is
      // retried as at the unlock (the reload first). The lock audit of 2026-12-07 (docs/locking.md).
      // Or (model.ts staleByInvalidation()) mmu_invalidate_retry_gfn(): an invalidation ended since
      // the fault read mmu_invalidate_seq (F_SEQ), or its gfn lies in the invalidation range.
      if (w[L.spAt(model.rootSlot(w)) + 1] & (LIFE_INVALID | LIFE_OBSOLETE) || w[at + F_SEQ] || L.inHull(w, L.gfnCode(stoppedWalk(model, w).gfn))) {
        if (!endAndRetry(model, w)) return false;
        break;
      }
      w[L.lock] = 1;
      w[at + F_PC] = PC_WALK;
      break;
    }
    case PC_WALK:
      visible = walkStep(model, w);
      break;
    case PC_FLUSH: {
      // kvm_mmu_remote_flush_or_zap(): with the zapped child's list, the commit (flush, free); else a full flush.
      model.flushAll(w);
      const n = w[at + F_LIST] ? w[at + F_LIST] - 1 : 0;
      if (n > 0) {
        const list = L.runningList(w);
        for (let k = 0; k < n; k++) {
          const s = list[k];
          w[L.spAt(s) + 1] |= LIFE_FREED;
          model.offActiveList(w, s);
        }
        L.setRunningList(w, []);
      }
      w[at + F_PC] = PC_LINK;
      visible = true;
      break;
    }
    case PC_LINK: {
      const code = w[at + F_PSPTEP] - 1;
      const parent = Math.floor(code / L.e);
      const index = code % L.e;
      const child = w[at + F_PCHILD] - 1;
      const p = L.spteAt(parent, index);
      w[p + E_FLAGS] = SPTE_PRESENT | SPTE_WRITABLE;
      w[p + E_TARGET] = 1 + child;
      if (!L.keys[model.keyOf(w, parent)].direct) {
        const k = L.keys[model.keyOf(w, child)];
        w[p + E_GFN_ACCESS] = gfnAccess(L.gfnCode(k.gfn), k.access);
      }
      w[at + F_PC] = PC_WALK;
      visible = true;
      break;
    }
    case PC_UNLOCK: {
      w[L.lock] = 0;
      model.unlockCheck(w);
      if (!endAndRetry(model, w)) return false;
      break;
    }
    default:
      throw new Error(`packed_gt: a stopped fault at pc ${w[at + F_PC]}`);
  }
  model.setFresh(w, visible);
  return true;
}

/**
 * retryWalkedAccess(): the access again (the root reload first if owed); if it faults, one more
 * fault run whole (an operation of the bound, mmu_lock free), then the access, which must not fault.
 */
function retryAccess(model: GtEngine, w: Uint8Array, vcpu: number, addr: number, write: boolean): boolean {
  const L = model.L;
  if (w[L.tlb + vcpu * L.tb]) model.reloadRoots(w, vcpu);
  if (model.hardwareAccess(w, vcpu, addr, write)) return true;
  if (w[L.ops] >= model.scope.bound.ops || w[L.lock]) return false;
  // The second fault walks at its lock (a frame made without its walk); a walk that fails goes to the guest and changes nothing.
  const gw = model.walks[(w[L.pd0] * 2 + (write ? 1 : 0)) * model.addrs + addr];
  // It retries while its gfn is in the invalidation range: the transition is refused (model.ts).
  if (gw && L.inHull(w, L.gfnCode(gw.gfn))) return false;
  w[L.ops]++;
  if (gw) model.fault(w, gw, addr);
  return model.hardwareAccess(w, vcpu, addr, write);
}

/** The guest walk of the stopped fault at L.cur (F_WALK: the PD[0] value it read). */
function stoppedWalk(model: GtEngine, w: Uint8Array): GuestWalk {
  const at = model.L.cur;
  const gw = model.walks[((w[at + F_WALK] - 1) * 2 + (w[at + F_ARG2] === 1 ? 1 : 0)) * model.addrs + w[at + F_ARG]];
  if (!gw) throw new Error('packed_gt: a stopped fault without its walk');
  return gw;
}

/**
 * One `walk` step (ops/fault.ts walk()): from the root down to the first thing missing. Returns
 * whether it wrote an SPTE (the step is visible).
 */
function walkStep(model: GtEngine, w: Uint8Array): boolean {
  const L = model.L;
  const geo = model.geo;
  const at = L.cur;
  const addr = w[at + F_ARG];
  const write = w[at + F_ARG2] === 1;
  const key = ((w[at + F_WALK] - 1) * 2 + (write ? 1 : 0)) * model.addrs + addr;
  const gw: GuestWalk | null = model.walks[key];
  if (!gw) throw new Error('packed_gt: a stopped fault without its walk');
  const gfn = L.gfnCode(gw.gfn);
  // The core refuses (a model input error) a fault whose memslot is gone or being deleted; the explorer never resumes one.
  if (model.liveSlotHolds(w, gfn) === false) throw new Error('packed_gt: a stopped fault on a memslot being deleted');
  if (gw.level !== 2 && gw.level !== 1) throw new Unsupported();
  const t = tables(model);
  const npd0 = L.pd0s.length;
  // FNAME(gpte_changed) at `level`, once a level: a change sends the fault to its unlock.
  const unchanged = (level: number): boolean => {
    if ((w[at + F_RECHECKED] || 5) <= level) return true;
    if (t.same[(key * npd0 + w[L.pd0]) * 4 + level - 1]) {
      w[at + F_RECHECKED] = level;
      return true;
    }
    w[at + F_PC] = PC_UNLOCK;
    return false;
  };
  if (!unchanged(4)) return false;
  let slot = model.rootSlot(w);
  // kvm_mmu_hugepage_adjust(): 4K host pages everywhere, so the goal is level 1.
  for (let level = 4; level > 1; level--) {
    const index = model.spteIndex(addr, level);
    const p = L.spteAt(slot, index);
    const flags = w[p + E_FLAGS];
    const present = (flags & SPTE_PRESENT) !== 0;
    if (present && isLastSpte(flags, level)) throw new Unsupported();
    const indirect = level > gw.level;
    const childGfn = indirect ? gw.tableGfn[level - 2] : geo.round(gw.gfn, level);
    const access = indirect ? gw.ptAccess[level - 2] : gw.pteAccess;
    const ck = L.keyIndex(childGfn, level - 1, !indirect, access);
    if (ck < 0) throw new Error(`packed_gt: no key for a child of gfn ${childGfn}`);
    let linked = present ? w[p + E_TARGET] - 1 : -1;
    if (linked >= 0 && model.childReusable(w, linked, ck)) {
      if (indirect && !unchanged(level - 1)) return false;
      const sptep = 1 + slot * L.e + index;
      if (model.keyOf(w, linked) !== ck && w[at + F_EEXIST] !== sptep) {
        // The policy let a child of another gfn or role pass: noted once, in a step of its own.
        w[at + F_EEXIST] = sptep;
        w[at + F_MISMATCH] = 2;
        return false;
      }
      slot = linked;
      continue;
    }
    const before = w[L.nsps];
    const child = model.getShadowPage(w, ck);
    // A new SP went in at `child`: the slots from there on moved up one (the frame's fields with them).
    const moved = w[L.nsps] > before;
    const parent = moved && slot >= child ? slot + 1 : slot;
    if (moved && linked >= child) linked++;
    // FNAME(gpte_changed) before link_shadow_page(): a change retries with the SP made and not linked.
    if (indirect && !unchanged(level - 1)) return false;
    if (linked >= 0) {
      // link_shadow_page() over a present link to another child: __link_shadow_page() zaps it
      // (drop_parent_pte(); the child, left without a parent, prepared for zapping with its own
      // children); the flush (or the commit) is the next step, the link the one after.
      w[at + F_MISMATCH] = 2;
      if (!linkZapsAndFlushes(model.variant)) throw new Unsupported();
      w[at + F_PCHILD] = 1 + child;
      w[at + F_PSPTEP] = 1 + parent * L.e + index;
      model.clearSpte(w, parent, index);
      if (!model.hasParent(w, linked) && !(w[L.spAt(linked) + 1] & LIFE_INVALID)) {
        const list: number[] = [];
        model.prepareZap(w, linked, list);
        L.setRunningList(w, list);
      }
      w[at + F_PC] = PC_FLUSH;
      return true;
    }
    const q = L.spteAt(parent, index);
    w[q + E_FLAGS] = SPTE_PRESENT | SPTE_WRITABLE;
    w[q + E_TARGET] = 1 + child;
    if (!L.keys[model.keyOf(w, parent)].direct) {
      w[q + E_GFN_ACCESS] = gfnAccess(L.gfnCode(childGfn), access);
    }
    return true;
  }
  const leaf = L.spteAt(slot, model.spteIndex(addr, 1));
  const old = w[leaf + E_FLAGS];
  const oldTarget = w[leaf + E_TARGET];
  model.installLeaf(w, slot, model.spteIndex(addr, 1), gfn, gw.pteAccess);
  w[at + F_PC] = PC_UNLOCK;
  return w[leaf + E_FLAGS] !== old || w[leaf + E_TARGET] !== oldTarget;
}
