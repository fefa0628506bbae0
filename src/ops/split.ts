/**
 * Eager split of huge SPTEs in the shadow MMU, as a resumable sub-operation:
 * kvm_shadow_mmu_try_split_huge_pages() walks the rmaps level by level from 1G down to the target;
 * for each huge SPTE, shadow_mmu_try_split_huge_page() may drop mmu_lock to refill its caches, then
 * shadow_mmu_split_huge_page() gets the child SP (maybe reused from the hash), fills its absent
 * entries from the huge SPTE, and __link_shadow_page() replaces the huge SPTE by the child table.
 */
import { KVM_MAX_HUGEPAGE_LEVEL, hex, type Level } from '../kernel/geometry';
import { ctxNames } from '../mmu/context';
import { kvmFlushRemoteTlbs, kvmFlushRemoteTlbsWithAddress, noteUnmap, skipFlush } from '../mmu/flush';
import { gfnToIndex, rmapEmpty, rmapSptes } from '../mmu/rmap';
import { derefRmapSpte } from '../mmu/deref';
import { getShadowPage, spGetAccess, spGetGfn } from '../mmu/shadow_page';
import { dropSpte, setLeafRun, setNonLeaf } from '../mmu/spte_ops';
import { isLastSpte, SPTE_LARGE, SPTE_PRESENT, SPTE_WRITABLE, describeSpte } from '../kernel/spte';
import type { OpFrame, SplitFrame } from '../model/frames';
import { unknownMode } from '../model/errors';
import { dropFlushesTableGfn, linkZapsAndFlushes, unknownPolicy, type Variant } from '../kernel/variants';
import { Machine, SPLIT_CACHE_CAPACITY } from '../machine/machine';

export function newSplit(m: Machine, slot: number, start: number, end: number, target: number): SplitFrame {
  const s = m.state.memslots[slot];
  const level = KVM_MAX_HUGEPAGE_LEVEL;
  return {
    pc: 'find', slot, start, end, target, level,
    cursor: gfnToIndex(m.state, Math.max(start, s.baseGfn), s.baseGfn, level),
    huge: -1, child: -1, reused: false, index: 0, flush: false, flushWhy: '', rescheduled: false,
  };
}

function needYield(m: Machine, sf: SplitFrame): boolean {
  switch (m.splitYield) {
    case 'never': return false;
    case 'every': return !sf.rescheduled;
    case 'cache': return m.state.splitCacheObjects === 0 || m.state.splitDescsUsed > 0;
    default: return unknownMode('splitYield', m.splitYield);
  }
}

/** Find the next huge SPTE to split; false when the walk is over. */
function findNext(m: Machine, sf: SplitFrame): boolean {
  const state = m.state;
  const slot = state.memslots[sf.slot];
  const first = Math.max(sf.start, slot.baseGfn);
  const last = Math.min(sf.end, slot.baseGfn + slot.npages) - 1;
  while (sf.level > sf.target) {
    const lastIndex = gfnToIndex(state, last, slot.baseGfn, sf.level);
    while (sf.cursor <= lastIndex && rmapEmpty(slot, sf.level, sf.cursor)) sf.cursor++;
    if (sf.cursor <= lastIndex) {
      sf.huge = rmapSptes(slot, sf.level, sf.cursor)[0];
      if (derefRmapSpte(m.ctx, sf.huge, 'the eager split\'s rmap walk')) return true;
      sf.cursor++; // reported; the walk goes on past the freed entry
      continue;
    }
    sf.level--;
    if (sf.level > sf.target) sf.cursor = gfnToIndex(state, first, slot.baseGfn, sf.level);
  }
  return false;
}

/** Advance one step. Returns false, without a step, when the split is over. */
export function advanceSplit(m: Machine, op: OpFrame, sf: SplitFrame): boolean {
  const { state, geo } = m;
  const e = geo.entries;
  for (;;) {
    switch (sf.pc) {
      case 'done':
        return false;
      case 'find': {
        if (!findNext(m, sf)) { sf.pc = 'done'; return false; }
        sf.pc = needYield(m, sf) ? 'resched-unlock' : 'get-sp';
        continue;
      }
      case 'resched-unlock': {
        state.mmuLockHeld = false;
        m.emit(op, { kind: 'resched', anchor: 'tryReschedUnlock', text: `shadow_mmu_try_split_huge_page(): need_topup_split_caches_or_resched() (${m.splitYield === 'cache' ? 'the split caches need a top-up' : 'need_resched()'}), so write_unlock(&kvm->mmu_lock) before splitting the next huge page; slots_lock stays held` });
        sf.pc = 'resched-lock';
        return true;
      }
      case 'resched-lock': {
        state.mmuLockHeld = true;
        state.splitCacheObjects = SPLIT_CACHE_CAPACITY;
        state.splitDescsUsed = 0;
        sf.rescheduled = true;
        m.emit(op, { kind: 'lock', anchor: 'tryReschedLock', text: 'shadow_mmu_try_split_huge_page(): cond_resched(), topup_split_caches() (it asserts slots_lock, which the ioctl holds), then write_lock(&kvm->mmu_lock) again; -EAGAIN restarts the rmap walk' });
        sf.pc = 'find';
        return true;
      }
      case 'get-sp': {
        const hugeSp = state.sps[Math.floor(sf.huge / e)];
        const hugeIndex = sf.huge % e;
        const gfn = spGetGfn(state, hugeSp, hugeIndex);
        const role = { level: (hugeSp.role.level - 1) as Level, direct: true, access: spGetAccess(hugeSp, hugeIndex) };
        const { sp, reused } = getShadowPage(m.ctx, gfn, role, hugeSp.rootName);
        if (!reused) state.splitCacheObjects = Math.max(0, state.splitCacheObjects - 1);
        state.counters.splits++;
        sf.child = sp.id;
        sf.reused = reused;
        sf.index = 0;
        sf.flush = false;
        sf.flushWhy = '';
        m.emit(op, {
          kind: 'get-sp', anchor: 'splitGetSp', childSp: { id: sp.id, reused },
          text: () => `split huge SPTE sp#${hugeSp.id}[${hugeIndex}] (${describeSpte(hugeSp.flags[hugeIndex], hugeSp.target[hugeIndex], hugeSp.role.level, (l) => geo.sizeName(l))}, gfn ${hex(gfn)}): shadow_mmu_get_sp_for_split() ` +
            (reused ? `found sp#${sp.id} (direct, level ${role.level}, gfn ${hex(gfn)}) in the hash and reuses it` : `allocates sp#${sp.id} (direct, level ${role.level}, gfn ${hex(gfn)})`),
        });
        sf.pc = 'loop';
        return true;
      }
      case 'loop': {
        if (sf.index >= e) { sf.pc = 'drop'; continue; }
        loopRun(m, op, sf);
        return true;
      }
      case 'drop': {
        const hugeSp = state.sps[Math.floor(sf.huge / e)];
        const level = hugeSp.role.level;
        const gfn = dropSpte(m.ctx, sf.huge);
        noteUnmap(m.ctx, geo.round(gfn, level), geo.pages(level), `drop of huge SPTE sp#${hugeSp.id}[${sf.huge % e}] when installing sp#${sf.child}`);
        const zap = linkZapsAndFlushes(m.ctx.variant);
        m.emit(op, {
          kind: 'drop-spte', anchor: zap ? 'linkZapPte' : 'dropSpte',
          text: () => `__link_shadow_page(): the huge SPTE is present, ${zap ? 'mmu_page_zap_pte()' : 'drop_large_spte() -> drop_spte()'} clears sp#${hugeSp.id}[${sf.huge % e}] and removes it from the ${geo.sizeName(level)} rmap`,
        });
        sf.pc = 'flush';
        return true;
      }
      case 'flush': {
        linkFlush(m, op, sf);
        sf.pc = 'link';
        return true;
      }
      case 'link': {
        const hugeSp = state.sps[Math.floor(sf.huge / e)];
        const hugeIndex = sf.huge % e;
        const gfn = spGetGfn(state, hugeSp, hugeIndex);
        setNonLeaf(m.ctx, hugeSp.id, hugeIndex, SPTE_PRESENT | SPTE_WRITABLE, sf.child, gfn, spGetAccess(hugeSp, hugeIndex));
        const identical = !Number.isNaN(m.ctx.cache.linearPfn(sf.child));
        m.emit(op, {
          kind: 'link', anchor: 'linkSet',
          text: () => `make_nonleaf_spte() + mmu_spte_set(): sp#${hugeSp.id}[${hugeIndex}] -> sp#${sf.child}; ` +
            (identical ? 'the child table maps the whole huge page identically' : 'the child table does NOT map all of the huge page: part of it is now unmapped'),
        });
        sf.rescheduled = false;
        sf.pc = 'find';
        return true;
      }
    }
  }
}

type EntryKind = 'absent' | 'leaf' | 'nonleaf';

function entryKind(flags: number, level: number): EntryKind {
  if (!(flags & SPTE_PRESENT)) return 'absent';
  return isLastSpte(flags, level) ? 'leaf' : 'nonleaf';
}

/** One run of consecutive child entries of the same kind, as one step. */
function loopRun(m: Machine, op: OpFrame, sf: SplitFrame): void {
  const { state, geo } = m;
  const e = geo.entries;
  const child = state.sps[sf.child];
  const level = child.role.level;
  const from = sf.index;
  const kind = entryKind(child.flags[from], level);
  let to = from;
  while (to + 1 < e && entryKind(child.flags[to + 1], level) === kind) to++;
  const range = from === to ? `entry ${from}` : `entries ${from}-${to}`;
  if (kind === 'absent') {
    const hugeSp = state.sps[Math.floor(sf.huge / e)];
    const hugeIndex = sf.huge % e;
    const hugeFlags = hugeSp.flags[hugeIndex];
    const hugePfn = hugeSp.target[hugeIndex];
    const childFlags = level === 1 ? hugeFlags & ~SPTE_LARGE : hugeFlags;
    const n = geo.pages(level);
    state.splitDescsUsed += setLeafRun(m.ctx, child.id, from, to, childFlags, hugePfn + from * n, child.gfn + from * n, n, child.role.access);
    m.emit(op, {
      kind: 'split-loop', anchor: 'splitMakeSpte',
      text: () => `${range} not present: ${ctxNames(m.ctx).splitSpte}() + mmu_spte_set() + __rmap_add(): ${to - from + 1} x ${geo.sizeName(level)} leaf, pfn ${hex(hugePfn + from * n)} + i*${hex(n)}, ${childFlags & SPTE_WRITABLE ? 'writable' : 'read-only'} like the huge SPTE`,
    });
  } else {
    const nonleafRule = accumulatesNonleafFlush(m.ctx.variant.splitFlush);
    let note: string;
    if (nonleafRule) {
      if (kind === 'nonleaf') {
        if (!sf.flush) sf.flushWhy = `sp#${child.id} ${range} is a present non-leaf (-> sp#${child.target[from]})`;
        sf.flush = true;
        note = 'flush |= !is_last_spte(): a present non-leaf, the table below may be partial, so flush = true';
      } else {
        note = 'flush |= !is_last_spte(): a present leaf maps its part of the huge page, flush unchanged';
      }
    } else {
      note = 'already present, kept as it is (continue)';
    }
    m.emit(op, {
      kind: 'split-loop', anchor: nonleafRule ? 'splitPresentFlush' : 'splitPresent',
      text: `${range} present ${kind === 'nonleaf' ? 'non-leaf' : 'leaf'}: ${note}`,
    });
  }
  sf.index = to + 1;
}

/**
 * Only v7's rule reads the child's present entries (flush |= !is_last_spte()); the others decide
 * the flush from the SP alone, or not at all.
 */
function accumulatesNonleafFlush(policy: Variant['splitFlush']): boolean {
  switch (policy) {
    case 'present-nonleaf': return true;
    case 'always': case 'reused': case 'never': return false;
    default: return unknownPolicy('splitFlush', policy);
  }
}

/** The flush (or not) between dropping the huge SPTE and installing the child table. */
function linkFlush(m: Machine, op: OpFrame, sf: SplitFrame): void {
  const { state, geo, ctx } = m;
  const e = geo.entries;
  const v = ctx.variant;
  const hugeSp = state.sps[Math.floor(sf.huge / e)];
  if (linkZapsAndFlushes(v)) {
    state.counters.splitFlushes++;
    kvmFlushRemoteTlbs(ctx, 'kvm_mmu_remote_flush_or_zap(kvm, &invalid_list, true)');
    m.emit(op, { kind: 'flush', anchor: 'linkZapFlush', text: '__link_shadow_page() zapped a present SPTE: kvm_mmu_remote_flush_or_zap() flushes all TLBs, whatever the split computed' });
    return;
  }
  let doFlush: boolean;
  let why: string;
  switch (v.splitFlush) {
    case 'always': doFlush = true; why = 'drop_large_spte() flushes unconditionally'; break;
    case 'present-nonleaf': doFlush = sf.flush; why = sf.flush ? `flush = true: ${sf.flushWhy}` : 'flush = false: no present non-leaf entry in the child, it maps the huge page identically'; break;
    case 'reused': doFlush = sf.reused; why = sf.reused ? `the child sp#${sf.child} was reused` : `the child sp#${sf.child} is new`; break;
    case 'never': doFlush = false; why = 'this variant never flushes here'; break;
    default: return unknownPolicy('splitFlush', v.splitFlush);
  }
  if (doFlush) state.counters.splitFlushes++;
  emitDropLargeFlush(m, op, hugeSp.id, sf.huge % e, doFlush, why);
}

/** drop_large_spte()'s flush with the gfn and page count the variant's code computes. */
export function emitDropLargeFlush(m: Machine, op: OpFrame, spId: number, index: number, doFlush: boolean, why: string): void {
  const { state, geo, ctx } = m;
  const sp = state.sps[spId];
  const level = sp.role.level;
  const names = ctxNames(ctx);
  let gfn: number;
  let call: string;
  const tableGfn = dropFlushesTableGfn(ctx.variant);
  if (tableGfn) {
    gfn = sp.gfn;
    call = `${names.rangeFlush}(kvm, sp->gfn = ${hex(gfn)}, KVM_PAGES_PER_HPAGE(${level}) = ${geo.pages(level)})`;
  } else {
    // v6.3's helpers; a v6.0-era variant with this policy borrows them (they did not exist yet).
    gfn = geo.round(spGetGfn(state, sp, index), level);
    call = `${names.sptepFlush ?? 'kvm_flush_remote_tlbs_sptep'}(kvm, sptep) -> ${names.gfnFlush ?? 'kvm_flush_remote_tlbs_gfn'}(kvm, ${hex(gfn)}, ${level})`;
  }
  const anchor = tableGfn ? 'dropLargeFlush' : 'dropLargeFlushSptep';
  if (doFlush) {
    const rec = kvmFlushRemoteTlbsWithAddress(ctx, gfn, geo.pages(level), call);
    const removed = rec.removed.length ? `removed ${rec.removed.join(', ')}` : 'no TLB entry to remove';
    m.emit(op, { kind: 'flush', anchor, text: () => `${why}: ${call}${ctx.flushMode === 'bare-metal' ? ' (bare metal: a full flush)' : ''}; ${removed}` });
  } else {
    skipFlush(ctx, call, why, { gfn, pages: geo.pages(level) });
    m.emit(op, { kind: 'flush-skipped', anchor, text: `flush skipped: ${why}` });
  }
}
