/**
 * What a scenario may say and still mean something, to the kernel and to the model. The reader
 * (parse.ts) has checked each field's form; the checks here look across fields, one small named
 * function each, and say what is wrong: with the kernel's reason and errno where the kernel would
 * refuse the same request (virt/kvm/kvm_main.c of v6.0/6.1), with the model's where the model has
 * no meaning for it (a run would go on and report verdicts about something else). docs/scenarios.md
 * lists them; the JSON Schema says the ones it can.
 */
import { Geometry, hex, type Level } from '../kernel/geometry';
import { ACC_EXEC_MASK, ACC_WRITE_MASK } from '../kernel/spte';
import { guestTableKey, type GuestPte, type GuestTable as GuestMemoryTable } from '../model/state';
import { compileGuestMemory, guestGfnOf, scenarioGuestMemory, guestTableGfns, tablesOnPath, withGuestPte } from './guest_tables';
import type { Scenario, ScenarioMapping, ScenarioOp } from './types';

/** A JSON path as the file spells it: keys and array indexes from the top object. */
export type JsonPath = Array<string | number>;

export interface Problem {
  path: JsonPath;
  message: string;
}

/**
 * KVM_USER_MEM_SLOTS on x86 in v6.0/6.1: SHRT_MAX slots less the 3 private ones (include/linux/
 * kvm_host.h: KVM_MEM_SLOTS_NUM is SHRT_MAX, KVM_USER_MEM_SLOTS = KVM_MEM_SLOTS_NUM minus
 * KVM_PRIVATE_MEM_SLOTS, 3 on x86). kvm_vm_ioctl_set_memory_region() refuses (u16)slot >= it.
 */
export const KVM_USER_MEM_SLOTS = 32767 - 3;

/** KVM_MEM_MAX_NR_PAGES: __kvm_set_memory_region() refuses a larger memory_size with -EINVAL. */
export const KVM_MEM_MAX_NR_PAGES = 2 ** 31 - 1;

/**
 * 256 GiB of pages: the model keeps a byte of dirty bitmap and an rmap slot per page, so this is
 * what it can hold comfortably in memory (the largest benchmark is 64 GiB).
 */
export const MAX_MEMSLOT_PAGES = 2 ** 26;

/** gfns are below 2^40: 52-bit guest physical addresses, x86's widest MAXPHYADDR. */
export const MAX_GFN = 2 ** 40;

/** pfns are kept in 32 bits (see KvmMmuPage.target); pages the host hands out later come above. */
export const MAX_HOST_PFN = 2 ** 31;

type Check = (s: Scenario) => Problem[];

const range = (lo: number, n: number): string => `[${hex(lo)}, ${hex(lo + n)})`;

/** A range [start, start + size) of some list, by its index in the list. */
interface Span { start: number; size: number; index: number }

/**
 * Pairs of spans that meet, each as [earlier in the list, later in the list], the later one
 * reported once. Sorted by start, so a file of many mappings is checked in O(n log n).
 */
function overlapping(spans: Span[]): Array<[Span, Span]> {
  const sorted = [...spans].sort((a, b) => a.start - b.start || a.index - b.index);
  const pairs = new Map<number, [Span, Span]>();
  let reach: Span | undefined; // of the spans so far, the one that ends last
  for (const x of sorted) {
    if (reach && x.start < reach.start + reach.size) {
      const pair: [Span, Span] = reach.index < x.index ? [reach, x] : [x, reach];
      if (!pairs.has(pair[1].index)) pairs.set(pair[1].index, pair);
    }
    if (!reach || x.start + x.size > reach.start + reach.size) reach = x;
  }
  return [...pairs.values()].sort((a, b) => a[1].index - b[1].index);
}

/** The span holding x, by binary search over spans sorted by start (disjoint ones: others are refused). */
function spanFinder(spans: Span[]): (x: number) => Span | undefined {
  // Of spans that start together, the first in the list comes last: the search finds it.
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.index - a.index);
  return (x) => {
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (sorted[mid].start <= x) lo = mid; else hi = mid - 1;
    }
    const c = sorted[lo];
    return c && x >= c.start && x < c.start + c.size ? c : undefined;
  };
}

const slotSpans = (s: Scenario): Span[] => s.memslots.map((m, index) => ({ start: m.baseGfn, size: m.npages, index }));

/** The first gfn of [gfn, gfn + n) that no memslot holds, or undefined. */
function firstGfnOutsideMemslots(find: (gfn: number) => Span | undefined, gfn: number, n: number): number | undefined {
  let g = gfn;
  while (g < gfn + n) {
    const slot = find(g);
    if (!slot) return g;
    g = slot.start + slot.size;
  }
  return undefined;
}

// ---- memslots: what KVM_SET_USER_MEMORY_REGION accepts (__kvm_set_memory_region, v6.0/6.1) ----

/** (u16)slot < KVM_USER_MEM_SLOTS, or kvm_vm_ioctl_set_memory_region() returns -EINVAL. */
export function memslotIdInRange(s: Scenario): Problem[] {
  return s.memslots.flatMap((m, i) => m.id < KVM_USER_MEM_SLOTS ? [] : [{
    path: ['memslots', i, 'id'],
    message: `KVM_SET_USER_MEMORY_REGION would fail with -EINVAL: slot ${m.id} is not below KVM_USER_MEM_SLOTS (${KVM_USER_MEM_SLOTS} on x86); expected an id from 0 to ${KVM_USER_MEM_SLOTS - 1}`,
  }]);
}

/**
 * A second KVM_SET_USER_MEMORY_REGION with the same slot modifies that memslot (moves it, changes
 * its flags, or fails with -EINVAL if the size or userspace_addr differ); it never adds another.
 */
export function memslotIdUnique(s: Scenario): Problem[] {
  const out: Problem[] = [];
  const firstWith = new Map<number, number>();
  s.memslots.forEach((m, i) => {
    const k = firstWith.get(m.id) ?? i;
    firstWith.set(m.id, k);
    if (k < i) out.push({
      path: ['memslots', i, 'id'],
      message: `slot ${m.id} is already memslot $.memslots[${k}]: a second KVM_SET_USER_MEMORY_REGION with slot ${m.id} would modify that memslot, not add one ` +
        `(and fail with -EINVAL if the size or the userspace address differ); expected an id of its own (an id left out is the memslot's index)`,
    });
  });
  return out;
}

/** memory_size 0 deletes a memslot; more than KVM_MEM_MAX_NR_PAGES is -EINVAL; then the model's own bound. */
export function memslotSize(s: Scenario): Problem[] {
  return s.memslots.flatMap((m, i): Problem[] => {
    const path = ['memslots', i, 'pages'];
    if (m.npages === 0) return [{ path, message: 'KVM_SET_USER_MEMORY_REGION with memory_size 0 deletes a memslot, and there is none to delete: it would fail with -EINVAL; expected at least 1 page' }];
    if (m.npages > KVM_MEM_MAX_NR_PAGES) return [{ path, message: `KVM_SET_USER_MEMORY_REGION would fail with -EINVAL: ${m.npages} pages is more than KVM_MEM_MAX_NR_PAGES (${KVM_MEM_MAX_NR_PAGES})` }];
    if (m.npages > MAX_MEMSLOT_PAGES) return [{ path, message: `expected at most ${MAX_MEMSLOT_PAGES} pages (256 GiB, what the model holds in memory: a dirty-bitmap byte and an rmap slot a page), found ${m.npages}` }];
    return [];
  });
}

/** The model's address bounds: gfns below 2^40, host pfns below 2^31. */
export function memslotWithinModel(s: Scenario): Problem[] {
  return s.memslots.flatMap((m, i): Problem[] => {
    const out: Problem[] = [];
    if (m.baseGfn + m.npages > MAX_GFN) out.push({ path: ['memslots', i, 'baseGfn'], message: `expected baseGfn + pages at most 2^40 (52-bit guest physical addresses), found ${hex(m.baseGfn + m.npages)}` });
    if (m.hostPfn + m.npages > MAX_HOST_PFN) out.push({ path: ['memslots', i, 'hostPfn'], message: `expected hostPfn + pages below 2^31 (8 TiB of host memory), found ${m.hostPfn + m.npages}` });
    return out;
  });
}

/** kvm_check_memslot_overlap(): a new memslot whose gfns meet another's is -EEXIST. */
export function memslotsDisjoint(s: Scenario): Problem[] {
  // The kernel creates them in order: the later of two overlapping memslots is the one refused.
  return overlapping(slotSpans(s)).map(([a, b]) => {
    const o = s.memslots[a.index];
    const m = s.memslots[b.index];
    return {
      path: ['memslots', b.index, 'baseGfn'],
      message: `KVM_SET_USER_MEMORY_REGION would fail with -EEXIST: memslot ${m.id} ${range(m.baseGfn, m.npages)} overlaps memslot ${o.id} ${range(o.baseGfn, o.npages)}; expected memslots whose gfn ranges do not meet`,
    };
  });
}

/**
 * Two memslots over the same host memory are allowed by KVM, and an mmu-notifier invalidation of
 * that memory reaches both (__kvm_handle_hva_range() walks every memslot whose host range it meets).
 * The model's invalidation names gfns and reaches one memslot's: it cannot mean shared backing.
 */
export function memslotBackingDisjoint(s: Scenario): Problem[] {
  return overlapping(s.memslots.map((m, index) => ({ start: m.hostPfn, size: m.npages, index }))).map(([a, b]) => {
    const o = s.memslots[a.index];
    const m = s.memslots[b.index];
    return {
      path: ['memslots', b.index, 'hostPfn'],
      message: `memslot ${m.id}'s host pages ${range(m.hostPfn, m.npages)} overlap memslot ${o.id}'s ${range(o.hostPfn, o.npages)}: ` +
        'KVM accepts two memslots on the same host memory, but the model invalidates by gfn, so an invalidation would not reach the other memslot\'s SPTEs as the kernel\'s does; expected host ranges that do not meet',
    };
  });
}

// ---- roots, guest mappings and guest tables ----

export function rootNamesUnique(s: Scenario): Problem[] {
  const firstWith = new Map<string, number>();
  return s.roots.flatMap((r, i) => {
    const k = firstWith.get(r.name) ?? i;
    firstWith.set(r.name, k);
    return k < i ? [{ path: ['roots', i, 'name'], message: `root name ${JSON.stringify(r.name)} is already $.roots[${k}]'s; expected a name of its own` }] : [];
  });
}

/** A guest leaf of a size maps an aligned frame of that size, inside the 4-level L2 address space. */
export function mappingsAligned(s: Scenario): Problem[] {
  const geo = new Geometry(s.entries);
  const out: Problem[] = [];
  s.roots.forEach((root, i) => root.mappings.forEach((m, j) => {
    const n = geo.pages(m.level);
    if (m.l2 % n !== 0 || m.gfn % n !== 0) out.push({ path: ['roots', i, 'mappings', j], message: `a ${['', '4K', '2M', '1G'][m.level]} guest page must start on a multiple of ${n} pages (l2 and gfn)` });
    if (m.l2 + n > geo.addressSpacePages) out.push({ path: ['roots', i, 'mappings', j, 'l2'], message: `expected an L2 address below ${geo.addressSpacePages} (4 levels of ${s.entries} entries)` });
  }));
  return out;
}

/** A guest page table has one entry per address: two mappings of one root cannot cover the same L2 page. */
export function mappingsDisjoint(s: Scenario): Problem[] {
  const geo = new Geometry(s.entries);
  return s.roots.flatMap((root, i) => overlapping(root.mappings.map((m, index) => ({ start: m.l2, size: geo.pages(m.level), index }))).map(([a, b]): Problem => ({
    path: ['roots', i, 'mappings', b.index, 'l2'],
    message: `L2 pages ${range(b.start, b.size)} overlap $.roots[${i}].mappings[${a.index}] ${range(a.start, a.size)}: ` +
      'a guest page table has one entry per address, so one root cannot map an L2 page twice; expected mappings of disjoint L2 ranges',
  })));
}

/** Each named guest table: its l2 starts the range a table of its level covers, once, on some mapping's path. */
export function guestTablesNamedWell(s: Scenario): Problem[] {
  const geo = new Geometry(s.entries);
  const out: Problem[] = [];
  s.roots.forEach((root, i) => {
    const onPaths = new Set(root.mappings.flatMap((m) => tablesOnPath(geo, m.l2, m.level).map((t) => guestTableKey(t.level, t.l2Base))));
    const firstWith = new Map<string, number>();
    root.guestTables.forEach((t, j) => {
      const path = ['roots', i, 'guestTables', j];
      const span = geo.tablePages(t.level);
      if (t.l2 % span !== 0) {
        out.push({ path: [...path, 'l2'], message: `a level-${t.level} guest table covers ${span} pages of L2 from a multiple of ${span}; expected l2 ${hex(geo.round(t.l2, t.level + 1))}, found ${hex(t.l2)}` });
        return;
      }
      const key = guestTableKey(t.level, t.l2);
      const k = firstWith.get(key) ?? j;
      firstWith.set(key, k);
      if (k < j) out.push({ path: [...path, 'level'], message: `the level-${t.level} table for L2 ${hex(t.l2)} is already named by $.roots[${i}].guestTables[${k}]; expected one gfn a table` });
      else if (!onPaths.has(key)) {
        const over = root.mappings.find((m) => m.level > t.level && m.l2 < t.l2 + span && t.l2 < m.l2 + geo.pages(m.level));
        out.push({
          path: [...path, 'level'],
          message: over ? `no level-${t.level} table is there: the guest maps L2 ${range(over.l2, geo.pages(over.level))} with a ${['', '4K', '2M', '1G'][over.level]} leaf one level up or more; expected a table that a mapping goes through`
            : `no mapping of root ${root.name} goes through a level-${t.level} table at L2 ${hex(t.l2)}; expected a table that a mapping goes through`,
        });
      }
    });
  });
  return out;
}

interface GuestTable {
  root: number; name: string; level: Level; l2Base: number; gfn: number; entries: string;
  /** Where the file sets its gfn: guestTableGfn (the top table, and the lower ones that follow it) or a guestTables entry. */
  path: JsonPath;
}

/** Every guest table of every root (the top one at level 4) with its gfn and what its entries hold. */
function allGuestTables(s: Scenario): GuestTable[] {
  const geo = new Geometry(s.entries);
  const out: GuestTable[] = [];
  s.roots.forEach((root, i) => {
    const gfns = guestTableGfns(geo, root);
    // Only the tables the mappings go through (guestTablesNamedWell() reports a named one that is
    // not), each with its entries in index order: a leaf (gfn, access) or a link to the next table.
    const tables = new Map<string, { level: Level; l2Base: number; gfn: number; entries: Set<string> }>();
    tables.set('top', { level: 4, l2Base: 0, gfn: root.guestTableGfn, entries: new Set() });
    for (const m of root.mappings) {
      let parent = tables.get('top')!;
      for (const t of tablesOnPath(geo, m.l2, m.level)) {
        const key = guestTableKey(t.level, t.l2Base);
        const gfn = gfns.get(key)!;
        parent.entries.add(`${geo.index(m.l2, parent.level)}:table:${gfn}`);
        if (!tables.has(key)) tables.set(key, { ...t, gfn, entries: new Set() });
        parent = tables.get(key)!;
      }
      parent.entries.add(`${geo.index(m.l2, parent.level)}:leaf:${m.gfn}:${m.access}`);
    }
    const named = new Map(root.guestTables.map((t, j) => [guestTableKey(t.level, geo.round(t.l2, t.level + 1)), j]));
    for (const [key, t] of tables) {
      const j = named.get(key);
      const path = j === undefined ? ['roots', i, 'guestTableGfn'] : ['roots', i, 'guestTables', j, 'gfn'];
      out.push({ root: i, name: root.name, level: t.level, l2Base: t.l2Base, gfn: t.gfn, entries: [...t.entries].sort().join(' '), path });
    }
  });
  return out;
}

function describeTable(t: GuestTable, geo: Geometry): string {
  return t.level === 4 ? `root ${t.name}'s top table` : `root ${t.name}'s level-${t.level} table for L2 ${range(t.l2Base, geo.tablePages(t.level))}`;
}

/**
 * One guest page holds one table. Two tables at one gfn are one table to KVM (the SP hash finds the
 * shadow page by gfn and role) and to the model: fine when they hold the same entries at the same
 * level (two roots sharing their tables), not otherwise.
 */
export function guestTablesConsistent(s: Scenario): Problem[] {
  const geo = new Geometry(s.entries);
  const out: Problem[] = [];
  const first = new Map<number, GuestTable>();
  const reported = new Set<number>();
  for (const t of allGuestTables(s)) {
    const o = first.get(t.gfn);
    if (!o) { first.set(t.gfn, t); continue; }
    if ((o.level === t.level && o.entries === t.entries) || reported.has(t.gfn)) continue;
    reported.add(t.gfn);
    out.push({
      path: t.path,
      message: `gfn ${hex(t.gfn)} would hold two different guest tables, ${describeTable(o, geo)} and ${describeTable(t, geo)}: one page holds one table ` +
        '(the lower tables take the gfns after guestTableGfn unless guestTables names them); expected a gfn of its own',
    });
  }
  return out;
}

/**
 * KVM write-protects a guest page it shadows and maps no huge page over it (account_shadowed():
 * kvm_slot_page_track_add_page() or kvm_mmu_gfn_disallow_lpage()); the model keeps guest tables
 * apart from the guest's data and models neither, so a table must not sit in mapped data.
 */
export function guestTablesOutsideData(s: Scenario): Problem[] {
  const geo = new Geometry(s.entries);
  const data: Array<{ root: number; j: number; m: ScenarioMapping }> = s.roots.flatMap((root, i) => root.mappings.map((m, j) => ({ root: i, j, m })));
  const find = spanFinder(data.map((d, index) => ({ start: d.m.gfn, size: geo.pages(d.m.level), index })));
  const out: Problem[] = [];
  const reported = new Set<number>();
  for (const t of allGuestTables(s)) {
    const hit = find(t.gfn);
    if (!hit || reported.has(t.gfn)) continue;
    const { root, j, m } = data[hit.index];
    reported.add(t.gfn);
    out.push({
      path: t.path,
      message: `${describeTable(t, geo)} is at gfn ${hex(t.gfn)}, inside the data $.roots[${root}].mappings[${j}] maps (gfns ${range(m.gfn, geo.pages(m.level))}): ` +
        'KVM write-protects a gfn it shadows and maps no huge page over it (account_shadowed()), which the model does not model; expected guest tables at gfns no mapping maps',
    });
  }
  return out;
}

/** What an entry of a level-`level` table can hold, or why not (a guest-table write says the same). */
function entryFits(level: number, kind: GuestPte['kind']): string | undefined {
  const fits = kind === 'none' || (kind === 'table' ? level > 1 : kind === 'huge' ? level === 2 || level === 3 : level === 1);
  if (fits) return undefined;
  return `a level-${level} table cannot hold a "${kind}" entry; expected ${level === 1 ? '"leaf" (4K) or "none"' : level === 4 ? '"table" or "none"' : '"table", "huge" or "none"'}`;
}

/**
 * Tables written out in `guestMemory`: one a gfn, none at a gfn the mappings' tables already use
 * (those are written with guest-table-write), each entry an index of the table that can stand at
 * its level, a link to a gfn holding no table of another level, a leaf on a frame of its size.
 */
export function guestMemoryWellFormed(s: Scenario): Problem[] {
  const written = s.guestMemory ?? [];
  if (!written.length) return [];
  const geo = new Geometry(s.entries);
  const compiled = compileGuestMemory(geo, s.roots);
  const memory = scenarioGuestMemory(geo, s);
  const out: Problem[] = [];
  const seen = new Map<number, number>();
  written.forEach((t, i) => {
    const path = ['guestMemory', i];
    if (compiled.has(t.gfn)) out.push({ path: [...path, 'gfn'], message: `gfn ${hex(t.gfn)} already holds the level-${compiled.get(t.gfn)!.level} table a root's mappings go through; expected another gfn (change that table with a guest-table-write)` });
    const k = seen.get(t.gfn);
    if (k !== undefined) out.push({ path: [...path, 'gfn'], message: `gfn ${hex(t.gfn)} is already written out by $.guestMemory[${k}]; one page holds one table` });
    seen.set(t.gfn, i);
    for (const { index, pte } of t.entries) {
      const epath = [...path, 'entries', String(index)];
      if (index >= s.entries) { out.push({ path: epath, message: `a table has ${s.entries} entries; expected an index below ${s.entries}, found ${index}` }); continue; }
      const why = entryFits(t.level, pte.kind);
      if (why) { out.push({ path: [...epath, 'kind'], message: why }); continue; }
      if (pte.kind === 'table') {
        const target = memory.get(pte.gfn);
        if (target && target.level !== t.level - 1) out.push({ path: [...epath, 'gfn'], message: `gfn ${hex(pte.gfn)} holds a level-${target.level} table and this link would read it as a level-${t.level - 1} one: the model keeps one level a table` });
      } else if (pte.kind !== 'none' && pte.gfn % geo.pages(t.level) !== 0) {
        out.push({ path: [...epath, 'gfn'], message: `a ${geo.sizeName(t.level)} guest page starts on a multiple of ${geo.pages(t.level)} pages; found gfn ${hex(pte.gfn)}` });
      }
    }
  });
  return out;
}

// ---- operations ----

export function operationIdsUnique(s: Scenario): Problem[] {
  const out: Problem[] = [];
  const ids = new Set<string>();
  s.operations.forEach((op, i) => {
    if (op.op === 'resume') return;
    const id = op.id ?? String(i);
    if (ids.has(id)) out.push({ path: ['operations', i, 'id'], message: `id ${JSON.stringify(id)} is already used` });
    ids.add(id);
  });
  return out;
}

/** Names an operation uses: its vCPU, root and memslot exist. */
export function operationNamesExist(s: Scenario): Problem[] {
  const out: Problem[] = [];
  const rootNames = new Set(s.roots.map((x) => x.name));
  const slotIds = new Set(s.memslots.map((m) => m.id));
  s.operations.forEach((op, i) => {
    if ('vcpu' in op && op.vcpu >= s.vcpus) out.push({ path: ['operations', i, 'vcpu'], message: `expected a vCPU index below ${s.vcpus}` });
    if ('root' in op && !rootNames.has(op.root)) out.push({ path: ['operations', i, 'root'], message: `expected one of the roots ${[...rootNames].join(', ')}, found ${JSON.stringify(op.root)}` });
    if ('slot' in op && !slotIds.has(op.slot)) out.push({ path: ['operations', i, 'slot'], message: `expected one of the memslot ids ${[...slotIds].join(', ')}` });
  });
  return out;
}

/**
 * A guest access runs through one of its root's mappings, with a kind the mapping allows, to a gfn
 * a memslot holds. Otherwise the fault is not KVM's to fix (the guest's own tables refuse it, and
 * KVM reflects it to L1) or it is MMIO (no memslot: handle_abnormal_pfn() caches MMIO info and the
 * access is emulated), neither of which the model runs.
 */
export function accessesMeaningful(s: Scenario): Problem[] {
  const geo = new Geometry(s.entries);
  const inSlot = spanFinder(slotSpans(s));
  const finders = new Map(s.roots.map((r) => [r.name, spanFinder(r.mappings.map((m, index) => ({ start: m.l2, size: geo.pages(m.level), index })))]));
  const out: Problem[] = [];
  let memory: Map<number, GuestMemoryTable> | undefined; // the guest tables once a guest-table-write has changed them
  s.operations.forEach((op, i) => {
    if (op.op === 'guest-table-write') memory = withGuestPte(memory ?? scenarioGuestMemory(geo, s), op.table, op.index, op.entry);
    if (op.op !== 'access') return;
    const r = s.roots.findIndex((x) => x.name === op.root);
    if (r < 0) return;
    const root = s.roots[r];
    if (memory) {
      // After a write the mappings no longer say what the guest maps: walk the written tables. An
      // entry not present or a kind the leaf refuses is the guest's own fault, injected at run time.
      const gfn = guestGfnOf(geo, memory, root.guestTableGfn, op.addr);
      if (gfn !== undefined && !inSlot(gfn)) out.push({ path: ['operations', i, 'addr'], message: `after the guest-table writes before it, L2 ${hex(op.addr)} maps gfn ${hex(gfn)}, which no memslot holds: KVM would treat the access as MMIO, which the model does not model; expected an address whose gfn a memslot holds` });
      return;
    }
    const hit = finders.get(root.name)!(op.addr);
    if (!hit) {
      out.push({ path: ['operations', i, 'addr'], message: `root ${root.name} has no guest mapping of L2 ${hex(op.addr)}: the guest's own tables would refuse the access and KVM would reflect the fault to L1, which the model does not run; expected an address one of its mappings covers` });
      return;
    }
    const m = root.mappings[hit.index];
    const allowed = op.kind === 'read' || (op.kind === 'write' ? (m.access & ACC_WRITE_MASK) !== 0 : (m.access & ACC_EXEC_MASK) !== 0);
    if (!allowed) out.push({ path: ['operations', i, 'kind'], message: `$.roots[${r}].mappings[${hit.index}] does not allow a ${op.kind} (its access has no ${op.kind === 'write' ? 'w' : 'x'}): the guest's own tables would refuse it and KVM would reflect the fault to L1, which the model does not run` });
    const gfn = m.gfn + (op.addr - m.l2);
    if (!inSlot(gfn)) out.push({ path: ['operations', i, 'addr'], message: `L2 ${hex(op.addr)} maps gfn ${hex(gfn)}, which no memslot holds: KVM would treat the access as MMIO (handle_abnormal_pfn(): emulation or an MMIO SPTE), which the model does not model; expected an address whose gfn a memslot holds` });
  });
  return out;
}

/**
 * KVM_CLEAR_DIRTY_LOG (kvm_clear_dirty_log_protect()): first_page counts from the memslot's first
 * page, and the bitmap must lie inside the memslot, or -EINVAL (the reader checks that first_page
 * is a multiple of 64, beside the field's other checks). The file's `pages` is the bitmap's length
 * from `first`; the kernel wants num_pages in whole 64-bit words unless it reaches the memslot's
 * end, and a `pages` that is not is read as that bitmap rounded up with the extra bits clear.
 */
export function clearRangesInSlot(s: Scenario): Problem[] {
  const out: Problem[] = [];
  const slots = new Map(s.memslots.map((m) => [m.id, m]));
  s.operations.forEach((op, i) => {
    if (op.op !== 'clear-dirty-log') return;
    const slot = slots.get(op.slot);
    if (!slot) return;
    // gfns ascend from first: without the file's pages (a scenario built in code), the last is the end.
    const pages = op.pages ?? (op.gfns.length ? op.gfns[op.gfns.length - 1] - op.first + 1 : 0);
    const offset = op.first - slot.baseGfn;
    if (offset < 0 || offset >= slot.npages) {
      out.push({ path: ['operations', i, 'first'], message: `KVM_CLEAR_DIRTY_LOG would fail with -EINVAL: first ${hex(op.first)} is outside memslot ${slot.id} ${range(slot.baseGfn, slot.npages)}; expected a gfn of the memslot` });
    } else if (offset % 64 === 0 && offset + pages > slot.npages) {
      out.push({ path: ['operations', i, 'pages'], message: `KVM_CLEAR_DIRTY_LOG would fail with -EINVAL: the bitmap ${range(op.first, pages)} runs past the end of memslot ${slot.id} ${range(slot.baseGfn, slot.npages)}; the range to clear must lie inside the memslot` });
    } else if (op.gfns.length === 0) out.push({ path: ['operations', i, 'except'], message: 'nothing to clear: every gfn of the range is excepted' });
  });
  return out;
}

/**
 * An mmu-notifier invalidation reaches KVM through the memslots that hold the host memory
 * (__kvm_handle_hva_range() takes mmu_lock at the first memslot it meets, and none when it meets
 * none). Every gfn of the range must be a memslot's for the model's invalidation to be one.
 */
export function invalidationsInSlots(s: Scenario): Problem[] {
  const out: Problem[] = [];
  const find = spanFinder(slotSpans(s));
  s.operations.forEach((op, i) => {
    if (op.op !== 'invalidate') return;
    const g = firstGfnOutsideMemslots(find, op.gfn, op.npages);
    if (g !== undefined) out.push({ path: ['operations', i, 'gfn'], message: `gfn ${hex(g)} of ${range(op.gfn, op.npages)} is in no memslot: the invalidation of host memory that backs no memslot does not reach KVM (__kvm_handle_hva_range() finds no memslot and takes no lock); expected gfns a memslot holds` });
  });
  return out;
}

interface Logging { manualProtect: boolean; initiallySet: boolean; at: number }

/** The dirty logging of each operation's memslot when the operation starts (no operation turns it off). */
function loggingBefore(s: Scenario): Array<Logging | undefined> {
  const now = new Map<number, Logging>();
  return s.operations.map((op, i) => {
    if (!('slot' in op)) return undefined;
    const before = now.get(op.slot);
    if (op.op === 'enable-dirty-logging' && !before) now.set(op.slot, { manualProtect: op.manualProtect, initiallySet: op.initiallySet, at: i });
    return before;
  });
}

/**
 * The dirty-log ioctls need logging on: KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG find no dirty
 * bitmap before (kvm_get_dirty_log_protect(), kvm_clear_dirty_log_protect(): -ENOENT); enabling it
 * again is "nothing to change" to __kvm_set_memory_region(), which returns 0 having done nothing,
 * where the model would start logging over. The model runs KVM_CLEAR_DIRTY_LOG in manual-protect
 * mode only, the mode it belongs to.
 */
export function dirtyLogOrder(s: Scenario): Problem[] {
  const out: Problem[] = [];
  const before = loggingBefore(s);
  const slotIds = new Set(s.memslots.map((m) => m.id));
  s.operations.forEach((op, i) => {
    if (!('slot' in op) || !slotIds.has(op.slot)) return;
    const logging = before[i];
    if (op.op === 'enable-dirty-logging' && logging) {
      out.push({ path: ['operations', i, 'op'], message: `dirty logging of memslot ${op.slot} is already on ($.operations[${logging.at}]): KVM_SET_USER_MEMORY_REGION with the same flags changes nothing (__kvm_set_memory_region() returns 0), where the model would start it over; expected one enable-dirty-logging a memslot` });
    }
    if ((op.op === 'clear-dirty-log' || op.op === 'get-dirty-log') && !logging) {
      const ioctl = op.op === 'clear-dirty-log' ? 'KVM_CLEAR_DIRTY_LOG' : 'KVM_GET_DIRTY_LOG';
      out.push({ path: ['operations', i, 'op'], message: `${ioctl} would fail with -ENOENT: memslot ${op.slot} has no dirty bitmap before dirty logging is enabled; expected an enable-dirty-logging of it earlier` });
    } else if (op.op === 'clear-dirty-log' && logging && !logging.manualProtect) {
      out.push({ path: ['operations', i, 'op'], message: `memslot ${op.slot}'s dirty logging was enabled without manualProtect ($.operations[${logging.at}]): KVM_CLEAR_DIRTY_LOG is the manual-protect mode's ioctl, the only mode in which the model runs it` });
    }
  });
  return out;
}

/** Why a pause on operation `op` can never be reached, or undefined if it can be. */
function unreachablePause(s: Scenario, op: ScenarioOp, log: Logging | undefined): string | undefined {
  const p = op.pause;
  if (!p || typeof p === 'object') return undefined; // { afterSteps } depends on the run: the runner says so
  if (p === 'walked' && op.op !== 'access') return 'only a guest access\'s fault walks the guest tables ("walked" stops it between that walk and its mmu_lock)';
  switch (op.op) {
    case 'access':
      if (p === 'walked') return undefined; // reached when the access faults: the runner says if it does not
      return 'a guest access can only pause its fault at "walked" (after the guest walk, before mmu_lock): the fault then runs to its unlock and the access is retried';
    case 'guest-table-write':
      if (op.by === 'guest') return 'a guest\'s write stops only with { "afterSteps": n } ({ "afterSteps": 2 }: after the emulator wrote guest memory, before kvm_mmu_track_write() takes mmu_lock)';
      return 'a guest-table write by the VMM is one store: it has no point to stop at';
    case 'enable-dirty-logging':
      if (op.manualProtect && op.initiallySet) return 'with manualProtect and initiallySet, enabling dirty logging neither splits nor write-protects (kvm_mmu_slot_apply_flags() returns first): it never takes mmu_lock';
      break;
    case 'get-dirty-log':
      if (p === 'resched') return 'KVM_GET_DIRTY_LOG does not split huge pages, so it has no lock drop between them';
      if (log?.manualProtect) return 'in manual-protect mode KVM_GET_DIRTY_LOG only copies the bitmap out and never takes mmu_lock';
      break;
    case 'clear-dirty-log':
      if (p === 'resched' && log && !log.initiallySet) return 'KVM_CLEAR_DIRTY_LOG splits huge pages only when logging was enabled with initiallySet, which it was not here';
      break;
    case 'invalidate':
      if (p === 'resched') return 'an invalidation does not split huge pages, so it has no lock drop between them';
      break;
    case 'delete-memslot':
      if (p === 'resched') return 'kvm_zap_obsolete_pages() yields only after 10 zapped SPs, which the model does not model';
      break;
  }
  if (p === 'resched' && s.splitYield === 'never') return 'with "splitYield": "never" the split never drops mmu_lock between huge pages';
  return undefined;
}

/**
 * A pause that can never be reached is silently a no-op, and a resume of an operation that is not
 * paused at that point has nothing to continue: both are refused here where the file alone says so.
 */
export function pausesReachable(s: Scenario): Problem[] {
  const out: Problem[] = [];
  const before = loggingBefore(s);
  const paused = new Map<string, number>();
  const started = new Map<string, number>();
  s.operations.forEach((op, i) => {
    if (op.op !== 'resume') {
      const why = unreachablePause(s, op, before[i]);
      if (why) out.push({ path: ['operations', i, 'pause'], message: `this pause is never reached: ${why}` });
      const id = op.id ?? String(i);
      started.set(id, i);
      if (op.pause && !why) paused.set(id, i);
      return;
    }
    const at = started.get(op.target);
    if (at === undefined) {
      out.push({ path: ['operations', i, 'target'], message: `expected the id of an earlier operation, found ${JSON.stringify(op.target)}` });
      return;
    }
    if (!paused.has(op.target)) {
      out.push({ path: ['operations', i, 'target'], message: `operation ${JSON.stringify(op.target)} ($.operations[${at}]) is not paused here: it has no "pause" left (none, one never reached, or one an earlier resume already continued); expected a paused operation` });
      return;
    }
    paused.delete(op.target);
    const target = s.operations[at];
    const why = op.pause === 'walked' ? 'the resumed fault has walked the guest tables already' : op.pause ? unreachablePause(s, { ...target, pause: op.pause } as ScenarioOp, before[at]) : undefined;
    if (why) out.push({ path: ['operations', i, 'pause'], message: `this pause is never reached: ${why}` });
    else if (op.pause) paused.set(op.target, at);
  });
  return out;
}

/**
 * A guest-table write names an entry of a table the guest has (the tables the roots' mappings
 * compile to: writes change entries, never make tables) and writes an entry that can stand at that
 * table's level: a link above level 1 to a gfn that holds no table of another level (the model keeps
 * one level a table), a huge leaf at levels 2 and 3 or a 4 KiB leaf at level 1, on a frame of its
 * size, over no guest table (KVM write-protects a shadowed table and maps no huge page over it,
 * account_shadowed(), which the model does not model: guestTablesOutsideData says the same).
 */
export function guestTableWritesMeaningful(s: Scenario): Problem[] {
  const geo = new Geometry(s.entries);
  const memory = scenarioGuestMemory(geo, s);
  const tableGfns = [...memory.keys()].sort((a, b) => a - b);
  const written = new Set((s.guestMemory ?? []).map((t) => t.gfn));
  const out: Problem[] = [];
  s.operations.forEach((op, i) => {
    if (op.op !== 'guest-table-write') return;
    const path = ['operations', i];
    const table = memory.get(op.table);
    if (!table) {
      out.push({ path: [...path, 'table'], message: `gfn ${hex(op.table)} holds no guest page table; the guest's tables are the ones its roots' mappings go through (${tableGfns.slice(0, 8).map(hex).join(', ')}${tableGfns.length > 8 ? ', ...' : ''}); expected one of them` });
      return;
    }
    if (op.index >= s.entries) out.push({ path: [...path, 'index'], message: `a table has ${s.entries} entries; expected an index below ${s.entries}, found ${op.index}` });
    // account_shadowed() write-tracks only the gfns of SPs above level 1: a level-1 table's SP is
    // write-protected and unsynced on a guest write (mmu_try_to_unsync_pages()), not modelled.
    if (op.by === 'guest' && table.level === 1) out.push({ path: [...path, 'by'], message: `gfn ${hex(op.table)} is a level-1 guest table: KVM does not write-track it (account_shadowed() tracks only tables shadowed above level 1) but unsyncs its shadow page on a guest write (mmu_try_to_unsync_pages()), which the model does not model; expected "by": "vmm" or a table of level 2 or more` });
    const e = op.entry;
    const misfit = entryFits(table.level, e.kind);
    if (misfit) {
      out.push({ path: [...path, 'entry', 'kind'], message: misfit });
      return;
    }
    if (e.kind === 'table') {
      const target = memory.get(e.gfn);
      if (target && target.level !== table.level - 1) out.push({ path: [...path, 'entry', 'gfn'], message: `gfn ${hex(e.gfn)} holds a level-${target.level} table and this link would read it as a level-${table.level - 1} one: the model keeps one level a table; expected a level-${table.level - 1} table or a page holding none` });
    } else if (e.kind !== 'none') {
      const n = geo.pages(table.level);
      if (e.gfn % n !== 0) out.push({ path: [...path, 'entry', 'gfn'], message: `a ${geo.sizeName(table.level)} guest page starts on a multiple of ${n} pages; found gfn ${hex(e.gfn)}` });
      // A table the file wrote out in data (guestMemory) is data read as a table: allowed there.
      const over = tableGfns.find((g) => g >= e.gfn && g < e.gfn + n && !written.has(g));
      if (over !== undefined) out.push({ path: [...path, 'entry', 'gfn'], message: `the leaf would map gfns ${range(e.gfn, n)}, which hold the guest table at gfn ${hex(over)}: KVM write-protects a gfn it shadows and maps no huge page over it (account_shadowed()), which the model does not model; expected a leaf over data only` });
    }
  });
  return out;
}

/** Every check, in the order their problems are reported; the names are the ones docs/scenarios.md lists. */
export const SCENARIO_CHECKS: ReadonlyArray<{ name: string; check: Check }> = [
  { name: 'memslotIdInRange', check: memslotIdInRange },
  { name: 'memslotIdUnique', check: memslotIdUnique },
  { name: 'memslotSize', check: memslotSize },
  { name: 'memslotWithinModel', check: memslotWithinModel },
  { name: 'memslotsDisjoint', check: memslotsDisjoint },
  { name: 'memslotBackingDisjoint', check: memslotBackingDisjoint },
  { name: 'rootNamesUnique', check: rootNamesUnique },
  { name: 'mappingsAligned', check: mappingsAligned },
  { name: 'mappingsDisjoint', check: mappingsDisjoint },
  { name: 'guestTablesNamedWell', check: guestTablesNamedWell },
  { name: 'guestTablesConsistent', check: guestTablesConsistent },
  { name: 'guestTablesOutsideData', check: guestTablesOutsideData },
  { name: 'guestMemoryWellFormed', check: guestMemoryWellFormed },
  { name: 'operationIdsUnique', check: operationIdsUnique },
  { name: 'operationNamesExist', check: operationNamesExist },
  { name: 'accessesMeaningful', check: accessesMeaningful },
  { name: 'guestTableWritesMeaningful', check: guestTableWritesMeaningful },
  { name: 'clearRangesInSlot', check: clearRangesInSlot },
  { name: 'invalidationsInSlots', check: invalidationsInSlots },
  { name: 'dirtyLogOrder', check: dirtyLogOrder },
  { name: 'pausesReachable', check: pausesReachable },
];

export function checkScenario(s: Scenario): Problem[] {
  return SCENARIO_CHECKS.flatMap((c) => c.check(s));
}
