/**
 * The picture of the hazard, as data: the range of gfns a huge SPTE covered before a split, what each
 * root's shadow tables map across it (a huge leaf, smaller leaves, nothing), what each vCPU's TLB
 * covers, and the bands where a TLB entry still covers pages its root's tables no longer map to the
 * same pfn, each band tied to the step that made it stale and the flush skipped there. Below it, a
 * timeline of the actors (the ioctl caller, each vCPU, the mmu notifier) with their mmu_lock held
 * spans, the flushes issued and skipped, and the violations. The webview draws it (media/picture.ts);
 * nothing here knows of a DOM, and the webview computes no model fact.
 *
 * Runs of like entries are one rectangle, so a table of 512 2M leaves is one shape. A linear axis
 * would make the pages that matter (5 of them beside a 4K leaf, in a 1G range) a fraction of a
 * pixel, so the axis bends: each interval between two boundaries gets a width that grows with the
 * logarithm of its page count (ticks carry the gfn at each bend).
 */
import { hex } from '../kernel/geometry';
import { isLastSpte, SPTE_PRESENT } from '../kernel/spte';
import { staleCauseOf, unmappedRuns } from '../checks/stale_tlb';
import type { MmuContext } from '../mmu/context';
import { describeTlbEntry } from '../mmu/hardware';
import type { KvmMmuPage, MmuState, TlbEntry } from '../model/state';
import type { Step, Violation } from '../model/step';
import type { Walkthrough } from '../run/walkthrough';
import type { HazardPictureView, PictureBand, PictureLane, PictureSegment, PictureTlbEntry } from './shapes';

export type { HazardPictureView, PictureBand, PictureLane, PictureSegment, PictureTlbEntry } from './shapes';

/** A huge page the walk splits: its gfns and level, the step that found the child SP, and the child. */
export interface SplitRange {
  step: number;
  gfn: number;
  /** role.level of the huge SPTE (the child's level + 1). */
  level: number;
  child: number;
  reused: boolean;
}

/** Shadow pages a root's walk visits at most, to bound the picture of a huge tree. */
const SP_BUDGET = 512;

// The ranges depend on the walk only: found once, before the point the picture is drawn at is taken
// (a Walkthrough's state is valid only until its next pointAfter()).
const rangesOf = new WeakMap<Walkthrough, SplitRange[]>();

/**
 * Every split of the walk: at each step that found the child SP (shadow_mmu_get_sp_for_split), the
 * child's gfn and level, read from the state after that step. Call before taking the state the
 * picture shows: it moves the walk's replay.
 */
export function splitRanges(w: Walkthrough): SplitRange[] {
  let ranges = rangesOf.get(w);
  if (ranges) return ranges;
  ranges = [];
  for (const s of w.steps) {
    if (s.kind !== 'get-sp' || !s.childSp) continue;
    const sp = w.pointAfter(s.index).state.sps[s.childSp.id];
    ranges.push({ step: s.index, gfn: sp.gfn, level: sp.role.level + 1, child: sp.id, reused: s.childSp.reused });
  }
  rangesOf.set(w, ranges);
  return ranges;
}

/** The split the picture shows at step `index`: the latest at or before it, else the walk's first. */
export function splitAt(ranges: readonly SplitRange[], index: number): SplitRange | undefined {
  let out: SplitRange | undefined;
  for (const r of ranges) if (r.step <= index) out = r;
  return out ?? ranges[0];
}

//#region what a root maps across the range

interface Piece {
  from: number;
  to: number;
  /** role.level of the leaf; 0: not present. */
  level: number;
}

/** gfn that entry `i` of `sp` maps (kvm_mmu_page_get_gfn: the shadowed translation of an indirect SP). */
function entryGfn(state: MmuState, sp: KvmMmuPage, i: number): number {
  return sp.gfns ? sp.gfns[i] : sp.gfn + i * state.geo.pages(sp.role.level);
}

/** The leaves under `spId` over [lo, hi), clipped; false when the SP budget ran out. */
function leavesUnder(state: MmuState, spId: number, lo: number, hi: number, out: Piece[], budget: { sps: number }): boolean {
  const sp = state.sps[spId];
  const level = sp.role.level;
  const n = state.geo.pages(level);
  let whole = true;
  for (let i = 0; i < sp.flags.length; i++) {
    const f = sp.flags[i];
    if (!(f & SPTE_PRESENT)) continue;
    if (isLastSpte(f, level)) {
      const g = entryGfn(state, sp, i);
      if (g < hi && g + n > lo) out.push({ from: Math.max(g, lo), to: Math.min(g + n, hi), level });
      continue;
    }
    const child = state.sps[sp.target[i]];
    // A direct child maps a known range: skip it when that misses the picture's.
    if (child.role.direct && (child.gfn >= hi || child.gfn + n <= lo)) continue;
    if (budget.sps-- <= 0) {
      whole = false;
      continue;
    }
    whole = leavesUnder(state, child.id, lo, hi, out, budget) && whole;
  }
  return whole;
}

/** The leaves in gfn order, cut into pieces that do not overlap, with the gaps as not present. */
function partition(leaves: Piece[], lo: number, hi: number): Piece[] {
  leaves.sort((a, b) => a.from - b.from || b.level - a.level);
  const out: Piece[] = [];
  let cursor = lo;
  for (const l of leaves) {
    if (l.to <= cursor) continue;
    const start = Math.max(l.from, cursor);
    if (start > cursor) out.push({ from: cursor, to: start, level: 0 });
    out.push({ from: start, to: l.to, level: l.level });
    cursor = l.to;
  }
  if (cursor < hi) out.push({ from: cursor, to: hi, level: 0 });
  // Runs of like pieces: one rectangle for 510 2M leaves.
  const runs: Piece[] = [];
  for (const p of out) {
    const last = runs[runs.length - 1];
    if (last && last.level === p.level && last.to === p.from) last.to = p.to;
    else runs.push({ ...p });
  }
  return runs;
}

function gfnsWords(from: number, to: number): string {
  return to - from === 1 ? `gfn ${hex(from)}` : `gfns ${hex(from)}..${hex(to - 1)}`;
}

//#endregion

//#region the axis

/** The x of each boundary: intervals weigh 1 + log_E(pages), so a 4K run and a 1G run both show. */
function axis(bounds: Iterable<number>, lo: number, hi: number, entries: number): { gfn: number; x: number }[] {
  const gfns = [...new Set([lo, hi, ...bounds])].filter((g) => g >= lo && g <= hi).sort((a, b) => a - b);
  const weights = gfns.slice(1).map((g, k) => 1 + Math.log(g - gfns[k]) / Math.log(entries));
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  return gfns.map((gfn, k) => {
    const x = k === 0 ? 0 : (acc += weights[k - 1]) / total;
    return { gfn, x: Math.round(x * 1e6) / 1e6 };
  });
}

function placer(ticks: readonly { gfn: number; x: number }[]): (from: number, to: number) => { x: number; w: number } {
  const at = new Map(ticks.map((t) => [t.gfn, t.x]));
  return (from, to) => {
    const x = at.get(from)!;
    return { x, w: Math.round((at.get(to)! - x) * 1e6) / 1e6 };
  };
}

//#endregion

//#region the timeline

/** The lane a step runs in: the vCPU of an access (and its fault), the notifier of an invalidation, else the ioctl caller. */
function laneKey(w: Walkthrough, s: Step): string {
  const op = w.scenario.operations[s.op];
  if (op?.op === 'access') return `vcpu:${op.vcpu}`;
  if (op?.op === 'invalidate') return 'notifier';
  return 'ioctl';
}

function laneOf(key: string): PictureLane {
  if (key.startsWith('vcpu:')) return { kind: 'vcpu', vcpu: Number(key.slice(5)) };
  return { kind: key === 'notifier' ? 'notifier' : 'ioctl' };
}

function laneOrder(key: string): number {
  return key === 'ioctl' ? -1 : key === 'notifier' ? 1e9 : Number(key.slice(5));
}

// The timeline is the whole run's: built once a walk, and only the walk's step set at each picture.
const timelines = new WeakMap<Walkthrough, Omit<HazardPictureView['timeline'], 'index'>>();

function timeline(w: Walkthrough, index: number): HazardPictureView['timeline'] {
  let t = timelines.get(w);
  if (!t) timelines.set(w, (t = runTimeline(w)));
  return { ...t, index };
}

function runTimeline(w: Walkthrough): Omit<HazardPictureView['timeline'], 'index'> {
  const keys = [...new Set(w.steps.map((s) => laneKey(w, s)))].sort((a, b) => laneOrder(a) - laneOrder(b));
  const lane = new Map(keys.map((k, i) => [k, i]));
  const locks: HazardPictureView['timeline']['locks'] = [];
  const flushes: HazardPictureView['timeline']['flushes'] = [];
  const open = new Map<number, number>();
  for (const s of w.steps) {
    const l = lane.get(laneKey(w, s))!;
    // Held from the step that takes mmu_lock to the step that releases it (unlock, or the split's resched).
    if (s.kind === 'lock' && !open.has(l)) open.set(l, s.index);
    else if (open.has(l) && (s.kind === 'unlock' || s.kind === 'resched' || !s.lockHeld)) {
      const from = open.get(l)!;
      open.delete(l);
      locks.push({ lane: l, from, to: s.index, text: `mmu_lock held by ${s.opLabel} from step ${from}, released at step ${s.index} in ${s.anchor.fn}()` });
    }
    if (s.flush) {
      const f = s.flush;
      flushes.push({ lane: l, step: s.index, issued: f.issued, text: `step ${s.index}, ${s.anchor.fn}(): ${f.issued ? 'flush issued' : 'flush skipped'}: ${f.call}${f.reason ? ` (${f.reason})` : ''}` });
    }
  }
  for (const [l, from] of open) locks.push({ lane: l, from, to: w.length - 1, text: `mmu_lock held from step ${from} to the end of the run` });
  locks.sort((a, b) => a.from - b.from);
  const violations = w.violations.map((v) => ({ lane: lane.get(laneKey(w, w.steps[v.step]))!, step: v.step, text: `step ${v.step}: ${v.kind}${v.strength ? ` (${v.strength})` : ''}: ${v.message}` }));
  return { total: w.length, lanes: keys.map(laneOf), locks, flushes, violations };
}

//#endregion

function tlbWords(state: MmuState, e: TlbEntry): string {
  const n = state.geo.pages(e.level);
  return `vCPU ${e.vcpu}'s ${state.geo.sizeName(e.level)} TLB entry tlb#${e.id} via root ${e.root}: ${gfnsWords(e.gfnBase, e.gfnBase + n)} -> pfn ${hex(e.pfnBase)}.., ${e.writable ? 'writable' : 'read-only'}, filled at step ${e.filledAt}`;
}

/**
 * The picture after step `index`: `split` is the range (splitAt(splitRanges(w), index)), `ctx` the
 * state then, `violations` those found so far. Null without a split.
 */
export function hazardPicture(w: Walkthrough, index: number, split: SplitRange | undefined, ctx: MmuContext, violations: readonly Violation[]): HazardPictureView | null {
  if (!split) return null;
  const { state } = ctx;
  const geo = state.geo;
  const lo = split.gfn;
  const pages = geo.pages(split.level);
  const hi = lo + pages;
  const size = geo.sizeName(split.level);
  const kindOf = (level: number): PictureSegment['kind'] => (level === 0 ? 'absent' : level >= split.level ? 'huge' : 'split');

  const roots = state.roots.map((r) => {
    const leaves: Piece[] = [];
    const whole = r.spId < 0 || leavesUnder(state, r.spId, lo, hi, leaves, { sps: SP_BUDGET });
    return { name: r.name, pieces: partition(leaves, lo, hi), truncated: !whole };
  });

  // The next mmu_lock release, where the unmapped strength of the check looks.
  const deadline = w.steps.findIndex((s, k) => k > index && (s.kind === 'unlock' || s.kind === 'resched'));
  const entries: { e: TlbEntry; from: number; to: number; stale: boolean }[] = [];
  const bands: Omit<PictureBand, 'x' | 'w'>[] = [];
  for (const vcpu of state.vcpus) {
    for (const e of vcpu.tlb) {
      const n = geo.pages(e.level);
      if (e.gfnBase >= hi || e.gfnBase + n <= lo) continue;
      const runs = unmappedRuns(ctx, e);
      entries.push({ e, from: Math.max(e.gfnBase, lo), to: Math.min(e.gfnBase + n, hi), stale: runs.length > 0 });
      const name = describeTlbEntry(state, e);
      const reported = violations.find((v) => v.kind === 'stale-tlb' && v.strength === 'unmapped' && v.tlbEntry === name);
      for (const run of runs) {
        const from = Math.max(e.gfnBase + run.from, lo);
        const to = Math.min(e.gfnBase + run.to, hi);
        if (from >= to) continue;
        const cause = staleCauseOf(state, from);
        const band: Omit<PictureBand, 'x' | 'w'> = { vcpu: e.vcpu, tlbId: e.id, root: e.root, from, to, text: '' };
        if (cause.staleSince !== undefined) band.staleSince = cause.staleSince;
        if (cause.skippedFlush !== undefined) band.skippedFlush = cause.skippedFlush;
        if (!reported && deadline >= 0) band.deadline = deadline;
        if (reported) band.violation = reported.step;
        band.text = `vCPU ${e.vcpu}'s tlb#${e.id} still covers ${gfnsWords(from, to)} (pfn ${hex(e.pfnBase + (from - e.gfnBase))}..), which root ${e.root}'s shadow tables no longer map there` +
          (cause.staleSince !== undefined ? `: stale since step ${cause.staleSince}${cause.what ? ` (${cause.what})` : ''}` : '') +
          (cause.skippedFlush !== undefined ? `; the flush at step ${cause.skippedFlush} was skipped` : '') +
          (reported ? `; the check reported it at step ${reported.step}` : band.deadline !== undefined ? `; it must be flushed before mmu_lock is released at step ${band.deadline}` : '');
        bands.push(band);
      }
    }
  }

  const ticks = axis([...roots.flatMap((r) => r.pieces.flatMap((p) => [p.from, p.to])), ...entries.flatMap((t) => [t.from, t.to]), ...bands.flatMap((b) => [b.from, b.to])], lo, hi, geo.entries);
  const place = placer(ticks);
  const segment = (p: Piece): PictureSegment => {
    const kind = kindOf(p.level);
    const count = p.level ? (p.to - p.from) / geo.pages(p.level) : 0;
    const text = kind === 'absent' ? `not present: ${gfnsWords(p.from, p.to)}` : `${count === 1 ? '' : `${count} x `}${geo.sizeName(p.level)} ${kind === 'huge' ? 'huge ' : ''}leaf: ${gfnsWords(p.from, p.to)}`;
    return { from: p.from, to: p.to, kind, ...place(p.from, p.to), text };
  };
  const huge = `${size} huge SPTE over ${gfnsWords(lo, hi)}`;
  return {
    range: { gfn: lo, pages, size, splitStep: split.step, text: `${huge}, split at step ${split.step} into sp#${split.child} (${split.reused ? 'reused from the hash' : 'new'})` },
    ticks,
    roots: roots.map((r) => ({ name: r.name, segments: r.pieces.map(segment), truncated: r.truncated })),
    vcpus: state.vcpus.map((v) => ({
      id: v.id,
      entries: entries.filter((t) => t.e.vcpu === v.id).map((t): PictureTlbEntry => ({
        tlbId: t.e.id, root: t.e.root, from: t.from, to: t.to, ...place(t.from, t.to), writable: t.e.writable, stale: t.stale, text: tlbWords(state, t.e),
      })),
    })),
    bands: bands.map((b) => ({ ...b, ...place(b.from, b.to) })),
    timeline: timeline(w, index),
  };
}
