/**
 * KVM_REQ_MMU_FREE_OBSOLETE_ROOTS, served before the vCPU next enters the guest
 * (vcpu_enter_guest(): kvm_mmu_free_obsolete_roots()): a root that is obsolete (invalid, or of
 * an older mmu_valid_gen) is dropped (mmu_free_root_page(): --root_count, and at 0 an invalid root
 * is zapped and committed: flush, free), then kvm_mmu_load() allocates the root afresh from the
 * hash and flushes the vCPU's own TLB. The model's roots are shared by its vCPUs (one root_count
 * for them all): the first vCPU to reload replaces the root, the others only flush their TLB.
 */
import { hex, type Level } from '../kernel/geometry';
import { ACC_ALL } from '../kernel/spte';
import { getShadowPage } from '../mmu/shadow_page';
import { commitZapFlush, commitZapFree, prepareZapPage } from '../mmu/zap';
import type { Machine } from '../machine/machine';
import type { OpFrame } from '../model/frames';

export function reloadRoots(m: Machine, op: OpFrame | null, vcpu: number): void {
  const state = m.state;
  const said: string[] = [];
  state.vcpus[vcpu].reloadPending = false;
  for (const root of state.roots) {
    const old = state.sps[root.spId];
    if (!old.invalid && old.mmuValidGen === state.mmuValidGen) continue;
    old.rootCount = Math.max(0, old.rootCount - 1);
    let freed = '';
    if (old.rootCount === 0) {
      const list: number[] = [];
      if (!old.invalid) prepareZapPage(m.ctx, old, list);
      else if (!old.freed) list.push(old.id);
      if (commitZapFlush(m.ctx, list)) freed = `, zapped and freed (kvm_mmu_commit_zap_page(): flush, free sp#${commitZapFree(m.ctx, list).join(', sp#')})`;
    }
    const { sp, reused } = getShadowPage(m.ctx, root.guestTableGfn, { level: 4 as Level, direct: false, access: ACC_ALL }, root.name);
    sp.rootCount++;
    root.spId = sp.id;
    said.push(`root ${root.name}: sp#${old.id} dropped${freed}; kvm_mmu_load() ${reused ? 'finds' : 'allocates'} sp#${sp.id} for gfn ${hex(root.guestTableGfn)}`);
  }
  // kvm_mmu_load(): a local TLB flush with the new root.
  state.vcpus[vcpu].tlb = [];
  m.emit(op, {
    kind: 'root-reload', anchor: 'freeObsoleteRoots', vcpu,
    text: `vCPU ${vcpu} serves KVM_REQ_MMU_FREE_OBSOLETE_ROOTS before entering the guest: kvm_mmu_free_obsolete_roots(); ${said.length ? said.join('; ') : 'its roots were replaced already'}; its TLB is flushed with the new root`,
  });
}
