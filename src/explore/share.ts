/**
 * Structural sharing between an explorer node's state and its parent's (the core engine;
 * docs/explorer.md, "What a core transition costs"). A transition copies the whole state
 * (cloneState) and changes a few parts of it: one SP's entries, one memslot's rmap, a TLB. The
 * parts it left as they were are replaced by the parent's own objects, so the copies made for them
 * die young (a scavenge frees them for nothing) and only what changed survives into the frontier,
 * where every object costs the garbage collector a copy and a mark.
 *
 * Sound because a stored node's state is never written: every transition runs on a fresh
 * cloneState() of it (model.ts, machineFor), which copies the shared parts again, deeply. Only
 * parts equal in every field are shared, so the state reads the same, field for field.
 */
import type { KvmMmuPage, Memslot, MmuState, Rmap, TlbEntry, Vcpu } from '../model/state';

type Numbers = ArrayLike<number> | null;

function sameNumbers(a: Numbers, b: Numbers): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameMisfiled(a: KvmMmuPage['misfiled'], b: KvmMmuPage['misfiled']): boolean {
  if (a === b) return true;
  if (!a || !b || a.size !== b.size) return false;
  for (const [i, x] of a) {
    const y = b.get(i);
    if (!y || y.gfn !== x.gfn || y.step !== x.step) return false;
  }
  return true;
}

function sameSp(a: KvmMmuPage, b: KvmMmuPage): boolean {
  return a === b || a.id === b.id && a.gfn === b.gfn && a.role.level === b.role.level && a.role.direct === b.role.direct && a.role.access === b.role.access &&
    a.rootName === b.rootName && a.isRoot === b.isRoot && a.freed === b.freed && a.freedAt === b.freedAt && a.invalid === b.invalid &&
    a.mmuValidGen === b.mmuValidGen && a.rootCount === b.rootCount &&
    sameNumbers(a.flags, b.flags) && sameNumbers(a.target, b.target) && sameNumbers(a.gfns, b.gfns) && sameNumbers(a.accesses, b.accesses) &&
    sameNumbers(a.parentPtes, b.parentPtes) && sameMisfiled(a.misfiled, b.misfiled);
}

function sameRmap(a: Rmap | undefined, b: Rmap | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || !sameNumbers(a.head, b.head) || a.more.size !== b.more.size) return false;
  for (const [k, v] of a.more) if (!sameNumbers(v, b.more.get(k) ?? null)) return false;
  return true;
}

function sameMemslot(a: Memslot, b: Memslot): boolean {
  if (a.id !== b.id || a.baseGfn !== b.baseGfn || a.npages !== b.npages || a.hostPfnBase !== b.hostPfnBase || a.hostLevel !== b.hostLevel ||
    a.logDirty !== b.logDirty || a.manualProtect !== b.manualProtect || a.initiallySet !== b.initiallySet || a.invalid !== b.invalid ||
    ('invalid' in a) !== ('invalid' in b) || !sameNumbers(a.dirtyBitmap, b.dirtyBitmap) || a.rmap.length !== b.rmap.length || a.remaps.length !== b.remaps.length) return false;
  for (let l = 0; l < a.rmap.length; l++) if (!sameRmap(a.rmap[l], b.rmap[l])) return false;
  for (let i = 0; i < a.remaps.length; i++) {
    const x = a.remaps[i];
    const y = b.remaps[i];
    if (x.gfn !== y.gfn || x.npages !== y.npages || x.pfn !== y.pfn) return false;
  }
  return true;
}

function sameTlbEntry(a: TlbEntry, b: TlbEntry): boolean {
  return a.id === b.id && a.vcpu === b.vcpu && a.root === b.root && a.l2Base === b.l2Base && a.level === b.level && a.gfnBase === b.gfnBase &&
    a.pfnBase === b.pfnBase && a.writable === b.writable && a.exec === b.exec && a.filledAt === b.filledAt;
}

function sameVcpu(a: Vcpu, b: Vcpu): boolean {
  if (a.id !== b.id || a.reloadPending !== b.reloadPending || ('reloadPending' in a) !== ('reloadPending' in b) || a.tlb.length !== b.tlb.length) return false;
  for (let i = 0; i < a.tlb.length; i++) if (!sameTlbEntry(a.tlb[i], b.tlb[i])) return false;
  return true;
}

function sameMap<K, V>(a: ReadonlyMap<K, V>, b: ReadonlyMap<K, V>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v || !b.has(k)) return false;
  return true;
}

/** Replace the parts of `child` equal to `parent`'s by the parent's objects (both stay unwritten from here on). */
export function shareUnchanged(parent: MmuState, child: MmuState): void {
  const sps = child.sps;
  const n = Math.min(sps.length, parent.sps.length);
  for (let i = 0; i < n; i++) if (sameSp(sps[i], parent.sps[i])) sps[i] = parent.sps[i];
  if (child.memslots.length === parent.memslots.length) {
    for (let i = 0; i < child.memslots.length; i++) if (sameMemslot(child.memslots[i], parent.memslots[i])) child.memslots[i] = parent.memslots[i];
  }
  if (child.vcpus.length === parent.vcpus.length) {
    for (let i = 0; i < child.vcpus.length; i++) if (sameVcpu(child.vcpus[i], parent.vcpus[i])) child.vcpus[i] = parent.vcpus[i];
  }
  // Guest tables are values (a write replaces a table whole), so equal maps hold the same objects.
  if (sameMap(child.guestMemory, parent.guestMemory)) child.guestMemory = parent.guestMemory;
  if (sameMap(child.hash, parent.hash)) child.hash = parent.hash;
}
