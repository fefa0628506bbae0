/**
 * The panel's view of the guest's page tables and of shadow pages that have died, beside the
 * shadow tables (src/view/snapshot.ts): each guest table in guest memory with its present entries
 * folded into runs, and the indirect SPs that shadow it; each SP zapped or freed, with the rmap
 * entries that still point into it (what a later rmap walk would dereference).
 *
 * An SP's lifetime is the model's (state.ts): `invalid` (role.invalid, set by
 * __kvm_mmu_prepare_zap_page(): on the invalid list, its memory still the SP's), `freed` with
 * `freedAt` (the step of the kvm_mmu_commit_zap_page() that freed it).
 */
import { hex, levelSizeName } from '../kernel/geometry';
import { ACC_EXEC_MASK, ACC_USER_MASK, ACC_WRITE_MASK } from '../kernel/spte';
import type { GuestPte, KvmMmuPage, MmuState } from '../model/state';
import type { FreedSpView, GuestRunView, GuestTableView } from './shapes';

/** Access bits in the scenario format's letters (u, w, x; reads are always allowed), '-' for one not set. */
export function accessLetters(access: number): string {
  return `${access & ACC_USER_MASK ? 'u' : '-'}${access & ACC_WRITE_MASK ? 'w' : '-'}${access & ACC_EXEC_MASK ? 'x' : '-'}`;
}

export type SpLife = { state: 'live' } | { state: 'invalid' | 'freed'; at?: number };

/** Whether an SP is alive, zapped (on the invalid list, its memory still the SP's) or freed, and when. */
export function spLifetime(sp: KvmMmuPage): SpLife {
  if (sp.freed) return sp.freedAt >= 0 ? { state: 'freed', at: sp.freedAt } : { state: 'freed' };
  if (sp.invalid) return { state: 'invalid' };
  return { state: 'live' };
}

/** How far apart the targets of two neighbouring entries of one run are: one page of the entry's size, one table. */
function stride(state: MmuState, kind: GuestPte['kind'], level: number): number {
  return kind === 'table' ? 1 : state.geo.pages(level);
}

function runText(state: MmuState, kind: GuestRunView['kind'], level: number, count: number, gfn: number, access: string): string {
  const e = state.geo.entries;
  if (kind === 'table') return count === 1 ? `table -> gfn ${hex(gfn)}` : `${count} x table, gfn ${hex(gfn)}..`;
  const what = kind === 'huge' ? `${levelSizeName(e, level)} huge` : `${levelSizeName(e, level)} leaf`;
  return count === 1 ? `${what} -> gfn ${hex(gfn)} ${access}` : `${count} x ${what}, gfn ${hex(gfn)}.. ${access}`;
}

/**
 * The present entries of a table, folded: neighbouring entries of one kind and access whose targets
 * follow each other (the next huge page, the next table's gfn) make one run, so a table of 512
 * huge leaves is one row.
 */
function guestRuns(state: MmuState, level: number, entries: ReadonlyMap<number, GuestPte>, changed: ReadonlySet<number>): GuestRunView[] {
  const idx = [...entries.keys()].filter((i) => entries.get(i)!.kind !== 'none').sort((a, b) => a - b);
  const runs: GuestRunView[] = [];
  let k = 0;
  while (k < idx.length) {
    const from = idx[k];
    const first = entries.get(from)!;
    const step = stride(state, first.kind, level);
    let to = from;
    while (k + 1 < idx.length && idx[k + 1] === to + 1) {
      const next = entries.get(idx[k + 1])!;
      if (next.kind !== first.kind || next.access !== first.access || next.gfn !== first.gfn + (idx[k + 1] - from) * step) break;
      if (changed.has(idx[k + 1]) !== changed.has(from)) break;
      to = idx[++k];
    }
    k++;
    const kind = first.kind as GuestRunView['kind'];
    const access = accessLetters(first.access);
    runs.push({ from, to, kind, gfn: first.gfn, access, text: runText(state, kind, level, to - from + 1, first.gfn, access), changed: changed.has(from) });
  }
  return runs;
}

function spTitle(sp: KvmMmuPage): string {
  return `sp#${sp.id} ${sp.role.direct ? 'direct' : 'indirect'}, level ${sp.role.level}, gfn ${hex(sp.gfn)}`;
}

/**
 * The guest tables in the order a reader meets them: each root's top table, then depth first
 * through its table entries (by index), each table once with every root that reached it; then
 * tables no root reaches (a VMM write unlinked them) by gfn. At most `maxTables` are listed; the
 * walk stops there too, so that a guest with thousands of tables costs what the view shows.
 * `changed`: entries a step just wrote, as "gfn:index".
 */
export function guestTablesView(state: MmuState, changed: ReadonlySet<string>, maxTables: number): { tables: GuestTableView[]; omitted: number } {
  const order: number[] = [];
  const roots = new Map<number, string[]>();
  const reach = (gfn: number, root: string) => {
    const seen = roots.get(gfn);
    if (seen) {
      if (!seen.includes(root)) seen.push(root);
      return false;
    }
    if (order.length >= maxTables) return false;
    roots.set(gfn, [root]);
    order.push(gfn);
    return true;
  };
  for (const r of state.roots) {
    const stack = [r.guestTableGfn];
    const visited = new Set<number>();
    while (stack.length) {
      const gfn = stack.pop()!;
      if (visited.has(gfn)) continue;
      visited.add(gfn);
      const table = state.guestMemory.get(gfn);
      if (!table) continue;
      const fresh = reach(gfn, r.name);
      if (!fresh && !roots.has(gfn)) continue; // past the budget: not listed, not followed
      // Children pushed in reverse so that they come off the stack by index.
      const links = [...table.entries].filter(([, p]) => p.kind === 'table').sort((a, b) => b[0] - a[0]);
      for (const [, p] of links) stack.push(p.gfn);
    }
  }
  if (order.length < maxTables) {
    const rest = [...state.guestMemory.keys()].filter((g) => !roots.has(g)).sort((a, b) => a - b);
    for (const g of rest.slice(0, maxTables - order.length)) { roots.set(g, []); order.push(g); }
  }
  // Indirect SPs by the guest table they shadow (kvm_mmu_page.gfn of a direct=0 SP), in id order.
  const shadows = new Map<number, KvmMmuPage[]>();
  const listed = new Set(order);
  for (const sp of state.sps) {
    if (sp.role.direct || !listed.has(sp.gfn)) continue;
    const list = shadows.get(sp.gfn);
    if (list) list.push(sp);
    else shadows.set(sp.gfn, [sp]);
  }
  const tables = order.map((gfn): GuestTableView => {
    const t = state.guestMemory.get(gfn)!;
    // The entries a step wrote here; one written to "not present" has no run, and the table still says it changed.
    const wrote = new Set<number>();
    for (const c of changed) if (c.startsWith(`${gfn}:`)) wrote.add(Number(c.slice(c.indexOf(':') + 1)));
    const runs = guestRuns(state, t.level, t.entries, wrote);
    const reachedBy = roots.get(gfn)!;
    const top = state.roots.filter((r) => r.guestTableGfn === gfn).map((r) => r.name);
    const title = `level-${t.level} guest table at gfn ${hex(gfn)}${top.length ? ` (top of root ${top.join(', ')})` : reachedBy.length ? '' : ' (no root reaches it)'}`;
    return {
      gfn, level: t.level, title, roots: reachedBy, present: runs.reduce((n, r) => n + r.to - r.from + 1, 0), runs,
      shadowedBy: (shadows.get(gfn) ?? []).map((sp) => ({ sp: sp.id, title: spTitle(sp), life: spLifetime(sp).state })),
      changed: wrote.size > 0,
    };
  });
  return { tables, omitted: state.guestMemory.size - tables.length };
}

/**
 * Every SP zapped or freed, and each rmap entry that points into one: the SPTE a later rmap walk
 * (dirty logging's write-protect, the notifier's unmap) would dereference. The rmaps are read only
 * when some SP is dead, so a run where none dies pays one pass over the SP array. At most `max` SPs
 * and `max` entries each are listed.
 */
export function freedSpsView(state: MmuState, max = 64): FreedSpView[] {
  const dead = new Map<number, FreedSpView>();
  for (const sp of state.sps) {
    const life = spLifetime(sp);
    if (life.state === 'live') continue;
    const v: FreedSpView = { sp: sp.id, title: spTitle(sp), life: life.state, rmap: [] };
    if (life.at !== undefined) v.at = life.at;
    dead.set(sp.id, v);
  }
  if (dead.size === 0) return [];
  const e = state.geo.entries;
  for (const slot of state.memslots) {
    for (let level = 1; level <= 3; level++) {
      const r = slot.rmap[level];
      if (!r) continue;
      const n = state.geo.pages(level);
      const gfnOf = (i: number) => (Math.floor(slot.baseGfn / n) + i) * n;
      const note = (i: number, sptep: number) => {
        const spId = Math.floor(sptep / e);
        const v = dead.get(spId);
        if (!v || v.rmap.length >= max) return;
        v.rmap.push({ gfn: gfnOf(i), level, slot: slot.id, text: `rmap of gfn ${hex(gfnOf(i))} (slot ${slot.id}, ${levelSizeName(e, level)}) -> sp#${spId}[${sptep % e}]` });
      };
      for (let i = 0; i < r.head.length; i++) if (r.head[i] !== 0) note(i, r.head[i] - 1);
      for (const [i, more] of r.more) for (const sptep of more) note(i, sptep);
    }
  }
  return [...dead.values()].slice(0, max);
}
