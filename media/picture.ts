// The picture of the hazard as SVG: what src/view/hazard_picture.ts computed, drawn with DOM APIs
// (createElementNS and textContent: no markup from data, nothing evaluated, so the panel's strict CSP
// holds). Colours are classes that media/panel.css fills from the theme's --vscode-* variables.
//
// The drawing is sized to the width it is given, in CSS pixels (the panel measures its box and draws
// again when it changes), so text keeps the editor's size at 250 px as at 1600 px; the viewBox is that
// same width, and the SVG scales with its box between two measurements. No label wraps (SVG text
// never does) and each is a whole word or identifier: where one would not fit its column the narrow
// layout puts labels on a line of their own above their bar, and gfn ticks that would overlap are
// left out (every shape's tooltip has its gfns). Clicking a band or a mark calls `pick` with the step
// it names; the same shapes take Enter and Space from the keyboard.
import type { HazardPictureView, PictureMark } from '../src/view/protocol';

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** The words the picture draws (media/strings.ts gives them in the user's language). */
export interface PictureWords {
  root(name: string): string;
  vcpuTlb(id: number): string;
  lane(lane: HazardPictureView['timeline']['lanes'][number]): string;
  mappings: string;
  timeline: string;
  step(n: number): string;
  /** The tooltip's line saying what a click does: "Click: go to step 25, where it went stale". */
  clickTo(step: number, what: PictureMark): string;
}

/** Below this width the labels go above their bars. */
export const NARROW = 420;
/** Rough width of a character of the labels (11 px text), to keep labels from overlapping. */
const CHAR = 6.6;
const ROW = 16;
const GAP = 6;

type Pick = (step: number, mark: PictureMark) => void;

interface Layout {
  width: number;
  narrow: boolean;
  /** Where the bars start and how wide they are. */
  left: number;
  plot: number;
}

function layoutFor(width: number, labels: readonly string[]): Layout {
  const w = Math.max(200, Math.floor(width));
  const narrow = w < NARROW;
  const longest = Math.max(0, ...labels.map((l) => l.length));
  const left = narrow ? 4 : Math.min(Math.ceil(longest * CHAR) + 12, Math.floor(w * 0.3));
  return { width: w, narrow, left, plot: w - left - 8 };
}

/** Builds SVG elements on `doc` (the panel's document; a test's stand-in). */
class Pen {
  constructor(private readonly doc: Document, private readonly pick: Pick) {}

  el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: Node[]): SVGElementTagNameMap[K] {
    const node = this.doc.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K];
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    for (const c of children) node.appendChild(c);
    return node;
  }

  text(x: number, y: number, className: string, content: string, anchor: 'start' | 'middle' | 'end' = 'start'): SVGTextElement {
    const t = this.el('text', { x, y, class: className, 'text-anchor': anchor });
    t.textContent = content;
    return t;
  }

  /** A shape with its tooltip; with `link`, a button that moves the walk to that step. */
  shape(node: SVGElement, tooltip: string, link?: { step: number; mark: PictureMark; words: string }): SVGElement {
    const title = this.el('title', {});
    title.textContent = link ? `${tooltip}\n${link.words}` : tooltip;
    node.appendChild(title);
    if (!link) return node;
    node.setAttribute('tabindex', '0');
    node.setAttribute('role', 'button');
    node.setAttribute('aria-label', `${tooltip}. ${link.words}`);
    node.setAttribute('data-step', String(link.step));
    node.setAttribute('data-mark', link.mark);
    node.addEventListener('click', () => this.pick(link.step, link.mark));
    node.addEventListener('keydown', (e) => {
      const key = (e as KeyboardEvent).key;
      if (key !== 'Enter' && key !== ' ') return;
      e.preventDefault();
      e.stopPropagation();
      this.pick(link.step, link.mark);
    });
    return node;
  }
}

/** At least `min` wide, so a 4K page in a 1G range stays a shape a pointer can reach. */
function span(l: Layout, x: number, w: number, min = 3): { x: number; width: number } {
  const x0 = l.left + x * l.plot;
  const width = Math.max(min, w * l.plot);
  return { x: Math.min(x0, l.left + l.plot - width), width };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** A row's label: in the label column, or (narrow) on its own line; returns the y of the bar. */
function rowLabel(pen: Pen, g: SVGGElement, l: Layout, y: number, label: string): number {
  if (l.narrow) {
    g.appendChild(pen.text(l.left, y + 11, 'pic-label', label));
    return y + 14;
  }
  g.appendChild(pen.text(l.left - 8, y + 12, 'pic-label', label, 'end'));
  return y;
}

/** The gfn ticks that fit without overlapping: always the first and the last (the gfn after the range). */
function ticks(pen: Pen, g: SVGGElement, l: Layout, p: HazardPictureView, y: number): void {
  const all = p.ticks;
  const labelOf = (gfn: number) => `0x${gfn.toString(16)}`;
  const lastX0 = l.left + l.plot - labelOf(all[all.length - 1].gfn).length * CHAR;
  let right = -Infinity;
  for (let k = 0; k < all.length; k++) {
    const label = labelOf(all[k].gfn);
    const x = l.left + all[k].x * l.plot;
    const w = label.length * CHAR;
    const last = k === all.length - 1;
    const anchor = k === 0 ? 'start' : last ? 'end' : 'middle';
    const x0 = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
    if (k > 0 && !last && (x0 < right + 6 || x0 + w > lastX0 - 6)) continue;
    g.appendChild(pen.el('line', { x1: round(x), x2: round(x), y1: y + 2, y2: y + 6, class: 'pic-tick' }));
    g.appendChild(pen.text(round(x), y, 'pic-tick-label', label, anchor));
    right = x0 + w;
  }
}

function mappings(pen: Pen, l: Layout, p: HazardPictureView, words: PictureWords, top: number): { g: SVGGElement; bottom: number } {
  const g = pen.el('g', { class: 'pic-mappings' });
  let y = top;
  g.appendChild(pen.text(4, y + 11, 'pic-heading', words.mappings));
  y += ROW + 2;
  ticks(pen, g, l, p, y + 10);
  y += 14;
  for (const r of p.roots) {
    const by = rowLabel(pen, g, l, y, words.root(r.name));
    const row = pen.el('g', { class: 'pic-root', 'data-root': r.name });
    for (const s of r.segments) {
      const { x, width } = span(l, s.x, s.w);
      row.appendChild(pen.shape(pen.el('rect', { x: round(x), y: by, width: round(width), height: ROW - 2, class: `pic-seg pic-${s.kind}`, 'data-from': s.from, 'data-to': s.to }), `${words.root(r.name)}: ${s.text}`));
    }
    g.appendChild(row);
    y = by + ROW + GAP;
  }
  for (const v of p.vcpus) {
    const by = rowLabel(pen, g, l, y, words.vcpuTlb(v.id));
    const row = pen.el('g', { class: 'pic-tlb', 'data-vcpu': v.id });
    row.appendChild(pen.el('line', { x1: l.left, x2: l.left + l.plot, y1: by + ROW / 2, y2: by + ROW / 2, class: 'pic-baseline' }));
    for (const e of v.entries) {
      const { x, width } = span(l, e.x, e.w);
      row.appendChild(pen.shape(pen.el('rect', { x: round(x), y: by + 2, width: round(width), height: ROW - 6, class: `pic-tlb-entry${e.stale ? ' pic-stale-entry' : ''}`, 'data-tlb': e.tlbId }), e.text));
    }
    // The bands over the entry they belong to: a click goes to the step that made them stale.
    for (const b of p.bands.filter((x) => x.vcpu === v.id)) {
      const { x, width } = span(l, b.x, b.w, 6);
      const link = b.staleSince !== undefined ? { step: b.staleSince, mark: 'stale-since' as const, words: words.clickTo(b.staleSince, 'stale-since') } : undefined;
      row.appendChild(pen.shape(pen.el('rect', { x: round(x), y: by - 1, width: round(width), height: ROW, class: 'pic-band', 'data-from': b.from, 'data-to': b.to, 'data-tlb': b.tlbId }), b.text, link));
      // The skipped flush, a mark at the band's right edge.
      if (b.skippedFlush !== undefined) {
        const mx = x + width - 6;
        row.appendChild(pen.shape(pen.el('rect', { x: round(mx), y: by - 4, width: 6, height: 6, class: 'pic-band-skip', 'data-step': b.skippedFlush }), b.text, { step: b.skippedFlush, mark: 'skipped-flush', words: words.clickTo(b.skippedFlush, 'skipped-flush') }));
      }
    }
    g.appendChild(row);
    y = by + ROW + GAP;
  }
  return { g, bottom: y };
}

function timeline(pen: Pen, l: Layout, p: HazardPictureView, words: PictureWords, top: number): { g: SVGGElement; bottom: number } {
  const t = p.timeline;
  const g = pen.el('g', { class: 'pic-timeline' });
  let y = top;
  g.appendChild(pen.text(4, y + 11, 'pic-heading', words.timeline));
  y += ROW + 2;
  const steps = Math.max(1, t.total);
  const xOf = (step: number) => l.left + ((step + 0.5) / steps) * l.plot;
  const laneY: number[] = [];
  for (let k = 0; k < t.lanes.length; k++) {
    const by = rowLabel(pen, g, l, y, words.lane(t.lanes[k]));
    laneY.push(by);
    g.appendChild(pen.el('line', { x1: l.left, x2: l.left + l.plot, y1: by + ROW / 2, y2: by + ROW / 2, class: 'pic-baseline' }));
    y = by + ROW + GAP;
  }
  const future = (step: number) => (step > t.index ? ' pic-future' : '');
  for (const s of t.locks) {
    const x0 = xOf(s.from);
    const x1 = Math.max(x0 + 3, xOf(s.to));
    g.appendChild(pen.shape(pen.el('rect', { x: round(x0), y: laneY[s.lane] + 3, width: round(x1 - x0), height: ROW - 8, class: `pic-lock${future(s.from)}` }), s.text));
    // The release: a mark a click goes to.
    g.appendChild(pen.shape(pen.el('rect', { x: round(x1 - 1.5), y: laneY[s.lane] + 1, width: 3, height: ROW - 4, class: `pic-release${future(s.to)}` }), s.text, { step: s.to, mark: 'lock-release', words: words.clickTo(s.to, 'lock-release') }));
  }
  for (const f of t.flushes) {
    const x = xOf(f.step);
    const mark = f.issued ? 'flush' : 'skipped-flush';
    const shape = pen.el('path', { d: `M${round(x)} ${laneY[f.lane] + 1}l5 6l-5 6l-5 -6z`, class: `pic-flush ${f.issued ? 'pic-flush-issued' : 'pic-flush-skipped'}${future(f.step)}` });
    g.appendChild(pen.shape(shape, f.text, { step: f.step, mark, words: words.clickTo(f.step, mark) }));
  }
  for (const v of t.violations) {
    const x = xOf(v.step);
    const shape = pen.el('path', { d: `M${round(x) - 5} ${laneY[v.lane] + 1}l10 12m0 -12l-10 12`, class: `pic-violation${future(v.step)}` });
    g.appendChild(pen.shape(shape, v.text, { step: v.step, mark: 'violation', words: words.clickTo(v.step, 'violation') }));
  }
  // Where the walk is: a line through every lane.
  if (t.index >= 0) {
    g.appendChild(pen.shape(pen.el('line', { x1: round(xOf(t.index)), x2: round(xOf(t.index)), y1: top + ROW, y2: y - GAP + 2, class: 'pic-now' }), words.step(t.index)));
  }
  return { g, bottom: y };
}

/**
 * The picture, `width` CSS pixels wide. `pick` is told the step a clicked band or mark names; the
 * caller posts it to the extension.
 */
export function renderPicture(doc: Document, p: HazardPictureView, width: number, words: PictureWords, pick: Pick): SVGSVGElement {
  const labels = [...p.roots.map((r) => words.root(r.name)), ...p.vcpus.map((v) => words.vcpuTlb(v.id)), ...p.timeline.lanes.map((x) => words.lane(x))];
  const l = layoutFor(width, labels);
  const pen = new Pen(doc, pick);
  const top = mappings(pen, l, p, words, 2);
  const bottom = timeline(pen, l, p, words, top.bottom + 4);
  const height = Math.ceil(bottom.bottom + 2);
  const svg = pen.el('svg', {
    class: `picture${l.narrow ? ' narrow' : ''}`, viewBox: `0 0 ${l.width} ${height}`, width: '100%', height,
    preserveAspectRatio: 'xMinYMin meet', role: 'group', 'data-width': l.width,
  });
  svg.appendChild(top.g);
  svg.appendChild(bottom.g);
  return svg;
}
