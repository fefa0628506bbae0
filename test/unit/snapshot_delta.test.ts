// A step sent as what changed since the webview's last snapshot (src/view/snapshot_delta.ts): the
// delta applied to the old snapshot is the new one, at every step of every built-in scenario (512
// entries a table), forward and back, after the JSON trip postMessage makes; the old one is left as
// it was; a delta that would change what the snapshot does not have is refused; and a webview that
// holds another version (or none) answers so, and gets the step whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_SCENARIOS, builtinScenario } from '../../src/scenario/builtins';
import { WalkSession } from '../../src/session/session';
import { checkPanelSnapshot, checkToWebviewMessage } from '../../src/view/protocol';
import type { PanelSnapshot } from '../../src/view/snapshot';
import { applySnapshotDelta, DeltaHolder, DeltaSender, snapshotDelta, type DeltaOp } from '../../src/view/snapshot_delta';
import { findPreset, parseVariant } from '../../src/kernel/variants';

/** What postMessage carries: JSON (VS Code serialises a webview message as JSON). */
const wire = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** common-1g is 2615 steps long; its split (the first 400, as the render bench takes) is where the tables change. */
const LIMIT = 400;

for (const name of BUILTIN_SCENARIOS) {
  test(`${name} (512 entries): at every step, forward then back, the delta applied to the last snapshot is the new one`, () => {
    const scenario = builtinScenario(name)!;
    assert.equal(scenario.entries, 512, 'the built-in scenarios are at 512 entries a table');
    const s = new WalkSession(scenario, { kind: 'builtin', id: name, label: name }, { variant: parseVariant(scenario.variant ?? 'v7') });
    const last = Math.min(s.total, LIMIT) - 1;
    const order = [...Array.from({ length: last + 2 }, (_, i) => i - 1), ...Array.from({ length: last + 1 }, (_, i) => last - 1 - i)];
    let prev: PanelSnapshot | undefined;
    let opsSent = 0;
    let wholeBytes = 0;
    for (const i of order) {
      s.goTo(i);
      const next = wire(s.snapshot(() => 0).snapshot);
      if (prev) {
        const before = wire(prev);
        const ops = wire(snapshotDelta(prev, next));
        const made = applySnapshotDelta(prev, ops);
        assert.ok('value' in made, `step ${i}: ${'problem' in made ? made.problem : ''}`);
        assert.deepEqual(made.value, next, `step ${i}: the delta applied is not the snapshot`);
        assert.equal(checkPanelSnapshot(made.value), undefined, `step ${i}`);
        assert.deepEqual(prev, before, `step ${i}: applying the delta changed the old snapshot`);
        opsSent += JSON.stringify(ops).length;
        wholeBytes += JSON.stringify(next).length;
      }
      prev = next;
    }
    // What the delta is for: less to carry than the whole snapshot at every step.
    assert.ok(opsSent < wholeBytes / 2, `${name}: the deltas (${opsSent} bytes) are not under half the whole snapshots (${wholeBytes} bytes)`);
  });
}

test('a snapshotDelta message is checked like any other: its base, version and operations', () => {
  const body = { type: 'snapshotDelta', base: 1, version: 2, ops: [{ path: ['index'], value: 3 }, { path: ['flushLog'], length: 0 }], scenarioLabel: 'x', source: { kind: 'listing', label: 'l', location: '', note: '' }, snapshotMs: 1 };
  assert.equal(checkToWebviewMessage({ messageId: 1, body }), undefined);
  assert.match(checkToWebviewMessage({ messageId: 1, body: { ...body, base: -1 } }) ?? '', /^snapshotDelta: field "base" is negative/);
  assert.match(checkToWebviewMessage({ messageId: 1, body: { ...body, version: 2.5 } }) ?? '', /^snapshotDelta: field "version" is not an integer/);
  assert.match(checkToWebviewMessage({ messageId: 1, body: { ...body, ops: [{ path: [true] }] } }) ?? '', /^snapshotDelta: field "ops\[0\]\.path\[0\]" is not a field name or an index/);
  assert.match(checkToWebviewMessage({ messageId: 1, body: { ...body, ops: [{ path: [], extra: 1 }] } }) ?? '', /^snapshotDelta: unexpected field "ops\[0\]\.extra"/);
  const unversioned: Record<string, unknown> = { ...body };
  delete unversioned.version;
  assert.match(checkToWebviewMessage({ messageId: 1, body: unversioned }) ?? '', /^snapshotDelta: field "version" is missing/);
});

test('a delta can only change what the snapshot has: a new field, a hole past the end, a path through a value, __proto__ are refused, and the base is kept', () => {
  const base = { a: 1, list: [1, 2], o: { b: 'x' } };
  const refused = (ops: DeltaOp[], why: RegExp) => {
    const before = wire(base);
    const made = applySnapshotDelta(base, ops);
    assert.ok('problem' in made, JSON.stringify(ops));
    assert.match(made.problem, why);
    assert.deepEqual(base, before, 'the base changed');
  };
  refused([{ path: ['c'], value: 1 }], /no field "c" to change/);
  refused([{ path: ['__proto__'], value: { polluted: true } }], /no field "__proto__"/);
  refused([{ path: ['o', 'constructor', 'prototype'], value: 1 }], /no field "constructor"/);
  refused([{ path: ['list', 3], value: 4 }], /index 3, expected 0 to 2/);
  refused([{ path: ['list', '0'], value: 4 }], /index "0"/);
  refused([{ path: ['a', 'b'], value: 4 }], /a is not an object or an array/);
  refused([{ path: ['list'], length: 3 }], /cut to 3, expected 0 to 2/);
  refused([{ path: ['o'], length: 0 }], /not an array to cut/);
  refused([{ path: ['a'] }], /either a value or a length/);
  // A good operation before a bad one: still nothing of it in the base.
  refused([{ path: ['o', 'b'], value: 'y' }, { path: ['nope'], value: 1 }], /operation 1 \(nope\)/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  // What may be done: change a field, append one element, cut, replace the whole.
  const made = applySnapshotDelta(base, [{ path: ['o', 'b'], value: 'y' }, { path: ['list', 2], value: 3 }, { path: ['list'], length: 1 }]);
  assert.deepEqual('value' in made && made.value, { a: 1, list: [1], o: { b: 'y' } });
  assert.equal('value' in made && (made.value as typeof base).o !== base.o, true, 'a changed object is a copy');
});

test('objects whose fields differ are replaced whole; arrays grow and shrink; undefined fields count as absent (JSON drops them)', () => {
  const a = { step: { flush: { issued: true }, n: 1 }, rows: [1, 2, 3], u: undefined as number | undefined };
  const b = { step: { n: 2 }, rows: [1, 5], u: undefined };
  const ops = snapshotDelta(a, b);
  assert.deepEqual(ops, [{ path: ['step'], value: { n: 2 } }, { path: ['rows', 1], value: 5 }, { path: ['rows'], length: 2 }]);
  const made = applySnapshotDelta(wire(a), wire(ops));
  assert.deepEqual('value' in made && made.value, wire(b));
  assert.deepEqual(snapshotDelta(b, a), [{ path: ['step'], value: { flush: { issued: true }, n: 1 } }, { path: ['rows', 1], value: 2 }, { path: ['rows', 2], value: 3 }]);
});

test('versions: a webview that holds another version, or none (it reloaded), answers resend, and the step then goes whole', () => {
  const scenario = builtinScenario('reused-partial')!;
  const s = new WalkSession(scenario, { kind: 'builtin', id: 'reused-partial', label: 'reused-partial' }, { variant: findPreset('never-flush')! });
  const at = (i: number) => {
    s.goTo(i);
    return wire(s.snapshot(() => 0).snapshot);
  };
  const sender = new DeltaSender<PanelSnapshot>();
  let holder = new DeltaHolder<PanelSnapshot>(checkPanelSnapshot);
  // One step through the pair, as extension/panel.ts (sendStep) and media/main.ts (showDelta) do it.
  const step = (snapshot: PanelSnapshot): { sent: 'full' | 'delta' | 'resent'; shown: PanelSnapshot } => {
    const next = sender.next(snapshot);
    if (next.delta) {
      const made = holder.apply(next.delta.base, next.version, wire(next.delta.ops));
      if ('snapshot' in made) {
        sender.rendered(next.version, snapshot);
        return { sent: 'delta', shown: made.snapshot };
      }
      holder.whole(next.version, wire(snapshot));
      sender.rendered(next.version, snapshot);
      return { sent: 'resent', shown: snapshot };
    }
    holder.whole(next.version, wire(snapshot));
    sender.rendered(next.version, snapshot);
    return { sent: 'full', shown: snapshot };
  };
  assert.equal(step(at(0)).sent, 'full', 'the first step goes whole');
  const second = step(at(1));
  assert.equal(second.sent, 'delta');
  assert.deepEqual(second.shown, at(1));
  // The webview reloads (a new page holds nothing) while the extension did not hear of it.
  holder = new DeltaHolder<PanelSnapshot>(checkPanelSnapshot);
  const afterReload = holder.apply(2, 3, []);
  assert.deepEqual(afterReload, { holds: -1, resend: 'holds no snapshot, the delta is against 2' });
  assert.equal(step(at(2)).sent, 'resent', 'a webview that holds nothing gets the step whole');
  assert.equal(step(at(3)).sent, 'delta', 'and the next step as a delta again');
  // A step whose answer never came: the sender does not know what the webview holds, and sends whole.
  sender.next(at(4));
  assert.equal(sender.next(at(5)).delta, undefined, 'after a step without an answer, the next goes whole');
  // The webview holds version 7 and is sent a delta against 6: it refuses, and holds nothing after.
  holder.whole(7, at(5));
  assert.deepEqual(holder.apply(6, 8, []), { holds: 7, resend: 'holds snapshot 7, the delta is against 6' });
  assert.equal(holder.version, -1);
  // A delta whose result is no snapshot (a field of the wrong type): refused with the schema's words.
  holder.whole(9, at(5));
  const bad = holder.apply(9, 10, [{ path: ['index'], value: 'five' }]);
  assert.ok('resend' in bad);
  assert.match(bad.resend, /^the delta makes no snapshot: snapshot\.index is string, expected number/);
  assert.equal(holder.version, -1, 'after a bad delta the webview holds nothing');
});
