/**
 * One definition of a scenario file (src/scenario/shape.ts): the committed JSON Schema is the one
 * generated from it, the reader refuses a field the shape does not have and reads every field it
 * has, and every shipped scenario fits it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { parse as parseJsonc } from 'jsonc-parser';
import { scenarioSchemaText, SCHEMA_FILE } from '../../scripts/scenario-schema';
import { GUEST_PTE, GUEST_TABLE, MAPPING, MEMSLOT, OPERATIONS, ROOT, SCENARIO, SCENARIO_FIELDS, fieldsOf } from '../../src/scenario/shape';
import { parseScenario } from '../../src/scenario/parse';

test('scenario.schema.json is the one generated from src/scenario/shape.ts (run `npm run schema` after a change)', () => {
  assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), scenarioSchemaText());
});

const dirs = [join(__dirname, '../../src/scenario/builtin'), join(__dirname, '../fixtures')];
const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.scenario.json')).map((f) => join(d, f)));

test('every built-in and fixture scenario fits the shape', () => {
  assert.ok(files.length >= 3, 'no scenarios found');
  for (const f of files) {
    const result = v.safeParse(SCENARIO, parseJsonc(readFileSync(f, 'utf8')));
    assert.ok(result.success, `${f}: ${JSON.stringify(result.issues?.[0]?.path?.map((p) => p.key))} ${result.issues?.[0]?.message}`);
  }
});

/** A guest-table write; its table does not matter here: an unknown field is reported before the checks across fields run. */
const GTW = { op: 'guest-table-write', by: 'vmm', table: 0, index: 0, entry: { kind: 'none' } };

const base = JSON.parse(readFileSync(join(__dirname, '../../src/scenario/builtin/reused-partial.scenario.json'), 'utf8'));

// For each object of the file, a field it cannot have is refused by the reader, naming the fields
// the shape lists, in the shape's order: the reader's list is the shape's.
const objects: Array<[string, (s: typeof base) => Record<string, unknown>, string[]]> = [
  ['$', (s) => s, SCENARIO_FIELDS],
  ['$.memslots[0]', (s) => s.memslots[0], fieldsOf(MEMSLOT)],
  ['$.roots[0]', (s) => s.roots[0], fieldsOf(ROOT)],
  ['$.roots[0].mappings[0]', (s) => s.roots[0].mappings[0], fieldsOf(MAPPING)],
  ['$.roots[0].guestTables[0]', (s) => { s.roots[0].guestTables = [{ level: 3, l2: 0, gfn: '0xff100' }]; return s.roots[0].guestTables[0]; }, fieldsOf(GUEST_TABLE)],
  // A guest access takes its pause ("walked") in the shape too.
  ['$.operations[0]', (s) => s.operations[0], fieldsOf(OPERATIONS.access)],
  ['$.operations[1]', (s) => s.operations[1], fieldsOf(OPERATIONS['enable-dirty-logging'])],
  // A guest-table write is read with a pause (checks.ts says why it is never reached), the schema has none.
  ['$.operations[2]', (s) => { s.operations.splice(2, 0, { ...GTW }); return s.operations[2]; }, ['op', 'id', 'pause', ...fieldsOf(OPERATIONS['guest-table-write']).slice(2)]],
  ['$.operations[2].entry', (s) => { s.operations.splice(2, 0, { ...GTW, entry: { ...GTW.entry } }); return s.operations[2].entry; }, fieldsOf(GUEST_PTE.pipe[0])],
];
for (const [path, at, fields] of objects) {
  test(`the reader's fields of ${path} are the shape's: ${fields.join(', ')}`, () => {
    const s = structuredClone(base);
    at(s).notAField = 1;
    assert.throws(() => parseScenario(JSON.stringify(s, null, 2), 'f.json'), (e: Error) => {
      assert.ok(e.message.includes(`${path}.notAField: unknown field; expected one of ${fields.join(', ')}`), e.message);
      return true;
    });
  });
}
