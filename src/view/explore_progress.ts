/**
 * A running search's progress line (src/explore/progress.ts), the one wording for every front end:
 * the CLI prints it on stderr after `explore VARIANT: ` (English), the workbench puts it in the
 * Explore Variant… notification (through vscode.l10n.t, which the extension passes as `t`).
 */
import type { Progress } from '../explore/progress';
import { english, type Translate } from './translate';

const count = (n: number): string => n.toLocaleString('en-US');
const mib = (bytes: number): string => `${count(Math.round(bytes / 2 ** 20))} MiB`;

/**
 * The share of the cap in whole percent, rounded down: a search stops when it goes over the cap,
 * so "100%" never shows on a search still running.
 */
export function capPercent(bytes: number, cap: number): number {
  return Math.floor((100 * bytes) / cap);
}

/** States, depth, the rate (last interval, then the whole search's), memory against its cap, seconds. */
export function exploreProgressText(p: Progress, t: Translate = english): string {
  const head = [String(p.depth), count(p.states), count(p.recentStatesPerSecond), count(p.statesPerSecond)] as const;
  const seconds = p.seconds.toFixed(1);
  return p.maxMemoryBytes
    ? t('depth {0}, {1} states, {2} states/s (average {3}), {4} of the {5} memory cap ({6}%), {7} s', ...head, mib(p.memoryBytes), mib(p.maxMemoryBytes), capPercent(p.memoryBytes, p.maxMemoryBytes), seconds)
    : t('depth {0}, {1} states, {2} states/s (average {3}), {4} (no memory cap), {5} s', ...head, mib(p.memoryBytes), seconds);
}
