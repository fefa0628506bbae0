/**
 * What the panel shows at one step, computed from the model and nothing else: the page tables
 * from each root down with runs of like entries collapsed, the guest's page tables beside them
 * and the shadow pages that died (./guest_view.ts), each vCPU's TLB, the flush log, the
 * checks and the hazards open at the step, the counters. The webview only renders this; it
 * computes no model facts.
 */
import { hex, levelSizeName } from '../kernel/geometry';
import type { KvmMmuPage, MmuState, TlbEntry } from '../model/state';
import { isLastSpte, SPTE_PRESENT, SPTE_WRITABLE, spteHex } from '../kernel/spte';
import { firstUnmappedPage } from '../checks/stale_tlb';
import { SubtreeCache } from '../mmu/subtree';
import type { MmuContext } from '../mmu/context';
import { emptyDraft } from '../mmu/context';
import type { Walkthrough } from '../run/walkthrough';
import { openHazards } from './hazards';
import { hazardPicture, splitAt, splitRanges } from './hazard_picture';
import { freedSpsView, guestTablesView, spLifetime } from './guest_view';
import type { EntryRun, FlushLogEntry, PanelSnapshot, TableView, TlbView } from './shapes';

export type { OpenHazard } from './hazards';

// The shapes of what the panel is sent are defined once, with their runtime checks, in ./shapes.
export type { EntryRun, FlushLogEntry, FreedSpView, GuestRunView, GuestTableView, PanelSnapshot, TableView, TlbView } from './shapes';

function leafText(entries: number, level: number, flags: number, count: number, pfn: number): string {
  const perms = flags & SPTE_WRITABLE ? 'W' : 'R';
  return count === 1 ? `${levelSizeName(entries, level)} leaf -> pfn ${hex(pfn)} ${perms}` : `${count} x ${levelSizeName(entries, level)} leaf, pfn ${hex(pfn)}.. ${perms}`;
}

interface Ctx {
  state: MmuState;
  cache: SubtreeCache;
  changed: Set<number>;
  splitChild: Map<number, 'new' | 'reused'>;
  /** Nodes visited, to bound the view of a huge tree (the webview cannot show 32k tables). */
  budget: { tables: number };
}

/** A child table whose entries are all present leaves mapping linearly with one set of flags. */
function uniformLeafTable(c: Ctx, sp: KvmMmuPage): number | null {
  if (!isLastSpte(sp.flags[0] | 0, sp.role.level) && sp.role.level !== 1) return null;
  const f0 = sp.flags[0];
  if (!(f0 & SPTE_PRESENT) || !isLastSpte(f0, sp.role.level)) return null;
  for (let i = 1; i < sp.flags.length; i++) if (sp.flags[i] !== f0) return null;
  return Number.isNaN(c.cache.linearPfn(sp.id)) ? null : f0;
}

function tableView(c: Ctx, spId: number): TableView {
  const { state } = c;
  const e = state.geo.entries;
  const sp = state.sps[spId];
  const level = sp.role.level;
  c.budget.tables--;
  const runs: EntryRun[] = [];
  const presentNonLeaf: number[] = [];
  let i = 0;
  while (i < e) {
    const f = sp.flags[i];
    const present = (f & SPTE_PRESENT) !== 0;
    let j = i;
    const changedAt = (k: number) => c.changed.has(spId * e + k);
    if (!present) {
      while (j + 1 < e && !(sp.flags[j + 1] & SPTE_PRESENT)) j++;
      runs.push({ from: i, to: j, kind: 'absent', text: j === i ? 'not present' : `${j - i + 1} x not present`, value: '0x0000000000000000', changed: range(i, j).some(changedAt), children: [] });
    } else if (isLastSpte(f, level)) {
      const n = state.geo.pages(level);
      while (j + 1 < e && sp.flags[j + 1] === f && sp.target[j + 1] === sp.target[j] + n) j++;
      runs.push({ from: i, to: j, kind: 'leaf', text: leafText(e, level, f, j - i + 1, sp.target[i]), value: spteHex(f, sp.target[i], level), changed: range(i, j).some(changedAt), children: [] });
    } else {
      presentNonLeaf.push(i);
      const child = state.sps[sp.target[i]];
      const uniform = uniformLeafTable(c, child);
      if (uniform !== null) {
        // A run of tables each fully mapping its range with one kind of leaf: one row.
        while (j + 1 < e && (sp.flags[j + 1] & SPTE_PRESENT) && !isLastSpte(sp.flags[j + 1], level)) {
          const next = state.sps[sp.target[j + 1]];
          if (uniformLeafTable(c, next) !== uniform || c.changed.has(spId * e + j + 1) !== changedAt(i)) break;
          presentNonLeaf.push(j + 1);
          j++;
        }
      }
      const count = j - i + 1;
      const childLevel = level - 1;
      const text = count > 1
        ? `${count} tables (sp#${sp.target[i]}..sp#${sp.target[j]}), each ${e} x ${levelSizeName(e, childLevel)} leaf ${uniform! & SPTE_WRITABLE ? 'W' : 'R'}`
        : `table -> sp#${child.id}`;
      const children = count === 1 && c.budget.tables > 0 ? [tableView(c, child.id)] : [];
      const r: EntryRun = { from: i, to: j, kind: 'table', text, value: spteHex(f, sp.target[i], level), changed: range(i, j).some(changedAt), children };
      if (count > 1) r.collapsedChildren = count;
      runs.push(r);
    }
    i = j + 1;
  }
  const kind = sp.isRoot ? `root ${sp.rootName}` : sp.role.direct ? 'direct' : 'indirect';
  const view: TableView = {
    sp: spId, title: `sp#${spId} ${kind}, level ${level}, gfn ${hex(sp.gfn)}`, level, direct: sp.role.direct,
    presentNonLeaf: c.splitChild.has(spId) ? presentNonLeaf : [], runs, changed: runs.some((r) => r.changed),
  };
  const sc = c.splitChild.get(spId);
  if (sc) view.splitChild = sc;
  const life = spLifetime(sp);
  if (life.state !== 'live') view.life = life.state;
  return view;
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let k = a; k <= b && out.length < 1024; k++) out.push(k);
  return out;
}

function tlbView(ctx: MmuContext, e: TlbEntry): TlbView {
  const g = ctx.state.geo;
  const n = g.pages(e.level);
  return {
    id: e.id, vcpu: e.vcpu, root: e.root, size: levelSizeName(g.entries, e.level), l2: hex(e.l2Base),
    gfns: `${hex(e.gfnBase)}..${hex(e.gfnBase + n - 1)}`, pfn: hex(e.pfnBase), writable: e.writable,
    stale: firstUnmappedPage(ctx, e) >= 0, filledAt: e.filledAt,
  };
}

/** The panel's view of a walkthrough after step `index` (-1: before the first step). */
export function snapshotAt(w: Walkthrough, index: number, maxTables = 64): PanelSnapshot {
  // The split's range is read from the walk before the point is taken: it moves the walk's replay.
  const split = splitAt(splitRanges(w), index);
  const point = w.pointAfter(index);
  const state = point.state;
  const cache = new SubtreeCache(state);
  const step = index >= 0 ? w.steps[index] : null;
  const changed = new Set<number>();
  if (step) for (const wr of step.writes) changed.add(wr.sp * state.geo.entries + wr.index);
  // The split in progress or just finished in this operation: its child SP, new or reused.
  const splitChild = new Map<number, 'new' | 'reused'>();
  for (let k = index; k >= 0; k--) {
    const s = w.steps[k];
    if (s.op !== step?.op) break;
    if (s.childSp) { splitChild.set(s.childSp.id, s.childSp.reused ? 'reused' : 'new'); break; }
  }
  const c: Ctx = { state, cache, changed, splitChild, budget: { tables: maxTables } };
  const ctx: MmuContext = { state, cache, variant: w.options.variant, flushMode: 'bare-metal', recordWrites: false, draft: emptyDraft(), stepIndex: index + 1 };
  const flushLog: FlushLogEntry[] = [];
  for (let k = 0; k <= index; k++) {
    const s = w.steps[k];
    if (!s.flush) continue;
    const f = s.flush;
    const entry: FlushLogEntry = {
      step: k, issued: f.issued, call: f.call, fn: s.anchor.fn, removed: f.removed,
      range: f.full && !f.pages ? 'all' : `${hex(f.gfn)} + ${f.pages} pages${f.full ? ' (full flush on bare metal)' : ''}`,
    };
    if (f.reason) entry.reason = f.reason;
    flushLog.push(entry);
  }
  // A VMM's write to a guest table: the entry it wrote, from the scenario's operation.
  const guestWrites = new Set<string>();
  const op = step?.kind === 'guest-table-write' ? w.scenario.operations[step.op] : undefined;
  if (op?.op === 'guest-table-write') guestWrites.add(`${op.table}:${op.index}`);
  const guest = guestTablesView(state, guestWrites, maxTables);
  const violations = w.violations.filter((v) => v.step <= index);
  const hazards = openHazards(w, index, ctx, point.inFlight, violations);
  return {
    scenario: w.scenario.name, title: w.scenario.title, variant: w.options.variant.name,
    flushMode: w.options.flushMode ?? w.scenario.flushMode, entries: state.geo.entries,
    index, total: w.length, step, lockHeld: state.mmuLockHeld,
    roots: state.roots.map((r) => ({ name: r.name, table: tableView(c, r.spId) })),
    vcpus: state.vcpus.map((v) => ({ id: v.id, tlb: v.tlb.map((e) => tlbView(ctx, e)) })),
    guestTables: guest.tables,
    guestTablesOmitted: guest.omitted,
    freedSps: freedSpsView(state),
    flushLog,
    violations,
    hazards,
    verdict: w.violations.length ? 'violation' : 'pass',
    now: violations.length ? 'violation' : hazards.length ? 'hazard' : 'pass',
    counters: { ...state.counters },
    picture: hazardPicture(w, index, split, ctx, violations),
  };
}
