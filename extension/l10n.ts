// The extension's words go through `t` here: vscode.l10n.t once the shell has handed it over at
// activation (extension/shell.ts), English before that and outside VS Code (the UI tests read the
// English from extension/strings.ts in plain Node, where there is no `vscode`). The English
// message is the key of a translation bundle (l10n/bundle.l10n.<locale>.json); `{0}`, `{1}` are
// its places. A module of its own so that strings.ts needs no `vscode`.
import { english, type Translate } from '../src/view/translate';

let current: Translate = english;

/** Called by the shell at activation with VS Code's own `l10n.t`. */
export function useTranslation(translate: Translate): void {
  current = translate;
}

/** The message in the user's language, its places filled; also what the lab hands the renderings of src/view/. */
export const t: Translate = (message, ...args) => current(message, ...args);
