// The words are localisable (package.nls.json, l10n/bundle.l10n.json), and nothing slips past them:
// every title, setting description and view name package.json contributes is a %key% that
// package.nls.json defines, and every message the code hands to a translate function (l10n.t in
// extension/ and in the webviews' media/, `t` in the renderings of src/view/ both pass it to) is a key of the
// bundle, which a translator copies. Both lists are read from the sources, so a string added
// without its entry fails here. `UPDATE_L10N=1 npx tsx --test test/unit/l10n.test.ts` rewrites the
// bundle from the sources (then read the diff).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '..', '..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
const BUNDLE = 'l10n/bundle.l10n.json';

/** The sources whose messages go through a translate function, and the call that marks one. */
const SOURCES: { dir: string; call: RegExp }[] = [
  { dir: 'extension', call: /\bl10n\.t\(\s*'((?:[^'\\\n]|\\.)*)'/g },
  // The webviews' (media/l10n.ts: @vscode/l10n with the bundle the extension writes into the page).
  { dir: 'media', call: /\bl10n\.t\(\s*'((?:[^'\\\n]|\\.)*)'/g },
  // src/view's renderings take `t: Translate` (src/view/translate.ts); the extension passes l10n.t.
  { dir: 'src/view', call: /(?<![\w.])t\(\s*'((?:[^'\\\n]|\\.)*)'/g },
];

/** A single-quoted JavaScript literal's text (the escapes our sources use). */
function unquote(body: string): string {
  return body.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t' })[c] ?? c);
}

/** Every message key the sources use, in source order, each once, with the first file that uses it. */
function keysInCode(): Map<string, string> {
  const keys = new Map<string, string>();
  for (const { dir, call } of SOURCES) {
    for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts')).sort()) {
      const text = read(`${dir}/${file}`);
      for (const m of text.matchAll(call)) if (!keys.has(unquote(m[1]))) keys.set(unquote(m[1]), `${dir}/${file}`);
    }
  }
  return keys;
}

function bundle(): Record<string, string> {
  return JSON.parse(read(BUNDLE)) as Record<string, string>;
}

test('the key reader finds a key, unescapes it, and a missing one would be reported', () => {
  // Two messages known to be in extension/strings.ts, one with an escaped quote.
  const keys = keysInCode();
  assert.ok(keys.has('Walk through which scenario?'));
  assert.ok(keys.has('This is the last step of the walk.'));
  assert.ok(keys.has('Scenario files in the workspace (*.scenario.json, the explorer\'s counterexamples too)'));
  // And src/view's: the compare table's head; and the review webview's (media/review.ts).
  assert.ok(keys.has('split flushes / 64 GiB'));
  assert.ok(keys.has('Not understood: changes no rule explains'));
  // The check below compares against a bundle; one without a key fails it.
  const partial = { ...bundle() };
  delete partial['Walk through which scenario?'];
  assert.ok([...keys.keys()].some((k) => !(k in partial)));
});

test('every message the code translates is a key of l10n/bundle.l10n.json, with itself as the English', () => {
  const keys = keysInCode();
  if (process.env.UPDATE_L10N) writeFileSync(join(ROOT, BUNDLE), JSON.stringify(Object.fromEntries([...keys.keys()].map((k) => [k, k])), null, 2) + '\n');
  const b = bundle();
  const missing = [...keys].filter(([k]) => !(k in b)).map(([k, file]) => `${file}: ${JSON.stringify(k)}`);
  assert.deepEqual(missing, [], `keys not in ${BUNDLE} (UPDATE_L10N=1 rewrites it)`);
  for (const [k, v] of Object.entries(b)) assert.equal(v, k, `the bundle's English for ${JSON.stringify(k)}`);
  const unused = Object.keys(b).filter((k) => !keys.has(k));
  assert.deepEqual(unused, [], `keys of ${BUNDLE} no code uses`);
});

interface Manifest {
  contributes: {
    commands: { command: string; title: string; category: string }[];
    configuration: { title: string; properties: Record<string, { markdownDescription?: string; description?: string; enumDescriptions?: string[] }> };
    views: Record<string, { id: string; name: string }[]>;
    viewsWelcome?: { view: string; contents: string }[];
    debuggers?: { type: string; label: string; configurationAttributes: Record<string, { properties: Record<string, { markdownDescription?: string }> }>; configurationSnippets?: { label: string; description: string }[] }[];
  };
}

/** Every string of contributes a person reads, by where it is. */
function contributedWords(m: Manifest): [string, string][] {
  const c = m.contributes;
  return [
    ...c.commands.flatMap((x): [string, string][] => [[`${x.command} title`, x.title], [`${x.command} category`, x.category]]),
    ['configuration title', c.configuration.title],
    ...Object.entries(c.configuration.properties).flatMap(([name, p]): [string, string][] => [
      ...(p.markdownDescription !== undefined ? [[`${name} markdownDescription`, p.markdownDescription] as [string, string]] : []),
      ...(p.description !== undefined ? [[`${name} description`, p.description] as [string, string]] : []),
      ...(p.enumDescriptions ?? []).map((d, i): [string, string] => [`${name} enumDescriptions[${i}]`, d]),
    ]),
    ...Object.values(c.views).flat().map((v): [string, string] => [`view ${v.id} name`, v.name]),
    // A view's welcome (the Explore view's, with its Explore Variant… button).
    ...(c.viewsWelcome ?? []).map((w): [string, string] => [`viewsWelcome ${w.view}`, w.contents]),
    // The debugger's label, its launch attributes' descriptions and its snippets (docs/debugging.md).
    ...(c.debuggers ?? []).flatMap((d): [string, string][] => [
      [`debugger ${d.type} label`, d.label],
      ...Object.entries(d.configurationAttributes).flatMap(([request, a]) => Object.entries(a.properties).map(([name, p]): [string, string] => [`debugger ${d.type} ${request}.${name}`, p.markdownDescription ?? ''])),
      ...(d.configurationSnippets ?? []).flatMap((s, i): [string, string][] => [[`debugger ${d.type} snippet[${i}] label`, s.label], [`debugger ${d.type} snippet[${i}] description`, s.description]]),
    ]),
  ];
}

/** The places whose word is not a %key% package.nls.json defines. */
function notLocalised(m: Manifest, nls: Record<string, string>): string[] {
  return contributedWords(m).filter(([, w]) => !/^%[\w.-]+%$/.test(w) || !(w.slice(1, -1) in nls)).map(([where, w]) => `${where}: ${w}`);
}

test('every command title and category, setting description and view name is a %key% of package.nls.json', () => {
  const manifest = JSON.parse(read('package.json')) as Manifest;
  const nls = JSON.parse(read('package.nls.json')) as Record<string, string>;
  assert.deepEqual(notLocalised(manifest, nls), []);
  // The English is what the tests and the palette read: Open Panel under KVM MMU Lab.
  const open = manifest.contributes.commands.find((x) => x.command === 'kvmMmuLab.openPanel')!;
  assert.equal(`${nls[open.category.slice(1, -1)]}: ${nls[open.title.slice(1, -1)]}`, 'KVM MMU Lab: Open Panel');
  // Every key of package.nls.json is used (a stale one would be a translator's wasted work).
  const used = new Set(contributedWords(manifest).map(([, w]) => w.slice(1, -1)));
  assert.deepEqual(Object.keys(nls).filter((k) => !used.has(k)), []);
});

test('the manifest check fails on a plain title and on a %key% package.nls.json lacks', () => {
  const manifest = JSON.parse(read('package.json')) as Manifest;
  const nls = JSON.parse(read('package.nls.json')) as Record<string, string>;
  const plain = structuredClone(manifest);
  plain.contributes.commands[0].title = 'Open Panel';
  assert.equal(notLocalised(plain, nls).length, 1);
  const unknown = structuredClone(manifest);
  unknown.contributes.views[Object.keys(unknown.contributes.views)[0]][0].name = '%view.nowhere.name%';
  assert.equal(notLocalised(unknown, nls).length, 1);
});

test('the package ships package.nls.json and l10n/ (.vscodeignore is an allow-list), and package.json points at l10n/', () => {
  const allowed = read('.vscodeignore').split('\n').filter((l) => l.startsWith('!')).map((l) => l.slice(1).trim());
  assert.ok(allowed.includes('package.nls.json'), 'package.nls.json is not shipped');
  assert.ok(allowed.some((l) => l === 'l10n/**' || l === BUNDLE), 'l10n/ is not shipped');
  assert.equal((JSON.parse(read('package.json')) as { l10n?: string }).l10n, './l10n');
});
