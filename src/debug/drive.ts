/**
 * The walk panel driving a debug session: while a `kvm-mmu-lab` session runs, the panel's buttons
 * (and keys, and the palette's stepping commands) send the session the request of the Debug
 * toolbar's button that does the same, and the panel then shows the stop through the follow path
 * (src/debug/follow.ts): one source of truth, the session. This file says which request each
 * action is, and when it is available at the session's position; the extension sends it
 * (extension/walk.ts) and the webview enables its buttons by it (media/toolbar.ts).
 * docs/debugging.md, "The panel drives the session".
 */
import type { PanelAction } from '../view/protocol';

/**
 * What the walk can be asked to do: the panel's actions, a step link in the panel or its picture
 * ('goto'), Walk the Split Here ('walk-here') and Choose the Next Event… ('next-event').
 */
export type DriveAction = PanelAction | 'goto' | 'walk-here' | 'next-event';

/** The Debug Adapter Protocol requests the panel sends, each a button of the Debug toolbar. */
export type DriveRequest = 'next' | 'stepBack' | 'continue' | 'restart';

/**
 * Why an action does not drive the session: the session is before the first step or at the end
 * of its run; no request of the debugger does what the action does; or the action would walk a
 * run other than the session's (a run is fixed when the session launches).
 */
export type DriveRefusal = 'at-start' | 'at-end' | 'no-request' | 'leaves-run';

export type Drive =
  | { kind: 'request'; command: DriveRequest }
  | { kind: 'refused'; why: DriveRefusal }
  /** The action does not move the walk (Locate mmu.c, Export): the walk does it itself, as without a session. */
  | { kind: 'own' };

/** Where the session stands: stopped before step `pos` of a run of `total` steps (at the end: pos = total). */
export interface DrivePosition {
  pos: number;
  total: number;
}

/**
 * Each action that moves the walk, as the request that moves the session. Why each (the design
 * choice is in docs/debugging.md):
 * - forward is Step Over (`next`): the panel's icon is the toolbar's Step Over, and Step Back (the
 *   session's reverse of Step Over) undoes it; Step Into, one step at a time, stays on the toolbar.
 * - back is Step Back (`stepBack`).
 * - violation is Continue (`continue`): it runs on to the next stop, which is the violation when
 *   the Violation exception breakpoint is on (its default) and no breakpoint comes first.
 * - restart is Restart (`restart`): the session launched again with its configuration, stopped
 *   before the first step, where the panel's own Restart goes.
 */
const REQUESTS: Partial<Record<DriveAction, DriveRequest>> = {
  forward: 'next',
  back: 'stepBack',
  violation: 'continue',
  restart: 'restart',
};

/** The actions no request of the debugger does: run to the next flush, go to a step (a link, Walk the Split Here). */
const NO_REQUEST: readonly DriveAction[] = ['next-flush', 'goto', 'walk-here'];

/** The actions that walk another run: a new scenario, another variant, a what-if branch. */
const LEAVES_RUN: readonly DriveAction[] = ['walk', 'variant', 'next-event'];

/** The actions that move backwards (nothing to do before the first step) and forwards (nothing at the end). */
const BACKWARD: readonly DriveRequest[] = ['stepBack', 'restart'];
const FORWARD: readonly DriveRequest[] = ['next', 'continue'];

/** What `action` does while a session drives the walk, stopped at `at`. */
export function drive(action: DriveAction, at: DrivePosition): Drive {
  const command = REQUESTS[action];
  if (command) {
    if (BACKWARD.includes(command) && at.pos <= 0) return { kind: 'refused', why: 'at-start' };
    if (FORWARD.includes(command) && at.pos >= at.total) return { kind: 'refused', why: 'at-end' };
    return { kind: 'request', command };
  }
  if (NO_REQUEST.includes(action)) return { kind: 'refused', why: 'no-request' };
  if (LEAVES_RUN.includes(action)) return { kind: 'refused', why: 'leaves-run' };
  return { kind: 'own' };
}

/** The session's position for the walk's index `index` (the last step done, -1 before the first) in a run of `total` steps: follow.ts's walkIndexAt, inverted. */
export function drivePosition(index: number, total: number): DrivePosition {
  return { pos: index + 1, total };
}
