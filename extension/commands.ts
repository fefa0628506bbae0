// The ids the shell (extension/shell.ts) registers at activation and the lab (extension/activate.ts)
// implements: commands, the side view and the Explore view. A module of its own so that the shell can name them
// without loading the lab; test/unit/activation.test.ts checks them against package.json.
export const COMMAND_OPEN_PANEL = 'kvmMmuLab.openPanel';
export const COMMANDS = {
  openPanel: COMMAND_OPEN_PANEL,
  walk: 'kvmMmuLab.walkScenario',
  forward: 'kvmMmuLab.stepForward',
  back: 'kvmMmuLab.stepBack',
  restart: 'kvmMmuLab.restart',
  nextFlush: 'kvmMmuLab.runToNextFlush',
  violation: 'kvmMmuLab.runToViolation',
  variant: 'kvmMmuLab.chooseVariant',
  locate: 'kvmMmuLab.locateKernelTree',
  export: 'kvmMmuLab.exportTrace',
  walkHere: 'kvmMmuLab.walkHere',
  debugHere: 'kvmMmuLab.debugHere',
  compare: 'kvmMmuLab.compareVariants',
  checkPatch: 'kvmMmuLab.checkPatch',
  explore: 'kvmMmuLab.exploreVariant',
  chooseNextEvent: 'kvmMmuLab.chooseNextEvent',
  saveBranch: 'kvmMmuLab.saveBranch',
  cancelSearch: 'kvmMmuLab.cancelSearch',
  clearFinishedSearches: 'kvmMmuLab.clearFinishedSearches',
} as const;
export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];
export const CONTEXT_WALKING = 'kvmMmuLab.walking';
export const SIDE_VIEW_ID = 'kvmMmuLab.sideView';
/** The Explore view: the window's searches (extension/explore_view.ts). */
export const EXPLORE_VIEW_ID = 'kvmMmuLab.exploreView';
/** Set while the Explore view lists a finished search: its Clear Finished button shows then. */
export const CONTEXT_SEARCHES_FINISHED = 'kvmMmuLab.searchesFinished';
/** The debug type of package.json's contributes.debuggers (extension/debug.ts serves it). */
export const DEBUG_TYPE = 'kvm-mmu-lab';

/** A performance mark the lab's module sets when it is evaluated: the tests see from it that activation did not load the lab. */
export const LAB_EVALUATED_MARK = 'kvm-mmu-lab/lab-evaluated';
