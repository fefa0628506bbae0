/**
 * How much memory a scenario's run will hold, from the scenario alone, before any of it is built:
 * the CLI refuses a scenario over its memory budget with this number instead of letting V8 abort
 * half-way (docs/reliability.md, Memory). An upper estimate, not a promise: the per-page costs
 * below are the model's own arithmetic, rounded up to what a measured run held (the measurements
 * are in docs/reliability.md).
 */
import { Geometry } from '../kernel/geometry';
import type { Scenario } from './../scenario/types';

/** What the caller keeps of the run: `check` (only the verdict), `trace` (every step), `json` (every step, then as JSON text). */
export type RunShape = 'check' | 'trace' | 'json';

/**
 * Per memslot page: its dirty-bitmap byte and its 4-byte level-1 rmap head (initial_state.ts),
 * the 2M and 1G rmap heads (4 / E and 4 / E^2 bytes) rounded into the 6th byte.
 */
export const SLOT_BYTES_PER_PAGE = 6;

/**
 * Per 4K page a split maps: its SPTE in a leaf SP of an indirect role (flags 1 + target 4 + gfn 8
 * + access 1 = 14 bytes, shadow_page.ts allocSp), its rmap entry, and the one step that writes every
 * such SPTE at once (the write-protection after the split): a 7-field SpteWrite object and its array
 * slot, about 100 bytes in V8. Rounded up to the 150 bytes a page a measured `check` held.
 */
export const CHECK_BYTES_PER_LEAF = 150;

/** Per SPTE write a kept trace holds: the SpteWrite object (7 number fields: about 80 bytes in V8) and its share of the steps (measured: 57). */
export const TRACE_BYTES_PER_WRITE = 80;

/** Per SPTE write in `--json`: its text (about 210 characters, one byte each) and the builder's doubling, and the objects. */
export const JSON_BYTES_PER_WRITE = 650;

/** Characters of JSON text per SPTE write (`"sp": 12,` ... pretty-printed, 7 fields): measured about 206. */
export const JSON_CHARS_PER_WRITE = 210;

/** The longest string V8 can make (2^29 - 24 characters on 64-bit): JSON longer than this cannot be built at all. */
export const MAX_STRING_CHARS = 2 ** 29 - 24;

export interface RunEstimate {
  /** About how many bytes the run holds at its peak. */
  bytes: number;
  /** Pages of all memslots (dirty bitmaps and rmaps). */
  slotPages: number;
  /** 4K pages the run may map with its own SPTE (what the accesses fault in, split down to 4K). */
  leafPages: number;
  /** SPTE writes a kept trace holds (0 for `check`). */
  writes: number;
  /** Characters of the JSON report (`json` only). */
  jsonChars: number;
}

/** Operations that may split huge SPTEs down to 4K and write-protect every leaf: dirty logging's. */
function splitsAndProtects(s: Scenario): number {
  return s.operations.filter((o) => o.op === 'enable-dirty-logging' || o.op === 'clear-dirty-log' || o.op === 'get-dirty-log').length;
}

/** 4K pages the mappings cover, every root counted (aliasing roots map the same memory again). */
function mappedPages(s: Scenario, geo: Geometry): number {
  let pages = 0;
  for (const r of s.roots) for (const m of r.mappings) pages += geo.pages(m.level);
  // A guest-table write may link a huge page or a table of them: count the largest, a 1G frame.
  for (const o of s.operations) if (o.op === 'guest-table-write' && o.entry.kind !== 'none') pages += o.entry.kind === 'leaf' ? 1 : geo.pages(3);
  return pages;
}

/**
 * 4K pages the accesses fault in: each maps at most the page its mapping is (a 1G mapping, one 1G
 * SPTE, which a split later turns into that many 4K ones); an access no declared mapping covers
 * (one a guest-table write made) counts as a 1G page. A mapping is found by its aligned frame at
 * each level, so the sum is linear in the scenario.
 */
function faultedPages(s: Scenario, geo: Geometry): number {
  const frames = new Map<string, Array<Set<number>>>();
  for (const r of s.roots) {
    const byLevel = [new Set<number>(), new Set<number>(), new Set<number>(), new Set<number>()];
    for (const m of r.mappings) byLevel[m.level].add(Math.floor(m.l2 / geo.pages(m.level)));
    frames.set(r.name, byLevel);
  }
  let pages = 0;
  for (const o of s.operations) {
    if (o.op !== 'access') continue;
    const byLevel = frames.get(o.root);
    const level = byLevel ? [3, 2, 1].find((l) => byLevel[l].has(Math.floor(o.addr / geo.pages(l)))) : undefined;
    pages += geo.pages(level ?? 3);
  }
  return pages;
}

export function estimateRun(s: Scenario, shape: RunShape): RunEstimate {
  const geo = new Geometry(s.entries);
  const slotPages = s.memslots.reduce((n, m) => n + m.npages, 0);
  const dirtyOps = splitsAndProtects(s);
  // Without dirty logging no split happens: a huge mapping stays one SPTE, and each access maps
  // at most one page (its fault walk). With it, what the accesses faulted in may all be split to
  // 4K, and no more than the mappings cover.
  const leafPages = dirtyOps ? Math.min(mappedPages(s, geo), faultedPages(s, geo)) : 0;
  // Every operation: its steps, and up to three new SPs of a fault walk (E entries, 14 bytes each).
  const perOp = 3 * 14 * geo.entries + 2048;
  let bytes = slotPages * SLOT_BYTES_PER_PAGE + leafPages * CHECK_BYTES_PER_LEAF + s.operations.length * perOp;
  // A kept trace holds every write: the split's of each leaf, then one per leaf each dirty-log pass.
  const writes = shape === 'check' ? 0 : leafPages * (1 + dirtyOps) + s.operations.length * geo.entries;
  if (shape === 'trace') bytes += writes * TRACE_BYTES_PER_WRITE;
  if (shape === 'json') bytes += writes * JSON_BYTES_PER_WRITE;
  return { bytes, slotPages, leafPages, writes, jsonChars: shape === 'json' ? writes * JSON_CHARS_PER_WRITE : 0 };
}
