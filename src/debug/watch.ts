/**
 * Data breakpoints: what can be watched (an SPTE, or what a vCPU's TLB holds for an address), the
 * dataId that names it across stops, and where in the run its value changes. A watched value is
 * read from the machine's state, not from the steps' write records, so every way a value changes
 * (an SPTE written, its shadow page allocated or freed; a TLB filled, flushed, reloaded) is seen.
 * The changes are found once, in one replay of the run from its start, when the set of data
 * breakpoints is given (or the run relaunched): continuing and reverse-continuing are then lookups.
 * docs/debugging.md says why only writes are watched and how a reverse stop is placed.
 */
import { hex } from '../kernel/geometry';
import { describeSpte } from '../kernel/spte';
import type { MmuState } from '../model/state';
import type { Timeline } from './timeline';

/** An SPTE by its shadow page's id (stable for the run) and index; or vCPU `vcpu`'s translation of L2 page `addr`. */
export type WatchTarget = { kind: 'spte'; sp: number; index: number } | { kind: 'tlb'; vcpu: number; addr: number };

/** A change of a watched value: step `step` turned `old` into `now`. */
export interface WatchChange {
  step: number;
  old: string;
  now: string;
}

/** The dataId handed to the client: stable across stops and relaunches of the same scenario. */
export function dataIdOf(t: WatchTarget): string {
  return t.kind === 'spte' ? `spte:${t.sp}:${t.index}` : `tlb:${t.vcpu}:${hex(t.addr)}`;
}

/** The target a dataId names, if it is one this session hands out. */
export function parseDataId(id: string): WatchTarget | undefined {
  let m = /^spte:(\d+):(\d+)$/.exec(id);
  if (m) return { kind: 'spte', sp: Number(m[1]), index: Number(m[2]) };
  m = /^tlb:(\d+):(0x[0-9a-f]+)$/.exec(id);
  if (m) return { kind: 'tlb', vcpu: Number(m[1]), addr: Number(m[2]) };
  return undefined;
}

/** The target in the expression language's words (what a watch would say). */
export function watchName(t: WatchTarget): string {
  return t.kind === 'spte' ? `sp#${t.sp}.spt[${t.index}]` : `tlb(${t.vcpu}, ${hex(t.addr)})`;
}

/** Why a dataId cannot be watched in this run (undefined: it can). `spCount`: shadow pages the run ever allocates. */
export function unwatchable(t: WatchTarget, s: MmuState, spCount: number): string | undefined {
  if (t.kind === 'spte') {
    if (t.sp >= spCount) return `the run never allocates sp#${t.sp} (its shadow pages are sp#0 to sp#${spCount - 1})`;
    if (t.index >= s.geo.entries) return `index ${t.index} is past the end: a table has ${s.geo.entries} entries`;
    return undefined;
  }
  if (t.vcpu >= s.vcpus.length) return `there is no vCPU ${t.vcpu} (the scenario has ${s.vcpus.length})`;
  return undefined;
}

/** The watched value in a state, in the words the Variables view uses. */
export function watchValue(s: MmuState, t: WatchTarget): string {
  if (t.kind === 'tlb') {
    const e = s.vcpus[t.vcpu]?.tlb.find((x) => x.l2Base <= t.addr && t.addr < x.l2Base + s.geo.pages(x.level));
    // No arrow inside: a change is described as "old -> new".
    return e ? `tlb#${e.id}: ${s.geo.sizeName(e.level)} via root ${e.root} at ${hex(e.l2Base)}, gfn ${hex(e.gfnBase)} pfn ${hex(e.pfnBase)} ${e.writable ? 'W' : 'R'}${e.exec ? 'X' : ''}` : 'no entry';
  }
  const sp = s.sps[t.sp];
  // Before its allocation the page is not there; after kvm_mmu_free_shadow_page() its table is gone.
  if (!sp) return `no sp#${t.sp}`;
  if (sp.freed) return `sp#${t.sp} freed`;
  return describeSpte(sp.flags[t.index], sp.target[t.index], sp.role.level, (l) => s.geo.sizeName(l));
}

/** For each target, the steps of the run that change its value, in order; and the number of shadow pages the run allocates. */
export function findChanges(timeline: Timeline, targets: readonly WatchTarget[]): { changes: WatchChange[][]; spCount: number } {
  const changes: WatchChange[][] = targets.map(() => []);
  let last: string[] = [];
  let spCount = 0;
  timeline.scan((done, s) => {
    const now = targets.map((t) => watchValue(s, t));
    // After `done` steps: step done - 1 made any difference from the state before it.
    if (done > 0) now.forEach((v, i) => { if (v !== last[i]) changes[i].push({ step: done - 1, old: last[i], now: v }); });
    last = now;
    spCount = s.sps.length;
  });
  return { changes, spCount };
}
