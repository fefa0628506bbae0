// The bundles the extension ships, as esbuild options: scripts/build.mjs builds them, and
// test/unit/activation.test.ts builds the Node entry in memory to see what activation loads. Each
// target differs from the shared base only in what its row says; add a bundle by adding a row, not
// by copying a config.
import { readFile } from 'node:fs/promises';

// The extension's entry bundles start by noting the time, so that the entry can say how long the
// bundle took to evaluate (extension/shell.ts, bundleEvalMs).
const bundleStart = { js: 'var __kvmMmuLabBundleStart = typeof performance === "object" ? performance.now() : undefined;' };

// extension/node.ts requires './lab.node' on first use: keep it a require of dist/lab.node.js, the
// lab's own bundle, instead of bundling it into the entry (docs/activation.md).
const labOnFirstUse = {
  name: 'lab-on-first-use',
  setup(build) {
    build.onResolve({ filter: /^\.\/lab\.node$/ }, () => ({ path: './lab.node.js', external: true }));
  },
};

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

/**
 * Every bundle: the shipped ones, and with `tests` the integration tests' (out/).
 * @returns {import('esbuild').BuildOptions[]}
 */
export function bundleTargets({ production = false, tests = false } = {}) {
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

  const targets = [
    // Extension, desktop/remote Node extension host: the shell that activate() runs...
    { entryPoints: ['extension/node.ts'], outfile: 'dist/extension.node.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], plugins: [labOnFirstUse], banner: bundleStart },
    // ...and the lab with the simulation core, required by the shell on first use.
    { entryPoints: ['extension/lab.node.ts'], outfile: 'dist/lab.node.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
    // The same extension in the web-worker extension host (vscode.dev, code-server's web host): one
    // bundle, the lab in it evaluated on first use.
    { entryPoints: ['extension/web.ts'], outfile: 'dist/extension.web.js', platform: 'browser', format: 'cjs', target: 'es2022', external: ['vscode'], mainFields: ['browser', 'module', 'main'], banner: bundleStart },
    // Webview UI: runs in the webview iframe, talks to the extension through src/view/protocol.ts.
    { entryPoints: ['media/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' },
    // The review view's webview (Check Patch…, Compare Variants, Explore Variant…).
    { entryPoints: ['media/review.ts'], outfile: 'dist/review.js', platform: 'browser', format: 'iife', target: 'es2022' },
    // The Node host's worker thread for long jobs (full-scale costs, the explorer)...
    { entryPoints: ['extension/worker.ts'], outfile: 'dist/worker.js', platform: 'node', format: 'cjs', target: 'node20' },
    // ...and the web-worker host's Web Worker for the same jobs (a classic worker script).
    { entryPoints: ['extension/worker.web.ts'], outfile: 'dist/worker.web.js', platform: 'browser', format: 'iife', target: 'es2022' },
    // CLI over the same core.
    { entryPoints: ['cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', banner: { js: '#!/usr/bin/env node' } },
  ];

  // Integration tests, one self-contained file per extension host: the web worker's `require` knows
  // only `vscode`, so mocha (its browser build) and everything else is bundled in. Inline source maps
  // keep stack traces pointing at test/integration/*.ts in both hosts.
  if (tests) {
    for (const host of ['node', 'web']) {
      targets.push({ entryPoints: [`test/integration/${host}.ts`], outfile: `out/test/integration/${host}.js`, platform: 'browser', format: 'cjs', target: 'es2022', external: ['vscode'], sourcemap: 'inline', minify: false, plugins: [mochaAsGlobalScript] });
    }
  }
  return targets.map((t) => ({ ...base, ...t }));
}
