/**
 * The shapes of what the webviews are sent, each defined once: a valibot schema that checks a
 * value at run time, and the TypeScript type inferred from it. The panel's snapshot (computed by
 * src/view/snapshot.ts), a patch review (src/review/review.ts) and a row of Compare Variants are
 * here; the messages that carry them are in src/view/protocol.ts.
 *
 * The core builds these values from its own types (the model's Step, the review's
 * PatchReviewView), so the compiler checks at each place the extension sends one that the core's
 * type fits the shape. Only the recursive table is typed by hand (TypeScript cannot infer a
 * recursive type), and its schema is checked against that type.
 *
 * Every problem reads "<path> <what is wrong>": "is string, expected number", "is missing",
 * "is not expected". valibot builds no code at run time (no eval, no new Function: the webviews'
 * CSP forbids both), and only the schemas used here are bundled.
 */
import * as v from 'valibot';
import { zeroCounters } from '../model/state';

//#region the building blocks, with the words each problem is said in

type Issue = v.BaseIssue<unknown>;

/** What a value is, as a problem names it: "number", "null", "array". */
export function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

const typeIs = (expected: string) => (issue: Issue): string => `is ${kindOf(issue.input)}, expected ${expected}`;

export const text = v.string(typeIs('string'));
export const finite = v.pipe(v.number(typeIs('number')), v.finite('is not a finite number'));
export const flag = v.boolean(typeIs('boolean'));

/** One of a fixed set of strings. */
export function oneOf<const T extends readonly string[]>(options: T) {
  return v.picklist(options, (issue) => `is ${JSON.stringify(issue.input)}, expected one of ${options.join(', ')}`);
}

export function list<T extends v.GenericSchema>(item: T) {
  return v.array(item, typeIs('an array'));
}

/**
 * The problem an object schema reports: its own type, a field left out, or a field it does not
 * have. valibot calls this as it makes the issue, when the issue's path is still the field's alone.
 */
function objectProblem(issue: Issue): string {
  if (issue.path?.[0]?.origin !== 'key') return typeIs('an object')(issue);
  return issue.expected === 'never' ? 'is not expected' : 'is missing';
}

/** An object with exactly these fields (an optional one may be left out; no other may be there). */
export function fields<E extends v.ObjectEntries>(entries: E) {
  return v.strictObject(entries, objectProblem);
}

/** A record of finite numbers by name (the inspected document's element counts). */
export const numbersByName = v.record(v.string(), finite, typeIs('an object'));

/** Finite numbers, one for each field of `example` and no other. */
function numbersNamed<T extends object>(example: T) {
  return fields(Object.fromEntries(Object.keys(example).map((k) => [k, finite])) as { [K in keyof T]: typeof finite });
}

/** The path of an issue from the value checked: "hazards[0].skippedFlush". */
export function issuePath(issue: Issue): string {
  let out = '';
  for (const item of issue.path ?? []) {
    const key = (item as { key: unknown }).key;
    out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  }
  return out;
}

/** Whether the issue is a field the object does not have (its path ends at that field's key). */
export function isUnexpectedField(issue: Issue): boolean {
  return issue.expected === 'never' && issue.path?.[issue.path.length - 1]?.origin === 'key';
}

/** Checks stop at the first problem: a message is used whole or dropped whole. */
export const FIRST_PROBLEM = { abortEarly: true, abortPipeEarly: true } as const;

/**
 * The result of checking `value`, or a problem when the check itself could not finish: a structured
 * clone may hold a cycle (a table among its own children), which the recursive table schema would
 * follow until the stack runs out. The receiver gets a reason, never the exception.
 */
export function safeCheck(schema: v.GenericSchema, value: unknown): v.SafeParseResult<v.GenericSchema> | string {
  try {
    return v.safeParse(schema, value, FIRST_PROBLEM);
  } catch (e) {
    return `could not be checked (${e instanceof Error ? e.name : 'error'}): expected a value without cycles, as deep as the panel's tables`;
  }
}

/** The first problem of `value` against `schema`, said from `root` ("snapshot.now is ..."), or undefined. */
export function firstProblem(schema: v.GenericSchema, value: unknown, root: string): string | undefined {
  const result = safeCheck(schema, value);
  if (typeof result === 'string') return `${root} ${result}`;
  if (result.success) return undefined;
  const issue = result.issues[0];
  const path = issuePath(issue);
  if (isUnexpectedField(issue)) {
    const at = path.lastIndexOf('.');
    return `${root}${at < 0 ? '' : '.' + path.slice(0, at)}: unexpected field "${at < 0 ? path : path.slice(at + 1)}"`;
  }
  return `${root}${path.startsWith('[') || !path ? '' : '.'}${path} ${issue.message}`;
}

//#endregion

//#region the panel's snapshot (src/view/snapshot.ts computes it; media/main.ts renders it)

/** The model's counters (src/model/state.ts), each by name: a counter added there is checked here too. */
const COUNTERS = numbersNamed(zeroCounters());

const ANCHOR = fields({ fn: text, stmt: text, file: text });

const VIOLATION = fields({
  kind: oneOf(['stale-tlb', 'lost-dirty-page', 'use-after-free', 'structure', 'data-corruption', 'sp-use-after-free', 'rmap-disagreement']),
  strength: v.optional(oneOf(['unmapped', 'permissions'])),
  vcpu: finite,
  gfn: finite,
  step: finite,
  tlbEntry: v.optional(text),
  staleSince: v.optional(finite),
  skippedFlush: v.optional(finite),
  causeStep: v.optional(finite),
  freedStep: v.optional(finite),
  message: text,
});

/** A step of the walk as the panel gets it (the model's Step, src/model/step.ts, fits it). */
const STEP = fields({
  index: finite,
  op: finite,
  opLabel: text,
  actor: oneOf(['kvm', 'guest', 'host', 'userspace']),
  vcpu: v.optional(finite),
  kind: text,
  anchor: ANCHOR,
  text,
  writes: list(fields({ sp: finite, index: finite, level: finite, oldFlags: finite, oldTarget: finite, newFlags: finite, newTarget: finite })),
  writeCount: finite,
  flush: v.optional(fields({ issued: flag, call: text, full: flag, gfn: finite, pages: finite, removed: list(text), reason: v.optional(text) })),
  tlbFilled: v.optional(text),
  childSp: v.optional(fields({ id: finite, reused: flag })),
  violations: list(VIOLATION),
  lockHeld: flag,
  counters: COUNTERS,
});

export interface EntryRun {
  /** First and last index of the run in its table. */
  from: number;
  to: number;
  kind: 'absent' | 'leaf' | 'table';
  /** "509 x 2M leaf, pfn 0x440400.., W" */
  text: string;
  /** The 64-bit value of the first entry of the run (hex), for the tooltip. */
  value: string;
  /** A step wrote one of these entries. */
  changed: boolean;
  /** Child tables of a table run (one for a single entry). */
  children: TableView[];
  /** A run of tables whose children are alike, shown as one. */
  collapsedChildren?: number;
}

export interface TableView {
  sp: number;
  /** "sp#4 direct L2 gfn 0x40000" */
  title: string;
  level: number;
  direct: boolean;
  /** Child SP of the split in progress (or just done): new or reused from the hash. */
  splitChild?: 'new' | 'reused';
  /** Indices of present non-leaf entries, called out while this table is a split child. */
  presentNonLeaf: number[];
  runs: EntryRun[];
  changed: boolean;
  /** The SP is zapped (role.invalid) or freed, and an SPTE still links it. */
  life?: 'invalid' | 'freed';
}

/** A table and, through its runs, its children: the one shape typed by hand, as it is recursive. */
const TABLE: v.GenericSchema<TableView> = fields({
  sp: finite,
  title: text,
  level: finite,
  direct: flag,
  splitChild: v.optional(oneOf(['new', 'reused'])),
  presentNonLeaf: list(finite),
  runs: list(fields({
    from: finite,
    to: finite,
    kind: oneOf(['absent', 'leaf', 'table']),
    text,
    value: text,
    changed: flag,
    children: list(v.lazy(() => TABLE)),
    collapsedChildren: v.optional(finite),
  })),
  changed: flag,
  life: v.optional(oneOf(['invalid', 'freed'])),
});

const TLB_ENTRY = fields({
  id: finite,
  vcpu: finite,
  root: text,
  size: text,
  l2: text,
  gfns: text,
  pfn: text,
  writable: flag,
  /** No longer backed by the page tables (unmapped strength). */
  stale: flag,
  filledAt: finite,
});
export type TlbView = v.InferOutput<typeof TLB_ENTRY>;

const FLUSH_LOG_ENTRY = fields({ step: finite, issued: flag, call: text, range: text, removed: list(text), fn: text, reason: v.optional(text) });
export type FlushLogEntry = v.InferOutput<typeof FLUSH_LOG_ENTRY>;

/** An open hazard (src/view/hazards.ts says what each field is). */
const HAZARD = fields({
  strength: oneOf(['unmapped', 'permissions']),
  vcpu: finite,
  tlbId: finite,
  tlbEntry: text,
  gfn: finite,
  staleSince: v.optional(finite),
  skippedFlush: v.optional(finite),
  cause: text,
  deadline: v.optional(finite),
  message: text,
});

/** A run of present entries of a guest table (src/view/guest_view.ts folds them). */
const GUEST_RUN = fields({
  from: finite,
  to: finite,
  kind: oneOf(['table', 'huge', 'leaf']),
  /** The first entry's target: the next table's gfn, or the first gfn a leaf maps. */
  gfn: finite,
  /** ACC_* as the scenario format writes them: "uwx", "-w-" (reads are always allowed). */
  access: text,
  /** "512 x 2M huge, gfn 0x40000.. uwx" */
  text,
  /** A step just wrote one of these entries. */
  changed: flag,
});
export type GuestRunView = v.InferOutput<typeof GUEST_RUN>;

const SP_LIFE = oneOf(['live', 'invalid', 'freed']);

/** A guest page table in guest memory, and the shadow pages that shadow it. */
const GUEST_TABLE = fields({
  gfn: finite,
  level: finite,
  /** "guest L4 table gfn 0x10 (top of root A)" */
  title: text,
  /** The roots whose tables lead here (empty: no root reaches it any more). */
  roots: list(text),
  /** How many entries are present. */
  present: finite,
  runs: list(GUEST_RUN),
  /** The indirect SPs with this gfn (role.direct = 0), in id order, each alive, zapped or freed. */
  shadowedBy: list(fields({ sp: finite, title: text, life: SP_LIFE })),
  /** A step just wrote one of its entries. */
  changed: flag,
});
export type GuestTableView = v.InferOutput<typeof GUEST_TABLE>;

/** A shadow page zapped (role.invalid) or freed, and the rmap entries still pointing into it. */
const FREED_SP = fields({
  sp: finite,
  title: text,
  life: oneOf(['invalid', 'freed']),
  /** The step that freed it, when the model records it. */
  at: v.optional(finite),
  /** Rmap entries whose SPTE is in this SP: what an rmap walk would dereference. */
  rmap: list(fields({ gfn: finite, level: finite, slot: finite, text })),
});
export type FreedSpView = v.InferOutput<typeof FREED_SP>;

/**
 * The picture of the hazard (src/view/hazard_picture.ts computes it): the range being split, what
 * each root's shadow tables and each vCPU's TLB map across it, the stale bands, and a timeline of
 * the actors. Every x is a fraction (0..1) of the range's width on its axis, or a step index.
 */
const PICTURE_SEGMENT = fields({
  /** First gfn and the gfn after the last. */
  from: finite,
  to: finite,
  kind: oneOf(['huge', 'split', 'absent']),
  /** Where it starts and how wide it is, as fractions of the picture's width. */
  x: finite,
  w: finite,
  /** "510 x 2M leaf, gfns 0x40400..0x7ffff" */
  text,
});
export type PictureSegment = v.InferOutput<typeof PICTURE_SEGMENT>;

const PICTURE_TLB = fields({ tlbId: finite, root: text, from: finite, to: finite, x: finite, w: finite, writable: flag, stale: flag, text });
export type PictureTlbEntry = v.InferOutput<typeof PICTURE_TLB>;

const PICTURE_BAND = fields({
  vcpu: finite,
  tlbId: finite,
  root: text,
  from: finite,
  to: finite,
  x: finite,
  w: finite,
  /** The step whose SPTE change made these pages stale, when the model recorded it. */
  staleSince: v.optional(finite),
  /** The flush skipped for that change, when one was. */
  skippedFlush: v.optional(finite),
  /** The next mmu_lock release, where the check looks. */
  deadline: v.optional(finite),
  /** The step where the check reported this entry, when it has. */
  violation: v.optional(finite),
  text,
});
export type PictureBand = v.InferOutput<typeof PICTURE_BAND>;

const PICTURE_LANE = fields({ kind: oneOf(['ioctl', 'vcpu', 'notifier']), vcpu: v.optional(finite) });
export type PictureLane = v.InferOutput<typeof PICTURE_LANE>;

export const HAZARD_PICTURE = fields({
  range: fields({
    gfn: finite,
    pages: finite,
    /** "1G" */
    size: text,
    /** The step that found the child SP for the split (shadow_mmu_get_sp_for_split). */
    splitStep: finite,
    /** "1G huge SPTE sp#2[1], gfns 0x40000..0x7ffff, split at step 21 into sp#4 (reused)" */
    text,
  }),
  /** Gfns where the axis bends, with their x: the picture stretches small runs so each stays visible. */
  ticks: list(fields({ gfn: finite, x: finite })),
  roots: list(fields({ name: text, segments: list(PICTURE_SEGMENT), truncated: flag })),
  vcpus: list(fields({ id: finite, entries: list(PICTURE_TLB) })),
  bands: list(PICTURE_BAND),
  timeline: fields({
    total: finite,
    index: finite,
    lanes: list(PICTURE_LANE),
    /** mmu_lock held from step `from` until the release at step `to`. */
    locks: list(fields({ lane: finite, from: finite, to: finite, text })),
    flushes: list(fields({ lane: finite, step: finite, issued: flag, text })),
    violations: list(fields({ lane: finite, step: finite, text })),
  }),
});
export type HazardPictureView = v.InferOutput<typeof HAZARD_PICTURE>;

export const PANEL_SNAPSHOT = fields({
  scenario: text,
  title: text,
  variant: text,
  flushMode: text,
  entries: finite,
  /** Current step index (-1: before the first). */
  index: finite,
  total: finite,
  step: v.nullable(STEP),
  lockHeld: flag,
  roots: list(fields({ name: text, table: TABLE })),
  vcpus: list(fields({ id: finite, tlb: list(TLB_ENTRY) })),
  /** The guest's page tables (guest memory), as many as the view lists, beside the shadow tables. */
  guestTables: list(GUEST_TABLE),
  /** Guest tables in guest memory the view does not list. */
  guestTablesOmitted: finite,
  /** Shadow pages zapped or freed, each with the rmap entries that still point into it. */
  freedSps: list(FREED_SP),
  flushLog: list(FLUSH_LOG_ENTRY),
  /** Violations found at or before this step. */
  violations: list(VIOLATION),
  /**
   * TLB entries stale now that no check has reported yet: each must be flushed by its deadline
   * (the next mmu_lock release, or its operation's end), or that check fails there.
   */
  hazards: list(HAZARD),
  /** Verdict of the whole run. */
  verdict: oneOf(['pass', 'violation']),
  /** At this step: a violation so far, else a hazard open, else pass so far. */
  now: oneOf(['violation', 'hazard', 'pass']),
  counters: COUNTERS,
  /** The picture of the hazard over the range being split; null when the walk splits no huge page. */
  picture: v.nullable(HAZARD_PICTURE),
});

/** What the panel shows at one step (src/view/snapshot.ts computes it). */
export type PanelSnapshot = v.InferOutput<typeof PANEL_SNAPSHOT>;

//#endregion

//#region a patch review and Compare Variants (the review view, media/review.ts)

const REVIEW_STEP = fields({ id: text, fn: text, stmt: text, file: text, line: v.optional(finite), how: v.optional(text), why: v.optional(text) });
const REVIEW_VERDICT = v.nullable(fields({ verdict: oneOf(['pass', 'violation']), remoteFlushes: finite, splitFlushes: finite, violation: text }));
const FLUSH_MODE = oneOf(['bare-metal', 'range']);

/** A patch reviewed by the core, as src/review/review.ts's PatchReviewView says field by field. */
export const REVIEW = fields({
  name: text,
  format: text,
  diagnostics: list(text),
  patches: list(fields({
    index: finite, prefix: text, subject: text, author: text, date: text, cover: flag, kind: text, commit: text, listed: list(text), files: list(text),
    functions: list(text), otherFunctions: list(text), steps: list(REVIEW_STEP), changes: list(text), notUnderstood: list(text),
  })),
  modelled: flag,
  understood: flag,
  outcome: oneOf(['bad-input', 'no-diff', 'not-modelled', 'unchanged', 'not-understood', 'pass', 'violation']),
  verdict: text,
  reasons: list(text),
  steps: list(REVIEW_STEP),
  unexplained: list(text),
  before: text,
  after: text,
  decisions: list(fields({ policy: text, before: text, after: text, changed: flag, rule: text, evidence: list(text) })),
  notes: list(text),
  modes: list(text),
  checks: list(fields({ scenario: text, flushMode: FLUSH_MODE, mode: text, before: REVIEW_VERDICT, after: REVIEW_VERDICT })),
  findings: list(text),
  counterexample: v.nullable(fields({ scenario: text, variant: text, flushMode: FLUSH_MODE })),
  tree: flag,
});
export type ReviewView = v.InferOutput<typeof REVIEW>;

/** One variant on one scenario, as Compare Variants shows it; `splitFlushesPer64G` is -1 while it runs, -2 when not computed. */
export const COMPARE_ROW = fields({
  variant: text,
  verdict: oneOf(['pass', 'violation']),
  violations: finite,
  remoteFlushes: finite,
  splitFlushes: finite,
  flushesSkipped: finite,
  pagesFlushed: finite,
  spsReused: finite,
  splitFlushesPer64G: finite,
});
export type CompareRowView = v.InferOutput<typeof COMPARE_ROW>;

//#endregion
