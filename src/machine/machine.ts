/**
 * The machine: state plus the step recorder. Operations call `emit()` once per step; emit closes
 * the step's draft, runs the checks that belong to that kind of step, and keeps the step.
 */
import { Geometry } from '../kernel/geometry';
import { ANCHORS, type AnchorId } from '../kernel/anchors';
import { eraAnchor } from '../kernel/eras';
import { eraOf } from '../kernel/variants';
import { ctxEra, emptyDraft, type MmuContext } from '../mmu/context';
import { type FlushMode } from '../model/modes';
import { describeTlbEntry } from '../mmu/hardware';
import { SubtreeCache } from '../mmu/subtree';
import { cloneState, type MmuState, type TlbEntry } from '../model/state';
import { staleCauseOf, unmappedEntries, writeProtectedEntries, type StaleCause } from '../checks/stale_tlb';
import { checkWrites } from '../checks/structure';
import { checkRmapAgreement } from '../checks/rmap_agreement';
import type { Actor, Step, StepKind, Violation } from '../model/step';
import type { Variant } from '../kernel/variants';
import type { OpFrame } from '../model/frames';
import type { SplitYield } from '../model/modes';

export interface CheckOptions {
  /** Check the unmapped strength at every mmu_lock release. */
  unmapped: boolean;
  /** Check the permissions strength at every operation end. */
  permissions: boolean;
  /** Record every SPTE write in its step (needed for the structural check per step and for display). */
  recordWrites: boolean;
  /** Keep the steps (off for benchmarks that only want counters and verdicts). */
  keepSteps: boolean;
}

export const DEFAULT_CHECKS: CheckOptions = { unmapped: true, permissions: true, recordWrites: true, keepSteps: true };

export interface EmitInfo {
  kind: StepKind;
  /** The step's statement in its v6.0 form; emit() takes the form of the run's era (mmu/eras.ts). */
  anchor: AnchorId;
  /** The sentence, or a function making it: only called when steps are kept. */
  text: string | (() => string);
  actor?: Actor;
  vcpu?: number;
  childSp?: { id: number; reused: boolean };
}


/** KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE: what a top-up of the split caches fills them to. */
export const SPLIT_CACHE_CAPACITY = 40;

export class Machine {
  readonly ctx: MmuContext;
  splitYield: SplitYield = 'cache';
  readonly steps: Step[] = [];
  readonly violations: Violation[] = [];
  /** Steps emitted so far (also when they are not kept). */
  stepCount = 0;
  lastStep: Step | null = null;
  private reported = new Set<string>();

  constructor(state: MmuState, variant: Variant, flushMode: FlushMode, readonly checks: CheckOptions = DEFAULT_CHECKS, bugOnDataCorruption = false) {
    this.ctx = {
      state, variant, era: eraOf(variant), flushMode, recordWrites: checks.recordWrites,
      draft: emptyDraft(), stepIndex: 0, cache: new SubtreeCache(state),
      violate: (v, key) => this.violate(v, key), bugOnDataCorruption,
    };
  }

  get state(): MmuState {
    return this.ctx.state;
  }

  get geo(): Geometry {
    return this.ctx.state.geo;
  }

  /** Replace the state (stepping back): derived caches start afresh. */
  restore(state: MmuState, stepCount: number): void {
    this.ctx.state = cloneState(state);
    this.ctx.cache = new SubtreeCache(this.ctx.state);
    this.ctx.draft = emptyDraft();
    this.stepCount = stepCount;
    this.ctx.stepIndex = stepCount;
  }

  emit(frame: OpFrame | null, info: EmitInfo): Step {
    const { ctx } = this;
    const draft = ctx.draft;
    if (draft.writes.length) {
      for (const problem of checkWrites(ctx.state, draft.writes)) {
        this.violate({ kind: 'structure', vcpu: -1, gfn: -1, step: ctx.stepIndex, message: problem }, `structure:${problem}`);
      }
      for (const d of checkRmapAgreement(ctx.state, draft.writes)) {
        const v: Violation = { kind: 'rmap-disagreement', vcpu: -1, gfn: d.gfn, step: ctx.stepIndex, message: d.message };
        if (d.causeStep !== undefined) v.causeStep = d.causeStep;
        this.violate(v, `rmap:${d.sptep}:${d.causeStep ?? ctx.stepIndex}`);
      }
    }
    if ((info.kind === 'unlock' || info.kind === 'resched') && this.checks.unmapped) this.checkUnmappedAtRelease();
    if (info.kind === 'unlock' || info.kind === 'resched') ctx.state.counters.lockReleases++;
    const step: Step = {
      index: ctx.stepIndex,
      op: frame ? frame.opIndex : -1,
      opLabel: frame ? frame.label : '',
      actor: info.actor ?? 'kvm',
      kind: info.kind,
      anchor: ANCHORS[eraAnchor(ctxEra(ctx), info.anchor, ctx.variant.enableLogFlush)],
      text: !this.checks.keepSteps ? '' : typeof info.text === 'function' ? info.text() : info.text,
      writes: draft.writes,
      writeCount: draft.writeCount,
      violations: draft.violations,
      lockHeld: ctx.state.mmuLockHeld,
      // Steps that are not kept share the live counters: nobody reads them later.
      counters: this.checks.keepSteps ? { ...ctx.state.counters } : ctx.state.counters,
    };
    if (info.vcpu !== undefined) step.vcpu = info.vcpu;
    if (info.childSp) step.childSp = info.childSp;
    if (draft.flush) step.flush = draft.flush;
    if (draft.tlbFilled) step.tlbFilled = draft.tlbFilled;
    if (this.checks.keepSteps) this.steps.push(step);
    this.lastStep = step;
    if (frame) frame.stepsRun++;
    this.stepCount++;
    ctx.stepIndex++;
    ctx.draft = emptyDraft();
    return step;
  }

  /** Record a violation once (the same stale entry is not reported again at every release). */
  violate(v: Violation, key: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.ctx.draft.violations.push(v);
    this.violations.push(v);
  }

  /** The latest unmapping change covering gfn: the step that made a TLB entry stale. */
  staleCause(gfn: number): StaleCause {
    return staleCauseOf(this.ctx.state, gfn);
  }

  staleTlbViolation(e: TlbEntry, gfn: number, strength: 'unmapped' | 'permissions', detail: string): void {
    const state = this.ctx.state;
    const cause = this.staleCause(gfn);
    const since = cause.staleSince !== undefined ? ` since step ${cause.staleSince} (${cause.what})` : '';
    const skipped = cause.skippedFlush !== undefined ? `; the flush at step ${cause.skippedFlush} was skipped` : '';
    const v: Violation = {
      kind: 'stale-tlb', strength, vcpu: e.vcpu, gfn, step: this.ctx.stepIndex,
      tlbEntry: describeTlbEntry(state, e),
      message: `vCPU ${e.vcpu} still maps gfn 0x${gfn.toString(16)} ${e.writable ? 'writable ' : ''}via a ${state.geo.sizeName(e.level)} TLB entry (tlb#${e.id}, root ${e.root}) ${detail}${since}${skipped}`,
    };
    if (cause.staleSince !== undefined) v.staleSince = cause.staleSince;
    if (cause.skippedFlush !== undefined) v.skippedFlush = cause.skippedFlush;
    this.violate(v, `stale:${strength}:${e.vcpu}:${e.id}`);
  }

  checkUnmappedAtRelease(): void {
    for (const { entry, gfn } of unmappedEntries(this.ctx)) this.staleTlbViolation(entry, gfn, 'unmapped', 'at the mmu_lock release, but the page tables no longer map it there');
  }

  checkPermissionsAtOpEnd(frame: OpFrame): void {
    if (!this.checks.permissions || frame.reduced.length === 0) return;
    for (const { entry, gfn } of writeProtectedEntries(this.ctx, frame.reduced)) this.staleTlbViolation(entry, gfn, 'permissions', `when ${frame.label} returns, though that operation write-protected it`);
  }
}

/** Add [gfn, gfn + n) to a list of ranges kept merged when added in order. */
export function addRange(ranges: Array<[number, number]>, gfn: number, n: number): void {
  const last = ranges[ranges.length - 1];
  if (last && last[0] + last[1] === gfn) last[1] += n;
  else ranges.push([gfn, n]);
}
