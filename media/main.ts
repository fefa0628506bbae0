// The panel's webview (in the editor panel and in the side bar alike). It asks for its content with
// `ready`, shows what `init` carries, then renders each `snapshot` (a PanelSnapshot computed by the
// core in the extension: this file computes no model facts), or each `snapshotDelta` applied to the
// snapshot it holds, and answers `rendered` with the time the render took, in the task that updated
// the DOM (no frame is waited for). Everything is set as text, never as HTML. It keeps only UI state in the webview
// state (which sections and tables are folded, the scroll position); the step index lives in the
// extension, which sends the current step again whenever the webview reloads.
import {
  checkPanelSnapshot,
  checkToWebviewMessage,
  MessageEndpoint,
  PROTOCOL_VERSION,
  type FromWebviewMessage,
  type InitMessage,
  type HazardPictureView,
  type PanelAction,
  type PictureMark,
  type SnapshotDeltaMessage,
  type SnapshotMessage,
  type ToWebviewMessage,
} from '../src/view/protocol';
import { DeltaHolder } from '../src/view/snapshot_delta';
import type { EntryRun, FreedSpView, GuestTableView, OpenHazard, PanelSnapshot, TableView } from '../src/view/snapshot';
import { drivePosition } from '../src/debug/drive';
import { element, inspectDocument, markOwnDrawing } from './dom';
import { renderPicture, type PictureWords } from './picture';
import { strings } from './strings';
import { DRIVEN_ACTIONS, showDriver, STEP_BUTTONS, stepButton, type DriveWords, type StepAction } from './toolbar';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** UI state only: what a person changed in this panel, restored when the webview reloads. */
interface UiState {
  detailsOpen: boolean;
  /** Sections (by id) the person folded. */
  folded: string[];
  /** Tables (by "root/sp") the person folded. */
  foldedTables: string[];
  scrollY: number;
}

function restoreUiState(saved: unknown): UiState {
  const state: UiState = { detailsOpen: false, folded: [], foldedTables: [], scrollY: 0 };
  if (typeof saved !== 'object' || saved === null) return state;
  const s = saved as Partial<Record<keyof UiState, unknown>>;
  if (typeof s.detailsOpen === 'boolean') state.detailsOpen = s.detailsOpen;
  const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 500) : []);
  state.folded = strs(s.folded);
  state.foldedTables = strs(s.foldedTables);
  if (typeof s.scrollY === 'number' && Number.isFinite(s.scrollY)) state.scrollY = s.scrollY;
  return state;
}


/** The stepping buttons' names, by action (their icons and keys are media/toolbar.ts's). */
const BUTTON_LABELS: Record<StepAction, string> = {
  restart: strings.restart, back: strings.back, forward: strings.forward, 'next-flush': strings.nextFlush, violation: strings.violation,
};
/** The tooltips of the buttons while a debug session drives the walk. */
const DRIVE_WORDS: DriveWords = {
  drives: (command, own) => strings.drives(strings.driveRequests[command], own),
  refused: (why, action) => strings.driveRefused(why, action),
};
const KEYS: Record<string, PanelAction> = { ArrowRight: 'forward', n: 'forward', ArrowLeft: 'back', p: 'back', Home: 'restart', f: 'next-flush', v: 'violation' };

const PICTURE_WORDS: PictureWords = {
  root: strings.pictureRoot,
  vcpuTlb: strings.pictureTlb,
  lane: (lane) => (lane.kind === 'vcpu' ? strings.laneVcpu(lane.vcpu ?? 0) : lane.kind === 'notifier' ? strings.laneNotifier : strings.laneIoctl),
  mappings: strings.pictureMappings,
  timeline: strings.pictureTimeline,
  step: strings.pictureNow,
  clickTo: (step, what) => strings.pictureClick(step, strings.pictureMarks[what]),
};

/** The picture's key: what each swatch means, as text that wraps between words. */
function pictureLegend(): HTMLElement {
  const items: [string, string][] = [
    ['huge', strings.legend.huge], ['split', strings.legend.split], ['absent', strings.legend.absent], ['tlb', strings.legend.tlb],
    ['band', strings.legend.band], ['lock', strings.legend.lock], ['issued', strings.legend.issued], ['skipped', strings.legend.skipped], ['violation', strings.legend.violation],
  ];
  return element('ul', { className: 'picture-legend' }, ...items.map(([k, text]) => element('li', {}, element('span', { className: `swatch swatch-${k}`, attrs: { 'aria-hidden': 'true' } }), ` ${text}`)));
}

function buildView(root: HTMLElement, ui: UiState, saveUi: () => void, act: (a: PanelAction) => void, goto: (step: number) => void, pick: (step: number, mark: PictureMark) => void) {
  const title = element('h1', { id: 'title' });
  const status = element('span', { id: 'status', className: 'status', text: strings.connecting, attrs: { role: 'status' } });
  const text = element('p', { id: 'message', className: 'message' });
  const facts = element('dl', { className: 'facts' });
  const details = element('details', { id: 'details' }, element('summary', { text: strings.details }), facts);
  details.open = ui.detailsOpen;
  details.addEventListener('toggle', () => {
    ui.detailsOpen = details.open;
    saveUi();
  });

  const toolbar = element('div', { id: 'toolbar', className: 'toolbar', attrs: { role: 'toolbar', 'aria-label': strings.toolbar } });
  const buttons = new Map<PanelAction, HTMLButtonElement>();
  for (const b of STEP_BUTTONS) {
    const button = stepButton(document, b, BUTTON_LABELS[b.action]);
    button.addEventListener('click', () => act(b.action));
    buttons.set(b.action, button);
    toolbar.append(button);
  }
  for (const [action, label] of [['walk', strings.walk], ['variant', strings.variant], ['export', strings.export]] as const) {
    const button = element('button', { className: `secondary step-${action}`, text: label, attrs: { type: 'button', 'data-action': action } });
    button.addEventListener('click', () => act(action));
    buttons.set(action, button);
    toolbar.append(button);
  }
  // A debug session drives the walk: how to step, said under the toolbar (the buttons' tooltip too).
  const driverNote = element('p', { id: 'driver', className: 'note driver', attrs: { role: 'status', hidden: '' } });
  let driven = false;
  const walkArea = element('div', { id: 'walk', attrs: { hidden: '' } });
  const keysHint = element('p', { className: 'hint', text: strings.keys });
  root.replaceChildren(element('header', { className: 'bar' }, title, status), text, walkArea, details);
  let timingsRow: [HTMLElement, HTMLElement] | undefined;

  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || walkArea.hidden) return;
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'SUMMARY' || target.tagName === 'INPUT') && (e.key === 'Enter' || e.key === ' ')) return;
    const action = KEYS[e.key];
    // Driven by a debug session, a key does what its button does: sends the session its request,
    // or nothing where the button is disabled (the extension would refuse it, saying why).
    if (!action || (driven && DRIVEN_ACTIONS.includes(action) && buttons.get(action)?.disabled)) return;
    e.preventDefault();
    act(action);
  });
  let scrollTimer: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener('scroll', () => {
    clearTimeout(scrollTimer);
    scrollTimer = setTimeout(() => {
      ui.scrollY = window.scrollY;
      saveUi();
    }, 200);
  });

  function section(id: string, heading: string, ...body: Node[]): HTMLDetailsElement {
    const d = element('details', { id, className: 'section', attrs: { 'aria-labelledby': `${id}-h` } }, element('summary', {}, element('h2', { id: `${id}-h`, text: heading })), ...body);
    d.open = !ui.folded.includes(id);
    d.addEventListener('toggle', () => {
      ui.folded = d.open ? ui.folded.filter((x) => x !== id) : [...ui.folded, id];
      saveUi();
    });
    return d;
  }

  function changedMark(): HTMLElement {
    return element('span', { className: 'mark changed-mark', text: `◆ ${strings.changed}` });
  }

  /** A shadow page that died: zapped (on the invalid list) or freed. */
  function lifeBadge(life: 'invalid' | 'freed'): HTMLElement {
    return element('span', { className: `badge bad life-${life}`, text: `✖ ${life === 'freed' ? strings.lifeFreed : strings.lifeInvalid}` });
  }

  /** A guest page table: its present entries in runs, and the shadow pages made for it. */
  function guestTableNode(t: GuestTableView): HTMLElement {
    const key = `guest/${t.gfn}`;
    const summary = element('summary', { className: 'table-title' }, element('span', { text: t.title }), ' ', element('span', { className: 'mark', text: strings.guestPresent(t.present) }));
    if (t.changed) summary.append(' ', changedMark());
    const list = element('ul', { className: 'runs' });
    for (const r of t.runs) {
      const li = element('li', { className: `run guest-run run-${r.kind}${r.changed ? ' changed' : ''}`, attrs: { 'data-from': String(r.from), 'data-to': String(r.to), 'data-kind': r.kind } },
        element('span', { className: 'idx', text: strings.entries(r.from, r.to) }), ' ', element('span', { className: 'what', text: r.text }));
      if (r.changed) li.append(' ', changedMark());
      list.append(li);
    }
    const shadows = element('p', { className: 'shadowed-by' }, element('span', { className: 'mark', text: `${strings.shadowedBy} ` }));
    if (!t.shadowedBy.length) shadows.append(element('span', { className: 'mark', text: strings.notShadowed }));
    for (const sp of t.shadowedBy) {
      shadows.append(element('span', { className: `shadow-sp code${sp.life !== 'live' ? ' dead' : ''}`, attrs: { 'data-sp': String(sp.sp), 'data-life': sp.life }, text: sp.title }), ' ');
      if (sp.life !== 'live') shadows.append(lifeBadge(sp.life), ' ');
    }
    const d = element('details', { className: `table guest-table${t.changed ? ' changed' : ''}`, attrs: { 'data-gfn': String(t.gfn), 'data-level': String(t.level), 'data-roots': t.roots.join(',') } }, summary, list, shadows);
    d.open = !ui.foldedTables.includes(key);
    d.addEventListener('toggle', () => {
      ui.foldedTables = d.open ? ui.foldedTables.filter((x) => x !== key) : [...ui.foldedTables, key];
      saveUi();
    });
    return d;
  }

  /** A shadow page that died, and the rmap entries still pointing into it. */
  function freedSpNode(f: FreedSpView): HTMLElement {
    const head = element('p', {}, element('strong', { className: 'code', text: f.title }), ' ', lifeBadge(f.life));
    if (f.at !== undefined) head.append(' ', element('span', { className: 'mark', text: strings.freedAtStep(f.at) }));
    const body: HTMLElement[] = [head];
    if (f.rmap.length) {
      body.push(element('p', { className: 'callout', text: `⚠ ${strings.danglingRmap(f.rmap.length)}` }),
        element('ul', { className: 'runs dangling' }, ...f.rmap.map((r) => element('li', { className: 'run dangling-rmap', attrs: { 'data-gfn': String(r.gfn), 'data-level': String(r.level), 'data-slot': String(r.slot) }, text: r.text }))));
    } else {
      body.push(element('p', { className: 'mark', text: strings.noDanglingRmap }));
    }
    return element('div', { className: `freed-sp sp-${f.life}`, attrs: { 'data-sp': String(f.sp), 'data-life': f.life, 'data-dangling': String(f.rmap.length) } }, ...body);
  }

  // ---- keyed reuse: a step rebuilds only what it changed. Each part of the view keeps the nodes
  // it built, keyed by the data they show; a node whose data is the same is moved, not rebuilt.

  /** Page tables by "root/sp": the node, what it shows (children by sp only), and where its child tables go. */
  interface TableEntry { sig: string; node: HTMLDetailsElement; slots: { li: HTMLElement; child: HTMLElement | null }[]; used: number }
  const tableCache = new Map<string, TableEntry>();
  let generation = 0;

  function runRow(run: EntryRun, slots: TableEntry['slots']): HTMLElement {
    const li = element('li', { className: `run run-${run.kind}${run.changed ? ' changed' : ''}`, title: `${run.value}`, attrs: { 'data-from': String(run.from), 'data-to': String(run.to), 'data-kind': run.kind } },
      element('span', { className: 'idx', text: strings.entries(run.from, run.to) }), ' ', element('span', { className: 'what', text: run.text }));
    if (run.collapsedChildren) li.append(' ', element('span', { className: 'mark', text: strings.collapsedTables(run.collapsedChildren) }));
    if (run.changed) li.append(' ', changedMark());
    for (let k = 0; k < run.children.length; k++) slots.push({ li, child: null });
    return li;
  }

  function buildTable(t: TableView, key: string, sig: string): TableEntry {
    const summary = element('summary', { className: 'table-title' }, element('span', { text: t.title }));
    if (t.splitChild) summary.append(' ', element('span', { className: `badge split-${t.splitChild}`, text: t.splitChild === 'new' ? `✚ ${strings.newChild}` : `♻ ${strings.reusedChild}` }));
    if (t.life) summary.append(' ', lifeBadge(t.life));
    if (t.changed) summary.append(' ', changedMark());
    const d = element('details', { className: `table${t.changed ? ' changed' : ''}${t.splitChild ? ' split-child' : ''}${t.life ? ` sp-${t.life}` : ''}`, attrs: { 'data-sp': String(t.sp), ...(t.splitChild ? { 'data-split': t.splitChild } : {}), ...(t.life ? { 'data-life': t.life } : {}) } }, summary);
    if (t.splitChild && t.presentNonLeaf.length) d.append(element('p', { className: 'callout present-nonleaf', text: `⚑ ${strings.presentNonLeaf(t.presentNonLeaf)}` }));
    const slots: TableEntry['slots'] = [];
    const list = element('ul', { className: 'runs' });
    for (const r of t.runs) list.append(runRow(r, slots));
    d.append(list);
    d.open = !ui.foldedTables.includes(key);
    d.addEventListener('toggle', (e) => {
      if (e.target !== d) return;
      ui.foldedTables = d.open ? ui.foldedTables.filter((x) => x !== key) : [...ui.foldedTables, key];
      saveUi();
    });
    return { sig, node: d, slots, used: generation };
  }

  /** The table's node: reused when it shows the same (its child tables are matched on their own), else built. */
  function tableNode(t: TableView, rootName: string): HTMLElement {
    const key = `${rootName}/${t.sp}`;
    const sig = JSON.stringify(t, (k, v: unknown) => (k === 'children' ? (v as TableView[]).map((c) => c.sp) : v));
    let entry = tableCache.get(key);
    if (!entry || entry.sig !== sig) tableCache.set(key, (entry = buildTable(t, key, sig)));
    entry.used = generation;
    let k = 0;
    for (const r of t.runs) {
      for (const c of r.children) {
        const slot = entry.slots[k++];
        const node = tableNode(c, rootName);
        if (slot.child === node && node.parentNode === slot.li) continue;
        if (slot.child && slot.child.parentNode === slot.li) slot.li.replaceChild(node, slot.child);
        else slot.li.append(node);
        slot.child = node;
      }
    }
    return entry.node;
  }

  /** Nodes for `items`, each reused from the last render when its key is the same. */
  function keyed<T>(cache: Map<string, HTMLElement>, items: readonly T[], keyOf: (item: T) => string, build: (item: T) => HTMLElement): HTMLElement[] {
    const next = new Map<string, HTMLElement>();
    const out = items.map((item) => {
      const k = keyOf(item);
      const node = next.get(k) ?? cache.get(k) ?? build(item);
      next.set(k, node);
      return node;
    });
    cache.clear();
    for (const [k, n] of next) cache.set(k, n);
    return out;
  }

  /** Sets a parent's children, touching the DOM only when they differ. */
  function setChildren(parent: Element, nodes: readonly Node[]): void {
    const now = parent.childNodes;
    if (now.length === nodes.length && nodes.every((n, i) => now[i] === n)) return;
    parent.replaceChildren(...nodes);
  }

  /** Runs `build` into `parent` only when `sig` differs from the last one it was built for. */
  const built = new Map<Element, string>();
  function rebuildIf(parent: Element, sig: string, build: () => Node[]): void {
    if (built.get(parent) === sig) return;
    built.set(parent, sig);
    parent.replaceChildren(...build());
  }

  function table(className: string, head: readonly string[], rows: HTMLTableRowElement[]): HTMLTableElement {
    return element('table', { className }, element('thead', {}, element('tr', {}, ...head.map((h) => element('th', { text: h, attrs: { scope: 'col' } })))), element('tbody', {}, ...rows));
  }

  // The walk's parts, built once; each step fills them.
  const stepBox = element('section', { id: 'step', attrs: { 'aria-live': 'polite', 'aria-labelledby': 'step-heading' } });
  const verdict = element('p', { id: 'verdict' });
  const checks = element('div', { className: 'checks' });
  const tlbs = element('div', { className: 'tlbs' });
  const flushBody = element('tbody');
  const flushTable = element('table', { className: 'grid flushes' }, element('thead', {}, element('tr', {}, ...strings.flushHead.map((h) => element('th', { text: h, attrs: { scope: 'col' } })))), flushBody);
  const flushEmpty = element('p', { className: 'empty', text: strings.flushEmpty });
  const flushes = element('div', { className: 'flush-log' });
  const tables = element('div', { className: 'roots' });
  const guestTables = element('div', { className: 'guest-tables' });
  const freedSps = element('div', { className: 'freed-sps' });
  const guestRows = new Map<string, HTMLElement>();
  const freedRows = new Map<string, HTMLElement>();
  const counters = element('dl', { className: 'facts counters' });
  const flushRows = new Map<string, HTMLElement>();
  const tlbRows = new Map<number, Map<string, HTMLElement>>();
  const rootWrappers = new Map<string, HTMLElement>();
  let walkBuilt = false;
  // The picture of the hazard: drawn at the width of its box, again when that width changes.
  const pictureRange = element('p', { id: 'picture-range', className: 'picture-range' });
  const pictureBox = element('div', { id: 'picture', className: 'picture-box' });
  const pictureSection = element('div', {}, pictureRange, pictureBox, pictureLegend());
  let pictureNow: HazardPictureView | null = null;
  let pictureKey = '';
  function drawPicture(): void {
    const p = pictureNow;
    // The width the observer last measured (no layout forced inside a step's render); the first
    // time, the box's own. A folded section has none: keep the last drawing until it opens.
    const width = Math.floor(boxWidth || pictureBox.clientWidth);
    if (!width) return;
    const key = `${width}|${JSON.stringify(p)}`;
    if (key === pictureKey) return;
    pictureKey = key;
    pictureRange.textContent = p ? p.range.text : strings.pictureNone;
    const drawing = p ? renderPicture(document, p, width, PICTURE_WORDS, pick) : undefined;
    if (drawing) markOwnDrawing(drawing);
    pictureBox.replaceChildren(...(drawing ? [drawing] : []));
  }
  let resizeFrame = 0;
  let boxWidth = 0;
  new ResizeObserver((entries) => {
    boxWidth = entries[entries.length - 1].contentRect.width;
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(drawPicture);
  }).observe(pictureBox);

  function flushRow(f: PanelSnapshot['flushLog'][number], current: boolean): HTMLElement {
    return element('tr', { className: `flush-row ${f.issued ? 'issued' : 'skipped'}${current ? ' changed' : ''}`, attrs: { 'data-issued': String(f.issued), 'data-step': String(f.step) } },
      element('td', { text: String(f.step) }),
      element('td', {}, element('span', { className: `badge ${f.issued ? 'good' : 'warn'}`, text: f.issued ? `✔ ${strings.issued}` : `⚠ ${strings.skipped}` })),
      element('td', { className: 'code', text: f.call, title: f.reason ?? '' }),
      element('td', { text: f.range }),
      element('td', { className: 'code', text: f.fn }),
      element('td', { text: f.removed.join(', ') || '—' }));
  }

  /** A TLB row; `hazard`: the open hazard on this entry, if the core found one (then it is not a violation yet). */
  function tlbRow(e: PanelSnapshot['vcpus'][number]['tlb'][number], hazard: OpenHazard | undefined): HTMLElement {
    let state: HTMLElement;
    if (hazard) state = element('span', { className: 'badge warn', text: `⚠ ${hazard.strength === 'unmapped' ? strings.stale : strings.overPrivileged}${hazard.deadline !== undefined ? ` · ${strings.flushBy(hazard.deadline)}` : ''}` });
    else if (e.stale) state = element('span', { className: 'badge bad', text: `⚠ ${strings.stale}` });
    else state = element('span', { text: strings.valid });
    return element('tr', { className: `tlb-row${e.stale ? ' stale' : ''}${hazard ? ' hazard' : ''}`, attrs: { 'data-stale': String(e.stale), 'data-writable': String(e.writable), 'data-hazard': String(hazard !== undefined) } },
      ...[e.size, e.root, e.l2, e.gfns, e.pfn].map((x) => element('td', { text: x })),
      element('td', { text: e.writable ? strings.writable : strings.readOnly }),
      element('td', { className: 'state' }, state));
  }

  /** Buttons that move the walk to the steps a check or a hazard names. */
  function stepLinks(links: readonly [number | undefined, string][]): HTMLElement {
    const p = element('p', { className: 'step-links' });
    for (const [step, what] of links) {
      if (step === undefined) continue;
      const b = element('button', { className: 'secondary link step-goto', text: strings.goToStep(step, what), attrs: { type: 'button', 'data-step': String(step) } });
      b.addEventListener('click', () => goto(step));
      p.append(b, ' ');
    }
    return p;
  }

  function renderSnapshot(message: SnapshotMessage): string {
    const s: PanelSnapshot = message.snapshot;
    const step = s.step;
    const violationsSoFar = s.violations.length;
    generation++;
    if (!walkBuilt) {
      walkBuilt = true;
      walkArea.replaceChildren(
        toolbar,
        driverNote,
        stepBox,
        verdict,
        section('sec-picture', strings.picture, pictureSection),
        section('sec-checks', strings.checks, checks),
        section('sec-tlbs', strings.tlbs, tlbs),
        section('sec-flushes', strings.flushLog, flushes),
        // The shadow tables and the guest's own, side by side when the panel is wide enough.
        element('div', { className: 'tables-beside' }, section('sec-tables', strings.tables, tables), section('sec-guest', strings.guestTables, guestTables)),
        section('sec-freed', strings.freedSps, freedSps),
        section('sec-counters', strings.counters, counters),
        keysHint,
      );
    }
    walkArea.hidden = false;
    text.hidden = true;
    title.textContent = `${s.scenario} · ${s.variant}`;
    // Three states, as the core says: a violation so far (red), a hazard open (warning), pass so far.
    const tone = s.now === 'violation' ? 'bad' : s.now === 'hazard' ? 'warn' : 'ok';
    status.textContent = s.now === 'violation' ? `✖ ${strings.verdictViolation}` : s.now === 'hazard' ? `⚠ ${strings.hazardOpen}` : `✔ ${strings.passSoFar}`;
    status.className = `status ${tone}`;
    status.dataset.now = s.now;
    buttons.get('back')!.disabled = s.index < 0;
    buttons.get('restart')!.disabled = s.index < 0;
    buttons.get('forward')!.disabled = s.index >= s.total - 1;
    buttons.get('violation')!.disabled = s.verdict === 'pass';
    buttons.get('next-flush')!.disabled = false;
    buttons.get('walk')!.disabled = false;
    buttons.get('variant')!.disabled = false;
    driven = showDriver(buttons, message.driver, drivePosition(s.index, s.total), DRIVE_WORDS);
    driverNote.textContent = message.driver ?? '';
    driverNote.hidden = !driven;

    // The step itself: small, and different at every step.
    const heading = element('h2', { id: 'step-heading', text: `${strings.stepOf(s.index, s.total)}${step ? ` · ${step.anchor.fn} · ${step.opLabel}` : ''}` });
    stepBox.className = `step${step?.violations.length ? ' has-violation' : ''}`;
    const box: Node[] = [heading];
    if (step) {
      box.push(
        element('pre', { id: 'step-stmt', className: 'stmt', text: step.anchor.stmt }),
        element('p', { id: 'step-text', text: step.text }),
      );
      const facts = element('ul', { className: 'step-facts' });
      facts.append(element('li', { text: `${step.anchor.file} · ${step.lockHeld ? strings.lockHeld : strings.lockFree}` }));
      if (step.writeCount) facts.append(element('li', { text: strings.writes(step.writeCount) }));
      if (step.flush) facts.append(element('li', { className: `flush-fact ${step.flush.issued ? 'issued' : 'skipped'}`, text: `${step.flush.issued ? `✔ ${strings.issued}` : `⚠ ${strings.skipped}`}: ${step.flush.call}${step.flush.reason ? ` (${step.flush.reason})` : ''}` }));
      if (step.childSp) facts.append(element('li', { text: `sp#${step.childSp.id}: ${step.childSp.reused ? strings.reusedChild : strings.newChild}` }));
      if (step.tlbFilled) facts.append(element('li', { text: `TLB: ${step.tlbFilled}` }));
      for (const v of step.violations) facts.append(element('li', { className: 'violation-fact', text: `✖ ${v.kind}: ${v.message}` }));
      box.push(facts);
    } else {
      box.push(element('p', { id: 'step-text', text: strings.noStepYet }));
    }
    const src = element('p', { id: 'source', className: `source source-${message.source.kind}`, attrs: { 'data-source': message.source.kind } });
    src.append(element('span', { id: 'source-location', text: strings.sourceShown(message.source.label, message.source.location) }));
    if (message.source.note) {
      src.append(element('span', { id: 'source-note', className: 'note', text: ` ${message.source.note}` }));
      if (message.source.kind === 'patch' || message.source.kind === 'listing') {
        const locate = element('button', { className: 'secondary link step-locate', text: strings.locate, attrs: { type: 'button', 'data-action': 'locate' } });
        locate.addEventListener('click', () => act('locate'));
        src.append(' ', locate);
      }
    }
    box.push(src);
    stepBox.replaceChildren(...box);

    verdict.className = `verdict ${tone}`;
    verdict.dataset.now = s.now;
    const hazardsNow = s.hazards.length ? `${strings.hazardsOpen(s.hazards.length)} · ` : '';
    verdict.textContent = `${{ bad: '✖', warn: '⚠', ok: '✔' }[tone]} ${hazardsNow}${strings.verdictSoFar(violationsSoFar)} · ${strings.verdictRun(s.verdict === 'pass' ? strings.verdictPass : strings.verdictViolation)} · ${s.flushMode} · ${s.entries} entries · ${s.lockHeld ? strings.lockHeld : strings.lockFree}`;

    // Page tables: each table reused while it shows the same; tables gone from the view are dropped.
    setChildren(tables, s.roots.map((r) => {
      let wrapper = rootWrappers.get(r.name);
      if (!wrapper) rootWrappers.set(r.name, (wrapper = element('div', { className: 'root', attrs: { 'data-root': r.name } }, element('h3', { text: strings.root(r.name) }))));
      const node = tableNode(r.table, r.name);
      if (wrapper.lastChild !== node) wrapper.replaceChildren(wrapper.firstChild!, node);
      return wrapper;
    }));
    for (const [key, entry] of tableCache) if (entry.used !== generation) tableCache.delete(key);

    // Guest tables: one node a table, reused while it shows the same; the count of those left out.
    const guestNodes = keyed(guestRows, s.guestTables, (t) => JSON.stringify(t), guestTableNode);
    if (!guestNodes.length) guestNodes.push(element('p', { className: 'empty', text: strings.guestTablesEmpty }));
    if (s.guestTablesOmitted) guestNodes.push(element('p', { className: 'hint guest-omitted', text: strings.guestTablesOmitted(s.guestTablesOmitted) }));
    setChildren(guestTables, guestNodes);

    // Shadow pages that died, each with the rmap entries that still point into it.
    const freedNodes = keyed(freedRows, s.freedSps, (f) => JSON.stringify(f), freedSpNode);
    setChildren(freedSps, freedNodes.length ? freedNodes : [element('p', { className: 'empty', text: strings.freedEmpty })]);

    // TLBs: one block a vCPU, its rows reused by their content.
    const hazardOf = (e: { vcpu: number; id: number }) => s.hazards.find((h) => h.vcpu === e.vcpu && h.tlbId === e.id);
    rebuildIf(tlbs, JSON.stringify([s.vcpus, s.hazards]), () => s.vcpus.flatMap((v) => {
      if (!tlbRows.has(v.id)) tlbRows.set(v.id, new Map());
      const rows = keyed(tlbRows.get(v.id)!, v.tlb, (e) => JSON.stringify([e, hazardOf(e)?.deadline ?? null, hazardOf(e)?.strength ?? null]), (e) => tlbRow(e, hazardOf(e))) as HTMLTableRowElement[];
      return [element('h3', { text: strings.vcpu(v.id) }), rows.length ? table('grid tlb', strings.tlbHead, rows) : element('p', { className: 'empty', text: strings.tlbEmpty })];
    }));

    // The flush log, newest first: it grows by a row at a flush step; only the current step's row is marked.
    const rows = keyed(flushRows, [...s.flushLog].reverse(), (f) => `${JSON.stringify(f)}${f.step === s.index ? '*' : ''}`, (f) => flushRow(f, f.step === s.index));
    setChildren(flushBody, rows);
    setChildren(flushes, [rows.length ? flushTable : flushEmpty]);

    rebuildIf(checks, JSON.stringify([s.violations, s.hazards]), () => {
      // "All checks pass" only when nothing is wrong and nothing is pending.
      if (!s.violations.length && !s.hazards.length) return [element('p', { className: 'check-pass', text: `✔ ${strings.checksPass}` })];
      const hazards = s.hazards.map((h) => {
        const dl = element('dl', { className: 'facts' });
        const add = (k: string, val: string) => dl.append(element('dt', { text: k }), element('dd', { text: val }));
        add(h.strength === 'unmapped' ? strings.staleEntry : strings.overPrivilegedEntry, h.tlbEntry);
        add(strings.gfn, `0x${h.gfn.toString(16)}`);
        if (h.cause) add(strings.cause, h.cause);
        if (h.deadline !== undefined) add(strings.deadline, strings.deadlineAt(h.deadline, h.strength));
        return element('div', { className: 'check-hazard', attrs: { role: 'status', 'data-strength': h.strength } },
          element('p', {}, element('strong', { text: `⚠ ${strings.hazardOpen} (${h.strength})` }), ` — ${h.message}`), dl,
          stepLinks([[h.skippedFlush, strings.linkSkipped], [h.staleSince, h.strength === 'unmapped' ? strings.linkStale : strings.linkProtected], [h.deadline, strings.linkDeadline]]));
      });
      const violations = s.violations.map((v) => {
        const dl = element('dl', { className: 'facts' });
        const add = (k: string, val: string) => dl.append(element('dt', { text: k }), element('dd', { text: val }));
        if (v.tlbEntry) add(strings.staleEntry, v.tlbEntry);
        if (v.gfn >= 0) add(strings.gfn, `0x${v.gfn.toString(16)}`);
        if (v.staleSince !== undefined) add('', strings.staleSince(v.staleSince));
        if (v.skippedFlush !== undefined) add('', strings.skippedAt(v.skippedFlush));
        return element('div', { className: 'check-violation', attrs: { role: 'alert' } }, element('p', {}, element('strong', { text: `✖ ${strings.verdictViolation}: ${v.kind}${v.strength ? ` (${v.strength})` : ''}` }), ` ${strings.atStep(v.step)} — ${v.message}`), dl,
          stepLinks([[v.skippedFlush, strings.linkSkipped], [v.staleSince, strings.linkStale]]));
      });
      return [...violations, ...hazards];
    });

    pictureNow = s.picture;
    drawPicture();

    rebuildIf(counters, JSON.stringify(s.counters), () => (Object.keys(strings.counterNames) as (keyof typeof s.counters)[]).flatMap((k) => [element('dt', { text: strings.counterNames[k], attrs: { 'data-counter': k } }), element('dd', { text: String(s.counters[k]) })]));
    return heading.textContent ?? '';
  }

  return {
    showInit(message: InitMessage): string {
      title.textContent = message.title;
      text.textContent = message.text;
      status.textContent = message.protocolVersion === PROTOCOL_VERSION ? strings.connected : strings.protocolMismatch(message.protocolVersion, PROTOCOL_VERSION);
      status.classList.toggle('ok', message.protocolVersion === PROTOCOL_VERSION);
      const rows: [string, string][] = [
        [strings.host, strings.hostKinds[message.host]],
        [strings.extensionVersion, message.extensionVersion],
        [strings.protocolVersion, String(message.protocolVersion)],
      ];
      facts.replaceChildren(...rows.flatMap(([term, value]) => [element('dt', { text: term }), element('dd', { text: value })]));
      const timing = [element('dt', { text: strings.snapshotTime }), element('dd', { id: 'timing', text: '—' })] as [HTMLElement, HTMLElement];
      facts.append(...timing);
      timingsRow = timing;
      document.body.dataset.host = message.host;
      return text.textContent ?? '';
    },
    showIdle(message: { text: string }): void {
      walkArea.hidden = true;
      text.hidden = false;
      text.textContent = message.text;
    },
    showSnapshot(message: SnapshotMessage): { index: number; renderMs: number; text: string; checkMs: number; receivedAt: number; repliedAt: number } {
      const t0 = performance.now();
      const heading = renderSnapshot(message);
      const renderMs = performance.now() - t0;
      if (timingsRow) timingsRow[1].textContent = `${message.snapshotMs.toFixed(2)} ms; ${strings.renderTime} ${renderMs.toFixed(2)} ms`;
      if (ui.scrollY && !restoredScroll) {
        restoredScroll = true;
        window.scrollTo(0, ui.scrollY);
      }
      return { index: message.snapshot.index, renderMs: Math.round(renderMs * 1000) / 1000, text: heading, checkMs: Math.round(lastCheckMs * 1000) / 1000, receivedAt: lastReceivedAt, repliedAt: performance.timeOrigin + performance.now() };
    },
  };
}

let restoredScroll = false;
/** The snapshot on screen and its version: a snapshotDelta is applied to it, and the result checked as a whole snapshot is. */
const held = new DeltaHolder<PanelSnapshot>(checkPanelSnapshot);
// The benchmark's split of a step's round trip (docs/testing.md): when the message event fired, and how long its check took.
let lastReceivedAt = 0;
let lastCheckMs = 0;
const vscode = acquireVsCodeApi();
const ui = restoreUiState(vscode.getState());

const endpoint: MessageEndpoint<FromWebviewMessage, ToWebviewMessage> = new MessageEndpoint<FromWebviewMessage, ToWebviewMessage>({
  post: (envelope) => vscode.postMessage(envelope),
  check(value) {
    const t0 = performance.now();
    const problem = checkToWebviewMessage(value);
    lastCheckMs = performance.now() - t0;
    return problem;
  },
  handle(message) {
    switch (message.type) {
      case 'ping':
        return { type: 'pong' };
      case 'init':
        return { type: 'shown', text: view.showInit(message) };
      case 'snapshot':
        held.whole(message.version, message.snapshot);
        return { type: 'rendered', ...view.showSnapshot(message) };
      case 'snapshotDelta':
        return showDelta(message);
      case 'idle':
        view.showIdle(message);
        return undefined;
      case 'inspect':
        return { type: 'inspected', ...inspectDocument(document) };
      case 'review':
      case 'compare':
      case 'explore':
        // For the review view (media/review.ts), not this panel.
        console.warn('[kvm-mmu-lab] the panel got a message for the review view:', message.type);
        return undefined;
    }
  },
  dropped(reason, value) {
    console.warn('[kvm-mmu-lab] dropped a message:', reason, value);
    endpoint.send({ type: 'rejected', reason });
  },
});
const view = buildView(document.getElementById('app') ?? document.body, ui, () => vscode.setState(ui), (action) => endpoint.send({ type: 'action', action }), (step) => endpoint.send({ type: 'goto', step }), (step, mark) => endpoint.send({ type: 'pictureGoto', step, mark }));

/**
 * A step as what changed since the snapshot held: applied to a copy of that one, the result checked
 * as a whole snapshot is (src/view/protocol.ts), then rendered. Another version held, a delta that
 * does not apply, or a result that is not a snapshot: nothing is rendered, the held snapshot is
 * dropped, and the answer asks for the step whole.
 */
function showDelta(message: SnapshotDeltaMessage): FromWebviewMessage {
  const t0 = performance.now();
  const made = held.apply(message.base, message.version, message.ops);
  lastCheckMs += performance.now() - t0;
  if ('resend' in made) {
    console.warn('[kvm-mmu-lab] a snapshot delta was not used:', made.resend);
    return { type: 'resend', holds: made.holds, reason: made.resend };
  }
  const step: SnapshotMessage = { type: 'snapshot', version: message.version, scenarioLabel: message.scenarioLabel, snapshot: made.snapshot, source: message.source, snapshotMs: message.snapshotMs, ...(message.driver !== undefined ? { driver: message.driver } : {}) };
  return { type: 'rendered', ...view.showSnapshot(step) };
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  lastReceivedAt = performance.timeOrigin + performance.now();
  endpoint.receive(event.data);
});
endpoint.send({ type: 'ready' });
