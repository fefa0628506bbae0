/**
 * The walk's stepping controls (media/toolbar.ts) and the page that loads their icons
 * (extension/panel.ts): each control a button with a codicon and an accessible name (an icon carries
 * no text), the icon font shipped and allowed by the CSP and nothing else opened, and the package's
 * allow-list holding exactly the files the page loads. The real-browser check (the font loaded, no
 * control clipped at 250, 600 and 1600 px) is the UI test's (test/ui/walk.test.mjs).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { STEP_BUTTONS, stepButton } from '../../media/toolbar';
import { requireVscodeAs, vscodeStub } from '../support/vscode-stub';

const ROOT = join(__dirname, '..', '..');

const stub = vscodeStub();
const restore = requireVscodeAs(stub);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- after the stub is in place
const panel = require('../../extension/panel') as typeof import('../../extension/panel');
restore();

/** Enough of an HTML element for stepButton: attributes, a class name, children, text. */
class FakeElement {
  readonly attributes = new Map<string, string>();
  readonly children: FakeElement[] = [];
  className = '';
  textContent = '';
  constructor(readonly tagName: string) {}
  setAttribute(k: string, v: string): void {
    this.attributes.set(k, v);
  }
  appendChild(c: FakeElement): FakeElement {
    this.children.push(c);
    return c;
  }
}
const fakeDocument = { createElement: (tag: string) => new FakeElement(tag.toUpperCase()) } as unknown as Document;

function draw(label = 'Back'): FakeElement[] {
  return STEP_BUTTONS.map((b) => stepButton(fakeDocument, b, `${label} ${b.action}`) as unknown as FakeElement);
}

const codicons = (): Set<string> => new Set([...readFileSync(join(ROOT, 'node_modules/@vscode/codicons/dist/codicon.css'), 'utf8').matchAll(/\.codicon-([a-z0-9-]+):before/g)].map((m) => m[1]));

test('every stepping control is a button showing a codicon, no text of its own, named by aria-label and titled with its keys', () => {
  const buttons = draw();
  assert.deepEqual(buttons.map((b) => b.attributes.get('data-action')), ['restart', 'back', 'forward', 'next-flush', 'violation']);
  for (const b of buttons) {
    const action = b.attributes.get('data-action');
    assert.equal(b.tagName, 'BUTTON');
    assert.equal(b.attributes.get('type'), 'button', `${action}: a submit button`);
    assert.equal(b.textContent, '', `${action}: text beside the icon`);
    assert.equal(b.children.length, 1, `${action}: one child, the icon`);
    const [icon] = b.children;
    assert.match(icon.className, /^codicon codicon-[a-z-]+$/, `${action}: the icon's classes`);
    assert.equal(icon.attributes.get('aria-hidden'), 'true', `${action}: the icon is read out`);
    assert.equal(icon.textContent, '', `${action}: a glyph in the markup instead of the font's`);
    assert.equal(b.attributes.get('aria-label'), `Back ${action}`, `${action}: no accessible name`);
    const keys = b.attributes.get('aria-keyshortcuts')!;
    assert.equal(b.attributes.get('title'), `Back ${action} (${keys.split(' ').join(' or ')})`);
    assert.ok(![...b.attributes.keys()].some((k) => k.startsWith('on')), `${action}: an on… attribute`);
  }
});

test('the icons are the debug toolbar\'s where the action is a debugger\'s, and each exists in the pinned @vscode/codicons', () => {
  const icons = Object.fromEntries(STEP_BUTTONS.map((b) => [b.action, b.icon]));
  assert.deepEqual(icons, { restart: 'debug-restart', back: 'debug-step-back', forward: 'debug-step-over', 'next-flush': 'debug-continue', violation: 'warning' });
  const known = codicons();
  assert.ok(known.size > 300, 'codicon.css read');
  for (const b of STEP_BUTTONS) assert.ok(known.has(b.icon), `codicon-${b.icon} is not in @vscode/codicons`);
  assert.equal(new Set(STEP_BUTTONS.map((b) => b.key)).size, STEP_BUTTONS.length, 'two controls share an accesskey');
});

const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';
const fakeWebview = { cspSource: CSP_SOURCE, asWebviewUri: (u: { path: string }) => ({ toString: () => `${CSP_SOURCE}${u.path}` }) } as unknown as import('vscode').Webview;
const extensionUri = (stub.module.Uri as unknown as { file(p: string): import('vscode').Uri }).file('/ext');

function csp(html: string): string[] {
  const content = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
  assert.ok(content, 'no CSP meta');
  return content.replace(/&#39;|&apos;/g, "'").split('; ');
}

test('the panel\'s page loads the icons\' stylesheet through asWebviewUri before panel.css, and its CSP opens fonts to the extension only', () => {
  const html = panel.webviewHtml(fakeWebview, extensionUri, 'webview.js', 'panel', 'KVM MMU Lab', { codicons: true });
  const sheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]*)">/g)].map((m) => m[1]);
  assert.deepEqual(sheets, [`${CSP_SOURCE}/ext/dist/codicons/codicon.css`, `${CSP_SOURCE}/ext/media/panel.css`]);
  const policy = csp(html);
  const nonce = /script-src 'nonce-([0-9a-f]+)'/.exec(policy.join('; '))?.[1];
  assert.ok(nonce, 'no nonce');
  assert.deepEqual(policy, [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${CSP_SOURCE}`, `img-src ${CSP_SOURCE}`, `font-src ${CSP_SOURCE}`]);
  assert.doesNotMatch(html, /unsafe-inline|unsafe-eval|<style|style="/);
});

test('a page without icons (the review view) loads no icon stylesheet and gets no font-src', () => {
  const html = panel.webviewHtml(fakeWebview, extensionUri, 'review.js', 'review', 'KVM MMU Lab review');
  assert.doesNotMatch(html, /codicon/);
  assert.ok(!csp(html).some((d) => d.startsWith('font-src')), 'font-src without icons');
});

test('the build puts codicon.css beside the font it names, and .vscodeignore lets exactly those files (and the font\'s licence) in', () => {
  const css = readFileSync(join(ROOT, 'node_modules/@vscode/codicons/dist/codicon.css'), 'utf8');
  const fonts = [...css.matchAll(/url\("\.\/([^"?]+)[^"]*"\)/g)].map((m) => m[1]);
  assert.deepEqual(fonts, ['codicon.ttf'], 'the stylesheet names a font other than ./codicon.ttf');
  assert.match(readFileSync(join(ROOT, 'scripts/build.mjs'), 'utf8'), /dist\/codicons/);
  const allowed = readFileSync(join(ROOT, '.vscodeignore'), 'utf8').split('\n').filter((l) => l.startsWith('!')).map((l) => l.slice(1).trim());
  assert.deepEqual(allowed.filter((l) => l.includes('codicon')), ['dist/codicons/codicon.css', 'dist/codicons/codicon.ttf', 'dist/codicons/LICENSE.txt']);
  assert.deepEqual(panel.CODICONS_CSS, ['dist', 'codicons', 'codicon.css']);
  if (existsSync(join(ROOT, 'dist/codicons'))) {
    for (const f of ['codicon.css', 'codicon.ttf', 'LICENSE.txt']) assert.ok(existsSync(join(ROOT, 'dist/codicons', f)), `dist/codicons/${f} not built`);
  }
});

test('while a debug session drives the walk, the stepping buttons name the Debug toolbar\'s request they send, those that cannot drive are disabled saying why, and the session\'s end gives their own back', async () => {
  const { showDriver, DRIVEN_ACTIONS } = await import('../../media/toolbar');
  /** A button: attributes and disabled, as showDriver reads and sets them. */
  const button = (title: string) => {
    const attrs = new Map<string, string>([['title', title]]);
    return { disabled: false, setAttribute: (k: string, v: string) => void attrs.set(k, v), getAttribute: (k: string) => attrs.get(k) ?? null, removeAttribute: (k: string) => void attrs.delete(k) };
  };
  const buttons = new Map(['restart', 'back', 'forward', 'next-flush', 'violation', 'walk', 'variant', 'export', 'locate'].map((a) => [a as never, button(`own ${a}`)]));
  const words = { drives: (command: string, own: string) => `${command} · ${own}`, refused: (why: string, action: string) => `${action}: ${why}` };
  const how = 'A debug session drives this walk';
  const title = (a: string) => buttons.get(a as never)!.getAttribute('title');
  const disabled = (a: string) => buttons.get(a as never)!.disabled;

  // Mid-run (stopped before step 21 of 54): the four stepping buttons send their requests (src/debug/drive.ts).
  assert.equal(showDriver(buttons, how, { pos: 21, total: 54 }, words), true);
  assert.equal(title('forward'), 'next · own forward');
  assert.equal(title('back'), 'stepBack · own back');
  assert.equal(title('violation'), 'continue · own violation');
  assert.equal(title('restart'), 'restart · own restart');
  for (const a of ['forward', 'back', 'violation', 'restart']) assert.equal(disabled(a), false, a);
  assert.equal(buttons.get('forward' as never)!.getAttribute('data-request'), 'next');
  // No request runs to the next flush; a scenario or variant is another run: disabled, saying why.
  assert.equal(title('next-flush'), 'next-flush: no-request');
  assert.equal(title('walk'), 'walk: leaves-run');
  assert.equal(title('variant'), 'variant: leaves-run');
  for (const a of ['next-flush', 'walk', 'variant']) assert.equal(disabled(a), true, a);
  // Export and Locate stay the walk's: they do not move it.
  assert.equal(DRIVEN_ACTIONS.includes('export'), false);
  assert.equal(title('export'), 'own export');
  assert.equal(disabled('export'), false);

  // At the entry (position 0): nothing to step back to.
  showDriver(buttons, how, { pos: 0, total: 54 }, words);
  assert.equal(disabled('back'), true);
  assert.equal(title('back'), 'back: at-start', 'a second stop keeps the button\'s own tooltip aside, not the driver\'s');
  assert.equal(disabled('restart'), true);
  assert.equal(disabled('forward'), false);
  // At the end: nothing to step over or continue to.
  showDriver(buttons, how, { pos: 54, total: 54 }, words);
  assert.equal(disabled('forward'), true);
  assert.equal(disabled('violation'), true);
  assert.equal(title('forward'), 'forward: at-end');
  assert.equal(disabled('back'), false);
  assert.equal(title('back'), 'stepBack · own back');

  // The session ends: the caller enables by the step; the tooltips are the buttons' own again.
  for (const b of buttons.values()) b.disabled = false;
  assert.equal(showDriver(buttons, undefined, { pos: 0, total: 0 }, words), false);
  for (const [action, b] of buttons) {
    assert.equal(b.getAttribute('title'), `own ${action}`);
    assert.equal(b.getAttribute('data-driven'), null);
    assert.equal(b.getAttribute('data-request'), null);
  }
});
