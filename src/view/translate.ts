/**
 * How the view's renderings reach the reader's language. Each front end hands them its own: the
 * extension `vscode.l10n.t`, a webview `@vscode/l10n`'s `t` (configured with the extension's
 * bundle), the CLI nothing, so English. Messages are English with `{0}`, `{1}` places, the form
 * both of those take; the English is the key a translation bundle maps.
 */
export type Translate = (message: string, ...args: (string | number)[]) => string;

/** The English: the message with its places filled, what `t` gives when there is no bundle. */
export const english: Translate = (message, ...args) =>
  args.length === 0 ? message : message.replace(/\{(\d+)\}/g, (place, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : place));
