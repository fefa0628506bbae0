/* global document, getComputedStyle -- browser code run by page.evaluate() inside the webview */
// Walking the seed's hazard as a reviewer does: F1, "Walk Through Scenario…", reused-partial,
// never-flush, "Run to Violation"; the panel's DOM at that moment, and mmu.c's skipped flush
// beside the listing's KVM_MMU_UNLOCK; then "Choose Variant…" v7 at the same step, with the split's
// flush issued. Then the keyboard alone inside the panel (F, ←) to the skipped flush in the fixture
// mmu.c, one step on to the OPEN HAZARD the panel shows until the unlock, and its buttons; the
// stepping controls (codicons, the font loaded under the CSP, each named) and the picture at 250,
// 600 and 1600 px.
// Screenshots: test-artifacts/ui-walk-*.png.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ARTIFACTS } from '../../scripts/lib/results.mjs';
import { openWorkbench, withKernelTree } from './workbench.mjs';
import { paletteRow, pick } from './palette.mjs';

const WAIT = { timeout: 60_000 };

let workbench;
let page;

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `ui-walk-${name}.png`) });
const webview = () => page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
const heading = () => webview().locator('#step-heading');

async function runCommand(title) {
  await (await paletteRow(page, title)).click();
}

describe('Walking reused-partial in the workbench', () => {
  before(async () => {
    workbench = await openWorkbench({
      label: 'ui-walk', workspaceName: 'ui-walk-workspace', viewport: { width: 1600, height: 1000 },
      prepare: withKernelTree,
    });
    page = workbench.page;
  });

  after(() => workbench?.close());

  test('Walk Through Scenario… picks reused-partial and never-flush; the panel shows the walk before its first step', async () => {
    await runCommand('KVM MMU Lab: Walk Through Scenario…');
    await pick(page, 'reused-partial');
    await pick(page, 'never-flush');
    await heading().filter({ hasText: /^Before step 0 \(0–53\)$/ }).waitFor(WAIT);
    assert.match(await webview().locator('#title').textContent(), /^reused-partial · never-flush$/);
    await page.locator('.statusbar-item', { hasText: 'reused-partial · never-flush · step –/53' }).first().waitFor(WAIT);
  });

  test('Run to Violation: the reused child with its present non-leaf entry, vCPU 0\'s STALE 1G entry, the SKIPPED flush, the violation', async () => {
    await runCommand('KVM MMU Lab: Run to Violation');
    await heading().filter({ hasText: /^Step 43 \(0–53\) · kvm_clear_dirty_log_protect/ }).waitFor(WAIT);
    const w = webview();
    await w.locator('.table[data-split="reused"]').first().waitFor(WAIT);
    assert.match(await w.locator('.table[data-split="reused"] > .present-nonleaf').first().textContent(), /present non-leaf entry 1/);
    const stale = w.locator('.tlb-row[data-stale="true"]');
    assert.equal(await stale.count(), 1, 'one stale TLB entry');
    assert.match(await stale.textContent(), /1G.*B.*0x40000\.\.0x7ffff.*W.*STALE/);
    const skipped = w.locator('.flush-row[data-issued="false"]', { hasText: 'drop_large_spte' });
    assert.match(await skipped.textContent(), /SKIPPED.*kvm_flush_remote_tlbs_with_address/);
    assert.match(await w.locator('.check-violation').first().textContent(), /VIOLATION: stale-tlb \(unmapped\)/);
    assert.match(await w.locator('#verdict').textContent(), /1 violation so far/);
    // The statement is in virt/kvm/kvm_main.c, which the fixture tree does not have: the model's listing is beside the panel.
    assert.match(await w.locator('#source-note').textContent(), /kvm_main\.c .* not in the kernel tree/);
    await page.locator('.tabs-container .tab', { hasText: 'model-listing.c' }).waitFor(WAIT);
    // Its cause stays on screen: mmu.c in a group of its own, with the flush drop_large_spte() skipped in view.
    // ("model-listing.c" does not hold "mmu.c".)
    const groupShowing = (name) => page.locator('.editor-group-container', { has: page.locator('.tab.active', { hasText: name }) });
    await groupShowing('model-listing.c').waitFor(WAIT);
    const mmuGroup = groupShowing('mmu.c');
    await mmuGroup.waitFor(WAIT);
    // Monaco draws spaces as no-break spaces: look for a piece of the statement without one.
    await mmuGroup.locator('.view-line', { hasText: 'kvm_flush_remote_tlbs_with_address(kvm,' }).first().waitFor(WAIT);
    await shot('1-never-flush-violation');
  });

  test('Choose Variant… v7 at the same step: the split\'s flush was ISSUED, no entry is stale, the checks pass', async () => {
    await runCommand('KVM MMU Lab: Choose Variant…');
    try {
      await pick(page, 'v7', { timeout: 10_000 });
    } catch (error) {
      // Once in four CI runs the quick pick closed before it could be typed in (the input went
      // inert, then hidden: something took the focus right after "Run to Violation"; not yet
      // found, see the issue note). Said in the log, then the command once more.
      console.log(`[ui] the variant pick closed before it was filled (${String(error).split('\n')[0]}); running the command again`);
      await page.keyboard.press('Escape');
      await runCommand('KVM MMU Lab: Choose Variant…');
      await pick(page, 'v7');
    }
    await webview().locator('#title', { hasText: 'reused-partial · v7' }).waitFor(WAIT);
    const w = webview();
    assert.match(await heading().textContent(), /^Step 43 \(0–57\) · kvm_clear_dirty_log_protect/);
    const issued = w.locator('.flush-row[data-issued="true"]', { hasText: 'drop_large_spte' });
    assert.match(await issued.textContent(), /ISSUED.*kvm_flush_remote_tlbs_with_address.*vcpu0:tlb#1/);
    assert.equal(await w.locator('.tlb-row[data-stale="true"]').count(), 0, 'stale TLB entries under v7');
    assert.equal(await w.locator('.check-violation').count(), 0, 'violations under v7');
    assert.match(await w.locator('.check-pass').textContent(), /All checks pass/);
    await shot('2-v7-flush-issued');
  });

  test('by keyboard alone in the panel: Home, F to the split\'s flush; mmu.c beside shows it highlighted with gutter marks', async () => {
    await runCommand('KVM MMU Lab: Choose Variant…');
    await pick(page, 'never-flush');
    await webview().locator('#title', { hasText: 'reused-partial · never-flush' }).waitFor(WAIT);
    await webview().locator('#step-heading').click();
    await page.keyboard.press('Home');
    await heading().filter({ hasText: /^Before step 0/ }).waitFor(WAIT);
    await page.keyboard.press('f');
    await heading().filter({ hasText: /^Step 26 \(0–53\) · drop_large_spte/ }).waitFor(WAIT);
    await page.keyboard.press('ArrowRight');
    await heading().filter({ hasText: /^Step 27 \(0–53\) · __link_shadow_page/ }).waitFor(WAIT);
    await page.keyboard.press('ArrowLeft');
    await heading().filter({ hasText: /^Step 26 \(0–53\) · drop_large_spte/ }).waitFor(WAIT);
    assert.match(await webview().locator('#source-location').textContent(), /arch\/x86\/kvm\/mmu\/mmu\.c:\d+/);
    await page.locator('.tabs-container .tab', { hasText: 'mmu.c' }).first().waitFor(WAIT);
    await shot('3-never-flush-skipped-flush-in-mmu-c');
  });

  test('from the skipped flush to the unlock an OPEN HAZARD, not "All checks pass"; its links move the walk', async () => {
    const w = webview();
    await page.keyboard.press('ArrowRight');
    await heading().filter({ hasText: /^Step 27 \(0–53\) · __link_shadow_page/ }).waitFor(WAIT);
    assert.match(await w.locator('#status').textContent(), /OPEN HAZARD/);
    assert.equal(await w.locator('#status').getAttribute('data-now'), 'hazard');
    assert.equal(await w.locator('.check-pass').count(), 0, '"All checks pass" beside a stale entry');
    const hazard = w.locator('.check-hazard');
    assert.equal(await hazard.count(), 1, 'one open hazard');
    // Made stale by the drop at step 25, its flush skipped at step 26; the check looks at the unlock, step 43.
    assert.match(await hazard.textContent(), /A stale translation must be flushed before mmu_lock is released.*vCPU 0's 1G entry tlb#1 \(root B, gfns 0x40000\.\.0x7ffff, W\).*stale since step 25 \(flush skipped at step 26\)\. mmu_lock is released at step 43\./);
    assert.match(await w.locator('.tlb-row[data-hazard="true"]').textContent(), /1G.*B.*STALE · flush by step 43/);
    await page.locator('.statusbar-item', { hasText: 'open hazard' }).first().waitFor(WAIT);
    await shot('4-never-flush-open-hazard');
    await hazard.locator('button', { hasText: 'Go to step 26: the skipped flush' }).click();
    await heading().filter({ hasText: /^Step 26 \(0–53\) · drop_large_spte/ }).waitFor(WAIT);
    await w.locator('.check-hazard button', { hasText: 'Go to step 43: the deadline' }).click();
    await heading().filter({ hasText: /^Step 43 \(0–53\) · kvm_clear_dirty_log_protect/ }).waitFor(WAIT);
    assert.match(await w.locator('#status').textContent(), /VIOLATION/);
    assert.equal(await w.locator('.check-hazard').count(), 0, 'at the unlock the hazard is the violation');
  });
  test('the stepping controls at 250, 600 and 1600 px: each visible and whole, showing a codicon in the loaded icon font, with an accessible name', async () => {
    const w = webview();
    const app = w.locator('#app');
    const controls = w.locator('#toolbar button');
    await controls.first().waitFor(WAIT);
    assert.equal(await controls.count(), 8, 'five stepping buttons and three text buttons');
    // The font is loaded (its FontFace, not only a family name that falls back to another font).
    const font = await w.locator('body').evaluate(async () => {
      await document.fonts.ready;
      const face = [...document.fonts].find((f) => f.family.replace(/["']/g, '') === 'codicon');
      return { status: face?.status ?? 'absent', check: document.fonts.check('16px codicon') };
    });
    assert.deepEqual(font, { status: 'loaded', check: true }, 'the codicon font under the CSP');
    for (const width of [250, 600, 1600]) {
      // The panel's content at that width (CSSOM, which the CSP allows); the toolbar wraps in it.
      await app.evaluate((el, px) => { el.style.width = `${px}px`; }, width);
      const found = await w.locator('#toolbar').evaluate((bar) => {
        const area = document.getElementById('app').getBoundingClientRect();
        return [...bar.querySelectorAll('button')].map((b) => {
          const r = b.getBoundingClientRect();
          const icon = b.querySelector('.codicon');
          const glyph = icon ? getComputedStyle(icon, '::before') : undefined;
          return {
            action: b.dataset.action,
            name: b.getAttribute('aria-label') ?? b.textContent.trim(),
            visible: r.width > 0 && r.height > 0 && getComputedStyle(b).visibility === 'visible',
            // Whole: inside the panel's content, and its content not cut by its own box.
            whole: r.left >= area.left - 0.5 && r.right <= area.right + 0.5 && b.scrollWidth <= b.clientWidth + 1 && b.scrollHeight <= b.clientHeight + 1,
            icon: icon?.className ?? null,
            iconFont: glyph?.fontFamily ?? null,
            iconContent: glyph?.content ?? null,
            iconWidth: icon?.getBoundingClientRect().width ?? 0,
          };
        });
      });
      for (const c of found) {
        assert.ok(c.visible, `${c.action} not visible at ${width} px`);
        assert.ok(c.whole, `${c.action} clipped at ${width} px`);
        assert.ok(c.name, `${c.action} without an accessible name at ${width} px`);
      }
      const stepping = found.filter((c) => c.icon);
      assert.deepEqual(stepping.map((c) => [c.action, c.icon]), [
        ['restart', 'codicon codicon-debug-restart'], ['back', 'codicon codicon-debug-step-back'], ['forward', 'codicon codicon-debug-step-over'],
        ['next-flush', 'codicon codicon-debug-continue'], ['violation', 'codicon codicon-warning'],
      ]);
      assert.deepEqual(stepping.map((c) => c.name), ['Restart', 'Back', 'Forward', 'Next flush', 'Violation']);
      for (const c of stepping) {
        assert.match(c.iconFont, /codicon/, `${c.action}'s icon not in the codicon font at ${width} px`);
        assert.notEqual(c.iconContent, 'none', `${c.action}'s icon has no glyph`);
        assert.ok(c.iconWidth >= 14, `${c.action}'s icon ${c.iconWidth} px wide at ${width} px`);
      }
      await w.locator('#toolbar').screenshot({ path: join(ARTIFACTS, `ui-walk-toolbar-${width}.png`) });
    }
    await app.evaluate((el) => { el.style.width = ''; });
  });
  test('the picture of the hazard at 250, 600 and 1600 px: no label past its edge, and its band and skipped flush move the walk', async () => {
    const w = webview();
    await w.locator('.check-violation').first().waitFor(WAIT);
    const box = w.locator('#picture');
    for (const width of [250, 600, 1600]) {
      // The box at that width (CSSOM, which the CSP allows); the panel draws again when it changes.
      await box.evaluate((el, px) => { el.style.width = `${px}px`; }, width);
      const svg = w.locator(`svg.picture[data-width="${width}"]`);
      await svg.waitFor(WAIT);
      const out = await svg.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return [...el.querySelectorAll('text')].filter((t) => {
          const b = t.getBoundingClientRect();
          return b.left < r.left - 0.5 || b.right > r.right + 0.5;
        }).map((t) => t.textContent);
      });
      assert.deepEqual(out, [], `labels past the picture's edge at ${width} px`);
      assert.equal(await svg.locator('.pic-band').count(), 2, `the two stale bands at ${width} px`);
      await w.locator('#sec-picture').screenshot({ path: join(ARTIFACTS, `ui-walk-picture-${width}.png`) });
    }
    await box.evaluate((el) => { el.style.width = ''; });
    // The stale band goes to the drop of the huge SPTE (25); the timeline's skipped flush to step 26.
    await w.locator('svg.picture .pic-band').first().click();
    await heading().filter({ hasText: /^Step 25 \(0–53\) · drop_large_spte/ }).waitFor(WAIT);
    await w.locator('svg.picture .pic-flush-skipped').first().click();
    await heading().filter({ hasText: /^Step 26 \(0–53\) · drop_large_spte/ }).waitFor(WAIT);
  });
});
