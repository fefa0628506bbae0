// Compare Variants: every preset run on one scenario (src/review/compare.ts), shown in the review
// view at once, then with each preset's full-scale cost (split flushes on a 64 GiB guest) when the
// long job (extension/jobs.*.ts) has computed it. The table's words are src/view/compare_text.ts's.
import * as vscode from 'vscode';
import type { Scenario } from '../src/scenario/types';
import type { Jobs } from '../src/session/jobs';
import { compareMarkdown, FULL_SCALE_OFF, FULL_SCALE_RUNNING } from '../src/view/compare_text';
import type { CompareRowView, ReportShownMessage } from '../src/view/protocol';
import { COMMANDS } from './commands';
import type { CommandTable, Guard } from './command_table';
import * as l10n from './l10n';
import { offThread } from './off_thread';
import type { Reports } from './reports';
import { builtinOrThrow, fileOrigin, loadScenario, pickScenario } from './scenarios';
import { jobLimits } from './settings';
import { strings } from './strings';

/** Compare Variants' arguments (the CodeLens gives none; tests and links name the scenario). */
interface CompareArgs {
  scenario?: string;
  /** A scenario file, by URI. */
  file?: string;
  /** Whether to compute the full-scale costs (true when not given). */
  fullScale?: boolean;
}

/** What Compare Variants returns: the rows, the table as Markdown, the review view's text, the full-scale note. */
export interface CompareResult {
  rows: CompareRowView[];
  markdown: string;
  shown: ReportShownMessage;
  fullScale: string;
}

export class CompareController {
  constructor(private readonly log: vscode.LogOutputChannel, private readonly reports: Reports, private readonly jobs: Jobs, commands: CommandTable, guard: Guard) {
    commands.register(COMMANDS.compare, guard((args?: CompareArgs) => this.compare(args)));
  }

  private async compare(args?: CompareArgs): Promise<CompareResult | undefined> {
    const scenario = await compareScenario(this.jobs, args);
    if (!scenario) return undefined;
    const mode = String(scenario.flushMode ?? 'bare-metal');
    const fullScale = args?.fullScale ?? true;
    // Every preset's run, as a job: a scenario that runs long or large does it in the worker.
    const compared = await offThread(this.jobs, { kind: 'compare', scenario, flushMode: scenario.flushMode }, strings.comparing(scenario.name));
    if (!compared) return undefined;
    const rows: CompareRowView[] = compared.map((r) => ({
      variant: r.variant, verdict: r.verdict, violations: r.violations, remoteFlushes: r.remoteFlushes, splitFlushes: r.splitFlushes,
      flushesSkipped: r.flushesSkipped, pagesFlushed: r.pagesFlushed, spsReused: r.spsReused, splitFlushesPer64G: fullScale ? FULL_SCALE_RUNNING : FULL_SCALE_OFF,
    }));
    const title = strings.compareViewTitle(scenario.name);
    const message = { type: 'compare' as const, scenario: scenario.name, flushMode: mode, rows, fullScale: fullScale ? strings.fullScaleRunning(this.jobs.where) : strings.fullScaleOff };
    let shown = await this.reports.show(message, title);
    let note = message.fullScale;
    if (fullScale) {
      note = await this.fullScale(scenario.name, rows);
      shown = await this.reports.show({ ...message, rows, fullScale: note }, title);
    }
    return { rows, markdown: compareMarkdown(scenario.name, mode, rows, l10n.t), shown, fullScale: note };
  }

  /** Fills each row's full-scale cost from the long job (or marks it not computed); returns the note the view shows under the table. */
  private async fullScale(scenario: string, rows: CompareRowView[]): Promise<string> {
    const { jobs } = this;
    const t0 = performance.now();
    const limits = jobLimits();
    const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: strings.fullScaleProgress, cancellable: true }, (progress, token) =>
      jobs.fullScale(rows.map((r) => r.variant), limits, (done) => progress.report({ increment: 100 / rows.length, message: `${done}/${rows.length}` }), token));
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    this.log.info(`compare ${scenario}: full-scale costs ${outcome.kind === 'done' ? `in ${secs} s` : outcome.kind === 'stopped' ? `stopped after ${secs} s: ${outcome.reason}` : 'cancelled'} in ${jobs.where}`);
    if (outcome.kind === 'done') {
      outcome.value.forEach((c, i) => (rows[i].splitFlushesPer64G = c));
      return strings.fullScaleDone(secs, jobs.where);
    }
    for (const r of rows) r.splitFlushesPer64G = FULL_SCALE_OFF;
    if (outcome.kind === 'cancelled') return strings.fullScaleCancelled;
    void vscode.window.showWarningMessage(strings.fullScaleStopped(outcome.reason));
    return strings.fullScaleStopped(outcome.reason);
  }
}

/** The scenario named (a built-in one, or a file), else picked; undefined when none was picked. */
async function compareScenario(jobs: Jobs, args?: CompareArgs): Promise<Scenario | undefined> {
  if (args?.scenario) return builtinOrThrow(args.scenario);
  if (args?.file) return loadScenario(fileOrigin(args.file), jobs);
  const origin = await pickScenario(strings.pickScenarioToCompare);
  return origin ? loadScenario(origin, jobs) : undefined;
}
