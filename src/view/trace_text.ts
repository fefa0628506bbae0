/**
 * The plain-text trace: one paragraph a step, fit to paste into a mail reply (ASCII, under 100
 * columns where the kernel's own statements allow). Golden files are this text.
 */
import { hex, levelSizeName } from '../kernel/geometry';
import { describeSpte } from '../kernel/spte';
import { eraOf } from '../kernel/variants';
import type { Trace } from '../run/run';
import type { Step, SpteWrite } from '../model/step';
import { plural } from './plural';

/** SPTE writes of a step: all of them when few, else the first and last and a count. */
function writes(ws: readonly SpteWrite[], entries: number): string[] {
  const name = (l: number): string => levelSizeName(entries, l);
  const line = (w: SpteWrite): string => `      sp#${w.sp}[${w.index}]: ${describeSpte(w.oldFlags, w.oldTarget, w.level, name)} => ${describeSpte(w.newFlags, w.newTarget, w.level, name)}`;
  if (ws.length <= 4) return ws.map(line);
  return [line(ws[0]), line(ws[1]), `      ... ${ws.length - 3} more ...`, line(ws[ws.length - 1])];
}

export function stepText(s: Step, entries: number): string {
  const who = s.actor === 'guest' ? `vcpu${s.vcpu}` : s.actor;
  const head = `[${String(s.index).padStart(3)}] ${s.opLabel.padEnd(26)} ${who.padEnd(9)} ${s.anchor.fn}`;
  const out = [head, `      ${s.text}`];
  if (s.writes.length) out.push(...writes(s.writes, entries));
  else if (s.writeCount) out.push(`      (${plural(s.writeCount, 'SPTE write')})`);
  for (const v of s.violations) out.push(`      !! ${v.kind}${v.strength ? ` (${v.strength})` : ''}: ${v.message}`);
  return out.join('\n');
}

/**
 * Split the steps into blocks: one per huge page split (get-sp .. link) and one per other step.
 * Runs of blocks with the same shape (same kinds and statements) are what `collapse` folds, here
 * and in the brief trace (./trace_brief.ts).
 */
export function blocks(steps: readonly Step[]): Step[][] {
  const out: Step[][] = [];
  let cur: Step[] | null = null;
  for (const s of steps) {
    if (s.kind === 'get-sp') cur = [];
    if (cur) {
      cur.push(s);
      if (s.kind === 'link') { out.push(cur); cur = null; }
    } else {
      out.push([s]);
    }
  }
  if (cur) out.push(cur);
  return out;
}

function shape(b: Step[]): string {
  return b.map((s) => `${s.kind}/${s.anchor.stmt}/${s.violations.length}/${s.flush ? s.flush.issued : '-'}`).join('|');
}

/**
 * The steps as text. With `collapse`, a run of more than three splits of the same shape shows its
 * first two and its last, and says how many it left out: 512 identical 2M splits read as three.
 */
export function stepsText(steps: readonly Step[], entries: number, collapse: boolean): string[] {
  const bs = blocks(steps);
  const out: string[] = [];
  for (let i = 0; i < bs.length; ) {
    let j = i + 1;
    if (collapse && bs[i].length > 1) while (j < bs.length && shape(bs[j]) === shape(bs[i])) j++;
    const run = bs.slice(i, j);
    const shown = run.length > 3 ? [run[0], run[1], run[run.length - 1]] : run;
    shown.forEach((b, k) => {
      if (run.length > 3 && k === 2) out.push(`      ... ${plural(run.length - 3, 'more split', 'more splits')} like these (steps ${run[2][0].index}-${run[run.length - 2][run[run.length - 2].length - 1].index}) ...`);
      for (const s of b) out.push(stepText(s, entries));
    });
    i = j;
  }
  return out;
}

export function traceText(t: Trace, collapse = true): string {
  const c = t.counters;
  // slotZap is named only off its default (the quirk disabled), so the traces of every preset read as before it existed.
  const lines = [
    `kvm-mmu-lab trace: scenario ${t.scenario.name}, variant ${t.variant.name}, ${t.scenario.entries} entries a table, ${t.flushMode} flushes`,
    `policies: splitFlush=${t.variant.splitFlush} linkPresent=${t.variant.linkPresent} dropFlushRange=${t.variant.dropFlushRange} enableLogFlush=${t.variant.enableLogFlush} childReuse=${t.variant.childReuse}${t.variant.slotZap === 'memslot' ? ' slotZap=memslot' : ''}`,
    `kernel: ${eraOf(t.variant).label}`,
    '',
    ...stepsText(t.steps, t.scenario.entries, collapse),
    '',
    `verdict: ${t.verdict.toUpperCase()}${t.violations.length ? ` (${t.violations.length} violation${t.violations.length === 1 ? '' : 's'})` : ''}`,
    ...t.violations.map((v) => `  - step ${v.step}: ${v.kind}${v.strength ? ` (${v.strength})` : ''}, vcpu ${v.vcpu}, gfn ${v.gfn >= 0 ? hex(v.gfn) : '-'}: ${v.message}`),
    `counters: ${plural(c.remoteFlushes, 'remote flush', 'remote flushes')} (${c.fullFlushes} full, ${c.rangedFlushes} ranged, ${plural(c.pagesFlushed, 'page')}), ${c.flushesSkipped} skipped, ` +
      `${plural(c.spteWrites, 'SPTE write')}, ${plural(c.splits, 'split')}, ${plural(c.spsCreated, 'SP')} created, ${c.spsReused} reused, ${plural(c.faults, 'fault')}, ${plural(c.lockReleases, 'lock release')}`,
  ];
  return lines.join('\n') + '\n';
}
