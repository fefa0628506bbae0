// One build for every bundle the extension ships: the table is scripts/lib/bundles.mjs.
//   node scripts/build.mjs [--watch] [--production] [--tests]
// --tests also bundles the integration tests into out/ (they run inside VS Code's extension hosts).
import { copyFileSync, mkdirSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { bundleTargets } from './lib/bundles.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

const targets = bundleTargets({ production, tests });

// The scenario schema ships beside the bundles: VS Code validates *.scenario.json with it
// (contributes.jsonValidation), giving completion and squiggles in scenario files.
mkdirSync('dist', { recursive: true });
copyFileSync('src/scenario/scenario.schema.json', 'dist/scenario.schema.json');

// VS Code's icon font for the panel's controls (media/toolbar.ts), from the pinned @vscode/codicons:
// the stylesheet and the font it names (`./codicon.ttf`, so they stay side by side), and the font's
// licence (CC BY 4.0, which asks that the licence travel with the font). extension/panel.ts loads
// them through asWebviewUri; .vscodeignore lets exactly these three into the package.
const codicons = 'node_modules/@vscode/codicons';
mkdirSync('dist/codicons', { recursive: true });
for (const [from, to] of [['dist/codicon.css', 'codicon.css'], ['dist/codicon.ttf', 'codicon.ttf'], ['LICENSE', 'LICENSE.txt']]) copyFileSync(`${codicons}/${from}`, `dist/codicons/${to}`);

if (watch) {
  const contexts = await Promise.all(targets.map((t) => esbuild.context(t)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[build] watching; Ctrl-C to stop');
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
}
