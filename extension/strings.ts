// Every string the extension itself shows a person (the webview's own labels are in media/strings.ts).
export const strings = {
  outputChannel: 'KVM MMU Lab',
  panelTitle: 'KVM MMU Lab',
  panelHeading: 'KVM MMU Lab',
  panelIntro:
    'Step through an eager huge-page split of the x86 shadow MMU next to mmu.c: page tables, vCPU TLBs, ' +
    'every SPTE write and every TLB flush, issued or skipped. Run "KVM MMU Lab: Walk Through Scenario…" to start.',

  // Quick picks
  pickScenario: 'Walk through which scenario?',
  builtinGroup: 'Built-in scenarios',
  workspaceGroup: 'Scenario files in the workspace (*.scenario.json, the explorer\'s counterexamples too)',
  builtin: 'built-in',
  pickVariant: 'Read the scenario under which variant?',
  composeVariant: '$(settings-gear) Compose from the policies…',
  composeVariantDetail: 'Choose each of splitFlush, linkPresent, dropFlushRange, enableLogFlush in turn',
  pickPolicy: (policy: string, step: number, of: number) => `${policy} (${step} of ${of})`,
  pickExport: 'Export the trace as',
  exportText: 'Plain text',
  exportTextDetail: 'fit for a mail reply: one paragraph a step, ASCII',
  exportMarkdown: 'Markdown',
  exportMarkdownDetail: 'verdict, violations, then the trace in a code block',
  locateOpenLabel: 'Use as kernel tree',
  locateTitle: 'The kernel tree (the folder holding arch/), or its arch/x86/kvm/mmu/mmu.c',

  // Messages
  noWalk: 'No walk yet: run "KVM MMU Lab: Walk Through Scenario…" first.',
  noViolation: (scenario: string, variant: string) => `${scenario} passes under ${variant}: there is no violation to run to.`,
  noMoreFlushes: 'No flush (issued or skipped) after this step.',
  atEnd: 'This is the last step of the walk.',
  atStart: 'This is before the first step.',
  scenarioError: (what: string, message: string) => `Cannot walk ${what}: ${message}`,
  badVariant: (spec: string, message: string) => `The variant "${spec}" is not valid (${message}); using v7.`,
  kernelTreeSet: (path: string) => `Kernel tree set to ${path}.`,
  notAKernelTree: (path: string) => `${path} has no arch/x86/kvm/mmu/mmu.c; pick the folder that holds arch/, or mmu.c itself.`,
  building: (scenario: string, variant: string) => `KVM MMU Lab: running ${scenario} under ${variant}…`,

  // Next to the source
  listingName: 'model listing',
  listingHeader: [
    '/*',
    ' * KVM MMU Lab: the model\'s own listing of every statement it steps through, grouped by kernel',
    ' * file and function (src/mmu/anchors.ts). It is shown when no kernel tree is set, or when a',
    ' * step\'s file is not in the tree. To step next to your own mmu.c, run',
    ' * "KVM MMU Lab: Locate mmu.c" or set kvmMmuLab.kernelTree.',
    ' */',
  ],
  noKernelTree: 'No kernel tree is set, so the editor shows the model\'s own listing. To step next to your own mmu.c, run "KVM MMU Lab: Locate mmu.c" or set kvmMmuLab.kernelTree.',
  notInTree: (file: string, tree: string) => `${file} (or this function in it) is not in the kernel tree ${tree}; the editor shows the model's listing for this step.`,
  statementNotFound: (fn: string) => `${fn} is there, but not this statement as the model writes it: the function's first line is highlighted.`,
  notInListing: (fn: string) => `The model has no source line for ${fn}.`,
  sourceBeforeFirst: 'Before the first step: nothing is highlighted yet.',
  skippedFlushMark: '⚠ flush skipped here',
  hoverChanged: '**What it changed:**',
  hoverNoChange: 'It changed no SPTE, TLB or flush state.',
  hoverEarlier: (steps: number[]) => `Also taken at step${steps.length === 1 ? '' : 's'} ${steps.slice(-8).join(', ')}${steps.length > 8 ? ' (and earlier)' : ''}.`,
  lensWalk: '$(debug-step-over) Walk the split here',
  lensWalkTooltip: (fn: string) => `Walk the current scenario (or reused-partial) to the first step in ${fn}`,
  lensCompare: '$(table) Compare variants',
  lensCompareTooltip: 'Run every preset on the current scenario and show the table',

  // Status bar
  statusName: 'KVM MMU Lab walk',
  // Steps are numbered from 0, as in the plain-text trace: "step 43/53" is step 43 of 0..53.
  status: (scenario: string, variant: string, index: number, total: number, verdict: string) => `$(debug-step-over) ${scenario} · ${variant} · step ${index < 0 ? '–' : index}/${total - 1} · ${verdict}`,
  statusTooltip: 'KVM MMU Lab: the walk in progress. Click to show the panel; Alt+F10 steps forward, Alt+Shift+F10 back.',
  verdictPass: '$(pass) pass',
  verdictViolation: '$(error) VIOLATION',
  compareTitle: (scenario: string, flushMode: string) => `# Variants compared on ${scenario} (${flushMode} flushes)`,
} as const;
