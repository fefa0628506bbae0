// The VS Code host by hand, for debugging the harness (docs/testing.md):
//   node scripts/vscode-host.mjs install   install what is missing, print where it is
//   node scripts/vscode-host.mjs where     print the cache folder and what is in it
//   node scripts/vscode-host.mjs start     start code-server with this extension loaded; Ctrl-C stops it
import { existsSync } from 'node:fs';
import { ensureHost, hostCacheDir, VERSIONS } from './lib/vscode-host.mjs';

const command = process.argv[2] ?? 'install';
if (command === 'install') {
  const host = await ensureHost();
  console.log(JSON.stringify(host, null, 2));
} else if (command === 'where') {
  const dir = hostCacheDir();
  console.log(`${dir}${existsSync(dir) ? '' : ' (not installed yet)'}`);
  console.log(`expects code-server ${VERSIONS.codeServer}, Node ${VERSIONS.node}, playwright-core ${VERSIONS.playwrightCore}, /usr/bin/chromium`);
} else if (command === 'start') {
  await import('./demo.mjs');
} else {
  console.error(`unknown command "${command}"; use install, where or start`);
  process.exit(2);
}
