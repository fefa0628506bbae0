/**
 * What a search reached: the preconditions of the hazards the explorer looks for, each recorded by
 * both engines when a transition exhibits it (packed/model.ts sets the bits where the step happens,
 * model.ts reads them off the core's steps). A clean result is only as good as its bound: one that
 * never reached "a reused child had a present non-leaf entry" cannot have met the seed's hazard,
 * whatever the variant does. docs/explorer.md, "What a clean bound could not reach", has why each
 * one is on the list.
 */
import { linkZapsAndFlushes, unknownPolicy, type Variant } from '../kernel/variants';

/** Bits of a reached-goals mask, in the order they are reported. */
export const G_SPLIT = 1;
export const G_FAULT_IN_WINDOW = 2;
export const G_REUSED = 4;
export const G_REUSED_NONLEAF = 8;
export const G_FLUSH_SKIPPED = 16;
export const G_STALE_ENTRY = 32;
export const G_STALE_ACCESS = 64;
/** The guest-tables scope's goals (scope_guest_tables.ts). */
export const G_GUEST_TABLE_CHANGED = 128;
export const G_CHILD_MISMATCH = 256;

export type GoalId =
  | 'eager-split'
  | 'fault-in-split-window'
  | 'reused-child'
  | 'reused-child-present-nonleaf'
  | 'split-flush-skipped'
  | 'stale-tlb-entry'
  | 'access-through-stale-entry'
  | 'guest-table-changed'
  | 'linked-child-mismatch';

interface Goal {
  id: GoalId;
  bit: number;
  text: string;
  /** The scope whose searches can reach it (the split scope's unless said). */
  scope?: 'guest-tables';
}

export const GOALS: readonly Goal[] = [
  { id: 'eager-split', bit: G_SPLIT, text: 'an eager split replaced a huge SPTE by a child table (shadow_mmu_split_huge_page)' },
  { id: 'fault-in-split-window', bit: G_FAULT_IN_WINDOW, text: 'a fault ran while an eager split had dropped mmu_lock (need_topup_split_caches_or_resched)' },
  { id: 'reused-child', bit: G_REUSED, text: 'a split reused a child SP from the hash (shadow_mmu_get_sp_for_split found one)' },
  { id: 'reused-child-present-nonleaf', bit: G_REUSED_NONLEAF, text: 'a reused child had a present non-leaf entry: it mapped less than the huge page (the seed\'s hazard\'s precondition)' },
  { id: 'split-flush-skipped', bit: G_FLUSH_SKIPPED, text: 'a split skipped the flush in drop_large_spte()' },
  { id: 'stale-tlb-entry', bit: G_STALE_ENTRY, text: 'a vCPU\'s TLB held a translation its root no longer mapped' },
  { id: 'access-through-stale-entry', bit: G_STALE_ACCESS, text: 'a guest access went through a TLB entry its root no longer mapped' },
  { id: 'guest-table-changed', bit: G_GUEST_TABLE_CHANGED, scope: 'guest-tables', text: 'the VMM changed a guest page-table entry behind KVM\'s back (an untrapped write)' },
  { id: 'linked-child-mismatch', bit: G_CHILD_MISMATCH, scope: 'guest-tables', text: 'a fault met a present link to a child of another gfn or role than its walk asked for (kvm_mmu_get_child_sp()\'s -EEXIST test decides)' },
];

/** One goal in a result: whether some transition of the search reached it. */
export interface GoalReach {
  goal: GoalId;
  reached: boolean;
  text: string;
}

/** The variant never skips the split's flush: that goal does not apply to it. */
function alwaysFlushes(v: Variant): boolean {
  if (linkZapsAndFlushes(v)) return true;
  switch (v.splitFlush) {
    case 'always': return true;
    case 'present-nonleaf': case 'reused': case 'never': return false;
    default: return unknownPolicy('splitFlush', v.splitFlush);
  }
}

/** The goals that apply to a variant in a scope, each with whether `mask` has it. */
export function goalReport(variant: Variant, mask: number, scope: 'split' | 'guest-tables' = 'split'): GoalReach[] {
  return GOALS.filter((g) => (g.scope ?? 'split') === scope)
    .filter((g) => g.id !== 'split-flush-skipped' || !alwaysFlushes(variant))
    .map((g) => ({ goal: g.id, reached: (mask & g.bit) !== 0, text: g.text }));
}

/** The goals of a result not reached, in report order. */
export function unreached(goals: readonly GoalReach[] | undefined): GoalReach[] {
  return (goals ?? []).filter((g) => !g.reached);
}
