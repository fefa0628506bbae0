/**
 * The workbench's Explore view (extension/explore_view.ts) in words: each search of the window as
 * one row. A running one shows the progress line every front end shares (./explore_progress.ts);
 * a finished one its verdict: the violation's kind and the counterexample's length, "no violation
 * within the bound", incomplete and why, or cancelled. Pure: the extension passes vscode.l10n.t as
 * `t` and turns the icon's name into a ThemeIcon. docs/explorer.md (Progress) says what is shown.
 */
import type { Progress } from '../explore/progress';
import type { ViolationKind } from '../model/step';
import { exploreProgressText } from './explore_progress';
import { english, type Translate } from './translate';

/** How a search ended, as the view tells it (explore_text.ts's searchEnd() makes it from a result). */
export type SearchEnd =
  | {
    kind: 'violation';
    violation: ViolationKind;
    /** Transitions of the shortest counterexample (the result's depth). */
    depth: number;
    /** The counterexample scenario file's URI, and its path as the reader sees it, when it was written. */
    counterexample?: { uri: string; path: string };
  }
  | { kind: 'clean'; /** Hazard preconditions the bound did not reach (explore_text.ts's missedGoals). */ notReached: number }
  | { kind: 'incomplete'; reason: string }
  | { kind: 'cancelled' };

/** One search of the window: what it searches, its last progress, and how it ended once it has. */
export interface SearchEntry {
  readonly id: number;
  readonly variant: string;
  readonly engine: 'packed' | 'core';
  /** The bound as describeBound() says it. */
  readonly bound: string;
  /** The last progress the search reported; undefined before its first. */
  progress?: Progress;
  end?: SearchEnd;
  /** Seconds from the start to the end as the host's clock saw them (the wait, not only the search's own slices), once ended. */
  seconds?: number;
}

/** What a row shows: the state names the menus' `viewItem` and the icon. */
export type SearchState = 'running' | 'violation' | 'clean' | 'clean-not-all-reached' | 'incomplete' | 'cancelled';

export interface SearchRow {
  label: string;
  description: string;
  tooltip: string;
  state: SearchState;
  /** A codicon's name. */
  icon: string;
  /** The counterexample a click opens, when the search wrote one. */
  counterexample?: { uri: string; path: string };
}

const ICONS: Record<SearchState, string> = {
  'running': 'loading~spin',
  'violation': 'error',
  'clean': 'pass',
  'clean-not-all-reached': 'warning',
  'incomplete': 'warning',
  'cancelled': 'circle-slash',
};

const count = (n: number): string => n.toLocaleString('en-US');

/** A violation's kind in the checks' words, not its identifier (docs/model.md names each check). */
export function violationKindText(kind: ViolationKind, t: Translate = english): string {
  switch (kind) {
    case 'stale-tlb': return t('stale TLB entry');
    case 'lost-dirty-page': return t('lost dirty page');
    case 'use-after-free': return t('use after free');
    case 'structure': return t('broken structure');
    case 'data-corruption': return t('data corruption');
    case 'sp-use-after-free': return t('shadow page used after free');
    case 'rmap-disagreement': return t('rmap disagreement');
  }
}

function stateOf(e: SearchEntry): SearchState {
  const end = e.end;
  if (!end) return 'running';
  if (end.kind === 'clean') return end.notReached ? 'clean-not-all-reached' : 'clean';
  return end.kind;
}

/** The verdict in a few words; the seconds are added by the caller. */
function endText(e: SearchEntry, end: SearchEnd, t: Translate): string {
  switch (end.kind) {
    case 'violation': return t('violation: {0}, a counterexample of {1} transitions', violationKindText(end.violation, t), end.depth);
    case 'clean':
      if (!end.notReached) return t('no violation within the bound');
      return end.notReached === 1
        ? t('no violation within the bound; 1 hazard precondition not reached')
        : t('no violation within the bound; {0} hazard preconditions not reached', end.notReached);
    case 'incomplete': return t('incomplete: {0}', end.reason);
    // The last progress says how far it got: the cancelled result of a worker carries no counts.
    case 'cancelled': return e.progress ? t('cancelled at depth {0}, after {1} states', e.progress.depth, count(e.progress.states)) : t('cancelled');
  }
}

/** The row of one search. */
export function searchRow(e: SearchEntry, t: Translate = english): SearchRow {
  const state = stateOf(e);
  const label = e.engine === 'packed' ? t('{0}, packed engine', e.variant) : t('{0}, core engine', e.variant);
  const bound = t('Bound: {0}', e.bound);
  if (!e.end) {
    const description = e.progress ? exploreProgressText(e.progress, t) : t('starting…');
    return { label, description, tooltip: [label, bound, description].join('\n'), state, icon: ICONS[state] };
  }
  const description = e.seconds === undefined ? endText(e, e.end, t) : t('{0}; {1} s', endText(e, e.end, t), e.seconds.toFixed(1));
  const counterexample = e.end.kind === 'violation' ? e.end.counterexample : undefined;
  const lines = [label, bound, description, ...(counterexample ? [t('Counterexample: {0} (click to open it)', counterexample.path)] : [])];
  return { label, description, tooltip: lines.join('\n'), state, icon: ICONS[state], ...(counterexample ? { counterexample } : {}) };
}
