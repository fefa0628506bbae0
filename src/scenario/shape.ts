/**
 * The shape of a scenario file, defined once: each field, its type, its bounds where JSON Schema can
 * say them, which fields each object may have and which it must. scripts/scenario-schema.ts
 * generates scenario.schema.json from it (`npm run schema`; a unit test holds the committed file to
 * the generated one), and the reader (./parse.ts) takes from it the fields each object may have and
 * the words each enumerated field may hold, so the editor's squiggles and the tool's errors come
 * from one list. The reader keeps its own messages ("file:line:col: $.path: expected ...") and the
 * checks across fields (./checks.ts), which JSON Schema cannot say.
 *
 * Bounds here are what the schema tells an editor; where the kernel has a reason (a slot id below
 * KVM_USER_MEM_SLOTS, a memslot's page count) checks.ts says it with that reason.
 */
import * as v from 'valibot';
import { POLICY_VALUES, PRESETS } from '../kernel/variants';
import { KVM_USER_MEM_SLOTS, MAX_MEMSLOT_PAGES } from './checks';

const NUMBER_TEXT = /^(0x[0-9a-fA-F]+|[0-9]+)$/;

const integer = (min?: number, max?: number) => {
  const bounds: v.PipeItem<number, number, v.BaseIssue<unknown>>[] = [v.integer()];
  if (min !== undefined) bounds.push(v.minValue(min));
  if (max !== undefined) bounds.push(v.maxValue(max));
  return v.pipe(v.number(), ...bounds);
};

const described = <T extends v.GenericSchema>(schema: T, description: string) => v.pipe(schema, v.description(description));

/** A whole number, or a string holding a decimal or 0x-hex one: page numbers read best in hex. */
export const NUMBER = described(
  v.union([integer(0), v.pipe(v.string(), v.regex(NUMBER_TEXT))]),
  'A whole number, or a string with a decimal or 0x-hex number (page numbers read best in hex).',
);

export const SIZE_NAMES = ['1G', '2M', '4K'] as const;

/** A page size as a level name, or the level number. */
export const SIZE = described(
  v.union([v.picklist(SIZE_NAMES), v.picklist([1, 2, 3])]),
  'A page size as a level: "1G" (level 3), "2M" (level 2), "4K" (level 1), at any number of entries a table; or the level number.',
);

/** The pause words of an operation that takes mmu_lock itself (a memslot ioctl, an invalidation). */
const OPERATION_PAUSE_WORDS = ['unlock', 'resched'] as const;

/** A guest access's one pause word: its fault, between the guest walk and mmu_lock. */
const WALKED = 'walked';

/**
 * Every pause word the reader reads, on any operation: checks.ts says why one is never reached where
 * the schema does not offer it ("walked" anywhere but a guest access, a pause on a guest-table write).
 */
export const PAUSE_WORDS = [...OPERATION_PAUSE_WORDS, WALKED] as const;

export const PAUSE = described(
  v.union([v.picklist(OPERATION_PAUSE_WORDS), v.strictObject({ afterSteps: integer(1) })]),
  'Stop the operation at this point and run the next operations; a later {"op": "resume"} continues it. "unlock": right after it releases mmu_lock (before a caller\'s memslot flush). "resched": at the split\'s lock drop between huge pages. (A guest access takes "walked", its own.)',
);

const ACCESS_PAUSE = described(
  v.literal(WALKED),
  'Stop the access\'s fault after its guest walk, before it takes mmu_lock (the window FNAME(fetch)\'s FNAME(gpte_changed) re-check covers); a later resume continues it and the access is retried.',
);

/** The variants parseVariant() reads (src/kernel/variants.ts): a preset, a preset with +overrides, or policy=value pairs. */
function variantPattern(): RegExp {
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pair = `(?:${Object.entries(POLICY_VALUES).map(([k, vs]) => `${k}=(?:${(vs as readonly string[]).map(esc).join('|')})`).join('|')})`;
  return new RegExp(`^(?:(?:${PRESETS.map((p) => esc(p.name)).join('|')})(?:\\+${pair}(?:[+,]${pair})*)?|${pair}(?:[+,]${pair})*)$`);
}

export const VARIANT = described(
  v.pipe(v.string(), v.regex(variantPattern())),
  'A variant: a preset, a preset with overrides ("v7+splitFlush=never") or policy=value pairs (kvm-mmu-lab variants lists them).',
);

/** A memslot's page count: from 1 (memory_size 0 would delete a memslot) to what the model holds. */
export const PAGES = described(
  v.union([integer(1, MAX_MEMSLOT_PAGES), v.pipe(v.string(), v.regex(NUMBER_TEXT))]),
  `A page count from 1 (memory_size 0 would delete a memslot) to 2^26, what the model holds (KVM itself allows up to KVM_MEM_MAX_NR_PAGES, 2^31 - 1); a hex string's value is checked by the tool, not here.`,
);

const text = v.string();
const comment = v.optional(text);
const id = v.optional(described(text, 'Name for a later resume (defaults to the operation\'s index).'));

export const MEMSLOT = v.strictObject({
  id: v.optional(described(integer(0, KVM_USER_MEM_SLOTS - 1), 'The slot of KVM_SET_USER_MEMORY_REGION: below KVM_USER_MEM_SLOTS (32764 on x86), one memslot an id. Defaults to the memslot\'s index.')),
  baseGfn: NUMBER,
  pages: PAGES,
  hostPfn: described(NUMBER, 'pfn backing baseGfn; the host maps the slot linearly.'),
  hostPageSize: v.optional(described(SIZE, 'Largest page the host backs the slot with.')),
  comment,
});

export const MAPPING = v.strictObject({
  l2: described(NUMBER, 'L2 address (page number) of the guest\'s leaf.'),
  gfn: described(NUMBER, 'L1 gfn it maps.'),
  size: SIZE,
  access: v.optional(described(v.pipe(text, v.regex(/^[rwxu-]*$/)), 'Guest permissions: u(ser), w(rite), x (exec); reads are always allowed.'), 'uwx'),
  comment,
});

export const GUEST_TABLE = v.strictObject({ level: integer(1, 3), l2: NUMBER, gfn: NUMBER });

export const ROOT = v.strictObject({
  name: text,
  guestTableGfn: described(NUMBER, 'gfn of the guest\'s top-level table (the root SP\'s gfn). Lower guest tables get the gfns after it unless guestTables names them.'),
  mappings: v.array(MAPPING),
  guestTables: v.optional(v.array(GUEST_TABLE)),
  comment,
});

export const ACCESS_KINDS = ['read', 'write', 'exec'] as const;

/** What a guest page-table entry holds: nothing, a link to the next table, a huge leaf, a 4K leaf. */
export const PTE_KINDS = ['none', 'table', 'huge', 'leaf'] as const;

export const GUEST_PTE = described(
  v.strictObject({
    kind: v.picklist(PTE_KINDS),
    gfn: v.optional(described(NUMBER, 'table: gfn of the next table; huge or leaf: the first gfn mapped. Not with "none".')),
    access: v.optional(described(v.pipe(text, v.regex(/^[rwxu-]*$/)), 'u(ser), w(rite), x (exec); reads are always allowed.'), 'uwx'),
    comment,
  }),
  'A guest page-table entry: not present, a link to the next table, a huge leaf (levels 2 and 3) or a 4K leaf (level 1).',
);

/**
 * Who writes a guest table: "vmm", from outside the guest, untrapped; "guest", the guest's own store
 * (by the vCPU in `vcpu`), which KVM traps and emulates while the table's gfn is write-tracked.
 */
export const GUEST_TABLE_WRITERS = ['vmm', 'guest'] as const;

/** A guest page table written out entry by entry (the file's `guestMemory`). */
export const GUEST_MEMORY_TABLE = v.strictObject({
  gfn: described(NUMBER, 'gfn of the guest page that holds the table (it may also be data the guest maps: the "unexpected role" setup).'),
  level: integer(1, 4),
  entries: described(v.record(v.pipe(v.string(), v.regex(/^[0-9]+$/)), GUEST_PTE), 'Entries by index ("0", "1", ...); the others are not present.'),
  comment,
});

const slot = v.optional(v.pipe(v.number(), v.integer()));
const pause = v.optional(PAUSE);

/**
 * Each operation's fields. A guest access takes only "walked" here and a guest-table write no pause
 * (an editor flags the others at once); the reader still reads any pause there, so that checks.ts
 * can say why it is never reached.
 */
export const OPERATIONS = {
  access: v.strictObject({ op: v.literal('access'), id, pause: v.optional(ACCESS_PAUSE), comment, vcpu: integer(0, 63), root: text, addr: NUMBER, kind: v.picklist(ACCESS_KINDS) }),
  'enable-dirty-logging': v.strictObject({ op: v.literal('enable-dirty-logging'), id, pause, comment, slot, manualProtect: v.optional(v.boolean()), initiallySet: v.optional(v.boolean()) }),
  'clear-dirty-log': v.strictObject({
    op: v.literal('clear-dirty-log'), id, pause, comment, slot,
    first: described(NUMBER, 'A multiple of 64, as KVM_CLEAR_DIRTY_LOG requires.'),
    pages: NUMBER,
    except: v.optional(described(v.array(NUMBER), 'gfns of the range whose bits userspace does not clear.')),
  }),
  'get-dirty-log': v.strictObject({ op: v.literal('get-dirty-log'), id, pause, comment, slot }),
  invalidate: v.strictObject({ op: v.literal('invalidate'), id, pause, comment, gfn: NUMBER, pages: v.optional(NUMBER) }),
  'guest-table-write': v.strictObject({
    op: v.literal('guest-table-write'), id, comment,
    by: described(v.picklist(GUEST_TABLE_WRITERS), 'vmm: a write from outside the guest (the VMM through its own mapping, a device): guest memory only, no trap, no lock. guest: the store of the vCPU in "vcpu": while an indirect shadow page shadows the table it is write-tracked, so the store is emulated and kvm_mmu_track_write() zaps the written SPTEs under mmu_lock; otherwise a plain store.'),
    vcpu: v.optional(described(integer(0, 63), 'The vCPU whose store it is: required with by "guest", refused with by "vmm".')),
    table: described(NUMBER, 'gfn of a guest page table the roots\' mappings go through.'),
    index: integer(0, 511),
    entry: GUEST_PTE,
  }),
  'delete-memslot': v.strictObject({ op: v.literal('delete-memslot'), id, pause, comment, slot: described(v.pipe(v.number(), v.integer()), 'The id of the memslot to delete (KVM_SET_USER_MEMORY_REGION with memory_size 0): its shadow pages are zapped and freed, then it goes.') }),
  resume: v.strictObject({ op: v.literal('resume'), target: text, pause, comment }),
} as const;

export type OperationName = keyof typeof OPERATIONS;
export const OPERATION_NAMES = Object.keys(OPERATIONS) as OperationName[];

export const FLUSH_MODES = ['bare-metal', 'range'] as const;
export const SPLIT_YIELDS = ['cache', 'every', 'never'] as const;
/** "violation:<kind>": a violation of that kind (src/model/step.ts ViolationKind) must be among the run's. */
export const EXPECTATIONS = ['pass', 'violation', 'violation:stale-tlb', 'violation:lost-dirty-page', 'violation:use-after-free', 'violation:structure', 'violation:data-corruption', 'violation:sp-use-after-free', 'violation:rmap-disagreement'] as const;
export const ENTRIES = [2, 4, 8, 16, 32, 64, 128, 256, 512] as const;

/** A whole scenario file. */
export const SCENARIO = v.pipe(
  v.strictObject({
    $schema: v.optional(text),
    name: described(text, 'Short name, used in reports.'),
    title: v.optional(text),
    description: v.optional(text),
    entries: v.optional(described(v.picklist(ENTRIES), 'Entries per table: 512 is full scale; the explorer uses 2, 4 or 8.'), 512),
    flushMode: v.optional(described(v.picklist(FLUSH_MODES), 'bare-metal: every ranged remote flush is a full flush. range: a range-capable remote flush (Hyper-V enlightenment) removes only the TLB entries that meet the range.'), 'bare-metal'),
    splitYield: v.optional(described(v.picklist(SPLIT_YIELDS), 'When the eager split drops mmu_lock between huge pages: when its caches need a top-up, before every huge page, or never.'), 'cache'),
    variant: v.optional(described(VARIANT, 'The variant the scenario is meant to be read with (kvm-mmu-lab variants lists them); --variant overrides it.'), 'v7'),
    memslots: v.pipe(v.array(MEMSLOT), v.minLength(1)),
    roots: v.pipe(v.array(ROOT), v.minLength(1)),
    guestMemory: v.optional(described(v.array(GUEST_MEMORY_TABLE), 'Guest page tables written out entry by entry, beside the ones the roots\' mappings go through: a table a guest-table-write can link to.')),
    vcpus: v.optional(integer(1, 64), 1),
    operations: v.array(v.variant('op', Object.values(OPERATIONS))),
    expect: v.optional(described(v.record(VARIANT, v.picklist(EXPECTATIONS)), 'What the author expects per variant ("violation:<kind>" names the kind that must be among the violations); the tests check it.')),
    comment,
  }),
  v.title('KVM MMU Lab scenario'),
  v.description('A run of the KVM x86 shadow-MMU model: memslots, roots (L2 address spaces managed by L1) with their guest mappings, vCPUs and the operations to run in order. See docs/scenarios.md.'),
);

/** The fields an object of the file may have, in the order the reader lists them when one is unknown. */
export function fieldsOf(schema: v.StrictObjectSchema<v.ObjectEntries, undefined>): string[] {
  return Object.keys(schema.entries);
}

/** The top-level fields (SCENARIO is a pipe: its first item is the object). */
export const SCENARIO_FIELDS = fieldsOf(SCENARIO.pipe[0]);

/** The definitions the generated schema names (#/definitions/<name>) instead of repeating them. */
export const DEFINITIONS = { number: NUMBER, size: SIZE, pause: PAUSE, variant: VARIANT, pages: PAGES, guestPte: GUEST_PTE };

/** What a top-level field left out means (the reader fills it in; the schema tells the editor). */
export const SCENARIO_DEFAULTS = v.getDefaults(SCENARIO.pipe[0]);

/** A guest mapping's permissions when the file leaves them out. */
export const DEFAULT_ACCESS = v.getDefault(MAPPING.entries.access);
