/**
 * Which locks each in-flight operation holds at each of its program counters, and which locks its
 * next step takes or waits for: one table, read from the kernel (docs/locking.md has it with the
 * kernel statements and the sources), that the scenario runner and the explorer both decide with.
 *
 * Four things are tracked:
 * - slots_lock: the mutex every memslot ioctl holds from its entry to its return
 *   (kvm_set_memory_region(), kvm_vm_ioctl_clear_dirty_log(), kvm_vm_ioctl_get_dirty_log());
 * - srcu: the kvm->srcu read side (a vCPU in vcpu_run(): a fault, the emulation of the guest's
 *   trapped store; the mmu notifier in __kvm_handle_hva_range()); readers never block each other,
 *   but synchronize_srcu_expedited() in the memslot update waits for every one;
 * - mmu_lock: every modelled holder takes it for write (write_lock(), KVM_MMU_LOCK() on x86); the
 *   TDP MMU's read_lock() sections in the same functions touch no shadow page and are not modelled;
 * - invalidation: an mmu-notifier invalidation between invalidate_range_start and
 *   invalidate_range_end (mn_active_invalidate_count raised): kvm_swap_active_memslots() does not
 *   install new memslots until every such invalidation has ended.
 * slots_lock and mmu_lock are exclusive; srcu and invalidation are held by any number at once and
 * only make the memslot update's first step wait.
 */
import type { MmuState } from '../model/state';
import type { OpFrame } from '../model/frames';

export type LockName = 'slots_lock' | 'srcu' | 'mmu_lock' | 'invalidation';

export const LOCK_NAMES: readonly LockName[] = ['slots_lock', 'srcu', 'mmu_lock', 'invalidation'];

/** Locks only one operation can hold at a time. */
const EXCLUSIVE: ReadonlySet<LockName> = new Set(['slots_lock', 'mmu_lock']);

export type OpKind = OpFrame['kind'];

export interface LockRow {
  kind: OpKind;
  /**
   * The frame's pc. Two refinements: `split:resched-lock` is a split (inside an ioctl) that has
   * dropped mmu_lock to top up its caches; `start:classic` / `start:manual` is KVM_GET_DIRTY_LOG's
   * first step without and with manual-protect.
   */
  at: string;
  /** Held while the operation stands here, before the step at `at` runs. */
  holds: readonly LockName[];
  /** Taken by the step at `at` (held by another, the step cannot run). */
  takes: readonly LockName[];
  /** Waited for by the step at `at` without being taken (held by another, the step cannot run). */
  waitsFor: readonly LockName[];
  /** The kernel function and statement of the step at `at` (v6.0 names; docs/locking.md has the later ones). */
  kernel: string;
}

const S: LockName = 'slots_lock';
const R: LockName = 'srcu';
const M: LockName = 'mmu_lock';
const I: LockName = 'invalidation';

function row(kind: OpKind, at: string, holds: LockName[], takes: LockName[], kernel: string, waitsFor: LockName[] = []): LockRow {
  return { kind, at, holds, takes, waitsFor, kernel };
}

/**
 * The table, in the order each operation's steps run. A pc an operation only passes through
 * within one step (the dirty-log loops' 'unlock', reached from 'word' in the same call) has no
 * row: no operation ever stands there.
 */
export const LOCK_TABLE: readonly LockRow[] = [
  row('fault', 'inject', [R], [], 'FNAME(page_fault): if (!r) { kvm_inject_emulated_page_fault(vcpu, &walker.fault); return RET_PF_RETRY; } (the guest walk failed; no mmu_lock)'),
  row('fault', 'lock', [R], [M], 'FNAME(page_fault): write_lock(&vcpu->kvm->mmu_lock); (vcpu_run() runs within kvm->srcu)'),
  row('fault', 'walk', [R, M], [], 'FNAME(fetch): kvm_mmu_get_child_sp(), link_shadow_page(), mmu_set_spte()'),
  row('fault', 'flush', [R, M], [], 'link_shadow_page() -> __link_shadow_page(..., true): the flush of the dropped huge SPTE'),
  row('fault', 'link', [R, M], [], '__link_shadow_page(): mmu_spte_set(sptep, spte);'),
  row('fault', 'unlock', [R, M], [], 'FNAME(page_fault): write_unlock(&vcpu->kvm->mmu_lock);'),

  row('enable-dirty-logging', 'flags', [], [S], 'kvm_set_memory_region(): mutex_lock(&kvm->slots_lock); kvm_set_memslot() -> kvm_swap_active_memslots(): waits while kvm->mn_active_invalidate_count, then synchronize_srcu_expedited(&kvm->srcu); kvm_commit_memory_region()', [I, R]),
  row('enable-dirty-logging', 'init-set', [S], [], 'kvm_mmu_slot_apply_flags(): if (kvm_dirty_log_manual_protect_and_init_set(kvm)) return;'),
  row('enable-dirty-logging', 'split-lock', [S], [M], 'kvm_mmu_slot_try_split_huge_pages(): if (kvm_memslots_have_rmaps(kvm)) write_lock(&kvm->mmu_lock);'),
  row('enable-dirty-logging', 'split', [S, M], [], 'kvm_shadow_mmu_try_split_huge_pages() .. __link_shadow_page(); write_unlock(&kvm->mmu_lock); at the end'),
  row('enable-dirty-logging', 'split:resched-lock', [S], [M], 'shadow_mmu_try_split_huge_page(): topup_split_caches() (asserts slots_lock), write_lock(&kvm->mmu_lock);'),
  row('enable-dirty-logging', 'wp-lock', [S], [M], 'kvm_mmu_slot_remove_write_access(): write_lock(&kvm->mmu_lock);'),
  row('enable-dirty-logging', 'wp', [S, M], [], 'slot_handle_level(kvm, memslot, slot_rmap_write_protect, ...)'),
  row('enable-dirty-logging', 'wp-unlock', [S, M], [], 'kvm_mmu_slot_remove_write_access(): write_unlock(&kvm->mmu_lock);'),
  row('enable-dirty-logging', 'wp-flush', [S], [], 'kvm_arch_flush_remote_tlbs_memslot() (asserts slots_lock), outside mmu_lock'),
  row('enable-dirty-logging', 'end', [S], [], 'kvm_set_memory_region(): mutex_unlock(&kvm->slots_lock);'),

  row('clear-dirty-log', 'lock', [], [S, M], 'kvm_vm_ioctl_clear_dirty_log(): mutex_lock(&kvm->slots_lock); kvm_clear_dirty_log_protect(): KVM_MMU_LOCK(kvm);'),
  row('clear-dirty-log', 'word', [S, M], [], 'kvm_clear_dirty_log_protect(): mask &= atomic_long_fetch_andnot(mask, p); kvm_arch_mmu_enable_log_dirty_pt_masked(); after the last word KVM_MMU_UNLOCK(kvm);'),
  row('clear-dirty-log', 'split-start', [S, M], [], 'kvm_arch_mmu_enable_log_dirty_pt_masked(): kvm_mmu_try_split_huge_pages() with mmu_lock held (it takes none)'),
  row('clear-dirty-log', 'split', [S, M], [], 'kvm_shadow_mmu_try_split_huge_pages() .. __link_shadow_page()'),
  row('clear-dirty-log', 'split:resched-lock', [S], [M], 'shadow_mmu_try_split_huge_page(): topup_split_caches() (asserts slots_lock), write_lock(&kvm->mmu_lock);'),
  row('clear-dirty-log', 'wp', [S, M], [], 'kvm_mmu_slot_gfn_write_protect(), kvm_mmu_write_protect_pt_masked()'),
  row('clear-dirty-log', 'flush', [S], [], 'kvm_clear_dirty_log_protect(): if (flush) kvm_arch_flush_remote_tlbs_memslot(kvm, memslot);'),
  row('clear-dirty-log', 'end', [S], [], 'kvm_vm_ioctl_clear_dirty_log(): mutex_unlock(&kvm->slots_lock);'),

  row('get-dirty-log', 'start:classic', [], [S, M], 'kvm_vm_ioctl_get_dirty_log(): mutex_lock(&kvm->slots_lock); kvm_get_dirty_log_protect(): KVM_MMU_LOCK(kvm);'),
  row('get-dirty-log', 'start:manual', [], [S], 'kvm_vm_ioctl_get_dirty_log(): mutex_lock(&kvm->slots_lock); kvm_get_dirty_log_protect(): manual_dirty_log_protect, the bitmap is copied out without mmu_lock'),
  row('get-dirty-log', 'word', [S, M], [], 'kvm_get_dirty_log_protect(): mask = xchg(&dirty_bitmap[i], 0); kvm_arch_mmu_enable_log_dirty_pt_masked(); after the last word KVM_MMU_UNLOCK(kvm);'),
  row('get-dirty-log', 'flush', [S], [], 'kvm_get_dirty_log_protect(): if (flush) kvm_arch_flush_remote_tlbs_memslot(kvm, memslot);'),
  row('get-dirty-log', 'end', [S], [], 'kvm_vm_ioctl_get_dirty_log(): mutex_unlock(&kvm->slots_lock);'),

  row('delete-memslot', 'slots-lock', [], [S], 'kvm_set_memory_region(): mutex_lock(&kvm->slots_lock);'),
  row('delete-memslot', 'invalidate', [S], [], 'kvm_invalidate_memslot(): kvm_swap_active_memslots(): waits while kvm->mn_active_invalidate_count, then synchronize_srcu_expedited(&kvm->srcu)', [I, R]),
  row('delete-memslot', 'zap-lock', [S], [M], 'kvm_arch_flush_shadow_memslot() -> kvm_mmu_zap_all_fast() (slotZap=memslot: kvm_mmu_zap_memslot()): write_lock(&kvm->mmu_lock);'),
  row('delete-memslot', 'unmap', [S, M], [], 'kvm_mmu_zap_memslot(): flush = kvm_unmap_gfn_range(kvm, &range); (slotZap=memslot)'),
  row('delete-memslot', 'slot-zap', [S, M], [], 'kvm_mmu_zap_memslot_pages_and_flush(): kvm_mmu_prepare_zap_page(kvm, sp, &invalid_list); (slotZap=memslot)'),
  row('delete-memslot', 'remote-flush', [S, M], [], 'kvm_mmu_remote_flush_or_zap(): kvm_flush_remote_tlbs(kvm); when the list is empty and a flush is owed (slotZap=memslot)'),
  row('delete-memslot', 'gen', [S, M], [], 'kvm_mmu_zap_all_fast(): kvm->arch.mmu_valid_gen toggled; kvm_make_all_cpus_request(kvm, KVM_REQ_MMU_FREE_OBSOLETE_ROOTS);'),
  row('delete-memslot', 'zap', [S, M], [], 'kvm_zap_obsolete_pages(): __kvm_mmu_prepare_zap_page()'),
  row('delete-memslot', 'commit-flush', [S, M], [], 'kvm_mmu_commit_zap_page(): kvm_flush_remote_tlbs(kvm);'),
  row('delete-memslot', 'commit-free', [S, M], [], 'kvm_mmu_commit_zap_page(): kvm_mmu_free_shadow_page(sp);'),
  row('delete-memslot', 'zap-unlock', [S, M], [], 'kvm_mmu_zap_all_fast() (slotZap=memslot: kvm_mmu_zap_memslot()): write_unlock(&kvm->mmu_lock);'),
  row('delete-memslot', 'delete', [S], [], 'kvm_delete_memslot(): kvm_activate_memslot(kvm, invalid_slot, NULL) (kvm_swap_active_memslots() waits as above); kvm_free_memslot()', [I, R]),
  row('delete-memslot', 'slots-unlock', [S], [], 'kvm_set_memory_region(): mutex_unlock(&kvm->slots_lock);'),

  row('guest-table-write', 'write', [], [], 'no KVM code: the VMM (or a device) stores to guest memory through its own mapping; no lock, no trap (KVM reads the entry at the next guest walk)'),
  row('guest-table-write', 'guest:trap', [], [], 'the guest\'s store: to a gfn that is not write-tracked, a plain store; to a write-tracked one, kvm_mmu_page_fault(): x86_emulate_instruction()'),
  row('guest-table-write', 'guest:write', [R], [], 'emulator_write_phys(): kvm_vcpu_write_guest(vcpu, gpa, val, bytes); (no lock)'),
  row('guest-table-write', 'guest:lock', [R], [M], 'kvm_page_track_write() -> kvm_mmu_pte_write() (kvm_mmu_track_write() in mainline): write_lock(&vcpu->kvm->mmu_lock);'),
  row('guest-table-write', 'guest:zap', [R, M], [], 'for_each_gfn_valid_sp_with_gptes(): mmu_page_zap_pte(vcpu->kvm, sp, spte, NULL);'),
  row('guest-table-write', 'guest:flush', [R, M], [], 'kvm_mmu_remote_flush_or_zap(vcpu->kvm, &invalid_list, flush);'),
  row('guest-table-write', 'guest:unlock', [R, M], [], 'write_unlock(&vcpu->kvm->mmu_lock);'),

  row('invalidate', 'lock', [], [M], 'kvm_mmu_notifier_invalidate_range_start(): kvm->mn_active_invalidate_count++; __kvm_handle_hva_range(): srcu_read_lock(&kvm->srcu); KVM_MMU_LOCK(kvm); on_lock()'),
  row('invalidate', 'zap', [R, M, I], [], 'kvm_unmap_gfn_range() -> kvm_handle_gfn_range(kvm, range, kvm_zap_rmap) -> __kvm_zap_rmap()'),
  row('invalidate', 'flush', [R, M, I], [], '__kvm_handle_hva_range(): if (range->flush_on_ret && ret) kvm_flush_remote_tlbs(kvm);'),
  row('invalidate', 'unlock', [R, M, I], [], '__kvm_handle_hva_range(): KVM_MMU_UNLOCK(kvm); srcu_read_unlock(&kvm->srcu, idx);'),
  row('invalidate', 'free', [I], [M], 'kvm_mmu_notifier_invalidate_range_end(): __kvm_handle_hva_range() with on_lock() under KVM_MMU_LOCK(kvm), then --kvm->mn_active_invalidate_count; the host frees the pages'),
];

const BY_KEY = new Map(LOCK_TABLE.map((r) => [`${r.kind}/${r.at}`, r]));

/** Where a frame stands, as a key of the table. */
export function lockPoint(f: OpFrame, state: MmuState): string {
  if ((f.kind === 'enable-dirty-logging' || f.kind === 'clear-dirty-log') && f.pc === 'split' && f.split?.pc === 'resched-lock') return 'split:resched-lock';
  if (f.kind === 'get-dirty-log' && f.pc === 'start') return state.memslots[f.slot].manualProtect ? 'start:manual' : 'start:classic';
  if (f.kind === 'guest-table-write' && f.by === 'guest') return `guest:${f.pc}`;
  return f.pc;
}

/** The table's row for where a frame stands. */
export function lockRow(f: OpFrame, state: MmuState): LockRow {
  const r = BY_KEY.get(`${f.kind}/${lockPoint(f, state)}`);
  if (!r) throw new Error(`internal: no lock row for ${f.kind} at ${lockPoint(f, state)}`);
  return r;
}

const NONE: readonly LockName[] = [];

/** What the operation holds between its steps (nothing once it is done). */
export function held(f: OpFrame, state: MmuState): readonly LockName[] {
  return f.done ? NONE : lockRow(f, state).holds;
}

export function holdsLock(f: OpFrame, state: MmuState, lock: LockName): boolean {
  return held(f, state).includes(lock);
}

/** Why an operation's next step cannot run now: the lock, who has it, and the kernel's reason. */
export interface Blocker {
  lock: LockName;
  holder: OpFrame;
  reason: string;
}

const IOCTL: Partial<Record<OpKind, string>> = {
  'enable-dirty-logging': 'KVM_SET_USER_MEMORY_REGION',
  'clear-dirty-log': 'KVM_CLEAR_DIRTY_LOG',
  'get-dirty-log': 'KVM_GET_DIRTY_LOG',
  'delete-memslot': 'KVM_SET_USER_MEMORY_REGION',
};

function who(f: OpFrame): string {
  const ioctl = IOCTL[f.kind];
  return ioctl ? `${f.label} (${ioctl})` : f.label;
}

function reason(lock: LockName, next: OpFrame, holder: OpFrame, holderRow: LockRow, nextRow: LockRow): string {
  switch (lock) {
    case 'slots_lock':
      return `${who(holder)} holds slots_lock from its entry until it returns, and ${who(next)} takes it too (${nextRow.kernel.split(';')[0]}): two memslot ioctls never overlap`;
    case 'mmu_lock':
      return `${who(holder)} holds mmu_lock for write (since ${lastTaker(holder, holderRow)}), and the next step of ${who(next)} takes it (${nextRow.kernel})`;
    case 'invalidation':
      return `${who(holder)} is between invalidate_range_start and invalidate_range_end (kvm->mn_active_invalidate_count is raised), and kvm_swap_active_memslots() does not install the new memslots until it is 0`;
    case 'srcu':
      return `${who(holder)} is inside a kvm->srcu read-side section, and the memslot update's synchronize_srcu_expedited(&kvm->srcu) waits for it`;
  }
}

/** The step of `f` that took mmu_lock, for the message. */
function lastTaker(f: OpFrame, at: LockRow): string {
  const rows = LOCK_TABLE.filter((r) => r.kind === f.kind);
  const upTo = rows.slice(0, rows.indexOf(at) + 1);
  const taker = [...upTo].reverse().find((r) => r.takes.includes('mmu_lock'));
  return taker ? taker.kernel : at.kernel;
}

/**
 * Whether `next`'s next step may run while `others` stand where they are: null if it may, else
 * the first lock in its way. Exclusive locks block when another holds them; srcu and the
 * invalidation window block only the steps that wait for them (the memslot update).
 */
export function blockedBy(next: OpFrame, others: Iterable<OpFrame>, state: MmuState): Blocker | null {
  const nr = lockRow(next, state);
  const wants = [...nr.takes, ...nr.waitsFor];
  if (wants.length === 0) return null;
  for (const o of others) {
    if (o === next || o.done) continue;
    const or = lockRow(o, state);
    for (const lock of wants) {
      if (or.holds.includes(lock)) return { lock, holder: o, reason: reason(lock, next, o, or, nr) };
    }
  }
  return null;
}

/** Whether two operations can stand where they are at the same time: no exclusive lock held by both. */
export function mayCoexist(a: OpFrame, b: OpFrame, state: MmuState): boolean {
  const ha = held(a, state);
  return !held(b, state).some((l) => EXCLUSIVE.has(l) && ha.includes(l));
}

/** The table as Markdown (docs/locking.md holds this text; test/unit/locks.test.ts checks it). */
export function lockTableMarkdown(): string {
  const cell = (ls: readonly LockName[]) => (ls.length ? ls.map((l) => `\`${l}\``).join(', ') : '-');
  const lines = ['| operation | at | holds | the step takes | the step waits for | kernel (v6.0 names) |', '|---|---|---|---|---|---|'];
  for (const r of LOCK_TABLE) lines.push(`| ${r.kind} | \`${r.at}\` | ${cell(r.holds)} | ${cell(r.takes)} | ${cell(r.waitsFor)} | ${r.kernel.replace(/\|/g, '\\|')} |`);
  return lines.join('\n');
}
