/** Bad scenario files get an error naming the file, the line and column, the JSON path and what was expected. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, ScenarioError } from '../../src/scenario/parse';
import { BUILTIN_SCENARIOS, builtinScenarioText } from '../../src/scenario/builtins';
import { BAD_CASES, BASE, GOOD_CASES } from './scenario_cases';

function problems(text: string): string[] {
  try {
    parseScenario(text, 'bad.json');
  } catch (e) {
    assert.ok(e instanceof ScenarioError, `expected a ScenarioError, got ${e}`);
    return e.message.split('\n');
  }
  assert.fail('the scenario was accepted');
}

const good = JSON.parse(builtinScenarioText('reused-partial')!);

test('every built-in scenario parses', () => {
  for (const n of BUILTIN_SCENARIOS) assert.equal(parseScenario(builtinScenarioText(n)!, n).name, n);
});

test('invalid JSON: line and column of the first error', () => {
  const p = problems('{\n  "name": "x",\n  "entries": 512,,\n}');
  assert.equal(p.length, 1);
  // Line 3 is `  "entries": 512,,`: the second comma is column 2 + 10 + 1 + 3 + 1 + 1 = 18.
  assert.match(p[0], /^bad\.json:3:18: invalid JSON: expected a property name/);
});

test('empty and binary files say what they are', () => {
  assert.match(problems('')[0], /empty file/);
  assert.match(problems('\u0000\u0001abc')[0], /binary file/);
});

test('a wrong field names its path and line, and all problems come at once', () => {
  const bad = structuredClone(good);
  bad.entries = 3;
  bad.operations[3].first = '0x40201';
  bad.operations[0].kind = 'jump';
  const text = JSON.stringify(bad, null, 2);
  const p = problems(text);
  const line = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  assert.ok(p.some((x) => x.startsWith(`bad.json:${line('"entries"')}:`) && x.includes('$.entries: expected a power of two')), p.join('\n'));
  assert.ok(p.some((x) => x.includes('$.operations[3].first: expected a multiple of 64 pages from the memslot\'s first page')), p.join('\n'));
  assert.ok(p.some((x) => x.includes('$.operations[0].kind: expected one of "read", "write", "exec", found "jump"')), p.join('\n'));
});

test('cross-references are checked: roots, vCPUs, resume targets', () => {
  const bad = structuredClone(good);
  bad.operations[0].root = 'C';
  bad.operations[2].vcpu = 7;
  bad.operations[6].target = 'nope';
  const p = problems(JSON.stringify(bad, null, 2));
  assert.ok(p.some((x) => x.includes('$.operations[0].root: expected one of the roots A, B, found "C"')), p.join('\n'));
  assert.ok(p.some((x) => x.includes('$.operations[2].vcpu: expected a vCPU index below 2')));
  assert.ok(p.some((x) => x.includes('$.operations[6].target: expected the id of an earlier operation')));
});

test('unknown fields are refused with the list of known ones', () => {
  const bad = structuredClone(good);
  bad.memslots[0].hostpagesize = '1G';
  assert.match(problems(JSON.stringify(bad)).join('\n'), /\$\.memslots\[0\]\.hostpagesize: unknown field; expected one of id, baseGfn, pages, hostPfn, hostPageSize/);
});

test('a misaligned guest huge page is refused', () => {
  const bad = structuredClone(good);
  bad.roots[0].mappings[0].gfn = '0x40200';
  assert.match(problems(JSON.stringify(bad)).join('\n'), /a 1G guest page must start on a multiple of 262144 pages/);
});

test('a standalone eager split is refused: the kernel has no entry point that splits outside a memslot ioctl', () => {
  // The old format had { "op": "eager-split" }, which the runner let run while enabling dirty
  // logging was paused inside KVM_SET_USER_MEMORY_REGION. Both hold slots_lock in the kernel
  // (every eager split comes from kvm_mmu_slot_apply_flags() or KVM_CLEAR_DIRTY_LOG), so the
  // file is refused, at the line of its "op", with the operations that do split.
  const bad = structuredClone(good);
  bad.operations.splice(1, 0, { op: 'eager-split', slot: 0, gfn: 0x40000, pages: 512 });
  const text = JSON.stringify(bad, null, 2);
  const line = text.split('\n').findIndex((l) => l.includes('"eager-split"')) + 1;
  const p = problems(text);
  assert.equal(p.length, 1, p.join('\n'));
  assert.match(p[0], new RegExp(`^bad\\.json:${line}:\\d+: \\$\\.operations\\[1\\]\\.op: "eager-split" is no longer an operation: .*slots_lock.*"enable-dirty-logging".*"clear-dirty-log"`));
});

/** Line and column of what a problem must point at: the value after `"key": ` in the needle, else the needle. */
function placeOf(text: string, needle: string, nth: number): { line: number; column: number } {
  let at = -1;
  for (let k = 0; k <= nth; k++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `the test's needle ${needle} (#${nth}) is not in the file`);
  }
  const value = needle.includes('": ') ? at + needle.indexOf('": ') + 3 : at;
  const line = text.slice(0, value).split('\n').length;
  return { line, column: value - text.lastIndexOf('\n', value - 1) };
}

// One test per thing the model cannot mean; each was accepted before these checks, except the
// ones marked "already" below (an expect value, which the reader refused already).
for (const c of BAD_CASES) {
  test(`refused with its reason and place: ${c.what}`, () => {
    const bad = structuredClone(BASE);
    c.breakIt(bad);
    const text = JSON.stringify(bad, null, 2);
    const p = problems(text);
    const hit = p.find((x) => c.expect.test(x));
    assert.ok(hit, `expected ${c.expect} among:\n${p.join('\n')}`);
    const { line, column } = placeOf(text, ...c.at);
    assert.ok(hit.startsWith(`bad.json:${line}:${column}: `), `expected at ${line}:${column}: ${hit}`);
  });
}

for (const c of GOOD_CASES) {
  test(`still accepted: ${c.what}`, () => {
    const ok = structuredClone(BASE);
    c.makeIt(ok);
    assert.doesNotThrow(() => parseScenario(JSON.stringify(ok, null, 2), 'ok.json'));
  });
}

test('the overlap of the issue: refused with the kernel\'s reason, not run into a false lost dirty page', () => {
  // Memslot 1 [0x40000, 0x80000) inside memslot 0 [0, 0x100000): before these checks the file ran,
  // the fault found memslot 0 (the first that holds the gfn) while dirty logging was on memslot 1,
  // and every preset, the safe ones included, reported a lost dirty page.
  const s = JSON.parse(builtinScenarioText('common-1g')!);
  s.memslots = [
    { id: 0, baseGfn: '0x0', pages: '0x100000', hostPfn: '0x400000', hostPageSize: '1G' },
    { id: 1, baseGfn: '0x40000', pages: '0x40000', hostPfn: '0x800000', hostPageSize: '1G' },
  ];
  for (const op of s.operations) if ('slot' in op) op.slot = 1;
  const p = problems(JSON.stringify(s, null, 2));
  assert.deepEqual(p.filter((x) => /-EEXIST/.test(x)).map((x) => x.replace(/^bad\.json:\d+:\d+: /, '')), [
    '$.memslots[1].baseGfn: KVM_SET_USER_MEMORY_REGION would fail with -EEXIST: memslot 1 [0x40000, 0x80000) overlaps memslot 0 [0x0, 0x100000); expected memslots whose gfn ranges do not meet',
  ]);
});

test('a duplicate key, at the top or deep inside, is refused at the second with the first\'s place', () => {
  const text = builtinScenarioText('reused-partial')!
    .replace('"name": "reused-partial",', '"name": "reused-partial",\n  "name": "other",')
    .replace('"pages": "0x40000",', '"pages": "0x40000", "pages": 1,');
  const p = problems(text);
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.includes('"name": "reused-partial"')) + 1;
  // The second "name" is on the next line, at column 3 (two spaces of indent).
  assert.ok(p.includes(`bad.json:${first + 1}:3: $.name: duplicate key "name": it is already at line ${first}, column 3, and JSON leaves which one counts to the reader; expected each key once`), p.join('\n'));
  const slotLine = lines.findIndex((l) => l.includes('"pages": 1,')) + 1;
  const firstPages = lines[slotLine - 1].indexOf('"pages"') + 1;
  const secondPages = lines[slotLine - 1].indexOf('"pages": 1') + 1;
  assert.ok(p.includes(`bad.json:${slotLine}:${secondPages}: $.memslots[0].pages: duplicate key "pages": it is already at line ${slotLine}, column ${firstPages}, and JSON leaves which one counts to the reader; expected each key once`), p.join('\n'));
});
