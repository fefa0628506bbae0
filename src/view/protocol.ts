// The one definition of what the extension and the webviews say to each other. Both sides import
// this file: the extension (extension/panel.ts, extension/review.ts) and the webviews
// (media/main.ts, media/review.ts).
//
// Every message travels in an envelope { messageId, inReplyTo?, body }; `body.type` discriminates.
// Each message is a valibot schema, and its TypeScript type is inferred from it, so the check and
// the type cannot drift apart. Nothing that arrives is trusted: each receipt goes through
// checkToWebviewMessage/checkFromWebviewMessage, which say what is wrong and where
// ('goto: field "step" is 2.5, expected ...'), and a message that fails is dropped and logged,
// never half-used. The payloads (the snapshot, a review, Compare Variants' rows) are in ./shapes.
//
// To add a message (say a trace snapshot for the webview to render):
//   1. write its schema in the right region below and add it to that region's variant;
//   2. export its inferred type and add it to the region's union type;
//   3. handle it in media/main.ts or extension/panel.ts (their switches are exhaustive).
// This file must stay free of DOM, Node and vscode APIs: it runs in all three places.
import * as v from 'valibot';
import { COMPARE_ROW, fields, finite, firstProblem, isUnexpectedField, issuePath, kindOf, list, numbersByName, oneOf, PANEL_SNAPSHOT, REVIEW, safeCheck, text } from './shapes';

export type { CompareRowView, EntryRun, FlushLogEntry, HazardPictureView, PanelSnapshot, ReviewView, TableView, TlbView } from './shapes';

/** Bumped when a message changes shape in a way the other side must know about. */
export const PROTOCOL_VERSION = 9; // 9: a snapshot carries its version, a step after the first may come as snapshotDelta (what changed since the version the webview holds; it answers resend when it holds another), ping/pong, and rendered says when the webview received and answered (8: the snapshot says whether a debug session drives the walk (driver), the source kind 'debugger' (7: the snapshot carries the picture of the hazard, the picture's links send pictureGoto, a review step its stmt; 6: guestTables, guestTablesOmitted, freedSps, a table's life)

/** Which extension host runs the extension: Node (desktop, remote) or a browser web worker. */
const HOST_KINDS = ['node', 'web'] as const;
export type HostKind = (typeof HOST_KINDS)[number];

/** A message with no fields but its type. */
const bare = <T extends string>(type: T) => fields({ type: v.literal(type) });

//#region to webview

/** First message after the webview said `ready`: who is talking and what to show. Reply: `shown`. */
const INIT = fields({ type: v.literal('init'), protocolVersion: finite, extensionVersion: text, host: oneOf(HOST_KINDS), title: text, text });
export type InitMessage = v.InferOutput<typeof INIT>;

/** Where the editor shows the current step: the user's kernel file, a patch's hunks, or the model's own listing. */
const SOURCE_INFO = fields({
  /** 'debugger': a debug session drives the walk, and its top frame shows the source (docs/debugging.md). */
  kind: oneOf(['kernel', 'patch', 'listing', 'debugger']),
  /** Which source, in words: "kernel tree", "patch hunks: patches/seed.patch", "model listing". */
  label: text,
  /** "arch/x86/kvm/mmu/mmu.c:412", "patches/seed.patch:38" or "model listing:57". */
  location: text,
  /** Why this source, and how to point at a kernel tree when none is set; may be empty. */
  note: text,
});
export type SourceInfo = v.InferOutput<typeof SOURCE_INFO>;

/** A snapshot's version: an integer from 0, counted up by the extension for each webview. */
const VERSION = v.pipe(finite, v.safeInteger('is not an integer'), v.minValue(0, 'is negative'));

/** The walkthrough at one step, to render. Reply: `rendered`. */
const SNAPSHOT = fields({
  type: v.literal('snapshot'),
  /** The version the webview holds once it has rendered this; a snapshotDelta names it as its base. */
  version: VERSION,
  /** "reused-partial (built-in)" or the scenario file's name. */
  scenarioLabel: text,
  snapshot: PANEL_SNAPSHOT,
  source: SOURCE_INFO,
  /** Milliseconds the extension took to compute the snapshot (shown in the panel's details). */
  snapshotMs: finite,
  /** Absent when the panel's controls step the walk; else a debug session drives it, and this says how to step (the controls' tooltip). */
  driver: v.optional(text),
});
export type SnapshotMessage = v.InferOutput<typeof SNAPSHOT>;

/** One change to a snapshot (src/view/snapshot_delta.ts): a value set at a path, or an array cut to a length. */
const DELTA_OP = fields({
  path: list(v.union([text, v.pipe(finite, v.safeInteger('is not an integer'))], 'is not a field name or an index')),
  value: v.optional(v.unknown()),
  length: v.optional(VERSION),
});

/**
 * The walkthrough at one step as what changed since snapshot `base`, which the webview holds: it
 * applies `ops` to that one and checks the result as it checks a full snapshot. Reply: `rendered`,
 * or `resend` when it holds another version (or none), or the result is not a snapshot.
 */
const SNAPSHOT_DELTA = fields({
  type: v.literal('snapshotDelta'),
  base: VERSION,
  version: VERSION,
  ops: list(DELTA_OP),
  scenarioLabel: text,
  source: SOURCE_INFO,
  snapshotMs: finite,
  driver: v.optional(text),
});
export type SnapshotDeltaMessage = v.InferOutput<typeof SNAPSHOT_DELTA>;

/** No walk (any more): show the intro again. */
const IDLE = fields({ type: v.literal('idle'), text });
export type IdleMessage = v.InferOutput<typeof IDLE>;

/** The review view (dist/review.js): a patch reviewed by the core (src/review/review.ts). Reply: `reportShown`. */
const REVIEW_MESSAGE = fields({
  type: v.literal('review'),
  review: REVIEW,
  /** Milliseconds the extension took: reading, parsing, classifying and the checks. */
  ms: finite,
});
export type ReviewMessage = v.InferOutput<typeof REVIEW_MESSAGE>;

/** The review view showing Compare Variants. Sent again when the full-scale costs come in. Reply: `reportShown`. */
const COMPARE = fields({
  type: v.literal('compare'),
  scenario: text,
  flushMode: text,
  rows: list(COMPARE_ROW),
  /** Where the full-scale column stands ("computing…", "done in 3.1 s in a worker thread"). */
  fullScale: text,
});
export type CompareMessage = v.InferOutput<typeof COMPARE>;

/**
 * How an explorer result reads. Only a violation, or a clean result whose search reached every
 * hazard precondition (src/explore/goals.ts), may look final; a clean result that did not reach
 * some, and a search that stopped, are shown as neither success nor failure.
 */
export const EXPLORE_STANDINGS = ['violation', 'clean-all-reached', 'clean-not-all-reached', 'incomplete'] as const;
export type ExploreStanding = (typeof EXPLORE_STANDINGS)[number];

/** The review view showing an explorer result. Reply: `reportShown`. */
const EXPLORE = fields({
  type: v.literal('explore'),
  variant: text,
  bound: text,
  verdict: text,
  standing: oneOf(EXPLORE_STANDINGS),
  /** The badge's text ("no violation within the bound · 4 not reached"). */
  status: text,
  lines: list(text),
  /** The hazard preconditions the search did not reach, as sentences; empty when it reached all. */
  unreached: list(text),
  /** What a larger bound is, when some were not reached; or "". */
  unreachedHint: text,
  /** A counterexample scenario file to walk and open (its URI), or "". */
  counterexample: text,
  /** Where that file is, as the user reads it (a workspace-relative path, or the file's path), or "". */
  counterexamplePath: text,
});
export type ExploreMessage = v.InferOutput<typeof EXPLORE>;

/**
 * Asks either webview what its document holds now. Reply: `inspected`. The tests send it to see
 * that text from an input (a patch's Subject, a scenario's name) became text and no element.
 */
const INSPECT = bare('inspect');
export type InspectMessage = v.InferOutput<typeof INSPECT>;

/** The smallest request (the workbench benchmark's baseline round trip): the webview answers `pong` at once. */
const PING = bare('ping');
export type PingMessage = v.InferOutput<typeof PING>;

const TO_WEBVIEW = [INIT, SNAPSHOT, SNAPSHOT_DELTA, IDLE, REVIEW_MESSAGE, COMPARE, EXPLORE, INSPECT, PING] as const;
export type ToWebviewMessage = v.InferOutput<(typeof TO_WEBVIEW)[number]>;

//#endregion

//#region from webview

/** The webview's script runs and listens; the extension answers with `init`. Sent on every load. */
const READY = bare('ready');
export type ReadyMessage = v.InferOutput<typeof READY>;

/** Reply to `init`: the text exactly as the webview's DOM now shows it. */
const SHOWN = fields({ type: v.literal('shown'), text });
export type ShownMessage = v.InferOutput<typeof SHOWN>;

/** The webview dropped a message that failed validation, and says why. */
const REJECTED = fields({ type: v.literal('rejected'), reason: text });
export type RejectedMessage = v.InferOutput<typeof REJECTED>;

/** Reply to `snapshot`: the step now on screen, how long the render took, and its heading text. */
const RENDERED = fields({
  type: v.literal('rendered'),
  index: finite,
  renderMs: finite,
  text,
  /** Milliseconds the webview took to check the message (src/view/protocol.ts) before rendering it. */
  checkMs: finite,
  /** When the webview's message event fired and when it posted this reply (performance.timeOrigin + now(), ms since the epoch; the benchmark's one-way split). */
  receivedAt: finite,
  repliedAt: finite,
});
export type RenderedMessage = v.InferOutput<typeof RENDERED>;

export const PANEL_ACTIONS = ['forward', 'back', 'restart', 'next-flush', 'violation', 'walk', 'variant', 'locate', 'export'] as const;
export type PanelAction = (typeof PANEL_ACTIONS)[number];

/** A button or key in the panel: the extension runs the matching command. */
const ACTION = fields({ type: v.literal('action'), action: oneOf(PANEL_ACTIONS) });
export type ActionMessage = v.InferOutput<typeof ACTION>;

/** A step index from the webview: an integer from -1 (before the first step). */
const STEP_INDEX = v.pipe(
  v.number(),
  v.safeInteger(),
  v.minValue(-1),
);

/** A step link in the panel (an open hazard's skipped flush, say): go to that step of the walk (-1: before the first). */
const GOTO = fields({ type: v.literal('goto'), step: v.message(STEP_INDEX, (issue) => `is ${JSON.stringify(issue.input)}, expected a step index (an integer from -1)`) });
export type GotoMessage = v.InferOutput<typeof GOTO>;

/** What a person clicked in the picture of the hazard (media/picture.ts), each a step of the walk. */
export const PICTURE_MARKS = ['stale-since', 'skipped-flush', 'deadline', 'violation', 'flush', 'lock-release'] as const;
export type PictureMark = (typeof PICTURE_MARKS)[number];

/**
 * A band or a mark in the picture of the hazard: go to the step it names. Apart from `goto` so the
 * extension can log which mark moved the walk (a band's cause, the skipped flush, a lock release).
 */
const PICTURE_GOTO = fields({
  type: v.literal('pictureGoto'),
  step: v.message(STEP_INDEX, (issue) => `is ${JSON.stringify(issue.input)}, expected a step index (an integer from -1)`),
  mark: oneOf(PICTURE_MARKS),
});
export type PictureGotoMessage = v.InferOutput<typeof PICTURE_GOTO>;

/** Reply to `review`, `compare` or `explore`: the text of the review view's DOM as rendered. */
const REPORT_SHOWN = fields({
  type: v.literal('reportShown'),
  kind: oneOf(['review', 'compare', 'explore']),
  text,
  /** The class list of the view's status badge, or "" (the tests read how a result is shown). */
  badge: text,
});
export type ReportShownMessage = v.InferOutput<typeof REPORT_SHOWN>;

/** A link in the review view: open the kernel tree's file at a line (1-based). */
const OPEN_SOURCE = fields({ type: v.literal('openSource'), file: text, line: finite });
export type OpenSourceMessage = v.InferOutput<typeof OPEN_SOURCE>;

/** A button in the review view: walk a built-in scenario (or a scenario file, by URI) under a variant, in a flush mode ('' = the scenario's own). */
const WALK = fields({ type: v.literal('walk'), scenario: text, file: text, variant: text, flushMode: oneOf(['', 'bare-metal', 'range']) });
export type WalkMessage = v.InferOutput<typeof WALK>;

/** The review view's Open button: open the counterexample file the extension wrote (its URI). */
const OPEN_COUNTEREXAMPLE = fields({ type: v.literal('openCounterexample'), file: text });
export type OpenCounterexampleMessage = v.InferOutput<typeof OPEN_COUNTEREXAMPLE>;

/** Reply to `inspect`: the document's elements counted by tag, the script elements made since the page loaded, its event-handler attributes (on…), and its text. */
const INSPECTED = fields({ type: v.literal('inspected'), elements: numbersByName, scriptsSinceLoad: finite, handlers: finite, text });
export type InspectedMessage = v.InferOutput<typeof INSPECTED>;

/** Reply to `snapshotDelta` that could not be used: the version the webview holds (-1: none) and why; the extension sends the step in full. */
const RESEND = fields({ type: v.literal('resend'), holds: v.pipe(finite, v.safeInteger('is not an integer'), v.minValue(-1)), reason: text });
export type ResendMessage = v.InferOutput<typeof RESEND>;

/** Reply to `ping`. */
const PONG = bare('pong');
export type PongMessage = v.InferOutput<typeof PONG>;

const FROM_WEBVIEW = [READY, SHOWN, REJECTED, RENDERED, ACTION, GOTO, PICTURE_GOTO, REPORT_SHOWN, OPEN_SOURCE, WALK, OPEN_COUNTEREXAMPLE, INSPECTED, RESEND, PONG] as const;
export type FromWebviewMessage = v.InferOutput<(typeof FROM_WEBVIEW)[number]>;

//#endregion

//#region the envelope, and the checks of what arrives

/** What goes over postMessage. `inReplyTo` is the messageId of the request this answers. */
export interface Envelope<T> {
  messageId: number;
  inReplyTo?: number;
  body: T;
}

const MESSAGE_ID = v.pipe(v.number('is not an integer'), v.safeInteger('is not an integer'));

function envelope<const T extends readonly v.StrictObjectSchema<v.ObjectEntries & { type: v.LiteralSchema<string, undefined> }, v.ErrorMessage<v.StrictObjectIssue>>[]>(bodies: T) {
  return v.strictObject({ messageId: MESSAGE_ID, inReplyTo: v.optional(MESSAGE_ID), body: v.variant('type', bodies) });
}

const TO_WEBVIEW_ENVELOPE = envelope(TO_WEBVIEW);
const FROM_WEBVIEW_ENVELOPE = envelope(FROM_WEBVIEW);

/** The first problem of an envelope, in the words the extension logs and the webview sends back in `rejected`. */
function envelopeProblem(schema: v.GenericSchema, value: unknown): string | undefined {
  const result = safeCheck(schema, value);
  if (typeof result === 'string') return `message ${result}`;
  if (result.success) return undefined;
  const issue = result.issues[0];
  const [head, ...rest] = issue.path ?? [];
  if (!head) return 'message is not an object';
  const where = String((head as { key: unknown }).key);
  if (where !== 'body') return isUnexpectedField(issue) ? `unexpected envelope field "${where}"` : `${where} ${issue.message}`;
  if (issue.type === 'variant') {
    // valibot's variant takes an array for an object without the key: say what the body is.
    const body = (value as { body: unknown }).body;
    return kindOf(body) !== 'object' ? `body is ${kindOf(body)}, expected an object` : `unknown message type ${JSON.stringify(issue.input)}`;
  }
  const type = String((value as { body: { type: unknown } }).body.type);
  const field = issuePath({ ...issue, path: rest as typeof issue.path });
  return isUnexpectedField(issue) ? `${type}: unexpected field "${field}"` : `${type}: field "${field}" ${issue.message}`;
}

/** Why `value` is not a PanelSnapshot, or undefined when it has the shape of one. */
export function checkPanelSnapshot(value: unknown): string | undefined {
  return firstProblem(PANEL_SNAPSHOT, value, 'snapshot');
}

/** Why `value` is not a valid message to the webview, or undefined when it is one. */
export function checkToWebviewMessage(value: unknown): string | undefined {
  return envelopeProblem(TO_WEBVIEW_ENVELOPE, value);
}

/** Why `value` is not a valid message from the webview, or undefined when it is one. */
export function checkFromWebviewMessage(value: unknown): string | undefined {
  return envelopeProblem(FROM_WEBVIEW_ENVELOPE, value);
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
  private readonly pending = new Map<number, { types: readonly string[]; resolve(message: TIn): void; reject(error: Error): void }>();

  constructor(private readonly options: EndpointOptions<TOut, TIn>) {}

  /** Sends a message that expects no reply. */
  send(body: TOut): void {
    this.options.post({ messageId: this.nextId++, body });
  }

  /** Sends a message and resolves with the reply, which must be of type `replyType` (or of one of them). */
  request<K extends TIn['type']>(body: TOut, replyType: K | readonly K[]): Promise<Extract<TIn, { type: K }>> {
    const messageId = this.nextId++;
    const types: readonly string[] = typeof replyType === 'string' ? [replyType] : replyType;
    const reply = new Promise<Extract<TIn, { type: K }>>((resolve, reject) => {
      this.pending.set(messageId, { types, resolve: resolve as (message: TIn) => void, reject });
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
      } else if (!waiting.types.includes(envelope.body.type)) {
        this.options.dropped(`reply to request ${envelope.inReplyTo} is "${envelope.body.type}", expected ${waiting.types.map((t) => `"${t}"`).join(' or ')}`, value);
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
