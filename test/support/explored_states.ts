/**
 * The first `limit` distinct states a breadth-first search of the core engine meets (canonical keys
 * deduplicate, as the explorer does): real states for tests that check a property of every one.
 */
import { apply, candidateActions, rootNode, type Node } from '../../src/explore/model';
import { canonicalKey } from '../../src/explore/canon';
import { makeScope, type Bound } from '../../src/explore/scope';
import { findPreset } from '../../src/kernel/variants';

export function exploredStates(preset: string, bound: Bound, limit: number): Node[] {
  const scope = makeScope(bound);
  const variant = findPreset(preset)!;
  const out = [rootNode(scope)];
  const seen = new Set([canonicalKey(out[0])]);
  for (let i = 0; i < out.length && out.length < limit; i++) {
    for (const a of candidateActions(scope, out[i])) {
      const o = apply(scope, variant, out[i], a);
      if (!o) continue;
      const key = canonicalKey(o.node);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(o.node);
    }
  }
  return out;
}
