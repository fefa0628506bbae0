/**
 * rmap_remove() that misses: kvm_mmu_page_get_gfn() names a gfn whose rmap does not hold the SPTE
 * (the SPTE was filed under another gfn, which the kernel cannot know). pte_list_remove()'s
 * report, as the era writes it (docs/kernel-guest-tables.md section 5):
 * - bug (v6.0, v6.3): pr_err() and BUG(): the host oopses holding mmu_lock; the run ends there.
 * - warn (mainline-2026): KVM_BUG_ON_DATA_CORRUPTION() with CONFIG_BUG_ON_DATA_CORRUPTION=n:
 *   WARN_ON_ONCE(), kvm_vm_bugged() (the VM is dead), the rmap is left as it is and the caller
 *   goes on; with CONFIG_BUG_ON_DATA_CORRUPTION=y (bugOnDataCorruption) it is a BUG_ON().
 * A computed gfn in no memslot is worse in every era: gfn_to_rmap() dereferences the NULL memslot.
 */
import { hex } from '../kernel/geometry';
import type { Sptep } from '../model/state';
import { ctxEra, type MmuContext } from './context';
import type { Violation } from '../model/step';

export type MissOutcome = 'oops' | 'warn';

/** How the era (and the run's CONFIG_BUG_ON_DATA_CORRUPTION) treats a miss. */
export function missOutcome(ctx: MmuContext): MissOutcome {
  const era = ctxEra(ctx);
  switch (era.rmapMiss) {
    case 'bug': return 'oops';
    case 'warn': return ctx.bugOnDataCorruption ? 'oops' : 'warn';
    default: {
      const unknown: never = era.rmapMiss;
      throw new Error(`internal: unknown rmapMiss ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Which of pte_list_remove()'s three misses it is, by what the rmap holds: an empty rmap (the first
 * test, on the rmap value), a single entry that is another SPTE (the second), or a descriptor list
 * walked to its end without it (the third). Each is one KVM_BUG_ON_DATA_CORRUPTION() in
 * mainline-2026 and one pr_err() + BUG() in v6.0/v6.3; the outcome is the same for all three.
 */
function missCase(held: number): string {
  if (held === 0) return 'it is empty: the first of pte_list_remove()\'s three tests';
  if (held === 1) return 'its single entry is another SPTE: the second test';
  return `its list of ${held} entries ends without it: the third test`;
}

/**
 * Report the miss of `sptep` (sp `spId`, entry `index`) in the rmap of `gfn` (null: no memslot
 * holds it). `filed`: where and when the ghost state says the SPTE was filed, when it was filed elsewhere.
 */
export function reportRmapMiss(ctx: MmuContext, sptep: Sptep, spId: number, index: number, gfn: number, hasSlot: boolean, filed: { gfn: number; step: number } | undefined, held = 0): void {
  const state = ctx.state;
  const where = `sp#${spId}[${index}]`;
  const elsewhere = filed ? `; it was filed under gfn ${hex(filed.gfn)} at step ${filed.step}` : '';
  const outcome = hasSlot ? missOutcome(ctx) : 'oops';
  const report = !hasSlot
    ? `gfn ${hex(gfn)} is in no memslot: gfn_to_rmap() dereferences a NULL memslot (host oops)`
    : outcome === 'oops'
      ? ctxEra(ctx).rmapMiss === 'bug'
        ? 'pte_list_remove(): pr_err() and BUG(): kernel BUG at pte_list_remove, the host oopses holding mmu_lock'
        : 'pte_list_remove(): KVM_BUG_ON_DATA_CORRUPTION() with CONFIG_BUG_ON_DATA_CORRUPTION=y is a BUG_ON(): the host oopses holding mmu_lock'
      : 'pte_list_remove(): KVM_BUG_ON_DATA_CORRUPTION(): WARN_ON_ONCE(), kvm_vm_bugged() (the VM is dead: its vCPUs and ioctls get -EIO); the rmap is left as it is and the zap goes on';
  const message = `rmap_remove(${where}): kvm_mmu_page_get_gfn() gives gfn ${hex(gfn)}, whose rmap does not hold the SPTE${hasSlot ? ` (${missCase(held)})` : ''}${elsewhere}; ${report}`;
  const v: Violation = { kind: 'data-corruption', vcpu: -1, gfn, step: ctx.stepIndex, message };
  if (filed) v.causeStep = filed.step;
  ctx.violate?.(v, `data-corruption:${sptep}:${ctx.stepIndex}`);
  if (outcome === 'oops') {
    if (!state.hostOops) state.hostOops = { step: ctx.stepIndex, message: report };
  } else if (state.vmBuggedAt < 0) {
    state.vmBuggedAt = ctx.stepIndex;
  }
}
