// The Playwright UI tests (test/ui/*.test.mjs) against code-server in Debian's chromium.
//   node scripts/run-ui-tests.mjs [--no-build]     writes test-artifacts/results/ui.json
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureHost } from './lib/vscode-host.mjs';
import { ROOT } from './lib/results.mjs';
import { findTestFiles, runNodeTests } from './lib/node-tests.mjs';

if (!process.argv.includes('--no-build')) {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) process.exit(1);
}
await ensureHost(); // install once here, not inside the test's before() hook
const record = runNodeTests({ suite: 'ui', files: findTestFiles('test/ui', '.test.mjs'), timeoutMs: 300_000 });
process.exit(record.failed > 0 ? 1 : 0);
