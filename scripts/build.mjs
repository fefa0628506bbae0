// One build for every bundle the extension ships. Each target differs from the shared base only in
// what the table below says; add a bundle by adding a row, not by copying a config.
//   node scripts/build.mjs [--watch] [--production] [--tests]
// --tests also bundles the integration tests into out/ (they run inside VS Code's extension hosts).
import { copyFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

const base = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
  // Prefer ES modules: jsonc-parser's UMD build requires its own files at run time, which a bundle breaks.
  mainFields: ['module', 'main'],
  define: { 'process.env.NODE_ENV': production ? '"production"' : '"development"' },
  // The walkthrough's example patch is bundled as a string (extension/activate.ts).
  loader: { '.patch': 'text' },
};

/** @type {import('esbuild').BuildOptions[]} */
const targets = [
  // Extension, desktop/remote Node extension host.
  { entryPoints: ['extension/node.ts'], outfile: 'dist/extension.node.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
  // The same extension in the web-worker extension host (vscode.dev, code-server's web host).
  { entryPoints: ['extension/web.ts'], outfile: 'dist/extension.web.js', platform: 'browser', format: 'cjs', target: 'es2022', external: ['vscode'], mainFields: ['browser', 'module', 'main'] },
  // Webview UI: runs in the webview iframe, talks to the extension through media/protocol.ts.
  { entryPoints: ['media/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' },
  // The review view's webview (Check Patch…, Compare Variants, Explore Variant…).
  { entryPoints: ['media/review.ts'], outfile: 'dist/review.js', platform: 'browser', format: 'iife', target: 'es2022' },
  // The Node host's worker thread for long jobs (full-scale costs, the explorer).
  { entryPoints: ['extension/worker.ts'], outfile: 'dist/worker.js', platform: 'node', format: 'cjs', target: 'node20' },
  // CLI over the same core.
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', banner: { js: '#!/usr/bin/env node' } },
];

// Integration tests, one self-contained file per extension host: the web worker's `require` knows only
// `vscode`, so mocha (its browser build) and everything else is bundled in. Inline source maps keep
// stack traces pointing at test/integration/*.ts in both hosts.
// mocha.js is a UMD file in a "type": "module" package, so esbuild bundles it as ESM and its
// `module.exports = factory()` would hit the test bundle's own module and replace its exports. Run it
// with module/exports/define hidden: it then only sets globalThis.mocha and globalThis.Mocha.
const mochaAsGlobalScript = {
  name: 'mocha-as-global-script',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]mocha[\\/]mocha\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return { contents: `(function (module, exports, define) {\n${source}\n}).call(globalThis);\n`, loader: 'js' };
    });
  },
};
const testTargets = ['node', 'web'].map((host) => ({
  entryPoints: [`test/integration/${host}.ts`], outfile: `out/test/integration/${host}.js`, platform: 'browser', format: 'cjs', target: 'es2022', external: ['vscode'], sourcemap: 'inline', minify: false, plugins: [mochaAsGlobalScript],
}));
if (tests) targets.push(...testTargets);

// The scenario schema ships beside the bundles: VS Code validates *.scenario.json with it
// (contributes.jsonValidation), giving completion and squiggles in scenario files.
mkdirSync('dist', { recursive: true });
copyFileSync('src/scenario/scenario.schema.json', 'dist/scenario.schema.json');

if (watch) {
  const contexts = await Promise.all(targets.map((t) => esbuild.context({ ...base, ...t })));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[build] watching; Ctrl-C to stop');
} else {
  await Promise.all(targets.map((t) => esbuild.build({ ...base, ...t })));
}
