/**
 * A counterexample as a scenario file: the explorer's actions become scenario operations, and the
 * points where the explorer left an operation for others become `pause` / `resume` pairs, so that
 * `kvm-mmu-lab run` (and the extension's walkthrough) replay it step by step to the same violation.
 */
import type { OpFrame } from '../model/frames';
import type { Violation, ViolationKind } from '../model/step';
import { apply, RESUME_BASE, rootNode, STEP, type Node } from './model';
import type { Bound, MenuAction } from './scope';
import { makeScope } from './scope';
import type { Variant } from '../kernel/variants';
import { ACC_EXEC_MASK, ACC_USER_MASK, ACC_WRITE_MASK } from '../kernel/spte';
import type { GuestPte } from '../model/state';
import type { Scenario } from '../scenario/types';

type Json = Record<string, unknown>;

function hexs(n: number): string {
  return '0x' + n.toString(16);
}

function clearOp(a: Extract<MenuAction, { t: 'clear' }>): Json {
  const first = Math.floor(a.gfns[0] / 64) * 64;
  const last = a.gfns[a.gfns.length - 1];
  const set = new Set(a.gfns);
  const except: number[] = [];
  for (let g = first; g <= last; g++) if (!set.has(g)) except.push(g);
  return { op: 'clear-dirty-log', slot: 0, first, pages: last - first + 1, ...(except.length ? { except } : {}) };
}

function menuOp(a: MenuAction): Json {
  switch (a.t) {
    case 'access': return { op: 'access', vcpu: a.vcpu, root: a.root, addr: a.addr, kind: a.kind };
    case 'enable': return { op: 'enable-dirty-logging', slot: 0, manualProtect: a.manualProtect, initiallySet: a.initiallySet };
    case 'clear': return clearOp(a);
    case 'get': return { op: 'get-dirty-log', slot: 0 };
    case 'invalidate': return { op: 'invalidate', gfn: hexs(a.gfn), pages: 1 };
    case 'delete-memslot': return { op: 'delete-memslot', slot: a.slot };
    case 'guest-table-write':
      if (a.by === 'guest') return { op: 'guest-table-write', by: 'guest', vcpu: a.vcpu ?? 0, table: hexs(a.table), index: a.index, entry: pteJson(a.entry), comment: `PD[0] := ${a.name}, by the guest's vCPU ${a.vcpu ?? 0} (trapped while write-tracked)` };
      return { op: 'guest-table-write', by: 'vmm', table: hexs(a.table), index: a.index, entry: pteJson(a.entry), comment: `PD[0] := ${a.name}` };
  }
}

/** Access bits as the file writes them: u, w, x (reads always allowed). */
function accessText(acc: number): string {
  return `${acc & ACC_USER_MASK ? 'u' : ''}${acc & ACC_WRITE_MASK ? 'w' : ''}${acc & ACC_EXEC_MASK ? 'x' : ''}`;
}

function pteJson(p: GuestPte): Json {
  return p.kind === 'none' ? { kind: 'none' } : { kind: p.kind, gfn: hexs(p.gfn), access: accessText(p.access) };
}

const SIZE = ['', '4K', '2M', '1G'];

/** The scope's machine as the file's fields: memslots, roots, and the guest tables written out. */
function machineJson(s: Scenario): Json {
  return {
    memslots: s.memslots.map((m) => ({ id: m.id, baseGfn: hexs(m.baseGfn), pages: m.npages, hostPfn: hexs(m.hostPfn), hostPageSize: SIZE[m.hostLevel] })),
    roots: s.roots.map((r) => ({
      name: r.name, guestTableGfn: hexs(r.guestTableGfn),
      mappings: r.mappings.map((m) => ({ l2: hexs(m.l2), gfn: hexs(m.gfn), size: SIZE[m.level], access: accessText(m.access) })),
      ...(r.guestTables.length ? { guestTables: r.guestTables.map((t) => ({ level: t.level, l2: hexs(t.l2), gfn: hexs(t.gfn) })) } : {}),
    })),
    ...(s.guestMemory ? { guestMemory: s.guestMemory.map((t) => ({ gfn: hexs(t.gfn), level: t.level, entries: Object.fromEntries(t.entries.map((e) => [String(e.index), pteJson(e.pte)])) })) } : {}),
  };
}

interface Running {
  id: string;
  frame: OpFrame;
  steps: number;
  /** The scenario entry that started or last resumed it: where its next pause goes. */
  entry: Json;
}

/** Replay the actions on the explorer model and write the scenario that does the same. */
export function counterexampleScenario(variant: Variant, bound: Bound, actions: number[], violation?: Violation, until?: ViolationKind): Json {
  const scope = makeScope(bound);
  const ops: Json[] = [];
  let node: Node = rootNode(scope);
  // apply() clones a frame when it advances it and moves it as is when it pauses it: follow each
  // operation by the identity of its latest frame.
  let running: Running | null = null;
  const paused: Running[] = [];
  let counter = 0;
  const interrupt = () => {
    if (running) {
      running.entry.pause = { afterSteps: running.steps };
      paused.push(running);
      running = null;
    }
  };
  for (const a of actions) {
    const before = node;
    const out = apply(scope, variant, before, a);
    if (!out) throw new Error(`internal: action ${a} is not enabled when replaying the counterexample`);
    node = out.node;
    if (a === STEP) {
      let r = running as Running | null;
      if (!r) {
        // The explorer's current operation was left for an access: resume it.
        r = paused.find((p) => p.frame === before.current) ?? null;
        if (!r) throw new Error('internal: lost track of the current operation');
        paused.splice(paused.indexOf(r), 1);
        r.entry = { op: 'resume', target: r.id };
        ops.push(r.entry);
        running = r;
      }
      r.steps++;
      r.frame = node.current ?? r.frame;
      if (!node.current) running = null;
      continue;
    }
    if (a <= RESUME_BASE) {
      const frame = before.paused[RESUME_BASE - a];
      const r = paused.find((p) => p.frame === frame);
      if (!r) throw new Error('internal: lost track of a paused operation');
      interrupt();
      paused.splice(paused.indexOf(r), 1);
      r.entry = { op: 'resume', target: r.id };
      ops.push(r.entry);
      r.steps++;
      if (node.current) { r.frame = node.current; running = r; }
      continue;
    }
    const m = scope.menu[a];
    interrupt();
    const entry = menuOp(m);
    if (m.t === 'access') {
      ops.push(entry);
      // A fault the access ran leaves nothing running; an operation it was inside of stays paused.
      // A "walked" access leaves its fault stopped after its walk: the file pauses it there.
      if (m.walked) {
        const id = `op${++counter}`;
        entry.id = id;
        entry.pause = 'walked';
        paused.push({ id, frame: node.paused[node.paused.length - 1], steps: 0, entry });
      }
      continue;
    }
    const id = `op${++counter}`;
    entry.id = id;
    ops.push(entry);
    if (node.current) running = { id, frame: node.current, steps: 1, entry };
  }
  return {
    name: `counterexample-${variant.name}-e${bound.entries}`,
    title: `Shortest counterexample for ${variant.name} (explorer, E = ${bound.entries})`,
    description: `Found by kvm-mmu-lab explore: ${violation ? `${violation.kind}${violation.strength ? ` (${violation.strength})` : ''}: ${violation.message}` : 'a violation'}. ` +
      `The operations run in this order; "pause" and "resume" put guest accesses and other operations where the explorer interleaved them.`,
    entries: bound.entries,
    flushMode: scope.scenario.flushMode,
    splitYield: scope.scenario.splitYield,
    variant: variant.name,
    ...machineJson(scope.scenario),
    vcpus: 2,
    operations: ops,
    // A search --until a kind passed earlier violations of other kinds: the expectation names the kind.
    expect: { [variant.name]: until ? `violation:${until}` : 'violation' },
  };
}
