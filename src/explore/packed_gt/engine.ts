/**
 * What the transitions written outside model.ts (trapped_write.ts, invalidation.ts, deletion.ts,
 * fault_window.ts) use of the packed model: its layout, its tables and the pieces of transitions
 * it already has. An interface, so that model.ts can call into those files without their
 * importing it back (no import cycle).
 */
import type { Geometry } from '../../kernel/geometry';
import type { Variant } from '../../kernel/variants';
import type { GuestWalk } from '../../mmu/guest_walk';
import type { Scope } from '../bound';
import type { GtLayout } from './layout';

/** Thrown inside a transition the engine does not model yet; apply() answers UNSUPPORTED. */
export class Unsupported extends Error {}

export interface GtViolation { kind: string; strength?: string; vcpu: number; gfn: number }

export interface GtEngine {
  readonly L: GtLayout;
  readonly geo: Geometry;
  readonly scope: Scope;
  readonly variant: Variant;
  /** The successor the transition made. */
  s: Uint8Array;
  violation: GtViolation | null;
  reached: number;
  /** walks[(pd0 * 2 + write) * addrs + addr]: the guest walk with PD[0] = pd0s[pd0], null if it fails. */
  readonly walks: Array<GuestWalk | null>;
  readonly addrs: number;
  successor(from: Uint8Array): Uint8Array;
  /** The running frame ended: its words go. */
  endCurrent(w: Uint8Array): void;
  /** The SP slots of the key that shadows PD. */
  readonly pdKey: number;
  /** The PD[0] code menu write `action` sets. */
  pd0Of(action: number): number;
  gfnToPfn(w: Uint8Array, g: number): number;
  memslotOf(g: number): number;
  dropLeafOrReport(w: Uint8Array, slot: number, index: number): void;
  /** Node.fresh after a KVM step, written only while mmu_lock is held. */
  setFresh(w: Uint8Array, visible: boolean): void;
  pauseCurrent(w: Uint8Array): void;
  rootSlot(w: Uint8Array): number;
  /** SPTE_INDEX(addr, level) for the scope's addresses (Geometry.index()). */
  spteIndex(addr: number, level: number): number;
  tlbLookup(w: Uint8Array, vcpu: number, addr: number): number;
  freed(w: Uint8Array, pfn: number): boolean;
  liveSlotHolds(w: Uint8Array, g: number): boolean;
  emulating(w: Uint8Array, vcpu: number): boolean;
  reloadRoots(w: Uint8Array, vcpu: number): void;
  clearSpte(w: Uint8Array, slot: number, index: number): void;
  hasParent(w: Uint8Array, slot: number): boolean;
  prepareZap(w: Uint8Array, slot: number, list: number[]): void;
  flushAll(w: Uint8Array): void;
  offActiveList(w: Uint8Array, slot: number): void;
  invalidationInProgress(w: Uint8Array): boolean;
  noteStaleAccess(w: Uint8Array, vcpu: number, addr: number, write: boolean): void;
  hardwareAccess(w: Uint8Array, vcpu: number, addr: number, write: boolean): boolean;
  keyOf(w: Uint8Array, slot: number): number;
  getShadowPage(w: Uint8Array, key: number): number;
  childReusable(w: Uint8Array, child: number, key: number): boolean;
  fault(w: Uint8Array, gw: GuestWalk, addr: number): boolean;
  installLeaf(w: Uint8Array, slot: number, index: number, gfn: number, access: number): void;
  unlockCheck(w: Uint8Array): void;
}
