// The walk's rendering queue (extension/render_queue.ts): one rendering at a time, and refreshes of
// every view asked for while one waits are that one, so that stepping fast renders the latest step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RenderQueue } from '../../extension/render_queue';

/** A rendering that finishes when the test says so, recording when it started. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { render: async () => (log.push(`start ${name}`), await done, log.push(`end ${name}`), [name]), open };
}

test('a refresh asked for while one renders waits for it; two asked for while one waits are one', async () => {
  const log: string[] = [];
  const q = new RenderQueue<string[]>([], (e) => assert.fail(e.message));
  const a = gate(log, 'a'), b = gate(log, 'b'), c = gate(log, 'c');
  const pa = q.all(a.render);
  await new Promise(setImmediate); // a has started rendering: no longer waiting, so b cannot join it
  assert.deepEqual(log, ['start a']);
  const pb = q.all(b.render);
  // c joins b, which has not started: c's rendering never runs, and c resolves with b's result.
  const pc = q.all(c.render);
  assert.equal(pb, pc);
  a.open();
  assert.deepEqual(await pa, ['a']);
  b.open();
  assert.deepEqual(await pc, ['b']);
  assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b']);
});

test('one view\'s rendering is never joined, and runs after the one in progress', async () => {
  const log: string[] = [];
  const q = new RenderQueue<string[]>([], (e) => assert.fail(e.message));
  const a = gate(log, 'a'), b = gate(log, 'b'), c = gate(log, 'c');
  void q.all(a.render);
  const pb = q.one(b.render);
  const pc = q.one(c.render);
  assert.notEqual(pb, pc);
  a.open(); b.open(); c.open();
  assert.deepEqual(await pc, ['c']);
  assert.deepEqual(await q.settled, ['c']);
  assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
});

test('a failed rendering is reported, and the next one still runs', async () => {
  const failures: string[] = [];
  const q = new RenderQueue<string[]>([], (e) => failures.push(e.message));
  const failed = q.all(() => Promise.reject(new Error('boom')));
  await assert.rejects(failed, /boom/);
  assert.deepEqual(await q.all(async () => ['after']), ['after']);
  assert.deepEqual(failures, ['boom']);
});
