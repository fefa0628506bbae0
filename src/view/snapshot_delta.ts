// A step's snapshot as what changed since the one the webview holds (issue 16's Numbers,
// docs/testing.md "A step in the real workbench"). From one step to the next most of a
// PanelSnapshot stays the same (the tables change at one step in three, the TLBs at one in
// fourteen; the step, its index and the picture's time line change every time), so the extension
// sends the paths that changed and their new values, and the webview builds the new snapshot from
// the one it holds. Generic over JSON-like values, so that a field added to the snapshot needs
// nothing here. No DOM, Node or vscode import: the extension, the webview and the tests load it.
//
// Two kinds of operation, applied in order:
//   { path, value }   the value at `path` becomes `value` (an existing field of an object, an
//                     existing element of an array, or the element just past an array's end);
//   { path, length }  the array at `path` is cut to `length` elements.
// An object whose set of fields changed is replaced whole, so no operation adds or removes a field:
// applying can only change what the webview's last snapshot already has, and the result is checked
// against the snapshot's schema like a full one (src/view/protocol.ts), so a delta can never build
// what a full message could not carry.

export type DeltaKey = string | number;

export interface DeltaOp {
  path: DeltaKey[];
  value?: unknown;
  length?: number;
}

/** The operations that turn `from` into `to` (both JSON-like: objects, arrays, strings, numbers, booleans, null). */
export function snapshotDelta(from: unknown, to: unknown): DeltaOp[] {
  const ops: DeltaOp[] = [];
  diff(from, to, [], ops);
  return ops;
}

function diff(a: unknown, b: unknown, path: DeltaKey[], ops: DeltaOp[]): void {
  if (a === b) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const common = Math.min(a.length, b.length);
    for (let i = 0; i < common; i++) diff(a[i], b[i], [...path, i], ops);
    if (b.length < a.length) ops.push({ path, length: b.length });
    for (let i = a.length; i < b.length; i++) ops.push({ path: [...path, i], value: b[i] });
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = fieldsOf(b);
    if (sameFields(fieldsOf(a), keys)) {
      for (const k of keys) diff(a[k], b[k], [...path, k], ops);
      return;
    }
  }
  ops.push({ path, value: b });
}

/** A plain object (not an array, not null). */
function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** An object's fields, leaving out those set to undefined: postMessage's JSON drops them on the way. */
function fieldsOf(o: Record<string, unknown>): string[] {
  return Object.keys(o).filter((k) => o[k] !== undefined);
}

function sameFields(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((k) => set.has(k));
}

/** Names no operation may go through, whatever the object holds. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * `base` with `ops` applied, or why they do not apply (an operation's path leads nowhere, adds a
 * field, or jumps past an array's end). `base` is left as it was, also when they do not apply:
 * each container on an operation's path is copied once, and what no operation touches is shared.
 */
export function applySnapshotDelta(base: unknown, ops: readonly DeltaOp[]): { value: unknown } | { problem: string } {
  const fresh = new Set<object>();
  const own = <T extends object>(x: T): T => {
    if (fresh.has(x)) return x;
    const copy = (Array.isArray(x) ? x.slice() : { ...x }) as T;
    fresh.add(copy);
    return copy;
  };
  let root = base;
  for (let n = 0; n < ops.length; n++) {
    const op = ops[n];
    const where = `delta operation ${n} (${op.path.map(String).join('.') || 'the snapshot'})`;
    const setting = Object.prototype.hasOwnProperty.call(op, 'value');
    if (setting === (op.length !== undefined)) return { problem: `${where}: expected either a value or a length` };
    if (op.path.length === 0) {
      if (!setting) return { problem: `${where}: the snapshot is not an array to cut` };
      root = op.value;
      continue;
    }
    // The container the operation changes (the array itself, for a cut), copied along the way.
    const steps = setting ? op.path.slice(0, -1) : op.path;
    if (typeof root !== 'object' || root === null) return { problem: `${where}: the snapshot is not an object` };
    root = own(root);
    let at = root as Record<DeltaKey, unknown>;
    for (const key of steps) {
      const problem = keyProblem(at, key, false);
      if (problem) return { problem: `${where}: ${problem}` };
      const child = at[key];
      if (typeof child !== 'object' || child === null) return { problem: `${where}: ${String(key)} is not an object or an array` };
      at[key] = own(child);
      at = at[key] as Record<DeltaKey, unknown>;
    }
    if (setting) {
      const key = op.path[op.path.length - 1];
      const problem = keyProblem(at, key, true);
      if (problem) return { problem: `${where}: ${problem}` };
      at[key] = op.value;
    } else {
      const length = op.length!;
      if (!Array.isArray(at)) return { problem: `${where}: not an array to cut` };
      if (!Number.isSafeInteger(length) || length < 0 || length > at.length) return { problem: `${where}: cut to ${length}, expected 0 to ${at.length}` };
      at.length = length;
    }
  }
  return { value: root };
}

/** Why `key` cannot be followed (or, `last`, set) in `container`; undefined when it can. */
function keyProblem(container: object, key: DeltaKey, last: boolean): string | undefined {
  if (Array.isArray(container)) {
    // An array's element by index; the one just past the end only to set it (the array grows by one).
    const end = last ? container.length : container.length - 1;
    if (typeof key !== 'number' || !Number.isSafeInteger(key) || key < 0 || key > end) return `index ${JSON.stringify(key)}, expected 0 to ${end}`;
    return undefined;
  }
  if (typeof key !== 'string' || FORBIDDEN.has(key) || !Object.prototype.hasOwnProperty.call(container, key)) return `no field ${JSON.stringify(key)} to change`;
  return undefined;
}

/**
 * The extension's side for one webview: numbers each snapshot (its version) and says what to send,
 * the operations since the snapshot the webview holds, or the whole snapshot when it holds none we
 * know of. Until the webview answers, what it holds is unknown: a step that gets no answer, or an
 * answer of `resend`, is followed by a whole one.
 */
export class DeltaSender<S> {
  private held: { version: number; snapshot: S } | undefined;
  private version = 0;

  /** The next step to send: its version, and the base and operations when a delta can be sent. */
  next(snapshot: S): { version: number; delta?: { base: number; ops: DeltaOp[] } } {
    const base = this.held;
    this.held = undefined;
    const version = ++this.version;
    return base ? { version, delta: { base: base.version, ops: snapshotDelta(base.snapshot, snapshot) } } : { version };
  }

  /** The webview rendered this version (from a delta or whole): the next step is sent against it. */
  rendered(version: number, snapshot: S): void {
    this.held = { version, snapshot };
  }

  /** The webview holds no snapshot we know of (it reloaded): the next step goes whole. */
  forget(): void {
    this.held = undefined;
  }
}

/**
 * The webview's side: the snapshot it holds and its version. A whole snapshot replaces it; a delta
 * is applied to it when it is the delta's base, and the result checked by `check` (the snapshot's
 * schema); otherwise nothing is held any more and the answer says why, so that the extension sends
 * the step whole.
 */
export class DeltaHolder<S> {
  private held: { version: number; snapshot: S } | undefined;

  constructor(private readonly check: (value: unknown) => string | undefined) {}

  /** The version held, -1 for none. */
  get version(): number {
    return this.held?.version ?? -1;
  }

  whole(version: number, snapshot: S): void {
    this.held = { version, snapshot };
  }

  /** The snapshot `ops` make of version `base`, now held as `version`; or why it cannot be made. */
  apply(base: number, version: number, ops: readonly DeltaOp[]): { snapshot: S } | { resend: string; holds: number } {
    const held = this.held;
    this.held = undefined;
    if (!held || held.version !== base) return { holds: held?.version ?? -1, resend: `holds ${held ? `snapshot ${held.version}` : 'no snapshot'}, the delta is against ${base}` };
    const applied = applySnapshotDelta(held.snapshot, ops);
    if ('problem' in applied) return { holds: -1, resend: applied.problem };
    const problem = this.check(applied.value);
    if (problem !== undefined) return { holds: -1, resend: `the delta makes no snapshot: ${problem}` };
    const snapshot = applied.value as S;
    this.held = { version, snapshot };
    return { snapshot };
  }
}
