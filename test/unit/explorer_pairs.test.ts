/**
 * Every pair of operations the explorer runs together is one the kernel allows.
 *
 * Both engines' searches are walked transition by transition. At each transition one operation
 * makes a step (the running one, a resumed one, a newly started one, or a fault run by a guest
 * access) while the others are in flight (paused); each (stepping operation at its program
 * counter, operation in flight at its program counter) is checked against the kernel's rules,
 * written here from the kernel's locking (v6.0/v6.1; docs/explorer.md, "Which operations may
 * overlap", has the sources):
 *
 * 1. slots_lock: enabling dirty logging (KVM_SET_USER_MEMORY_REGION: kvm_vm_ioctl_set_memory_region
 *    -> kvm_set_memory_region, which holds kvm->slots_lock across the memslot update and its
 *    commit, kvm_mmu_slot_apply_flags() and so its eager split), KVM_CLEAR_DIRTY_LOG
 *    (kvm_vm_ioctl_clear_dirty_log) and KVM_GET_DIRTY_LOG (kvm_vm_ioctl_get_dirty_log) each hold
 *    slots_lock from their start to their return: no two of them overlap.
 * 2. mmu_lock: an operation paused where it holds mmu_lock excludes any step that needs it.
 * 3. mn_active_invalidate_count: the memslot update of KVM_SET_USER_MEMORY_REGION (the step that
 *    sets KVM_MEM_LOG_DIRTY_PAGES: kvm_swap_active_memslots()) waits until no mmu-notifier
 *    invalidation is between kvm_mmu_notifier_invalidate_range_start() and _end().
 * 4. mmu_invalidate_retry_hva() (is_page_fault_stale()): a fault on a gfn an invalidation in
 *    flight covers retries without touching an SPTE, so no fault runs there. (The kernel retries
 *    on the hull of the ranges since none was in progress, more than each one's own page; this
 *    pairwise rule is the part a pair can show, test/unit/explorer_split_retry.test.ts the rest.)
 *    A fault on another page runs beside the invalidation (since 2026-12-07 in the split scope).
 * 5. The kernel's entry points are these five: a fault, the three memslot ioctls, an mmu-notifier
 *    invalidation. An eager split runs only inside the first two ioctls (kvm_mmu_slot_apply_flags()
 *    and kvm_arch_mmu_enable_log_dirty_pt_masked()); any other kind of operation is not the kernel's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, candidateActions, newFrame, rootNode, STEP, RESUME_BASE, type Node } from '../../src/explore/model';
import { canonicalKey } from '../../src/explore/canon';
import { makeScope, DEFAULT_BOUND, type Bound, type MenuAction, type Scope } from '../../src/explore/scope';
import { PackedSearch } from '../../src/explore/packed/search';
import { EN, CL, GL, IV } from '../../src/explore/packed/model';
import * as layout from '../../src/explore/packed/layout';
import { findPreset } from '../../src/kernel/variants';
import type { OpFrame } from '../../src/model/frames';

/** An operation at a program counter (the step it makes next), as the kernel rules read it. */
interface At {
  kind: string;
  pc: string;
  /** The eager split's own program counter, inside enable or clear. */
  split?: string;
  /** The gfn a fault maps or an invalidation covers, region-relative. */
  page?: number;
}

const MEMSLOT_IOCTLS = new Set(['enable-dirty-logging', 'clear-dirty-log', 'get-dirty-log']);
const KERNEL_KINDS = new Set([...MEMSLOT_IOCTLS, 'fault', 'invalidate']);

/** mmu_lock is held when the operation's next step is at this pc (the lock was taken by an earlier step). */
function holdsMmuLock(a: At): boolean {
  switch (a.kind) {
    case 'fault': return a.pc !== 'lock';
    // kvm_mmu_slot_try_split_huge_pages() holds it across the split except between the drop and
    // the retake in need_topup_split_caches_or_resched(); kvm_mmu_slot_remove_write_access() holds it.
    case 'enable-dirty-logging': return (a.pc === 'split' && a.split !== 'resched-lock') || a.pc === 'wp' || a.pc === 'wp-unlock';
    // kvm_clear_dirty_log_protect(): KVM_MMU_LOCK .. KVM_MMU_UNLOCK around the word loop, the split
    // (kvm_arch_mmu_enable_log_dirty_pt_masked() runs under it) and the write-protection.
    case 'clear-dirty-log': return ['word', 'split-start', 'wp', 'unlock'].includes(a.pc) || (a.pc === 'split' && a.split !== 'resched-lock');
    // kvm_get_dirty_log_protect(): the harvest loop under KVM_MMU_LOCK.
    case 'get-dirty-log': return a.pc === 'word' || a.pc === 'unlock';
    // __kvm_handle_hva_range(): zap and flush under KVM_MMU_LOCK.
    case 'invalidate': return a.pc === 'zap' || a.pc === 'flush' || a.pc === 'unlock';
  }
  return false;
}

/** The step at this pc runs under mmu_lock (held before it, or taken by it). */
function stepNeedsMmuLock(a: At): boolean {
  if (holdsMmuLock(a) || a.kind === 'fault') return true;
  switch (a.kind) {
    case 'enable-dirty-logging': return a.pc === 'split-lock' || a.pc === 'wp-lock' || (a.pc === 'split' && a.split === 'resched-lock');
    case 'clear-dirty-log': return a.pc === 'lock' || (a.pc === 'split' && a.split === 'resched-lock');
    // With manual-protect the ioctl only copies the bitmap; otherwise its first step takes the lock.
    case 'get-dirty-log': return a.pc === 'start';
    case 'invalidate': return a.pc === 'lock';
  }
  return false;
}

/** Why the kernel does not let `a` make its step while `b` is in flight, or null when it does. */
export function kernelForbids(a: At, b: At): string | null {
  for (const x of [a, b]) if (!KERNEL_KINDS.has(x.kind)) return `${x.kind}: the kernel has no such entry point (an eager split runs only inside enable and clear dirty log, under slots_lock)`;
  if (MEMSLOT_IOCTLS.has(a.kind) && MEMSLOT_IOCTLS.has(b.kind)) return 'both hold slots_lock';
  if (holdsMmuLock(b) && stepNeedsMmuLock(a)) return 'mmu_lock is held by the other';
  if (a.kind === 'enable-dirty-logging' && a.pc === 'flags' && b.kind === 'invalidate') return 'kvm_swap_active_memslots() waits for mn_active_invalidate_count to drop to 0';
  if (a.kind === 'fault' && b.kind === 'invalidate' && a.page === b.page) return 'the fault retries (mmu_invalidate_retry_hva)';
  return null;
}

const show = (a: At) => `${a.kind}@${a.pc}${a.split ? `/${a.split}` : ''}${a.page !== undefined ? `[${a.page}]` : ''}`;

/** Every distinct (stepping, in flight) pair seen, with the transition it was first seen at. */
class Pairs {
  readonly seen = new Map<string, { a: At; b: At }>();
  add(a: At, others: At[]): void {
    for (const b of others) {
      const key = `${show(a)} | ${show(b)}`;
      if (!this.seen.has(key)) this.seen.set(key, { a, b });
    }
  }
  forbidden(): string[] {
    const out: string[] = [];
    for (const [key, { a, b }] of this.seen) {
      const why = kernelForbids(a, b);
      if (why) out.push(`${key}: ${why}`);
    }
    return out;
  }
}

// ---- the core engine ------------------------------------------------------------------------

function coreAt(f: OpFrame): At {
  const at: At = { kind: f.kind, pc: f.pc };
  const split = (f as { split?: { pc: string } | null }).split;
  if (split) at.split = split.pc;
  if (f.kind === 'invalidate') at.page = f.gfn;
  if (f.kind === 'fault') at.page = f.addr;
  return at;
}

/** The first step of an operation the menu starts. */
function startAt(a: MenuAction): At {
  if (a.t === 'invalidate') return { kind: 'invalidate', pc: 'lock', page: a.gfn };
  try {
    return coreAt(newFrame(a));
  } catch {
    return { kind: a.t, pc: 'start' };
  }
}

function walkCore(scope: Scope, pairs: Pairs): number {
  const variant = findPreset('v7')!;
  const visited = new Set<string>();
  let frontier: Node[] = [rootNode(scope)];
  visited.add(canonicalKey(frontier[0]));
  let transitions = 0;
  while (frontier.length) {
    const next: Node[] = [];
    for (const n of frontier) {
      const inFlight = [...(n.current ? [n.current] : []), ...n.paused];
      for (const a of candidateActions(scope, n)) {
        const o = apply(scope, variant, n, a);
        if (!o) continue;
        transitions++;
        if (a === STEP) pairs.add(coreAt(n.current!), n.paused.map(coreAt));
        else if (a <= RESUME_BASE) {
          const i = RESUME_BASE - a;
          pairs.add(coreAt(n.paused[i]), inFlight.filter((f) => f !== n.paused[i]).map(coreAt));
        } else {
          const m = scope.menu[a];
          if (m.t !== 'access') pairs.add(startAt(m), inFlight.map(coreAt));
          else if (o.node.ops > n.ops) pairs.add({ kind: 'fault', pc: 'lock', page: m.addr }, inFlight.map(coreAt));
        }
        if (o.violations.length) continue;
        const key = canonicalKey(o.node);
        if (!visited.has(key)) { visited.add(key); next.push(o.node); }
      }
    }
    frontier = next;
  }
  return transitions;
}

// ---- the packed engine ----------------------------------------------------------------------

/** Packed program counters by number, named as the core's (EN.SPLIT_LOCK -> 'split-lock'). */
const pcNames = (table: Record<string, number>) => {
  const out: string[] = [];
  for (const [name, n] of Object.entries(table)) out[n] = name.toLowerCase().replace(/_/g, '-');
  return out;
};
const PACKED_KINDS: Record<number, [string, string[]]> = {
  [layout.K_ENABLE]: ['enable-dirty-logging', pcNames(EN)],
  [layout.K_CLEAR]: ['clear-dirty-log', pcNames(CL)],
  [layout.K_GET]: ['get-dirty-log', pcNames(GL)],
  [layout.K_INVALIDATE]: ['invalidate', pcNames(IV)],
};
const SPLIT_PCS = ['find', 'resched-unlock', 'resched-lock', 'get-sp', 'loop', 'drop', 'flush', 'link', 'done'];

function packedAt(s: Uint8Array, f: number, region: number): At {
  const known = PACKED_KINDS[s[f + layout.F_KIND]];
  if (!known) return { kind: `packed kind ${s[f + layout.F_KIND]}`, pc: String(s[f + layout.F_PC]) };
  const at: At = { kind: known[0], pc: known[1][s[f + layout.F_PC]] };
  if (s[f + layout.F_HAS_SPLIT]) at.split = SPLIT_PCS[s[f + layout.S_PC]];
  if (at.kind === 'invalidate') at.page = region + s[f + layout.F_ARG];
  return at;
}

function walkPacked(bound: Bound, pairs: Pairs): { states: number; transitions: number } {
  const search = new PackedSearch({ variant: findPreset('v7')!, bound });
  while (!search.run(1000));
  assert.equal(search.result().verdict, 'no violation within the bound');
  const { model, scope } = search;
  const L = model.L;
  const cands = new Int32Array(scope.menu.length + 2 + L.nf);
  let states = 0;
  let transitions = 0;
  search.forEachState((words, at) => {
    states++;
    // The chunk as bytes: a state near its end has fewer bytes after it than a whole state.
    const s = new Uint8Array(words.buffer, words.byteOffset);
    const b = 4 * at;
    const np = s[b + L.npaused];
    const cur = s[b + L.cur + layout.F_KIND] !== layout.K_NONE ? 1 : 0;
    const inFlight: At[] = [];
    if (cur) inFlight.push(packedAt(s, b + L.cur, scope.region));
    for (let i = 0; i < np; i++) inFlight.push(packedAt(s, b + L.pausedAt(i), scope.region));
    const n = model.candidates(s, b, cands);
    const ops = s[b + L.ops];
    for (let k = 0; k < n; k++) {
      const a = cands[k];
      if (!model.apply(words, at, a)) continue;
      transitions++;
      if (a === STEP) pairs.add(inFlight[0], inFlight.slice(1));
      else if (a <= RESUME_BASE) {
        const i = cur + RESUME_BASE - a;
        pairs.add(inFlight[i], inFlight.filter((_, j) => j !== i));
      } else {
        const m = scope.menu[a];
        if (m.t !== 'access') pairs.add(startAt(m), inFlight);
        else if (model.s[L.ops] > ops) pairs.add({ kind: 'fault', pc: 'lock', page: m.addr }, inFlight);
      }
    }
  });
  return { states, transitions };
}

test('the kernel rules themselves: what they forbid and allow (each from reasoning, not from the explorer)', () => {
  const enableFlags: At = { kind: 'enable-dirty-logging', pc: 'flags' };
  const invFree: At = { kind: 'invalidate', pc: 'free', page: 16 };
  // Two memslot ioctls: slots_lock, at any pcs.
  assert.match(kernelForbids({ kind: 'clear-dirty-log', pc: 'lock' }, { kind: 'enable-dirty-logging', pc: 'wp-flush' })!, /slots_lock/);
  // The memslot update waits for an invalidation between range_start and range_end...
  assert.match(kernelForbids(enableFlags, invFree)!, /mn_active_invalidate_count/);
  // ...but an invalidation may start once the update is done, while the split has dropped mmu_lock.
  assert.equal(kernelForbids({ kind: 'invalidate', pc: 'lock', page: 16 }, { kind: 'enable-dirty-logging', pc: 'split', split: 'resched-lock' }), null);
  // A fault in the split's lock drop: the door the seed's hazard goes through.
  assert.equal(kernelForbids({ kind: 'fault', pc: 'lock', page: 17 }, { kind: 'enable-dirty-logging', pc: 'split', split: 'resched-lock' }), null);
  // Not while the split holds mmu_lock, nor on a page being invalidated.
  assert.match(kernelForbids({ kind: 'fault', pc: 'lock', page: 17 }, { kind: 'enable-dirty-logging', pc: 'split', split: 'loop' })!, /mmu_lock/);
  assert.match(kernelForbids({ kind: 'fault', pc: 'lock', page: 16 }, invFree)!, /retries/);
  // The caller's flush after the unlock needs no mmu_lock.
  assert.equal(kernelForbids({ kind: 'clear-dirty-log', pc: 'flush' }, { kind: 'invalidate', pc: 'flush', page: 16 }), null);
  // The standalone eager split the explorer once had.
  assert.match(kernelForbids({ kind: 'eager-split', pc: 'lock' }, { kind: 'enable-dirty-logging', pc: 'split', split: 'resched-lock' })!, /no such entry point/);
});

test('core engine (E = 2, 3 operations, 1 access, every kind): every pair it interleaves, the kernel allows', () => {
  const pairs = new Pairs();
  const bound: Bound = { entries: 2, ops: 3, accesses: 1, pages: 'few' };
  const transitions = walkCore(makeScope(bound), pairs);
  assert.deepEqual(pairs.forbidden(), []);
  // The walk saw the interleavings that matter here: a fault beside a paused enable, an
  // invalidation beside each memslot ioctl, two invalidations at once, a fault beside an
  // invalidation of another page before its end. (A fault in the split's lock drop needs a second
  // access: the packed walk below has it.)
  const keys = [...pairs.seen.keys()];
  for (const want of [/^fault@lock\[\d+\] \| invalidate@free/, /^fault@lock\[\d+\] \| enable-dirty-logging@/, /^invalidate@lock\[\d+\] \| clear-dirty-log@/, /^invalidate@lock\[\d+\] \| get-dirty-log@/, /^invalidate@\w+\[\d+\] \| invalidate@/]) {
    assert.ok(keys.some((k) => want.test(k)), `no pair like ${want} in ${transitions} transitions`);
  }
});

test('packed engine at the CLI\'s default bound: every pair it interleaves, the kernel allows', () => {
  const pairs = new Pairs();
  const r = walkPacked(DEFAULT_BOUND, pairs);
  assert.deepEqual(pairs.forbidden(), []);
  const keys = [...pairs.seen.keys()];
  for (const want of [/^fault@lock\[\d+\] \| invalidate@free/, /^fault@lock\[\d+\] \| enable-dirty-logging@split\/resched-lock/, /^fault@lock\[\d+\] \| clear-dirty-log@split\/resched-lock/, /^invalidate@lock\[\d+\] \| enable-dirty-logging@/, /^invalidate@\w+\[\d+\] \| invalidate@/]) {
    assert.ok(keys.some((k) => want.test(k)), `no pair like ${want} in ${r.transitions} transitions of ${r.states} states`);
  }
});
