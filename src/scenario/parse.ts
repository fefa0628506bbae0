/**
 * Reading a scenario file: JSON (comments and trailing commas allowed, as in VS Code settings),
 * checked field by field. Every problem is reported with the file, the line and column, the JSON
 * path and what was expected; all problems are reported at once.
 */
import { JsoncError, lineStarts, MAX_NESTING, nodeAt, parseJsonc, positionOf, valueOf as getNodeValue, type JsonNode as Node } from './jsonc';
import { parseSizeName, type Level } from '../kernel/geometry';
import type { PausePoint } from '../model/frames';
import type { Scenario, ScenarioGuestTable, ScenarioMapping, ScenarioMemslot, ScenarioOp, ScenarioRoot } from './types';
import type { GuestPte } from '../model/state';
import { ACC_EXEC_MASK, ACC_USER_MASK, ACC_WRITE_MASK } from '../kernel/spte';
import { parseVariant, PRESET_NAMES } from '../kernel/variants';
import { checkScenario, MAX_GFN, MAX_HOST_PFN, MAX_MEMSLOT_PAGES, type JsonPath } from './checks';
import { ACCESS_KINDS, EXPECTATIONS, fieldsOf, FLUSH_MODES, GUEST_MEMORY_TABLE, GUEST_PTE, GUEST_TABLE, GUEST_TABLE_WRITERS, MAPPING, MEMSLOT, OPERATION_NAMES, OPERATIONS, PAUSE_WORDS, PTE_KINDS, ROOT, SCENARIO_DEFAULTS, SCENARIO_FIELDS, DEFAULT_ACCESS, SPLIT_YIELDS, type OperationName } from './shape';

export { MAX_MEMSLOT_PAGES } from './checks';

export interface ScenarioProblem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export class ScenarioError extends Error {
  constructor(readonly problems: ScenarioProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.path ? p.path + ': ' : ''}${p.message}`).join('\n'));
    this.name = 'ScenarioError';
  }
}

/** Largest scenario text accepted; a scenario is a few kilobytes. */
export const MAX_SCENARIO_BYTES = 4 * 1024 * 1024;

class Reader {
  readonly problems: ScenarioProblem[] = [];
  private readonly starts: number[];

  constructor(readonly file: string, text: string) {
    this.starts = lineStarts(text);
  }

  position(offset: number): { line: number; column: number } {
    return positionOf(this.starts, offset);
  }

  fail(node: Node | undefined, path: string, message: string, fallbackOffset = 0): void {
    const { line, column } = this.position(node ? node.offset : fallbackOffset);
    this.problems.push({ file: this.file, line, column, path, message });
  }

  /** A problem at a JSON path: at its value, or at the nearest enclosing value the file has (a field left out). */
  failAt(tree: Node, path: JsonPath, message: string): void {
    let node: Node | undefined;
    for (let n = path.length; !node && n >= 0; n--) node = nodeAt(tree, path.slice(0, n));
    this.fail(node, pathText(path), message);
  }
}

function pathText(path: JsonPath): string {
  return '$' + path.map((k) => typeof k === 'number' ? `[${k}]` : `.${k}`).join('');
}

/**
 * Keys that appear twice in one object, at any depth. JSON leaves it to each reader which one
 * counts (this one would keep the last, an editor may show the first), so the file does not say
 * one thing: it is refused, naming both places.
 */
function duplicateKeys(r: Reader, node: Node, path: JsonPath): void {
  if (node.type === 'array') {
    node.children?.forEach((c, i) => duplicateKeys(r, c, [...path, i]));
    return;
  }
  if (node.type !== 'object') return;
  const seen = new Map<string, Node>();
  for (const prop of node.children ?? []) {
    const [k, v] = prop.children ?? [];
    if (!k) continue;
    const key = k.value as string;
    const first = seen.get(key);
    if (first) {
      const at = r.position(first.offset);
      r.fail(k, pathText([...path, key]), `duplicate key ${JSON.stringify(key)}: it is already at line ${at.line}, column ${at.column}, and JSON leaves which one counts to the reader; expected each key once`);
    } else {
      seen.set(key, k);
    }
    if (v) duplicateKeys(r, v, [...path, key]);
  }
}

/** A variant the tool knows: a preset, a preset with overrides, or policy pairs (variants.ts). */
function knownVariant(r: Reader, node: Node | undefined, path: string, spec: string): void {
  try {
    parseVariant(spec);
  } catch (e) {
    r.fail(node, path, `expected a preset (${PRESET_NAMES.join(', ')}), a preset with overrides ("v7+splitFlush=never") or policy=value pairs: ${(e as Error).message}`);
  }
}

type Obj = { node: Node; path: string; fields: Map<string, Node> };

function objectOf(r: Reader, node: Node | undefined, path: string): Obj | undefined {
  if (!node || node.type !== 'object') {
    r.fail(node, path, `expected an object${node ? `, found ${node.type}` : ''}`);
    return undefined;
  }
  const fields = new Map<string, Node>();
  for (const prop of node.children ?? []) {
    const [k, v] = prop.children ?? [];
    if (k && v) fields.set(k.value as string, v);
  }
  return { node, path, fields };
}

function unknownKeys(r: Reader, o: Obj, allowed: string[]): void {
  for (const [k, v] of o.fields) {
    if (!allowed.includes(k)) r.fail(v.parent, `${o.path}.${k}`, `unknown field; expected one of ${allowed.join(', ')}`);
  }
}

/** A number, or a string holding a decimal or 0x-hex number: page numbers read best in hex. */
function num(r: Reader, o: Obj, key: string, opts: { min?: number; max?: number; optional?: number; why?: string } = {}): number {
  const node = o.fields.get(key);
  const path = `${o.path}.${key}`;
  if (!node) {
    if (opts.optional !== undefined) return opts.optional;
    r.fail(o.node, path, 'missing; expected a number');
    return NaN;
  }
  let v: number = NaN;
  if (node.type === 'number') v = node.value as number;
  else if (node.type === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(node.value as string)) v = Number(node.value);
  if (!Number.isSafeInteger(v)) {
    r.fail(node, path, `expected a whole number (or a "0x..." string), found ${JSON.stringify(getNodeValue(node))}`);
    return NaN;
  }
  if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
    r.fail(node, path, `expected a number from ${opts.min ?? '-inf'} to ${opts.max ?? 'inf'}${opts.why ? ` (${opts.why})` : ''}, found ${v}`);
    return NaN;
  }
  return v;
}

function str<T extends string>(r: Reader, o: Obj, key: string, allowed?: readonly T[], optional?: T): T {
  const node = o.fields.get(key);
  const path = `${o.path}.${key}`;
  if (!node) {
    if (optional !== undefined) return optional;
    r.fail(o.node, path, `missing; expected ${allowed ? `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}` : 'a string'}`);
    return '' as T;
  }
  if (node.type !== 'string' || (allowed && !allowed.includes(node.value as T))) {
    r.fail(node, path, `expected ${allowed ? `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}` : 'a string'}, found ${JSON.stringify(getNodeValue(node))}`);
    return '' as T;
  }
  return node.value as T;
}

function bool(r: Reader, o: Obj, key: string, dflt: boolean): boolean {
  const node = o.fields.get(key);
  if (!node) return dflt;
  if (node.type !== 'boolean') {
    r.fail(node, `${o.path}.${key}`, `expected true or false, found ${JSON.stringify(getNodeValue(node))}`);
    return dflt;
  }
  return node.value as boolean;
}

function arr(r: Reader, o: Obj, key: string, optional = false): Node[] {
  const node = o.fields.get(key);
  if (!node) {
    if (!optional) r.fail(o.node, `${o.path}.${key}`, 'missing; expected an array');
    return [];
  }
  if (node.type !== 'array') {
    r.fail(node, `${o.path}.${key}`, `expected an array, found ${node.type}`);
    return [];
  }
  return node.children ?? [];
}

/** A page size: "1G", "2M", "4K" (the level at any geometry), or a level number 1..3. */
function level(r: Reader, o: Obj, key: string, optional?: Level): Level {
  const node = o.fields.get(key);
  const path = `${o.path}.${key}`;
  if (!node) {
    if (optional !== undefined) return optional;
    r.fail(o.node, path, 'missing; expected "1G", "2M" or "4K"');
    return 1;
  }
  if (node.type === 'string') {
    const l = parseSizeName(node.value as string);
    if (l) return l;
  }
  if (node.type === 'number' && [1, 2, 3].includes(node.value as number)) return node.value as Level;
  r.fail(node, path, `expected "1G", "2M" or "4K" (or a level 1..3), found ${JSON.stringify(getNodeValue(node))}`);
  return 1;
}

/** Guest access as "uwx"-style letters: r (always), w, x, u. */
function access(r: Reader, o: Obj, key: string): number {
  const s = str<string>(r, o, key, undefined, DEFAULT_ACCESS);
  if (!/^[rwxu-]*$/.test(s)) {
    r.fail(o.fields.get(key), `${o.path}.${key}`, `expected letters from "uwx" (user, write, exec), found ${JSON.stringify(s)}`);
    return 0;
  }
  return (s.includes('w') ? ACC_WRITE_MASK : 0) | (s.includes('x') ? ACC_EXEC_MASK : 0) | (s.includes('u') ? ACC_USER_MASK : 0);
}

function pause(r: Reader, o: Obj): PausePoint | undefined {
  const node = o.fields.get('pause');
  if (!node) return undefined;
  if (node.type === 'string' && (PAUSE_WORDS as readonly string[]).includes(node.value as string)) return node.value as PausePoint;
  if (node.type === 'object') {
    const p = objectOf(r, node, `${o.path}.pause`)!;
    return { afterSteps: num(r, p, 'afterSteps', { min: 1 }) };
  }
  r.fail(node, `${o.path}.pause`, 'expected "unlock", "resched", "walked" (a guest access) or { "afterSteps": N }');
  return undefined;
}

/**
 * The fields an operation may have: the shape's, and a pause on an operation whose shape has none
 * (a guest-table write), which the shape (and so an editor) refuses but the reader reads, so that
 * checks.ts can say why it is never reached.
 */
function operationFields(op: OperationName): string[] {
  const fields = fieldsOf(OPERATIONS[op]);
  return fields.includes('pause') ? fields : [...fields.slice(0, fields.indexOf('id') + 1), 'pause', ...fields.slice(fields.indexOf('id') + 1)];
}

/** A guest page-table entry: { kind, gfn, access } (gfn left out only for "none"). */
function guestPte(r: Reader, parent: Obj, key: string): GuestPte {
  const node = parent.fields.get(key);
  const path = `${parent.path}.${key}`;
  if (!node) {
    r.fail(parent.node, path, `missing; expected an entry { "kind": ${PTE_KINDS.map((k) => JSON.stringify(k)).join(' | ')}, "gfn": ..., "access": "uwx" }`);
    return { kind: 'none', gfn: 0, access: 0 };
  }
  const o = objectOf(r, node, path);
  if (!o) return { kind: 'none', gfn: 0, access: 0 };
  unknownKeys(r, o, fieldsOf(GUEST_PTE.pipe[0]));
  const kind = str(r, o, 'kind', PTE_KINDS);
  if (kind === 'none') {
    if (o.fields.has('gfn')) r.fail(o.fields.get('gfn'), `${path}.gfn`, 'a not-present entry maps nothing; expected no gfn');
    if (o.fields.has('access')) r.fail(o.fields.get('access'), `${path}.access`, 'a not-present entry has no access bits; expected no access');
    return { kind, gfn: 0, access: 0 };
  }
  return { kind, gfn: num(r, o, 'gfn', GFN), access: access(r, o, 'access') };
}

/** by: "vmm" is the untrapped write; "guest" (trapped, write-tracked tables) is not modelled yet. */
function writer(r: Reader, o: Obj): 'vmm' | 'guest' {
  return str(r, o, 'by', GUEST_TABLE_WRITERS);
}

/** A guest-table write: by "guest" names the vCPU whose store it is; the VMM is no vCPU. */
function guestTableWrite(r: Reader, o: Obj, base: { id?: string; pause?: PausePoint; line: number }): ScenarioOp {
  const by = writer(r, o);
  const rest = { table: num(r, o, 'table', GFN), index: num(r, o, 'index', { min: 0, max: 511 }), entry: guestPte(r, o, 'entry') };
  if (by === 'guest') {
    if (!o.fields.has('vcpu')) r.fail(o.fields.get('by'), `${o.path}.vcpu`, 'a write by "guest" is a store by one vCPU: expected a "vcpu" field naming it (an index below the scenario\'s "vcpus")');
    return { ...base, op: 'guest-table-write', by, vcpu: o.fields.has('vcpu') ? num(r, o, 'vcpu', { min: 0, max: MAX_VCPUS - 1, why: `a scenario has at most ${MAX_VCPUS} vCPUs` }) : 0, ...rest };
  }
  if (o.fields.has('vcpu')) r.fail(o.fields.get('vcpu'), `${o.path}.vcpu`, 'a write by "vmm" comes from outside the guest and runs on no vCPU; expected no "vcpu" field (or "by": "guest")');
  return { ...base, op: 'guest-table-write', by, ...rest };
}

/**
 * Operations that earlier versions of the format had and the kernel has no entry point for. A
 * standalone eager split ran while a memslot ioctl was paused, which slots_lock forbids: every eager
 * split is reached from kvm_mmu_slot_apply_flags() or KVM_CLEAR_DIRTY_LOG, both under slots_lock.
 */
const WITHDRAWN: Record<string, string> = {
  'eager-split': '"eager-split" is no longer an operation: the kernel splits huge pages eagerly only inside a memslot ioctl that holds slots_lock; ' +
    'use "enable-dirty-logging" (the split when logging starts) or "clear-dirty-log" on a memslot with manualProtect and initiallySet (the split of the cleared range)',
};

/**
 * Every number is bounded by what it indexes, where it is read: no later loop or sum meets a value
 * past what the model holds (a first gfn near 2^53, where g++ stops advancing, once aborted V8).
 * checks.ts then says the finer bounds across fields with the kernel's reasons.
 */
const MAX_VCPUS = 64;
const GFN = { min: 0, max: MAX_GFN - 1, why: 'gfns are below 2^40, 52-bit guest physical addresses' };
/** L2 page numbers: 4 levels of at most 512 entries, 2^36 pages. */
const L2 = { min: 0, max: 2 ** 36 - 1, why: 'an L2 page number is below 2^36, 4 levels of 512 entries' };
/** The ioctls' slot is a __u32 (struct kvm_dirty_log, struct kvm_clear_dirty_log); checks.ts says which memslots exist. */
const SLOT = { min: 0, max: 2 ** 32 - 1, optional: 0, why: 'the ioctls\' slot is a __u32' };

/** [first, first + pages) lies inside the memslot (all three numbers read well). */
function clearFitsSlot(slot: ScenarioMemslot | undefined, first: number, pages: number): boolean {
  if (!slot || !Number.isFinite(first) || !Number.isFinite(pages) || !Number.isFinite(slot.npages) || !Number.isFinite(slot.baseGfn)) return false;
  const offset = first - slot.baseGfn;
  return offset >= 0 && pages <= MAX_MEMSLOT_PAGES && offset + pages <= Math.min(slot.npages, MAX_MEMSLOT_PAGES);
}

function operation(r: Reader, node: Node, path: string, memslots: ScenarioMemslot[]): ScenarioOp | undefined {
  const o = objectOf(r, node, path);
  if (!o) return undefined;
  const opNode = o.fields.get('op');
  if (opNode?.type === 'string' && Object.hasOwn(WITHDRAWN, opNode.value as string)) {
    r.fail(opNode, `${path}.op`, WITHDRAWN[opNode.value as string]);
    return undefined;
  }
  const kind = str(r, o, 'op', OPERATION_NAMES);
  const base: { id?: string; pause?: PausePoint; line: number } = { line: r.position(node.offset).line };
  if (o.fields.has('id')) base.id = str<string>(r, o, 'id');
  const p = pause(r, o);
  if (p) base.pause = p;
  if (OPERATION_NAMES.includes(kind)) unknownKeys(r, o, operationFields(kind));
  switch (kind) {
    case 'access':
      return { ...base, op: kind, vcpu: num(r, o, 'vcpu', { min: 0, max: MAX_VCPUS - 1, why: `a scenario has at most ${MAX_VCPUS} vCPUs` }), root: str<string>(r, o, 'root'), addr: num(r, o, 'addr', L2), kind: str(r, o, 'kind', ACCESS_KINDS) };
    case 'enable-dirty-logging':
      return { ...base, op: kind, slot: num(r, o, 'slot', SLOT), manualProtect: bool(r, o, 'manualProtect', false), initiallySet: bool(r, o, 'initiallySet', false) };
    case 'clear-dirty-log': {
      const slot = num(r, o, 'slot', SLOT);
      const first = num(r, o, 'first', GFN);
      const pages = num(r, o, 'pages', { min: 1, max: MAX_MEMSLOT_PAGES, why: 'a range is at most a memslot, 2^26 pages' });
      const except = new Set(arr(r, o, 'except', true).map((n, i) => {
        const v = n.type === 'number' ? (n.value as number) : typeof n.value === 'string' && /^0x[0-9a-f]+$/i.test(n.value) ? Number(n.value) : NaN;
        if (!Number.isSafeInteger(v)) r.fail(n, `${path}.except[${i}]`, 'expected a gfn (number or "0x..." string)');
        // Excepted gfns are bits of the bitmap left clear: outside the bitmap there is no bit to leave.
        else if (Number.isFinite(first) && Number.isFinite(pages) && (v < first || v >= first + pages)) r.fail(n, `${path}.except[${i}]`, `expected a gfn of the range to clear [0x${first.toString(16)}, 0x${(first + pages).toString(16)}), found 0x${v.toString(16)}`);
        return v;
      }));
      const memslot = memslots.find((m) => m.id === slot);
      firstPageAligned(r, o, memslot, first);
      // The gfns are listed only for a range the memslot holds: a range past it is refused with the
      // kernel's reason (checks.ts, clearRangesInSlot) and must cost nothing before it is.
      const gfns: number[] = [];
      if (clearFitsSlot(memslot, first, pages)) for (let g = first; g < first + pages; g++) if (!except.has(g)) gfns.push(g);
      return { ...base, op: kind, slot, first, gfns, pages };
    }
    case 'get-dirty-log':
      return { ...base, op: kind, slot: num(r, o, 'slot', SLOT) };
    case 'invalidate':
      return { ...base, op: kind, gfn: num(r, o, 'gfn', GFN), npages: num(r, o, 'pages', { min: 1, max: MAX_MEMSLOT_PAGES, optional: 1, why: 'a range is at most a memslot, 2^26 pages' }) };
    case 'guest-table-write':
      return guestTableWrite(r, o, base);
    case 'delete-memslot':
      return { ...base, op: kind, slot: num(r, o, 'slot', { ...SLOT, optional: undefined }) };
    case 'resume':
      return p ? { op: kind, target: str<string>(r, o, 'target'), pause: p, line: base.line } : { op: kind, target: str<string>(r, o, 'target'), line: base.line };
    default:
      return undefined;
  }
}

/**
 * kvm_clear_dirty_log_protect() refuses a first_page that is not a multiple of 64 (-EINVAL), and
 * first_page counts from the memslot's first page: `first - baseGfn`. (A first outside the memslot
 * is for checks.ts, with the rest of the range.)
 */
function firstPageAligned(r: Reader, o: Obj, slot: ScenarioMemslot | undefined, first: number): void {
  const offset = slot ? first - slot.baseGfn : first;
  if (!Number.isFinite(offset) || offset < 0 || offset % 64 === 0) return;
  r.fail(o.fields.get('first'), `${o.path}.first`, `expected a multiple of 64 pages from the memslot's first page (KVM_CLEAR_DIRTY_LOG's first_page${slot ? `, counted from baseGfn 0x${slot.baseGfn.toString(16)}` : ''}; it would fail with -EINVAL), found first_page 0x${offset.toString(16)}`);
}

function mapping(r: Reader, node: Node, path: string): ScenarioMapping {
  const o = objectOf(r, node, path);
  if (!o) return { l2: 0, gfn: 0, level: 1, access: 0 };
  unknownKeys(r, o, fieldsOf(MAPPING));
  return { l2: num(r, o, 'l2', L2), gfn: num(r, o, 'gfn', GFN), level: level(r, o, 'size'), access: access(r, o, 'access') };
}

function root(r: Reader, node: Node, path: string): ScenarioRoot | undefined {
  const o = objectOf(r, node, path);
  if (!o) return undefined;
  unknownKeys(r, o, fieldsOf(ROOT));
  const guestTables = arr(r, o, 'guestTables', true).map((n, i) => {
    const t = objectOf(r, n, `${path}.guestTables[${i}]`);
    if (!t) return { level: 1 as Level, l2: 0, gfn: 0 };
    unknownKeys(r, t, fieldsOf(GUEST_TABLE));
    return { level: num(r, t, 'level', { min: 1, max: 3 }) as Level, l2: num(r, t, 'l2', L2), gfn: num(r, t, 'gfn', GFN) };
  });
  return {
    name: str<string>(r, o, 'name'),
    guestTableGfn: num(r, o, 'guestTableGfn', GFN),
    mappings: arr(r, o, 'mappings').map((n, i) => mapping(r, n, `${path}.mappings[${i}]`)),
    guestTables,
  };
}

/** One table of `guestMemory`: { gfn, level, entries: { "<index>": entry } }. */
function guestMemoryTable(r: Reader, node: Node, path: string): ScenarioGuestTable | undefined {
  const o = objectOf(r, node, path);
  if (!o) return undefined;
  unknownKeys(r, o, fieldsOf(GUEST_MEMORY_TABLE));
  const gfn = num(r, o, 'gfn', { min: 0, max: MAX_GFN - 1 });
  const lvl = num(r, o, 'level', { min: 1, max: 4 }) as Level | 4;
  const entriesNode = o.fields.get('entries');
  const eo = entriesNode ? objectOf(r, entriesNode, `${path}.entries`) : undefined;
  if (!entriesNode) r.fail(o.node, `${path}.entries`, 'missing; expected an object of entries by index, { "0": { "kind": ... } }');
  const entries: ScenarioGuestTable['entries'] = [];
  for (const key of eo ? eo.fields.keys() : []) {
    if (!/^[0-9]{1,3}$/.test(key)) {
      r.fail(eo!.fields.get(key)!.parent, `${path}.entries.${key}`, `expected an entry index ("0" to "511"), found ${JSON.stringify(key)}`);
      continue;
    }
    entries.push({ index: Number(key), pte: guestPte(r, eo!, key) });
  }
  return { gfn, level: lvl, entries: entries.sort((a, b) => a.index - b.index) };
}

export { MAX_NESTING } from './jsonc';

export function parseScenario(text: string, file = '<scenario>'): Scenario {
  const r = new Reader(file, text);
  if (text.length > MAX_SCENARIO_BYTES) throw new ScenarioError([{ file, line: 1, column: 1, path: '', message: `the file is ${text.length} bytes; a scenario is expected to be under ${MAX_SCENARIO_BYTES}` }]);
  if (text.includes('\u0000')) throw new ScenarioError([{ file, line: 1, column: 1, path: '', message: 'this is a binary file; expected a JSON scenario' }]);
  if (text.trim() === '') throw new ScenarioError([{ file, line: 1, column: 1, path: '', message: 'empty file; expected a JSON scenario object' }]);
  let tree: Node;
  try {
    tree = parseJsonc(text);
  } catch (e) {
    if (!(e instanceof JsoncError)) throw e;
    const { line, column } = r.position(e.offset);
    throw new ScenarioError([{ file, line, column, path: '', message: e.tooDeep ? `brackets nest deeper than ${MAX_NESTING} levels here; a scenario is expected to be a few levels deep` : `invalid JSON: expected ${e.expected}` }]);
  }
  duplicateKeys(r, tree, []);
  const o = objectOf(r, tree, '$');
  if (!o) throw new ScenarioError(r.problems);
  unknownKeys(r, o, SCENARIO_FIELDS);
  // Read before the operations, which a clear's first_page is counted against.
  const memslots = arr(r, o, 'memslots').map((n, i) => {
    const m = objectOf(r, n, `$.memslots[${i}]`);
    if (!m) return { id: i, baseGfn: 0, npages: 1, hostPfn: 0, hostLevel: 1 as Level };
    unknownKeys(r, m, fieldsOf(MEMSLOT));
    // Bounds on id and pages are the kernel's and the model's, said by checks.ts with their reasons.
    return { id: num(r, m, 'id', { min: 0, optional: i }), baseGfn: num(r, m, 'baseGfn', GFN), npages: num(r, m, 'pages', { min: 0 }), hostPfn: num(r, m, 'hostPfn', { min: 0, max: MAX_HOST_PFN - 1, why: 'host pfns are kept in 31 bits' }), hostLevel: level(r, m, 'hostPageSize', 1) };
  });
  const s: Scenario = {
    name: str<string>(r, o, 'name'),
    title: str<string>(r, o, 'title', undefined, ''),
    description: str<string>(r, o, 'description', undefined, ''),
    entries: num(r, o, 'entries', { optional: SCENARIO_DEFAULTS.entries }),
    flushMode: str(r, o, 'flushMode', FLUSH_MODES, SCENARIO_DEFAULTS.flushMode),
    splitYield: str(r, o, 'splitYield', SPLIT_YIELDS, SCENARIO_DEFAULTS.splitYield),
    variant: str<string>(r, o, 'variant', undefined, SCENARIO_DEFAULTS.variant),
    memslots,
    roots: arr(r, o, 'roots').map((n, i) => root(r, n, `$.roots[${i}]`)).filter((x): x is ScenarioRoot => !!x),
    ...(o.fields.has('guestMemory') ? { guestMemory: arr(r, o, 'guestMemory').map((n, i) => guestMemoryTable(r, n, `$.guestMemory[${i}]`)).filter((x): x is ScenarioGuestTable => !!x) } : {}),
    vcpus: num(r, o, 'vcpus', { min: 1, max: MAX_VCPUS, optional: SCENARIO_DEFAULTS.vcpus }),
    operations: arr(r, o, 'operations').map((n, i) => operation(r, n, `$.operations[${i}]`, memslots)).filter((x): x is ScenarioOp => !!x),
  };
  if (![2, 4, 8, 16, 32, 64, 128, 256, 512].includes(s.entries)) r.fail(o.fields.get('entries'), '$.entries', `expected a power of two from 2 to 512, found ${s.entries}`);
  const variantNode = o.fields.get('variant');
  if (variantNode?.type === 'string') knownVariant(r, variantNode, '$.variant', s.variant);
  const expect = o.fields.get('expect');
  if (expect) {
    const eo = objectOf(r, expect, '$.expect');
    if (eo) {
      for (const [k, v] of eo.fields) knownVariant(r, v.parent, `$.expect.${k}`, k);
      s.expect = Object.fromEntries([...eo.fields.keys()].map((k) => [k, str(r, eo, k, EXPECTATIONS)]));
    }
  }
  // The checks across fields need every field read: they run once the fields are right.
  if (r.problems.length === 0) for (const p of checkScenario(s)) r.failAt(tree, p.path, p.message);
  if (r.problems.length) throw new ScenarioError(r.problems);
  return s;
}
