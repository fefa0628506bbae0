/** The scenarios that ship with the tool, parsed from their JSON files like any user's scenario. */
import common1g from './builtin/common-1g.scenario.json';
import reusedLeaf from './builtin/reused-leaf.scenario.json';
import reusedPartial from './builtin/reused-partial.scenario.json';
import uafUnexpectedGfn from './builtin/uaf-unexpected-gfn.scenario.json';
import uafUnexpectedRole from './builtin/uaf-unexpected-role.scenario.json';
import trappedWriteSafe from './builtin/trapped-write-safe.scenario.json';
import { parseScenario } from './parse';
import type { Scenario } from './types';

/** A Map, not an object: a name from the command line must not find `constructor` or `__proto__`. */
const SOURCES = new Map<string, unknown>([
  ['common-1g', common1g],
  ['reused-partial', reusedPartial],
  ['reused-leaf', reusedLeaf],
  // The two 2026 use-after-free reports, as their commit messages give the flows (docs/scenarios-2026.md).
  ['uaf-unexpected-gfn', uafUnexpectedGfn],
  ['uaf-unexpected-role', uafUnexpectedRole],
  // A guest's own store to a shadowed table, trapped and emulated (docs/kernel-guest-tables.md).
  ['trapped-write-safe', trappedWriteSafe],
]);

export const BUILTIN_SCENARIOS = [...SOURCES.keys()];

/** The JSON text of a built-in scenario, as a user would save it. */
export function builtinScenarioText(name: string): string | undefined {
  const src = SOURCES.get(name);
  return src === undefined ? undefined : JSON.stringify(src, null, 2) + '\n';
}

export function builtinScenario(name: string): Scenario | undefined {
  const text = builtinScenarioText(name);
  return text === undefined ? undefined : parseScenario(text, `builtin:${name}`);
}
