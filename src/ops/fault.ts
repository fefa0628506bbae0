/**
 * The shadow page fault (FNAME(page_fault) -> FNAME(fetch)), one step per table it links.
 * The guest walk (FNAME(walk_addr_generic), mmu/guest_walk.ts) runs first, without mmu_lock, when
 * the fault starts; its walker stays in the frame. Each step then re-walks the shadow tables from the
 * root and does the first thing missing on the way down: an indirect SP for the guest table the walk
 * found, a direct SP where the guest maps a huge page that KVM maps smaller, or the leaf itself,
 * re-reading each guest entry the walk used once (FNAME(gpte_changed)). Replacing a huge SPTE by a
 * table goes through link_shadow_page(), which always flushes.
 */
import { hex, type Level } from '../kernel/geometry';
import { findRoot } from '../mmu/hardware';
import { describeGuestPte, describeWalkError, readGuestPte, sameGuestPte, walkGuest } from '../mmu/guest_walk';
import { gfnToPfn, hostMaxLevel } from '../mmu/host';
import { gfnToMemslot } from '../mmu/rmap';
import { childReusable, getShadowPage, spGetGfn } from '../mmu/shadow_page';
import { dropSpte, setLeaf, setNonLeaf, updateLeafFlags } from '../mmu/spte_ops';
import { kvmFlushRemoteTlbs, noteUnmap } from '../mmu/flush';
import { commitZapFlush, commitZapFree, prepareZapPage } from '../mmu/zap';
import {
  ACC_EXEC_MASK, ACC_WRITE_MASK, isLastSpte, SPTE_ACCESSED, SPTE_EXEC, SPTE_HOST_WRITABLE, SPTE_LARGE,
  SPTE_MMU_WRITABLE, SPTE_PRESENT, SPTE_WRITABLE,
} from '../kernel/spte';
import type { FaultFrame } from '../model/frames';
import type { Machine } from '../machine/machine';
import { emitDropLargeFlush } from './split';
import { ModelInputError } from '../model/errors';
import { linkZapsAndFlushes, type Variant } from '../kernel/variants';
import type { KvmMmuPage, MmuState } from '../model/state';
import { ownMemslot } from '../model/fork';

/**
 * FNAME(page_fault): FNAME(walk_addr)() runs first, before write_lock(&vcpu->kvm->mmu_lock); the
 * walker is kept in the frame for FNAME(fetch). A walk that fails sends the fault to the guest: the
 * frame's one step is then 'inject'.
 */
export function faultWalkGuest(state: MmuState, f: FaultFrame): void {
  const root = findRoot(state, f.root);
  const r = walkGuest(state, root.guestTableGfn, f.addr, f.access);
  if (r.ok) {
    f.gw = r.walk;
  } else {
    f.walkError = r.error;
    f.pc = 'inject';
  }
}

/**
 * The scenario runner's question at a fault's start and at a stopped fault's resume: the gfn the
 * fault would map lies in the range of the invalidations in progress (inInvalidateRange(), the
 * hull the kernel keeps), so is_page_fault_stale() -> mmu_invalidate_retry_gfn() would send it
 * back until they end. The runner refuses the step and says so.
 */
export function faultWouldRetry(state: MmuState, f: FaultFrame): number | null {
  if (!f.gw) return null;
  return inInvalidateRange(state, f.gw.gfn) ? f.gw.gfn : null;
}

/**
 * mmu_invalidate_retry_gfn()'s sequence test, for a fault stopped after kvm_mmu_faultin_pfn() read
 * mmu_invalidate_seq: an invalidation ended since (FaultFrame.seqMoved), so the pfn it looked up
 * may be stale and the fault is sent back at its lock. Both the explorer and the runner ask it.
 */
export function seqMovedReason(f: FaultFrame): string | null {
  return f.seqMoved ? 'mmu_invalidate_retry_gfn(): mmu_invalidate_seq moved since kvm_mmu_faultin_pfn() read it (an invalidation ended meanwhile)' : null;
}

/**
 * mmu_invalidate_retry_gfn()'s range test: an invalidation is in progress and `gfn` lies in
 * [mmu_invalidate_range_start, mmu_invalidate_range_end) (MmuState.invalidateRange, the hull of
 * every invalidation since the count was last zero). Both explorer scopes and the runner ask it.
 */
export function inInvalidateRange(state: MmuState, gfn: number): boolean {
  const r = state.invalidateRange;
  return r !== null && gfn >= r[0] && gfn < r[1];
}

/**
 * is_page_fault_stale() sends the fault at its lock back: write_lock(mmu_lock), the check, the
 * unlock, RET_PF_RETRY; no SPTE changes and the vCPU re-enters the guest, which retries the access.
 */
export function faultRetryStale(m: Machine, f: FaultFrame, why: string): void {
  m.state.counters.faults++;
  m.emit(f, { kind: 'note', anchor: 'faultLock', vcpu: f.vcpu, text: `page fault of vCPU ${f.vcpu} on L2 gfn ${hex(f.addr)} (${f.access}) via root ${f.root}: FNAME(page_fault): write_lock(&vcpu->kvm->mmu_lock), then is_page_fault_stale(): ${why}, so the fault unlocks and returns RET_PF_RETRY; no SPTE changes` });
  f.done = true;
}

/** is_obsolete_sp() of the fault's root: invalid (zapped), or of an older mmu_valid_gen. */
function rootObsolete(state: MmuState, f: FaultFrame): boolean {
  const id = findRoot(state, f.root).spId;
  if (id < 0) return false;
  const sp = state.sps[id];
  return sp.invalid || sp.mmuValidGen !== state.mmuValidGen;
}

export function advanceFault(m: Machine, f: FaultFrame): void {
  const state = m.state;
  switch (f.pc) {
    case 'inject':
      m.emit(f, { kind: 'note', anchor: 'faultInject', vcpu: f.vcpu, text: `page fault of vCPU ${f.vcpu} on L2 gfn ${hex(f.addr)} (${f.access}) via root ${f.root}: FNAME(walk_addr_generic) fails, ${describeWalkError(f.walkError!)}; FNAME(page_fault): kvm_inject_emulated_page_fault() hands the fault to the guest (L1) and returns RET_PF_RETRY without taking mmu_lock; no SPTE changes` });
      f.done = true;
      return;
    case 'lock':
      // A frame made without its walk (the explorer's, whose faults nothing interrupts) walks now.
      if (!f.gw) {
        faultWalkGuest(state, f);
        if (!f.gw) {
          advanceFault(m, f);
          return;
        }
      }
      if (rootObsolete(state, f)) {
        // is_page_fault_stale(), first under the lock: the root went obsolete while the fault stood
        // between its guest walk and its write_lock() (a memslot deletion's kvm_mmu_zap_all_fast()
        // toggled mmu_valid_gen, or zapped it): RET_PF_RETRY, no SPTE touched; the vCPU serves
        // KVM_REQ_MMU_FREE_OBSOLETE_ROOTS before it re-enters the guest (the lock audit, docs/locking.md).
        faultRetryStale(m, f, `the root sp#${findRoot(state, f.root).spId} is obsolete (is_obsolete_sp())`);
        return;
      }
      if (f.seqMoved) {
        // The scenario runner's stopped fault (the explorer asks before it advances the frame).
        faultRetryStale(m, f, seqMovedReason(f)!);
        return;
      }
      state.mmuLockHeld = true;
      state.counters.faults++;
      m.emit(f, { kind: 'lock', anchor: 'faultLock', vcpu: f.vcpu, text: `page fault of vCPU ${f.vcpu} on L2 gfn ${hex(f.addr)} (${f.access}) via root ${f.root}, inside vcpu_run()'s kvm->srcu read side: FNAME(page_fault): write_lock(&vcpu->kvm->mmu_lock)` });
      f.pc = 'walk';
      return;
    case 'walk':
      walk(m, f);
      return;
    case 'flush': {
      const e = m.geo.entries;
      const spId = Math.floor(f.pendingSptep / e);
      if (linkZapsAndFlushes(m.ctx.variant)) {
        if (f.invalidList?.length) {
          // kvm_mmu_remote_flush_or_zap() with a non-empty list: kvm_mmu_commit_zap_page(), flush then free.
          commitZapFlush(m.ctx, f.invalidList);
          const freed = commitZapFree(m.ctx, f.invalidList);
          m.emit(f, { kind: 'flush', anchor: 'linkZapFlush', vcpu: f.vcpu, text: `__link_shadow_page() zapped a present SPTE: kvm_mmu_remote_flush_or_zap() -> kvm_mmu_commit_zap_page(): kvm_flush_remote_tlbs(), then kvm_mmu_free_shadow_page() of ${freed.map((id) => `sp#${id}`).join(', ')}` });
        } else {
          kvmFlushRemoteTlbs(m.ctx, 'kvm_mmu_remote_flush_or_zap(kvm, &invalid_list, true)');
          m.emit(f, { kind: 'flush', anchor: 'linkZapFlush', vcpu: f.vcpu, text: '__link_shadow_page() zapped a present SPTE: kvm_mmu_remote_flush_or_zap() flushes all TLBs' });
        }
      } else {
        emitDropLargeFlush(m, f, spId, f.pendingSptep % e, true, 'link_shadow_page() passes flush = true');
      }
      f.pc = 'link';
      return;
    }
    case 'link': {
      const e = m.geo.entries;
      const spId = Math.floor(f.pendingSptep / e);
      const index = f.pendingSptep % e;
      const child = state.sps[f.pendingChild];
      setNonLeaf(m.ctx, spId, index, SPTE_PRESENT | SPTE_WRITABLE, child.id, child.gfn, child.role.access);
      m.emit(f, { kind: 'link', anchor: 'linkSet', vcpu: f.vcpu, text: `make_nonleaf_spte() + mmu_spte_set(): sp#${spId}[${index}] -> sp#${child.id}` });
      f.pc = 'walk';
      return;
    }
    case 'unlock':
      state.mmuLockHeld = false;
      m.emit(f, { kind: 'unlock', anchor: 'faultUnlock', vcpu: f.vcpu, text: 'FNAME(page_fault): write_unlock(&vcpu->kvm->mmu_lock); the vCPU re-enters the guest and retries the access' });
      f.done = true;
      return;
  }
}

function walk(m: Machine, f: FaultFrame): void {
  const state = m.state;
  const geo = m.geo;
  const root = findRoot(state, f.root);
  const gw = f.gw!;
  const gfn = gw.gfn;
  const slot = gfnToMemslot(state, gfn);
  if (!slot) throw new ModelInputError(`gfn ${hex(gfn)} is in no memslot (MMIO is not modelled)`);
  if (slot.invalid) throw new ModelInputError(`gfn ${hex(gfn)} is in memslot ${slot.id}, which a deletion has marked KVM_MEMSLOT_INVALID: the fault would retry until the deletion ends; resume it first`);
  // kvm_mmu_hugepage_adjust(): the guest's page size, the host's, and no huge page while logging.
  let goal = Math.min(gw.level, hostMaxLevel(state, slot, gfn), slot.logDirty ? 1 : 3);
  // FNAME(fetch) first re-reads the top-level entry.
  if (!gpteUnchanged(m, f, 4, '')) return;
  let spId = root.spId;
  for (let level = 4; level >= 1; level--) {
    const sp = state.sps[spId];
    const index = geo.index(f.addr, level);
    const flags = sp.flags[index];
    const present = (flags & SPTE_PRESENT) !== 0;
    if (level === goal && present && !isLastSpte(flags, level)) goal--; // a table is already there: map below it
    if (level === goal) {
      installLeaf(m, f, sp.id, index, level as Level, gfn, gw.pteAccess, slot.id);
      return;
    }
    // Above the guest's leaf level each shadow level stands for a guest table (indirect SPs).
    const indirect = level > gw.level;
    // The child's gfn and access come from the walk: walker->table_gfn[] and pt_access[] of the table one level down.
    const childGfn = indirect ? gw.tableGfn[level - 2] : geo.round(gfn, level);
    const role = { level: (level - 1) as Level, direct: !indirect, access: indirect ? gw.ptAccess[level - 2] : gw.pteAccess };
    const linked = present && !isLastSpte(flags, level) ? state.sps[sp.target[index]] : undefined;
    if (linked && childReusable(m.ctx.variant.childReuse, linked, childGfn, role)) {
      // kvm_mmu_get_child_sp() returns -EEXIST: the fault walks on into the child already linked
      // here; FNAME(fetch) re-reads the guest entry all the same.
      if (indirect && !gpteUnchanged(m, f, level - 1, '')) return;
      const sptep = sp.id * geo.entries + index;
      if (!sameChild(linked, childGfn, role) && f.eexistNoted !== sptep) {
        // The policy let a child of another gfn or role pass: say so once, where it happens (the
        // leaf below it will be filed under the walk's gfn, not the one this SP computes).
        f.eexistNoted = sptep;
        f.mismatch = true;
        m.emit(f, { kind: 'note', anchor: indirect ? 'faultIndirect' : 'faultDirect', vcpu: f.vcpu, text: `kvm_mmu_get_child_sp() for ${indirect ? 'indirect' : 'direct'}, level ${role.level}, gfn ${hex(childGfn)}: sp#${sp.id}[${index}] is present and not large${reuseTest(m.ctx.variant.childReuse, linked)}, so it returns -EEXIST (childReuse=${m.ctx.variant.childReuse}) and the fault walks on into sp#${linked.id} (${linked.role.direct ? 'direct' : 'indirect'}, level ${linked.role.level}, gfn ${hex(linked.gfn)}), a child built for ${describeDifference(linked, childGfn, role)}` });
        return;
      }
      spId = linked.id;
      continue;
    }
    const { sp: child, reused } = getShadowPage(m.ctx, childGfn, role, root.name);
    const got = `kvm_mmu_get_child_sp(): ${reused ? 'reuses' : 'allocates'} sp#${child.id} (${indirect ? 'indirect' : 'direct'}, level ${role.level}, gfn ${hex(childGfn)})`;
    // FNAME(gpte_changed) comes before link_shadow_page(): a changed entry retries without linking or zapping.
    if (indirect && !gpteUnchanged(m, f, level - 1, `${got}, not linked yet; `)) return;
    if (linked) {
      f.mismatch = true;
      // The child linked here is not the one asked for (another gfn, or role): link_shadow_page()
      // meets a present non-leaf SPTE. zap-and-flush: mmu_page_zap_pte() -> drop_parent_pte(), then
      // a full flush. drop-large (no kernel had it with a gfn check): drop_spte() would rmap_remove()
      // a non-leaf and miss, a data-corruption report the model does not make yet.
      if (!linkZapsAndFlushes(m.ctx.variant)) {
        throw new ModelInputError(`childReuse=${m.ctx.variant.childReuse} with linkPresent=drop-large: sp#${sp.id}[${index}] links sp#${linked.id} (gfn ${hex(linked.gfn)}), not the child asked for (gfn ${hex(childGfn)}); drop_large_spte() on a non-leaf SPTE would rmap_remove() it and miss, which the model does not report yet`);
      }
      f.pendingChild = child.id;
      f.pendingSptep = sp.id * geo.entries + index;
      dropSpte(m.ctx, f.pendingSptep);
      // Only a direct child's gfn range is what its subtree mapped; the full flush follows anyway.
      if (linked.role.direct) noteUnmap(m.ctx, linked.gfn, geo.pages(level), `unlink of sp#${linked.id} from sp#${sp.id}[${index}] by a fault`);
      // mmu_page_zap_pte() with an invalid_list: a nested child left without a parent is zapped too.
      let zapped = '';
      if (linked.parentPtes.length === 0 && !linked.invalid) {
        f.invalidList = [];
        const r = prepareZapPage(m.ctx, linked, f.invalidList);
        zapped = `; sp#${linked.id} has no parent left: kvm_mmu_prepare_zap_page() drops its ${r.leaves} leaf SPTE${r.leaves === 1 ? '' : 's'} and lists ${r.listed.map((id) => `sp#${id}`).join(', ')} for freeing`;
      }
      m.emit(f, { kind: 'drop-spte', anchor: 'faultLink', vcpu: f.vcpu, text: `${got}, not sp#${linked.id} (${linked.role.direct ? 'direct' : 'indirect'}, level ${linked.role.level}, gfn ${hex(linked.gfn)}) linked at sp#${sp.id}[${index}]; link_shadow_page(): __link_shadow_page() zaps it (mmu_page_zap_pte() -> drop_parent_pte())${zapped}` });
      f.pc = 'flush';
      return;
    }
    if (present) {
      // A huge SPTE where a table must go: link_shadow_page() drops it and flushes.
      f.pendingChild = child.id;
      f.pendingSptep = sp.id * geo.entries + index;
      dropSpte(m.ctx, f.pendingSptep);
      noteUnmap(m.ctx, geo.round(gfn, level), geo.pages(level), `drop of huge SPTE sp#${sp.id}[${index}] by a fault`);
      const how = linkZapsAndFlushes(m.ctx.variant) ? '__link_shadow_page() zaps it (mmu_page_zap_pte())' : 'drop_large_spte() clears it';
      m.emit(f, { kind: 'drop-spte', anchor: 'faultLink', vcpu: f.vcpu, text: `${got}; link_shadow_page(): sp#${sp.id}[${index}] holds a huge SPTE, ${how}` });
      f.pc = 'flush';
      return;
    }
    setNonLeaf(m.ctx, sp.id, index, SPTE_PRESENT | SPTE_WRITABLE, child.id, childGfn, role.access);
    m.emit(f, { kind: 'fault', anchor: indirect ? 'faultIndirect' : 'faultDirect', vcpu: f.vcpu, text: `${got}; link_shadow_page(): sp#${sp.id}[${index}] -> sp#${child.id}` });
    return;
  }
}

/**
 * FNAME(gpte_changed)(vcpu, gw, level): under mmu_lock, re-read the guest entry the walk used at
 * `level` and compare it with walker->ptes[level - 1]; a change (or a read that fails) since the
 * walk returns RET_PF_RETRY: nothing more is linked, the lock is dropped, the access is retried.
 * Each level is re-read once a fault, as the kernel's descent does (a level passed is not re-read
 * when the model's next step descends from the root again).
 */
function gpteUnchanged(m: Machine, f: FaultFrame, level: number, before: string): boolean {
  if ((f.rechecked ?? 5) <= level) return true;
  const gw = f.gw!;
  const at = level - 1;
  const now = readGuestPte(m.state, gw.tableGfn[at], gw.index[at]);
  if (now && sameGuestPte(now, gw.ptes[at])) {
    f.rechecked = level;
    return true;
  }
  const is = now ? describeGuestPte(now) : 'unreadable (no memslot holds the table)';
  m.emit(f, {
    kind: 'note', anchor: level === 4 ? 'faultGpteChangedTop' : 'faultGpteChanged', vcpu: f.vcpu,
    text: `${before}FNAME(gpte_changed)(vcpu, gw, ${level}): entry ${gw.index[at]} of the level-${level} guest table at gfn ${hex(gw.tableGfn[at])} was ${describeGuestPte(gw.ptes[at])} when the fault walked it and is now ${is}: RET_PF_RETRY`,
  });
  f.pc = 'unlock';
  return false;
}

function installLeaf(m: Machine, f: FaultFrame, spId: number, index: number, level: Level, gfn: number, access: number, slotId: number): void {
  const state = m.state;
  const geo = m.geo;
  const slot = state.memslots.find((s) => s.id === slotId)!;
  const base = geo.round(gfn, level);
  const pfn = gfnToPfn(slot, base);
  const writable = (access & ACC_WRITE_MASK) !== 0;
  const flags = SPTE_PRESENT | SPTE_ACCESSED | SPTE_HOST_WRITABLE | (level > 1 ? SPTE_LARGE : 0) |
    (writable ? SPTE_WRITABLE | SPTE_MMU_WRITABLE : 0) | (access & ACC_EXEC_MASK ? SPTE_EXEC : 0);
  const sp = state.sps[spId];
  const old = sp.flags[index];
  let what: string;
  if ((old & SPTE_PRESENT) && sp.target[index] === pfn) {
    updateLeafFlags(m.ctx, spId * geo.entries + index, flags);
    what = old === flags ? 'already mapped (spurious fault)' : `mmu_spte_update(): sp#${spId}[${index}] made ${writable ? 'writable' : 'read-only'} again`;
  } else {
    if (old & SPTE_PRESENT) dropSpte(m.ctx, spId * geo.entries + index);
    setLeaf(m.ctx, spId, index, flags, pfn, base, access);
    what = `make_spte() + mmu_spte_set(): sp#${spId}[${index}] = ${geo.sizeName(level)} leaf gfn ${hex(base)} -> pfn ${hex(pfn)} ${writable ? 'W' : 'R'}; __rmap_add()${setTranslationWarning(m, sp, index, base)}`;
  }
  let dirty = '';
  if (writable && slot.logDirty) {
    ownMemslot(m.state, slot);
    slot.dirtyBitmap[gfn - slot.baseGfn] = 1;
    dirty = `; mark_page_dirty_in_slot(gfn ${hex(gfn)})`;
  }
  m.emit(f, { kind: 'install-leaf', anchor: dirty ? 'faultMarkDirty' : 'faultSetSpte', vcpu: f.vcpu, text: what + dirty });
  f.pc = 'unlock';
}

/**
 * __rmap_add() first calls kvm_mmu_page_set_translation(): an SP with guest PTEs stores the gfn in
 * shadowed_translation[]; a direct SP has nowhere to store it and only WARN_ONCE()s when the gfn
 * differs from kvm_mmu_page_get_gfn()'s sp->gfn + index (in every modelled era). The kernel's one
 * visible sign, at the step that files the leaf where rmap_remove() will not look.
 */
function setTranslationWarning(m: Machine, sp: KvmMmuPage, index: number, gfn: number): string {
  const filed = sp.misfiled?.get(index);
  if (!filed || filed.step !== m.ctx.stepIndex) return '';
  return `; kvm_mmu_page_set_translation() WARN_ONCE()s (gfn mismatch under a direct SP: sp->gfn ${hex(sp.gfn)} + index ${hex(index)} = ${hex(spGetGfn(m.state, sp, index))}, the walk's gfn ${hex(gfn)}) and files it under ${hex(gfn)} all the same`;
}

/** What else the policy's -EEXIST test looked at and found equal (0cb2af2ea66a's gfn test; the role test never lets a mismatch pass). */
function reuseTest(policy: Variant['childReuse'], child: KvmMmuPage): string {
  return policy === 'present' ? '' : `, and its child's gfn is ${hex(child.gfn)}, the one asked for${policy === 'gfn' ? ' (the role is not compared)' : ''}`;
}

/** The linked child is the one the walk asks for: same gfn and role (what 81ccda30b4e8 compares). */
function sameChild(child: KvmMmuPage, gfn: number, role: { level: Level; direct: boolean; access: number }): boolean {
  return child.gfn === gfn && child.role.level === role.level && child.role.direct === role.direct && child.role.access === role.access;
}

function describeDifference(child: KvmMmuPage, gfn: number, role: { direct: boolean; access: number }): string {
  const parts: string[] = [];
  if (child.gfn !== gfn) parts.push(`another gfn (${hex(child.gfn)}, not ${hex(gfn)})`);
  if (child.role.direct !== role.direct) parts.push(`another role (${child.role.direct ? 'direct' : 'indirect'}, not ${role.direct ? 'direct' : 'indirect'})`);
  else if (child.role.access !== role.access) parts.push(`another role (access ${child.role.access}, not ${role.access})`);
  return parts.join(' and ');
}
