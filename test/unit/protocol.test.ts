/**
 * The webview protocol's checks (src/view/protocol.ts, valibot schemas with the types inferred from
 * them): every message that arrives is refused with the first thing wrong and where it is. The
 * expected words are the protocol's: "<type>: field "<path>" <problem>", envelope problems by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFromWebviewMessage, checkPanelSnapshot, checkToWebviewMessage, PROTOCOL_VERSION } from '../../src/view/protocol';
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
  const message = (s: unknown) => ({ messageId: 1, body: { type: 'snapshot', scenarioLabel: 'x', snapshot: s, source: { kind: 'listing', label: 'model listing', location: '', note: '' }, snapshotMs: 1 } });
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
