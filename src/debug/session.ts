/**
 * A walk as a debug session, speaking the Debug Adapter Protocol as plain JSON messages: requests
 * in through handle(), responses and events out through the `post` callback. No VS Code here: the
 * extension wraps it in an inline adapter (extension/debug.ts) and the unit tests drive it with
 * messages. The run is computed once at launch (Timeline); a position is "stopped before step p",
 * so a breakpoint on a statement stops before the step anchored there and the Variables view shows
 * the machine after step p - 1. docs/debugging.md says what each request does.
 */
import { parseScenario } from '../scenario/parse';
import { builtinScenario, builtinScenarioText, BUILTIN_SCENARIOS } from '../scenario/builtins';
import { parseVariant } from '../kernel/variants';
import { anchorIdOf, ANCHORS, type AnchorId } from '../kernel/anchors';
import { withEntries } from '../session/session';
import type { SourceFile } from '../anchor/anchor';
import type { Scenario } from '../scenario/types';
import type { Step } from '../model/step';
import { Timeline } from './timeline';
import { actorThreads, callStack, knownFunctions, threadOf } from './call_paths';
import { SourceMap } from './sources';
import { followPoint, type FollowPoint } from './follow';
import { childNamed, scopeNodes, type Kids, type Node, type Point } from './variables';
import { evaluate, ExprError } from './expr';
import { dataIdOf, findChanges, parseDataId, unwatchable, watchName, type WatchChange, type WatchTarget } from './watch';
import { CAPABILITIES, type DapBreakpoint, type DapMessage, type DapRequest, type DapStackFrame, type DapVariable, type ExceptionFilter } from './protocol';

export interface LaunchArguments {
  /** A built-in scenario's name, when no scenarioText is given. */
  scenario?: string;
  /** A scenario file's text (the front end reads the file), and its path for messages. */
  scenarioText?: string;
  scenarioPath?: string;
  /** A preset or a policy list (src/kernel/variants.ts); the scenario's own when absent. */
  variant?: string;
  flushMode?: 'scenario' | 'bare-metal' | 'range';
  /** Entries per table, for a scenario that does not say. */
  entries?: number;
  /** The reviewer's own kernel files (mmu.c, paging_tmpl.h, ...), anchored for frames and breakpoints. */
  sources?: SourceFile[];
  /** Stop before the first step (default true); else run to the first breakpoint. */
  stopOnEntry?: boolean;
  /** Stop first before the first step in this kernel function (Debug the Split Here), instead of the entry. */
  stopAt?: string;
  /** 'unmapped': only the stale-TLB check's unmapped strength (the setting kvmMmuLab.checkStrength). */
  checkStrength?: 'both' | 'unmapped';
}

interface Stop {
  reason: string;
  description?: string;
  text?: string;
  hitBreakpointIds?: number[];
  /** The step the stop is about when it is not the one about to run (a violation's, a data breakpoint's write): its thread is the one stopped. */
  step?: number;
}

/** A data breakpoint as set: its target, and the steps of the run that change the target's value (by step). */
interface DataBreakpoint {
  id: number;
  target: WatchTarget;
  changes: Map<number, WatchChange>;
}

/** What a frame id stands for, until the next stop. */
interface FrameRef {
  thread: number;
  /** The step whose stack the frame is part of. */
  step: number;
}

class SessionError extends Error {}

/** A kernel function as a call is written (`drop_large_spte()`, `FNAME(fetch)`); a hardware step's name ('page walk') as it is. */
function callName(fn: string): string {
  return fn.includes(' ') || fn.endsWith(')') ? fn : `${fn}()`;
}

const FRAME_STRIDE = 1000;

export class MmuDebugSession {
  private seq = 1;
  private timeline: Timeline | undefined;
  private sources = new SourceMap([]);
  private launchArgs: LaunchArguments | undefined;
  private pos = 0;
  private stopThread = 0;
  private stacks: string[][] = [];
  private lastOfOp = new Map<number, number>();
  /** Line breakpoints per source path: the anchors each covers, by breakpoint id. */
  private lineBreakpoints = new Map<string, Array<{ id: number; anchors: Set<AnchorId>; line: number }>>();
  private functionBreakpoints: Array<{ id: number; name: string }> = [];
  private filters = new Set<ExceptionFilter>();
  private dataBreakpoints: DataBreakpoint[] = [];
  private nextBreakpointId = 1;
  private refs = new Map<number, { kids: Kids; step: number }>();
  private frames = new Map<number, FrameRef>();

  constructor(private readonly post: (m: DapMessage) => void) {}

  /** One request in; its response (and any events) out through `post`, before this returns. */
  handle(req: DapRequest): void {
    try {
      const body = this.dispatch(req);
      this.respond(req, true, body);
    } catch (e) {
      const message = e instanceof SessionError || e instanceof ExprError || e instanceof Error ? e.message : String(e);
      this.respond(req, false, undefined, message);
    }
    this.afterResponse?.();
    this.afterResponse = undefined;
  }

  /** Answers a request the front end could not prepare (a launch whose files could not be read) with its error. */
  refuse(req: DapRequest, message: string): void {
    this.respond(req, false, undefined, message);
  }

  /** Events that must follow the response (a stop after `continue`, the first stop after configurationDone). */
  private afterResponse: (() => void) | undefined;

  private respond(req: DapRequest, success: boolean, body?: unknown, message?: string): void {
    this.post({ seq: this.seq++, type: 'response', request_seq: req.seq, success, command: req.command, ...(message ? { message } : {}), ...(body !== undefined ? { body } : {}) });
  }

  private event(event: string, body?: unknown): void {
    this.post({ seq: this.seq++, type: 'event', event, ...(body !== undefined ? { body } : {}) });
  }

  private dispatch(req: DapRequest): unknown {
    const args = (req.arguments ?? {}) as Record<string, unknown>;
    switch (req.command) {
      case 'initialize': return CAPABILITIES;
      case 'launch': this.launch(args as LaunchArguments); this.afterResponse = () => this.event('initialized'); return undefined;
      case 'setBreakpoints': return { breakpoints: this.setBreakpoints(args) };
      case 'setFunctionBreakpoints': return { breakpoints: this.setFunctionBreakpoints(args) };
      case 'dataBreakpointInfo': return this.dataBreakpointInfo(args);
      case 'setDataBreakpoints': return { breakpoints: this.setDataBreakpoints(args) };
      case 'setExceptionBreakpoints': this.filters = new Set(((args.filters as string[] | undefined) ?? []) as ExceptionFilter[]); return undefined;
      case 'configurationDone': this.afterResponse = () => this.start(); return undefined;
      case 'threads': return { threads: this.timeline ? actorThreads(this.timeline.scenario) : [] };
      case 'stackTrace': return this.stackTrace(args);
      case 'scopes': return this.scopes(args);
      case 'variables': return { variables: this.variables(args) };
      case 'evaluate': return this.evaluate(args);
      case 'continue': this.move(() => this.findStop(this.pos + 1, 1) ?? this.end()); return { allThreadsContinued: true };
      case 'reverseContinue': this.move(() => this.findStop(this.pos - 1, -1) ?? { pos: 0, stop: { reason: 'entry' } }); return undefined;
      case 'next': this.move(() => this.stepOver()); return undefined;
      case 'stepIn': this.move(() => this.walkTo(this.pos + 1, () => true)); return undefined;
      case 'stepOut': this.move(() => this.stepOut()); return undefined;
      case 'stepBack': this.move(() => this.stepBack()); return undefined;
      case 'pause': this.afterResponse = () => this.stopAt(this.pos, { reason: 'pause' }); return undefined;
      case 'restart': this.launch(this.launchArgs ?? {}); this.afterResponse = () => this.stopAt(0, { reason: 'entry' }); return undefined;
      case 'disconnect':
      case 'terminate': this.afterResponse = () => this.event('terminated'); return undefined;
      default: throw new SessionError(`the KVM MMU Lab debugger does not answer '${req.command}'`);
    }
  }

  private run(): Timeline {
    if (!this.timeline) throw new SessionError('no scenario is launched yet');
    return this.timeline;
  }

  // ---- launch

  private launch(args: LaunchArguments): void {
    const scenario = this.readScenario(args);
    const variant = parseVariant(args.variant || scenario.variant || 'v7');
    const flushMode = args.flushMode === 'bare-metal' || args.flushMode === 'range' ? args.flushMode : scenario.flushMode;
    const t = new Timeline(scenario, { variant, flushMode, splitYield: scenario.splitYield, checks: { permissions: args.checkStrength !== 'unmapped' }, maxSteps: 200_000 });
    this.timeline = t;
    this.launchArgs = args;
    this.sources = new SourceMap(args.sources ?? []);
    this.stacks = t.steps.map((s) => callStack(scenario, s));
    this.lastOfOp = new Map();
    t.steps.forEach((s, i) => this.lastOfOp.set(s.op, i));
    this.pos = 0;
    // Breakpoints set before a relaunch are resolved against the new sources.
    for (const [path, bps] of this.lineBreakpoints) for (const bp of bps) bp.anchors = new Set(this.sources.resolveLine(path, bp.line).ids);
    this.findDataChanges();
  }

  private readScenario(args: LaunchArguments): Scenario {
    if (args.scenarioText !== undefined) return parseScenario(withEntries(args.scenarioText, args.entries), args.scenarioPath ?? 'scenario');
    const name = args.scenario ?? '';
    const text = builtinScenarioText(name);
    if (text === undefined) throw new SessionError(`'${name}' is not a built-in scenario (the built-ins: ${BUILTIN_SCENARIOS.join(', ')}); give a scenario file's path as "scenario" in the launch configuration`);
    return args.entries ? parseScenario(withEntries(text, args.entries), `builtin:${name}`) : builtinScenario(name)!;
  }

  // ---- breakpoints

  private setBreakpoints(args: Record<string, unknown>): DapBreakpoint[] {
    const source = args.source as { path?: string; name?: string } | undefined;
    const path = source?.path ?? source?.name ?? '';
    const lines = ((args.breakpoints as Array<{ line: number }> | undefined) ?? []).map((b) => b.line);
    const out: DapBreakpoint[] = [];
    const kept: Array<{ id: number; anchors: Set<AnchorId>; line: number }> = [];
    for (const line of lines) {
      const r = this.sources.resolveLine(path, line);
      const id = this.nextBreakpointId++;
      kept.push({ id, anchors: new Set(r.ids), line });
      out.push({ id, verified: r.ids.length > 0, line: r.line, source: { name: path.split(/[\\/]/).pop() ?? path, path }, ...(r.message ? { message: r.message } : {}) });
    }
    this.lineBreakpoints.set(path, kept);
    return out;
  }

  private setFunctionBreakpoints(args: Record<string, unknown>): DapBreakpoint[] {
    const names = ((args.breakpoints as Array<{ name: string }> | undefined) ?? []).map((b) => b.name.trim().replace(/\(\)$/, ''));
    const known = knownFunctions();
    for (const a of Object.values(ANCHORS)) known.add(a.fn);
    this.functionBreakpoints = [];
    return names.map((name) => {
      const id = this.nextBreakpointId++;
      if (!known.has(name)) return { id, verified: false, message: `the model steps through no function named ${name}; it knows ${[...known].filter((f) => !f.includes(' ')).sort().slice(0, 12).join(', ')}, ...` };
      this.functionBreakpoints.push({ id, name });
      return { id, verified: true };
    });
  }

  /**
   * Why the debugger stops at position p, if it does: breakpoints before their step, a violation
   * after its step. A data breakpoint stops after the step that changes its value going forward
   * (dir 1), and before it going back (dir -1): where the change is about to be made, as a reverse
   * debugger stops at the write.
   */
  private stopsAt(p: number, dir: 1 | -1 = 1): Stop | undefined {
    const steps = this.run().steps;
    const data = this.dataStop(dir > 0 ? p - 1 : p);
    if (data) return data;
    if (p < steps.length) {
      const step = steps[p];
      const id = anchorIdOf(step.anchor);
      const hits = id ? [...this.lineBreakpoints.values()].flat().filter((b) => b.anchors.has(id)).map((b) => b.id) : [];
      if (hits.length) return { reason: 'breakpoint', hitBreakpointIds: hits };
      const entered = this.functionBreakpoints.filter((b) => this.stacks[p].includes(b.name) && !this.previousOfOp(p)?.includes(b.name));
      if (entered.length) return { reason: 'function breakpoint', hitBreakpointIds: entered.map((b) => b.id) };
      if (this.filters.has('skipped-flush') && step.kind === 'flush-skipped') return { reason: 'exception', description: 'Skipped flush', text: `${step.flush?.call ?? 'flush'} skipped${step.flush?.reason ? `: ${step.flush.reason}` : ''}` };
      if (this.filters.has('mmu-lock-release') && p > 0 && steps[p - 1].lockHeld && !step.lockHeld) return { reason: 'exception', description: 'mmu_lock release', text: `${step.anchor.fn}() releases mmu_lock: ${step.text}` };
    }
    if (this.filters.has('violation') && p > 0 && steps[p - 1].violations.length) {
      const v = steps[p - 1].violations[0];
      return { reason: 'exception', description: `Violation: ${v.kind}`, text: v.message };
    }
    return undefined;
  }

  /** The stack of the same operation's step before p, if it has one. */
  private previousOfOp(p: number): string[] | undefined {
    const steps = this.run().steps;
    for (let k = p - 1; k >= 0; k--) if (steps[k].op === steps[p].op) return this.stacks[k];
    return undefined;
  }

  // ---- data breakpoints

  /** What a data breakpoint on a variable (`name` in the container `variablesReference`) or an expression (`name`) would watch. */
  private dataBreakpointInfo(args: Record<string, unknown>): { dataId: string | null; description: string; accessTypes?: string[]; canPersist?: boolean } {
    const name = String(args.name ?? '');
    if (args.asAddress) return { dataId: null, description: `the model has no memory addresses to watch; watch an SPTE (sp#N.spt[i]) or a TLB entry (tlb(vcpu, addr)) by name` };
    let node: Node | undefined;
    const container = Number(args.variablesReference ?? 0);
    if (container > 0) {
      const ref = this.refs.get(container);
      if (!ref) return { dataId: null, description: `no variables under reference ${container} at this stop` };
      node = childNamed(ref.kids, this.pointAt(this.pos, ref.step), name);
      if (!node) return { dataId: null, description: `no variable named ${name} there at this stop` };
    } else {
      try {
        node = evaluate(name, this.pointAt(this.pos, this.frameStep(args.frameId)));
      } catch (e) {
        return { dataId: null, description: `${name} cannot be watched: ${(e as Error).message}` };
      }
    }
    if (!node.watch) return { dataId: null, description: `${name} cannot be watched: only an SPTE (sp#N.spt[i], *huge_sptep) or what a vCPU's TLB holds for an address (tlb(vcpu, addr), a TLB's tlb#N) can` };
    const what = watchName(node.watch);
    return { dataId: dataIdOf(node.watch), description: what === name ? what : `${name} (${what})`, accessTypes: ['write'], canPersist: false };
  }

  /** Replaces the whole set; each is verified when its dataId names something this run can watch, by writes. */
  private setDataBreakpoints(args: Record<string, unknown>): DapBreakpoint[] {
    const asked = (args.breakpoints as Array<{ dataId?: unknown; accessType?: unknown }> | undefined) ?? [];
    const out: DapBreakpoint[] = [];
    this.dataBreakpoints = [];
    for (const b of asked) {
      const id = this.nextBreakpointId++;
      const target = parseDataId(String(b.dataId ?? ''));
      const access = b.accessType ?? 'write';
      if (!target) out.push({ id, verified: false, message: `${String(b.dataId)} is not a data breakpoint id this session gave; ask dataBreakpointInfo for an SPTE or a TLB entry` });
      else if (access !== 'write') out.push({ id, verified: false, message: `only writes are watched (accessType 'write'): the model records what each step changes, not what it reads` });
      else {
        this.dataBreakpoints.push({ id, target, changes: new Map() });
        out.push({ id, verified: true });
      }
    }
    const refused = this.findDataChanges();
    for (const [id, message] of refused) Object.assign(out.find((b) => b.id === id)!, { verified: false, message });
    return out;
  }

  /** Finds each data breakpoint's changes in one replay; drops (and returns, by id) those the run cannot watch. */
  private findDataChanges(): Map<number, string> {
    const refused = new Map<number, string>();
    if (!this.timeline || !this.dataBreakpoints.length) return refused;
    const { changes, spCount } = findChanges(this.timeline, this.dataBreakpoints.map((b) => b.target));
    const s = this.timeline.at(0).state;
    this.dataBreakpoints.forEach((b, i) => {
      const why = unwatchable(b.target, s, spCount);
      if (why) refused.set(b.id, why);
      b.changes = new Map(changes[i].map((c) => [c.step, c]));
    });
    this.dataBreakpoints = this.dataBreakpoints.filter((b) => !refused.has(b.id));
    return refused;
  }

  /** The stop for the data breakpoints whose value step k changes, if any: what changed, from what to what, and which step did it. */
  private dataStop(k: number): Stop | undefined {
    if (k < 0 || k >= this.run().length || !this.dataBreakpoints.length) return undefined;
    const hit = this.dataBreakpoints.filter((b) => b.changes.has(k));
    if (!hit.length) return undefined;
    const step = this.run().steps[k];
    const what = hit.map((b) => { const c = b.changes.get(k)!; return `${watchName(b.target)}: '${c.old}' -> '${c.now}'`; }).join('; ');
    const fn = callName(step.anchor.fn);
    return { reason: 'data breakpoint', description: `${what}, by step ${k} in ${fn}`, text: `step ${k}, ${fn}: ${step.text}`, hitBreakpointIds: hit.map((b) => b.id), step: k };
  }

  // ---- moving

  private findStop(from: number, dir: 1 | -1): { pos: number; stop: Stop } | undefined {
    for (let p = from; p >= 0 && p <= this.run().length; p += dir) {
      const stop = this.stopsAt(p, dir);
      if (stop) return { pos: p, stop };
    }
    return undefined;
  }

  private end(): { pos: number; stop: Stop } {
    return { pos: this.run().length, stop: { reason: 'end', description: 'End of the run', text: `the run ended after ${this.run().length} steps; step back or reverse-continue to go back` } };
  }

  /** Forward from `from` to the first position where `want` holds, stopping at any breakpoint on the way. */
  private walkTo(from: number, want: (p: number) => boolean): { pos: number; stop: Stop } {
    for (let p = from; p < this.run().length; p++) {
      const stop = this.stopsAt(p);
      if (stop) return { pos: p, stop };
      if (want(p)) return { pos: p, stop: { reason: 'step' } };
    }
    return this.end();
  }

  /** The step the position is about: the one about to run, or the last at the end. */
  private current(): number {
    return Math.min(this.pos, this.run().length - 1);
  }

  private stepOver(): { pos: number; stop: Stop } {
    return this.stepToDepth(0);
  }

  private stepOut(): { pos: number; stop: Stop } {
    return this.stepToDepth(-1);
  }

  /**
   * Forward to the current operation's next step whose stack is at most `delta` frames deeper
   * than now (0: step over, in this function or its callers; -1: step out, in a caller only).
   * The operation's last step steps into whatever runs next.
   */
  private stepToDepth(delta: number): { pos: number; stop: Stop } {
    const steps = this.run().steps;
    const k = this.current();
    if (k < 0) return this.end();
    const op = steps[k].op;
    const depth = this.stacks[k].length + delta;
    const last = this.lastOfOp.get(op)!;
    return this.walkTo(this.pos + 1, (p) => p > last || (steps[p].op === op && this.stacks[p].length <= depth));
  }

  /** Step back; a data breakpoint whose value one of the steps undone changed stops at the last such step, before it. */
  private stepBack(): { pos: number; stop: Stop } {
    const to = this.stepBackTarget();
    for (let k = this.pos - 1; k >= to.pos; k--) {
      const data = this.dataStop(k);
      if (data) return { pos: k, stop: data };
    }
    return to;
  }

  /** The reverse of step over: the same operation's previous step at this depth or shallower, else the step before. */
  private stepBackTarget(): { pos: number; stop: Stop } {
    if (this.pos === 0) return { pos: 0, stop: { reason: 'entry' } };
    const steps = this.run().steps;
    const k = this.current();
    const op = steps[k].op;
    const depth = this.stacks[k].length;
    for (let p = this.pos - 1; p >= 0; p--) if (steps[p].op === op && this.stacks[p].length <= depth) return { pos: p, stop: { reason: 'step' } };
    return { pos: this.pos - 1, stop: { reason: 'step' } };
  }

  private move(to: () => { pos: number; stop: Stop }): void {
    const { pos, stop } = to();
    this.afterResponse = () => this.stopAt(pos, stop);
  }

  private start(): void {
    const t = this.run();
    const fn = this.launchArgs?.stopAt;
    if (fn) {
      const at = this.stacks.findIndex((s) => s.includes(fn));
      if (at >= 0) return this.stopAt(at, { reason: 'entry', description: `Before the first step in ${fn}` });
      this.event('output', { category: 'console', output: `The run never enters ${fn}(); stopped before its first step.\n` });
      return this.stopAt(0, { reason: 'entry' });
    }
    if (this.launchArgs?.stopOnEntry === false) {
      const { pos, stop } = this.findStop(0, 1) ?? this.end();
      this.stopAt(pos, stop);
    } else {
      this.stopAt(0, t.length ? { reason: 'entry' } : this.end().stop);
    }
  }

  private stopAt(pos: number, { step, ...stop }: Stop): void {
    const t = this.run();
    this.pos = pos;
    this.refs.clear();
    this.frames.clear();
    const k = step ?? (stop.reason === 'exception' && stop.description?.startsWith('Violation') ? pos - 1 : this.current());
    this.stopThread = k >= 0 ? threadOf(t.scenario, t.steps[k]) : actorThreads(t.scenario)[0].id;
    this.event('stopped', { ...stop, threadId: this.stopThread, allThreadsStopped: true });
  }

  // ---- inspecting

  /** The step a thread shows at the current position: the one about to run if it is the thread's, else its next step when its operation has started (it is paused there). */
  private threadStep(thread: number): number | undefined {
    const t = this.run();
    const steps = t.steps;
    if (this.pos >= steps.length) return thread === this.stopThread && steps.length ? steps.length - 1 : undefined;
    for (let p = this.pos; p < steps.length; p++) {
      if (threadOf(t.scenario, steps[p]) !== thread) continue;
      if (p === this.pos) return p;
      const started = steps.slice(0, this.pos).some((s) => s.op === steps[p].op);
      return started ? p : undefined;
    }
    return undefined;
  }

  private stackTrace(args: Record<string, unknown>): { stackFrames: DapStackFrame[]; totalFrames: number } {
    const thread = Number(args.threadId);
    const k = this.threadStep(thread);
    if (k === undefined) return { stackFrames: [], totalFrames: 0 };
    const step = this.run().steps[k];
    const stack = this.stacks[k];
    const frames: DapStackFrame[] = [];
    for (let d = stack.length - 1; d >= 0; d--) {
      const fn = stack[d];
      const id = thread * FRAME_STRIDE + (stack.length - 1 - d);
      this.frames.set(id, { thread, step: k });
      const loc = d === stack.length - 1 ? this.sources.stepLocation(step) ?? this.sources.callLocation(fn, '\u0000') : this.sources.callLocation(fn, stack[d + 1]);
      const top = d === stack.length - 1;
      const name = top && !loc ? `${fn}: ${step.anchor.stmt}` : fn;
      frames.push(loc ? { id, name, line: loc.line, column: 1, endLine: loc.endLine, source: loc.source } : { id, name, line: 0, column: 0, presentationHint: 'subtle' });
    }
    const start = Number(args.startFrame ?? 0);
    const levels = Number(args.levels ?? 0);
    return { stackFrames: levels > 0 ? frames.slice(start, start + levels) : frames.slice(start), totalFrames: frames.length };
  }

  /** The step a frame id stands for (the stopped thread's when the id is unknown or absent). */
  private frameStep(frameId: unknown): number {
    const f = this.frames.get(Number(frameId));
    return f ? f.step : this.threadStep(this.stopThread) ?? this.current();
  }

  private pointAt(pos: number, k: number): Point {
    const t = this.run();
    if (k < 0) return { snap: t.at(pos) };
    return { snap: t.at(pos), frame: t.frameAt(pos, t.steps[k].op), stack: this.stacks[k] };
  }

  private register(kids: Kids, step: number): number {
    const ref = this.refs.size + 1;
    this.refs.set(ref, { kids, step });
    return ref;
  }

  private scopes(args: Record<string, unknown>): unknown {
    const k = this.frameStep(args.frameId);
    return { scopes: scopeNodes().map((n) => ({ name: n.name, variablesReference: this.register(n.kids!, k), expensive: n.name !== 'Locals' })) };
  }

  private toVariable(n: Node, p: Point, k: number, changed: boolean): DapVariable {
    const v: DapVariable = { name: n.name, value: n.value, variablesReference: n.kids ? this.register(n.kids, k) : 0 };
    if (n.evaluateName) v.evaluateName = n.evaluateName;
    if (n.kids?.kind === 'indexed') v.indexedVariables = n.kids.count(p);
    if (changed) v.presentationHint = { attributes: ['changed'] };
    return v;
  }

  /** A container's children at the current position, each marked when its value differs from the position before. */
  private variables(args: Record<string, unknown>): DapVariable[] {
    const ref = this.refs.get(Number(args.variablesReference));
    if (!ref) throw new SessionError(`no variables under reference ${String(args.variablesReference)} at this stop`);
    const { kids, step: op } = ref;
    const p = this.pointAt(this.pos, op);
    const prev = this.pos > 0 ? this.pointAt(this.pos - 1, op) : undefined;
    if (kids.kind === 'named') {
      const now = kids.of(p);
      const before = prev ? new Map(kids.of(prev).map((n) => [n.name, n.value])) : undefined;
      return now.map((n) => this.toVariable(n, p, op, !!before && before.get(n.name) !== n.value));
    }
    const count = kids.count(p);
    const start = Math.max(0, Number(args.start ?? 0));
    const end = Math.min(count, start + (args.count ? Number(args.count) : count));
    const prevCount = prev ? kids.count(prev) : 0;
    const out: DapVariable[] = [];
    for (let i = start; i < end; i++) {
      const n = kids.item(p, i);
      const changed = !!prev && (i >= prevCount || kids.item(prev, i).value !== n.value);
      out.push(this.toVariable(n, p, op, changed));
    }
    return out;
  }

  private evaluate(args: Record<string, unknown>): unknown {
    const k = this.frameStep(args.frameId);
    const p = this.pointAt(this.pos, k);
    const n = evaluate(String(args.expression ?? ''), p);
    return { result: n.value, variablesReference: n.kids ? this.register(n.kids, k) : 0, ...(n.kids?.kind === 'indexed' ? { indexedVariables: n.kids.count(p) } : {}) };
  }

  /** What the walk panel shows for where the session stands (src/debug/follow.ts); undefined before a launch. */
  follow(): FollowPoint | undefined {
    const t = this.timeline;
    return t ? followPoint({ scenario: t.scenario, options: t.options }, this.pos, t.length) : undefined;
  }

  /** For tests and the glue: where the session stands. */
  get position(): { pos: number; total: number; step?: Step } {
    const t = this.run();
    return { pos: this.pos, total: t.length, ...(this.pos < t.length ? { step: t.steps[this.pos] } : {}) };
  }
}
