// Check Patch…: a patch mail, mbox or diff (the active editor's, a file, the walkthrough's example,
// or text the caller gives) reviewed by the core against the model (src/review/review.ts), with the
// reviewer's kernel tree when one is set, and shown in the review view.
import * as vscode from 'vscode';
import { MAX_PATCH_BYTES } from '../src/patch/parse';
import { looksLikePatch, type PatchReviewView } from '../src/review/review';
import type { Jobs } from '../src/session/jobs';
import type { ReportShownMessage } from '../src/view/protocol';
import examplePatch from '../media/walkthrough/example.patch';
import { COMMANDS } from './commands';
import type { CommandTable, Guard } from './command_table';
import { readTreeFiles } from './kernel_tree';
import { offThread } from './off_thread';
import { readBounded } from './read_bounded';
import type { Reports } from './reports';
import { strings } from './strings';

/** What Check Patch… returns: the review as data, the review view's text, and the time it took. */
export interface CheckPatchResult {
  review: PatchReviewView;
  shown: ReportShownMessage;
  ms: number;
}

/** Check Patch…'s argument when it is not a file's URI (the explorer's context menu gives one). */
interface CheckPatchArgs {
  /** The walkthrough's example patch (media/walkthrough/example.patch). */
  example?: boolean;
  uri?: string;
  text?: string;
  name?: string;
}

/** A patch's text and the name the review gives it. */
interface PatchText {
  text: string;
  name: string;
}

export class CheckPatchController {
  constructor(private readonly log: vscode.LogOutputChannel, private readonly reports: Reports, private readonly jobs: Jobs, commands: CommandTable, guard: Guard) {
    commands.register(COMMANDS.checkPatch, guard((arg?: vscode.Uri | CheckPatchArgs) => this.check(arg)));
  }

  private async check(arg?: vscode.Uri | CheckPatchArgs): Promise<CheckPatchResult | undefined> {
    const patch = await patchText(arg);
    if (!patch) return undefined;
    const { text, name } = patch;
    const t0 = performance.now();
    const tree = await readTreeFiles();
    // Parsed, classified and run as a job: a patch that takes long or much memory does it in the worker.
    const view = await offThread(this.jobs, { kind: 'review', text, name, tree }, strings.reviewing(name));
    if (!view) return undefined;
    const ms = round(performance.now() - t0);
    this.log.info(`check patch ${name}: ${view.patches.length} message(s), before ${view.before || '?'}, after ${view.after || '?'}, ${view.understood ? 'understood' : 'not understood'}; reviewed in ${ms} ms (${tree.length} tree files)`);
    const shown = await this.reports.show({ type: 'review', review: view, ms }, strings.reviewTitle(name));
    this.log.info(`check patch ${name}: review view rendered ${round(performance.now() - t0)} ms after the start`);
    return { review: view, shown, ms };
  }
}

/** The patch named by the argument, else the active editor's if it looks like one, else a file picked; undefined when none was picked. */
async function patchText(arg?: vscode.Uri | CheckPatchArgs): Promise<PatchText | undefined> {
  if (arg instanceof vscode.Uri) return readPatch(arg);
  if (arg?.text !== undefined) return { text: arg.text, name: arg.name ?? 'patch' };
  if (arg?.uri) return readPatch(vscode.Uri.parse(arg.uri));
  // Bundled as text (scripts/build.mjs), so that it reads the same in every host.
  if (arg?.example) return { text: examplePatch, name: 'example.patch' };
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && looksLikePatch(doc.getText())) return { text: doc.getText(), name: doc.isUntitled ? doc.uri.path : vscode.workspace.asRelativePath(doc.uri) };
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: strings.checkPatchOpenLabel, title: strings.checkPatchTitle, filters: { [strings.patchFiles]: ['patch', 'mbox', 'mbx', 'eml', 'txt', 'diff'], [strings.allFiles]: ['*'] } });
  return picked?.[0] ? readPatch(picked[0]) : undefined;
}

async function readPatch(uri: vscode.Uri): Promise<PatchText> {
  return { text: await readBounded(uri, MAX_PATCH_BYTES), name: vscode.workspace.asRelativePath(uri) };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
