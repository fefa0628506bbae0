/**
 * What the packed model (model.ts) assumes of its scope, checked where it is built. The packed
 * model is written for the scope makeScope() builds and reads almost nothing of it: the layout
 * gives every SP a fixed place (each root's one L3 SP, the region's L2 SP and its E L1 SPs), a
 * fault always installs a writable leaf, the host backs the region with one level-3 page, and the
 * initial state is all zeros. A scope that differs would be searched as if it were makeScope()'s,
 * with a clean verdict about a scope nobody asked for; it is refused instead, with the reason.
 */
import { explorerScopeProblems, makeScope, refuseScope, type Scope } from '../scope';

/** The first place where a and b differ, as a path ("memslots[0].hostLevel"), or null. */
function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (a === b) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return path;
  if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) return `${path}.length`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

/** Why the packed model cannot search this scope as it is (each reason), or none. */
export function packedScopeProblems(scope: Scope): string[] {
  const out = explorerScopeProblems(scope);
  const { flushMode, splitYield } = scope.scenario;
  if (flushMode !== 'bare-metal') {
    out.push(`the packed model has bare-metal flushes only (every flush empties every TLB, so neither a flush's range nor the variant's dropFlushRange is read), but this scope's flushMode is ${JSON.stringify(flushMode)} (the core engine runs it)`);
  }
  if (splitYield !== 'every') {
    out.push(`the packed split drops mmu_lock before every huge page (splitYield "every"; it has no split caches), but this scope's splitYield is ${JSON.stringify(splitYield)} (the core engine runs it)`);
  }
  const e = scope.bound.entries;
  const p = e * e;
  if (scope.region !== p || scope.regionPages !== p) {
    out.push(`the packed layout puts the region at gfn E^2 = ${p} with E^2 pages (one level-3 frame), but this scope has region ${scope.region} with ${scope.regionPages} pages`);
  }
  // The machine the scope starts from: geometry, memslot, roots, vCPUs, no operations. The names,
  // the text and the modes (checked above, with their own reasons) are not read.
  const want = makeScope(scope.bound).scenario;
  const shape = (s: Scope['scenario']) => ({ entries: s.entries, memslots: s.memslots, roots: s.roots, vcpus: s.vcpus, operations: s.operations });
  const diff = firstDifference(shape(scope.scenario), shape(want), 'scenario');
  if (diff) {
    out.push(`the packed layout has a fixed place for each SP of the scope makeScope() builds for E = ${e} (one memslot backed by level-3 host pages, roots A and B mapping the region with one writable level-3 guest leaf, 2 vCPUs, nothing run yet), but this scope's ${diff} differs from it`);
  }
  const inRegion = (g: number) => Number.isInteger(g) && g >= scope.region && g < scope.region + p;
  scope.menu.forEach((a, i) => {
    let why = '';
    switch (a.t) {
      case 'access':
        if (a.kind === 'exec') why = 'an exec access (the packed TLB entries keep no exec bit)';
        else if (a.vcpu !== 0 && a.vcpu !== 1) why = `vCPU ${a.vcpu} (there are 2)`;
        else if (a.root !== 'A' && a.root !== 'B') why = `root ${JSON.stringify(a.root)} (the roots are A and B)`;
        else if (!inRegion(a.addr)) why = `address ${a.addr} outside the region`;
        break;
      case 'clear':
        if (!a.gfns.length || !a.gfns.every(inRegion)) why = 'a clear of no page or of a page outside the region';
        break;
      case 'invalidate':
        if (!inRegion(a.gfn)) why = `an invalidation of gfn ${a.gfn}, outside the region`;
        break;
      case 'enable':
      case 'get':
        break;
      case 'delete-memslot':
        why = 'a memslot deletion (the packed layout has no shadow-page lifetime: the guest-tables scope runs on the core engine)';
        break;
      case 'guest-table-write':
        why = 'a guest-table write (the packed layout has no guest memory: the guest-tables scope runs on the core engine)';
        break;
      default: {
        const unknown: never = a;
        why = `an action the packed model does not know: ${JSON.stringify(unknown)}`;
      }
    }
    if (why) out.push(`menu[${i}] is ${why}: the packed model has no place for it`);
  });
  return out;
}

/** Throw, naming every reason, when the packed model cannot search `scope` as it is. */
export function assertPackedScope(scope: Scope): void {
  refuseScope(packedScopeProblems(scope));
}
