/**
 * The explorer's small scope: one memslot, one region of E^2 pages (one level-3 "1 GiB" frame)
 * that two roots A and B map with the same access at the same L2 address (so they are aliases and
 * interchangeable), two vCPUs, and a menu of the KVM operations and guest accesses that may run.
 */
import { ACC_ALL } from '../kernel/spte';
import type { Scenario } from '../scenario/types';
import type { Bound, MenuAction, Scope } from './bound';
import { describeGuestTableBound, makeGuestTableScope } from './scope_guest_tables';

export type { Bound, MenuAction, Scope } from './bound';

/** The scopes the CLI offers. */
export const SCOPE_CHOICES: ReadonlyArray<NonNullable<Bound['scope']>> = ['split', 'guest-tables'];

/** The default bound of the guest-tables scope: E = 2, 4 operations (faults count: the reports' flows need two faults and two more operations), 2 accesses. */
export const GUEST_TABLES_BOUND: Bound = { entries: 2, ops: 4, accesses: 2, scope: 'guest-tables' };

/**
 * The CLI's default bound: E = 4, 4 operations (faults included), 2 accesses, every operation kind
 * (enable, clear and get dirty log, mmu-notifier invalidation). docs/explorer.md has what the full
 * v7 search holds and takes with the packed engine.
 */
export const DEFAULT_BOUND: Bound = { entries: 4, ops: 4, accesses: 2, pages: 'few' };
export const ALL_KINDS: NonNullable<Bound['kinds']> = ['enable', 'clear', 'get', 'invalidate'];
/** The table sizes the explorer has a scope for, and the page menus it offers (the CLI's choices). */
export const ENTRY_CHOICES: readonly number[] = [2, 4, 8];
export const PAGE_CHOICES: ReadonlyArray<NonNullable<Bound['pages']>> = ['few', 'all'];

/** Offsets in the region of the pages the menu names. */
export function menuPages(b: Bound): number[] {
  const e = b.entries;
  if (b.pages === 'all' || e === 2) return Array.from({ length: e * e }, (_, i) => i);
  return [0, 1, e, e + 1];
}

export const ROOT_GFN: Record<string, number> = { A: 0x1000, B: 0x2000 };

/** A bound the explorer cannot search (a table size it has no scope for): the caller's mistake, not the core's. */
export class BoundError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'BoundError';
  }
}

export function makeScope(bound: Bound): Scope {
  const e = bound.entries;
  if (!ENTRY_CHOICES.includes(e)) throw new BoundError(`the explorer runs with 2, 4 or 8 entries a table, not ${e}`);
  if (bound.scope === 'guest-tables') return makeGuestTableScope(bound);
  const regionPages = e * e;
  const region = regionPages;
  const slotPages = 4 * regionPages;
  const scenario: Scenario = {
    name: `explore-e${e}`,
    title: `Explorer scope, ${e} entries a table`,
    description: '',
    entries: e,
    flushMode: 'bare-metal',
    splitYield: 'every',
    variant: 'v7',
    memslots: [{ id: 0, baseGfn: 0, npages: slotPages, hostPfn: slotPages, hostLevel: 3 }],
    roots: ['A', 'B'].map((name) => ({
      name, guestTableGfn: ROOT_GFN[name], guestTables: [],
      mappings: [{ l2: region, gfn: region, level: 3 as const, access: ACC_ALL }],
    })),
    vcpus: 2,
    operations: [],
  };
  const menu: MenuAction[] = [];
  const pages = menuPages(bound);
  for (const kind of ['write', 'read'] as const) {
    for (let vcpu = 0; vcpu < 2; vcpu++) {
      for (const root of ['A', 'B']) {
        for (const a of pages) menu.push({ t: 'access', vcpu, root, addr: region + a, kind });
      }
    }
  }
  menu.push({ t: 'enable', manualProtect: true, initiallySet: true });
  menu.push({ t: 'enable', manualProtect: true, initiallySet: false });
  menu.push({ t: 'enable', manualProtect: false, initiallySet: false });
  for (const a of pages) menu.push({ t: 'clear', gfns: [region + a] });
  menu.push({ t: 'clear', gfns: Array.from({ length: regionPages }, (_, i) => region + i) });
  menu.push({ t: 'get' });
  for (const a of pages) menu.push({ t: 'invalidate', gfn: region + a });
  const kinds = bound.kinds;
  return { bound, region, regionPages, scenario, roots: 2, menu: kinds ? menu.filter((a) => a.t === 'access' || (kinds as string[]).includes(a.t)) : menu };
}

/**
 * What both engines take for granted instead of reading it from the scope: a menu that the vCPU
 * swap and the root swap map onto itself. Both keep one state of each orbit of those swaps
 * (canon.ts, packed/search.ts), which is sound only if a swapped state has the swapped futures. A
 * scope saying otherwise would be searched as if its menu were symmetric; it is refused instead.
 * The reason, or none. (The flush mode and the split yield are the scope's own: the core engine
 * runs its Machine with them; the packed engine refuses all but bare metal and "every",
 * packed/assumptions.ts.)
 */
export function explorerScopeProblems(scope: Scope): string[] {
  const accesses = new Set<string>();
  const key = (vcpu: number, root: string, addr: number, kind: string) => `${vcpu} ${root} ${addr} ${kind}`;
  for (const a of scope.menu) if (a.t === 'access') accesses.add(key(a.vcpu, a.root, a.addr, a.kind));
  // One root: nothing to swap it with (canon.ts swaps roots only when the scope has two).
  const swapRoot = (r: string) => (scope.roots === 1 ? r : r === 'A' ? 'B' : r === 'B' ? 'A' : r);
  for (const a of scope.menu) {
    if (a.t !== 'access') continue;
    const missing = [key(1 - a.vcpu, a.root, a.addr, a.kind), key(a.vcpu, swapRoot(a.root), a.addr, a.kind)].find((k) => !accesses.has(k));
    if (missing !== undefined) {
      return [`the explorer's symmetry reduction needs a menu the vCPU and root swaps map onto itself, but it has the access "${key(a.vcpu, a.root, a.addr, a.kind)}" (vCPU, root, address, kind) without "${missing}"`];
    }
  }
  return [];
}

/** Throw with every problem of `problems` when there is one (the scope is the caller's bug, not input). */
export function refuseScope(problems: string[]): void {
  if (problems.length) throw new Error(`internal: the explorer cannot search this scope: ${problems.join('; ')}`);
}

export function describeBound(b: Bound): string {
  if (b.scope === 'guest-tables') return describeGuestTableBound(b);
  return `E = ${b.entries} entries a table, 4 levels, 2 vCPUs, 2 aliased roots of one ${b.entries * b.entries}-page region, one memslot, ` +
    `at most ${b.ops} KVM operation${b.ops === 1 ? '' : 's'} and ${b.accesses} guest access${b.accesses === 1 ? '' : 'es'}, ` +
    `accesses, clears and invalidations of region pages ${menuPages(b).join(', ')}` +
    (b.kinds ? `, operations: faults, ${b.kinds.join(', ')}` : '');
}
