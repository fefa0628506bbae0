/**
 * Runs a scenario's operations in order, one step at a time. An operation may be paused at a
 * point the scenario names (after its lock release, say) so that others run in its window, as
 * they can in the kernel; `resume` continues it. A guest access that faults runs the fault, then
 * the access again. Whether a step may run while others are paused is the lock table's answer
 * (engine/locks.ts): a step that would need a lock a paused operation holds is refused, with the
 * operation, its line, the lock and the kernel's reason.
 */
import { hex } from '../kernel/geometry';
import type { FlushMode } from '../model/modes';
import type { AccessKind } from '../model/modes';
import { cloneState, stateBytes, type MmuState } from '../model/state';
import type { Step, ViolationKind } from '../model/step';
import type { Variant } from '../kernel/variants';
import { faultWalkGuest, faultWouldRetry } from '../ops/fault';
import { advanceFrame } from '../ops/advance';
import { guestAccess } from '../ops/guest_access';
import { clearGfns } from '../ops/dirty_log';
import { initialState } from './initial_state';
import type { Scenario, ScenarioOp } from '../scenario/types';
import { memoryCapMessage, ModelInputError, ResourceLimitError } from '../model/errors';
import type { FaultFrame, OpFrame } from '../model/frames';
import { blockedBy, type Blocker } from '../machine/locks';
import { DEFAULT_CHECKS, Machine, type CheckOptions } from '../machine/machine';
import { type SplitYield } from '../model/modes';

export class ScenarioRunError extends Error {
  constructor(readonly opIndex: number, readonly line: number | undefined, message: string) {
    super(`operation ${opIndex}${line ? ` (line ${line})` : ''}: ${message}`);
    this.name = 'ScenarioRunError';
  }
}

export interface RunOptions {
  variant: Variant;
  flushMode?: FlushMode;
  splitYield?: SplitYield;
  checks?: Partial<CheckOptions>;
  /** Stop with an error past this many steps (a scenario that never ends is a bug). */
  maxSteps?: number;
  /** Stop with a ResourceLimitError when memoryUsed() goes above this (checked every memoryCheckSteps steps). */
  maxMemoryBytes?: number;
  /** Bytes in use now: the host's measure (a worker thread's heap); the state's own size (stateBytes) when not given. */
  memoryUsed?: () => number;
  /** Steps between two memory checks (4096 by default). */
  memoryCheckSteps?: number;
  /**
   * CONFIG_BUG_ON_DATA_CORRUPTION=y: a KVM_BUG_ON_DATA_CORRUPTION() (the mainline-2026 era's
   * rmap_remove() miss) is a BUG_ON() and the host oopses, as in the eras before it.
   */
  bugOnDataCorruption?: boolean;
  /**
   * Stop at the end of the first step that reports a violation of this kind; violations of other
   * kinds before it are reported and the run goes on past them (the kernel does: a WARN, a bugged
   * VM still zaps). Without it the run goes to the end of the scenario.
   */
  until?: ViolationKind;
}

interface PendingAccess {
  opIndex: number;
  vcpu: number;
  root: string;
  addr: number;
  kind: AccessKind;
  tries: number;
}

/** Everything needed to continue a run from a point: a checkpoint for stepping back. */
export interface RunSnapshot {
  state: MmuState;
  next: number;
  current: OpFrame | null;
  paused: Array<[string, OpFrame]>;
  pending: PendingAccess | null;
  parked: Array<[string, PendingAccess]>;
  stepCount: number;
}

function label(op: ScenarioOp, i: number): string {
  return `#${i} ${op.op}`;
}

export class ScenarioRun {
  readonly machine: Machine;
  private next = 0;
  private current: OpFrame | null = null;
  private paused = new Map<string, OpFrame>();
  private pending: PendingAccess | null = null;
  /** Accesses whose fault is paused after its walk, by the id it is paused under. */
  private parked = new Map<string, PendingAccess>();
  private readonly maxSteps: number;
  private stepsToMemoryCheck: number;

  constructor(readonly scenario: Scenario, readonly options: RunOptions) {
    const checks = { ...DEFAULT_CHECKS, ...options.checks };
    this.machine = new Machine(initialState(scenario), options.variant, options.flushMode ?? scenario.flushMode, checks, options.bugOnDataCorruption ?? false);
    this.machine.splitYield = options.splitYield ?? scenario.splitYield;
    this.maxSteps = options.maxSteps ?? 50_000_000;
    this.stepsToMemoryCheck = options.memoryCheckSteps ?? 4096;
  }

  get finished(): boolean {
    // A BUG() oopsed the host: nothing runs after it (state.hostOops says where and why).
    if (this.machine.state.hostOops) return true;
    return !this.current && !this.pending && this.next >= this.scenario.operations.length && this.paused.size === 0;
  }

  /** Frames are plain data (numbers, strings, arrays, objects), so structuredClone copies them whole. */
  snapshot(): RunSnapshot {
    return {
      state: cloneState(this.machine.state),
      next: this.next,
      current: this.current ? structuredClone(this.current) : null,
      paused: [...this.paused].map(([k, f]) => [k, structuredClone(f)]),
      pending: this.pending ? { ...this.pending } : null,
      parked: [...this.parked].map(([k, p]) => [k, { ...p }]),
      stepCount: this.machine.stepCount,
    };
  }

  /** The operations started and not yet ended: the running one, then the paused ones in the order they paused (the live frames: read them, do not change them). */
  inFlight(): readonly OpFrame[] {
    return this.current ? [this.current, ...this.paused.values()] : [...this.paused.values()];
  }

  restore(s: RunSnapshot): void {
    this.machine.restore(s.state, s.stepCount);
    this.next = s.next;
    this.current = s.current ? structuredClone(s.current) : null;
    this.paused = new Map(s.paused.map(([k, f]) => [k, structuredClone(f)]));
    this.pending = s.pending ? { ...s.pending } : null;
    this.parked = new Map(s.parked.map(([k, p]) => [k, { ...p }]));
  }

  /** Run exactly one step; null when the scenario is over. */
  step(): Step | null {
    if (this.machine.state.hostOops) return null;
    if (this.machine.stepCount >= this.maxSteps) throw new ScenarioRunError(this.next, undefined, `more than ${this.maxSteps} steps; stopping`);
    if (this.options.maxMemoryBytes !== undefined && --this.stepsToMemoryCheck <= 0) this.checkMemory(this.options.maxMemoryBytes);
    if (this.current) return this.advanceCurrent();
    if (this.pending) return this.retryAccess();
    if (this.next < this.scenario.operations.length) return this.startNext();
    if (this.paused.size) {
      // An operation left paused at the end of the scenario finishes, as the ioctl would: the
      // first (in the order they paused) whose next step no other paused operation blocks.
      const entries = [...this.paused.entries()];
      const ready = entries.find(([, f]) => !this.blocker(f));
      const [id, frame] = ready ?? entries[0];
      this.paused.delete(id);
      this.unpark(id, frame.opIndex, frame);
      this.current = frame;
      return this.advanceCurrent();
    }
    return null;
  }

  /** What stops `f`'s next step, given the paused operations (`f` itself excluded). */
  private blocker(f: OpFrame): Blocker | null {
    return this.paused.size ? blockedBy(f, this.paused.values(), this.machine.state) : null;
  }

  /** Refuse `f`'s next step if a paused operation holds what it needs: the scenario asked for an interleaving the kernel cannot produce. */
  private refuseIfBlocked(i: number, f: OpFrame, doing: string): void {
    const b = this.blocker(f);
    if (b) this.fail(i, `${doing} needs ${b.lock}, but ${b.reason}; ${b.lock === 'slots_lock' ? 'let the paused ioctl finish (resume it) first' : 'resume it first'}`);
  }

  private checkMemory(cap: number): void {
    this.stepsToMemoryCheck = this.options.memoryCheckSteps ?? 4096;
    const used = this.options.memoryUsed ? this.options.memoryUsed() : stateBytes(this.machine.state);
    if (used > cap) throw new ResourceLimitError(memoryCapMessage(used, cap));
  }

  runToEnd(): void {
    const until = this.options.until;
    for (let s = this.step(); s; s = this.step()) {
      if (until && s.violations.some((v) => v.kind === until)) return;
    }
  }


  private advanceCurrent(): Step {
    const f = this.current!;
    this.refuseIfBlocked(f.opIndex, f, `${f.label} at its step '${f.pc}'`);
    const before = this.machine.stepCount;
    try {
      advanceFrame(this.machine, f);
    } catch (e) {
      if (e instanceof ModelInputError) this.fail(f.opIndex, e.message);
      throw e;
    }
    if (this.machine.stepCount !== before + 1) throw new Error(`internal: ${f.label} at ${f.pc} emitted ${this.machine.stepCount - before} steps`);
    const step = this.machine.lastStep!;
    if (f.done) {
      this.current = null;
      if (f.kind === 'invalidate') this.markSeqMoved();
    } else if (f.pause && this.pauseReached(f, step)) {
      const id = this.scenario.operations[f.opIndex].id ?? String(f.opIndex);
      delete f.pause;
      this.paused.set(id, f);
      this.current = null;
    }
    return step;
  }

  /**
   * kvm_mmu_invalidate_end() ran: mmu_invalidate_seq moved, so every fault stopped after its read
   * (the access's pause "walked") is sent back at its lock (ops/fault.ts), as the explorer's are.
   */
  private markSeqMoved(): void {
    for (const p of this.paused.values()) if (p.kind === 'fault') p.seqMoved = true;
  }

  private pauseReached(f: OpFrame, step: Step): boolean {
    const p = f.pause!;
    if (typeof p === 'object') return f.stepsRun >= p.afterSteps;
    return step.kind === p;
  }

  private frameBase(i: number, op: ScenarioOp) {
    const base = { opIndex: i, label: label(op, i), pc: '', stepsRun: 0, reduced: [] as Array<[number, number]>, done: false };
    return op.pause ? { ...base, pause: op.pause } : base;
  }

  private fail(i: number, message: string): never {
    throw new ScenarioRunError(i, this.scenario.operations[i]?.line, message);
  }

  private startNext(): Step {
    const i = this.next++;
    const op = this.scenario.operations[i];
    const state = this.machine.state;
    if (op.op === 'access') {
      // A vCPU emulating its own trapped guest-table write is inside KVM until the write retires.
      for (const [id, f] of this.paused) {
        if (f.kind === 'guest-table-write' && f.by === 'guest' && f.vcpu === op.vcpu) this.fail(i, `vCPU ${op.vcpu} is inside KVM emulating its guest-table write ${JSON.stringify(id)}, paused: it makes no access until that write retires; resume it first, or access from another vCPU`);
      }
      this.pending = { opIndex: i, vcpu: op.vcpu, root: op.root, addr: op.addr, kind: op.kind, tries: 0 };
      return this.retryAccess();
    }
    if (op.op === 'resume') {
      const frame = this.paused.get(op.target);
      if (!frame) this.fail(i, `nothing paused under the id ${JSON.stringify(op.target)}`);
      this.paused.delete(op.target);
      const b = this.blocker(frame);
      if (b) {
        this.paused.set(op.target, frame);
        this.fail(i, `resuming ${frame.label} needs ${b.lock} for its next step, but ${b.reason}; resume that one first`);
      }
      // A resume may pause the operation again further on ({ afterSteps } counts from its start).
      if (op.pause) frame.pause = op.pause;
      this.unpark(op.target, i, frame);
      this.current = frame;
      return this.advanceCurrent();
    }
    const b = this.frameBase(i, op);
    switch (op.op) {
      case 'enable-dirty-logging':
        this.current = { ...b, kind: op.op, pc: 'flags', slot: this.slotIndex(i, op.slot), manualProtect: op.manualProtect, initiallySet: op.initiallySet, split: null, writeProtected: false };
        break;
      case 'clear-dirty-log': {
        const slot = this.slotIndex(i, op.slot);
        if (!state.memslots[slot].logDirty || !state.memslots[slot].manualProtect) this.fail(i, 'KVM_CLEAR_DIRTY_LOG needs dirty logging with manual-protect on this memslot');
        this.current = { ...b, kind: op.op, pc: 'lock', slot, first: op.first, gfns: clearGfns(op.gfns), word: 0, mask: [], flush: false, split: null };
        break;
      }
      case 'get-dirty-log': {
        const slot = this.slotIndex(i, op.slot);
        if (!state.memslots[slot].logDirty) this.fail(i, 'KVM_GET_DIRTY_LOG needs dirty logging on this memslot');
        this.current = { ...b, kind: op.op, pc: 'start', slot, word: 0, flush: false, harvested: [], harvestedCount: 0, mustHarvest: [] };
        break;
      }
      case 'invalidate':
        this.current = { ...b, kind: op.op, pc: 'lock', gfn: op.gfn, npages: op.npages, zapped: 0 };
        break;
      case 'guest-table-write':
        this.current = op.by === 'guest'
          ? { ...b, kind: op.op, pc: 'trap', by: op.by, vcpu: op.vcpu, table: op.table, index: op.index, entry: { ...op.entry } }
          : { ...b, kind: op.op, pc: 'write', by: op.by, table: op.table, index: op.index, entry: { ...op.entry } };
        break;
      case 'delete-memslot':
        this.slotIndex(i, op.slot);
        this.current = { ...b, kind: op.op, pc: 'slots-lock', slotId: op.slot, invalidList: [], zapped: 0 };
        break;
    }
    const started = this.current!;
    const blocked = this.blocker(started);
    if (blocked) {
      this.current = null;
      this.fail(i, `${op.op} needs ${blocked.lock} for its first step, but ${blocked.reason}; ${blocked.lock === 'slots_lock' ? 'let the paused ioctl finish (resume it) first' : 'resume it first'}`);
    }
    return this.advanceCurrent();
  }

  private slotIndex(i: number, id: number): number {
    const at = this.machine.state.memslots.findIndex((s) => s.id === id);
    if (at < 0) this.fail(i, `no memslot with id ${id}`);
    return at;
  }

  private retryAccess(): Step {
    const p = this.pending!;
    const m = this.machine;
    const op = this.scenario.operations[p.opIndex];
    const frame: FaultFrame = { ...this.frameBase(p.opIndex, op), kind: 'fault' as const, pc: 'lock', vcpu: p.vcpu, root: p.root, addr: p.addr, access: p.kind, pendingChild: -1, pendingSptep: -1 };
    delete (frame as { pause?: unknown }).pause;
    let outcome;
    try {
      outcome = guestAccess(m, frame, p.vcpu, p.root, p.addr, p.kind);
    } catch (e) {
      if (e instanceof ModelInputError) this.fail(p.opIndex, e.message);
      throw e;
    }
    const step = m.lastStep!;
    // The vCPU dropped its obsolete root and loaded a new one: the access itself comes next.
    if (outcome === 'reloaded') return step;
    if (outcome === 'done') {
      this.pending = null;
      return step;
    }
    if (++p.tries > 2) this.fail(p.opIndex, `the access to L2 ${hex(p.addr)} still faults after the fault was handled`);
    frame.label = `#${p.opIndex} fault`;
    try {
      faultWalkGuest(m.state, frame);
    } catch (e) {
      if (e instanceof ModelInputError) this.fail(p.opIndex, e.message);
      throw e;
    }
    // A walk that fails hands the fault to the guest: the access ends with it, it is not retried.
    if (frame.walkError) this.pending = null;
    if (op.op === 'access' && op.pause === 'walked' && p.tries === 1) return this.park(op.id ?? String(p.opIndex), frame, step);
    const blocked = this.blocker(frame);
    if (blocked) this.fail(p.opIndex, `the access faults, and the fault needs ${blocked.lock}, but ${blocked.reason}; the vCPU would wait: resume that operation first`);
    const stale = faultWouldRetry(m.state, frame);
    if (stale !== null) this.fail(p.opIndex, `the fault on gfn 0x${stale.toString(16)} would retry until the mmu-notifier invalidation of it ends (it lies in the range of the invalidations in progress: mmu_invalidate_retry_gfn()); resume the invalidation first`);
    this.current = frame;
    return step;
  }

  /**
   * Pause a fault between its guest walk and its write_lock(&kvm->mmu_lock) (the access's pause
   * "walked"): the window FNAME(fetch)'s FNAME(gpte_changed) re-check is there for. The access waits
   * with it and is retried once the resumed fault ends.
   */
  private park(id: string, frame: FaultFrame, step: Step): Step {
    if (this.pending) this.parked.set(id, this.pending);
    this.pending = null;
    this.paused.set(id, frame);
    return step;
  }

  /**
   * A paused fault continues: the access it belongs to waits for it again. Its lock step is where
   * is_page_fault_stale() would send it back while an invalidation of its gfn is in progress, which
   * the runner refuses as it does at a fault's start.
   */
  private unpark(id: string, i: number, frame: OpFrame): void {
    const p = this.parked.get(id);
    if (!p) return;
    const stale = frame.kind === 'fault' ? faultWouldRetry(this.machine.state, frame) : null;
    if (stale !== null) this.fail(i, `the fault on gfn 0x${stale.toString(16)} would retry until the mmu-notifier invalidation of it ends (it lies in the range of the invalidations in progress: mmu_invalidate_retry_gfn()); resume the invalidation first`);
    this.parked.delete(id);
    this.pending = p;
  }
}
