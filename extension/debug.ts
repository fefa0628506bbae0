// The walk as a debug session in VS Code: the debug type `kvm-mmu-lab`, served by an inline adapter
// (DebugAdapterInlineImplementation, so the web-worker host has it too) around the core's session
// (src/debug/session.ts), a configuration provider that fills in a launch with no launch.json, and
// the command Debug the Split Here. The glue reads what the core cannot (a scenario file, the
// reviewer's kernel files) and adds it to the launch request; everything else is the core's.
import * as vscode from 'vscode';
import { MmuDebugSession, type LaunchArguments } from '../src/debug/session';
import type { DapMessage, DapRequest } from '../src/debug/protocol';
import type { FollowPoint } from '../src/debug/follow';
import type { DriveRequest } from '../src/debug/drive';
import type { ScenarioOrigin } from '../src/session/session';
import { BUILTIN_SCENARIOS } from '../src/scenario/builtins';
import { MAX_SCENARIO_BYTES } from '../src/scenario/parse';
import { REVIEW_TREE_FILES } from '../src/patch/detect';
import type { SourceFile } from '../src/anchor/anchor';
import type { WalkSession } from '../src/session/session';
import { COMMANDS, DEBUG_TYPE } from './commands';
import type { CommandTable, Guard } from './command_table';
import { builtinOrigin, fileOrigin } from './scenarios';
import { kernelTreeUri } from './source';
import { READ_LIMITS, readBounded } from './read_bounded';
import { settings } from './settings';
import { strings } from './strings';

/** Where Debug the Split Here stops when no function is named: the split itself. */
const SPLIT_FUNCTION = 'shadow_mmu_split_huge_page';

/** A launch configuration of type kvm-mmu-lab, as launch.json or a command writes it. */
type MmuDebugConfiguration = vscode.DebugConfiguration & Omit<LaunchArguments, 'scenarioText' | 'sources' | 'scenarioPath'>;

/** A session the walk panel drives (src/debug/drive.ts): its buttons send it the Debug toolbar's requests. */
export interface SessionDriver {
  /** Sends the session this request, as the Debug toolbar's button does; resolves with the response's body (the stop follows through the follower). */
  request(command: DriveRequest): Thenable<unknown>;
}

/** Where the walk panel hears of a session's stops (extension/walk.ts follows them): the adapter is the session's token, and drives it. */
export interface SessionFollower {
  /** The session stopped: the walk shows this point of this run. */
  stopped(driver: SessionDriver, point: FollowPoint, origin: ScenarioOrigin): void;
  /** The session ended: the walk is its own again. */
  ended(driver: SessionDriver): void;
}

/** The core's session as VS Code's DebugAdapter: messages in one at a time, in order (a launch waits for its files). */
class InlineAdapter implements vscode.DebugAdapter, SessionDriver {
  private readonly sent = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.sent.event;
  private readonly session = new MmuDebugSession((m: DapMessage) => this.post(m));
  private queue: Promise<void> = Promise.resolve();
  /** The launched scenario, as the walk names it. */
  private origin: ScenarioOrigin = builtinOrigin('reused-partial');
  /** The thread of the last stop: the one the panel's requests step, as the toolbar steps the focused thread. */
  private threadId = 1;

  constructor(
    /** VS Code's side of this session: the panel's requests go through it, so the debug views see them as the toolbar's. */
    private readonly debugSession: vscode.DebugSession,
    private readonly folder: vscode.WorkspaceFolder | undefined,
    private readonly log: vscode.LogOutputChannel,
    private readonly follower: SessionFollower,
  ) {}

  /** Every message out to VS Code; a stop is also the walk panel's (after VS Code has it: the debug views first). */
  private post(m: DapMessage): void {
    this.sent.fire(m as vscode.DebugProtocolMessage);
    if (m.type !== 'event') return;
    if (m.event === 'stopped') {
      this.threadId = (m.body as { threadId?: number } | undefined)?.threadId ?? this.threadId;
      const point = this.session.follow();
      if (point) this.follower.stopped(this, point, this.origin);
    } else if (m.event === 'terminated') this.follower.ended(this);
  }

  /**
   * The panel's button as the toolbar's: a request through VS Code's session (customRequest), so
   * that the request, its response and the stop it makes pass through the workbench as the
   * toolbar's do, and the call stack, variables and the editor's current line follow the stop.
   */
  request(command: DriveRequest): Thenable<unknown> {
    return this.debugSession.customRequest(command, command === 'restart' ? {} : { threadId: this.threadId });
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    const m = message as DapMessage;
    if (m.type !== 'request') return;
    this.queue = this.queue.then(async () => {
      let req: DapRequest = m;
      if (m.command === 'launch') {
        const launch = await launchArguments(this.folder, m.arguments as MmuDebugConfiguration, this.log);
        this.origin = launch.origin;
        req = { ...m, arguments: launch.args };
      }
      this.session.handle(req);
    }).catch((e: unknown) => {
      // A launch whose scenario file could not be read (refused, missing): the launch fails, saying why.
      this.session.refuse(m, (e as Error).message ?? String(e));
    });
  }

  dispose(): void {
    this.follower.ended(this);
    this.sent.dispose();
  }
}

/** The launch request's arguments: a scenario file read (a name that is not a built-in is a path), and the kernel files that hold modelled steps; and the scenario's origin as the walk names it. */
async function launchArguments(folder: vscode.WorkspaceFolder | undefined, config: MmuDebugConfiguration, log: vscode.LogOutputChannel): Promise<{ args: LaunchArguments; origin: ScenarioOrigin }> {
  const args: LaunchArguments = { ...config };
  const name = config.scenario ?? '';
  let origin = builtinOrigin(name || 'reused-partial');
  if (name && !BUILTIN_SCENARIOS.includes(name)) {
    const base = folder?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = /^[a-z][a-z0-9+.-]+:\/\//i.test(name) ? vscode.Uri.parse(name) : name.startsWith('/') || !base ? vscode.Uri.file(name) : vscode.Uri.joinPath(base, name);
    args.scenarioText = await readBounded(uri, MAX_SCENARIO_BYTES);
    args.scenarioPath = vscode.workspace.asRelativePath(uri);
    origin = fileOrigin(uri.toString());
  }
  args.sources = await kernelSources(folder);
  log.info(`debug: ${name || 'reused-partial'} under ${config.variant || "the scenario's variant"}; kernel files: ${args.sources.map((s) => s.path).join(', ') || 'none (frames without source)'}`);
  return { args, origin };
}

/** The reviewer's files that hold modelled steps: from kvmMmuLab.kernelTree, else the workspace folder, those that exist and can be read. */
async function kernelSources(folder: vscode.WorkspaceFolder | undefined): Promise<SourceFile[]> {
  const tree = kernelTreeUri(settings().get<string>('kernelTree')) ?? folder?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!tree) return [];
  const out: SourceFile[] = [];
  for (const rel of REVIEW_TREE_FILES) {
    const uri = vscode.Uri.joinPath(tree, rel);
    try {
      out.push({ path: uri.scheme === 'file' ? uri.fsPath : uri.toString(), text: await readBounded(uri, READ_LIMITS.treeFile) });
    } catch {
      // Not in this tree (or refused, which the walk's editor reports): its frames go without source.
    }
  }
  return out;
}

export class DebugController {
  constructor(
    private readonly parts: { log: vscode.LogOutputChannel; guard: Guard; walk: () => WalkSession | undefined; follower: SessionFollower },
    commands: CommandTable,
  ) {
    commands.register(COMMANDS.debugHere, parts.guard((fn?: string) => this.debugHere(fn)));
  }

  /** The inline adapter for a session VS Code starts. */
  adapter(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
    return new vscode.DebugAdapterInlineImplementation(new InlineAdapter(session, session.workspaceFolder, this.parts.log, this.parts.follower));
  }

  /** F5 with no launch.json: the split of reused-partial; the settings fill what a configuration leaves out. */
  resolve(config: vscode.DebugConfiguration): vscode.DebugConfiguration {
    const c = config as MmuDebugConfiguration;
    if (!c.type && !c.request && !c.name) {
      return { type: DEBUG_TYPE, request: 'launch', name: strings.debugDefaultName, scenario: 'reused-partial', stopAt: SPLIT_FUNCTION };
    }
    const flushMode = settings().get<string>('flushMode', 'scenario');
    const entries = settings().get<number | null>('entriesPerTable', null);
    return {
      ...c,
      ...(c.flushMode === undefined && (flushMode === 'bare-metal' || flushMode === 'range') ? { flushMode } : {}),
      ...(c.entries === undefined && entries ? { entries } : {}),
      ...(c.checkStrength === undefined ? { checkStrength: settings().get<string>('checkStrength', 'both') === 'unmapped' ? 'unmapped' : 'both' } : {}),
    };
  }

  /** Debug the Split Here: the walk's scenario and variant (else reused-partial under its own), stopped at the first step in `fn`. */
  private async debugHere(fn?: string): Promise<boolean> {
    const walk = this.parts.walk();
    // A what-if branch has no file for the launch to read until it is saved.
    if (walk?.origin.kind === 'branch') throw new Error(strings.debugSaveBranchFirst);
    // A built-in's id is its name, a file's its URI: both are what the launch's `scenario` takes.
    const scenario = walk ? walk.origin.id : 'reused-partial';
    const config: MmuDebugConfiguration = {
      type: DEBUG_TYPE,
      request: 'launch',
      name: strings.debugHereName(fn ?? SPLIT_FUNCTION),
      scenario,
      ...(walk ? { variant: walk.options.variant.name } : {}),
      stopAt: fn ?? SPLIT_FUNCTION,
    };
    return vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], config);
  }
}
