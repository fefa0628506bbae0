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
// This file must stay free of DOM, Node and vscode APIs: it runs in all three places.

/** Bumped when a message changes shape in a way the other side must know about. */
export const PROTOCOL_VERSION = 1;

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

export type ToWebviewMessage = InitMessage;

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

export type FromWebviewMessage = ReadyMessage | ShownMessage | RejectedMessage;

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
};

const fromWebviewFields: FieldSpecs<FromWebviewMessage> = {
  ready: {},
  shown: { text: 'string' },
  rejected: { reason: 'string' },
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
