// The webviews' words in the user's language. The extension writes VS Code's translation bundle for
// this window (vscode.l10n.bundle: the translations of l10n/bundle.l10n.json, none for English)
// into the page as the body's data-l10n attribute (extension/panel.ts, webviewHtml); this module
// reads it once, at load, before any label is drawn, and hands it to @vscode/l10n. The attribute is
// data, checked to be an object of strings, never evaluated; anything else leaves the English.
import * as l10n from '@vscode/l10n';

function bundleFromPage(): Record<string, string> | undefined {
  const raw = typeof document === 'undefined' ? undefined : document.body?.dataset.l10n;
  if (!raw) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.length || entries.some(([, v]) => typeof v !== 'string')) return undefined;
    return Object.fromEntries(entries) as Record<string, string>;
  } catch {
    return undefined;
  }
}

const bundle = bundleFromPage();
if (bundle) l10n.config({ contents: bundle });

/** The message in the user's language, its `{0}`, `{1}` places filled; the English is the key. */
export function t(message: string, ...args: (string | number)[]): string {
  return l10n.t(message, ...args);
}
