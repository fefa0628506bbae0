/**
 * The brief trace: what a maintainer pastes into a mail reply (`kvm-mmu-lab run --brief`, and
 * Export Trace's default). The verdict comes first; then only the steps that change what a vCPU
 * can reach or that a check looks at (see `briefKeeps`); runs of like steps are folded to one
 * line that counts them; every line is at most BRIEF_WIDTH columns, ASCII, broken only at spaces.
 * The words are the full trace's (docs/trace-brief.md lists them); the full trace is trace_text.ts.
 */
import { describeSpte } from '../kernel/spte';
import { levelSizeName } from '../kernel/geometry';
import { eraOf } from '../kernel/variants';
import type { Trace } from '../run/run';
import type { Step, StepKind, Violation } from '../model/step';
import { blocks } from './trace_text';
import { plural } from './plural';
import { keep, wrap } from './wrap';

/** 72 columns: a mail reply quotes with "> " and still fits 80 columns, the kernel's mail habit. */
export const BRIEF_WIDTH = 72;

const BODY = '  ';
const HANG = '    ';

/**
 * The steps the brief keeps: an SPTE written, a TLB entry filled or removed (a TLB fill, a
 * remote flush, a vCPU's root reload, which flushes its TLB), a flush issued or skipped, an
 * mmu_lock release (where the stale-TLB check runs), or a check that failed.
 */
export function briefKeeps(s: Step): boolean {
  return s.writeCount > 0 || s.tlbFilled !== undefined || s.flush !== undefined || KEPT_KINDS.has(s.kind) || s.violations.length > 0;
}

const KEPT_KINDS: ReadonlySet<StepKind> = new Set<StepKind>(['tlb-fill', 'root-reload', 'flush', 'flush-skipped', 'unlock', 'resched']);

/** What a folded run of one-step blocks counts, by the step's kind: [one, many]. */
const NOUNS: Partial<Record<StepKind, [string, string]>> = {
  'dirty-bitmap': ['dirty-bitmap word', 'dirty-bitmap words'],
  harvest: ['harvested dirty-bitmap word', 'harvested dirty-bitmap words'],
  'write-protect': ['write-protection', 'write-protections'],
  flush: ['remote TLB flush', 'remote TLB flushes'],
  'flush-skipped': ['skipped flush', 'skipped flushes'],
  'tlb-fill': ['TLB fill', 'TLB fills'],
  'install-leaf': ['leaf SPTE installed', 'leaf SPTEs installed'],
  fault: ['child SP linked', 'child SPs linked'],
  zap: ['zap', 'zaps'],
  unlock: ['mmu_lock release', 'mmu_lock releases'],
  resched: ['mmu_lock release', 'mmu_lock releases'],
};

function nounOf(block: readonly Step[], split: boolean): [string, string] {
  if (split) return ['huge-page split', 'huge-page splits'];
  return NOUNS[block[0].kind] ?? ['step', 'steps'];
}

/** Blocks of like steps: the same kinds at the same statements of the same operation, no violation. */
function shape(b: readonly Step[]): string {
  if (b.some((s) => s.violations.length)) return `!${b[0].index}`;
  return b.map((s) => `${s.op}/${s.kind}/${s.anchor.fn}/${s.anchor.stmt}/${s.flush ? s.flush.issued : '-'}`).join('|');
}

function who(s: Step): string {
  return s.actor === 'guest' ? `vcpu${s.vcpu}` : s.actor;
}

/** The SPTE writes of a step: both when two or fewer, else the first, a count and the last. */
function writeLines(s: Step, entries: number): string[] {
  const name = (l: number): string => levelSizeName(entries, l);
  const ws = s.writes;
  const one = (i: number): string[] => wrap(`sp#${ws[i].sp}[${ws[i].index}]: ${describeSpte(ws[i].oldFlags, ws[i].oldTarget, ws[i].level, name)} => ${describeSpte(ws[i].newFlags, ws[i].newTarget, ws[i].level, name)}`, BRIEF_WIDTH, BODY, HANG);
  if (!ws.length) return s.writeCount ? [`${BODY}(${plural(s.writeCount, 'SPTE write')})`] : [];
  if (ws.length <= 2) return ws.flatMap((_, i) => one(i));
  return [...one(0), `${BODY}... ${plural(s.writeCount - 2, 'more SPTE write', 'more SPTE writes')} ...`, ...one(ws.length - 1)];
}

function stepLines(s: Step, entries: number): string[] {
  const op = s.opLabel ? `${s.opLabel}, ` : '';
  const out = wrap(`[${s.index}] ${s.anchor.fn} (${op}${who(s)})`, BRIEF_WIDTH, '', HANG);
  out.push(...wrap(s.text, BRIEF_WIDTH, BODY, HANG), ...writeLines(s, entries));
  for (const v of s.violations) out.push(`${BODY}!! ${v.kind}${v.strength ? ` (${v.strength})` : ''} found here`);
  return out;
}

/** "caused at step 25, found at step 43, flush skipped at step 26", from what the check recorded. */
function violationSteps(v: Violation): string {
  const cause = v.staleSince ?? v.causeStep;
  const at = (n: number): string => keep(`step ${n}`);
  const parts = [cause !== undefined ? `caused at ${at(cause)}, found at ${at(v.step)}`
    : v.kind === 'structure' ? `caused and found at ${at(v.step)}`
      : `found at ${at(v.step)} (no earlier cause recorded)`];
  if (v.freedStep !== undefined) parts.push(`SP freed at ${at(v.freedStep)}`);
  if (v.skippedFlush !== undefined) parts.push(`flush skipped at ${at(v.skippedFlush)}`);
  return parts.join(', ');
}

function verdictLines(t: Trace): string[] {
  if (!t.violations.length) {
    const c = t.counters;
    return ['verdict: no violation', ...wrap(
      `checked: no TLB entry maps what the tables no longer map at any of the ${keep(plural(c.lockReleases, 'mmu_lock release'))}, ` +
      'nor stays writable over a page an operation write-protected at its end; ' +
      `${c.spteWrites === 1 ? 'the 1 SPTE write keeps' : `the ${keep(plural(c.spteWrites, 'SPTE write'))} keep`} the tables well formed and each leaf in the rmap of kvm_mmu_page_get_gfn()'s gfn; ` +
      'no guest access reached a freed host page, no dirty page was lost, no rmap_remove() missed its SPTE, no rmap walk reached a freed SP',
      BRIEF_WIDTH, BODY, HANG)];
  }
  const out = [`verdict: VIOLATION (${plural(t.violations.length, 'violation')})`];
  for (const v of t.violations) {
    out.push(...wrap(`- ${v.kind}${v.strength ? ` (${v.strength})` : ''}: ${violationSteps(v)}`, BRIEF_WIDTH, '', HANG));
    out.push(...wrap(v.message, BRIEF_WIDTH, HANG, HANG));
  }
  return out;
}

interface Kept {
  /** The block was a huge page's split (get-sp .. link). */
  split: boolean;
  /** The block's steps the brief keeps. */
  steps: Step[];
}

/** A run of like blocks: the first is shown, the rest counted. */
interface Group {
  key: string;
  blocks: Kept[];
}

/** The longest repeating sequence of groups the brief folds as rounds (a resched, then splits). */
const MAX_ROUND = 4;

const firstIndex = (g: Group): number => g.blocks[0].steps[0].index;
function lastIndex(g: Group): number {
  const b = g.blocks[g.blocks.length - 1];
  return b.steps[b.steps.length - 1].index;
}
const stepRange = (a: number, b: number): string => (a === b ? `step ${a}` : `steps ${a}-${b}`);

/** Blocks kept in part, then runs of like blocks grouped. */
function groups(steps: readonly Step[]): Group[] {
  const out: Group[] = [];
  for (const b of blocks(steps)) {
    const kept: Kept = { split: b[0].kind === 'get-sp', steps: b.filter(briefKeeps) };
    if (!kept.steps.length) continue;
    const key = `${kept.split}:${shape(kept.steps)}`;
    const last = out[out.length - 1];
    if (last && last.key === key && !key.includes('!')) last.blocks.push(kept);
    else out.push({ key, blocks: [kept] });
  }
  return out;
}

/** A group as text: its first block, and a line counting the rest. */
function groupLines(g: Group, entries: number): string[] {
  const lines = g.blocks[0].steps.flatMap((s) => stepLines(s, entries));
  if (g.blocks.length > 1) {
    const [one, many] = nounOf(g.blocks[0].steps, g.blocks[0].split);
    const rest = g.blocks.slice(1);
    const range = stepRange(rest[0].steps[0].index, lastIndex({ key: g.key, blocks: rest }));
    lines.push(...wrap(`... ${keep(plural(rest.length, `more ${one}`, `more ${many}`))} like it (${keep(range)})`, BRIEF_WIDTH, BODY, HANG));
  }
  return lines;
}

/** How many times the `p` groups from `i` repeat back to back (1: they do not). */
function rounds(gs: readonly Group[], i: number, p: number): number {
  let r = 1;
  while (i + (r + 1) * p <= gs.length && gs.slice(i + r * p, i + (r + 1) * p).every((g, k) => g.key === gs[i + k].key)) r++;
  return r;
}

/**
 * The brief's steps: groups of like blocks, and rounds of like groups (a split that drops
 * mmu_lock every 40 huge pages is a round of one release and 40 splits) shown once and counted.
 */
function briefSteps(t: Trace): { lines: string[]; shown: number } {
  const gs = groups(t.steps);
  const lines: string[] = [];
  let shown = 0;
  for (let i = 0; i < gs.length;) {
    let best = { p: 1, r: 1 };
    for (let p = 2; p <= MAX_ROUND; p++) {
      const r = rounds(gs, i, p);
      if (r > 1 && r * p > best.r * best.p) best = { p, r };
    }
    const round = gs.slice(i, i + best.p);
    for (const g of round) {
      lines.push(...groupLines(g, t.scenario.entries));
      shown += g.blocks[0].steps.length;
    }
    if (best.r > 1) {
      const rest = gs.slice(i + best.p, i + best.p * best.r);
      const counts = new Map<string, { n: number; noun: [string, string] }>();
      for (const g of rest) {
        const noun = nounOf(g.blocks[0].steps, g.blocks[0].split);
        const c = counts.get(noun[1]) ?? { n: 0, noun };
        c.n += g.blocks.length;
        counts.set(noun[1], c);
      }
      const what = [...counts.values()].map((c) => keep(plural(c.n, c.noun[0], c.noun[1]))).join(', ');
      const range = stepRange(firstIndex(rest[0]), lastIndex(rest[rest.length - 1]));
      lines.push(...wrap(`... the steps from [${firstIndex(round[0])}] repeat ${keep(plural(best.r - 1, 'more time'))} (${keep(range)}): ${what}`, BRIEF_WIDTH, BODY, HANG));
    }
    i += best.p * best.r;
  }
  return { lines, shown };
}

export function traceBrief(t: Trace): string {
  const c = t.counters;
  const { lines: steps, shown } = briefSteps(t);
  const lines = [
    ...verdictLines(t),
    '',
    ...wrap(`scenario ${t.scenario.name}, variant ${t.variant.name} (kernel ${eraOf(t.variant).id}), ${t.flushMode} flushes, ` +
      `${t.scenario.entries} entries a table; ${shown} of ${plural(t.steps.length, 'step')} shown: ` +
      'SPTE writes, TLB changes, flushes issued or skipped, mmu_lock releases, failed checks', BRIEF_WIDTH, '', HANG),
    '',
    ...steps,
    '',
    ...wrap(`counters: ${[
      plural(c.remoteFlushes, 'remote flush', 'remote flushes'), `${plural(c.flushesSkipped, 'flush', 'flushes')} skipped`,
      plural(c.spteWrites, 'SPTE write'), plural(c.splits, 'split'), `${plural(c.spsCreated, 'SP')} created`, `${c.spsReused} reused`,
      plural(c.faults, 'fault'), plural(c.lockReleases, 'mmu_lock release'),
    ].map(keep).join(', ')}`, BRIEF_WIDTH, '', HANG),
  ];
  return lines.join('\n') + '\n';
}
