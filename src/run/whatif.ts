/**
 * What-if: at a step of a scenario's walk, the events that could come next, and the scenario that
 * branches there. The events are the explorer's kinds (src/explore/model.ts candidateActions): a
 * guest access by a vCPU through a root to a page, read or write; a KVM operation of the kinds the
 * scenario runs; the resumption of a paused one; an mmu-notifier invalidation. They are drawn from
 * the scenario's own roots, vCPUs, memslots and pages, not from the explorer's scope.
 *
 * A branch is the scenario's operations up to the one the step belongs to, with the operation
 * running at the step paused there (`{ "afterSteps": n }`), then the chosen event; operations
 * still paused at its end finish, as the runner finishes them. The runner decides what the locks
 * allow (src/machine/locks.ts, docs/locking.md): an event it refuses is offered disabled with its
 * reason. docs/what-if.md has the rules.
 */
import { hex } from '../kernel/geometry';
import { holdsLock } from '../machine/locks';
import { ModelInputError } from '../model/errors';
import type { Step } from '../model/step';
import { parseJsonc, valueOf } from '../scenario/jsonc';
import { parseScenario, ScenarioError } from '../scenario/parse';
import type { Scenario, ScenarioOp } from '../scenario/types';
import { ScenarioRun, ScenarioRunError, type RunOptions } from './runner';

type Json = Record<string, unknown>;

export type WhatIfKind = 'continue' | 'access' | 'start' | 'resume';

export interface WhatIfChoice {
  /** 1-based, as the CLI numbers them. */
  number: number;
  kind: WhatIfKind;
  /** In kernel words: "vCPU 0 writes L2 gfn 0x40300 via root B". */
  label: string;
  /** The scenario-file operation it is (null for 'continue': the scenario as written). */
  op: Json | null;
  /** Why the runner refuses it here (a lock, mostly); absent when it may run. */
  disabled?: string;
}

export interface WhatIfPoint {
  /** The step the choices follow (0-based, as the trace numbers steps). */
  at: number;
  /** The step itself. */
  step: Step;
  /** Set when only the operation running at the step can continue (it holds mmu_lock), and why. */
  onlyContinue?: string;
  choices: WhatIfChoice[];
}

/** Bad input to what-if (a step out of range, a choice that is not offered): the CLI's exit 2. */
export class WhatIfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WhatIfError';
  }
}

/** A scenario with the JSON of its file, whose operations the branch copies as the author wrote them. */
export interface WhatIfSource {
  scenario: Scenario;
  file: Json;
}

export function whatIfSource(text: string, fileName: string): WhatIfSource {
  const scenario = parseScenario(text, fileName);
  const file = valueOf(parseJsonc(text)) as Json;
  const ops = file.operations as Json[];
  if (!Array.isArray(ops) || ops.length !== scenario.operations.length) throw new Error(`internal: ${fileName}'s operations do not match the parsed ones`);
  return { scenario, file };
}

/** Run the scenario to the end of step `at`; the run and the steps so far. */
function runTo(s: Scenario, options: RunOptions, at: number): { run: ScenarioRun; steps: Step[] } {
  const run = new ScenarioRun(s, { ...options, until: undefined });
  for (let i = 0; i <= at; i++) {
    if (!run.step()) throw new WhatIfError(`step ${at} is out of range: the walk of ${s.name} has ${run.machine.stepCount} steps (0 to ${run.machine.stepCount - 1})`);
  }
  return { run, steps: run.machine.steps };
}

/** The id the runner pauses an operation under. */
function idOf(s: Scenario, opIndex: number): string {
  return s.operations[opIndex].id ?? String(opIndex);
}

/**
 * Why nothing but the running operation may come next, or null. A step inside a section under
 * mmu_lock: every other KVM path spins in write_lock() (a fault, another ioctl, the notifier), and
 * the explorer offers only its next step there. A fault of an access runs whole in a scenario
 * (an access pauses only at "walked"), and so does the retry of an access whose fault just ended.
 */
function onlyContinue(run: ScenarioRun): { reason: string; accesses: boolean } | null {
  const snap = run.snapshot();
  const state = run.machine.state;
  const cur = snap.current;
  if (cur && cur.kind === 'fault') return { reason: `${cur.label} runs to its end in a scenario (an access pauses only at "walked", after its guest walk): only it can continue`, accesses: false };
  if (snap.pending) return { reason: `the access of operation #${snap.pending.opIndex} is retried next (the vCPU re-enters the guest); a scenario has no point between a fault's end and the retry`, accesses: false };
  // A guest access that the TLB or the shadow tables serve takes no lock, so it may still come (the
  // explorer offers accesses there too); one that faults would wait for mmu_lock, and the runner refuses it.
  if (cur && holdsLock(cur, state, 'mmu_lock')) return { reason: `${cur.label} holds mmu_lock here (docs/locking.md): every other KVM path waits in write_lock(), so of KVM only it can continue, as in the kernel; a guest access that does not fault needs no lock`, accesses: true };
  if (state.mmuLockHeld) return { reason: 'mmu_lock is held here: of KVM only the holder can continue, as in the kernel; a guest access that does not fault needs no lock', accesses: true };
  return null;
}

/**
 * The file's operations up to the point of the run: those already started, with the one running
 * at the step paused after the steps it has run (on the entry that started or last resumed it, or
 * a resume of it when the runner was finishing it at the scenario's end).
 */
function prefixOps(src: WhatIfSource, run: ScenarioRun): Json[] {
  const snap = run.snapshot();
  const ops = (src.file.operations as Json[]).slice(0, snap.next).map((o) => ({ ...o }));
  const cur = snap.current;
  if (!cur) return ops;
  const pause = { afterSteps: cur.stepsRun };
  const last = ops[ops.length - 1];
  const s = src.scenario;
  const lastOp: ScenarioOp | undefined = s.operations[snap.next - 1];
  const startedIt = lastOp && lastOp.op !== 'resume' && snap.next - 1 === cur.opIndex;
  const resumedIt = lastOp && lastOp.op === 'resume' && lastOp.target === idOf(s, cur.opIndex);
  if (snap.next < s.operations.length || startedIt || resumedIt) {
    if (!startedIt && !resumedIt) throw new Error(`internal: ${cur.label} runs, but operation #${snap.next - 1} neither started nor resumed it`);
    last.pause = pause;
  } else {
    ops.push({ op: 'resume', target: idOf(s, cur.opIndex), pause });
  }
  return ops;
}

/** The gfns the scenario names: its mappings' first pages (and the next huge page's), its accesses' and invalidations' pages. */
function pagesOf(s: Scenario): number[] {
  const e = s.entries;
  const gfns = new Set<number>();
  for (const r of s.roots) {
    for (const m of r.mappings) {
      const size = e ** (m.level - 1);
      for (const off of [0, 1, e, e + 1]) if (off < size) gfns.add(m.gfn + off);
    }
  }
  for (const op of s.operations) {
    if (op.op === 'invalidate') gfns.add(op.gfn);
    if (op.op === 'access') {
      const g = l2ToGfn(s, op.root, op.addr);
      if (g !== null) gfns.add(g);
    }
  }
  return [...gfns].sort((a, b) => a - b);
}

function l2ToGfn(s: Scenario, root: string, l2: number): number | null {
  const r = s.roots.find((x) => x.name === root);
  for (const m of r?.mappings ?? []) {
    const size = s.entries ** (m.level - 1);
    if (l2 >= m.l2 && l2 < m.l2 + size) return m.gfn + (l2 - m.l2);
  }
  return null;
}

function gfnToL2(s: Scenario, root: string, gfn: number): number | null {
  const r = s.roots.find((x) => x.name === root)!;
  for (const m of r.mappings) {
    const size = s.entries ** (m.level - 1);
    if (gfn >= m.gfn && gfn < m.gfn + size) return m.l2 + (gfn - m.gfn);
  }
  return null;
}

const IOCTL_WORDS: Record<string, (o: Json) => string> = {
  'enable-dirty-logging': (o) => `KVM_SET_USER_MEMORY_REGION: KVM_MEM_LOG_DIRTY_PAGES on slot ${o.slot ?? 0}${o.manualProtect ? ' (manual-protect' + (o.initiallySet ? ', initially-set)' : ')') : ''}`,
  'clear-dirty-log': (o) => `KVM_CLEAR_DIRTY_LOG on slot ${o.slot ?? 0}: ${String(o.pages)} pages from gfn ${String(o.first)}${Array.isArray(o.except) && o.except.length ? `, except ${o.except.map(String).join(', ')}` : ''}`,
  'get-dirty-log': (o) => `KVM_GET_DIRTY_LOG on slot ${o.slot ?? 0}`,
  invalidate: (o) => `mmu-notifier invalidation of gfn ${String(o.gfn)}${o.pages !== undefined && Number(o.pages) !== 1 ? ` (${String(o.pages)} pages)` : ''}: kvm_unmap_gfn_range(), then the host frees the page${o.pages !== undefined && Number(o.pages) !== 1 ? 's' : ''}`,
  'guest-table-write': (o) => `${o.by === 'guest' ? `vCPU ${String(o.vcpu)} stores to` : 'the VMM writes'} guest table ${String(o.table)} entry ${String(o.index)}`,
  'delete-memslot': (o) => `KVM_SET_USER_MEMORY_REGION with size 0: delete memslot ${String(o.slot)}`,
};

/** An operation of the file as a new event: its id, pause and comment dropped. */
function bare(o: Json): Json {
  return without(o, ['id', 'pause', 'comment']);
}

function without(o: Json, keys: readonly string[]): Json {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

/** Every event that may be offered after the step, before the runner's verdict on each. */
function candidates(src: WhatIfSource, run: ScenarioRun): Array<Omit<WhatIfChoice, 'number'>> {
  const s = src.scenario;
  const out: Array<Omit<WhatIfChoice, 'number'>> = [];
  const snap = run.snapshot();
  if (!run.finished) out.push({ kind: 'continue', label: `continue as written: ${snap.current ? `${snap.current.label}'s next step` : nextAsWritten(s, snap.next)}`, op: null });
  const pages = pagesOf(s);
  for (const kind of ['write', 'read'] as const) {
    for (let vcpu = 0; vcpu < s.vcpus; vcpu++) {
      for (const r of s.roots) {
        for (const gfn of pages) {
          const l2 = gfnToL2(s, r.name, gfn);
          if (l2 === null) continue;
          out.push({ kind: 'access', label: `vCPU ${vcpu} ${kind}s L2 gfn ${hex(l2)} (gfn ${hex(gfn)}) via root ${r.name}`, op: { op: 'access', vcpu, root: r.name, addr: hex(l2), kind } });
        }
      }
    }
  }
  const seen = new Set<string>();
  const start = (o: Json) => {
    const key = JSON.stringify(o);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ kind: 'start', label: IOCTL_WORDS[o.op as string](o), op: o });
  };
  const fileOps = src.file.operations as Json[];
  for (const o of fileOps) if (o.op !== 'access' && o.op !== 'resume' && o.op !== 'invalidate') start(bare(o));
  // Invalidations of every page the scenario names, one page each, as the explorer's menu has them.
  for (const gfn of pages) start({ op: 'invalidate', gfn: hex(gfn), pages: 1 });
  for (const [id, f] of snap.paused) out.push({ kind: 'resume', label: `resume ${f.label} (paused as ${JSON.stringify(id)}, before its step '${f.pc}')`, op: { op: 'resume', target: id } });
  return out;
}

function nextAsWritten(s: Scenario, next: number): string {
  const op = s.operations[next];
  return op ? `operation #${next} ${op.op}` : 'the paused operations finish';
}

/** The runner's message without its "operation N (line L): " prefix. */
function reasonOf(e: Error): string {
  return e.message.replace(/^operation \d+(?: \(line \d+\))?: /, '');
}

/** The steps of the prefix run must be the walk's steps: the cut replays the walk exactly. */
function sameSteps(a: readonly Step[], b: readonly Step[], upTo: number): boolean {
  for (let i = 0; i <= upTo; i++) {
    if (a[i].kind !== b[i].kind || a[i].op !== b[i].op || a[i].text !== b[i].text) return false;
  }
  return true;
}

/** The cut alone (the file's operations up to the step), parsed as a file like any other. */
function prefixScenario(src: WhatIfSource, ops: Json[]): Scenario {
  return parseScenario(JSON.stringify({ ...withoutSchema(src.file), operations: ops }), `${src.scenario.name} (cut)`);
}

/** The file's fields a branch keeps: not its $schema path (relative to where it was), not its expectations (the original's). */
function withoutSchema(file: Json): Json {
  return without(file, ['$schema', 'expect']);
}

/**
 * The choices after step `at` of the scenario's run. Each enabled choice's first step was run (on
 * a copy of the run at the cut); a choice the runner refuses there carries the runner's reason.
 */
export function whatIfChoices(src: WhatIfSource, options: RunOptions, at: number): WhatIfPoint {
  if (!Number.isInteger(at) || at < 0) throw new WhatIfError(`--at must be a step number, 0 or more; got ${at}`);
  const { run, steps } = runTo(src.scenario, options, at);
  const step = steps[at];
  const only = onlyContinue(run);
  if (only !== null && !only.accesses) {
    return { at, step, onlyContinue: only.reason, choices: [{ number: 1, kind: 'continue', label: `continue as written: ${run.snapshot().current?.label ?? 'the access'}'s next step`, op: null }] };
  }
  const ops = prefixOps(src, run);
  const cut = prefixScenario(src, ops);
  const prefix = runTo(cut, options, at);
  if (!sameSteps(prefix.steps, steps, at)) throw new Error(`internal: cutting ${src.scenario.name} after step ${at} does not replay its walk`);
  const snap = prefix.run.snapshot();
  const dead = run.machine.state.vmBuggedAt >= 0;
  const offered = candidates(src, run).filter((c) => only === null || c.kind === 'continue' || c.kind === 'access');
  const choices = offered.map((c, i): WhatIfChoice => {
    const choice: WhatIfChoice = { number: i + 1, ...c };
    if (c.kind === 'continue') return choice;
    // A bugged VM (kvm_vm_dead()) runs no vCPU and no VM ioctl; the notifier and the VMM's writes still come.
    if (dead && !(c.op!.op === 'invalidate' || (c.op!.op === 'guest-table-write' && c.op!.by === 'vmm'))) return { ...choice, disabled: 'the VM is bugged (KVM_BUG_ON_DATA_CORRUPTION(): kvm_vm_dead()): no vCPU runs and no VM ioctl is accepted' };
    const reason = refusal(src, ops, c.op!, options, snap);
    return reason === null ? choice : { ...choice, disabled: reason };
  });
  return only ? { at, step, onlyContinue: only.reason, choices } : { at, step, choices };
}

/** Run the event's first step on the cut's state; the runner's reason when it refuses it. */
function refusal(src: WhatIfSource, ops: Json[], event: Json, options: RunOptions, snap: ReturnType<ScenarioRun['snapshot']>): string | null {
  let s: Scenario;
  try {
    s = parseScenario(JSON.stringify({ ...withoutSchema(src.file), operations: [...ops, event] }), `${src.scenario.name} (what-if)`);
  } catch (e) {
    // The reader's checks of what the model cannot mean (a second enable on a memslot, say): the reason without the file position.
    if (e instanceof ScenarioError) return e.problems.map((p) => p.message).join('; ');
    throw e;
  }
  const run = new ScenarioRun(s, { ...options, until: undefined });
  run.restore(snap);
  try {
    run.step();
  } catch (e) {
    if (e instanceof ScenarioRunError || e instanceof ModelInputError) return reasonOf(e);
    throw e;
  }
  return null;
}

/** The branched scenario's file (as JSON): the cut's operations, then the event. */
export interface WhatIfBranch {
  file: Json;
  text: string;
  scenario: Scenario;
}

/**
 * The scenario that branches after step `at` with choice `number` (1-based). 'continue' gives the
 * scenario as written. The file keeps the author's fields and operations; its expectations are
 * dropped (they were the original's), and its description says where it branched.
 */
export function whatIfBranch(src: WhatIfSource, options: RunOptions, at: number, number: number): WhatIfBranch {
  const point = whatIfChoices(src, options, at);
  const c = point.choices.find((x) => x.number === number);
  if (!c) throw new WhatIfError(`choice ${number} is not offered after step ${at}: choose 1 to ${point.choices.length}`);
  if (c.disabled) throw new WhatIfError(`choice ${number} (${c.label}) cannot come after step ${at}: ${c.disabled}`);
  if (c.kind === 'continue') {
    const text = JSON.stringify(withoutSchema(src.file), null, 2) + '\n';
    return { file: src.file, text, scenario: src.scenario };
  }
  const { run } = runTo(src.scenario, options, at);
  const ops = prefixOps(src, run);
  const s = src.scenario;
  const file: Json = {
    ...withoutSchema(src.file),
    name: `${s.name}-whatif-${at}-${number}`,
    title: `${s.title}: what if, after step ${at}, ${c.label}`,
    description: `Branched from ${s.name} after step ${at} of its walk (kvm-mmu-lab whatif --at ${at} --choose ${number}): its operations up to there, the one running at that step paused after the steps it had run, then ${c.label}. Operations still paused at the end finish.`,
    operations: [...ops, c.op],
  };
  const text = JSON.stringify(file, null, 2) + '\n';
  return { file, text, scenario: parseScenario(text, `${file.name as string}.scenario.json`) };
}

