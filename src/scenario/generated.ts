/** Scenarios built in code rather than read from a file: the full-scale guests. */
import type { Scenario } from './types';

/**
 * A guest of `gib` GiB on 1 GiB host pages (E = 512), every 1 GiB page written once by vCPU 0, so
 * KVM maps each with a 1G SPTE and the vCPU caches it; then dirty logging (classic mode): the eager
 * split of all of it to 4K, then the write-protection of every 4K SPTE.
 */
export function bigGuest(gib: number): Scenario {
  const G = 512 * 512;
  const mappings = Array.from({ length: gib }, (_, i) => ({ l2: (i + 1) * G, gfn: (i + 1) * G, level: 3 as const, access: 7 }));
  return {
    name: `guest-${gib}g`, title: `${gib} GiB guest on 1 GiB pages, eager split to 4K when logging starts`, description: '', entries: 512,
    flushMode: 'bare-metal', splitYield: 'cache', variant: 'v7',
    memslots: [{ id: 0, baseGfn: G, npages: gib * G, hostPfn: 4 * G, hostLevel: 3 }],
    roots: [{ name: 'A', guestTableGfn: 0x10, mappings, guestTables: [] }],
    vcpus: 1,
    operations: [
      ...mappings.map((m) => ({ op: 'access' as const, vcpu: 0, root: 'A', addr: m.l2, kind: 'write' as const })),
      { op: 'enable-dirty-logging' as const, slot: 0, manualProtect: false, initiallySet: false },
    ],
  };
}
