/**
 * The webview protocol's checks (src/view/protocol.ts, valibot schemas with the types inferred from
 * them): every message that arrives is refused with the first thing wrong and where it is. The
 * expected words are the protocol's: "<type>: field "<path>" <problem>", envelope problems by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFromWebviewMessage, checkPanelSnapshot, checkToWebviewMessage, MessageEndpoint, PROTOCOL_VERSION, type Envelope, type FromWebviewMessage, type ToWebviewMessage } from '../../src/view/protocol';
import { snapshotAt } from '../../src/view/snapshot';
import { Walkthrough } from '../../src/run/walkthrough';
import { findPreset } from '../../src/kernel/variants';
import { parseScenario } from '../../src/scenario/parse';
import { builtinScenarioText } from '../../src/scenario/builtins';

const init = { messageId: 1, body: { type: 'init', protocolVersion: PROTOCOL_VERSION, extensionVersion: '0.1.0', host: 'node', title: 't', text: 'x' } };

test('the envelope: an object with an integer messageId, an optional integer inReplyTo, a body, nothing else', () => {
  assert.equal(checkToWebviewMessage(init), undefined);
  assert.equal(checkToWebviewMessage({ ...init, inReplyTo: 3 }), undefined);
  assert.equal(checkToWebviewMessage('<img src=x onerror=alert(1)>'), 'message is not an object');
  assert.equal(checkToWebviewMessage(null), 'message is not an object');
  assert.equal(checkToWebviewMessage({ ...init, messageId: 1.5 }), 'messageId is not an integer');
  assert.equal(checkToWebviewMessage({ ...init, messageId: '1' }), 'messageId is not an integer');
  // 2^53 is past the integers a double holds exactly: two ids could be one.
  assert.equal(checkToWebviewMessage({ ...init, messageId: 2 ** 53 }), 'messageId is not an integer');
  assert.equal(checkToWebviewMessage({ ...init, inReplyTo: -0.5 }), 'inReplyTo is not an integer');
  assert.equal(checkToWebviewMessage({ ...init, extra: true }), 'unexpected envelope field "extra"');
  assert.equal(checkToWebviewMessage({ messageId: 1, body: [] }), 'body is array, expected an object');
  assert.equal(checkToWebviewMessage({ messageId: 1, body: { type: 'explode' } }), 'unknown message type "explode"');
  // A message of the other direction is unknown here.
  assert.equal(checkToWebviewMessage({ messageId: 1, body: { type: 'ready' } }), 'unknown message type "ready"');
  assert.equal(checkFromWebviewMessage({ messageId: 1, body: { type: 'init' } }), 'unknown message type "init"');
});

test('a message\'s fields: each missing, mistyped or extra one is named', () => {
  assert.equal(checkToWebviewMessage({ messageId: 900, body: { type: 'init', title: 'no text' } }), 'init: field "protocolVersion" is missing');
  assert.equal(checkToWebviewMessage({ ...init, body: { ...init.body, host: 'electron' } }), 'init: field "host" is "electron", expected one of node, web');
  assert.equal(checkToWebviewMessage({ ...init, body: { ...init.body, extra: 1 } }), 'init: unexpected field "extra"');
  assert.equal(checkToWebviewMessage({ ...init, body: { ...init.body, protocolVersion: Infinity } }), 'init: field "protocolVersion" is not a finite number');
  assert.equal(checkFromWebviewMessage({ messageId: 3, body: { type: 'shown', text: 7 } }), 'shown: field "text" is number, expected string');
  assert.equal(checkFromWebviewMessage({ messageId: 3, body: { type: 'action', action: 'format-disk' } }), 'action: field "action" is "format-disk", expected one of forward, back, restart, next-flush, violation, walk, variant, locate, export');
  assert.equal(checkFromWebviewMessage({ messageId: 3, body: { type: 'inspected', elements: { div: 'many' }, scriptsSinceLoad: 0, handlers: 0, text: '' } }), 'inspected: field "elements.div" is string, expected number');
  assert.equal(checkFromWebviewMessage({ messageId: 3, body: { type: 'walk', scenario: 'x', file: '', variant: 'v7', flushMode: 'fast' } }), 'walk: field "flushMode" is "fast", expected one of , bare-metal, range');
});

test('a snapshot message: the problem is named by its path from the body', () => {
  const w = new Walkthrough(parseScenario(builtinScenarioText('reused-partial')!, 'reused-partial'), { variant: findPreset('never-flush')! });
  const snapshot = JSON.parse(JSON.stringify(snapshotAt(w, w.violations[0].step)));
  const message = (s: unknown) => ({ messageId: 1, body: { type: 'snapshot', version: 1, scenarioLabel: 'x', snapshot: s, source: { kind: 'listing', label: 'model listing', location: '', note: '' }, snapshotMs: 1 } });
  assert.equal(checkToWebviewMessage(message(snapshot)), undefined);
  const deep = structuredClone(snapshot);
  deep.roots[0].table.runs[0].kind = 'hole';
  assert.equal(checkToWebviewMessage(message(deep)), 'snapshot: field "snapshot.roots[0].table.runs[0].kind" is "hole", expected one of absent, leaf, table');
  assert.equal(checkPanelSnapshot(deep), 'snapshot.roots[0].table.runs[0].kind is "hole", expected one of absent, leaf, table');
  const noStep = structuredClone(snapshot);
  delete noStep.step.anchor.fn;
  assert.equal(checkPanelSnapshot(noStep), 'snapshot.step.anchor.fn is missing');
});

test('the counters are the model\'s, each by name: one more or one less is refused', () => {
  const w = new Walkthrough(parseScenario(builtinScenarioText('reused-partial')!, 'reused-partial'), { variant: findPreset('v7')! });
  const s = JSON.parse(JSON.stringify(snapshotAt(w, 3)));
  assert.equal(checkPanelSnapshot(s), undefined);
  s.counters.madeUp = 1;
  assert.equal(checkPanelSnapshot(s), 'snapshot.counters: unexpected field "madeUp"');
  delete s.counters.madeUp;
  delete s.counters.spteWrites;
  assert.equal(checkPanelSnapshot(s), 'snapshot.counters.spteWrites is missing');
});

/** Every path to a value inside `value` ("snapshot.roots[0].table.sp"), objects and arrays included. */
function pathsOf(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return [path, ...value.flatMap((x, i) => pathsOf(x, `${path}[${i}]`))];
  if (value !== null && typeof value === 'object') return [path, ...Object.entries(value).flatMap(([k, x]) => pathsOf(x, path ? `${path}.${k}` : k))];
  return [path];
}

/** `value` with the value at `path` replaced by one of another JSON type. */
function broken(value: unknown, path: string): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = path.match(/[^.[\]]+/g)!;
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  // A string becomes a number, anything else a string: each field's type is one JSON type (or null).
  at[last] = typeof at[last] === 'string' ? 7 : 'x';
  return copy;
}

test('each field of a snapshot message, at any depth, set to another type is refused with its path', () => {
  const w = new Walkthrough(parseScenario(builtinScenarioText('reused-partial')!, 'reused-partial'), { variant: findPreset('never-flush')! });
  // The step of the violation: a step with writes, a flush, violations, hazards and nested tables.
  const body = { type: 'snapshot', version: 1, scenarioLabel: 'x', snapshot: JSON.parse(JSON.stringify(snapshotAt(w, w.violations[0].step))), source: { kind: 'listing', label: 'l', location: '', note: '' }, snapshotMs: 1 };
  assert.equal(checkToWebviewMessage({ messageId: 1, body }), undefined);
  const paths = pathsOf(body, '').filter((p) => p && p !== 'type');
  assert.ok(paths.length > 100, `only ${paths.length} paths: the snapshot is not the rich one expected`);
  for (const p of paths) {
    const problem = checkToWebviewMessage({ messageId: 1, body: broken(body, p) });
    // The problem names the field itself ("is number, expected string"), or, for a string field
    // whose value is one of fixed words, the same path with "is 7, expected one of ...".
    assert.match(problem ?? 'accepted', new RegExp(`^snapshot: field "${p.replace(/[.[\]]/g, '\\$&')}" is `), p);
  }
});

test('the guest tables and the shadow pages that died: each of their fields, at any depth, set to another type is refused with its path', () => {
  const w = new Walkthrough(parseScenario(builtinScenarioText('reused-partial')!, 'reused-partial'), { variant: findPreset('v7')! });
  const snapshot = JSON.parse(JSON.stringify(snapshotAt(w, w.length - 1)));
  // reused-partial's two roots have guest tables; no SP dies in today's model, so a freed SP with a
  // dangling rmap entry, and a shadow table linked while freed, are written here as the view makes them.
  assert.ok(snapshot.guestTables.length >= 2 && snapshot.guestTables[0].shadowedBy.length >= 1, 'guest tables with their shadows');
  snapshot.freedSps = [{ sp: 3, title: 'sp#3 direct, level 1, gfn 0x200000', life: 'freed', at: 7, rmap: [{ gfn: 0x200005, level: 1, slot: 0, text: 'rmap of gfn 0x200005 (slot 0, 4K) -> sp#3[5]' }] }];
  snapshot.roots[0].table.life = 'freed';
  const body = { type: 'snapshot', version: 1, scenarioLabel: 'x', snapshot, source: { kind: 'listing', label: 'l', location: '', note: '' }, snapshotMs: 1 };
  assert.equal(checkToWebviewMessage({ messageId: 1, body }), undefined);
  const paths = pathsOf(body, '').filter((p) => /^snapshot\.(guestTables|guestTablesOmitted|freedSps|roots\[0\]\.table\.life)/.test(p));
  // guestTables (array, each table's 8 fields and their runs and shadows), the count, freedSps' fields and the table's life.
  assert.ok(paths.length > 40, `only ${paths.length} paths`);
  for (const p of paths) {
    assert.match(checkToWebviewMessage({ messageId: 1, body: broken(body, p) }) ?? 'accepted', new RegExp(`^snapshot: field "${p.replace(/[.[\]]/g, '\\$&')}" is `), p);
  }
  // A life the view never says is named with the words it may say.
  const zombie = structuredClone(snapshot);
  zombie.freedSps[0].life = 'zombie';
  assert.equal(checkPanelSnapshot(zombie), 'snapshot.freedSps[0].life is "zombie", expected one of invalid, freed');
  const missing = structuredClone(snapshot);
  delete missing.guestTables[0].shadowedBy;
  assert.equal(checkPanelSnapshot(missing), 'snapshot.guestTables[0].shadowedBy is missing');
});

test('each field of every message from a webview set to another type is refused with its path', () => {
  const valid = [
    { type: 'shown', text: 't' },
    { type: 'rejected', reason: 'r' },
    { type: 'rendered', index: 0, renderMs: 1, text: 't', checkMs: 0.1, receivedAt: 1.7e12, repliedAt: 1.7e12 },
    { type: 'action', action: 'forward' },
    { type: 'goto', step: -1 },
    { type: 'pictureGoto', step: 26, mark: 'skipped-flush' },
    { type: 'reportShown', kind: 'review', text: 't', badge: '' },
    { type: 'openSource', file: 'f', line: 1 },
    { type: 'walk', scenario: 's', file: '', variant: 'v7', flushMode: '' },
    { type: 'openCounterexample', file: 'f' },
    { type: 'inspected', elements: { div: 2 }, scriptsSinceLoad: 0, handlers: 0, text: 't' },
    { type: 'resend', holds: -1, reason: 'r' },
  ];
  for (const body of valid) {
    assert.equal(checkFromWebviewMessage({ messageId: 1, body }), undefined, body.type);
    for (const p of pathsOf(body, '').filter((x) => x && x !== 'type')) {
      assert.match(checkFromWebviewMessage({ messageId: 1, body: broken(body, p) }) ?? 'accepted', new RegExp(`^${body.type}: field "${p}" is `), `${body.type}.${p}`);
    }
  }
});

test('a snapshot whose table is among its own children is refused with a reason, not an exception', () => {
  const w = new Walkthrough(parseScenario(builtinScenarioText('reused-partial')!, 'reused-partial'), { variant: findPreset('v7')! });
  const s = JSON.parse(JSON.stringify(snapshotAt(w, 3)));
  const table = s.roots[0].table;
  // A structured clone keeps such a cycle: the recursive table schema would follow it without end.
  table.runs[0].children = [table];
  const body = { type: 'snapshot', version: 1, scenarioLabel: 'x', snapshot: s, source: { kind: 'listing', label: 'l', location: '', note: '' }, snapshotMs: 1 };
  assert.match(checkToWebviewMessage({ messageId: 1, body }) ?? 'accepted', /^message could not be checked \(RangeError\): expected a value without cycles/);
  assert.match(checkPanelSnapshot(s) ?? 'accepted', /^snapshot could not be checked \(RangeError\)/);
});

test('pictureGoto: a step index and one of the picture\'s marks, or it is refused saying which', () => {
  const ok = (body: unknown) => checkFromWebviewMessage({ messageId: 1, body });
  assert.equal(ok({ type: 'pictureGoto', step: 25, mark: 'stale-since' }), undefined);
  assert.equal(ok({ type: 'pictureGoto', step: 26.5, mark: 'skipped-flush' }), 'pictureGoto: field "step" is 26.5, expected a step index (an integer from -1)');
  assert.equal(ok({ type: 'pictureGoto', step: -2, mark: 'flush' }), 'pictureGoto: field "step" is -2, expected a step index (an integer from -1)');
  assert.equal(ok({ type: 'pictureGoto', step: 3, mark: 'splitGetSp' }), 'pictureGoto: field "mark" is "splitGetSp", expected one of stale-since, skipped-flush, deadline, violation, flush, lock-release');
  assert.equal(ok({ type: 'pictureGoto', step: 3 }), 'pictureGoto: field "mark" is missing');
  assert.equal(ok({ type: 'pictureGoto', step: 3, mark: 'flush', html: '<b>' }), 'pictureGoto: unexpected field "html"');
});

test('the picture in a snapshot is checked field by field', () => {
  const w = new Walkthrough(parseScenario(builtinScenarioText('reused-partial')!, 'reused-partial'), { variant: findPreset('never-flush')! });
  const s = JSON.parse(JSON.stringify(snapshotAt(w, 43)));
  assert.equal(checkPanelSnapshot(s), undefined);
  const wrongKind = structuredClone(s);
  wrongKind.picture.roots[0].segments[0].kind = 'splitGetSp';
  assert.equal(checkPanelSnapshot(wrongKind), 'snapshot.picture.roots[0].segments[0].kind is "splitGetSp", expected one of huge, split, absent');
  const wrongBand = structuredClone(s);
  wrongBand.picture.bands[0].skippedFlush = '26';
  assert.equal(checkPanelSnapshot(wrongBand), 'snapshot.picture.bands[0].skippedFlush is string, expected number');
  const none = structuredClone(s);
  none.picture = null;
  assert.equal(checkPanelSnapshot(none), undefined, 'a walk without a split has no picture');
  delete none.picture;
  assert.equal(checkPanelSnapshot(none), 'snapshot.picture is missing');
});

test('a request may take one of several replies (a snapshotDelta: rendered or resend); any other reply is dropped naming those expected', async () => {
  const posted: Envelope<FromWebviewMessage>[] = [];
  const dropped: string[] = [];
  const ext = new MessageEndpoint<ToWebviewMessage, FromWebviewMessage>({ post: () => {}, check: checkFromWebviewMessage, handle: () => undefined, dropped: (reason) => dropped.push(reason) });
  const reply = ext.request({ type: 'ping' }, ['pong', 'resend']);
  posted.push({ messageId: 1, inReplyTo: 1, body: { type: 'rendered', index: 0, renderMs: 1, text: 't', checkMs: 0, receivedAt: 0, repliedAt: 0 } });
  posted.push({ messageId: 2, inReplyTo: 1, body: { type: 'resend', holds: -1, reason: 'r' } });
  for (const p of posted) ext.receive(p);
  assert.deepEqual(dropped, ['reply to request 1 is "rendered", expected "pong" or "resend"']);
  assert.deepEqual(await reply, { type: 'resend', holds: -1, reason: 'r' });
});
