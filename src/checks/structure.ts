/**
 * Structural sanity (leaf <=> rmap is checks/rmap_agreement.ts's): parent_ptes <=> non-leaf SPTEs, the hash <=> live SPs,
 * no SP reachable at two levels. `auditStructure` checks the whole state; `checkWrites` checks only
 * the entries a step wrote, which is what runs after every step at full scale.
 */
import { gfnToMemslot, gfnToIndex, rmapSptes } from '../mmu/rmap';
import { spGetGfn, spHashKey } from '../mmu/shadow_page';
import type { MmuState } from '../model/state';
import { isLastSpte, SPTE_PRESENT } from '../kernel/spte';
import type { SpteWrite } from '../model/step';
import { checkRmapAgreement } from './rmap_agreement';

function rmapHas(state: MmuState, gfn: number, level: number, sptep: number): boolean {
  const slot = gfnToMemslot(state, gfn);
  if (!slot) return false;
  return rmapSptes(slot, level, gfnToIndex(state, gfn, slot.baseGfn, level)).includes(sptep);
}

/** Problems with one SPTE, as sentences; empty when it is consistent. */
function checkEntry(state: MmuState, spId: number, index: number): string[] {
  const sp = state.sps[spId];
  const level = sp.role.level;
  const f = sp.flags[index];
  const sptep = spId * state.geo.entries + index;
  const where = `sp#${spId}[${index}] (level ${level})`;
  if (!(f & SPTE_PRESENT)) return [];
  // A leaf's rmap entry is rmap_agreement.ts's to check, with the step that filed it.
  if (isLastSpte(f, level)) return [];
  const child = state.sps[sp.target[index]];
  const out: string[] = [];
  if (!child || child.freed) out.push(`${where} points at a freed or missing SP`);
  else {
    if (!child.parentPtes.includes(sptep)) out.push(`${where} points at sp#${child.id} but is not in its parent_ptes`);
    if (child.role.level !== level - 1) out.push(`${where} points at sp#${child.id} of level ${child.role.level}, expected ${level - 1}`);
  }
  return out;
}

export function checkWrites(state: MmuState, writes: readonly SpteWrite[]): string[] {
  const out: string[] = [];
  for (const w of writes) {
    out.push(...checkEntry(state, w.sp, w.index));
    const sptep = w.sp * state.geo.entries + w.index;
    const wasLeaf = (w.oldFlags & SPTE_PRESENT) && isLastSpte(w.oldFlags, w.level);
    const isLeaf = (w.newFlags & SPTE_PRESENT) && isLastSpte(w.newFlags, w.level);
    if (wasLeaf && !isLeaf) {
      const gfn = spGetGfn(state, state.sps[w.sp], w.index);
      if (rmapHas(state, gfn, w.level, sptep)) out.push(`sp#${w.sp}[${w.index}] was zapped but is still in the rmap of gfn 0x${gfn.toString(16)}`);
    }
  }
  return out;
}

export function auditStructure(state: MmuState): string[] {
  const out: string[] = [];
  const e = state.geo.entries;
  let leaves = 0;
  for (const sp of state.sps) {
    if (sp.freed) continue;
    // An invalid SP (zapped, a root still in use) has left the hash's lookups: role.invalid never matches.
    if (!sp.invalid && state.hash.get(spHashKey(sp.gfn, sp.role)) !== sp.id) out.push(`sp#${sp.id} is live but not in the hash`);
    for (let i = 0; i < e; i++) {
      out.push(...checkEntry(state, sp.id, i));
      if ((sp.flags[i] & SPTE_PRESENT) && isLastSpte(sp.flags[i], sp.role.level)) {
        leaves++;
        const f = sp.flags[i];
        for (const d of checkRmapAgreement(state, [{ sp: sp.id, index: i, level: sp.role.level, oldFlags: f, oldTarget: 0, newFlags: f, newTarget: sp.target[i] }])) out.push(d.message);
      }
    }
    for (const p of sp.parentPtes) {
      const parent = state.sps[Math.floor(p / e)];
      if (parent.target[p % e] !== sp.id || !(parent.flags[p % e] & SPTE_PRESENT) || isLastSpte(parent.flags[p % e], parent.role.level)) {
        out.push(`sp#${sp.id} lists parent pte sp#${parent.id}[${p % e}] that does not point at it`);
      }
    }
  }
  let rmapped = 0;
  for (const slot of state.memslots) {
    for (let level = 1; level <= 3; level++) {
      const r = slot.rmap[level];
      for (let i = 0; i < r.head.length; i++) if (r.head[i]) rmapped += 1 + (r.more.get(i)?.length ?? 0);
    }
  }
  if (rmapped !== leaves) out.push(`rmaps hold ${rmapped} SPTEs but the tables hold ${leaves} leaves`);
  for (const [key, id] of state.hash) {
    const sp = state.sps[id];
    if (!sp || sp.freed || spHashKey(sp.gfn, sp.role) !== key) out.push(`hash entry ${key} names sp#${id}, which is not live under that key`);
  }
  return out;
}
