// The walk panel following a debug session, the glue against the vscode stub: the inline adapter
// (extension/debug.ts) tells the walk of each stop with the core's point (src/debug/follow.ts) and
// the launched scenario's origin, and of the session's end; the walk controller (extension/walk.ts)
// then shows that step of that run and refuses its own stepping until the session ends. The
// mapping itself is the core's (test/unit/debug_follow.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireVscodeAs, vscodeStub } from '../support/vscode-stub';
import type { FollowPoint } from '../../src/debug/follow';
import type { ScenarioOrigin } from '../../src/session/session';

const stub = vscodeStub();
const restore = requireVscodeAs(stub);
/* eslint-disable @typescript-eslint/no-require-imports -- after the stub is in place */
const debug = require('../../extension/debug') as typeof import('../../extension/debug');
const walkModule = require('../../extension/walk') as typeof import('../../extension/walk');
const { COMMANDS } = require('../../extension/commands') as typeof import('../../extension/commands');
/* eslint-enable @typescript-eslint/no-require-imports */
restore();

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DAP messages, read loosely as a client would
type Message = any;

function commandTable() {
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  return { table: { register: (id: string, h: (...args: unknown[]) => unknown) => void handlers.set(id, h) } as never, run: (id: string, ...args: unknown[]) => Promise.resolve(handlers.get(id)!(...args)) };
}

const rethrow = <A extends unknown[], R>(fn: (...args: A) => R | Promise<R>) => async (...args: A) => fn(...args);
const log = { info() {}, warn() {}, error(m: string) { console.error(m); }, debug() {}, trace() {} } as never;

/** The inline adapter the controller makes for a session, with its messages out collected. */
function adapter(follower: import('../../extension/debug').SessionFollower) {
  const controller = new debug.DebugController({ log, guard: rethrow, walk: () => undefined, follower }, commandTable().table);
  const descriptor = controller.adapter({ workspaceFolder: undefined } as never) as unknown as { implementation: { handleMessage(m: unknown): void; onDidSendMessage(l: (m: Message) => void): void; dispose(): void } };
  const impl = descriptor.implementation;
  const out: Message[] = [];
  const waiting: Array<{ event: string; resolve: (m: Message) => void }> = [];
  impl.onDidSendMessage((m: Message) => {
    out.push(m);
    const i = waiting.findIndex((w) => m.type === 'event' && m.event === w.event);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(m);
  });
  let seq = 1;
  return {
    impl,
    out,
    send: (command: string, args?: unknown) => impl.handleMessage({ seq: seq++, type: 'request', command, arguments: args }),
    next: (event: string) => new Promise<Message>((resolve) => waiting.push({ event, resolve })),
  };
}

test('each stop of the session reaches the walk as the core\'s point with the launched scenario\'s origin; the end, once the session terminates', async () => {
  const heard: Array<{ driver: object; point?: FollowPoint; origin?: ScenarioOrigin; ended?: true }> = [];
  const a = adapter({ stopped: (driver, point, origin) => heard.push({ driver, point, origin }), ended: (driver) => heard.push({ driver, ended: true }) });
  a.send('initialize', { adapterID: 'kvm-mmu-lab' });
  a.send('launch', { type: 'kvm-mmu-lab', request: 'launch', name: 't', scenario: 'reused-partial', variant: 'never-flush' });
  // The stub's workspace has no kernel tree: a function breakpoint, not a line one. The split's
  // first step is get-sp, step 21 (steps 19 and 20 top up the caches in its caller).
  a.send('setFunctionBreakpoints', { breakpoints: [{ name: 'shadow_mmu_split_huge_page' }] });
  a.send('setExceptionBreakpoints', { filters: [] });
  const entry = a.next('stopped');
  a.send('configurationDone');
  await entry;
  assert.equal(heard.length, 1);
  assert.equal(heard[0].driver, a.impl, 'the adapter is the session\'s token');
  assert.deepEqual(heard[0].origin, { kind: 'builtin', id: 'reused-partial', label: 'reused-partial (built-in)' });
  assert.equal(heard[0].point!.index, -1, 'the entry: the walk before its first step');
  assert.equal(heard[0].point!.options.variant.name, 'never-flush');

  const hit = a.next('stopped');
  a.send('continue', { threadId: 1 });
  assert.equal((await hit).body.reason, 'function breakpoint');
  assert.equal(heard[1].point!.index, 20);
  assert.equal(heard[1].point!.next, 21);

  const back = a.next('stopped');
  a.send('stepBack', { threadId: 1 });
  await back;
  assert.equal(heard[2].point!.index, 19);

  const done = a.next('terminated');
  a.send('disconnect', {});
  await done;
  assert.deepEqual(heard.slice(3).map((h) => h.ended), [true]);
  assert.equal(heard[3].driver, a.impl);
});

test('the walk follows the stops, refuses its own stepping while the session drives it, and steps again after its end', async () => {
  const commands = commandTable();
  const context = stub.context('/ext', { version: '0.0.0' });
  const source = { prepare: () => Promise.resolve({ info: { kind: 'listing', label: 'l', location: '', note: '' }, follow: () => Promise.resolve() }), stop() {}, reset() {} };
  const status = { show() {} };
  const walk = new walkModule.WalkController({ context: context as never, host: 'node', log, source: source as never, status: status as never, jobs: {} as never, received() {}, guard: rethrow }, commands.table);
  // The views are the panel's (its webview needs a workbench: the integration test has it); here
  // they record that the panel was opened, and no view is open to render to.
  let opened = 0;
  Object.assign(walk.views, { openPanel: () => void opened++, surfaces: () => [] });
  const a = adapter(walk);
  a.send('initialize', {});
  a.send('launch', { scenario: 'reused-partial', variant: 'never-flush' });
  a.send('setFunctionBreakpoints', { breakpoints: [{ name: 'shadow_mmu_split_huge_page' }] });
  const entry = a.next('stopped');
  a.send('configurationDone');
  await entry;
  const hit = a.next('stopped');
  a.send('continue', { threadId: 1 });
  await hit;
  await walk.settled();
  assert.equal(walk.current?.scenario.name, 'reused-partial');
  assert.equal(walk.current?.options.variant.name, 'never-flush');
  assert.equal(walk.current?.index, 20, 'the panel shows the machine of the Variables view: after step 20');
  assert.ok(opened >= 1, 'the panel is opened (or revealed) at a stop');
  assert.equal(walk.source.kind, 'debugger');
  assert.match(walk.source.note, /^Stopped before step 21, the statement the debugger shows; this panel shows the machine after step 20/);

  // The walk's own stepping is refused, saying how to step; the walk stays at the session's step.
  stub.shown.length = 0;
  assert.equal(await commands.run(COMMANDS.forward), 20);
  assert.equal(await commands.run(COMMANDS.restart), 20);
  assert.equal(walk.current?.index, 20);
  assert.equal(stub.shown.length, 2);
  assert.match(stub.shown[0][1], /^A debug session drives this walk: step it with the Debug toolbar/);

  // The session's step back is followed on the same walk (not a new one).
  const before = walk.current;
  const back = a.next('stopped');
  a.send('stepBack', { threadId: 1 });
  await back;
  await walk.settled();
  assert.equal(walk.current, before, 'the same run: the walk is reused');
  assert.equal(walk.current?.index, 19);

  // The session ends: the walk's controls step it again, from where the session left it.
  const done = a.next('terminated');
  a.send('disconnect', {});
  await done;
  await walk.settled();
  stub.shown.length = 0;
  assert.equal(await commands.run(COMMANDS.forward), 20);
  assert.equal(stub.shown.length, 0);
  assert.notEqual(walk.source.kind, 'debugger');
});
