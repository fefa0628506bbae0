// What every UI test does first: a workspace of its own under out/, a code-server for it (its log
// in test-artifacts/logs/), chromium on the workbench with the development extension, and the
// workbench drawn. `prepare(workspace)` fills the workspace before the host starts.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, ROOT } from '../../scripts/lib/results.mjs';
import { ensureHost, launchBrowser, startHost, workbenchUrl } from '../../scripts/lib/vscode-host.mjs';

const WAIT = { timeout: 60_000 };

/**
 * Start the workbench on out/<workspaceName>. `fresh`: remove what an earlier run left there;
 * `viewport`: the page's size (the browser's default when omitted). `close()` stops both.
 */
export async function openWorkbench({ label, workspaceName, prepare, fresh = true, viewport }) {
  mkdirSync(join(ARTIFACTS, 'logs'), { recursive: true });
  const workspace = join(ROOT, 'out', workspaceName);
  if (fresh) rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  prepare?.(workspace);
  const server = await startHost({ host: await ensureHost(), label, logFile: join(ARTIFACTS, 'logs', `${label}-code-server.log`) });
  const browser = await launchBrowser();
  const page = browser.pages()[0] ?? (await browser.newPage());
  if (viewport) await page.setViewportSize(viewport);
  await page.goto(workbenchUrl(server, { folder: workspace, extensionPath: ROOT }));
  await page.locator('.monaco-workbench').waitFor(WAIT);
  return {
    server, browser, page, workspace,
    close: async () => {
      await browser?.close();
      await server?.stop();
    },
  };
}

/** A workspace with our fixture kernel tree in kernel/, set as the lab's kernel tree. */
export function withKernelTree(workspace) {
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  cpSync(join(ROOT, 'test', 'fixtures', 'kernel'), join(workspace, 'kernel'), { recursive: true });
  writeFileSync(join(workspace, '.vscode', 'settings.json'), `${JSON.stringify({ 'kvmMmuLab.kernelTree': 'kernel' }, null, 2)}\n`);
}
