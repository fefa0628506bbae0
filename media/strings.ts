// Every label the webview draws itself; what it shows as content comes from the extension. Each goes
// through l10n.t (media/l10n.ts), configured with the extension's bundle before this module is read.
import type { PictureMark } from '../src/view/protocol';
import type { DriveAction, DriveRefusal, DriveRequest } from '../src/debug/drive';
import type { PanelSnapshot } from '../src/view/snapshot';
import * as l10n from './l10n';

export const strings = {
  connecting: l10n.t('Connecting to the extension…'),
  connected: l10n.t('Connected'),
  details: l10n.t('About this panel'),
  host: l10n.t('Extension host'),
  hostKinds: { node: l10n.t('Node'), web: l10n.t('Web worker') },
  extensionVersion: l10n.t('Extension version'),
  protocolVersion: l10n.t('Protocol version'),
  protocolMismatch: (theirs: number, ours: number) => l10n.t('The extension speaks protocol {0}, this panel {1}: reload the window.', theirs, ours),
  snapshotTime: l10n.t('Last step: snapshot in the extension'),
  renderTime: l10n.t('render in this panel'),

  toolbar: l10n.t('Stepping'),
  restart: l10n.t('Restart'),
  back: l10n.t('Back'),
  forward: l10n.t('Forward'),
  nextFlush: l10n.t('Next flush'),
  violation: l10n.t('Violation'),
  variant: l10n.t('Variant…'),
  walk: l10n.t('Scenario…'),
  locate: l10n.t('Locate mmu.c'),
  export: l10n.t('Export'),
  keys: l10n.t('Keys: → or N forward, ← or P back, Home restart, F next flush, V violation.'),
  // While a debug session drives the walk (media/toolbar.ts, src/debug/drive.ts): the Debug
  // toolbar's request each button sends, and why one cannot.
  driveRequests: { next: l10n.t('Step Over'), stepBack: l10n.t('Step Back'), continue: l10n.t('Continue'), restart: l10n.t('Restart') } satisfies Record<DriveRequest, string>,
  drives: (request: string, own: string) => l10n.t('{0} in the debug session · {1}', request, own),
  driveRefused: (why: DriveRefusal, action: DriveAction) =>
    why === 'at-start' ? l10n.t('The debug session is before the first step: nothing to step back to.')
      : why === 'at-end' ? l10n.t('The debug session is at the end of its run.')
        : why === 'no-request' ? (action === 'next-flush' ? l10n.t('The debugger has no request that runs to the next flush: set a breakpoint on the flush\'s line, then Continue.') : l10n.t('The debugger cannot jump to a step.'))
          : l10n.t('Another scenario or variant is another run than the debug session\'s: stop the session first.'),

  // Steps are numbered from 0, as in the plain-text trace and the violation messages of the core.
  stepOf: (i: number, n: number) => (i < 0 ? l10n.t('Before step 0 (0–{0})', n - 1) : l10n.t('Step {0} (0–{1})', i, n - 1)),
  noStepYet: l10n.t('Nothing has run yet. Step forward to start.'),
  lockHeld: l10n.t('mmu_lock held'),
  lockFree: l10n.t('mmu_lock free'),
  sourceShown: (label: string, where: string) => (where ? l10n.t('Beside the panel: {0}, at {1}.', label, where) : l10n.t('Beside the panel: {0}.', label)),
  writes: (n: number) => (n === 1 ? l10n.t('1 SPTE write') : l10n.t('{0} SPTE writes', n)),
  moreWrites: (n: number) => l10n.t('… and {0} more', n),

  verdictPass: l10n.t('PASS'),
  passSoFar: l10n.t('PASS so far'),
  verdictViolation: l10n.t('VIOLATION'),
  verdictSoFar: (n: number) => (n === 0 ? l10n.t('no violation so far') : n === 1 ? l10n.t('1 violation so far') : l10n.t('{0} violations so far', n)),
  verdictRun: (v: string) => l10n.t('the whole run: {0}', v),

  tables: l10n.t('Page tables'),
  root: (name: string) => l10n.t('Root {0}', name),
  newChild: l10n.t('NEW child SP'),
  reusedChild: l10n.t('REUSED child SP'),
  presentNonLeaf: (idx: number[]) => (idx.length === 1 ? l10n.t('present non-leaf entry {0}: the huge translation must be flushed', idx.join(', ')) : l10n.t('present non-leaf entries {0}: the huge translation must be flushed', idx.join(', '))),
  changed: l10n.t('changed'),
  entries: (from: number, to: number) => (from === to ? `[${from}]` : `[${from}..${to}]`),
  collapsedTables: (n: number) => l10n.t('{0} tables shown as one row', n),

  // The guest's page tables beside the shadow tables, and the shadow pages that died (src/view/guest_view.ts).
  guestTables: l10n.t('Guest page tables'),
  guestTablesEmpty: l10n.t('No guest page table in guest memory.'),
  guestTablesOmitted: (n: number) => (n === 1 ? l10n.t('1 more guest table not shown.') : l10n.t('{0} more guest tables not shown.', n)),
  guestPresent: (n: number) => (n === 1 ? l10n.t('1 entry present') : l10n.t('{0} entries present', n)),
  shadowedBy: l10n.t('shadowed by'),
  notShadowed: l10n.t('no shadow page'),
  lifeFreed: l10n.t('FREED'),
  lifeInvalid: l10n.t('ZAPPED'),
  freedSps: l10n.t('Shadow pages zapped or freed'),
  freedEmpty: l10n.t('No shadow page has been zapped or freed.'),
  freedAtStep: (n: number) => l10n.t('freed at step {0}', n),
  danglingRmap: (n: number) => (n === 1 ? l10n.t('1 rmap entry still points into it: an rmap walk would dereference it') : l10n.t('{0} rmap entries still point into it: an rmap walk would dereference them', n)),
  noDanglingRmap: l10n.t('No rmap entry points into it.'),

  tlbs: l10n.t('vCPU TLBs'),
  vcpu: (id: number) => l10n.t('vCPU {0}', id),
  tlbEmpty: l10n.t('empty'),
  tlbHead: [l10n.t('size'), l10n.t('via root'), l10n.t('L2'), l10n.t('gfns'), l10n.t('pfn'), l10n.t('access'), l10n.t('state')],
  writable: l10n.t('W'),
  readOnly: l10n.t('R'),
  stale: l10n.t('STALE'),
  valid: l10n.t('ok'),

  flushLog: l10n.t('Flush log'),
  flushEmpty: l10n.t('No flush yet.'),
  flushHead: [l10n.t('step'), l10n.t('outcome'), l10n.t('call'), l10n.t('range'), l10n.t('in'), l10n.t('removed')],
  issued: l10n.t('ISSUED'),
  skipped: l10n.t('SKIPPED'),

  checks: l10n.t('Checks'),
  checksPass: l10n.t('All checks pass up to this step.'),
  staleEntry: l10n.t('stale entry'),
  gfn: l10n.t('gfn'),
  atStep: (n: number) => l10n.t('at step {0}', n),
  staleSince: (n: number) => l10n.t('stale since step {0}', n),
  skippedAt: (n: number) => l10n.t('flush skipped at step {0}', n),

  // Open hazards: a stale translation the check will look at by a deadline (src/view/hazards.ts).
  hazardOpen: l10n.t('OPEN HAZARD'),
  hazardsOpen: (n: number) => (n === 1 ? l10n.t('1 open hazard: a flush is due') : l10n.t('{0} open hazards: a flush is due', n)),
  overPrivileged: l10n.t('WRITABLE'),
  overPrivilegedEntry: l10n.t('writable entry'),
  flushBy: (n: number) => l10n.t('flush by step {0}', n),
  cause: l10n.t('made stale by'),
  deadline: l10n.t('deadline'),
  deadlineAt: (n: number, strength: string) => (strength === 'unmapped' ? l10n.t('step {0}, where mmu_lock is released', n) : l10n.t('step {0}, where the operation returns', n)),
  goToStep: (n: number, what: string) => l10n.t('Go to step {0}: {1}', n, what),
  linkSkipped: l10n.t('the skipped flush'),
  linkStale: l10n.t('where it went stale'),
  linkProtected: l10n.t('the write-protection'),
  linkDeadline: l10n.t('the deadline'),

  counters: l10n.t('Counters'),
  // The model's counters (src/model/state.ts) in kernel words: the panel never shows a field name.
  counterNames: {
    remoteFlushes: l10n.t('remote TLB flushes'),
    fullFlushes: l10n.t('full flushes (kvm_flush_remote_tlbs)'),
    rangedFlushes: l10n.t('ranged flushes'),
    pagesFlushed: l10n.t('pages flushed'),
    flushesSkipped: l10n.t('flushes skipped'),
    splitFlushes: l10n.t('flushes from eager page splitting'),
    spteWrites: l10n.t('SPTE writes'),
    spsCreated: l10n.t('shadow pages allocated'),
    spsReused: l10n.t('shadow pages reused from the hash'),
    splits: l10n.t('huge pages split'),
    faults: l10n.t('page faults'),
    lockReleases: l10n.t('mmu_lock releases'),
    tlbFills: l10n.t('TLB fills'),
    guestAccesses: l10n.t('guest accesses'),
  } satisfies Record<keyof PanelSnapshot['counters'], string>,

  // The picture of the hazard (media/picture.ts draws it; src/view/hazard_picture.ts computes it).
  picture: l10n.t('Picture of the hazard'),
  pictureNone: l10n.t('This walk splits no huge page: there is no range to draw.'),
  pictureMappings: l10n.t('What maps the huge page'),
  pictureTimeline: l10n.t('Who holds mmu_lock, and the flushes'),
  pictureRoot: (name: string) => l10n.t('root {0}', name),
  pictureTlb: (id: number) => l10n.t('vCPU {0} TLB', id),
  laneIoctl: l10n.t('ioctl caller'),
  laneVcpu: (id: number) => l10n.t('vCPU {0}', id),
  laneNotifier: l10n.t('mmu notifier'),
  pictureNow: (n: number) => l10n.t('the walk is after step {0}', n),
  pictureClick: (n: number, what: string) => l10n.t('Click: go to step {0}, {1}', n, what),
  pictureMarks: {
    'stale-since': l10n.t('where it went stale'),
    'skipped-flush': l10n.t('the skipped flush'),
    'deadline': l10n.t('the deadline'),
    'violation': l10n.t('the violation'),
    'flush': l10n.t('the flush'),
    'lock-release': l10n.t('where mmu_lock is released'),
  } satisfies Record<PictureMark, string>,
  legend: {
    huge: l10n.t('huge leaf'),
    split: l10n.t('smaller leaves (split)'),
    absent: l10n.t('not present'),
    tlb: l10n.t('TLB entry'),
    band: l10n.t('stale: a TLB entry covers what the tables no longer map'),
    lock: l10n.t('mmu_lock held'),
    issued: l10n.t('flush issued'),
    skipped: l10n.t('flush skipped'),
    violation: l10n.t('violation'),
  },
} as const;
