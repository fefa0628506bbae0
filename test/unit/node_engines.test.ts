/**
 * The README and package.json promise Node 20 (engines.node ">=20.19"); `npm ci` warns
 * (EBADENGINE) for every installed package whose own engines.node that Node does not satisfy.
 * So every package in the lock must accept the lowest Node we promise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
type Version = [number, number, number];

function parseVersion(s: string): { v: Version; parts: number } {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(s.trim());
  if (!m) throw new Error(`cannot read the version ${JSON.stringify(s)}`);
  const nums = [m[1], m[2], m[3]].filter((x) => x !== undefined && x !== 'x' && x !== '*').map(Number);
  return { v: [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0], parts: nums.length };
}

function cmp(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** One comparator of a semver range (the forms engines fields use: >=, >, <=, <, =, ^, ~, X, X.Y, *). */
function satisfiesComparator(v: Version, c: string): boolean {
  if (c === '*' || c === '') return true;
  const m = /^(>=|<=|>|<|=|\^|~)?\s*(.+)$/.exec(c)!;
  const op = m[1] ?? '';
  const { v: w, parts } = parseVersion(m[2]);
  switch (op) {
    case '>=': return cmp(v, w) >= 0;
    case '>': return cmp(v, w) > 0;
    case '<=': return cmp(v, w) <= 0;
    case '<': return cmp(v, w) < 0;
    case '^': return cmp(v, w) >= 0 && v[0] === w[0];
    case '~': return cmp(v, w) >= 0 && v[0] === w[0] && (parts < 2 || v[1] === w[1]);
    default:
      // "20" is 20.x.x, "14.17" is 14.17.x, "1.2.3" is exactly that.
      return v.slice(0, parts).every((x, i) => x === w[i]);
  }
}

/** A range: alternatives joined by "||", each a space-separated set of comparators ("14 >=14.17"). */
function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version).v;
  return range.split('||').some((alt) => {
    const comparators = alt.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/);
    return comparators.every((c) => satisfiesComparator(v, c));
  });
}

test('the range reader reads the forms the lock holds', () => {
  // Each expectation follows from the semver rules: ^ keeps the major, a bare major is X.x.x.
  assert.equal(satisfies('20.19.0', '>=20'), true);
  assert.equal(satisfies('20.19.0', '>= 22'), false);
  assert.equal(satisfies('20.19.0', '^18.18.0 || ^20.9.0 || >=21.1.0'), true);
  assert.equal(satisfies('20.19.0', '^20.19.0 || >=22.12.0'), true);
  assert.equal(satisfies('20.18.0', '^20.19.0 || >=22.12.0'), false);
  assert.equal(satisfies('20.19.0', '>=20.18.1'), true);
  assert.equal(satisfies('20.19.0', '16 || 14 >=14.17'), false);
  assert.equal(satisfies('14.18.0', '16 || 14 >=14.17'), true);
  assert.equal(satisfies('20.19.0', '18 || 20 || >=22'), true);
  assert.equal(satisfies('20.19.0', '>=0.6.11 <=0.7.0 || >=0.7.3'), true);
  assert.equal(satisfies('20.19.0', '*'), true);
});

test('the README, package.json and every locked package agree on Node 20', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  // The lowest Node the project promises: the bound of engines.node (">=20.19" -> 20.19.0).
  const m = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(pkg.engines.node);
  assert.ok(m, `engines.node is expected to be ">=X.Y", found ${pkg.engines.node}`);
  const lowest = m[1];
  assert.match(readme, new RegExp(`Node ${lowest.split('.')[0]}\\b`), 'the README names the same Node major as engines.node');
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const refusing = Object.entries(lock.packages as Record<string, { engines?: { node?: string }; version?: string }>)
    .filter(([name, p]) => name !== '' && p.engines?.node && !satisfies(lowest, p.engines.node))
    .map(([name, p]) => `${name.replace(/^.*node_modules\//, '')}@${p.version} wants node ${p.engines!.node}`);
  assert.deepEqual(refusing, [], `npm ci on Node ${lowest} would warn (EBADENGINE) for these`);
});
