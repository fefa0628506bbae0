// The panel as a person reaches it: the workbench in chromium, F1, "KVM MMU Lab: Open Panel", and
// the text inside the webview. Screenshots go to test-artifacts/ui-*.png.
// Run by scripts/run-ui-tests.mjs (node --test, with tsx so the extension's strings can be imported).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { strings } from '../../extension/strings.ts';
import { ARTIFACTS } from '../../scripts/lib/results.mjs';
import { openWorkbench } from './workbench.mjs';
import { paletteRow } from './palette.mjs';

const COMMAND_TITLE = 'KVM MMU Lab: Open Panel';
const WAIT = { timeout: 60_000 };

let workbench;
let page;

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `ui-${name}.png`) });
const webview = () => page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');

describe('KVM MMU Lab panel in the workbench', () => {
  before(async () => {
    workbench = await openWorkbench({
      label: 'ui', workspaceName: 'ui-workspace', fresh: false,
      prepare: (workspace) => writeFileSync(join(workspace, 'notes.md'), '# Notes\n\nA file to switch to and back from the panel.\n'),
    });
    page = workbench.page;
  });

  after(() => workbench?.close());

  test(`F1 lists "${COMMAND_TITLE}" and running it opens the panel`, async () => {
    const row = await paletteRow(page, COMMAND_TITLE);
    await shot('1-palette');
    await row.click();
    await page.locator('.tabs-container .tab', { hasText: strings.panelTitle }).waitFor(WAIT);
  });

  test('the webview shows the message the extension sent', async () => {
    await webview().locator('#status', { hasText: 'Connected' }).waitFor(WAIT);
    assert.equal(await webview().locator('#title').textContent(), strings.panelHeading);
    assert.equal(await webview().locator('#message').textContent(), strings.panelIntro);
    await shot('2-panel');
  });

  test('the details stay open when the panel is hidden and shown again (webview state)', async () => {
    await webview().locator('#details summary').click();
    await webview().locator('#details[open]').waitFor(WAIT);
    // Mark this document, to tell afterwards that the details were restored in a new one.
    await webview().locator('body').evaluate((body) => body.setAttribute('data-ui-test-mark', 'old document'));
    // Another editor in front: the panel's webview is destroyed (no retainContextWhenHidden)...
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'notes.md' }).click();
    await page.locator('.tabs-container .tab.active', { hasText: 'notes.md' }).waitFor(WAIT);
    // ...and made anew when its tab comes back; it must restore the details from its saved state.
    await page.locator('.tabs-container .tab', { hasText: strings.panelTitle }).click();
    await webview().locator('#status', { hasText: 'Connected' }).waitFor(WAIT);
    assert.equal(await webview().locator('body').getAttribute('data-ui-test-mark'), null, 'the webview was not reloaded, so this proves nothing');
    assert.equal(await webview().locator('#details').getAttribute('open'), '', 'the details were closed after the reload');
    const host = await webview().locator('.facts dd').first().textContent();
    assert.ok(host === 'Node' || host === 'Web worker', `extension host shown as "${host}"`);
    await shot('3-details');
  });
});
