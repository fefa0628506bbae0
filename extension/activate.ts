// The lab, shared by both hosts: it builds the services the features share and one controller per
// feature, each in a file of its own that registers its own commands — the walk (walk.ts: stepping,
// variant, kernel tree, export, the panel and side view), Check Patch… (check_patch.ts), Compare
// Variants (compare.ts), Explore Variant… (explore.ts) — and the tests' hooks (test_hooks.ts).
// Model facts come from the core (src/); the controllers only wire them to VS Code.
//
// It is not loaded at activation. extension/shell.ts registers the commands and views and loads this
// module the first time one of them is used (lab.node.ts / lab.web.ts pick the host's jobs):
// docs/activation.md says how in each host. Only types cross from here into the shell.
import * as vscode from 'vscode';
import type { HostKind } from '../src/view/protocol';
import type { Jobs } from '../src/session/jobs';
import { CheckPatchController } from './check_patch';
import { CommandTable, guarded } from './command_table';
import { CompareController } from './compare';
import { DebugController } from './debug';
import { Counterexamples } from './counterexamples';
import { ExploreController } from './explore';
import { Reports } from './reports';
import type { Lab, LabShared } from './lab_api';
import { kernelTreeUri } from './source';
import { settings } from './settings';
import { WalkStatus } from './status';
import { testHooks } from './test_hooks';
import { WalkController } from './walk';
import { WhatIfController } from './whatif';
import { WebviewMessages } from './webview_messages';

export type { CheckPatchResult } from './check_patch';
export type { ActivationTiming, KvmMmuLabApi, Lab, LabApi, LabModule, LabShared, StepTiming } from './lab_api';

/**
 * Sets up the lab in this host with these jobs: the shared services (the log and the editor beside
 * the panel from the shell, the status bar item, the review view, the webviews' message log), then
 * one controller per feature, each taking its own commands. The shell registered every command at
 * activation and forwards to the table built here.
 */
export function buildLab(context: vscode.ExtensionContext, host: HostKind, jobs: Jobs, shared: LabShared): Lab {
  const { log, source, searches } = shared;
  const guard = guarded((message) => {
    log.error(message);
    void vscode.window.showErrorMessage(message);
  });
  const commands = new CommandTable();
  const messages = new WebviewMessages();
  const status = new WalkStatus();
  const counterexamples = new Counterexamples(log);
  const reports = new Reports({ extensionUri: context.extensionUri, log, guard, received: messages.received, openCounterexample: (file) => counterexamples.open(file) });

  const walk = new WalkController({ context, host, log, source, status, jobs, received: messages.received, guard }, commands);
  new WhatIfController(walk, commands, guard);
  new CheckPatchController(log, reports, jobs, commands, guard);
  new CompareController(log, reports, jobs, commands, guard);
  const debug = new DebugController({ log, guard, walk: () => walk.current, follower: walk }, commands);
  const explore = new ExploreController({ log, reports, jobs, counterexamples, searches, walkVariant: () => walk.current?.options.variant }, commands, guard);
  context.subscriptions.push(status, explore, reports);

  log.info(`the lab is loaded; kernel tree: ${kernelTreeUri(settings().get<string>('kernelTree'))?.toString() ?? '(not set)'}; long jobs run in ${jobs.where}`);
  return { commands: commands.all(), debug, sideView: walk.views.sideView, api: testHooks({ walk, status, reports, explore, messages }) };
}
