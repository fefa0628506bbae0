// The walk: one scenario run under one variant, stepped through in the panel and the side view with
// the source beside them and the status bar. This controller owns the walk in progress (a
// WalkSession of the core), takes the stepping commands, Choose Variant…, Locate mmu.c, Export Trace
// and the CodeLens's "Walk the split here", and renders each step to whichever views are open.
import * as vscode from 'vscode';
import type { FlushMode } from '../src/model/modes';
import type { Scenario } from '../src/scenario/types';
import { builtinScenario } from '../src/scenario/builtins';
import { parseVariant, type Variant } from '../src/kernel/variants';
import { sameStep, WalkSession, type ScenarioOrigin } from '../src/session/session';
import { sameRun, type FollowPoint } from '../src/debug/follow';
import { drive, drivePosition, type DriveAction, type DrivePosition, type DriveRefusal, type DriveRequest } from '../src/debug/drive';
import { WALK_MAX_STEPS, type WalkCheck } from '../src/session/input_jobs';
import type { Jobs } from '../src/session/jobs';
import type { RunOptions } from '../src/run/runner';
import type { FromWebviewMessage, HostKind, SnapshotMessage } from '../src/view/protocol';
import type { StepTiming } from './lab_api';
import { COMMANDS, CONTEXT_WALKING } from './commands';
import type { CommandTable, Guard } from './command_table';
import { locateKernelTree } from './kernel_tree';
import { offThread } from './off_thread';
import type { LabSurface, StepMessage } from './panel';
import type { SessionDriver, SessionFollower } from './debug';
import { RenderQueue } from './render_queue';
import { LatestAfterIdle } from './latest_after_idle';
import { builtinOrigin, fileOrigin, loadScenario, pickScenario } from './scenarios';
import { walkRunOptions } from './settings';
import type { SourceView } from './source';
import { statusView, type WalkStatus } from './status';
import { strings } from './strings';
import { exportTrace, TRACE_FORMATS } from './trace_export';
import { defaultVariant, pickVariant } from './variants';
import { WalkViews } from './walk_views';

/** Walk Through Scenario…'s arguments (the walkthrough's links, the review's and the explorer's counterexamples, tests). */
interface WalkArgs {
  scenario?: string;
  file?: string;
  variant?: string;
  /** The host's flush mode for this walk, over kvmMmuLab.flushMode (the review's counterexample may need 'range'). */
  flushMode?: string;
}

/** The scenario "Walk the split here" starts when there is no walk. */
const WALK_HERE_SCENARIO = 'reused-partial';
/**
 * How long stepping must pause before the editor beside follows it (ms). Long enough that steps
 * back to back (a held key: 30 a second; the benchmark's, 40 to 80 ms apart) move the editor once,
 * at the end; short enough that a step at a time sees the editor follow just after the panel.
 */
const EDITOR_IDLE_MS = 80;

/**
 * The longest a walk's run may take in the job for the host to build it again, in seconds: the host
 * runs it once more, on its own thread, to keep the states for stepping (the built-in scenarios take
 * under 2 s). Measured by the clock, so it is the one cap here that is not deterministic; the step
 * cap (WALK_MAX_STEPS) and the memory cap are, and come first.
 */
export const WALK_HOST_BUDGET_SECONDS = 10;

/** What the walk needs from the lab. */
export interface WalkParts {
  context: vscode.ExtensionContext;
  host: HostKind;
  log: vscode.LogOutputChannel;
  source: SourceView;
  status: WalkStatus;
  /** The long jobs: a walk's scenario file is parsed, and its run checked, there first. */
  jobs: Jobs;
  /** Every valid message from the walk's views. */
  received(message: FromWebviewMessage): void;
  guard: Guard;
}

export class WalkController implements SessionFollower {
  private session: WalkSession | undefined;
  /**
   * The debug session that drives the walk (its adapter, extension/debug.ts), from its first stop
   * to its end: the walk shows its stops, and its stepping commands (the panel's buttons and keys,
   * the palette's) send the session the Debug toolbar's requests (src/debug/drive.ts) instead of
   * moving the walk: one source of truth, the session (docs/debugging.md, "The panel drives the
   * session").
   */
  private driver: SessionDriver | undefined;
  /** The step the driving session is stopped before (its top frame), or undefined at the end. */
  private driverNext: number | undefined;
  /** Where the driving session is stopped, for what the panel's actions may ask of it. */
  private driverAt: DrivePosition = { pos: 0, total: 0 };
  /** The stops followed so far, one after the other (a stop may build the walk first). */
  private following: Promise<unknown> = Promise.resolve();
  /** The flush mode a walk was started in by name (the review's counterexample): over the setting until the next walk or a change of the setting. */
  private flushMode: FlushMode | undefined;
  private shownSource: SnapshotMessage['source'] = { kind: 'listing', label: strings.sourceListing, location: '', note: '' };
  private readonly rendering: RenderQueue<StepTiming[]>;
  /**
   * The editor beside follows the walk once stepping pauses (EDITOR_IDLE_MS after the last step:
   * a burst of steps draws it once), not within each step's command: its reveal and decorations
   * are most of what a step costs the workbench to draw (docs/testing.md, "A step in the real
   * workbench"). `settled()` waits for it, as a user waits for the editor to move.
   */
  private editor: LatestAfterIdle;
  /** How long the editor's work took each time it ran once stepping paused (the tests' API). */
  readonly editorTimings: number[] = [];
  /** Every step rendered so far, with its timings (the tests' API). */
  readonly timings: StepTiming[] = [];
  readonly views: WalkViews;

  constructor(private readonly parts: WalkParts, commands: CommandTable) {
    const { context, log, guard } = parts;
    this.rendering = new RenderQueue<StepTiming[]>([], (error) => log.error(`rendering the step failed: ${error.stack ?? error.message}`));
    this.editor = this.editorAfter(EDITOR_IDLE_MS);
    this.views = new WalkViews(context, parts.host, log, {
      received: parts.received,
      ready: (surface) => {
        if (this.session) void this.refresh(surface);
      },
      goto: (step) => void this.step('goto', () => step, strings.noWalk),
    });
    this.views.keepBesideEditor = () => this.driver !== undefined;
    commands.register(COMMANDS.openPanel, () => {
      this.views.openPanel();
    });
    commands.register(COMMANDS.walk, guard((args?: WalkArgs) => this.walk(args)));
    commands.register(COMMANDS.forward, () => this.step('forward', (s) => s.forward(), strings.atEnd));
    commands.register(COMMANDS.back, () => this.step('back', (s) => s.back(), strings.atStart));
    commands.register(COMMANDS.restart, () => this.step('restart', () => -1, strings.atStart));
    commands.register(COMMANDS.nextFlush, () => this.step('next-flush', (s) => s.nextFlush(), strings.noMoreFlushes));
    commands.register(COMMANDS.violation, () => this.step('violation', (s) => s.nextViolation(), this.session ? strings.noViolation(this.session.scenario.name, this.session.options.variant.name) : ''));
    commands.register(COMMANDS.variant, guard((spec?: string) => this.chooseVariant(spec)));
    commands.register(COMMANDS.locate, guard((uri?: vscode.Uri) => this.locate(uri instanceof vscode.Uri ? uri : undefined)));
    commands.register(COMMANDS.export, guard((format?: string) => this.export(format)));
    commands.register(COMMANDS.walkHere, guard((fn?: string) => this.walkHere(fn)));
    context.subscriptions.push(
      this.views,
      // The editor's move still waiting for a pause never runs once the extension is gone.
      { dispose: () => this.editor.drop() },
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('kvmMmuLab.kernelTree')) {
          parts.source.reset();
          if (this.session) void this.refresh();
        }
        if (e.affectsConfiguration('kvmMmuLab.flushMode')) this.flushMode = undefined;
        if (['flushMode', 'checkStrength', 'entriesPerTable'].some((k) => e.affectsConfiguration(`kvmMmuLab.${k}`))) void guard(() => this.rebuild())();
      }),
    );
    void vscode.commands.executeCommand('setContext', CONTEXT_WALKING, false);
  }

  /** The walk in progress, if any. */
  get current(): WalkSession | undefined {
    return this.session;
  }

  /** Which source the editor beside the panel shows for the current step, as sent to the views. */
  get source(): SnapshotMessage['source'] {
    return this.shownSource;
  }

  /** Resolves when every open view has rendered the current step (and the debug stops heard so far are shown). */
  settled(): Promise<StepTiming[]> {
    return this.following.then(() => this.rendering.settled).then(async (timings) => {
      // The editor's work is handed over at the end of a rendering: wait for it after the renderings.
      await this.editor.settled;
      return timings;
    });
  }

  /**
   * The pause after which the editor beside follows the walk (ms; 0: within each step's command,
   * once the views answered, as before 2026-12-07). For the benchmark's paired A/B runs
   * (test/integration/walk.suite.ts); the editor's work waiting, if any, is dropped (a step follows).
   */
  setEditorIdle(ms: number, statusToo = false): void {
    this.editor.drop();
    this.editor = this.editorAfter(ms);
    this.statusWithEditor = statusToo;
  }

  /** Whether the status bar follows with the editor once stepping pauses (an A/B of the benchmark's; not by default). */
  private statusWithEditor = false;

  private editorAfter(ms: number): LatestAfterIdle {
    const failed = (error: Error) => this.parts.log.error(`moving the editor beside failed: ${error.stack ?? error.message}`);
    return new LatestAfterIdle(ms, failed);
  }

  /**
   * While a debug session drives the walk, what would walk another run or jump to a step (a new
   * walk, a variant, a what-if branch, a step link, Walk the Split Here) is refused, saying why
   * and what to do instead (src/debug/drive.ts): true then.
   */
  refuseWhileDebugging(action: DriveAction): boolean {
    if (!this.driver) return false;
    const d = drive(action, this.driverAt);
    if (d.kind !== 'refused') return false;
    this.sayRefused(action, d.why);
    return true;
  }

  private sayRefused(action: DriveAction, why: DriveRefusal): void {
    this.parts.log.info(`the debug session drives the walk: ${action} refused (${why})`);
    void vscode.window.showInformationMessage(strings.driveRefused(why, action));
  }

  /**
   * A stepping command (a button or key of the panel, the palette's): with no debug session it
   * moves the walk (`fn`, else `none` shows a moment); while one drives the walk it sends the
   * session the Debug toolbar's request for it, and resolves with the walk at the stop it made.
   */
  private step(action: DriveAction, fn: (s: WalkSession) => number | undefined | boolean, none: string): Promise<number | undefined> {
    const driver = this.driver;
    const d = driver && drive(action, this.driverAt);
    if (!d || d.kind === 'own') return this.move(fn, none);
    if (d.kind === 'refused') {
      this.sayRefused(action, d.why);
      return Promise.resolve(this.session?.index);
    }
    return this.request(driver, d.command);
  }

  /**
   * The request sent to the session. Its stop reaches the walk through the follow path (stopped,
   * below): the adapter tells the walk as it posts the stop, right after the response, which must
   * still cross the workbench before customRequest resolves; so once it has, settled() covers it.
   */
  private async request(driver: SessionDriver, command: DriveRequest): Promise<number | undefined> {
    const t0 = performance.now();
    try {
      await driver.request(command);
    } catch (error) {
      // The session ended meanwhile, or refused the request: it says why.
      const message = (error as Error).message ?? String(error);
      this.parts.log.error(`the debug session's ${command} failed: ${message}`);
      void vscode.window.showErrorMessage(strings.driveFailed(command, message));
    }
    await this.settled();
    this.parts.log.info(`the panel's ${command}: the session stopped and the walk shows step ${this.session?.index ?? '-'} (${round(performance.now() - t0)} ms)`);
    return this.session?.index;
  }

  // ---- following a debug session (extension/debug.ts tells; src/debug/follow.ts maps)

  /** A stop of a debug session: the walk shows that step of that run, the panel opened if need be. */
  stopped(driver: SessionDriver, point: FollowPoint, origin: ScenarioOrigin): void {
    this.following = this.following.then(() => this.follow(driver, point, origin)).catch((error: Error) => this.parts.log.error(`following the debug session failed: ${error.stack ?? error.message}`));
  }

  /** The session ended: the walk stays where it stopped, and its controls step it again. */
  ended(driver: SessionDriver): void {
    this.following = this.following.then(async () => {
      if (this.driver !== driver) return;
      this.driver = undefined;
      this.driverNext = undefined;
      this.driverAt = { pos: 0, total: 0 };
      if (this.session) await this.refresh();
    });
  }

  private async follow(driver: SessionDriver, point: FollowPoint, origin: ScenarioOrigin): Promise<void> {
    // The walk's marks in the editor go: the debugger marks its own line there.
    if (!this.driver) void this.editor.now(async () => this.parts.source.stop());
    this.driver = driver;
    this.driverNext = point.next;
    this.driverAt = drivePosition(point.index, point.total);
    // The walk in progress when it is the session's run (the debugger launched from it), else a walk of the session's run.
    const s = this.session && sameRun(this.session, point) ? this.session : await this.buildHere(point.scenario, origin, point.options);
    if (this.driver !== driver) return; // the session ended while the walk was built
    s.goTo(point.index);
    if (this.session !== s) {
      this.session = s;
      await vscode.commands.executeCommand('setContext', CONTEXT_WALKING, true);
    }
    this.views.openPanel(true, true);
    await this.refresh();
  }

  private async walk(args?: WalkArgs): Promise<number | undefined> {
    if (this.refuseWhileDebugging('walk')) return this.session?.index;
    const origin = args?.scenario ? builtinOrigin(args.scenario) : args?.file ? fileOrigin(args.file) : await pickScenario();
    if (!origin) return undefined;
    let scenario: Scenario | undefined;
    try {
      scenario = await loadScenario(origin, this.parts.jobs);
    } catch (error) {
      throw new Error(strings.scenarioError(origin.label, (error as Error).message));
    }
    if (!scenario) return undefined;
    // Named, the variant is that one; a command with arguments and no variant takes the default; else ask.
    const variant = args?.variant ? parseVariant(args.variant) : args ? defaultVariant(scenario) : ((await pickVariant(defaultVariant(scenario))) ?? defaultVariant(scenario));
    this.flushMode = args?.flushMode === 'bare-metal' || args?.flushMode === 'range' ? args.flushMode : undefined;
    const s = await this.start(scenario, origin, variant);
    return s?.total;
  }

  /**
   * The walk of this scenario under these options, or undefined when the user cancelled. Its run is
   * checked as a job first (src/session/input_jobs.ts: within WALK_MAX_STEPS and the memory cap, in
   * the worker); only a run that passed, in under WALK_HOST_BUDGET_SECONDS, is built again here.
   */
  private async build(scenario: Scenario, origin: ScenarioOrigin, options: RunOptions): Promise<WalkSession | undefined> {
    // A built-in scenario is ours and short under any variant (2,615 steps at most): no job, whose
    // worker alone takes most of a second to start. A what-if branch is a walk already checked, cut
    // short, and one event more.
    if (origin.kind !== 'file') return this.buildHere(scenario, origin, options);
    const t0 = performance.now();
    let check: WalkCheck | undefined;
    try {
      check = await offThread(this.parts.jobs, { kind: 'walk', scenario, options }, strings.building(scenario.name, options.variant.name));
    } catch (error) {
      throw new Error(strings.scenarioError(origin.label, (error as Error).message));
    }
    if (!check) return undefined;
    const secs = (performance.now() - t0) / 1000;
    this.parts.log.info(`walk: ${origin.label} under ${options.variant.name}: ${check.steps} steps, ${check.violations} violations, checked in ${secs.toFixed(2)} s in ${this.parts.jobs.where}`);
    if (secs > WALK_HOST_BUDGET_SECONDS) throw new Error(strings.walkTooSlow(origin.label, secs.toFixed(1), WALK_HOST_BUDGET_SECONDS));
    return this.buildHere(scenario, origin, options);
  }

  /** The walk built on the host's thread, its run stopped at WALK_MAX_STEPS all the same. */
  private async buildHere(scenario: Scenario, origin: ScenarioOrigin, options: RunOptions): Promise<WalkSession> {
    const t0 = performance.now();
    const created = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: strings.building(scenario.name, options.variant.name) }, async () => new WalkSession(scenario, origin, { ...options, maxSteps: WALK_MAX_STEPS }));
    this.parts.log.info(`walk: ${origin.label} under ${options.variant.name}: ${created.total} steps, ${created.walkthrough.violations.length} violations, built in ${round(performance.now() - t0)} ms on the host`);
    return created;
  }

  private async start(scenario: Scenario, origin: ScenarioOrigin, variant: Variant, index = -1): Promise<WalkSession | undefined> {
    const s = await this.build(scenario, origin, walkRunOptions(scenario, variant, this.flushMode));
    if (!s) return undefined;
    s.goTo(index);
    this.session = s;
    await vscode.commands.executeCommand('setContext', CONTEXT_WALKING, true);
    this.views.openPanel(true);
    await this.refresh();
    return s;
  }

  /** The walk continues on a what-if branch (extension/whatif.ts): its scenario, at step `index`, under the walk's variant. */
  async branch(scenario: Scenario, origin: ScenarioOrigin, index: number): Promise<WalkSession | undefined> {
    if (this.refuseWhileDebugging('next-event')) return undefined;
    return this.start(scenario, origin, this.session?.options.variant ?? defaultVariant(scenario), index);
  }

  private async chooseVariant(spec?: string): Promise<string | undefined> {
    if (this.refuseWhileDebugging('variant')) return this.session?.options.variant.name;
    const variant = spec ? parseVariant(spec) : await pickVariant(this.session?.options.variant ?? defaultVariant());
    if (!variant) return undefined;
    const old = this.session;
    if (!old) {
      // No walk: the variant the next one starts with.
      await vscode.workspace.getConfiguration('kvmMmuLab').update('defaultVariant', variant.name, vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
      return variant.name;
    }
    const next = await this.build(old.scenario, old.origin, walkRunOptions(old.scenario, variant, this.flushMode));
    if (!next || this.session !== old) return undefined; // cancelled, or another walk started meanwhile
    next.goTo(sameStep(old.walkthrough, old.index, next.walkthrough));
    this.parts.log.info(`variant ${old.options.variant.name} -> ${variant.name}: step ${old.index} -> ${next.index}`);
    this.session = next;
    await this.refresh();
    return variant.name;
  }

  /** The walk again with the settings as they are now, at the same step. */
  private async rebuild(): Promise<void> {
    const old = this.session;
    // A debug session keeps the options it was launched with; the walk shows its run.
    if (!old || this.driver) return;
    const scenario = old.origin.kind === 'file' ? await loadScenario(old.origin, this.parts.jobs) : old.scenario;
    const next = scenario && (await this.build(scenario, old.origin, walkRunOptions(scenario, old.options.variant, this.flushMode)));
    if (!next) return;
    next.goTo(sameStep(old.walkthrough, old.index, next.walkthrough));
    this.session = next;
    await this.refresh();
  }

  /** Moves the walk (`fn` gives the step, or says it moved, or that it cannot: then `none` shows a moment). */
  private async move(fn: (s: WalkSession) => number | undefined | boolean, none: string): Promise<number | undefined> {
    const s = this.session;
    if (!s) {
      void vscode.window.showInformationMessage(strings.noWalk);
      return undefined;
    }
    const r = fn(s);
    if (r === undefined || r === false) {
      void vscode.window.setStatusBarMessage(none, 4000);
      return s.index;
    }
    if (typeof r === 'number') s.goTo(r);
    await this.refresh();
    return s.index;
  }

  private async locate(picked?: vscode.Uri): Promise<string | undefined> {
    const value = await locateKernelTree(this.parts.source, picked);
    if (value !== undefined && this.session) await this.refresh();
    return value;
  }

  private async export(format?: string): Promise<string | undefined> {
    if (!this.session) {
      void vscode.window.showInformationMessage(strings.noWalk);
      return undefined;
    }
    return exportTrace(this.session.walkthrough, TRACE_FORMATS.find((f) => f === format));
  }

  /** The CodeLens over a function of mmu.c or paging_tmpl.h: the walk (or reused-partial) at its next step in `fn`, else its first. */
  private async walkHere(fn?: string): Promise<number> {
    if (this.refuseWhileDebugging('walk-here')) return this.session?.index ?? -1;
    let s = this.session;
    if (!s) {
      const scenario = builtinScenario(WALK_HERE_SCENARIO)!;
      s = await this.start(scenario, builtinOrigin(WALK_HERE_SCENARIO), defaultVariant(scenario));
      if (!s) return -1;
    }
    if (fn) {
      const at = s.index;
      const steps = s.walkthrough.steps;
      const after = steps.findIndex((st, i) => i > at && st.anchor.fn === fn);
      const target = after >= 0 ? after : steps.findIndex((st) => st.anchor.fn === fn);
      if (target >= 0) s.goTo(target);
    }
    this.views.openPanel(true);
    await this.refresh();
    return s.index;
  }

  // ---- rendering

  /** Renders the current step to every open view (or to `only`), after the rendering in progress. */
  private refresh(only?: LabSurface): Promise<StepTiming[]> {
    return only ? this.rendering.one(() => this.render(only)) : this.rendering.all(() => this.render());
  }

  private async render(only?: LabSurface): Promise<StepTiming[]> {
    const s = this.session;
    const targets = only ? [only] : this.views.surfaces();
    if (!s) {
      for (const surface of targets) surface.showIdle();
      return [];
    }
    const { snapshot, ms } = s.snapshot(() => performance.now());
    // One view coming back shows the source the others show; a step moves the editor. Where the
    // step is shown is known before the editor moves (prepare calls no editor), so the views are
    // sent the step first, then the status bar, and the editor follows once they answered: the
    // workbench's renderer runs the editor's reveal and decorations on the thread that hands the
    // webview its message, so editor work posted first (or alongside) delayed the panel's answer
    // (docs/testing.md, "A step in the real workbench"). Driven by a debug session, the editor is the debugger's (its top frame, the step about to run): the walk leaves it alone.
    const placed = only || this.driver ? undefined : await this.parts.source.prepare(s, this.views.panelColumn);
    if (placed) this.shownSource = placed.info;
    else if (this.driver && !only) {
      this.shownSource = { kind: 'debugger', label: strings.sourceDebugger, location: '', note: this.driverNext === undefined ? strings.debuggerAtEnd : strings.debuggerBefore(this.driverNext, s.index) };
    }
    const message: StepMessage = { type: 'snapshot', scenarioLabel: s.origin.label, snapshot, source: this.shownSource, snapshotMs: round(ms), ...(this.driver ? { driver: strings.debuggerDrives } : {}) };
    const posted = performance.now();
    const postedAt = performance.timeOrigin + posted;
    const rendered = Promise.all(targets.filter((x) => x.isShown).map(async (t) => {
      const r = await t.showSnapshot(message);
      return { t, r, replyMs: performance.now() - posted, gotAt: performance.timeOrigin + performance.now() };
    }));
    const status = statusView(s, snapshot, this.shownSource);
    const statusLater = placed !== undefined && this.editor.idleMs > 0 && this.statusWithEditor;
    if (!statusLater) this.parts.status.show(status);
    const replies = await rendered;
    let sourceMs = 0;
    if (placed && this.editor.idleMs === 0) {
      const editorStart = performance.now();
      sourceMs = await this.editor.now(placed.follow).then(() => performance.now() - editorStart);
    } else if (placed) {
      this.editor.later(async () => {
        const editorStart = performance.now();
        if (statusLater) this.parts.status.show(status);
        await placed.follow();
        this.editorTimings.push(round(performance.now() - editorStart));
      });
    }
    const out: StepTiming[] = [];
    for (const { t, r: step, replyMs, gotAt } of replies) {
      if (!step) continue;
      const r = step.reply;
      const timing: StepTiming = {
        surface: t.kind, index: r.index, snapshotMs: round(ms), renderMs: round(r.renderMs), sourceMs: round(sourceMs), replyMs: round(replyMs),
        sent: step.sent, messageBytes: step.bytes, inMs: round(r.receivedAt - postedAt), checkMs: round(r.checkMs), outMs: round(gotAt - r.repliedAt),
      };
      this.timings.push(timing);
      out.push(timing);
      this.parts.log.info(`step ${r.index}/${s.total - 1} in the ${t.kind}: snapshot ${timing.snapshotMs} ms in the extension, render ${timing.renderMs} ms in the webview`);
    }
    return out;
  }

}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
