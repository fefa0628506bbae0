/**
 * One explorer state and its transitions, run by the core itself: every transition clones the
 * core's MmuState and advances the core's operation frames through a Machine, whose checks (both
 * stale-TLB strengths, lost dirty page, use-after-free, structure) run on every step.
 *
 * Transitions (see docs/explorer.md for why each restriction is sound):
 * - step: the current KVM operation advances one step;
 * - access: a guest access by a vCPU through a root, allowed between any two steps; one that
 *   faults runs the fault (a KVM operation) to its end and retries, like a scenario's `access`;
 * - start: a new KVM operation, when no operation runs or the running one is at a point where it
 *   does not hold mmu_lock (it is then paused);
 * - resume: a paused operation continues, under the same condition.
 */
import { guestAccess } from '../ops/guest_access';
import { walkGuest } from '../mmu/guest_walk';
import { gfnToMemslot } from '../mmu/rmap';
import { isPfnFreed } from '../mmu/host';
import { findRoot, permits, shadowWalk, tlbLookup } from '../mmu/hardware';
import { firstUnmappedPage } from '../checks/stale_tlb';
import { isLastSpte, SPTE_PRESENT } from '../kernel/spte';
import { initialState } from '../run/initial_state';
import type { MmuState } from '../model/state';
import { endFork, forkState } from '../model/fork';
import type { Violation } from '../model/step';
import type { Variant } from '../kernel/variants';
import type { FaultFrame, OpFrame } from '../model/frames';
import { Machine, type CheckOptions } from '../machine/machine';
import { advanceFrame } from '../ops/advance';
import { faultRetryStale, faultWalkGuest, inInvalidateRange, seqMovedReason } from '../ops/fault';
import { blockedBy, holdsLock } from '../machine/locks';
import { auditStructure } from '../checks/structure';
import { explorerScopeProblems, refuseScope, type MenuAction, type Scope } from './scope';
import { shareUnchanged } from './share';
import { G_CHILD_MISMATCH, G_FAULT_IN_WINDOW, G_FLUSH_SKIPPED, G_GUEST_TABLE_CHANGED, G_REUSED, G_REUSED_NONLEAF, G_SPLIT, G_STALE_ACCESS, G_STALE_ENTRY } from './goals';

export interface Node {
  state: MmuState;
  /** The running KVM operation, or null. */
  current: OpFrame | null;
  /** Operations paused where they do not hold mmu_lock, in the order they were paused. */
  paused: OpFrame[];
  ops: number;
  accesses: number;
  /** Guest-table writes made (the guest-tables scope allows one a path). */
  writes: number;
  /**
   * The last KVM step changed what a guest access sees (an SPTE, a TLB, a host page). With
   * mmu_lock held, accesses are offered only then: after any other step, an access sees what it
   * would have seen just before that step, and the step neither reads nor changes what the access
   * does, so the interleaving is already explored (docs/explorer.md, reductions).
   */
  fresh: boolean;
  /**
   * `--reduce por` (apply()'s `por`): while the lock is held after a visible step, the frames of
   * the region that step was visible to, a bit each (its footprint, as the packed model's fresh
   * byte; docs/explorer.md, "Partial-order reduction"). Left out (0) otherwise.
   */
  foot?: number;
}

/** An action: a menu index (start or access), STEP, or RESUME_BASE - i (resume paused[i]). */
export const STEP = -1;
export const RESUME_BASE = -2;

const CHECKS: CheckOptions = { unmapped: true, permissions: true, recordWrites: true, keepSteps: false };

export function rootNode(scope: Scope): Node {
  refuseScope(explorerScopeProblems(scope));
  return { state: initialState(scope.scenario), current: null, paused: [], ops: 0, accesses: 0, writes: 0, fresh: true };
}


function base(label: string) {
  return { opIndex: 0, label, pc: '', stepsRun: 0, reduced: [] as Array<[number, number]>, done: false };
}

export function newFrame(a: MenuAction): OpFrame {
  switch (a.t) {
    case 'enable': return { ...base('enable-dirty-logging'), kind: 'enable-dirty-logging', pc: 'flags', slot: 0, manualProtect: a.manualProtect, initiallySet: a.initiallySet, split: null, writeProtected: false };
    case 'clear': return { ...base('clear-dirty-log'), kind: 'clear-dirty-log', pc: 'lock', slot: 0, first: Math.floor(a.gfns[0] / 64) * 64, gfns: a.gfns.slice(), word: 0, mask: [], flush: false, split: null };
    case 'get': return { ...base('get-dirty-log'), kind: 'get-dirty-log', pc: 'start', slot: 0, word: 0, flush: false, harvested: [], harvestedCount: 0, mustHarvest: [] };
    case 'invalidate': return { ...base('invalidate'), kind: 'invalidate', pc: 'lock', gfn: a.gfn, npages: 1, zapped: 0 };
    case 'delete-memslot': return { ...base('delete-memslot'), kind: 'delete-memslot', pc: 'slots-lock', slotId: a.slot, invalidList: [], zapped: 0 };
    case 'guest-table-write':
      if (a.by === 'guest') return { ...base('guest-table-write'), kind: 'guest-table-write', pc: 'trap', by: 'guest', vcpu: a.vcpu ?? 0, table: a.table, index: a.index, entry: { ...a.entry } };
      return { ...base('guest-table-write'), kind: 'guest-table-write', pc: 'write', by: 'vmm', table: a.table, index: a.index, entry: { ...a.entry } };
    case 'access': throw new Error('internal: an access is not an operation frame');
  }
}

/**
 * An invalidation between its start and its end (mmu_invalidate_in_progress raised, and the memslot
 * swap's mn_active_invalidate_count).
 */
function invalidationInProgress(n: Node, current: OpFrame | null): boolean {
  return n.paused.some((f) => f.kind === 'invalidate') || (current !== null && current.kind === 'invalidate');
}

/**
 * A fault whose guest walk found `gfn` retries without mapping it (is_page_fault_stale(), first in
 * kvm_mmu_faultin_pfn()'s lockless pre-check, then under mmu_lock): the explorer does not run it.
 * Both scopes have the kernel's rule, the range test of mmu_invalidate_retry_gfn() (and of the v6.0
 * era's mmu_invalidate_retry_hva(), on the hva, which orders pages as the gfn does inside the split
 * scope's one memslot): `gfn` in the hull of the invalidations since the in-progress count was last
 * zero (MmuState.invalidateRange; docs/locking.md). A fault outside the hull runs during an
 * invalidation. The sequence test needs no question here: a fault run whole reads
 * mmu_invalidate_seq and checks it in one transition, where no invalidation can end.
 */
function faultRetries(state: MmuState, gfn: number | null): boolean {
  return gfn !== null && inInvalidateRange(state, gfn);
}

/**
 * A stopped fault at its lock (only the guest-tables scope stops faults), before it takes mmu_lock: why
 * is_page_fault_stale() sends it back for an invalidation, or null. It took its snapshot of
 * mmu_invalidate_seq before it stopped (the model's stop stands after kvm_mmu_faultin_pfn():
 * docs/locking.md), so an invalidation that ended since (FaultFrame.seqMoved) sends it back, as
 * does its gfn inside the range of those in progress (mmu_invalidate_retry_gfn()).
 */
function staleByInvalidation(state: MmuState, f: FaultFrame): string | null {
  const moved = seqMovedReason(f);
  if (moved) return moved;
  if (f.gw && inInvalidateRange(state, f.gw.gfn)) return `mmu_invalidate_retry_gfn(): gfn 0x${f.gw.gfn.toString(16)} lies in [mmu_invalidate_range_start, mmu_invalidate_range_end) of the invalidations in progress`;
  return null;
}

/**
 * kvm_mmu_invalidate_end() ran (an invalidation's last step): mmu_invalidate_seq moved, which every
 * stopped fault that took its snapshot before will see at its lock. The paused frames are the
 * parent's (shared): the marked ones are copies.
 */
function markSeqMoved(paused: OpFrame[]): OpFrame[] {
  if (!paused.some((p) => p.kind === 'fault' && !p.seqMoved)) return paused;
  return paused.map((p) => (p.kind === 'fault' && !p.seqMoved ? { ...p, seqMoved: true } : p));
}

/** The current operation may be left for others: it does not hold mmu_lock (the lock table, engine/locks.ts). */
export function interruptible(n: Node): boolean {
  return !n.current || !holdsLock(n.current, n.state, 'mmu_lock');
}

/** A memslot ioctl is in flight: it holds slots_lock (the lock table), so no other may start. */
function memslotBusy(n: Node): boolean {
  const busy = (f: OpFrame) => holdsLock(f, n.state, 'slots_lock');
  return n.paused.some(busy) || (n.current !== null && busy(n.current));
}

export interface Outcome {
  node: Node;
  violations: Violation[];
  /** Goals (goals.ts) this transition reached, as bits. */
  reached: number;
}

/**
 * advanceFrame() and the goals its step reaches, read off the frame before the step and the step
 * it emitted: the split's loop meeting a present non-leaf entry, the split getting its child (new
 * or reused), the split's flush skipped.
 */
function advance(m: Machine, f: OpFrame, g: { mask: number }): void {
  const sf = f.kind === 'enable-dirty-logging' || f.kind === 'clear-dirty-log' ? f.split : null;
  const pc = sf ? sf.pc : '';
  if (sf && pc === 'loop' && sf.index < m.geo.entries) {
    const child = m.state.sps[sf.child];
    const flags = child.flags[sf.index];
    if ((flags & SPTE_PRESENT) && !isLastSpte(flags, child.role.level)) g.mask |= G_REUSED_NONLEAF;
  }
  m.lastStep = null;
  advanceFrame(m, f);
  const step = m.lastStep as Machine['lastStep'];
  if (step?.kind === 'get-sp') g.mask |= step.childSp?.reused ? G_SPLIT | G_REUSED : G_SPLIT;
  if (pc === 'flush' && step?.kind === 'flush-skipped') g.mask |= G_FLUSH_SKIPPED;
}

/** An access is about to use a TLB entry its root no longer maps to the same page (G_STALE_ACCESS)? */
function noteStaleAccess(m: Machine, a: Extract<MenuAction, { t: 'access' }>, g: { mask: number }): void {
  const hit = tlbLookup(m.state, a.vcpu, a.root, a.addr);
  if (!hit || !permits(a.kind, hit.writable, hit.exec)) return;
  const w = shadowWalk(m.state, findRoot(m.state, a.root), a.addr);
  if (!w.present || w.pfn !== hit.pfnBase + (a.addr - hit.l2Base)) g.mask |= G_STALE_ACCESS;
}

/**
 * A Machine on a copy of n's state, with the scope's flush mode and split yield. The copy is a
 * fork (model/fork.ts): it shares n's SPTE tables, rmaps and TLB lists until it writes them, and n's
 * state is never written.
 */
function machineFor(scope: Scope, n: Node, variant: Variant): Machine {
  const m = new Machine(forkState(n.state), variant, scope.scenario.flushMode, CHECKS);
  m.splitYield = scope.scenario.splitYield;
  return m;
}

function stepWasVisible(m: Machine): boolean {
  const s = m.lastStep;
  return !!s && (s.writeCount > 0 || (s.flush !== undefined && s.flush.issued) || s.kind === 'host-free');
}

function finish(m: Machine, current: OpFrame | null, paused: OpFrame[], ops: number, accesses: number, audit: boolean, fresh: boolean, g: { mask: number }, writes: number): Outcome {
  const state = m.state;
  let reached = g.mask;
  if (state.vcpus.some((v) => v.tlb.some((e) => firstUnmappedPage(m.ctx, e) >= 0))) reached |= G_STALE_ENTRY;
  // Explanations only (which step made an entry stale): the replayed counterexample has them.
  state.unmapEvents = [];
  state.unmapPending = [];
  state.lastWrite.clear();
  const violations = m.violations.slice();
  if (audit) for (const problem of auditStructure(state)) violations.push({ kind: 'structure', vcpu: -1, gfn: -1, step: m.stepCount, message: problem });
  return { node: { state, current, paused, ops, accesses, writes, fresh }, violations, reached };
}

/**
 * Apply an action; null when it is not enabled here (or, for an access, changes nothing). The
 * successor's state shares with n's every part the transition left as it was (share.ts).
 */
export function apply(scope: Scope, variant: Variant, n: Node, action: number, audit = false, por = false): Outcome | null {
  if (por && scope.reduction4) throw new Error('internal: --reduce por refines reduction 4, which this scope turns off');
  if (por && porRefused(scope, n, action)) return null;
  let o: Outcome | null;
  try {
    o = applyCopying(scope, variant, n, action, audit);
    if (o && por) withFootprint(scope, n, action, o);
  } finally {
    endFork();
  }
  if (o) shareUnchanged(n.state, o.node.state);
  return o;
}

/** apply() on a deep copy of n's state, before the sharing. */
function applyCopying(scope: Scope, variant: Variant, n: Node, action: number, audit: boolean): Outcome | null {
  const { bound } = scope;
  if (action === STEP) {
    if (!n.current || blockedByHolder(n, n.current, n.paused)) return null;
    const m = machineFor(scope, n, variant);
    const f = structuredClone(n.current);
    const g = { mask: 0 };
    advance(m, f, g);
    const ops = { n: n.ops };
    if (f.done && f.kind === 'fault' && f.walkedAccess && !retryWalkedAccess(scope, m, f, ops)) return null;
    const paused = f.done && f.kind === 'invalidate' ? markSeqMoved(n.paused) : n.paused;
    return finish(m, f.done ? null : f, paused, ops.n, n.accesses, audit, stepWasVisible(m) || ops.n > n.ops, g, n.writes);
  }
  if (action <= RESUME_BASE) {
    const i = RESUME_BASE - action;
    if (i >= n.paused.length || !interruptible(n) || n.state.mmuLockHeld) return null;
    const others = n.paused.filter((_, j) => j !== i);
    if (n.current) others.push(n.current);
    if (blockedByHolder(n, n.paused[i], others)) return null;
    const m = machineFor(scope, n, variant);
    const f = structuredClone(n.paused[i]);
    const g = { mask: 0 };
    // A stopped fault's lock: is_page_fault_stale() sends it back when an invalidation ended since
    // its snapshot of mmu_invalidate_seq or its gfn is in the range of those in progress; the
    // obsolete root is the lock step's own test (ops/fault.ts).
    const stale = f.kind === 'fault' && f.pc === 'lock' ? staleByInvalidation(m.state, f) : null;
    if (stale !== null) faultRetryStale(m, f as FaultFrame, stale);
    else advance(m, f, g);
    // A stopped fault that is_page_fault_stale() sent back at its lock: the access is retried, as
    // at the fault's unlock (STEP); its fault, if it faults again, runs whole under the same rule.
    const ops = { n: n.ops };
    if (f.done && f.kind === 'fault' && f.walkedAccess && !retryWalkedAccess(scope, m, f, ops)) return null;
    const paused = f.done && f.kind === 'invalidate' ? markSeqMoved(others) : others;
    return finish(m, f.done ? null : f, paused, ops.n, n.accesses, audit, stepWasVisible(m) || ops.n > n.ops, g, n.writes);
  }
  const a = scope.menu[action];
  if (a.t === 'access') return access(scope, variant, n, a, audit);
  if (a.t === 'guest-table-write') return guestTableWrite(scope, variant, n, a, audit);
  // Start a KVM operation.
  const slot = n.state.memslots[0];
  if (n.ops >= bound.ops || !interruptible(n) || n.state.mmuLockHeld) return null;
  if ((a.t === 'enable' || a.t === 'clear' || a.t === 'get' || a.t === 'delete-memslot') && memslotBusy(n)) return null;
  // The memslot update of KVM_SET_USER_MEMORY_REGION (kvm_swap_active_memslots()) waits while an
  // mmu-notifier invalidation is between its start and its end (mn_active_invalidate_count).
  if ((a.t === 'enable' || a.t === 'delete-memslot') && invalidationInProgress(n, n.current)) return null;
  // A deleted memslot is gone (offered once).
  if (a.t === 'delete-memslot' && !n.state.memslots.some((s) => s.id === a.slot && !s.invalid)) return null;
  // The notifier reaches KVM through the active memslots, the INVALID copy a deletion installed
  // among them (__kvm_handle_hva_range() does not test KVM_MEMSLOT_INVALID): a memslot there holds
  // the page. Until the lock audit of 2026-12-07 a live one was asked for, which kept the host's
  // invalidations out of a deletion's window between its two swaps (docs/locking.md).
  if (a.t === 'invalidate' && !gfnToMemslot(n.state, a.gfn)) return null;
  if (a.t === 'enable' && slot.logDirty) return null;
  if (a.t === 'clear' && !(slot.logDirty && slot.manualProtect)) return null;
  if (a.t === 'get' && !slot.logDirty) return null;
  const paused = n.current ? [...n.paused, n.current] : n.paused;
  const f = newFrame(a);
  if (blockedByHolder(n, f, paused)) return null;
  const m = machineFor(scope, n, variant);
  const g = { mask: 0 };
  advance(m, f, g);
  return finish(m, f.done ? null : f, paused, n.ops + 1, n.accesses, audit, stepWasVisible(m), g, n.writes);
}

/**
 * The VMM writes a guest page-table entry: one step, no lock, guest memory only. It is offered where
 * a KVM operation could start. Inside a section under mmu_lock it would commute with every step
 * there (none of them reads guest memory: the fault's walk and FNAME(gpte_changed) re-read are the
 * only readers, and the explorer runs a fault whole), so those placements add no state.
 *
 * The guest's own write (a.by 'guest') starts the same way, with its first step (the trap decision;
 * a plain store when the table is not write-tracked, which ends it). A trapped one then stays the
 * current operation, stepped like any other: between the emulator's memory write and the
 * write_lock() of kvm_mmu_track_write() it holds no lock, so accesses (and the faults they run) and
 * other operations may run there, as in the kernel. It counts against the one write a path, not
 * against the operations.
 */
function guestTableWrite(scope: Scope, variant: Variant, n: Node, a: Extract<MenuAction, { t: 'guest-table-write' }>, audit: boolean): Outcome | null {
  if (n.writes >= 1 || !interruptible(n) || n.state.mmuLockHeld) return null;
  // The guest's store is made by its vCPU in guest mode: not while that vCPU is inside KVM, in a
  // fault stopped after its walk (one thread a vCPU; the lock audit, docs/locking.md).
  if (a.by === 'guest' && emulating(n, a.vcpu ?? 0)) return null;
  const old = n.state.guestMemory.get(a.table)?.entries.get(a.index);
  if (old ? old.kind === a.entry.kind && old.gfn === a.entry.gfn && old.access === a.entry.access : a.entry.kind === 'none') return null;
  const m = machineFor(scope, n, variant);
  const paused = n.current ? [...n.paused, n.current] : n.paused;
  const f = newFrame(a);
  const g = { mask: G_GUEST_TABLE_CHANGED };
  advance(m, f, g);
  return finish(m, f.done ? null : f, paused, n.ops, n.accesses, audit, true, g, n.writes + 1);
}

/**
 * A vCPU inside KVM: emulating its own trapped guest-table write, or in a fault stopped after its
 * guest walk. It makes no guest access until that operation ends.
 */
export function inKvm(f: OpFrame | null, vcpu: number): boolean {
  if (f === null || f.done) return false;
  return (f.kind === 'guest-table-write' && f.by === 'guest' && f.vcpu === vcpu) || (f.kind === 'fault' && f.vcpu === vcpu);
}

function emulating(n: Node, vcpu: number): boolean {
  return inKvm(n.current, vcpu) || n.paused.some((f) => inKvm(f, vcpu));
}

/**
 * An operation whose next step takes or waits for a lock another frame holds may not take that
 * step (the lock table, machine/locks.ts blockedBy()). mmu_lock and slots_lock are kept out before
 * this is asked (interruptible(), memslotBusy()); the locks held without them are kvm->srcu, by a
 * fault stopped after its walk, and the invalidation window (kvm->mn_active_invalidate_count), by an
 * invalidation from its start to its end, which includes its `free` step after it has dropped
 * mmu_lock. So the table is read when one of those is among the others. Until 2026-12-07 it was read
 * only beside a stopped fault, which let a memslot deletion swap the memslots (its `invalidate` and
 * `delete` steps, kvm_swap_active_memslots()) while an invalidation stood at `free`: an interleaving
 * the kernel does not allow (docs/explorer.md, "A lock rule the explorer did not apply"). Until
 * the lock audit of 2026-12-07 (docs/locking.md, "The audit of the explorer's interleavings") the
 * guest's trapped write was not among them: its emulation runs inside vcpu_run()'s kvm->srcu
 * section as a fault does, so a deletion's swap waits for it too; the test is now on what the others
 * hold (srcu or the window), not on their kinds.
 */
function blockedByHolder(n: Node, f: OpFrame, others: OpFrame[]): boolean {
  if (!others.some((o) => holdsLock(o, n.state, 'srcu') || holdsLock(o, n.state, 'invalidation'))) return false;
  return blockedBy(f, others, n.state) !== null;
}

/**
 * A fault stopped after its walk (a "walked" access) that has just ended: the access is retried,
 * as the scenario runner retries it; a second fault runs whole. False when the access still faults
 * after that (the runner refuses it) or the bound has no operation left for the second fault.
 */
function retryWalkedAccess(scope: Scope, m: Machine, f: FaultFrame, ops: { n: number }): boolean {
  const frame = (): FaultFrame => ({ ...base('fault'), kind: 'fault', pc: 'lock', vcpu: f.vcpu, root: f.root, addr: f.addr, access: f.access, pendingChild: -1, pendingSptep: -1 });
  let outcome = guestAccess(m, frame(), f.vcpu, f.root, f.addr, f.access);
  if (outcome === 'reloaded') outcome = guestAccess(m, frame(), f.vcpu, f.root, f.addr, f.access);
  if (outcome !== 'fault') return true;
  if (ops.n >= scope.bound.ops || m.state.mmuLockHeld) return false;
  // The second fault retries (and the vCPU with it) while its gfn is in the invalidation range:
  // the transition is refused, and the stopped fault waits, as the vCPU's retries would.
  const walk = walkGuest(m.state, findRoot(m.state, f.root).guestTableGfn, f.addr, f.access);
  if (walk.ok && inInvalidateRange(m.state, walk.walk.gfn)) return false;
  ops.n++;
  const g = frame();
  while (!g.done) advanceFrame(m, g);
  return guestAccess(m, frame(), f.vcpu, f.root, f.addr, f.access) !== 'fault';
}

function access(scope: Scope, variant: Variant, n: Node, a: Extract<MenuAction, { t: 'access' }>, audit: boolean): Outcome | null {
  if (n.accesses >= scope.bound.accesses || !accessUseful(scope, n) || emulating(n, a.vcpu)) return null;
  const state = n.state;
  // A TLB hit that adds nothing (a read, or a write to a gfn already written) and reaches a live
  // page changes nothing: skip it (the same state without spending the bound).
  const hit = tlbLookup(state, a.vcpu, a.root, a.addr);
  if (hit && !state.vcpus[a.vcpu].reloadPending && permits(a.kind, hit.writable, hit.exec) && !isPfnFreed(state, hit.pfnBase + (a.addr - hit.l2Base)) &&
    (a.kind === 'read' || state.writtenSinceProtect.has(hit.gfnBase + (a.addr - hit.l2Base)))) return null;
  // A vCPU whose root went obsolete reloads it first (kvm_mmu_free_obsolete_roots(), under mmu_lock).
  if (state.vcpus[a.vcpu].reloadPending && state.mmuLockHeld) return null;
  // An access whose gfn no live memslot holds would be MMIO, which the model does not run.
  const walk = walkGuest(state, findRoot(state, a.root).guestTableGfn, a.addr, a.kind);
  if (walk.ok && !liveSlotHolds(state, walk.walk.gfn)) return null;
  // Both refusals above read only n's state: the copy is made once the access will run.
  const m = machineFor(scope, n, variant);
  // base('fault')'s fields written out, in its order: a literal of one shape, cheaper than a spread.
  const frame = (): FaultFrame => ({ opIndex: 0, label: 'fault', pc: 'lock', stepsRun: 0, reduced: [], done: false, kind: 'fault', vcpu: a.vcpu, root: a.root, addr: a.addr, access: a.kind, pendingChild: -1, pendingSptep: -1 });
  let ops = n.ops;
  let paused = n.paused;
  let current = n.current;
  const g = { mask: 0 };
  noteStaleAccess(m, a, g);
  let outcome = guestAccess(m, frame(), a.vcpu, a.root, a.addr, a.kind);
  if (outcome === 'reloaded') outcome = guestAccess(m, frame(), a.vcpu, a.root, a.addr, a.kind);
  if (a.walked) {
    // The fault stops after its guest walk, holding only kvm->srcu; a walk that fails (the fault
    // goes to the guest) or an access that does not fault is the plain access's transition.
    if (outcome !== 'fault' || ops >= scope.bound.ops || m.state.mmuLockHeld || faultRetries(m.state, walk.ok ? walk.walk.gfn : null)) return null;
    const f: FaultFrame = { ...frame(), walkedAccess: true };
    faultWalkGuest(m.state, f);
    if (!f.gw) return null;
    return finish(m, null, current ? [...paused, current, f] : [...paused, f], ops + 1, n.accesses + 1, audit, true, g, n.writes);
  }
  for (let tries = 1; outcome === 'fault'; tries++) {
    // The fault takes mmu_lock: it runs only where a KVM operation could start, to its end
    // (nothing else needs to run inside it: see docs/explorer.md), then the access is retried.
    if (tries > 2 || ops >= scope.bound.ops || m.state.mmuLockHeld || faultRetries(m.state, walk.ok ? walk.walk.gfn : null)) return null;
    if (current) { paused = [...paused, current]; current = null; }
    if (paused.some((p) => (p.kind === 'enable-dirty-logging' || p.kind === 'clear-dirty-log') && p.split?.pc === 'resched-lock')) g.mask |= G_FAULT_IN_WINDOW;
    ops++;
    const f = frame();
    while (!f.done) advanceFrame(m, f);
    if (f.mismatch) g.mask |= G_CHILD_MISMATCH;
    noteStaleAccess(m, a, g);
    outcome = guestAccess(m, frame(), a.vcpu, a.root, a.addr, a.kind);
  }
  return finish(m, current, paused, ops, n.accesses + 1, audit, n.fresh || ops > n.ops, g, n.writes);
}

/** A memslot that is there and not being deleted holds `gfn`. */
function liveSlotHolds(state: Node['state'], gfn: number): boolean {
  const slot = gfnToMemslot(state, gfn);
  return !!slot && !slot.invalid;
}

/**
 * Reduction 4: with mmu_lock held, an access only after a visible step (Node.fresh); after every
 * step where a test turns the reduction off (Scope.reduction4).
 */
function accessUseful(scope: Scope, n: Node): boolean {
  if (!n.state.mmuLockHeld || n.fresh) return true;
  return scope.reduction4 === 'off' || (scope.reduction4 === 'off-in-get' && n.current !== null && n.current.kind === 'get-dirty-log');
}

/** Every action that may be enabled at a node (apply() decides). */
export function candidateActions(scope: Scope, n: Node): number[] {
  const out: number[] = [];
  // A BUG() ended the host: nothing runs after it.
  if (n.state.hostOops) return out;
  if (n.current) out.push(STEP);
  const free = interruptible(n) && !n.state.mmuLockHeld;
  const dead = n.state.vmBuggedAt >= 0;
  const accesses = n.accesses < scope.bound.accesses && accessUseful(scope, n);
  for (let i = 0; i < scope.menu.length; i++) {
    const a = scope.menu[i];
    // A bugged VM (KVM_BUG_ON_DATA_CORRUPTION(): kvm_vm_dead()) runs no vCPU and no VM ioctl; the
    // host's mmu notifier still calls in, and the VMM can still write guest memory.
    if (dead && a.t !== 'invalidate' && a.t !== 'guest-table-write') continue;
    if (a.t === 'access') { if (accesses) out.push(i); continue; }
    if (a.t === 'guest-table-write') { if (free && n.writes < 1) out.push(i); continue; }
    if (free && n.ops < scope.bound.ops) out.push(i);
  }
  if (free) for (let i = 0; i < n.paused.length; i++) out.push(RESUME_BASE - i);
  return out;
}

/**
 * `--reduce por`: an access under the lock is refused unless the last step was visible to its
 * frame (Node.foot), as the packed model's accessRefused() reads its fresh byte.
 */
function porRefused(scope: Scope, n: Node, action: number): boolean {
  const a = action >= 0 ? scope.menu[action] : undefined;
  if (!a || a.t !== 'access' || !n.state.mmuLockHeld) return false;
  const frame = Math.floor((a.addr - scope.region) / scope.bound.entries);
  return !n.fresh || !(((n.foot ?? 0) >> frame) & 1);
}

/**
 * `--reduce por`: the footprint of the transition n -> o (Node.foot), as the packed model sets
 * its fresh byte (packed/model.ts): after a visible step with the lock held, the frames whose SPTEs
 * the step changed (an entry of a level-1 SP or of the level-2 SP: its frame; of a level-3 or
 * root SP: every frame), every frame after a flush or a free of host pages, after a harvest that
 * write-protected something (`get`), while a root maps the region with a 1G leaf or a TLB holds a
 * 1G entry, or when the step changed no SPTE of the region; an access keeps the footprint it found.
 * Reads the machine's last step before the outcome's explanations are dropped: called right after
 * applyCopying(), while endFork() has not run (the successor's SPs that the step wrote are its own
 * copies, the others are n's).
 */
function withFootprint(scope: Scope, n: Node, action: number, o: Outcome): void {
  const node = o.node;
  if (!node.fresh || !node.state.mmuLockHeld) { node.foot = 0; return; }
  const a = action >= 0 ? scope.menu[action] : undefined;
  if (a && a.t === 'access') { node.foot = n.foot ?? 0; return; }
  const all = (1 << scope.bound.entries) - 1;
  let foot = stepFootprint(scope, n.state, node.state, all);
  const frame = node.current;
  if (foot !== all && foot !== 0 && frame && frame.kind === 'get-dirty-log') foot = all;
  if (foot !== all && level3Anywhere(node.state)) foot = all;
  node.foot = foot || all;
}

function stepFootprint(scope: Scope, before: MmuState, after: MmuState, all: number): number {
  const e = scope.bound.entries;
  let foot = 0;
  // A step empties a TLB only by a flush (bare metal: every TLB); a flush of empty TLBs is a step
  // that writes no SPTE either, and gets every frame from withFootprint(). Host pages are freed
  // only with the lock dropped.
  if (after.vcpus.some((v, i) => v.tlb.length === 0 && before.vcpus[i].tlb.length > 0)) foot = all;
  for (let id = 0; id < after.sps.length && foot !== all; id++) {
    const sp = after.sps[id];
    const old = id < before.sps.length ? before.sps[id] : undefined;
    if (old && old.flags === sp.flags && old.target === sp.target) continue;
    for (let i = 0; i < sp.flags.length; i++) {
      const same = old ? old.flags[i] === sp.flags[i] && old.target[i] === sp.target[i] : sp.flags[i] === 0;
      if (same) continue;
      if (sp.role.level >= 3 || !sp.role.direct) { foot = all; break; }
      const gfn = sp.gfn + i * (sp.role.level === 2 ? e : 1);
      const page = gfn - scope.region;
      if (page >= 0 && page < e * e) foot |= 1 << Math.floor(page / e);
    }
  }
  return foot;
}

function level3Anywhere(state: MmuState): boolean {
  if (state.vcpus.some((v) => v.tlb.some((t) => t.level === 3))) return true;
  return state.sps.some((sp) => !sp.freed && sp.role.level === 3 && Array.from(sp.flags).some((f) => isLastSpte(f, 3)));
}
