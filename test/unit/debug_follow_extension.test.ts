// The walk panel following a debug session, the glue against the vscode stub: the inline adapter
// (extension/debug.ts) tells the walk of each stop with the core's point (src/debug/follow.ts) and
// the launched scenario's origin, and of the session's end; the walk controller (extension/walk.ts)
// then shows that step of that run, and its stepping commands send the session the Debug
// toolbar's requests (through VS Code's session, customRequest) until the session ends. The
// mappings themselves are the core's (test/unit/debug_follow.test.ts, test/unit/debug_drive.test.ts).
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

/**
 * The inline adapter the controller makes for a session, with its messages out collected. VS Code's
 * side of the session is a stand-in whose customRequest, as the workbench's, sends the request to
 * the adapter and resolves with its response's body (`custom` lists what it was asked).
 */
function adapter(follower: import('../../extension/debug').SessionFollower) {
  const controller = new debug.DebugController({ log, guard: rethrow, walk: () => undefined, follower }, commandTable().table);
  const answers = new Map<number, (m: Message) => void>();
  const custom: Array<{ command: string; args: unknown }> = [];
  let seq = 1;
  const send = (command: string, args?: unknown) => impl.handleMessage({ seq: seq++, type: 'request', command, arguments: args });
  const vscodeSession = {
    workspaceFolder: undefined,
    customRequest: (command: string, args?: unknown) => new Promise((resolve, reject) => {
      custom.push({ command, args });
      answers.set(seq, (m) => (m.success ? resolve(m.body) : reject(new Error(m.message))));
      send(command, args);
    }),
  };
  const descriptor = controller.adapter(vscodeSession as never) as unknown as { implementation: { handleMessage(m: unknown): void; onDidSendMessage(l: (m: Message) => void): void; dispose(): void } };
  const impl = descriptor.implementation;
  const out: Message[] = [];
  const waiting: Array<{ event: string; resolve: (m: Message) => void }> = [];
  impl.onDidSendMessage((m: Message) => {
    out.push(m);
    if (m.type === 'response') answers.get(m.request_seq)?.(m);
    const i = waiting.findIndex((w) => m.type === 'event' && m.event === w.event);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(m);
  });
  return {
    impl,
    out,
    custom,
    send,
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

test('the walk follows the stops, its stepping commands drive the session while it runs (what cannot is refused, saying why), and it steps on its own again after the end', async () => {
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

  // Forward is the session's Step Over, sent through VS Code's session to the thread that stopped;
  // the stop it makes reaches the walk by the follow path. Stopped before get-sp (step 21, in
  // shadow_mmu_split_huge_page, ten frames under the clear-dirty-log ioctl), Step Over stops
  // before the split's next statement at that depth, step 22 (entry 0 of the new child set):
  // the walk shows step 21, get-sp done.
  const stopThread = (a.out.filter((m: Message) => m.type === 'event' && m.event === 'stopped').at(-1) as Message).body.threadId;
  const overStop = a.next('stopped');
  assert.equal(await commands.run(COMMANDS.forward), 21, 'the command resolves with the walk at the stop');
  assert.equal((await overStop).body.reason, 'step');
  assert.deepEqual(a.custom.at(-1), { command: 'next', args: { threadId: stopThread } });
  assert.equal(walk.current?.index, 21);
  // Back is Step Back: the split's previous step at its depth is get-sp, step 21: the walk shows step 20.
  assert.equal(await commands.run(COMMANDS.back), 20);
  assert.equal(a.custom.at(-1)!.command, 'stepBack');

  // What no request does is refused, saying why; the walk stays at the session's step.
  stub.shown.length = 0;
  const sent = a.custom.length;
  assert.equal(await commands.run(COMMANDS.nextFlush), 20);
  assert.equal(await commands.run(COMMANDS.walk, { scenario: 'never-flush' }), 20);
  assert.equal(walk.current?.index, 20);
  assert.equal(a.custom.length, sent, 'nothing was sent to the session');
  assert.equal(stub.shown.length, 2);
  assert.match(stub.shown[0][1], /^The debugger has no request that runs to the next flush/);
  assert.match(stub.shown[1][1], /^Another scenario or variant is another run than the debug session's/);

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
