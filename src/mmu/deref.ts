/**
 * Every walk of an rmap (the mmu notifier's zap, write-protection for dirty logging, clearing
 * dirty bits, the eager split's search) follows each entry to its SPTE: a pointer into the
 * `spt` page of some shadow page (sptep_to_sp()). The kernel cannot tell that page was freed; the
 * model can, and reports the shadow-page use-after-free here, once per walk step and entry, naming
 * the step that filed the entry and the step that freed its SP. What the kernel then reads is
 * whatever the freed page holds: the model does not reuse freed SP pages, so it reads the SPTE
 * the zap cleared, and the walker skips it (for_each_rmap_spte()'s WARN_ON_ONCE on a non-present
 * SPTE in the era of SNEXT).
 */
import { hex } from '../kernel/geometry';
import { sptepIndex, sptepSp, type KvmMmuPage, type Sptep } from '../model/state';
import type { Violation } from '../model/step';
import type { MmuContext } from './context';

/**
 * sptep_to_sp(sptep) for an rmap walker `who` ("kvm_zap_rmap()"): the SP when it is live, else
 * null after reporting the use-after-free.
 */
export function derefRmapSpte(ctx: MmuContext, sptep: Sptep, who: string): KvmMmuPage | null {
  const state = ctx.state;
  const sp = state.sps[sptepSp(state, sptep)];
  if (!sp.freed) return sp;
  const index = sptepIndex(state, sptep);
  const filed = sp.misfiled?.get(index);
  const filedText = filed ? `the entry was filed under gfn ${hex(filed.gfn)} at step ${filed.step}` : 'the entry was left in the rmap';
  const v: Violation = {
    kind: 'sp-use-after-free', vcpu: -1, gfn: filed?.gfn ?? -1, step: ctx.stepIndex, freedStep: sp.freedAt,
    message: `${who} follows an rmap entry to sp#${sp.id}[${index}], an SPTE of a shadow page freed at step ${sp.freedAt} (kvm_mmu_commit_zap_page()): ${filedText}, and the walk reads and writes freed memory`,
  };
  if (filed) v.causeStep = filed.step;
  ctx.violate?.(v, `sp-uaf:${sptep}:${ctx.stepIndex}`);
  return null;
}
