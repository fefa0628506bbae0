/**
 * Rmap agreement: every present leaf SPTE of a live shadow page is in the rmap of the gfn
 * kvm_mmu_page_get_gfn() gives for it, and in no other. rmap_remove() looks only there, so a leaf
 * filed anywhere else (the 2026 reports: a reused direct SP whose leaf maps another gfn) will be
 * missed when its SP is zapped, and the entry will dangle once the SP is freed. Checked after every
 * step on the entries the step wrote (as structure.ts is); the cause is the step that filed the
 * entry, the ghost record KvmMmuPage.misfiled says which (docs/kernel-guest-tables.md section 5).
 */
import { hex } from '../kernel/geometry';
import { isLastSpte, SPTE_PRESENT } from '../kernel/spte';
import { gfnToIndex, gfnToMemslot, rmapSptes } from '../mmu/rmap';
import { spGetGfn } from '../mmu/shadow_page';
import type { MmuState } from '../model/state';
import type { SpteWrite } from '../model/step';

export interface RmapDisagreement {
  sptep: number;
  /** The gfn kvm_mmu_page_get_gfn() computes (where rmap_remove() will look). */
  gfn: number;
  /** Where the entry is filed, when the ghost record knows (else it is in no rmap). */
  filedGfn?: number;
  causeStep?: number;
  message: string;
}

function inRmapOf(state: MmuState, gfn: number, level: number, sptep: number): boolean {
  const slot = gfnToMemslot(state, gfn);
  return !!slot && rmapSptes(slot, level, gfnToIndex(state, gfn, slot.baseGfn, level)).includes(sptep);
}

/** The disagreements among the leaves a step wrote (present after it, in a live SP). */
export function checkRmapAgreement(state: MmuState, writes: readonly SpteWrite[]): RmapDisagreement[] {
  const out: RmapDisagreement[] = [];
  const e = state.geo.entries;
  for (const w of writes) {
    const sp = state.sps[w.sp];
    if (sp.freed) continue;
    const flags = sp.flags[w.index];
    if (!(flags & SPTE_PRESENT) || !isLastSpte(flags, sp.role.level)) continue;
    const sptep = w.sp * e + w.index;
    const gfn = spGetGfn(state, sp, w.index);
    const filed = sp.misfiled?.get(w.index);
    const where = `sp#${sp.id}[${w.index}] (${sp.role.direct ? 'direct' : 'indirect'}, level ${sp.role.level}, sp->gfn ${hex(sp.gfn)})`;
    if (filed && filed.gfn !== gfn) {
      out.push({
        sptep, gfn, filedGfn: filed.gfn, causeStep: filed.step,
        message: `${where} is filed in the rmap of gfn ${hex(filed.gfn)} (step ${filed.step}), but kvm_mmu_page_get_gfn() gives ${hex(gfn)}: rmap_remove() will look there and miss`,
      });
    } else if (!inRmapOf(state, gfn, sp.role.level, sptep)) {
      out.push({ sptep, gfn, message: `${where} is a leaf for gfn ${hex(gfn)} but not in its rmap` });
    }
  }
  return out;
}
