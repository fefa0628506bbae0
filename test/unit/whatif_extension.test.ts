// Choose the Next Event… and Save Branch as Scenario… (extension/whatif.ts) against the vscode stub:
// the glue hands the core the walk's scenario and step, walks the branch one step on, refuses a
// choice the locks forbid with the core's reason, and saves the branch's text. The choices
// themselves are the core's (test/unit/whatif.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireVscodeAs, vscodeStub } from '../support/vscode-stub';
import { builtinScenario } from '../../src/scenario/builtins';
import { parseScenario } from '../../src/scenario/parse';
import { parseVariant } from '../../src/kernel/variants';
import { WalkSession, type ScenarioOrigin } from '../../src/session/session';
import type { Scenario } from '../../src/scenario/types';

const stub = vscodeStub();
const restore = requireVscodeAs(stub);
/* eslint-disable @typescript-eslint/no-require-imports -- after the stub is in place */
const whatif = require('../../extension/whatif') as typeof import('../../extension/whatif');
const { COMMANDS } = require('../../extension/commands') as typeof import('../../extension/commands');
/* eslint-enable @typescript-eslint/no-require-imports */
restore();

const window = stub.module.window as Record<string, unknown>;
const fs = (stub.module.workspace as { fs: Record<string, unknown> }).fs;
const written = new Map<string, string>();
fs.writeFile = (uri: { toString(): string }, bytes: Uint8Array) => {
  written.set(uri.toString(), new TextDecoder().decode(bytes));
  return Promise.resolve();
};

/** A walk controller with the one walk the commands read, recording the branches it is asked to walk. */
function fakeWalk(session: WalkSession) {
  const walked: Array<{ scenario: Scenario; origin: ScenarioOrigin; index: number }> = [];
  const walk = {
    current: session as WalkSession | undefined,
    refuseWhileDebugging: () => false,
    branch(scenario: Scenario, origin: ScenarioOrigin, index: number) {
      walked.push({ scenario, origin, index });
      const s = new WalkSession(scenario, origin, session.options);
      s.goTo(index);
      walk.current = s;
      return Promise.resolve(s);
    },
  };
  return { walk, walked };
}

function commandTable() {
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  return { table: { register: (id: string, h: (...args: unknown[]) => unknown) => void handlers.set(id, h) } as never, run: (id: string, ...args: unknown[]) => Promise.resolve(handlers.get(id)!(...args)) };
}

const rethrow = <A extends unknown[], R>(fn: (...args: A) => R | Promise<R>) => async (...args: A) => fn(...args);

test('Choose the Next Event… walks the branch from the step after the cut; Save Branch writes a file that reads back', async () => {
  const session = new WalkSession(builtinScenario('reused-partial')!, { kind: 'builtin', id: 'reused-partial', label: 'reused-partial (built-in)' }, { variant: parseVariant('never-flush') });
  session.goTo(19);
  const { walk, walked } = fakeWalk(session);
  const commands = commandTable();
  new whatif.WhatIfController(walk as never, commands.table, rethrow);
  // The quick pick: the item of the invalidation of gfn 0x40000, as the user would pick it.
  let placeHolder = '';
  window.showQuickPick = (items: Array<{ label: string; number: number }>, options: { placeHolder: string }) => {
    placeHolder = options.placeHolder;
    return Promise.resolve(items.find((i) => i.label.startsWith('mmu-notifier invalidation of gfn 0x40000')));
  };
  const at = await commands.run(COMMANDS.chooseNextEvent);
  assert.equal(placeHolder, 'What comes after step 19? The walk continues on the branch.');
  assert.equal(walked.length, 1);
  assert.equal(walked[0].origin.kind, 'branch');
  assert.equal(walked[0].origin.label, `${walked[0].scenario.name} (what-if branch)`);
  // Step 20 of the branch is the invalidation's first step (its KVM_MMU_LOCK).
  assert.equal(at, 20);
  assert.equal(walk.current!.walkthrough.steps[20].opLabel, '#4 invalidate');

  const target = 'file:///ws/branch.scenario.json';
  assert.equal(await commands.run(COMMANDS.saveBranch, target), target);
  const saved = parseScenario(written.get(target)!, 'branch.scenario.json');
  assert.deepEqual(saved, walked[0].scenario);
});

test('a choice the locks forbid is refused with the reason; under mmu_lock the pick says only the same operation continues', async () => {
  const session = new WalkSession(builtinScenario('reused-partial')!, { kind: 'builtin', id: 'reused-partial', label: 'reused-partial (built-in)' }, { variant: parseVariant('never-flush') });
  session.goTo(19);
  const { walk, walked } = fakeWalk(session);
  const commands = commandTable();
  new whatif.WhatIfController(walk as never, commands.table, rethrow);
  stub.shown.length = 0;
  window.showQuickPick = (items: Array<{ label: string }>) => Promise.resolve(items.find((i) => i.label === 'KVM_GET_DIRTY_LOG on slot 0'));
  assert.equal(await commands.run(COMMANDS.chooseNextEvent), undefined);
  assert.equal(walked.length, 0);
  assert.equal(stub.shown.length, 1);
  assert.match(stub.shown[0][1], /^KVM_GET_DIRTY_LOG on slot 0 cannot come here: get-dirty-log needs slots_lock/);

  session.goTo(20);
  let pick: { placeHolder: string; labels: string[] } | undefined;
  window.showQuickPick = (items: Array<{ label: string }>, options: { placeHolder: string }) => {
    pick = { placeHolder: options.placeHolder, labels: items.map((i) => i.label) };
    return Promise.resolve(undefined);
  };
  await commands.run(COMMANDS.chooseNextEvent);
  assert.match(pick!.placeHolder, /^After step 20 only the same operation can continue: #3 clear-dirty-log holds mmu_lock/);
  assert.equal(pick!.labels[0], "continue as written: #3 clear-dirty-log's next step");
  assert.ok(pick!.labels.slice(1).every((l) => l.startsWith('vCPU ')), 'of the rest, only guest accesses');

  stub.shown.length = 0;
  assert.equal(await commands.run(COMMANDS.saveBranch, 'file:///ws/x.scenario.json'), undefined, 'a built-in walk is no branch to save');
  assert.match(stub.shown[0][1], /not on a what-if branch/);
});
