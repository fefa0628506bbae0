// Explore Variant…: one variant searched within a bound (src/explore/, run as a long job in a worker,
// extension/jobs.*.ts), one search at a time, cancellable from its notification. A counterexample is
// written as a scenario file (extension/counterexamples.ts) that the walk can replay; the result is
// shown in the review view in src/view/explore_text.ts's words.
import * as vscode from 'vscode';
import { DEFAULT_BOUND, describeBound, type Bound } from '../src/explore/scope';
import { parseVariant } from '../src/kernel/variants';
import type { Jobs } from '../src/session/jobs';
import { exploreView } from '../src/view/explore_text';
import { exploreProgressText } from '../src/view/explore_progress';
import { COMMANDS } from './commands';
import type { CommandTable, Guard } from './command_table';
import type { Counterexamples, WrittenFile } from './counterexamples';
import * as l10n from './l10n';
import { walkCounterexample, type Reports } from './reports';
import { jobLimits } from './settings';
import { strings } from './strings';
import { defaultVariant, pickVariant } from './variants';
import type { Variant } from '../src/kernel/variants';

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

  constructor(private readonly parts: ExploreParts, commands: CommandTable, private readonly guard: Guard) {
    commands.register(COMMANDS.explore, guard((args?: ExploreArgs) => this.explore(args)));
  }

  /** Cancels the running search, as its notification's Cancel button does. */
  cancel(): void {
    this.running?.cancel();
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
    const t0 = performance.now();
    const job = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: strings.exploreProgress(variant.name), cancellable: true }, (progress, token) => {
      const sub = token.onCancellationRequested(() => own.cancel());
      return jobs.explore(variant.name, bound, jobLimits(), (p) => progress.report({ message: exploreProgressText(p, l10n.t) }), own.token).finally(() => sub.dispose());
    });
    if (this.running === own) this.running = undefined;
    own.dispose();
    const r = job.result;
    log.info(`explore ${variant.name}: ${r.verdict}${r.stopped ? ` (${r.stopped})` : ''}, ${r.states} states, ${round(performance.now() - t0)} ms in ${jobs.where}`);
    let written: WrittenFile | undefined;
    if (job.scenario) {
      written = await this.parts.counterexamples.write(variant.name, job.scenario);
      if (written) log.info(`explore ${variant.name}: counterexample written to ${written.uri.toString()}`);
      else void vscode.window.showWarningMessage(strings.counterexampleNotSaved);
    }
    const counterexample = written?.uri.toString() ?? '';
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
