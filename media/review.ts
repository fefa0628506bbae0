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
import { compareTable, verdictLabel } from '../src/view/compare_text';
import { element as el, inspectDocument } from './dom';
import * as l10n from './l10n';

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
  // The function and its statement, as in mmu.c: the model's own name for the step (s.id) is not shown.
  const label = `${s.fn}(): ${s.stmt}`;
  if (s.line === undefined) return el('span', { className: 'step', text: l10n.t('{0} ({1}: no line: {2})', label, s.file, s.why ?? l10n.t('not anchored')), title: l10n.t('Set kvmMmuLab.kernelTree (Locate mmu.c) to link the steps into your tree') });
  const a = el('a', { className: 'step-link', text: `${label} (${s.file}:${s.line}, ${s.how ?? 'exact'})`, attrs: { href: '#', 'data-file': s.file, 'data-line': String(s.line) } });
  a.addEventListener('click', (e) => {
    e.preventDefault();
    post({ type: 'openSource', file: s.file, line: s.line! });
  });
  return a;
}

function verdictCell(v: ReviewVerdict | null): HTMLElement {
  if (!v) return el('td', { className: 'verdict none', text: '—' });
  const td = el('td', { className: `verdict ${v.verdict}`, text: l10n.t('{0} · {1} remote flushes ({2} from split)', v.verdict === 'pass' ? l10n.t('PASS') : l10n.t('VIOLATION'), v.remoteFlushes, v.splitFlushes) });
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
  'bad-input': l10n.t('BAD INPUT'), 'no-diff': l10n.t('no diff'), 'not-modelled': l10n.t('touches no modelled step'), 'unchanged': l10n.t('model unchanged'),
  'not-understood': l10n.t('NOT UNDERSTOOD'), 'pass': l10n.t('understood · passes'), 'violation': l10n.t('understood · VIOLATION'),
};

function renderReview(m: ReviewMessage): string {
  const r = m.review;
  const header = el('header', { className: 'bar' }, el('h1', { id: 'review-title', text: l10n.t('Patch review: {0}', r.name) }),
    el('span', { className: `status ${r.outcome === 'pass' ? 'ok' : ''}`, text: STATUS[r.outcome] }));
  const parts: HTMLElement[] = [header,
    el('p', { id: 'review-verdict', className: 'verdict-line', text: r.verdict }),
    el('p', { className: 'hint', text: [l10n.t('{0} · {1} message(s) · reviewed in {2} ms', r.format, r.patches.length, m.ms.toFixed(0)), ...(r.tree ? [l10n.t('anchored in the kernel tree')] : []), ...(r.modes.length ? [l10n.t('checked in: {0}', r.modes.join(l10n.t(' and ')))] : [])].join(' · ') })];
  if (r.diagnostics.length) parts.push(section('diagnostics', l10n.t('Diagnostics'), list(r.diagnostics, 'diagnostics')));

  const series = el('ol', { id: 'series', className: 'series' });
  for (const p of r.patches) {
    const li = el('li', { className: 'patch', attrs: { 'data-index': String(p.index) } },
      el('div', { className: 'patch-subject' }, el('span', { className: 'prefix', text: p.prefix ? `${p.prefix} ` : '' }), el('span', { className: 'subject', text: p.subject }), p.cover ? ` (${p.kind})` : ''),
      el('div', { className: 'patch-meta', text: [p.author || l10n.t('unknown author'), p.date || l10n.t('no date'), ...(p.commit ? [l10n.t('commit {0}', p.commit.slice(0, 12))] : [])].join(' · ') }));
    if (p.listed.length) li.append(el('div', { className: 'label', text: l10n.t('lists {0} commit(s):', p.listed.length) }), list(p.listed, 'listed'));
    if (p.files.length) li.append(el('div', { className: 'patch-files', text: l10n.t('files: {0}', p.files.join(', ')) }));
    if (p.functions.length || p.otherFunctions.length) li.append(el('div', { className: 'patch-functions', text: [l10n.t('modelled functions: {0}', p.functions.join(', ') || l10n.t('none')), ...(p.otherFunctions.length ? [l10n.t('other functions: {0}', p.otherFunctions.join(', '))] : [])].join(' · ') }));
    if (p.steps.length) {
      const steps = el('ul', { className: 'steps' });
      for (const s of p.steps) steps.append(el('li', {}, stepLink(s)));
      li.append(el('div', { className: 'label', text: l10n.t('modelled steps:') }), steps);
    }
    if (p.changes.length) li.append(list(p.changes.map((c) => l10n.t('changes {0}', c)), 'changes'));
    if (p.notUnderstood.length) li.append(el('div', { className: 'label warn', text: l10n.t('not understood:') }), list(p.notUnderstood, 'not-understood'));
    series.append(li);
  }
  parts.push(section('series-section', l10n.t('Series'), series));

  if (r.modelled) {
    const variants = el('div', { id: 'variants', className: 'variants' },
      el('div', { id: 'variant-before' }, el('span', { className: 'label', text: l10n.t('before: ') }), el('code', { text: r.before || (r.outcome === 'not-understood' ? l10n.t('(not determined: see the notes)') : l10n.t('(not determined)')) })),
      el('div', { id: 'variant-after' }, el('span', { className: 'label', text: l10n.t('after: ') }), el('code', { text: r.after || (r.outcome === 'not-understood' ? l10n.t('(not determined: the patch is not understood)') : l10n.t('(none: nothing to check)')) })));
    const decisions = el('ul', { className: 'decisions' });
    for (const d of r.decisions) {
      decisions.append(el('li', { className: d.changed ? 'changed' : '' },
        el('div', { text: d.changed ? l10n.t('{0}: {1} → {2}', d.policy, d.before, d.after) : l10n.t('{0}: {1} (unchanged)', d.policy, d.before) }),
        el('div', { className: 'rule', text: d.rule }),
        list(d.evidence, 'evidence')));
    }
    parts.push(section('variants-section', l10n.t('Variant before and after'), variants, decisions, ...(r.notes.length ? [list(r.notes.map((n) => l10n.t('note: {0}', n)), 'notes')] : [])));
  }
  if (r.outcome === 'not-understood' || !r.modelled) {
    const touched = el('ul', { className: 'steps' });
    for (const s of r.steps) touched.append(el('li', {}, stepLink(s)));
    parts.push(section('not-understood', r.modelled ? l10n.t('Not understood: changes no rule explains') : l10n.t('Touches no modelled step'), list(r.reasons, 'reasons'), list(r.unexplained, 'unexplained'),
      el('div', { className: 'label', text: r.steps.length ? l10n.t('modelled steps it touches:') : l10n.t('it touches no modelled step') }), touched));
  }
  if (r.checks.some((c) => c.before || c.after)) {
    const table = el('table', { id: 'checks', className: 'checks' },
      el('thead', {}, el('tr', {}, el('th', { text: l10n.t('scenario') }), el('th', { text: l10n.t('flush mode') }), el('th', { text: l10n.t('before ({0})', r.before || '—') }), el('th', { text: l10n.t('after ({0})', r.after || '—') }))));
    const body = el('tbody');
    for (const c of r.checks) body.append(el('tr', { attrs: { 'data-scenario': c.scenario, 'data-flush-mode': c.flushMode } }, el('td', { text: c.scenario }), el('td', { className: 'mode', text: c.mode }), verdictCell(c.before), verdictCell(c.after)));
    table.append(body);
    const extra: HTMLElement[] = [];
    if (r.findings.length) extra.push(el('div', { className: 'label', text: l10n.t('findings:') }), list(r.findings, 'findings'));
    if (r.counterexample) {
      const ce = r.counterexample;
      const mode = r.checks.find((c) => c.flushMode === ce.flushMode)?.mode ?? ce.flushMode;
      extra.push(walkButton(l10n.t('Walk the counterexample: {0} under {1}, {2}', ce.scenario, ce.variant, mode), ce.scenario, '', ce.variant, ce.flushMode === 'range' ? 'range' : 'bare-metal'));
    }
    parts.push(section('checks-section', l10n.t('Built-in scenarios'), table, ...extra));
  }
  app.replaceChildren(...parts);
  return app.textContent ?? '';
}

function renderCompare(m: CompareMessage): string {
  // The columns and cells are src/view/compare_text.ts's, as the CLI and the Markdown have them.
  const t = compareTable(m.rows, { t: l10n.t, count: (n) => n.toLocaleString('en-US') });
  const table = el('table', { id: 'compare', className: 'checks' }, el('thead', {}, el('tr', {}, ...t.head.map((h) => el('th', { text: h })))));
  const body = el('tbody');
  for (const { row: r, cells } of t.rows) {
    body.append(el('tr', { attrs: { 'data-variant': r.variant } },
      el('td', {}, el('code', { text: cells[0] })),
      el('td', { className: `verdict ${r.verdict}`, text: verdictLabel(r, l10n.t) }),
      ...cells.slice(2).map((c) => el('td', { className: 'num', text: c }))));
  }
  table.append(body);
  app.replaceChildren(
    el('header', { className: 'bar' }, el('h1', { id: 'compare-title', text: l10n.t('Compare variants: {0}', m.scenario) }), el('span', { className: 'status', text: m.flushMode })),
    table,
    el('p', { id: 'full-scale', className: 'hint', text: l10n.t('Full scale: {0}', m.fullScale) }));
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
    el('header', { className: 'bar' }, el('h1', { id: 'explore-title', text: l10n.t('Explore: {0}', m.variant) }), el('span', { className: `status ${STANDING_CLASS[m.standing]}`, text: m.status })),
    el('p', { className: 'hint', id: 'explore-bound', text: l10n.t('Bound: {0}', m.bound) }),
    list(m.lines, 'explore-lines'),
  ];
  if (m.unreached.length) {
    parts.push(section('explore-unreached', l10n.t('Not reached within this bound'), list(m.unreached, 'warn'), el('p', { className: 'hint', text: m.unreachedHint })));
  }
  if (m.counterexample) {
    const open = el('button', { className: 'open-counterexample', text: l10n.t('Open'), attrs: { type: 'button' } });
    open.addEventListener('click', () => post({ type: 'openCounterexample', file: m.counterexample }));
    parts.push(el('p', { id: 'counterexample-path', text: l10n.t('Counterexample written to {0} ', m.counterexamplePath) }, open, ' ', walkButton(l10n.t('Walk It'), '', m.counterexample, m.variant)));
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
      case 'ping':
        return { type: 'pong' };
      case 'init':
      case 'snapshot':
      case 'snapshotDelta':
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
