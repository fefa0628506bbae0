/** The state a scenario starts from: empty shadow tables, loaded roots, empty TLBs. */
import { Geometry, type Level } from '../kernel/geometry';
import { newRmap } from '../mmu/rmap';
import { allocSp, spHashKey } from '../mmu/shadow_page';
import { zeroCounters, type Memslot, type MmuState, type Root } from '../model/state';
import { ACC_ALL } from '../kernel/spte';
import { scenarioGuestMemory } from '../scenario/guest_tables';
import type { Scenario } from '../scenario/types';

export function initialState(s: Scenario): MmuState {
  const geo = new Geometry(s.entries);
  const state: MmuState = {
    geo, sps: [], hash: new Map(), memslots: [], roots: [], guestMemory: scenarioGuestMemory(geo, s), vcpus: [], mmuLockHeld: false,
    freedPfns: [], nextHostPfn: 0, nextTlbId: 1, writtenSinceProtect: new Set(), lastWrite: new Map(),
    unmapEvents: [], unmapPending: [], invalidating: [], invalidateRange: null, splitCacheObjects: 0, splitDescsUsed: 0,
    mmuValidGen: 0, activeMmuPages: [], vmBuggedAt: -1, hostOops: null, counters: zeroCounters(),
  };
  let hostEnd = 0;
  for (const m of s.memslots) {
    const slot: Memslot = {
      id: m.id, baseGfn: m.baseGfn, npages: m.npages, hostPfnBase: m.hostPfn, hostLevel: m.hostLevel,
      logDirty: false, manualProtect: false, initiallySet: false,
      dirtyBitmap: new Uint8Array(m.npages), rmap: [], remaps: [],
    };
    slot.rmap = [undefined as never, newRmap(state, slot, 1), newRmap(state, slot, 2), newRmap(state, slot, 3)];
    state.memslots.push(slot);
    hostEnd = Math.max(hostEnd, m.hostPfn + m.npages);
  }
  // Pages the host hands out after an invalidation come from above every memslot's backing.
  state.nextHostPfn = Math.ceil(hostEnd / geo.pages(3)) * geo.pages(3) + geo.pages(3);
  for (const r of s.roots) {
    const role = { level: 4 as Level, direct: false, access: ACC_ALL };
    const existing = state.hash.get(spHashKey(r.guestTableGfn, role));
    const spId = existing ?? allocSp(state, r.guestTableGfn, role, r.name, true).id;
    const root: Root = { name: r.name, guestTableGfn: r.guestTableGfn, spId };
    state.roots.push(root);
  }
  for (let i = 0; i < s.vcpus; i++) state.vcpus.push({ id: i, tlb: [] });
  return state;
}
