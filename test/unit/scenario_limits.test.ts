/**
 * Numbers the loops cannot reach: every number of a scenario is bounded by what it indexes when it
 * is read, and a range is checked against its memslot before any gfn of it is listed. Before this,
 * a clear whose first gfn was near 2^53 looped forever at g++ (2^53 + 1 is 2^53 in a double) until
 * V8 aborted the process ("invalid size"), and a clear of a whole 2^18-page memslot ran
 * Math.max(...gfns) into a RangeError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, ScenarioError } from '../../src/scenario/parse';
import { runScenario } from '../../src/run/run';
import { findPreset } from '../../src/kernel/variants';

/** One memslot of 64 pages at gfn 0x40000, one root mapping it with a 4K page, and the operations given. */
function scenarioText(ops: unknown[], memslot: Record<string, unknown> = {}): string {
  return JSON.stringify({
    name: 'limits',
    memslots: [{ id: 0, baseGfn: '0x40000', pages: 64, hostPfn: '0x440000', ...memslot }],
    roots: [{ name: 'A', guestTableGfn: '0xff000', mappings: [{ l2: '0x0', gfn: '0x40000', size: '4K' }] }],
    operations: [{ op: 'enable-dirty-logging', slot: 0, manualProtect: true }, ...ops],
  }, null, 2);
}

function refusal(text: string): string {
  try {
    parseScenario(text, 'limits.json');
  } catch (e) {
    assert.ok(e instanceof ScenarioError, `expected a ScenarioError, got ${e}`);
    return e.message;
  }
  assert.fail('the scenario was accepted');
}

/** The line and column of the first occurrence of `needle` in `text`, 1-based, as an editor counts. */
function where(text: string, needle: string): string {
  const at = text.indexOf(needle);
  const before = text.slice(0, at).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

test('a clear whose first gfn is near 2^53 is refused where "first" is, before any loop', () => {
  const text = scenarioText([{ op: 'clear-dirty-log', slot: 0, first: 2 ** 53 - 64, pages: 100 }]);
  const m = refusal(text);
  // The value of "first" is where the reader points: the number after `"first": `.
  assert.match(m, new RegExp(`^limits\\.json:${where(text, String(2 ** 53 - 64))}: \\$\\.operations\\[1\\]\\.first: expected a number from 0 to ${2 ** 40 - 1} \\(gfns are below 2\\^40`));
});

test('numbers at 2^31, 2^32, 2^53 and around them, negative and fractional: refused with their place, in every numeric field', () => {
  const values = [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -1, -(2 ** 31), 0.5, 1e300, '0x20000000000000', '0x1' + '0'.repeat(20)];
  const fields: Array<(v: unknown) => string> = [
    (v) => scenarioText([{ op: 'clear-dirty-log', slot: 0, first: v, pages: 64 }]),
    (v) => scenarioText([{ op: 'clear-dirty-log', slot: 0, first: '0x40000', pages: v }]),
    (v) => scenarioText([{ op: 'clear-dirty-log', slot: v, first: '0x40000', pages: 64 }]),
    (v) => scenarioText([{ op: 'invalidate', gfn: v, pages: 1 }]),
    (v) => scenarioText([{ op: 'invalidate', gfn: '0x40000', pages: v }]),
    (v) => scenarioText([{ op: 'access', vcpu: v, root: 'A', addr: 0, kind: 'read' }]),
    (v) => scenarioText([{ op: 'access', vcpu: 0, root: 'A', addr: v, kind: 'read' }]),
    (v) => scenarioText([], { pages: v }),
    (v) => scenarioText([], { hostPfn: v }),
  ];
  let tried = 0;
  for (const f of fields) for (const v of values) {
    tried++;
    // Each of these values is past what its field indexes (a 64-page memslot, 64 vCPUs at most,
    // gfns below 2^40, host pfns below 2^31, 32,764 slots), or not a whole number: all refused.
    assert.match(refusal(f(v)), /^limits\.json:\d+:\d+: \$\.\S+: /, `value ${v}`);
  }
  assert.equal(tried, fields.length * values.length);
});

test('a clear claiming more pages than its memslot holds is refused with the kernel\'s reason', () => {
  const text = scenarioText([{ op: 'clear-dirty-log', slot: 0, first: '0x40000', pages: 2 ** 26 }]);
  assert.match(refusal(text), /\$\.operations\[1\]\.pages: KVM_CLEAR_DIRTY_LOG would fail with -EINVAL: the bitmap \[0x40000, 0x4040000\) runs past the end of memslot 0/);
  // One page more than 2^26 is past what any memslot of the model holds, refused as it is read.
  assert.match(refusal(scenarioText([{ op: 'clear-dirty-log', slot: 0, first: '0x40000', pages: 2 ** 26 + 1 }])), /pages: expected a number from 1 to 67108864 \(a range is at most a memslot/);
});

test('a clear of a whole 2^18-page memslot runs (it once hit a RangeError from Math.max(...gfns))', () => {
  const s = parseScenario(scenarioText([{ op: 'clear-dirty-log', slot: 0, first: '0x40000', pages: 2 ** 18 }], { pages: 2 ** 18 }), 'limits.json');
  // 2^18 gfns from 0x40000 ascending, none excepted.
  const op = s.operations[1];
  assert.ok(op.op === 'clear-dirty-log');
  assert.equal(op.gfns.length, 2 ** 18);
  assert.equal(op.gfns[op.gfns.length - 1], 0x40000 + 2 ** 18 - 1);
  const t = runScenario(s, { variant: findPreset('v7')!, checks: { keepSteps: false } });
  // Logging enabled without initiallySet leaves the bitmap clear: the clear finds no dirty bit and the run passes.
  assert.equal(t.verdict, 'pass');
});
