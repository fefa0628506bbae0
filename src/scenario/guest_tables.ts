/**
 * Where a root's guest page tables live: the gfn of each table a root's mappings go through.
 * Tables the scenario names keep their gfn; the others get consecutive gfns after the root's top
 * table, in order of L2 address and then level, so that the same scenario always gives the same
 * gfns. The initial state and the scenario checks read the same layout from here, and the initial
 * state's guest memory is compiled from it (compileGuestMemory): the mappings are input sugar.
 */
import type { Geometry, Level } from '../kernel/geometry';
import { ACC_ALL } from '../kernel/spte';
import { guestTableKey, type GuestPte, type GuestTable } from '../model/state';
import type { Scenario, ScenarioRoot } from './types';

/** The guest tables below the top one that a mapping of `level` at `l2` goes through: levels 3..level. */
export function tablesOnPath(geo: Geometry, l2: number, level: Level): Array<{ level: Level; l2Base: number }> {
  const out: Array<{ level: Level; l2Base: number }> = [];
  for (let l = 3; l >= level; l--) out.push({ level: l as Level, l2Base: geo.round(l2, l + 1) });
  return out;
}

export function guestTableGfns(geo: Geometry, r: ScenarioRoot): Map<string, number> {
  const tables = new Map<string, number>();
  for (const t of r.guestTables) tables.set(guestTableKey(t.level, geo.round(t.l2, t.level + 1)), t.gfn);
  let next = r.guestTableGfn + 1;
  const used = new Set(tables.values());
  for (const m of [...r.mappings].sort((a, b) => a.l2 - b.l2)) {
    for (const t of tablesOnPath(geo, m.l2, m.level)) {
      const key = guestTableKey(t.level, t.l2Base);
      if (tables.has(key)) continue;
      while (used.has(next)) next++;
      tables.set(key, next);
      used.add(next++);
    }
  }
  return tables;
}

/**
 * The guest memory the roots' mappings stand for: each root's top table at guestTableGfn (level 4),
 * the tables below it at the gfns guestTableGfns() gives, a link entry to each (access ACC_ALL, so
 * that only the leaf limits the access, as the mappings say) and a leaf entry for each mapping.
 * Roots that share a table gfn hold the same entries there (guestTablesConsistent checks it).
 */
export function compileGuestMemory(geo: Geometry, roots: readonly ScenarioRoot[]): Map<number, GuestTable> {
  const tables = new Map<number, { level: Level; entries: Map<number, GuestPte> }>();
  const table = (gfn: number, level: Level) => {
    let t = tables.get(gfn);
    if (!t) tables.set(gfn, t = { level, entries: new Map() });
    return t;
  };
  for (const r of roots) {
    const gfns = guestTableGfns(geo, r);
    for (const m of r.mappings) {
      let parent = table(r.guestTableGfn, 4);
      for (const t of tablesOnPath(geo, m.l2, m.level)) {
        const gfn = gfns.get(guestTableKey(t.level, t.l2Base))!;
        parent.entries.set(geo.index(m.l2, parent.level), { kind: 'table', gfn, access: ACC_ALL });
        parent = table(gfn, t.level);
      }
      parent.entries.set(geo.index(m.l2, parent.level), { kind: m.level > 1 ? 'huge' : 'leaf', gfn: m.gfn, access: m.access });
    }
    table(r.guestTableGfn, 4);
  }
  return tables;
}

/**
 * The 4 KiB gfn the guest maps `addr` to in `memory` from the top table at `top`, or undefined when
 * the walk ends at an entry that is not present. The scenario checks use it to follow the guest
 * tables a guest-table-write has changed; the fault's own walk, with all it records, is
 * src/mmu/guest_walk.ts.
 */
export function guestGfnOf(geo: Geometry, memory: ReadonlyMap<number, GuestTable>, top: number, addr: number): number | undefined {
  let table = memory.get(top);
  for (let level = 4; level >= 1 && table; level--) {
    const pte = table.entries.get(geo.index(addr, level));
    if (!pte || pte.kind === 'none') return undefined;
    if (pte.kind !== 'table') return pte.gfn + (addr - geo.round(addr, level));
    table = memory.get(pte.gfn);
  }
  return undefined;
}

/** `memory` with one entry written (tables are replaced, as the operation does). */
export function withGuestPte(memory: ReadonlyMap<number, GuestTable>, gfn: number, index: number, pte: GuestPte): Map<number, GuestTable> {
  const out = new Map(memory);
  const t = memory.get(gfn);
  if (!t) return out;
  const entries = new Map(t.entries);
  if (pte.kind === 'none') entries.delete(index); else entries.set(index, pte);
  out.set(gfn, { level: t.level, entries });
  return out;
}

/**
 * The guest memory a scenario starts with: the tables its roots' mappings compile to, and the ones
 * its `guestMemory` writes out (checks.ts keeps the two apart: a written table at a compiled
 * table's gfn is refused).
 */
export function scenarioGuestMemory(geo: Geometry, s: Pick<Scenario, 'roots' | 'guestMemory'>): Map<number, GuestTable> {
  const memory = compileGuestMemory(geo, s.roots);
  for (const t of s.guestMemory ?? []) memory.set(t.gfn, { level: t.level as Level, entries: new Map(t.entries.map((e) => [e.index, { ...e.pte }])) });
  return memory;
}
