// `npm run demo`: the extension in a real VS Code (code-server) on 127.0.0.1, with a demo workspace
// that opens the KVM MMU Lab panel by itself. Prints the address to open; Ctrl-C stops everything.
//   PORT=8080 npm run demo      (PORT defaults to 8080; a free port is taken when it is busy)
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setInterval } from 'node:timers';
import { ensureHost, exitCleanlyOnSignals, freePort, startHost, workbenchUrl } from './lib/vscode-host.mjs';
import { ROOT } from './lib/results.mjs';

const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const host = await ensureHost();

// The demo workspace: a note on what to look at, and the setting that opens the panel on start.
const workspace = join(ROOT, 'out', 'demo-workspace');
mkdirSync(join(workspace, '.vscode'), { recursive: true });
writeFileSync(join(workspace, '.vscode', 'settings.json'), `${JSON.stringify({ 'kvmMmuLab.openPanelOnStartup': true }, null, 2)}\n`);
writeFileSync(
  join(workspace, 'README.md'),
  `# KVM MMU Lab demo

The KVM MMU Lab panel opens by itself in this workspace (\`.vscode/settings.json\` sets
\`kvmMmuLab.openPanelOnStartup\`). Closed it? Press F1 and run **KVM MMU Lab: Open Panel**.
`,
);

const wanted = Number(process.env.PORT || 8080);
const port = await freePort(Number.isInteger(wanted) && wanted > 0 ? wanted : 8080);
if (port !== wanted) console.log(`[demo] port ${wanted} is busy; using ${port}`);
mkdirSync(join(ROOT, 'out'), { recursive: true });
exitCleanlyOnSignals();
const server = await startHost({ host, port, label: 'demo', logFile: join(ROOT, 'out', 'demo-code-server.log') });
const url = workbenchUrl(server, { folder: workspace, extensionPath: ROOT });

console.log(`
KVM MMU Lab demo is running in code-server ${server.origin}
Open this address in a browser on this machine (from elsewhere, forward the port first,
e.g. ssh -L ${port}:127.0.0.1:${port} <this machine>):

  ${url}

The KVM MMU Lab panel opens by itself; or press F1 and run "KVM MMU Lab: Open Panel".
Press Ctrl-C to stop.
`);
setInterval(() => {}, 1 << 30); // stay in the foreground until Ctrl-C; the signal handler stops code-server and exits
