// npm run bench [-- --quick]: bundle the benchmarks like the shipped code (esbuild, so the numbers
// are those of the bundles, not of a TypeScript loader), run them, print the JSON and keep a copy
// in bench/results/latest.json. The activation bench loads dist/ as it ships, so dist/ is built
// first as `npm run package` builds it (--production: minified, no source maps).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';

try {
  execFileSync(process.execPath, ['scripts/build.mjs', '--production'], { stdio: 'pipe' });
} catch (error) {
  process.stderr.write(error.stderr ?? '');
  throw error;
}
await esbuild.build({
  entryPoints: ['bench/main.ts', 'bench/activation-probe.ts'], outdir: 'out/bench', bundle: true, platform: 'node', format: 'cjs',
  target: 'node20', mainFields: ['module', 'main'], logLevel: 'warning',
});
const out = execFileSync(process.execPath, ['--max-old-space-size=4096', 'out/bench/main.js', ...process.argv.slice(2)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
process.stdout.write(out);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', out);
