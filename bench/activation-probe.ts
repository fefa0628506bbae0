/**
 * One activation of the built extension in a fresh Node process, with test/support/vscode-stub.ts as
 * `vscode`; prints one JSON line. bench/activation.bench.ts runs it many times.
 *   node out/bench/activation-probe.js node|web <repository root>
 * node: require(dist/extension.node.js), as the Node extension host does.
 * web: dist/extension.web.js compiled with new Function('module', 'exports', 'require', code) and
 * called, as the web-worker extension host loads an extension (its `require` knows only vscode);
 * here in Node's V8 rather than the browser's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KvmMmuLabApi } from '../extension/activate';
import { LAB_EVALUATED_MARK } from '../extension/commands';
import { requireVscodeAs, vscodeStub } from '../test/support/vscode-stub';

const [flavour, root] = process.argv.slice(2);
const stub = vscodeStub();
requireVscodeAs(stub);

const t0 = performance.now();
let extension: { activate(context: unknown): KvmMmuLabApi };
let compileMs: number | undefined;
if (flavour === 'node') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built bundle, as the Node host loads it
  extension = require(join(root, 'dist', 'extension.node.js'));
} else {
  const code = readFileSync(join(root, 'dist', 'extension.web.js'), 'utf8');
  const c0 = performance.now();
  const body = new Function('module', 'exports', 'require', `${code}\n//# sourceURL=extension.web.js`);
  compileMs = performance.now() - c0;
  const module = { exports: {} as Record<string, unknown> };
  body(module, module.exports, (id: string) => {
    if (id === 'vscode') return stub.module;
    throw new Error(`Cannot load module '${id}'`);
  });
  extension = module.exports as unknown as typeof extension;
}
const t1 = performance.now();
const packageJSON = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const api = extension.activate(stub.context(root, packageJSON));
const t2 = performance.now();
const labMarksAtActivation = performance.getEntriesByName(LAB_EVALUATED_MARK).length;
const labLoadMs = api.loadLab();
const labMarksAfterFirstUse = performance.getEntriesByName(LAB_EVALUATED_MARK).length;
const r = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 1000) / 1000);
process.stdout.write(`${JSON.stringify({
  loadMs: r(t1 - t0),
  compileMs: r(compileMs),
  bundleEvalMs: api.activation.bundleEvalMs,
  activateMs: api.activation.activateMs,
  activateWallMs: r(t2 - t1),
  parts: api.activation.parts,
  labLoadMs,
  commands: stub.commands.size,
  labMarksAtActivation,
  labMarksAfterFirstUse,
})}\n`);
