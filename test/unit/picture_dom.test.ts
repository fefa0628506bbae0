/**
 * The picture's drawing (media/picture.ts) on a small stand-in for the DOM: the project has no DOM
 * library for unit tests, and the drawing needs only createElementNS, attributes, text and event
 * listeners. What it shows: only SVG elements with text set as text (nothing the CSP would refuse,
 * no handler attribute), the layout at the three widths the issue names (no label past the edge,
 * labels above their bars when narrow), kernel words only, and the clicks that move the walk.
 * The real-browser check (text boxes measured at each width, a click) is the UI test's (test/ui/walk.test.mjs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Walkthrough } from '../../src/run/walkthrough';
import { snapshotAt } from '../../src/view/snapshot';
import { findPreset } from '../../src/kernel/variants';
import type { HazardPictureView, PictureMark } from '../../src/view/protocol';
import { NARROW, renderPicture, SVG_NS, type PictureWords } from '../../media/picture';
import { scenario } from './helpers';

class FakeNode {
  readonly attributes = new Map<string, string>();
  readonly children: FakeNode[] = [];
  readonly listeners = new Map<string, ((e: unknown) => void)[]>();
  textContent = '';
  constructor(readonly namespaceURI: string, readonly tagName: string) {}
  setAttribute(k: string, v: string): void {
    this.attributes.set(k, v);
  }
  getAttribute(k: string): string | null {
    return this.attributes.get(k) ?? null;
  }
  appendChild(c: FakeNode): FakeNode {
    this.children.push(c);
    return c;
  }
  addEventListener(type: string, f: (e: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), f]);
  }
  fire(type: string, e: Record<string, unknown> = {}): void {
    for (const f of this.listeners.get(type) ?? []) f({ preventDefault() {}, stopPropagation() {}, ...e });
  }
  *all(): Generator<FakeNode> {
    yield this;
    for (const c of this.children) yield* c.all();
  }
  get title(): string {
    return this.children.find((c) => c.tagName === 'title')?.textContent ?? '';
  }
}

const fakeDocument = { createElementNS: (ns: string, tag: string) => new FakeNode(ns, tag) } as unknown as Document;

const WORDS: PictureWords = {
  root: (n) => `root ${n}`,
  vcpuTlb: (id) => `vCPU ${id} TLB`,
  lane: (l) => (l.kind === 'vcpu' ? `vCPU ${l.vcpu}` : l.kind === 'notifier' ? 'mmu notifier' : 'ioctl caller'),
  mappings: 'What maps the huge page',
  timeline: 'Who holds mmu_lock, and the flushes',
  step: (n) => `the walk is after step ${n}`,
  clickTo: (n, what) => `Click: go to step ${n}, ${what}`,
};

function picture(): HazardPictureView {
  const w = new Walkthrough(scenario('reused-partial'), { variant: findPreset('never-flush')! });
  return snapshotAt(w, 43).picture!;
}

function draw(width: number, picks: [number, PictureMark][] = []): FakeNode {
  return renderPicture(fakeDocument, picture(), width, WORDS, (step, mark) => picks.push([step, mark])) as unknown as FakeNode;
}

/** The same estimate of a label's width the drawing uses (11 px text). */
const CHAR = 6.6;

test('only SVG elements, text as text, no handler attribute, every shape with a tooltip', () => {
  const svg = draw(600);
  const nodes = [...svg.all()];
  assert.ok(nodes.every((n) => n.namespaceURI === SVG_NS), 'an element outside the SVG namespace');
  assert.deepEqual([...new Set(nodes.map((n) => n.tagName))].sort(), ['g', 'line', 'path', 'rect', 'svg', 'text', 'title']);
  assert.ok(nodes.every((n) => ![...n.attributes.keys()].some((k) => k.toLowerCase().startsWith('on'))), 'an on… attribute');
  for (const n of nodes.filter((x) => x.tagName === 'rect' || x.tagName === 'path')) assert.ok(n.title, `a ${n.tagName} (${n.getAttribute('class')}) without a tooltip`);
});

for (const width of [250, 600, 1600]) {
  test(`at ${width} px: the viewBox is the width, and no label runs past either edge`, () => {
    const svg = draw(width);
    assert.match(svg.getAttribute('viewBox')!, new RegExp(`^0 0 ${width} \\d+$`));
    assert.equal(svg.getAttribute('width'), '100%');
    for (const t of [...svg.all()].filter((n) => n.tagName === 'text')) {
      const x = Number(t.getAttribute('x'));
      const w = t.textContent.length * CHAR;
      const anchor = t.getAttribute('text-anchor');
      const [x0, x1] = anchor === 'end' ? [x - w, x] : anchor === 'middle' ? [x - w / 2, x + w / 2] : [x, x + w];
      assert.ok(x0 >= 0 && x1 <= width, `"${t.textContent}" spans ${x0.toFixed(0)}..${x1.toFixed(0)} in ${width} px`);
    }
    // Narrow: every row's label starts at the left edge on a line of its own; wide: a column ending at the bars.
    const label = [...svg.all()].find((n) => n.textContent === 'root B' && n.tagName === 'text')!;
    if (width < NARROW) assert.equal(label.getAttribute('text-anchor'), 'start');
    else assert.equal(label.getAttribute('text-anchor'), 'end');
  });
}

test('kernel words only: no model identifier in a label or a tooltip', () => {
  const texts = [...draw(1600).all()].filter((n) => n.tagName === 'text' || n.tagName === 'title').map((n) => n.textContent);
  for (const t of texts) {
    // camelCase is how the model names things (splitGetSp, spsReused, remoteFlushes); the kernel's words are snake_case.
    const camel = (t.match(/\b[a-z]+[A-Z]\w*/g) ?? []).filter((w) => w !== 'vCPU');
    assert.deepEqual(camel, [], `"${t}"`);
  }
});

test('a click on a band goes to the step that made it stale, on its mark to the skipped flush; the timeline\'s marks to theirs', () => {
  const picks: [number, PictureMark][] = [];
  const svg = draw(1600, picks);
  const nodes = [...svg.all()];
  const band = nodes.find((n) => n.getAttribute('class') === 'pic-band')!;
  band.fire('click');
  band.fire('keydown', { key: 'Enter' });
  band.fire('keydown', { key: 'a' });
  nodes.find((n) => n.getAttribute('class') === 'pic-band-skip')!.fire('click');
  nodes.find((n) => n.getAttribute('class')?.startsWith('pic-flush pic-flush-skipped'))!.fire('click');
  nodes.find((n) => n.getAttribute('class')?.startsWith('pic-violation'))!.fire('keydown', { key: ' ' });
  // Band: stale since the drop at 25; its mark and the timeline's first skipped flush: 26; the check fails at 43.
  assert.deepEqual(picks, [[25, 'stale-since'], [25, 'stale-since'], [26, 'skipped-flush'], [26, 'skipped-flush'], [43, 'violation']]);
  assert.match(band.title, /still covers gfns 0x40200\.\.0x40204 .*\nClick: go to step 25, stale-since$/);
  assert.equal(band.getAttribute('role'), 'button');
  assert.equal(band.getAttribute('tabindex'), '0');
});

test('marks after the walk\'s step are drawn as the future: the flush at 50 after step 43', () => {
  const nodes = [...draw(600).all()];
  const later = nodes.find((n) => n.getAttribute('data-step') === '50' && n.tagName === 'path')!;
  assert.match(later.getAttribute('class')!, /pic-flush-issued pic-future/);
  const before = nodes.find((n) => n.getAttribute('data-step') === '26' && n.tagName === 'path')!;
  assert.doesNotMatch(before.getAttribute('class')!, /pic-future/);
});
