/**
 * A step as the person sees it: the panel's snapshot computed by the core (in Node, as the
 * extension does, WalkSession.snapshot) and rendered by the real webview bundle (media/main.ts)
 * in headless Chromium, with media/panel.css, at 512 entries a table. Each step is timed in three
 * parts: the snapshot in the extension; the webview's handling of the message (the protocol check
 * and the DOM update, dispatched synchronously); and the style and layout that follow (forced by
 * reading the page's height). Every step forward, then every step back. The first render (an empty
 * panel) is reported on its own and left out of the forward figures.
 *
 * Run by scripts/bench.mjs after the Node benchmarks (it needs a browser: /usr/bin/chromium,
 * installed with the VS Code host; without it this part reports why it was skipped).
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { chromium } from 'playwright-core';
import { WalkSession } from '../src/session/session';
import { PROTOCOL_VERSION, type Envelope, type SnapshotMessage, type ToWebviewMessage } from '../src/view/protocol';
import { builtinScenario } from '../src/scenario/builtins';
import { findPreset } from '../src/kernel/variants';

const CHROMIUM = '/usr/bin/chromium';

interface StepTime { snapshotMs: number; handleMs: number; layoutMs: number; renderMs: number; totalMs: number }

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { medianMs: r(s[Math.floor(s.length / 2)]), p95Ms: r(s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]), maxMs: r(s[s.length - 1]), steps: s.length };
}

function summary(ts: StepTime[]) {
  return {
    total: stats(ts.map((t) => t.totalMs)),
    snapshot: stats(ts.map((t) => t.snapshotMs)),
    webviewHandle: stats(ts.map((t) => t.handleMs)),
    styleAndLayout: stats(ts.map((t) => t.layoutMs)),
    over16ms: ts.filter((t) => t.totalMs > 16).length,
  };
}

export async function benchRender(webviewBundle: string, quick: boolean): Promise<Record<string, unknown>> {
  if (!existsSync(CHROMIUM)) return { skipped: `no ${CHROMIUM} (npm run host:install installs it)` };
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const out: Record<string, unknown> = {};
    const walks: [string, string, number][] = [['reused-partial', 'never-flush', Infinity], ['reused-partial', 'v7', Infinity]];
    if (!quick) walks.push(['common-1g', 'v7', 400]);
    for (const [scenario, variant, limit] of walks) out[`render-${scenario}-${variant}`] = await walk(browser, webviewBundle, scenario, variant, limit);
    out.note = 'one step = snapshot (core, Node) + webview handling (protocol check + DOM update) + style and layout (forced), in headless Chromium with panel.css at 1280x800; forward over every step (the first, empty-panel render apart), then back; common-1g: its first 400 steps (the split) each way';
    out.machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadAverage: loadavg().map((x) => Math.round(x * 100) / 100), chromium: browser.version() };
    return out;
  } finally {
    await browser.close();
  }
}

async function walk(browser: import('playwright-core').Browser, bundle: string, name: string, variant: string, limit: number) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.setContent('<!DOCTYPE html><html><head><meta charset="UTF-8"></head><body data-surface="panel"><main id="app"></main></body></html>');
  // What VS Code gives a webview: acquireVsCodeApi(); here postMessage keeps the replies for the timer below.
  await page.evaluate(() => {
    const w = window as unknown as { acquireVsCodeApi(): unknown; __posted: unknown[] };
    w.__posted = [];
    let state: unknown;
    w.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => w.__posted.push(m), getState: () => state, setState: (s: unknown) => (state = s) });
  });
  await page.addStyleTag({ content: readFileSync('media/panel.css', 'utf8') });
  await page.addScriptTag({ content: readFileSync(bundle, 'utf8') });
  let id = 1;
  const send = (body: ToWebviewMessage) =>
    page.evaluate((envelope: Envelope<ToWebviewMessage>) => {
      const w = window as unknown as { __posted: Envelope<{ type: string; renderMs?: number }>[] };
      const t0 = performance.now();
      window.dispatchEvent(new MessageEvent('message', { data: envelope }));
      const t1 = performance.now();
      void document.body.getBoundingClientRect().height;
      void document.documentElement.scrollHeight;
      const t2 = performance.now();
      const reply = w.__posted.find((m) => m.inReplyTo === envelope.messageId);
      if (!reply) throw new Error(`no reply to ${envelope.body.type}: ${JSON.stringify(w.__posted.slice(-1))}`);
      w.__posted.length = 0;
      return { handleMs: t1 - t0, layoutMs: t2 - t1, renderMs: reply.body.renderMs ?? 0 };
    }, { messageId: id++, body });
  await send({ type: 'init', protocolVersion: PROTOCOL_VERSION, extensionVersion: 'bench', host: 'node', title: 'KVM MMU Lab', text: 'bench' });
  const session = new WalkSession(builtinScenario(name)!, { kind: 'builtin', id: name, label: name }, { variant: findPreset(variant)! });
  const last = Math.min(session.total - 1, limit - 1);
  const step = async (index: number): Promise<StepTime> => {
    session.goTo(index);
    const { snapshot, ms } = session.snapshot(() => performance.now());
    const message: SnapshotMessage = { type: 'snapshot', version: index + 2, scenarioLabel: name, snapshot, source: { kind: 'kernel', label: 'kernel tree', location: 'arch/x86/kvm/mmu/mmu.c:1', note: '' }, snapshotMs: ms };
    const t = await send(message);
    return { snapshotMs: ms, ...t, totalMs: ms + t.handleMs + t.layoutMs };
  };
  const first = await step(-1);
  const forward: StepTime[] = [];
  for (let i = 0; i <= last; i++) forward.push(await step(i));
  const backward: StepTime[] = [];
  for (let i = last - 1; i >= -1; i--) backward.push(await step(i));
  const nodes = await page.evaluate(() => document.querySelectorAll('*').length);
  await page.close();
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    entries: session.scenario.entries, steps: last + 1, domNodesAtTheEnd: nodes,
    firstRender: { snapshotMs: r(first.snapshotMs), handleMs: r(first.handleMs), layoutMs: r(first.layoutMs), totalMs: r(first.totalMs) },
    forward: summary(forward), backward: summary(backward),
  };
}
