// Every string the extension itself shows a person (the webviews' own labels are in media/strings.ts,
// the renderings shared with the CLI in src/view/). Each goes through l10n.t (extension/l10n.ts):
// a plain string is a getter, so that it is translated when it is read, after activation has
// handed over VS Code's translation. The English is the key; `{0}`, `{1}` are the places.
import type { DriveAction, DriveRefusal } from '../src/debug/drive';
import * as l10n from './l10n';

export const strings = {
  get outputChannel() { return l10n.t('KVM MMU Lab'); },
  labLoadFailed: (reason: string) => l10n.t('KVM MMU Lab could not load its simulation core: {0}', reason),
  get panelTitle() { return l10n.t('KVM MMU Lab'); },
  get panelHeading() { return l10n.t('KVM MMU Lab'); },
  get panelIntro() {
    return l10n.t('Step through an eager huge-page split of the x86 shadow MMU next to mmu.c: page tables, vCPU TLBs, every SPTE write and every TLB flush, issued or skipped. Run "KVM MMU Lab: Walk Through Scenario…" to start.');
  },

  // Quick picks
  get pickScenario() { return l10n.t('Walk through which scenario?'); },
  get builtinGroup() { return l10n.t('Built-in scenarios'); },
  get workspaceGroup() { return l10n.t('Scenario files in the workspace (*.scenario.json, the explorer\'s counterexamples too)'); },
  get builtin() { return l10n.t('built-in'); },
  get pickVariant() { return l10n.t('Read the scenario under which variant?'); },
  get composeVariant() { return l10n.t('$(settings-gear) Compose from the policies…'); },
  get composeVariantDetail() { return l10n.t('Choose each of splitFlush, linkPresent, dropFlushRange, enableLogFlush, childReuse, slotZap in turn'); },
  pickPolicy: (policy: string, step: number, of: number) => l10n.t('{0} ({1} of {2})', policy, step, of),
  get pickExport() { return l10n.t('Export the trace as'); },
  get exportBrief() { return l10n.t('Brief plain text (for a mail reply)'); },
  get exportBriefDetail() { return l10n.t('the verdict first, then only the steps that write an SPTE, change a TLB, flush or release mmu_lock; 72 columns'); },
  get exportText() { return l10n.t('Full plain text'); },
  get exportTextDetail() { return l10n.t('every step, one paragraph a step, ASCII (kvm-mmu-lab run)'); },
  get exportMarkdown() { return l10n.t('Markdown'); },
  get exportMarkdownDetail() { return l10n.t('verdict, violations, then the trace in a code block'); },
  get locateOpenLabel() { return l10n.t('Use as kernel tree'); },
  get locateTitle() { return l10n.t('The kernel tree (the folder holding arch/), or its arch/x86/kvm/mmu/mmu.c'); },

  // Messages
  get noWalk() { return l10n.t('No walk yet: run "KVM MMU Lab: Walk Through Scenario…" first.'); },
  noViolation: (scenario: string, variant: string) => l10n.t('{0} passes under {1}: there is no violation to run to.', scenario, variant),
  get noMoreFlushes() { return l10n.t('No flush (issued or skipped) after this step.'); },
  get atEnd() { return l10n.t('This is the last step of the walk.'); },
  get atStart() { return l10n.t('This is before the first step.'); },
  scenarioError: (what: string, message: string) => l10n.t('Cannot walk {0}: {1}', what, message),
  badVariant: (spec: string, message: string) => l10n.t('The variant "{0}" is not valid ({1}); using v7.', spec, message),
  kernelTreeSet: (path: string) => l10n.t('Kernel tree set to {0}.', path),
  notAKernelTree: (path: string) => l10n.t('{0} has no arch/x86/kvm/mmu/mmu.c; pick the folder that holds arch/, or mmu.c itself.', path),
  building: (scenario: string, variant: string) => l10n.t('KVM MMU Lab: running {0} under {1}…', scenario, variant),

  // Next to the source
  get listingName() { return l10n.t('model listing'); },
  get listingHeader() {
    return [
      '/*',
      ` * ${l10n.t('KVM MMU Lab: the model\'s own listing of every statement it steps through, grouped by kernel')}`,
      ` * ${l10n.t('file and function (src/kernel/anchors.ts). It is shown when no kernel tree is set, or when a')}`,
      ` * ${l10n.t('step\'s file is not in the tree. To step next to your own mmu.c, run')}`,
      ` * ${l10n.t('"KVM MMU Lab: Locate mmu.c" or set kvmMmuLab.kernelTree.')}`,
      ' */',
    ];
  },
  get noKernelTree() { return l10n.t('No kernel tree is set, so the editor shows the model\'s own listing. To step next to your own mmu.c, run "KVM MMU Lab: Locate mmu.c" or set kvmMmuLab.kernelTree.'); },
  notInTree: (file: string, tree: string) => l10n.t('{0} (or this function in it) is not in the kernel tree {1}; the editor shows the model\'s listing for this step.', file, tree),
  statementNotFound: (fn: string, reason: string) => reason
    ? l10n.t('{0} is there, but not this statement as the model writes it: the function\'s first line is highlighted ({1}).', fn, reason)
    : l10n.t('{0} is there, but not this statement as the model writes it: the function\'s first line is highlighted.', fn),
  anchoredAs: (how: string, note: string) => (note ? l10n.t('Found {0}: {1}.', how, note) : l10n.t('Found {0}.', how)),
  get sourceKernel() { return l10n.t('kernel tree'); },
  sourcePatch: (name: string) => l10n.t('patch hunks: {0}', name),
  get sourceListing() { return l10n.t('model listing'); },
  get noKernelTreeHint() { return l10n.t('To step next to your own mmu.c, run "KVM MMU Lab: Locate mmu.c" or set kvmMmuLab.kernelTree.'); },
  notInTreeHint: (tree: string) => l10n.t('The kernel tree {0} does not hold this step; "KVM MMU Lab: Locate mmu.c" points at another.', tree),
  patchBeforeFirst: (name: string) => l10n.t('Before the first step: the steps will be shown in the hunks of {0} where it has them.', name),
  patchShown: (name: string, fn: string) => l10n.t('Shown in the hunks of {0}, in {1}().', name, fn),
  patchFunctionOnly: (fn: string, name: string) => l10n.t('{0}() is in {1}, but this statement is not among its hunk lines: the hunk that holds {0}() is highlighted.', fn, name),
  hardwareStep: (what: string) => l10n.t('A hardware step ({0}) has no kernel source: the editor shows the model\'s listing.', what),
  notInPatch: (fn: string, name: string) => l10n.t('{0}() is not in the hunks of {1}: the editor shows the model\'s listing for this step.', fn, name),
  notInListing: (fn: string) => l10n.t('The model has no source line for {0}.', fn),
  get sourceBeforeFirst() { return l10n.t('Before the first step: nothing is highlighted yet.'); },
  get skippedFlushMark() { return l10n.t('⚠ flush skipped here'); },
  culpritMark: (step: number, violation: number) => l10n.t('⚠ flush skipped here (step {0}) → violation at step {1}', step, violation),
  culpritHover: (step: number, violation: number) => l10n.t('KVM MMU Lab — flush skipped here at step {0}, the cause of the violation at step {1}', step, violation),
  get hoverChanged() { return l10n.t('**What it changed:**'); },
  get hoverNoChange() { return l10n.t('It changed no SPTE, TLB or flush state.'); },
  // The last eight steps at most; "(and earlier)" when there were more.
  hoverEarlier: (steps: number[]) => {
    const list = steps.slice(-8).join(', ');
    if (steps.length > 8) return l10n.t('Also taken at steps {0} (and earlier).', list);
    return steps.length === 1 ? l10n.t('Also taken at step {0}.', list) : l10n.t('Also taken at steps {0}.', list);
  },
  get lensWalk() { return l10n.t('$(debug-step-over) Walk the split here'); },
  get lensWalkFault() { return l10n.t('$(debug-step-over) Walk the fault here'); },
  lensWalkTooltip: (fn: string) => l10n.t('Walk the current scenario (or reused-partial) to the first step in {0}', fn),
  get lensDebug() { return l10n.t('$(debug-alt) Debug the split here'); },
  lensDebugTooltip: (fn: string) => l10n.t('Start a debug session stopped before the first step in {0}()', fn),
  get debugDefaultName() { return l10n.t('Debug the split (reused-partial)'); },
  debugHereName: (fn: string) => l10n.t('Debug {0}()', fn),
  get lensCompare() { return l10n.t('$(table) Compare variants'); },
  get lensCompareTooltip() { return l10n.t('Run every preset on the current scenario and show the table'); },

  // Status bar
  get statusName() { return l10n.t('KVM MMU Lab walk'); },
  // Steps are numbered from 0, as in the plain-text trace: "step 43/53" is step 43 of 0..53.
  status: (scenario: string, variant: string, index: number, total: number, verdict: string, source: string) =>
    l10n.t('$(debug-step-over) {0} · {1} · step {2}/{3} · {4} · $(file-code) {5}', scenario, variant, index < 0 ? '–' : index, total - 1, verdict, source),
  statusSource: (label: string, location: string) => (location ? l10n.t('**Beside the panel:** {0} ({1})', label, location) : l10n.t('**Beside the panel:** {0}', label)),
  get locateLink() { return l10n.t('Locate mmu.c: step next to your own kernel tree'); },
  get statusTooltip() { return l10n.t('KVM MMU Lab: the walk in progress. Click to show the panel; Alt+F10 steps forward, Alt+Shift+F10 back.'); },
  get verdictPass() { return l10n.t('$(pass) pass'); },
  get verdictViolation() { return l10n.t('$(error) VIOLATION'); },
  get verdictHazard() { return l10n.t('$(warning) open hazard'); },
  get verdictPassSoFar() { return l10n.t('$(pass) pass so far'); },
  statusRun: (violations: number) => (violations ? l10n.t('**The whole run:** VIOLATION ({0})', violations) : l10n.t('**The whole run:** pass')),

  // Check Patch…, Compare Variants, Explore Variant…
  get checkPatchOpenLabel() { return l10n.t('Check Patch'); },
  get checkPatchTitle() { return l10n.t('A patch mail, mbox or diff to check'); },
  get patchFiles() { return l10n.t('Patches and mails'); },
  get allFiles() { return l10n.t('All files'); },
  reviewTitle: (name: string) => l10n.t('Review: {0}', name.split('/').pop() ?? name),
  get noKernelTreeForLink() { return l10n.t('No kernel tree is set: run "KVM MMU Lab: Locate mmu.c" to open the steps in your tree.'); },
  compareViewTitle: (scenario: string) => l10n.t('Compare: {0}', scenario),
  get fullScaleProgress() { return l10n.t('KVM MMU Lab: full-scale cost of each variant (eager split of a 64 GiB guest)'); },
  fullScaleRunning: (where: string) => l10n.t('computing the split flushes per 64 GiB guest in {0}…', where),
  fullScaleDone: (secs: string, where: string) => l10n.t('split flushes when dirty logging starts on a 64 GiB guest on 1 GiB pages; computed in {0} s in {1}.', secs, where),
  get fullScaleCancelled() { return l10n.t('cancelled.'); },
  notAReviewFile: (file: string) => l10n.t('KVM MMU Lab opens only the kernel files its review links to, not {0}.', JSON.stringify(file)),
  fullScaleStopped: (reason: string) => l10n.t('{0} (the setting kvmMmuLab.jobMemoryCapMiB); the full-scale costs were not computed.', reason),
  get fullScaleOff() { return l10n.t('not computed.'); },
  get pickBound() { return l10n.t('Explore within which bound?'); },
  get boundSmall() { return l10n.t('Small: 2 KVM operations, 1 guest access'); },
  get boundSmallDetail() { return l10n.t('under a second, but too small for the seed\'s hazard: no split can reuse a child SP within it, so every variant comes back clean'); },
  get boundMedium() { return l10n.t('Medium: 3 KVM operations, 2 guest accesses'); },
  get boundMediumDetail() { return l10n.t('about 100,000 states for v7, a second or two: the least of these that reaches the seed\'s hazard (never-flush fails in 13 transitions)'); },
  get boundDefault() { return l10n.t('Default: 4 KVM operations, 2 guest accesses, every operation kind'); },
  get boundDefaultDetail() { return l10n.t('what kvm-mmu-lab explore searches: about a million states for v7 (a few seconds, about 140 MiB of states); never-flush\'s counterexample in about a second (docs/explorer.md)'); },
  exploreProgress: (variant: string) => l10n.t('KVM MMU Lab: exploring {0}', variant),
  exploreViewTitle: (variant: string) => l10n.t('Explore: {0}', variant),
  get walkIt() { return l10n.t('Walk It'); },
  get pickScenarioToCompare() { return l10n.t('Compare every preset on which scenario?'); },
  get pickVariantToExplore() { return l10n.t('Explore which variant? (every interleaving within a bound, searched for a violation)'); },
  exploreWritten: (variant: string, path: string) => l10n.t('The explorer found a counterexample under {0}, written to {1}.', variant, path),
  get openIt() { return l10n.t('Open'); },
  // The Explore view (extension/explore_view.ts): a row with a counterexample opens it when clicked.
  get openCounterexample() { return l10n.t('Open the counterexample'); },
  get saveCounterexampleTitle() { return l10n.t('Save the counterexample scenario'); },
  get saveCounterexampleLabel() { return l10n.t('Save Counterexample'); },
  get scenarioFiles() { return l10n.t('Scenario files'); },
  get counterexampleNotSaved() { return l10n.t('The counterexample was not saved; the result view shows it, and kvm-mmu-lab explore --out writes it.'); },
  // The work on an input, off the host's thread (extension/off_thread.ts).
  inputJobStopped: (reason: string) => l10n.t('{0} (the setting kvmMmuLab.jobMemoryCapMiB).', reason),
  readingScenario: (file: string) => l10n.t('KVM MMU Lab: reading {0}', file),
  comparing: (scenario: string) => l10n.t('KVM MMU Lab: running every preset on {0}', scenario),
  reviewing: (name: string) => l10n.t('KVM MMU Lab: reviewing {0}', name),
  walkTooSlow: (scenario: string, secs: string, budget: number) => l10n.t('{0} took {1} s to run in the worker; the walk is built again on the extension host, which KVM MMU Lab keeps under {2} s. Walk a shorter scenario, or run it with kvm-mmu-lab run.', scenario, secs, budget),
  notAnOfferedScenario: (file: string) => l10n.t('KVM MMU Lab walks only the scenario files its views offered, not {0}.', JSON.stringify(file)),
  notACounterexample: (file: string) => l10n.t('KVM MMU Lab opens only counterexamples it wrote, not {0}.', JSON.stringify(file)),

  // Added with the controllers: words that were inline in the lab's code.
  noBuiltinScenario: (id: string) => l10n.t('no built-in scenario "{0}"', id),
  builtinLabel: (id: string) => l10n.t('{0} (built-in)', id),

  // What-if (extension/whatif.ts)
  whatIfPick: (step: number) => l10n.t('What comes after step {0}? The walk continues on the branch.', step),
  whatIfOnlyContinue: (step: number, reason: string) => l10n.t('After step {0} only the same operation can continue: {1}', step, reason),
  get whatIfNotPossible() { return l10n.t('not possible here'); },
  whatIfRefused: (event: string, reason: string) => l10n.t('{0} cannot come here: {1}', event, reason),
  get whatIfBeforeFirst() { return l10n.t('Step forward first: the events to choose from come after a step of the walk.'); },
  branchLabel: (name: string) => l10n.t('{0} (what-if branch)', name),
  get noBranch() { return l10n.t('The walk is not on a what-if branch: run "KVM MMU Lab: Choose the Next Event…" first.'); },
  get saveBranchTitle() { return l10n.t('Save the branch as a scenario file'); },
  get debuggerDrives() { return l10n.t('A debug session drives this walk: these buttons step the session as the Debug toolbar does (Forward is Step Over, Back is Step Back, Violation is Continue, Restart is Restart) and the panel shows where it stops; Step Into, Step Out and Reverse Continue are on the toolbar. The walk\'s own stepping comes back when the session ends.'); },
  /** Why an action of the walk is refused while a debug session drives it (src/debug/drive.ts's reasons). */
  driveRefused: (why: DriveRefusal, action: DriveAction) => {
    switch (why) {
      case 'at-start': return l10n.t('The debug session is stopped before the first step: there is nothing to step back to.');
      case 'at-end': return l10n.t('The debug session is at the end of its run: step back, or restart it.');
      case 'no-request':
        return action === 'next-flush'
          ? l10n.t('The debugger has no request that runs to the next flush: set a breakpoint on the flush\'s line (or tick the "Skipped flush" exception breakpoint) and Continue.')
          : l10n.t('The debugger cannot jump to a step: step or continue the session there (a breakpoint on the step\'s line), or stop the session to move the walk freely.');
      case 'leaves-run':
        return action === 'next-event'
          ? l10n.t('Choose the Next Event… branches into a run the debug session did not launch: stop the session (the walk stays at its step), choose the event, save the branch as a scenario, then debug that file.')
          : l10n.t('Another scenario or variant is another run than the debug session\'s, which is fixed when it launches: stop the session first, or launch another with that scenario and variant.');
    }
  },
  driveFailed: (request: string, reason: string) => l10n.t('The debug session did not take the panel\'s {0}: {1}', request, reason),
  get sourceDebugger() { return l10n.t('the debugger\'s top frame'); },
  debuggerBefore: (next: number, shown: number) => l10n.t('Stopped before step {0}, the statement the debugger shows; this panel shows the machine after step {1}, as the Variables view does.', next, shown < 0 ? '–' : shown),
  get debuggerAtEnd() { return l10n.t('Stopped at the end of the run; this panel shows the machine after its last step, as the Variables view does.'); },
  get debugSaveBranchFirst() { return l10n.t('The walk is on a what-if branch: save it ("KVM MMU Lab: Save Branch as Scenario…"), walk the file, then debug it.'); },
  branchSaved: (path: string) => l10n.t('Branch saved as {0}.', path),
  get current() { return l10n.t('current'); },
  variantDescription: (splitFlush: string, safe: boolean, current: boolean) => [safe ? '' : l10n.t('unsafe'), `splitFlush=${splitFlush}`, current ? l10n.t('current') : ''].filter((x) => x).join(' · '),
  get reviewViewTitle() { return l10n.t('KVM MMU Lab review'); },
  reviewNotRendered: (what: string) => l10n.t('the review view did not render the {0} (see the KVM MMU Lab log)', what),

  // Files refused before they are read (extension/read_bounded.ts).
  notARegularFile: (file: string) => l10n.t('{0} is not a regular file (a folder, a FIFO or a device): KVM MMU Lab reads only regular files.', file),
  fileTooLarge: (file: string, size: number, limit: number) => l10n.t('{0} is {1} bytes; KVM MMU Lab reads such a file only up to {2} bytes ({3} MiB).', file, size, limit, limit / 2 ** 20),
};
