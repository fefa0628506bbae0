/** Bad scenario files get an error naming the file, the line and column, the JSON path and what was expected. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, ScenarioError } from '../../src/scenario/parse';
import { BUILTIN_SCENARIOS, builtinScenarioText } from '../../src/scenario/builtins';

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
  assert.ok(p.some((x) => x.includes('$.operations[3].first: expected a multiple of 64')), p.join('\n'));
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
