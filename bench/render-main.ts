/**
 * The render benchmark's entry (bench/render.bench.ts): async, with a browser, so it runs apart
 * from bench/main.ts; scripts/bench.mjs puts its JSON under panel.render.
 *   node out/bench/render.js <webview bundle> [--quick]
 */
import { benchRender } from './render.bench';

benchRender(process.argv[2], process.argv.includes('--quick')).then(
  (r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'),
  (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
