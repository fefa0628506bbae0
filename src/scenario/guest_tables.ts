/**
 * Where a root's guest page tables live: the gfn of each table a root's mappings go through.
 * Tables the scenario names keep their gfn; the others get consecutive gfns after the root's top
 * table, in order of L2 address and then level, so that the same scenario always gives the same
 * gfns. The initial state and the scenario checks read the same layout from here.
 */
import type { Geometry, Level } from '../kernel/geometry';
import { guestTableKey } from '../model/state';
import type { ScenarioRoot } from './types';

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
