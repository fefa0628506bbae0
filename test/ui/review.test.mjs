// Reviewing a patch as a reviewer does: open our own fixture patch, F1 "Check Patch…", read the
// review view; then F1 "Compare Variants" on reused-partial with the full-scale column.
// Screenshots: test-artifacts/ui-review-*.png.
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ARTIFACTS, ROOT } from '../../scripts/lib/results.mjs';
import { openWorkbench, withKernelTree } from './workbench.mjs';
import { paletteRow, pick } from './palette.mjs';

const WAIT = { timeout: 60_000 };

let workbench;
let page;

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `ui-review-${name}.png`) });
// The review view alone (the README's images, docs/images/): the webview's frame in the workbench.
const viewShot = (name) => page.locator('iframe.webview.ready').last().screenshot({ path: join(ARTIFACTS, `ui-review-${name}-view.png`) });
const webview = () => page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');

describe('Reviewing a patch in the workbench', () => {
  before(async () => {
    workbench = await openWorkbench({
      label: 'ui-review', workspaceName: 'ui-review-workspace', viewport: { width: 1600, height: 1000 },
      prepare: (workspace) => {
        withKernelTree(workspace);
        cpSync(join(ROOT, 'test', 'fixtures', 'patch', 'seed-like.format-patch.patch'), join(workspace, 'seed-like.format-patch.patch'));
      },
    });
    page = workbench.page;
  });

  after(() => workbench?.close());

  test('Check Patch… on the open patch: series, functions, steps linked into the tree, pre-patch → v7, verdicts', async () => {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'seed-like.format-patch.patch' }).first().click(WAIT);
    await page.locator('.tabs-container .tab', { hasText: 'seed-like.format-patch.patch' }).first().waitFor(WAIT);
    await (await paletteRow(page, 'KVM MMU Lab: Check Patch…')).click();
    const w = webview();
    await w.locator('#review-title').waitFor(WAIT);
    assert.match(await w.locator('#series .patch-subject').first().textContent(), /\[PATCH v2\] mini: skip the split flush/);
    assert.match(await w.locator('#variant-before').textContent(), /before: pre-patch/);
    assert.match(await w.locator('#variant-after').textContent(), /after: v7/);
    assert.match(await w.locator('.step-link').first().textContent(), /arch\/x86\/kvm\/mmu\/mmu\.c:\d+/);
    assert.match(await w.locator('#checks tr[data-scenario="common-1g"][data-flush-mode="bare-metal"]').textContent(), /bare metalPASS · 515 remote flushes.*PASS · 2 remote flushes/);
    // With a range-capable flush the seed's sp->gfn range misses reused-partial's huge page, before and after.
    assert.match(await w.locator('#checks tr[data-scenario="reused-partial"][data-flush-mode="range"]').textContent(), /range-capable flush \(Hyper-V\)VIOLATION.*VIOLATION/);
    await shot('1-check-patch');
    await viewShot('1-check-patch');
  });

  test('Compare Variants on reused-partial: presets side by side with the full-scale cost', async () => {
    await (await paletteRow(page, 'KVM MMU Lab: Compare Variants')).click();
    await pick(page, 'reused-partial');
    const w = webview();
    await w.locator('#full-scale', { hasText: 'computed in' }).waitFor({ timeout: 120_000 });
    assert.match(await w.locator('#compare tr[data-variant="never-flush"]').textContent(), /VIOLATION/);
    assert.match(await w.locator('#compare tr[data-variant="v7"]').textContent(), /PASS/);
    await shot('2-compare');
    await viewShot('2-compare');
  });
});
