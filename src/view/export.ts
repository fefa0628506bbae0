/**
 * A walkthrough as a trace to export: the plain text of src/view/trace_text.ts (fit for a mail reply),
 * or Markdown with the verdict, the violations and the same text in a fenced block.
 */
import { hex } from '../kernel/geometry';
import type { Trace } from '../run/run';
import { traceText } from './trace_text';
import type { Walkthrough } from '../run/walkthrough';

export function walkthroughTrace(w: Walkthrough): Trace {
  const last = w.steps[w.steps.length - 1];
  const counters = last ? { ...last.counters } : { ...w.stateAfter(-1).counters };
  return {
    scenario: w.scenario, variant: w.options.variant, flushMode: w.options.flushMode ?? w.scenario.flushMode,
    steps: w.steps, violations: w.violations, counters, verdict: w.violations.length ? 'violation' : 'pass',
  };
}

export function traceMarkdown(t: Trace): string {
  const c = t.counters;
  const lines = [
    `# ${t.scenario.name} under ${t.variant.name}`,
    '',
    t.scenario.title ? `${t.scenario.title}.` : '',
    '',
    `| | |`,
    `|---|---|`,
    `| verdict | **${t.verdict.toUpperCase()}** |`,
    `| variant | \`${t.variant.name}\`: splitFlush=${t.variant.splitFlush}, linkPresent=${t.variant.linkPresent}, dropFlushRange=${t.variant.dropFlushRange}, enableLogFlush=${t.variant.enableLogFlush}, childReuse=${t.variant.childReuse}${t.variant.slotZap === 'memslot' ? ', slotZap=memslot' : ''} |`,
    `| table size | ${t.scenario.entries} entries |`,
    `| flushes | ${t.flushMode}: ${c.remoteFlushes} remote (${c.fullFlushes} full, ${c.rangedFlushes} ranged), ${c.flushesSkipped} skipped |`,
    `| steps | ${t.steps.length} |`,
    '',
  ];
  if (t.violations.length) {
    lines.push('## Violations', '');
    for (const v of t.violations) lines.push(`- step ${v.step}: ${v.kind}${v.strength ? ` (${v.strength})` : ''}, vCPU ${v.vcpu}, gfn ${v.gfn >= 0 ? hex(v.gfn) : '-'}: ${v.message}`);
    lines.push('');
  }
  lines.push('## Trace', '', '```text', traceText(t).trimEnd(), '```', '');
  return lines.join('\n');
}
