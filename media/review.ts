// The review view's webview (dist/review.js): a patch review (Check Patch…), presets side by side
// (Compare Variants) or an explorer result (Explore Variant…), each computed by the core in the
// extension and rendered here. Everything from the extension — subjects, authors, evidence lines —
// is set with textContent, never parsed as HTML. Links and buttons only post messages back.
import {
  checkToWebviewMessage,
  MessageEndpoint,
  type CompareMessage,
  type ExploreMessage,
  type FromWebviewMessage,
  type ReviewMessage,
  type ToWebviewMessage,
} from '../src/view/protocol';
import type { ReviewStep, ReviewVerdict } from '../src/review/review';
import { element as el, inspectDocument } from './dom';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;


const vscode = acquireVsCodeApi();
const app = document.getElementById('app') ?? document.body;

function post(message: FromWebviewMessage): void {
  endpoint.send(message);
}

function section(id: string, title: string, ...children: (Node | string)[]): HTMLElement {
  return el('section', { id, className: 'review-section' }, el('h2', { text: title }), ...children);
}

function list(items: string[], className = ''): HTMLElement {
  return el('ul', { className }, ...items.map((t) => el('li', { text: t })));
}

function stepLink(s: ReviewStep): HTMLElement {
  const label = `${s.fn}() · ${s.id}`;
  if (s.line === undefined) return el('span', { className: 'step', text: `${label} (${s.file}: no line: ${s.why ?? 'not anchored'})`, title: 'Set kvmMmuLab.kernelTree (Locate mmu.c) to link the steps into your tree' });
  const a = el('a', { className: 'step-link', text: `${label} (${s.file}:${s.line}, ${s.how ?? 'exact'})`, attrs: { href: '#', 'data-file': s.file, 'data-line': String(s.line) } });
  a.addEventListener('click', (e) => {
    e.preventDefault();
    post({ type: 'openSource', file: s.file, line: s.line! });
  });
  return a;
}

function verdictCell(v: ReviewVerdict | null): HTMLElement {
  if (!v) return el('td', { className: 'verdict none', text: '—' });
  const td = el('td', { className: `verdict ${v.verdict}`, text: `${v.verdict === 'pass' ? 'PASS' : 'VIOLATION'} · ${v.remoteFlushes} remote flushes (${v.splitFlushes} from split)` });
  if (v.violation) td.append(el('div', { className: 'violation-text', text: v.violation }));
  return td;
}

function walkButton(label: string, scenario: string, file: string, variant: string, flushMode: '' | 'bare-metal' | 'range' = ''): HTMLButtonElement {
  const b = el('button', { className: 'walk-counterexample', text: label, attrs: { type: 'button' } });
  b.addEventListener('click', () => post({ type: 'walk', scenario, file, variant, flushMode }));
  return b;
}

/** The review's outcome in the title bar. */
const STATUS: Record<ReviewMessage['review']['outcome'], string> = {
  'bad-input': 'BAD INPUT', 'no-diff': 'no diff', 'not-modelled': 'touches no modelled step', 'unchanged': 'model unchanged',
  'not-understood': 'NOT UNDERSTOOD', 'pass': 'understood · passes', 'violation': 'understood · VIOLATION',
};

function renderReview(m: ReviewMessage): string {
  const r = m.review;
  const header = el('header', { className: 'bar' }, el('h1', { id: 'review-title', text: `Patch review: ${r.name}` }),
    el('span', { className: `status ${r.outcome === 'pass' ? 'ok' : ''}`, text: STATUS[r.outcome] }));
  const parts: HTMLElement[] = [header,
    el('p', { id: 'review-verdict', className: 'verdict-line', text: r.verdict }),
    el('p', { className: 'hint', text: `${r.format} · ${r.patches.length} message(s) · reviewed in ${m.ms.toFixed(0)} ms${r.tree ? ' · anchored in the kernel tree' : ''}${r.modes.length ? ` · checked in: ${r.modes.join(' and ')}` : ''}` })];
  if (r.diagnostics.length) parts.push(section('diagnostics', 'Diagnostics', list(r.diagnostics, 'diagnostics')));

  const series = el('ol', { id: 'series', className: 'series' });
  for (const p of r.patches) {
    const li = el('li', { className: 'patch', attrs: { 'data-index': String(p.index) } },
      el('div', { className: 'patch-subject' }, el('span', { className: 'prefix', text: p.prefix ? `${p.prefix} ` : '' }), el('span', { className: 'subject', text: p.subject }), p.cover ? ` (${p.kind})` : ''),
      el('div', { className: 'patch-meta', text: `${p.author || 'unknown author'} · ${p.date || 'no date'}${p.commit ? ` · commit ${p.commit.slice(0, 12)}` : ''}` }));
    if (p.listed.length) li.append(el('div', { className: 'label', text: `lists ${p.listed.length} commit(s):` }), list(p.listed, 'listed'));
    if (p.files.length) li.append(el('div', { className: 'patch-files', text: `files: ${p.files.join(', ')}` }));
    if (p.functions.length || p.otherFunctions.length) li.append(el('div', { className: 'patch-functions', text: `modelled functions: ${p.functions.join(', ') || 'none'}${p.otherFunctions.length ? ` · other functions: ${p.otherFunctions.join(', ')}` : ''}` }));
    if (p.steps.length) {
      const steps = el('ul', { className: 'steps' });
      for (const s of p.steps) steps.append(el('li', {}, stepLink(s)));
      li.append(el('div', { className: 'label', text: 'modelled steps:' }), steps);
    }
    if (p.changes.length) li.append(list(p.changes.map((c) => `changes ${c}`), 'changes'));
    if (p.notUnderstood.length) li.append(el('div', { className: 'label warn', text: 'not understood:' }), list(p.notUnderstood, 'not-understood'));
    series.append(li);
  }
  parts.push(section('series-section', 'Series', series));

  if (r.modelled) {
    const variants = el('div', { id: 'variants', className: 'variants' },
      el('div', { id: 'variant-before' }, el('span', { className: 'label', text: 'before: ' }), el('code', { text: r.before || (r.outcome === 'not-understood' ? '(not determined: see the notes)' : '(not determined)') })),
      el('div', { id: 'variant-after' }, el('span', { className: 'label', text: 'after: ' }), el('code', { text: r.after || (r.outcome === 'not-understood' ? '(not determined: the patch is not understood)' : '(none: nothing to check)') })));
    const decisions = el('ul', { className: 'decisions' });
    for (const d of r.decisions) {
      decisions.append(el('li', { className: d.changed ? 'changed' : '' },
        el('div', { text: `${d.policy}: ${d.before}${d.changed ? ` → ${d.after}` : ' (unchanged)'}` }),
        el('div', { className: 'rule', text: d.rule }),
        list(d.evidence, 'evidence')));
    }
    parts.push(section('variants-section', 'Variant before and after', variants, decisions, ...(r.notes.length ? [list(r.notes.map((n) => `note: ${n}`), 'notes')] : [])));
  }
  if (r.outcome === 'not-understood' || !r.modelled) {
    const touched = el('ul', { className: 'steps' });
    for (const s of r.steps) touched.append(el('li', {}, stepLink(s)));
    parts.push(section('not-understood', r.modelled ? 'Not understood: changes no rule explains' : 'Touches no modelled step', list(r.reasons, 'reasons'), list(r.unexplained, 'unexplained'),
      el('div', { className: 'label', text: r.steps.length ? 'modelled steps it touches:' : 'it touches no modelled step' }), touched));
  }
  if (r.checks.some((c) => c.before || c.after)) {
    const table = el('table', { id: 'checks', className: 'checks' },
      el('thead', {}, el('tr', {}, el('th', { text: 'scenario' }), el('th', { text: 'flush mode' }), el('th', { text: `before (${r.before || '—'})` }), el('th', { text: `after (${r.after || '—'})` }))));
    const body = el('tbody');
    for (const c of r.checks) body.append(el('tr', { attrs: { 'data-scenario': c.scenario, 'data-flush-mode': c.flushMode } }, el('td', { text: c.scenario }), el('td', { className: 'mode', text: c.mode }), verdictCell(c.before), verdictCell(c.after)));
    table.append(body);
    const extra: HTMLElement[] = [];
    if (r.findings.length) extra.push(el('div', { className: 'label', text: 'findings:' }), list(r.findings, 'findings'));
    if (r.counterexample) {
      const ce = r.counterexample;
      const mode = r.checks.find((c) => c.flushMode === ce.flushMode)?.mode ?? ce.flushMode;
      extra.push(walkButton(`Walk the counterexample: ${ce.scenario} under ${ce.variant}, ${mode}`, ce.scenario, '', ce.variant, ce.flushMode === 'range' ? 'range' : 'bare-metal'));
    }
    parts.push(section('checks-section', 'Built-in scenarios', table, ...extra));
  }
  app.replaceChildren(...parts);
  return app.textContent ?? '';
}

function renderCompare(m: CompareMessage): string {
  const full = m.rows.some((r) => r.splitFlushesPer64G !== -2);
  const head = ['variant', 'verdict', 'remote flushes', 'split flushes', 'skipped', 'pages flushed', 'SPs reused', ...(full ? ['split flushes / 64 GiB'] : [])];
  const table = el('table', { id: 'compare', className: 'checks' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))));
  const body = el('tbody');
  for (const r of m.rows) {
    const cost = r.splitFlushesPer64G === -1 ? '…' : r.splitFlushesPer64G.toLocaleString('en-US');
    body.append(el('tr', { attrs: { 'data-variant': r.variant } },
      el('td', {}, el('code', { text: r.variant })),
      el('td', { className: `verdict ${r.verdict}`, text: r.verdict === 'pass' ? 'PASS' : `VIOLATION (${r.violations})` }),
      ...[r.remoteFlushes, r.splitFlushes, r.flushesSkipped, r.pagesFlushed, r.spsReused].map((n) => el('td', { className: 'num', text: String(n) })),
      ...(full ? [el('td', { className: 'num', text: cost })] : [])));
  }
  table.append(body);
  app.replaceChildren(
    el('header', { className: 'bar' }, el('h1', { id: 'compare-title', text: `Compare variants: ${m.scenario}` }), el('span', { className: 'status', text: m.flushMode })),
    table,
    el('p', { id: 'full-scale', className: 'hint', text: `Full scale: ${m.fullScale}` }));
  return app.textContent ?? '';
}

/** The status badge's class list as rendered, for the reply. */
function badge(): string {
  return app.querySelector('.status')?.className ?? '';
}

/**
 * How an explorer result's badge looks: failure for a violation, success only for a clean result
 * that reached every hazard precondition (and even that says "within the bound"); a clean result
 * that did not, or a search that stopped, in the warning colour: not a verdict on the variant.
 */
const STANDING_CLASS: Record<ExploreMessage['standing'], string> = {
  'violation': 'bad',
  'clean-all-reached': 'ok',
  'clean-not-all-reached': 'warn',
  'incomplete': 'warn',
};

function renderExplore(m: ExploreMessage): string {
  const parts: HTMLElement[] = [
    el('header', { className: 'bar' }, el('h1', { id: 'explore-title', text: `Explore: ${m.variant}` }), el('span', { className: `status ${STANDING_CLASS[m.standing]}`, text: m.status })),
    el('p', { className: 'hint', id: 'explore-bound', text: `Bound: ${m.bound}` }),
    list(m.lines, 'explore-lines'),
  ];
  if (m.unreached.length) {
    parts.push(section('explore-unreached', 'Not reached within this bound', list(m.unreached, 'warn'), el('p', { className: 'hint', text: m.unreachedHint })));
  }
  if (m.counterexample) {
    const open = el('button', { className: 'open-counterexample', text: 'Open', attrs: { type: 'button' } });
    open.addEventListener('click', () => post({ type: 'openCounterexample', file: m.counterexample }));
    parts.push(el('p', { id: 'counterexample-path', text: `Counterexample written to ${m.counterexamplePath} ` }, open, ' ', walkButton('Walk It', '', m.counterexample, m.variant)));
  }
  app.replaceChildren(...parts);
  return app.textContent ?? '';
}

const endpoint: MessageEndpoint<FromWebviewMessage, ToWebviewMessage> = new MessageEndpoint<FromWebviewMessage, ToWebviewMessage>({
  post: (envelope) => vscode.postMessage(envelope),
  check: checkToWebviewMessage,
  handle(message) {
    switch (message.type) {
      case 'review':
        return { type: 'reportShown', kind: 'review', text: renderReview(message), badge: badge() };
      case 'compare':
        return { type: 'reportShown', kind: 'compare', text: renderCompare(message), badge: badge() };
      case 'explore':
        return { type: 'reportShown', kind: 'explore', text: renderExplore(message), badge: badge() };
      case 'inspect':
        return { type: 'inspected', ...inspectDocument(document) };
      case 'init':
      case 'snapshot':
      case 'idle':
        return undefined;
    }
  },
  dropped(reason, value) {
    console.warn('[kvm-mmu-lab] dropped a message:', reason, value);
    endpoint.send({ type: 'rejected', reason });
  },
});

window.addEventListener('message', (event: MessageEvent<unknown>) => endpoint.receive(event.data));
endpoint.send({ type: 'ready' });
