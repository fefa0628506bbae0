/**
 * Who runs a step (the debugger's threads) and the kernel call path down to its statement (the
 * call stack). The model steps through some statements of some functions; the path from the
 * operation's entry point (the ioctl, the page fault, the mmu notifier) down to the function that
 * holds the step's statement is written here once, per kind of operation, as the v6.0 kernel calls
 * it. Frames the model has nothing to show in (indirect calls through ops tables, thin wrappers)
 * are left out: each frame calls the next directly or through such wrappers. docs/debugging.md
 * lists each path with the source it was checked against.
 */
import type { Step } from '../model/step';
import type { Scenario } from '../scenario/types';

export const IOCTL_THREAD = 1;
export const NOTIFIER_THREAD = 2;
/** vCPU n is thread VCPU_THREAD_BASE + n. */
export const VCPU_THREAD_BASE = 3;

export interface ActorThread {
  id: number;
  name: string;
}

/** The actors of a scenario: the VMM's ioctl caller, the mmu notifier, each vCPU; always in this order. */
export function actorThreads(scenario: Scenario): ActorThread[] {
  const out: ActorThread[] = [{ id: IOCTL_THREAD, name: 'ioctl caller (VMM)' }, { id: NOTIFIER_THREAD, name: 'mmu notifier' }];
  for (let v = 0; v < scenario.vcpus; v++) out.push({ id: VCPU_THREAD_BASE + v, name: `vCPU ${v}` });
  return out;
}

/** The operation kind a step belongs to ('resume' steps carry the index of the operation they continue). */
export function opKindOf(scenario: Scenario, step: Step): string {
  return step.op >= 0 ? scenario.operations[step.op]?.op ?? 'none' : 'none';
}

/** A vCPU's steps (its guest accesses, the faults they take, its root reloads) run on its thread; an invalidation on the notifier's; the rest are ioctls. */
export function threadOf(scenario: Scenario, step: Step): number {
  if (step.vcpu !== undefined) return VCPU_THREAD_BASE + step.vcpu;
  return opKindOf(scenario, step) === 'invalidate' ? NOTIFIER_THREAD : IOCTL_THREAD;
}

const SET_MEMORY_REGION = ['kvm_vm_ioctl', 'kvm_vm_ioctl_set_memory_region', 'kvm_set_memory_region', '__kvm_set_memory_region', 'kvm_set_memslot'];
const APPLY_FLAGS = [...SET_MEMORY_REGION, 'kvm_commit_memory_region', 'kvm_arch_commit_memory_region', 'kvm_mmu_slot_apply_flags'];
/** kvm_shadow_mmu_try_split_huge_pages() down to the flush __link_shadow_page() may issue. */
const SHADOW_SPLIT = ['kvm_shadow_mmu_try_split_huge_pages', 'slot_handle_level_range', 'shadow_mmu_try_split_huge_pages', 'shadow_mmu_try_split_huge_page', 'shadow_mmu_split_huge_page', '__link_shadow_page', 'drop_large_spte'];
const CLEAR_LOG = ['kvm_vm_ioctl', 'kvm_vm_ioctl_clear_dirty_log', 'kvm_clear_dirty_log_protect', 'kvm_arch_mmu_enable_log_dirty_pt_masked'];
const FAULT = ['kvm_mmu_page_fault', 'kvm_mmu_do_page_fault', 'FNAME(page_fault)', 'FNAME(fetch)'];

/** Per operation kind, the call paths its steps lie on, outermost first. */
export const CALL_PATHS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  access: [
    ['page walk'],
    [...FAULT, 'link_shadow_page', '__link_shadow_page', 'drop_large_spte'],
    [...FAULT, 'mmu_set_spte', 'make_spte'],
    ['vcpu_enter_guest'],
  ],
  'enable-dirty-logging': [
    [...APPLY_FLAGS, 'kvm_mmu_slot_try_split_huge_pages', ...SHADOW_SPLIT],
    [...APPLY_FLAGS, 'kvm_mmu_slot_remove_write_access', 'slot_handle_level', 'slot_handle_level_range', 'slot_rmap_write_protect'],
  ],
  'clear-dirty-log': [
    [...CLEAR_LOG, 'kvm_mmu_try_split_huge_pages', ...SHADOW_SPLIT],
    [...CLEAR_LOG, 'kvm_mmu_write_protect_pt_masked'],
  ],
  'get-dirty-log': [['kvm_vm_ioctl', 'kvm_vm_ioctl_get_dirty_log', 'kvm_get_dirty_log_protect']],
  invalidate: [
    ['kvm_mmu_notifier_invalidate_range_start', '__kvm_handle_hva_range', 'kvm_unmap_gfn_range', 'kvm_handle_gfn_range', 'kvm_zap_rmap', '__kvm_zap_rmap'],
    ['kvm_mmu_notifier_invalidate_range_end'],
  ],
  'delete-memslot': [
    [...SET_MEMORY_REGION, 'kvm_invalidate_memslot', 'kvm_arch_flush_shadow_memslot', 'kvm_mmu_zap_all_fast', 'kvm_zap_obsolete_pages', 'kvm_mmu_commit_zap_page'],
    // slotZap=memslot (KVM_X86_QUIRK_SLOT_ZAP_ALL disabled, v6.12 on). Its commit steps, in
    // kvm_mmu_commit_zap_page(), match the path above first: the paths are per operation, not per policy.
    [...SET_MEMORY_REGION, 'kvm_invalidate_memslot', 'kvm_arch_flush_shadow_memslot', 'kvm_mmu_zap_memslot', 'kvm_mmu_zap_memslot_pages_and_flush', 'kvm_mmu_remote_flush_or_zap'],
    [...SET_MEMORY_REGION, 'kvm_delete_memslot'],
  ],
};

/** The kernel functions from the operation's entry down to the one holding the step's statement (that one last). */
export function callStack(scenario: Scenario, step: Step): string[] {
  const fn = step.anchor.fn;
  for (const path of CALL_PATHS[opKindOf(scenario, step)] ?? []) {
    const at = path.indexOf(fn);
    if (at >= 0) return path.slice(0, at + 1);
  }
  // A function no path lists (a later era's form, a hardware or userspace step): on its own.
  return [fn];
}

/** Every function some step's stack may hold: what a function breakpoint can name. */
export function knownFunctions(): Set<string> {
  const out = new Set<string>();
  for (const paths of Object.values(CALL_PATHS)) for (const p of paths) for (const f of p) out.add(f);
  return out;
}
