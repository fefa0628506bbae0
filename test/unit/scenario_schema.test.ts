/**
 * The JSON Schema (for editors: completion and squiggles) and the parser (for the tool: errors
 * with lines) must agree: every built-in and fixture scenario passes both, and a set of broken
 * ones fails both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import schema from '../../src/scenario/scenario.schema.json';
import { parseScenario } from '../../src/scenario/parse';

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

const files = [
  ...readdirSync(join(__dirname, '../../src/scenario/builtin')).map((f) => join(__dirname, '../../src/scenario/builtin', f)),
  ...readdirSync(join(__dirname, '../fixtures')).filter((f) => f.endsWith('.scenario.json')).map((f) => join(__dirname, '../fixtures', f)),
];

for (const f of files) {
  test(`schema and parser accept ${f.split('/').slice(-2).join('/')}`, () => {
    const text = readFileSync(f, 'utf8');
    assert.ok(validate(JSON.parse(text)), JSON.stringify(validate.errors));
    assert.doesNotThrow(() => parseScenario(text, f));
  });
}

const base = JSON.parse(readFileSync(files.find((f) => f.endsWith('reused-partial.scenario.json'))!, 'utf8'));
// Scenario files are loose JSON here on purpose: the point is to break them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const broken: Array<[string, (s: Loose) => void]> = [
  ['an unknown operation', (s) => { s.operations[0].op = 'zap-all'; }],
  ['a field of another operation', (s) => { s.operations[4].vcpu = 0; }],
  ['an unknown top-level field', (s) => { s.geometry = {}; }],
  ['a bad size', (s) => { s.roots[0].mappings[0].size = '3M'; }],
  ['a non-number page count', (s) => { s.memslots[0].pages = 'lots'; }],
  ['a bad pause', (s) => { s.operations[3].pause = 'later'; }],
  ['a missing name', (s) => { delete s.name; }],
];
for (const [what, breakIt] of broken) {
  test(`schema and parser both refuse ${what}`, () => {
    const s = structuredClone(base);
    breakIt(s);
    assert.equal(validate(s), false, 'schema accepted it');
    assert.throws(() => parseScenario(JSON.stringify(s, null, 2), 'broken.json'), /broken\.json:\d+:\d+/);
  });
}

test('VS Code validates *.scenario.json with this schema, and the package ships it', () => {
  const root = join(__dirname, '../..');
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entry = manifest.contributes.jsonValidation.find((j: { fileMatch: string }) => j.fileMatch === '*.scenario.json');
  assert.equal(entry?.url, './dist/scenario.schema.json');
  assert.match(readFileSync(join(root, '.vscodeignore'), 'utf8'), /^!dist\/scenario\.schema\.json$/m);
  assert.match(readFileSync(join(root, 'scripts/build.mjs'), 'utf8'), /copyFileSync\('src\/scenario\/scenario\.schema\.json', 'dist\/scenario\.schema\.json'\)/);
});
