// `npm run demo`: the extension in a real VS Code (code-server) on 127.0.0.1, with a demo workspace
// that opens the KVM MMU Lab panel by itself. Prints the address to open; Ctrl-C stops everything.
//   PORT=8080 npm run demo      (PORT defaults to 8080; a free port is taken when it is busy)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setInterval } from 'node:timers';
import { ensureHost, exitCleanlyOnSignals, freePort, startHost, workbenchUrl } from './lib/vscode-host.mjs';
import { ROOT } from './lib/results.mjs';

const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const host = await ensureHost();

// The demo workspace: our own mmu.c-like and paging_tmpl.h-like fixtures as the kernel tree (kernel/;
// the whole of test/fixtures/kernel is copied; not kernel source), a
// scenario file, a note on what to look at, and the settings that start a walk of reused-partial
// at the split, with the panel open and mmu.c beside it.
const workspace = join(ROOT, 'out', 'demo-workspace');
rmSync(workspace, { recursive: true, force: true });
mkdirSync(join(workspace, '.vscode'), { recursive: true });
mkdirSync(join(workspace, 'scenarios'), { recursive: true });
cpSync(join(ROOT, 'test', 'fixtures', 'kernel'), join(workspace, 'kernel'), { recursive: true });
cpSync(join(ROOT, 'test', 'fixtures', 'reused-partial-e4.scenario.json'), join(workspace, 'scenarios', 'reused-partial-e4.scenario.json'));
const settings = { 'kvmMmuLab.openPanelOnStartup': true, 'kvmMmuLab.walkOnStartup': 'reused-partial', 'kvmMmuLab.kernelTree': 'kernel' };
writeFileSync(join(workspace, '.vscode', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
writeFileSync(
  join(workspace, 'README.md'),
  `# KVM MMU Lab demo

A walk of the built-in scenario \`reused-partial\` (the seed's hazard) starts by itself in this
workspace, at the eager split, with the KVM MMU Lab panel open and \`kernel/arch/x86/kvm/mmu/mmu.c\`
beside it (\`.vscode/settings.json\` sets \`kvmMmuLab.walkOnStartup\` and \`kvmMmuLab.kernelTree\`).
That mmu.c, and the paging_tmpl.h beside it, are small files written for KVM MMU Lab in kernel
style, not kernel source. A fault's steps (\`FNAME(fetch)\`, \`FNAME(page_fault)\`) open
\`kernel/arch/x86/kvm/mmu/paging_tmpl.h\` beside the panel, as the split's open mmu.c.

Step with the panel's buttons, the arrow keys inside the panel, or Alt+F10 / Alt+Shift+F10. Press F1
and run **KVM MMU Lab: Choose Variant…**, pick \`never-flush\`, then **KVM MMU Lab: Run to
Violation**: vCPU 0 keeps a stale writable 1G translation. Choose \`v7\` at that step: the split's
flush was issued.
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

A walk of reused-partial opens by itself, the panel with mmu.c beside it; or press F1 and run
"KVM MMU Lab: Walk Through Scenario…".
Press Ctrl-C to stop.
`);
setInterval(() => {}, 1 << 30); // stay in the foreground until Ctrl-C; the signal handler stops code-server and exits
