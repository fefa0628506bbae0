/**
 * The explorer's scope for guest tables that change (docs/explorer.md, "The guest-tables scope"):
 * the two 2026 use-after-free reports' world, written down with no flow in mind, so that the search
 * finds the flows itself.
 *
 * One root A whose guest tables sit in memslot 0 (PML4 0x1000, PDPT 0x1001, PD 0x1002, and a spare
 * page table T = 0x1003 that maps region R2). The guest maps L2 0.. with one 2M page (level 2, E
 * pages): PD[0] = huge G1. Memslot 1 is region R1 = [G1, G1 + E), memslot 2 region R2 = [G2, G2 + E),
 * both backed by 4K host pages, so KVM maps the guest's 2M page with a direct level-1 SP. The first
 * page of R1 also holds page-table contents (entry 0 -> G1, entry 1 -> Q = G2 + 1): data that a
 * guest-table write may link as a table, the "unexpected role" report's setup.
 *
 * The menu: guest accesses (read or write, either vCPU, every page of L2 0..E-1); one write of
 * PD[0] to each target the reports need and one they do not (huge G2, table at G1, table T, not
 * present), by the VMM (untrapped, the default), by the guest (trapped, either vCPU) or either
 * (Bound.writes); the deletion of memslot 1 (R1); mmu-notifier invalidations of R1's pages and of Q.
 */
import { ACC_ALL } from '../kernel/spte';
import type { GuestPte } from '../model/state';
import type { Scenario } from '../scenario/types';
import type { Bound, MenuAction, Scope } from './bound';

export const GT = {
  pml4: 0x1000,
  pdpt: 0x1001,
  pd: 0x1002,
  /** A spare level-1 table in memslot 0 mapping R2. */
  t: 0x1003,
  g1: 0x10,
  g2: 0x20,
} as const;

/** The targets of the one guest-table write: PD[0] := each. */
export function pdeTargets(): Array<{ name: string; entry: GuestPte }> {
  return [
    { name: `huge G2 (${hexs(GT.g2)})`, entry: { kind: 'huge', gfn: GT.g2, access: ACC_ALL } },
    { name: `table at G1 (${hexs(GT.g1)}, data read as a table)`, entry: { kind: 'table', gfn: GT.g1, access: ACC_ALL } },
    { name: `table T (${hexs(GT.t)})`, entry: { kind: 'table', gfn: GT.t, access: ACC_ALL } },
    { name: 'not present', entry: { kind: 'none', gfn: 0, access: 0 } },
  ];
}

function hexs(n: number): string {
  return '0x' + n.toString(16);
}

/** Q: the page of R2 that the table at G1 and T both map at index 1. */
export const gtQ = (): number => GT.g2 + 1;

function leaves(from: number, count: number): Array<{ index: number; pte: GuestPte }> {
  return Array.from({ length: count }, (_, i) => ({ index: i, pte: { kind: 'leaf' as const, gfn: from + i, access: ACC_ALL } }));
}

function scenario(e: number): Scenario {
  return {
    name: `explore-guest-tables-e${e}`,
    title: `Explorer scope: guest tables that change, ${e} entries a table`,
    description: '',
    entries: e,
    flushMode: 'bare-metal',
    splitYield: 'every',
    variant: 'mainline-2026',
    memslots: [
      { id: 0, baseGfn: GT.pml4, npages: 4, hostPfn: 0x300, hostLevel: 1 },
      { id: 1, baseGfn: GT.g1, npages: e, hostPfn: 0x100, hostLevel: 1 },
      { id: 2, baseGfn: GT.g2, npages: e, hostPfn: 0x200, hostLevel: 1 },
    ],
    roots: [{
      name: 'A', guestTableGfn: GT.pml4,
      guestTables: [{ level: 3, l2: 0, gfn: GT.pdpt }, { level: 2, l2: 0, gfn: GT.pd }],
      mappings: [{ l2: 0, gfn: GT.g1, level: 2, access: ACC_ALL }],
    }],
    guestMemory: [
      { gfn: GT.g1, level: 1, entries: [{ index: 0, pte: { kind: 'leaf', gfn: GT.g1, access: ACC_ALL } }, { index: 1, pte: { kind: 'leaf', gfn: gtQ(), access: ACC_ALL } }] },
      { gfn: GT.t, level: 1, entries: leaves(GT.g2, e) },
    ],
    vcpus: 2,
    operations: [],
  };
}

export function makeGuestTableScope(bound: Bound): Scope {
  const e = bound.entries;
  const menu: MenuAction[] = [];
  for (const kind of ['write', 'read'] as const) {
    for (let vcpu = 0; vcpu < 2; vcpu++) for (let a = 0; a < e; a++) menu.push({ t: 'access', vcpu, root: 'A', addr: a, kind });
  }
  // Bound.faultWindow: each access again, its fault stopped between its guest walk and its mmu_lock.
  if (bound.faultWindow) {
    for (const kind of ['write', 'read'] as const) {
      for (let vcpu = 0; vcpu < 2; vcpu++) for (let a = 0; a < e; a++) menu.push({ t: 'access', vcpu, root: 'A', addr: a, kind, walked: true });
    }
  }
  const writes = bound.writes ?? 'untrapped';
  if (writes !== 'trapped') for (const target of pdeTargets()) menu.push({ t: 'guest-table-write', table: GT.pd, index: 0, entry: target.entry, name: target.name });
  // The guest's own store, by either vCPU: the vCPU swap the engines reduce by must map the menu onto itself.
  if (writes !== 'untrapped') {
    for (let vcpu = 0; vcpu < 2; vcpu++) for (const target of pdeTargets()) menu.push({ t: 'guest-table-write', table: GT.pd, index: 0, entry: target.entry, name: target.name, by: 'guest', vcpu });
  }
  // Bound.kinds: the operations besides faults the menu keeps (all when not given).
  const deletes = !bound.kinds || bound.kinds.includes('delete-memslot');
  const invalidates = !bound.kinds || bound.kinds.includes('invalidate');
  if (deletes) menu.push({ t: 'delete-memslot', slot: 1 });
  // Bound.deleteTables: the tables' memslot too (with the quirk off, the one whose deletion zaps the indirect SPs).
  if (deletes && bound.deleteTables) menu.push({ t: 'delete-memslot', slot: 0 });
  if (invalidates) {
    for (let a = 0; a < e; a++) menu.push({ t: 'invalidate', gfn: GT.g1 + a });
    menu.push({ t: 'invalidate', gfn: gtQ() });
  }
  return { bound, region: GT.g1, regionPages: e, scenario: scenario(e), menu, roots: 1 };
}

const WRITE_WORDS: Record<NonNullable<Bound['writes']>, string> = {
  untrapped: 'untrapped write (by the VMM)',
  trapped: 'trapped write (the guest\'s store by either vCPU)',
  both: 'write, untrapped (by the VMM) or trapped (the guest\'s store by either vCPU),',
};

export function describeGuestTableBound(b: Bound): string {
  return `guest tables that change: E = ${b.entries} entries a table, 4 levels, 2 vCPUs, one root whose PD[0] maps a 2M page of memslot 1 (host 4K), ` +
    `at most ${b.ops} KVM operation${b.ops === 1 ? '' : 's'} (faults included), ${b.accesses} guest access${b.accesses === 1 ? '' : 'es'} and one ${WRITE_WORDS[b.writes ?? 'untrapped']} of PD[0] ` +
    `(${pdeTargets().map((t) => t.name).join(', ')})` +
    (!b.kinds || b.kinds.includes('delete-memslot') ? `; the deletion of memslot 1 (R1)${b.deleteTables ? ' and of memslot 0 (the guest tables)' : ''}` : '; no memslot deletion') +
    (!b.kinds || b.kinds.includes('invalidate') ? `; invalidations of R1's pages and of Q (${hexs(gtQ())})` : '; no invalidation') +
    (b.faultWindow ? '; faults may stop between their guest walk and their mmu_lock' : '');
}
