// The one definition of what the extension and the panel's webview say to each other. Both sides
// import this file: the extension (extension/panel.ts) and the webview (media/main.ts).
//
// Every message travels in an envelope { messageId, inReplyTo?, body }; `body.type` discriminates.
// Nothing that arrives is trusted: each receipt goes through isToWebviewMessage/isFromWebviewMessage
// (or the check* functions that also say what is wrong), and a message that fails is dropped and
// logged, never half-used.
//
// To add a message (say a trace snapshot for the webview to render):
//   1. declare its interface in the right region below and add it to that region's union;
//   2. describe its fields in toWebviewFields/fromWebviewFields (the compiler insists on every field);
//   3. handle it in media/main.ts or extension/panel.ts (their switches are exhaustive).
// This file must stay free of DOM, Node and vscode APIs: it runs in all three places. It imports
// only types from the core (src/view/snapshot.ts), and checks their shape at run time below.
import type { PatchReviewView } from '../review/review';
import type { PanelSnapshot } from './snapshot';

/** Bumped when a message changes shape in a way the other side must know about. */
import type { CompareRow } from '../review/compare';

export const PROTOCOL_VERSION = 5;

/** Which extension host runs the extension: Node (desktop, remote) or a browser web worker. */
export type HostKind = 'node' | 'web';

//#region to webview

/** First message after the webview said `ready`: who is talking and what to show. Reply: `shown`. */
export interface InitMessage {
  type: 'init';
  protocolVersion: number;
  extensionVersion: string;
  host: HostKind;
  title: string;
  text: string;
}

/** Where the editor shows the current step: the user's kernel file, a patch's hunks, or the model's own listing. */
export interface SourceInfo {
  kind: 'kernel' | 'patch' | 'listing';
  /** Which source, in words: "kernel tree", "patch hunks: patches/seed.patch", "model listing". */
  label: string;
  /** "arch/x86/kvm/mmu/mmu.c:412", "patches/seed.patch:38" or "model listing:57". */
  location: string;
  /** Why this source, and how to point at a kernel tree when none is set; may be empty. */
  note: string;
}

/** The walkthrough at one step, to render. Reply: `rendered`. */
export interface SnapshotMessage {
  type: 'snapshot';
  /** "reused-partial (built-in)" or the scenario file's name. */
  scenarioLabel: string;
  snapshot: PanelSnapshot;
  source: SourceInfo;
  /** Milliseconds the extension took to compute the snapshot (shown in the panel's details). */
  snapshotMs: number;
}

/** No walk (any more): show the intro again. */
export interface IdleMessage {
  type: 'idle';
  text: string;
}

/** The review view (dist/review.js): a patch reviewed by the core (src/review/review.ts). Reply: `reportShown`. */
export interface ReviewMessage {
  type: 'review';
  review: PatchReviewView;
  /** Milliseconds the extension took: reading, parsing, classifying and the checks. */
  ms: number;
}

/** One variant on one scenario, as Compare Variants shows it; `splitFlushesPer64G` is -1 while it runs, -2 when not computed. */
/** One variant on one scenario, as Compare Variants shows it; `splitFlushesPer64G` is -1 while it runs, -2 when not computed. */
export type CompareRowView = Omit<CompareRow, 'spteWrites' | 'splitFlushesPer64G'> & { splitFlushesPer64G: number };

/** The review view showing Compare Variants. Sent again when the full-scale costs come in. Reply: `reportShown`. */
export interface CompareMessage {
  type: 'compare';
  scenario: string;
  flushMode: string;
  rows: CompareRowView[];
  /** Where the full-scale column stands ("computing…", "done in 3.1 s in a worker thread"). */
  fullScale: string;
}

/**
 * How an explorer result reads. Only a violation, or a clean result whose search reached every
 * hazard precondition (src/explore/goals.ts), may look final; a clean result that did not reach
 * some, and a search that stopped, are shown as neither success nor failure.
 */
export const EXPLORE_STANDINGS = ['violation', 'clean-all-reached', 'clean-not-all-reached', 'incomplete'] as const;
export type ExploreStanding = (typeof EXPLORE_STANDINGS)[number];

/** The review view showing an explorer result. Reply: `reportShown`. */
export interface ExploreMessage {
  type: 'explore';
  variant: string;
  bound: string;
  verdict: string;
  standing: ExploreStanding;
  /** The badge's text ("no violation within the bound · 4 not reached"). */
  status: string;
  lines: string[];
  /** The hazard preconditions the search did not reach, as sentences; empty when it reached all. */
  unreached: string[];
  /** What a larger bound is, when some were not reached; or "". */
  unreachedHint: string;
  /** A counterexample scenario file to walk and open (its URI), or "". */
  counterexample: string;
  /** Where that file is, as the user reads it (a workspace-relative path, or the file's path), or "". */
  counterexamplePath: string;
}

/**
 * Asks either webview what its document holds now. Reply: `inspected`. The tests send it to see
 * that text from an input (a patch's Subject, a scenario's name) became text and no element.
 */
export interface InspectMessage {
  type: 'inspect';
}

export type ToWebviewMessage = InitMessage | SnapshotMessage | IdleMessage | ReviewMessage | CompareMessage | ExploreMessage | InspectMessage;

//#endregion

//#region from webview

/** The webview's script runs and listens; the extension answers with `init`. Sent on every load. */
export interface ReadyMessage {
  type: 'ready';
}

/** Reply to `init`: the text exactly as the webview's DOM now shows it. */
export interface ShownMessage {
  type: 'shown';
  text: string;
}

/** The webview dropped a message that failed validation, and says why. */
export interface RejectedMessage {
  type: 'rejected';
  reason: string;
}

/** Reply to `snapshot`: the step now on screen, how long the render took, and its heading text. */
export interface RenderedMessage {
  type: 'rendered';
  index: number;
  renderMs: number;
  text: string;
}

export const PANEL_ACTIONS = ['forward', 'back', 'restart', 'next-flush', 'violation', 'walk', 'variant', 'locate', 'export'] as const;
export type PanelAction = (typeof PANEL_ACTIONS)[number];

/** A button or key in the panel: the extension runs the matching command. */
export interface ActionMessage {
  type: 'action';
  action: PanelAction;
}

/** A step link in the panel (an open hazard's skipped flush, say): go to that step of the walk (-1: before the first). */
export interface GotoMessage {
  type: 'goto';
  step: number;
}

/** Reply to `review`, `compare` or `explore`: the text of the review view's DOM as rendered. */
export interface ReportShownMessage {
  type: 'reportShown';
  kind: 'review' | 'compare' | 'explore';
  text: string;
  /** The class list of the view's status badge, or "" (the tests read how a result is shown). */
  badge: string;
}

/** A link in the review view: open the kernel tree's file at a line (1-based). */
export interface OpenSourceMessage {
  type: 'openSource';
  file: string;
  line: number;
}

/** A button in the review view: walk a built-in scenario (or a scenario file, by URI) under a variant, in a flush mode ('' = the scenario's own). */
export interface WalkMessage {
  type: 'walk';
  scenario: string;
  file: string;
  variant: string;
  flushMode: '' | 'bare-metal' | 'range';
}

/** The review view's Open button: open the counterexample file the extension wrote (its URI). */
export interface OpenCounterexampleMessage {
  type: 'openCounterexample';
  file: string;
}

/** Reply to `inspect`: the document's elements counted by tag, the script elements made since the page loaded, its event-handler attributes (on…), and its text. */
export interface InspectedMessage {
  type: 'inspected';
  elements: Record<string, number>;
  scriptsSinceLoad: number;
  handlers: number;
  text: string;
}

export type FromWebviewMessage = ReadyMessage | ShownMessage | RejectedMessage | RenderedMessage | ActionMessage | GotoMessage | ReportShownMessage | OpenSourceMessage | WalkMessage | OpenCounterexampleMessage | InspectedMessage;

//#endregion

/** What goes over postMessage. `inReplyTo` is the messageId of the request this answers. */
export interface Envelope<T> {
  messageId: number;
  inReplyTo?: number;
  body: T;
}

//#region runtime checks

/** A field's expected value: a primitive type, one of a fixed set of strings, or a custom check. */
type FieldSpec = 'string' | 'number' | 'boolean' | readonly string[] | ((value: unknown) => string | undefined);

/** For each message type, a spec for every field except `type`; missing or extra fields do not compile. */
type FieldSpecs<M extends { type: string }> = {
  [K in M['type']]: { [F in Exclude<keyof Extract<M, { type: K }>, 'type'>]-?: FieldSpec };
};

const hostKinds: readonly HostKind[] = ['node', 'web'];

const toWebviewFields: FieldSpecs<ToWebviewMessage> = {
  init: { protocolVersion: 'number', extensionVersion: 'string', host: hostKinds, title: 'string', text: 'string' },
  snapshot: {
    scenarioLabel: 'string',
    snapshot: (v) => checkShape(SNAPSHOT_SHAPE, v, 'snapshot'),
    source: (v) => checkShape({ kind: ['kernel', 'patch', 'listing'], label: 'string', location: 'string', note: 'string' }, v, 'source'),
    snapshotMs: 'number',
  },
  idle: { text: 'string' },
  review: { review: (v) => checkShape(REVIEW_SHAPE, v, 'review'), ms: 'number' },
  compare: { scenario: 'string', flushMode: 'string', rows: (v) => checkShape({ arrayOf: COMPARE_ROW_SHAPE }, v, 'rows'), fullScale: 'string' },
  explore: {
    variant: 'string', bound: 'string', verdict: 'string', standing: EXPLORE_STANDINGS, status: 'string',
    lines: (v) => checkShape({ arrayOf: 'string' }, v, 'lines'), unreached: (v) => checkShape({ arrayOf: 'string' }, v, 'unreached'), unreachedHint: 'string',
    counterexample: 'string', counterexamplePath: 'string',
  },
  inspect: {},
};

const fromWebviewFields: FieldSpecs<FromWebviewMessage> = {
  ready: {},
  shown: { text: 'string' },
  rejected: { reason: 'string' },
  rendered: { index: 'number', renderMs: 'number', text: 'string' },
  action: { action: PANEL_ACTIONS },
  goto: { step: (v) => (Number.isSafeInteger(v) && (v as number) >= -1 ? undefined : `is ${JSON.stringify(v)}, expected a step index (an integer from -1)`) },
  reportShown: { kind: ['review', 'compare', 'explore'], text: 'string', badge: 'string' },
  openSource: { file: 'string', line: 'number' },
  walk: { scenario: 'string', file: 'string', variant: 'string', flushMode: ['', 'bare-metal', 'range'] },
  openCounterexample: { file: 'string' },
  inspected: { elements: (v) => checkShape({ numbersBy: 'string' }, v, 'elements'), scriptsSinceLoad: 'number', handlers: 'number', text: 'string' },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkField(spec: FieldSpec, value: unknown): string | undefined {
  if (typeof spec === 'function') return spec(value);
  if (Array.isArray(spec)) return spec.includes(value as string) ? undefined : `is ${JSON.stringify(value)}, expected one of ${spec.join(', ')}`;
  if (typeof value !== spec) return `is ${value === null ? 'null' : typeof value}, expected ${spec}`;
  if (spec === 'number' && !Number.isFinite(value)) return 'is not a finite number';
  return undefined;
}

//#region the snapshot's shape

/**
 * A nested shape: a primitive, one of fixed strings, an array of a shape, an object with these
 * fields (a field named with a trailing "?" may be missing; no other field may be there), a record
 * of numbers, or a lazy reference (for the recursive table).
 */
type Shape =
  | 'string' | 'number' | 'boolean'
  | readonly string[]
  | { readonly [field: string]: Shape }
  | { readonly arrayOf: Shape }
  | { readonly numbersBy: 'string' }
  | { readonly nullOr: Shape }
  | (() => Shape);

function isShapeWrapper<K extends string>(shape: Shape, key: K): shape is Extract<Shape, { readonly [k in K]: unknown }> {
  return typeof shape === 'object' && !Array.isArray(shape) && Object.keys(shape).length === 1 && key in shape;
}

function checkShape(shape: Shape, value: unknown, path: string): string | undefined {
  if (typeof shape === 'function') return checkShape(shape(), value, path);
  if (typeof shape === 'string' || Array.isArray(shape)) {
    const problem = checkField(shape as FieldSpec, value);
    return problem ? `${path} ${problem}` : undefined;
  }
  if (isShapeWrapper(shape, 'arrayOf')) {
    if (!Array.isArray(value)) return `${path} is not an array`;
    for (let i = 0; i < value.length; i++) {
      const problem = checkShape(shape.arrayOf, value[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (isShapeWrapper(shape, 'nullOr')) return value === null ? undefined : checkShape(shape.nullOr, value, path);
  if (isShapeWrapper(shape, 'numbersBy')) {
    if (!isRecord(value)) return `${path} is not an object`;
    for (const [k, v] of Object.entries(value)) if (typeof v !== 'number' || !Number.isFinite(v)) return `${path}.${k} is not a finite number`;
    return undefined;
  }
  if (!isRecord(value)) return `${path} is not an object`;
  const fields = shape as { readonly [field: string]: Shape };
  const known = new Set<string>();
  for (const [key, fieldShape] of Object.entries(fields)) {
    const optional = key.endsWith('?');
    const name = optional ? key.slice(0, -1) : key;
    known.add(name);
    if (!(name in value) || value[name] === undefined) {
      if (optional) continue;
      return `${path}.${name} is missing`;
    }
    const problem = checkShape(fieldShape, value[name], `${path}.${name}`);
    if (problem) return problem;
  }
  for (const name of Object.keys(value)) if (!known.has(name)) return `${path}: unexpected field "${name}"`;
  return undefined;
}

const ANCHOR_SHAPE: Shape = { fn: 'string', stmt: 'string', file: 'string' };
const VIOLATION_SHAPE: Shape = {
  kind: ['stale-tlb', 'lost-dirty-page', 'use-after-free', 'structure'], 'strength?': ['unmapped', 'permissions'],
  vcpu: 'number', gfn: 'number', step: 'number', 'tlbEntry?': 'string', 'staleSince?': 'number', 'skippedFlush?': 'number', message: 'string',
};
const STEP_SHAPE: Shape = {
  index: 'number', op: 'number', opLabel: 'string', actor: ['kvm', 'guest', 'host', 'userspace'], 'vcpu?': 'number', kind: 'string',
  anchor: ANCHOR_SHAPE, text: 'string',
  writes: { arrayOf: { sp: 'number', index: 'number', level: 'number', oldFlags: 'number', oldTarget: 'number', newFlags: 'number', newTarget: 'number' } },
  writeCount: 'number',
  'flush?': { issued: 'boolean', call: 'string', full: 'boolean', gfn: 'number', pages: 'number', removed: { arrayOf: 'string' }, 'reason?': 'string' },
  'tlbFilled?': 'string', 'childSp?': { id: 'number', reused: 'boolean' },
  violations: { arrayOf: VIOLATION_SHAPE }, lockHeld: 'boolean', counters: { numbersBy: 'string' },
};
const TABLE_SHAPE: Shape = {
  sp: 'number', title: 'string', level: 'number', direct: 'boolean', 'splitChild?': ['new', 'reused'],
  presentNonLeaf: { arrayOf: 'number' }, changed: 'boolean',
  runs: {
    arrayOf: {
      from: 'number', to: 'number', kind: ['absent', 'leaf', 'table'], text: 'string', value: 'string', changed: 'boolean',
      children: { arrayOf: () => TABLE_SHAPE }, 'collapsedChildren?': 'number',
    },
  },
};
const SNAPSHOT_SHAPE: Shape = {
  scenario: 'string', title: 'string', variant: 'string', flushMode: 'string', entries: 'number', index: 'number', total: 'number',
  step: { nullOr: STEP_SHAPE }, lockHeld: 'boolean',
  roots: { arrayOf: { name: 'string', table: TABLE_SHAPE } },
  vcpus: {
    arrayOf: {
      id: 'number',
      tlb: { arrayOf: { id: 'number', vcpu: 'number', root: 'string', size: 'string', l2: 'string', gfns: 'string', pfn: 'string', writable: 'boolean', stale: 'boolean', filledAt: 'number' } },
    },
  },
  flushLog: { arrayOf: { step: 'number', issued: 'boolean', call: 'string', range: 'string', removed: { arrayOf: 'string' }, fn: 'string', 'reason?': 'string' } },
  violations: { arrayOf: VIOLATION_SHAPE },
  hazards: {
    arrayOf: {
      strength: ['unmapped', 'permissions'], vcpu: 'number', tlbId: 'number', tlbEntry: 'string', gfn: 'number',
      'staleSince?': 'number', 'skippedFlush?': 'number', cause: 'string', 'deadline?': 'number', message: 'string',
    },
  },
  verdict: ['pass', 'violation'], now: ['violation', 'hazard', 'pass'], counters: { numbersBy: 'string' },
};

const REVIEW_STEP_SHAPE: Shape = { id: 'string', fn: 'string', file: 'string', 'line?': 'number', 'how?': 'string', 'why?': 'string' };
const REVIEW_VERDICT_SHAPE: Shape = { nullOr: { verdict: ['pass', 'violation'], remoteFlushes: 'number', splitFlushes: 'number', violation: 'string' } };
const STRINGS: Shape = { arrayOf: 'string' };
const REVIEW_SHAPE: Shape = {
  name: 'string', format: 'string', diagnostics: STRINGS,
  patches: {
    arrayOf: {
      index: 'number', prefix: 'string', subject: 'string', author: 'string', date: 'string', cover: 'boolean', kind: 'string', commit: 'string', listed: STRINGS, files: STRINGS,
      functions: STRINGS, otherFunctions: STRINGS, steps: { arrayOf: REVIEW_STEP_SHAPE }, changes: STRINGS, notUnderstood: STRINGS,
    },
  },
  modelled: 'boolean', understood: 'boolean',
  outcome: ['bad-input', 'no-diff', 'not-modelled', 'unchanged', 'not-understood', 'pass', 'violation'], verdict: 'string', reasons: STRINGS,
  steps: { arrayOf: REVIEW_STEP_SHAPE }, unexplained: STRINGS, before: 'string', after: 'string',
  decisions: { arrayOf: { policy: 'string', before: 'string', after: 'string', changed: 'boolean', rule: 'string', evidence: STRINGS } },
  notes: STRINGS, modes: STRINGS,
  checks: { arrayOf: { scenario: 'string', flushMode: ['bare-metal', 'range'], mode: 'string', before: REVIEW_VERDICT_SHAPE, after: REVIEW_VERDICT_SHAPE } },
  findings: STRINGS,
  counterexample: { nullOr: { scenario: 'string', variant: 'string', flushMode: ['bare-metal', 'range'] } },
  tree: 'boolean',
};
const COMPARE_ROW_SHAPE: Shape = {
  variant: 'string', verdict: ['pass', 'violation'], violations: 'number', remoteFlushes: 'number', splitFlushes: 'number',
  flushesSkipped: 'number', pagesFlushed: 'number', spsReused: 'number', splitFlushesPer64G: 'number',
};

/** Why `value` is not a PanelSnapshot, or undefined when it has the shape of one. */
export function checkPanelSnapshot(value: unknown): string | undefined {
  return checkShape(SNAPSHOT_SHAPE, value, 'snapshot');
}

//#endregion

function checkBody(specs: Record<string, Record<string, FieldSpec>>, body: unknown): string | undefined {
  if (!isRecord(body)) return 'body is not an object';
  const type = body.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(specs, type)) return `unknown message type ${JSON.stringify(type)}`;
  const fields = specs[type];
  for (const [name, spec] of Object.entries(fields)) {
    if (!(name in body)) return `${type}: field "${name}" is missing`;
    const problem = checkField(spec, body[name]);
    if (problem) return `${type}: field "${name}" ${problem}`;
  }
  for (const name of Object.keys(body)) {
    if (name !== 'type' && !Object.prototype.hasOwnProperty.call(fields, name)) return `${type}: unexpected field "${name}"`;
  }
  return undefined;
}

function checkEnvelope(specs: Record<string, Record<string, FieldSpec>>, value: unknown): string | undefined {
  if (!isRecord(value)) return 'message is not an object';
  if (!Number.isSafeInteger(value.messageId)) return 'messageId is not an integer';
  if (value.inReplyTo !== undefined && !Number.isSafeInteger(value.inReplyTo)) return 'inReplyTo is not an integer';
  for (const name of Object.keys(value)) {
    if (name !== 'messageId' && name !== 'inReplyTo' && name !== 'body') return `unexpected envelope field "${name}"`;
  }
  return checkBody(specs, value.body);
}

/** Why `value` is not a valid message to the webview, or undefined when it is one. */
export function checkToWebviewMessage(value: unknown): string | undefined {
  return checkEnvelope(toWebviewFields, value);
}

/** Why `value` is not a valid message from the webview, or undefined when it is one. */
export function checkFromWebviewMessage(value: unknown): string | undefined {
  return checkEnvelope(fromWebviewFields, value);
}

export function isToWebviewMessage(value: unknown): value is Envelope<ToWebviewMessage> {
  return checkToWebviewMessage(value) === undefined;
}

export function isFromWebviewMessage(value: unknown): value is Envelope<FromWebviewMessage> {
  return checkFromWebviewMessage(value) === undefined;
}

//#endregion

//#region request/reply over postMessage

export interface EndpointOptions<TOut extends { type: string }, TIn extends { type: string }> {
  /** Sends an envelope to the other side (webview.postMessage or acquireVsCodeApi().postMessage). */
  post(envelope: Envelope<TOut>): void;
  /** The validator for incoming envelopes: checkToWebviewMessage or checkFromWebviewMessage. */
  check(value: unknown): string | undefined;
  /** Handles a message that is not a reply; a returned message is sent back as its reply. */
  handle(message: TIn): TOut | undefined;
  /** Told about every incoming value that failed the check (it has been dropped). */
  dropped(reason: string, value: unknown): void;
  /** Told about every valid incoming message, replies included, before it is routed. */
  received?(message: TIn, envelope: Envelope<TIn>): void;
}

/**
 * One side of the conversation: numbers outgoing messages, matches replies to requests, and
 * validates everything that comes in before anyone sees it.
 */
export class MessageEndpoint<TOut extends { type: string }, TIn extends { type: string }> {
  private nextId = 1;
  private readonly pending = new Map<number, { type: string; resolve(message: TIn): void; reject(error: Error): void }>();

  constructor(private readonly options: EndpointOptions<TOut, TIn>) {}

  /** Sends a message that expects no reply. */
  send(body: TOut): void {
    this.options.post({ messageId: this.nextId++, body });
  }

  /** Sends a message and resolves with the reply, which must be of type `replyType`. */
  request<K extends TIn['type']>(body: TOut, replyType: K): Promise<Extract<TIn, { type: K }>> {
    const messageId = this.nextId++;
    const reply = new Promise<Extract<TIn, { type: K }>>((resolve, reject) => {
      this.pending.set(messageId, { type: replyType, resolve: resolve as (message: TIn) => void, reject });
    });
    this.options.post({ messageId, body });
    return reply;
  }

  /** Feeds one raw incoming value (event.data); invalid values are dropped and reported. */
  receive(value: unknown): void {
    const problem = this.options.check(value);
    if (problem !== undefined) {
      this.options.dropped(problem, value);
      return;
    }
    const envelope = value as Envelope<TIn>;
    this.options.received?.(envelope.body, envelope);
    if (envelope.inReplyTo !== undefined) {
      const waiting = this.pending.get(envelope.inReplyTo);
      if (!waiting) {
        this.options.dropped(`reply to unknown request ${envelope.inReplyTo}`, value);
      } else if (envelope.body.type !== waiting.type) {
        this.options.dropped(`reply to request ${envelope.inReplyTo} is "${envelope.body.type}", expected "${waiting.type}"`, value);
      } else {
        this.pending.delete(envelope.inReplyTo);
        waiting.resolve(envelope.body);
      }
      return;
    }
    const reply = this.options.handle(envelope.body);
    if (reply !== undefined) this.options.post({ messageId: this.nextId++, inReplyTo: envelope.messageId, body: reply });
  }

  /** Rejects every request still waiting for a reply (the other side is gone). */
  dispose(reason: string): void {
    for (const waiting of this.pending.values()) waiting.reject(new Error(reason));
    this.pending.clear();
  }
}

//#endregion
