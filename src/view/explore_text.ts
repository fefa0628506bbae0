/**
 * An explorer result (src/explore/result.ts) as every front end tells it. What it means is decided
 * here once: how it stands (only a violation, or a clean search that reached every hazard
 * precondition, may look final), which preconditions a clean bound did not reach, how a violation
 * reads. Then the terminal's text (`kvm-mmu-lab explore`, one variant or a table of all) and the
 * review view's lines (Explore Variant…) are written from that.
 */
import { unreached, type GoalReach } from '../explore/goals';
import { reducesByPor, reducesBySymmetry, type ExploreResult } from '../explore/result';
import type { Violation } from '../model/step';
import type { SearchEnd } from './explore_searches';
import type { ExploreStanding } from './protocol';
import { english, type Translate } from './translate';

/** The hazard preconditions a result did not reach; none for a violation, which is what it is whatever the search had not reached yet. */
export function missedGoals(r: ExploreResult): GoalReach[] {
  return r.verdict === 'violation' ? [] : unreached(r.reached);
}

export function exploreStanding(r: ExploreResult): ExploreStanding {
  if (r.verdict === 'violation') return 'violation';
  if (r.verdict === 'incomplete') return 'incomplete';
  return missedGoals(r).length ? 'clean-not-all-reached' : 'clean-all-reached';
}

/**
 * How a search ended, for the Explore view's row (explore_searches.ts): a violation's kind and
 * length (the counterexample's file is added when it is written); a cancel (the search's own
 * "cancelled" stop, or the worker's) apart from the other reasons an incomplete search stops.
 */
export function searchEnd(r: ExploreResult): SearchEnd {
  if (r.verdict === 'violation' && r.violation) return { kind: 'violation', violation: r.violation.kind, depth: r.depth };
  if (r.verdict !== 'no violation within the bound') return r.stopped === 'cancelled' ? { kind: 'cancelled' } : { kind: 'incomplete', reason: r.stopped ?? '' };
  return { kind: 'clean', notReached: missedGoals(r).length };
}

/** A violation as the checks state it: its kind, the check's strength when it has one, its message. */
export function violationText(v: Violation): string {
  return `${v.kind}${v.strength ? ` (${v.strength})` : ''}: ${v.message}`;
}

function mib(b: number): string {
  return `${Math.round(b / 2 ** 20)} MiB`;
}

// ---- the terminal

/**
 * What a clean (or stopped) search reached of the hazard preconditions (goals.ts): a bound that
 * never reached one cannot have met the hazards behind it, so the result says which, and how to
 * reach further. Never "safe".
 */
export function reachedLines(r: ExploreResult): string[] {
  if (!r.reached || r.verdict === 'violation') return [];
  const missing = missedGoals(r);
  const stopped = r.verdict === 'incomplete';
  if (!missing.length) return [`  reached ${stopped ? 'before it stopped' : 'within this bound'}: every hazard precondition (${r.reached.map((g) => g.goal).join(', ')}); still only within the bound`];
  return [
    `  not reached ${stopped ? 'before it stopped' : 'within this bound'}:`,
    ...missing.map((g) => `    - ${g.text}`),
    `  so this bound cannot show the hazards that need them: a larger --ops or --accesses (now ${r.bound.ops} and ${r.bound.accesses}) may reach them`,
  ];
}

/** The omission bound of a hash-compaction search (ExploreResult.hashCompaction) as a figure. */
export function omissionText(bound: number): string {
  return bound >= 1 ? '1 (no guarantee: too many states for the hash)' : bound.toExponential(2);
}

/**
 * What hash compaction means for this result (docs/explorer.md): a "no violation" is
 * probabilistic, with the bound on the chance that a state was omitted; a violation is certain,
 * and only its being a shortest one carries that chance.
 */
export function hashCompactionLines(r: ExploreResult): string[] {
  const h = r.hashCompaction;
  if (!h) return [];
  const figure = `at most about n^2/2^${h.hashBits + 1} = ${omissionText(h.omissionBound)} for n = ${r.states} states`;
  if (r.verdict === 'violation') {
    return [`  hash compaction (${h.hashBits}-bit): the violation is certain (the core replayed it); that no shorter counterexample exists is probabilistic: the chance that a state was wrongly taken as visited is ${figure}`];
  }
  const what = r.verdict === 'incomplete' ? 'what it searched before it stopped is probabilistic' : 'this "no violation" is probabilistic, not a proof';
  return [`  hash compaction (${h.hashBits}-bit): ${what}: a state whose hash matched another state's was taken as visited and not searched; the chance that this happened to some state is ${figure} (docs/explorer.md)`];
}

/** The engine that searched, and why the core did where packed is the default: "core engine (packed does not take --audit)". */
export function engineText(r: ExploreResult): string {
  return `${r.engine} engine${r.engineFallback ? ` (${r.engineFallback})` : ''}`;
}

/** One variant's result, as `kvm-mmu-lab explore` prints it; `counterexampleFile` is where --out wrote it. */
export function exploreResultText(r: ExploreResult, counterexampleFile?: string): string {
  const clean = r.hashCompaction ? 'no violation within the bound (probabilistic: hash compaction)' : 'no violation within the bound';
  const lines = [`${r.variant}: ${r.verdict === 'violation' ? 'VIOLATION' : r.verdict === 'incomplete' ? `INCOMPLETE (${r.stopped})` : clean}`];
  lines.push(`  bound: ${r.boundText}`);
  lines.push(...reachedLines(r));
  if (r.violation) {
    lines.push(`  ${violationText(r.violation)}`);
    lines.push(`  shortest counterexample: ${r.depth} transitions${counterexampleFile ? `, written to ${counterexampleFile} (replay: kvm-mmu-lab run ${counterexampleFile})` : ' (--out FILE writes it as a scenario)'}`);
  }
  lines.push(`  ${r.states} states, ${r.transitions} transitions, depth ${r.depth}, ${r.seconds.toFixed(2)} s, ${r.statesPerSecond} states/s, peak ${r.engine === 'packed' ? 'state store' : 'heap'} ${mib(r.peakMemoryBytes)}${r.engine ? `, ${engineText(r)}` : ''}`);
  if (r.engine === 'packed' && r.violation) lines.push('  the core replayed the counterexample and reported the same violation at the same transition');
  lines.push(...hashCompactionLines(r));
  if (reducesByPor(r.reduce)) lines.push('  reduced by the partial-order reduction (--reduce por): with mmu_lock held, a guest access is offered only after a step visible to its 2M frame; the verdict, the shortest counterexample\'s length and the goals are the unreduced search\'s, the states fewer (docs/explorer.md)');
  if (reducesBySymmetry(r.reduce)) lines.push('  reduced by the symmetry over the region\'s pages (--reduce symmetry): one state of each orbit once logging is on without initially-set and no split is left; the verdict, the shortest counterexample\'s length and the goals are the unreduced search\'s, the states fewer (docs/explorer.md)');
  return lines.join('\n') + '\n';
}

/** Every variant's result in a table, as `kvm-mmu-lab explore --variant all` prints it. */
export function exploreTableText(rows: readonly ExploreResult[]): string {
  // Hash compaction adds a column: each row's bound on the chance a state was omitted.
  const compact = rows.some((r) => r.hashCompaction);
  const head = ['variant', 'verdict', 'states', 'transitions', 'depth', 'seconds', 'states/s', 'peak heap', ...(compact ? ['omission <='] : []), 'not reached'];
  const notReached = (r: ExploreResult) => (r.verdict === 'violation' || !r.reached ? '' : missedGoals(r).map((g) => g.goal).join(',') || '-');
  const verdictText = (r: ExploreResult) => (r.verdict === 'incomplete' ? `incomplete: ${r.stopped}` : r.verdict === 'violation' || !r.hashCompaction ? r.verdict : `${r.verdict} (probabilistic)`);
  const omission = (r: ExploreResult) => (compact ? [r.hashCompaction ? omissionText(r.hashCompaction.omissionBound) : '-'] : []);
  const body = rows.map((r) => [r.variant, verdictText(r), String(r.states), String(r.transitions), String(r.depth), r.seconds.toFixed(2), String(r.statesPerSecond), mib(r.peakMemoryBytes), ...omission(r), notReached(r)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(w[i])).join('  ').trimEnd();
  const legend = rows.some((r) => notReached(r) && notReached(r) !== '-') ? '\nnot reached: hazard preconditions no transition of the search reached (docs/explorer.md); a clean row with some is clean only because the bound is too small to meet them\n' : '';
  const hashLegend = compact ? '\nhash compaction: each state was kept as a 64-bit hash, so a "no violation" is probabilistic; omission <= is the bound, about states^2/2^65, on the chance that some state was wrongly taken as visited (docs/explorer.md); a violation is certain (the core replayed it)\n' : '';
  const porLegend = rows.some((r) => reducesByPor(r.reduce)) ? '\nreduced by the partial-order reduction (--reduce por): with mmu_lock held, a guest access is offered only after a step visible to its 2M frame; verdicts, depths and goals are the unreduced search\'s (docs/explorer.md)\n' : '';
  const reduceLegend = rows.some((r) => reducesBySymmetry(r.reduce)) ? '\nreduced by the symmetry over the region\'s pages (--reduce symmetry): the states are one of each class of interchangeable pages once logging is on and no split is left; verdicts, depths and goals are the unreduced search\'s (docs/explorer.md)\n' : '';
  return [line(head), ...body.map(line)].join('\n') + '\n' + legend + hashLegend + reduceLegend + porLegend;
}

// ---- the review view

/** An explorer result as the review view shows it (the fields of ExploreMessage it computes). */
export interface ExploreView {
  standing: ExploreStanding;
  /** The badge. */
  status: string;
  lines: string[];
  /** The preconditions not reached, as sentences. */
  unreached: string[];
  /** How to reach them, or "" when none is missing. */
  unreachedHint: string;
}

/** How the search ran, as the host saw it: the seconds it waited, and where the search ran ("a worker thread"). */
export interface ExploreRun {
  seconds: number;
  where: string;
}

const count = (n: number): string => n.toLocaleString('en-US');

export function exploreView(r: ExploreResult, run: ExploreRun, t: Translate = english): ExploreView {
  const standing = exploreStanding(r);
  const missing = missedGoals(r);
  const n = missing.length;
  const status = {
    'violation': t('violation'),
    'incomplete': t('incomplete'),
    'clean-not-all-reached': t('no violation within the bound · {0} not reached', n),
    'clean-all-reached': t('no violation within the bound'),
  }[standing];
  const headline = {
    'violation': t('Violation: a shortest counterexample of {0} transitions.', r.depth),
    'incomplete': t('Incomplete: {0}.', r.stopped ?? ''),
    'clean-not-all-reached': n === 1
      ? t('No violation within the bound, but the bound is too small to reach 1 hazard precondition (below): the hazards that need it cannot happen within it, whatever the variant does.')
      : t('No violation within the bound, but the bound is too small to reach {0} hazard preconditions (below): the hazards that need them cannot happen within it, whatever the variant does.', n),
    'clean-all-reached': t('No violation within the bound, and the search reached every hazard precondition it looks for. The result still holds only within the bound.'),
  }[standing];
  const { ops, accesses } = r.bound;
  return {
    standing,
    status,
    lines: [
      headline,
      ...(r.violation ? [violationText(r.violation)] : []),
      t('{0} states, {1} transitions, depth {2}, {3} s in {4}.', count(r.states), count(r.transitions), r.depth, run.seconds.toFixed(1), run.where),
    ],
    unreached: missing.map((g) => g.text),
    unreachedHint: n ? unreachedHint(ops, accesses, t) : '',
  };
}

function unreachedHint(ops: number, accesses: number, t: Translate): string {
  const opsText = ops === 1 ? t('1 KVM operation') : t('{0} KVM operations', ops);
  const accessesText = accesses === 1 ? t('1 guest access') : t('{0} guest accesses', accesses);
  return t('A larger bound may reach them: this one allows {0} and {1}; Explore Variant… with the default bound, or kvm-mmu-lab explore --ops and --accesses.', opsText, accessesText);
}
