// The walk's stepping controls: VS Code's own icons (codicons, the font dist/codicons/ ships and
// extension/panel.ts loads under the CSP) on icon-only buttons, like the workbench's debug toolbar.
// An icon carries no text, so each button's name is its aria-label and its tooltip adds the keys.
import type { PanelAction } from '../src/view/protocol';
import { drive, type DriveAction, type DrivePosition, type DriveRefusal, type DriveRequest } from '../src/debug/drive';

/** The actions the stepping buttons stand for (the other buttons are text buttons). */
export type StepAction = Extract<PanelAction, 'restart' | 'back' | 'forward' | 'next-flush' | 'violation'>;

export interface StepButton {
  action: StepAction;
  /** The codicon's name: the button shows `codicon codicon-<icon>`. */
  icon: string;
  /** The accesskey (Alt+key in the webview). */
  key: string;
  /** The keys that do the same in the panel, as aria-keyshortcuts spells them. */
  keys: string;
}

// The debug toolbar's icons where the action is the debugger's (restart, step back, step over); for
// "next flush" the debugger's continue (run on to the next stop, which is a flush here); a warning
// for the violation, the sign VS Code's problems use.
export const STEP_BUTTONS: readonly StepButton[] = [
  { action: 'restart', icon: 'debug-restart', key: 'r', keys: 'Home' },
  { action: 'back', icon: 'debug-step-back', key: 'b', keys: 'ArrowLeft p' },
  { action: 'forward', icon: 'debug-step-over', key: 'n', keys: 'ArrowRight n' },
  { action: 'next-flush', icon: 'debug-continue', key: 'f', keys: 'f' },
  { action: 'violation', icon: 'warning', key: 'v', keys: 'v' },
];

/** The tooltip: the name and the keys ("Back (ArrowLeft or p)"). */
export function stepButtonTitle(label: string, keys: string): string {
  return `${label} (${keys.split(' ').join(' or ')})`;
}

/**
 * One stepping button: `<button aria-label title …><span class="codicon codicon-…" aria-hidden></span></button>`.
 * Built with `doc` (not the global document) so that a unit test can draw it on a stand-in DOM.
 */
export function stepButton(doc: Document, b: StepButton, label: string): HTMLButtonElement {
  const button = doc.createElement('button');
  button.className = `icon-button step-${b.action}`;
  button.setAttribute('type', 'button');
  button.setAttribute('aria-label', label);
  button.setAttribute('title', stepButtonTitle(label, b.keys));
  button.setAttribute('accesskey', b.key);
  button.setAttribute('aria-keyshortcuts', b.keys);
  button.setAttribute('data-action', b.action);
  const icon = doc.createElement('span');
  icon.className = `codicon codicon-${b.icon}`;
  icon.setAttribute('aria-hidden', 'true');
  button.appendChild(icon);
  return button;
}

/** The buttons a debug session's driving changes: the stepping buttons (they send the session requests), a new walk and another variant (refused): docs/debugging.md. */
export const DRIVEN_ACTIONS: readonly PanelAction[] = ['restart', 'back', 'forward', 'next-flush', 'violation', 'walk', 'variant'];

/** A button as showDriver sets it: disabled, its tooltip, marks for the CSS and the tests. */
export interface DrivenButton {
  disabled: boolean;
  setAttribute(name: string, value: string): void;
  getAttribute(name: string): string | null;
  removeAttribute(name: string): void;
}

/** The words showDriver puts in the tooltips (media/strings.ts has them). */
export interface DriveWords {
  /** A button that sends the session `command`: its tooltip, from the request's name and the button's own tooltip. */
  drives(command: DriveRequest, own: string): string;
  /** A button that cannot drive the session at this stop: why, as its tooltip. */
  refused(why: DriveRefusal, action: DriveAction): string;
}

/**
 * While a debug session drives the walk (`driver` says so), each of DRIVEN_ACTIONS's buttons is
 * what src/debug/drive.ts says at the session's position `at`: enabled with the Debug toolbar's
 * request named in its tooltip (marked data-request), or disabled with the reason as its tooltip;
 * its own tooltip is kept aside. When the session ends (`driver` undefined) the tooltips come
 * back. Returns whether the walk is driven. The buttons' enabling at a step without a session
 * (back at the first, forward at the last) is the caller's, before this.
 */
export function showDriver(buttons: ReadonlyMap<PanelAction, DrivenButton>, driver: string | undefined, at: DrivePosition, words: DriveWords): boolean {
  for (const action of DRIVEN_ACTIONS) {
    const b = buttons.get(action);
    if (!b) continue;
    const own = b.getAttribute('data-title') ?? b.getAttribute('title');
    if (driver) {
      if (own !== null) b.setAttribute('data-title', own);
      b.setAttribute('data-driven', 'debugger');
      const d = drive(action, at);
      if (d.kind === 'request') {
        b.setAttribute('title', words.drives(d.command, own ?? ''));
        b.setAttribute('data-request', d.command);
        b.disabled = false;
      } else {
        b.setAttribute('title', d.kind === 'refused' ? words.refused(d.why, action) : own ?? '');
        b.removeAttribute('data-request');
        b.disabled = d.kind === 'refused';
      }
    } else if (b.getAttribute('data-driven') !== null) {
      if (own !== null) b.setAttribute('title', own);
      else b.removeAttribute('title');
      b.removeAttribute('data-title');
      b.removeAttribute('data-driven');
      b.removeAttribute('data-request');
    }
  }
  return driver !== undefined;
}
