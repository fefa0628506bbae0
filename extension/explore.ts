// Explore Variant…: one variant searched within a bound (src/explore/, run as a long job in a worker,
// extension/jobs.*.ts), one search at a time, cancellable from its notification or from its row in
// the Explore view (extension/explore_view.ts), which shows its progress live and its verdict after.
// A counterexample is written as a scenario file (extension/counterexamples.ts) that the walk can
// replay; the result is shown in the review view in src/view/explore_text.ts's words.
import * as vscode from 'vscode';
import { DEFAULT_BOUND, describeBound, type Bound } from '../src/explore/scope';
import { engineOf } from '../src/explore/search';
import { parseVariant } from '../src/kernel/variants';
import type { ExploreJobResult, Jobs } from '../src/session/jobs';
import { exploreView, searchEnd } from '../src/view/explore_text';
import { exploreProgressText } from '../src/view/explore_progress';
import { COMMANDS } from './commands';
import type { CommandTable, Guard } from './command_table';
import type { Counterexamples, WrittenFile } from './counterexamples';
import type { ExploreView } from './explore_view';
import * as l10n from './l10n';
import { walkCounterexample, type Reports } from './reports';
import { jobLimits } from './settings';
import { strings } from './strings';
import { defaultVariant, pickVariant } from './variants';
import type { Variant } from '../src/kernel/variants';
import type { Progress } from '../src/explore/progress';

/** Explore Variant…'s arguments (tests name both; the palette asks). */
interface ExploreArgs {
  variant?: string;
  bound?: Partial<Bound>;
}

export interface ExploreParts {
  log: vscode.LogOutputChannel;
  reports: Reports;
  jobs: Jobs;
  counterexamples: Counterexamples;
  /** The Explore view's list of this window's searches. */
  searches: ExploreView;
  /** The variant of the walk in progress, which the picker starts from. */
  walkVariant(): Variant | undefined;
}

// The CLI's default bound first (the one a quick pick preselects), then the smaller ones, each
// with what it can and cannot reach (docs/explorer.md has the numbers).
function bounds(): { label: string; detail: string; bound: Bound }[] {
  return [
    { label: strings.boundDefault, detail: strings.boundDefaultDetail, bound: DEFAULT_BOUND },
    { label: strings.boundMedium, detail: strings.boundMediumDetail, bound: { ...DEFAULT_BOUND, ops: 3, accesses: 2 } },
    { label: strings.boundSmall, detail: strings.boundSmallDetail, bound: { ...DEFAULT_BOUND, ops: 2, accesses: 1 } },
  ];
}

export class ExploreController implements vscode.Disposable {
  private running: vscode.CancellationTokenSource | undefined;
  /** The running search's row in the Explore view. */
  private runningId: number | undefined;

  constructor(private readonly parts: ExploreParts, commands: CommandTable, private readonly guard: Guard) {
    commands.register(COMMANDS.explore, guard((args?: ExploreArgs) => this.explore(args)));
    commands.register(COMMANDS.cancelSearch, guard((id?: unknown) => this.cancelSearch(id)));
    commands.register(COMMANDS.clearFinishedSearches, guard(() => parts.searches.clearFinished()));
  }

  /** Cancels the running search, as its notification's Cancel button does. */
  cancel(): void {
    this.running?.cancel();
  }

  /**
   * The Explore view's Cancel on a row (its argument is the row's search): the running search's
   * own cancel, the one the notification's Cancel calls. A row that is no longer running (it ended
   * while the click was on its way) is left alone.
   */
  private cancelSearch(id?: unknown): void {
    if (id === undefined || id === this.runningId) this.cancel();
  }

  dispose(): void {
    this.cancel();
  }

  private async explore(args?: ExploreArgs) {
    const { log, jobs } = this.parts;
    const variant = args?.variant ? parseVariant(args.variant) : await pickVariant(this.parts.walkVariant() ?? defaultVariant(), strings.pickVariantToExplore);
    if (!variant) return undefined;
    let bound: Bound;
    if (args?.bound) bound = { ...DEFAULT_BOUND, ...args.bound };
    else {
      // The first item is the active one: the CLI's default bound.
      const picked = await vscode.window.showQuickPick(bounds(), { placeHolder: strings.pickBound });
      if (!picked) return undefined;
      bound = picked.bound;
    }
    // One search at a time: a new one cancels the one running.
    this.running?.cancel();
    const own = new vscode.CancellationTokenSource();
    this.running = own;
    const { searches } = this.parts;
    // The job passes no engine, audit or --until: the engine the search picks for that bound (packed
    // in both scopes; the core for a guest-tables menu the packed model would lack: search.ts engineChoice()).
    const id = searches.start(variant.name, engineOf({ bound }), describeBound(bound));
    this.runningId = id;
    const t0 = performance.now();
    let job: ExploreJobResult;
    try {
      job = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: strings.exploreProgress(variant.name), cancellable: true }, (progress, token) => {
        const sub = token.onCancellationRequested(() => own.cancel());
        const report = (p: Progress) => {
          progress.report({ message: exploreProgressText(p, l10n.t) });
          searches.report(id, p);
        };
        return jobs.explore(variant.name, bound, jobLimits(), report, own.token).finally(() => sub.dispose());
      });
    } catch (error) {
      // The job failed (its worker died, say): the row says so, in the error's first line, and stops spinning.
      searches.finish(id, { kind: 'incomplete', reason: String((error as Error).message ?? error).split('\n')[0] });
      throw error;
    } finally {
      if (this.running === own) this.running = undefined;
      if (this.runningId === id) this.runningId = undefined;
      own.dispose();
    }
    const r = job.result;
    // The verdict at once; the counterexample's file, which may wait on a save dialog, when it is written.
    searches.finish(id, searchEnd(r));
    log.info(`explore ${variant.name}: ${r.verdict}${r.stopped ? ` (${r.stopped})` : ''}, ${r.states} states, ${round(performance.now() - t0)} ms in ${jobs.where}`);
    let written: WrittenFile | undefined;
    if (job.scenario) {
      written = await this.parts.counterexamples.write(variant.name, job.scenario);
      if (written) log.info(`explore ${variant.name}: counterexample written to ${written.uri.toString()}`);
      else void vscode.window.showWarningMessage(strings.counterexampleNotSaved);
    }
    const counterexample = written?.uri.toString() ?? '';
    if (written) searches.counterexampleWritten(id, { uri: counterexample, path: written.path });
    const view = exploreView(r, { seconds: (performance.now() - t0) / 1000, where: jobs.where }, l10n.t);
    const shown = await this.parts.reports.show({
      type: 'explore', variant: variant.name, bound: r.boundText || describeBound(bound), verdict: r.verdict, ...view,
      counterexample, counterexamplePath: written?.path ?? '',
    }, strings.exploreViewTitle(variant.name));
    if (written) this.offer(variant.name, written, counterexample);
    return { verdict: r.verdict, stopped: r.stopped ?? '', states: r.states, bound: r.boundText, standing: view.standing, reached: r.reached ?? [], counterexample, counterexamplePath: written?.path ?? '', shown };
  }

  /** A notification with the counterexample's path: walk it to its violation, or open the file. */
  private offer(variant: string, written: WrittenFile, counterexample: string): void {
    void vscode.window.showInformationMessage(strings.exploreWritten(variant, written.path), strings.openIt, strings.walkIt).then((choice) => {
      if (choice === strings.walkIt) void this.guard(walkCounterexample)('', counterexample, variant);
      else if (choice === strings.openIt) void this.guard((file: string) => this.parts.counterexamples.open(file))(counterexample);
    });
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
