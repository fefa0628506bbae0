/**
 * What every modelled kernel function is handed: the state, the variant being run, the flush mode
 * of the host, and the draft of the step being recorded.
 */
import type { MmuState } from '../model/state';
import type { Variant } from '../kernel/variants';
import { type Era, type EraNames } from '../kernel/eras';
import { eraOf } from '../kernel/variants';
import type { FlushRecord, SpteWrite, Violation } from '../model/step';
import { SubtreeCache } from './subtree';
import type { FlushMode } from '../model/modes';

/**
 * bare-metal: kvm_flush_remote_tlbs_with_address() falls back to a full flush.
 * range: a range-capable remote flush (Hyper-V enlightenment) removes only the entries whose gfn
 * range meets [gfn, gfn + pages).
 */

export interface StepDraft {
  writes: SpteWrite[];
  writeCount: number;
  flush?: FlushRecord;
  tlbFilled?: string;
  violations: Violation[];
}

export function emptyDraft(): StepDraft {
  return { writes: [], writeCount: 0, violations: [] };
}

export interface MmuContext {
  state: MmuState;
  variant: Variant;
  /** The kernel the steps follow (eraOf(variant), set by the Machine): its function names go into every step. */
  era?: Era;
  flushMode: FlushMode;
  /** Record each SPTE write in the step (off for benchmarks at full scale). */
  recordWrites: boolean;
  draft: StepDraft;
  /** Index the step being built will have. */
  stepIndex: number;
  cache: SubtreeCache;
  /** Report a violation found inside a kernel function (rmap_remove()'s miss, an rmap walk into a freed SP); the Machine sets it. */
  violate?: (v: Violation, key: string) => void;
  /**
   * CONFIG_BUG_ON_DATA_CORRUPTION=y: KVM_BUG_ON_DATA_CORRUPTION() is a BUG_ON(), so an rmapMiss=warn
   * era oopses as the bug eras do (the run option --config-bug-on-data-corruption).
   */
  bugOnDataCorruption?: boolean;
}

/** The era a context's steps follow. */
export function ctxEra(ctx: MmuContext): Era {
  return ctx.era ?? eraOf(ctx.variant);
}

/** The function names of that era. */
export function ctxNames(ctx: MmuContext): EraNames {
  return ctxEra(ctx).names;
}
