// One build for every bundle the extension ships. Each target differs from the shared base only in
// what the table below says; add a bundle by adding a row, not by copying a config.
//   node scripts/build.mjs [--watch] [--production]
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const base = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': production ? '"production"' : '"development"' },
};

/** @type {import('esbuild').BuildOptions[]} */
const targets = [
  // Extension, desktop/remote Node extension host.
  { entryPoints: ['extension/node.ts'], outfile: 'dist/extension.node.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
  // The same extension in the web-worker extension host (vscode.dev, code-server's web host).
  { entryPoints: ['extension/web.ts'], outfile: 'dist/extension.web.js', platform: 'browser', format: 'cjs', target: 'es2022', external: ['vscode'], mainFields: ['browser', 'module', 'main'] },
  // Webview UI: runs in the webview iframe, talks to the extension through media/protocol.ts.
  { entryPoints: ['media/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' },
  // CLI over the same core.
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', banner: { js: '#!/usr/bin/env node' } },
];

if (watch) {
  const contexts = await Promise.all(targets.map((t) => esbuild.context({ ...base, ...t })));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[build] watching; Ctrl-C to stop');
} else {
  await Promise.all(targets.map((t) => esbuild.build({ ...base, ...t })));
}
