// What every UI test does with VS Code's quick input: find a command in the palette (F1), and pick
// a row of a quick pick by its exact label.
const WAIT = { timeout: 60_000 };

/**
 * The palette row for a command title. A palette opened before the development extension
 * registered its commands never lists them, and Enter would run another fuzzy match: wait for the
 * exact row a moment, else close the palette and open it again.
 */
export async function paletteRow(page, title) {
  for (let attempt = 1; attempt <= 20; attempt++) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', ...WAIT });
    await input.pressSequentially(title);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 1500 });
      return row;
    } catch {
      await page.keyboard.press('Escape');
    }
  }
  throw new Error(`the command palette never listed "${title}"`);
}

/** Click the quick-pick row whose label is exactly `label`. */
export async function pick(page, label, wait = WAIT) {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', ...wait });
  await input.fill(label, wait);
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: exact }) }).first();
  await row.waitFor({ state: 'visible', ...WAIT });
  await row.click();
}
