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
import { SCENARIO_CHECKS } from '../../src/scenario/checks';
import { POLICY_VALUES, PRESETS } from '../../src/kernel/variants';
import { BAD_CASES, BASE as CASE_BASE } from './scenario_cases';

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

// What the parser refuses beyond the field forms: the schema says it too where JSON Schema can (a
// bound, a pattern, a field that is not there), and accepts it where it cannot (anything across
// fields: overlaps, references, order). docs/scenarios.md names the second kind.
for (const c of BAD_CASES) {
  test(`${c.schema ? 'schema and parser both refuse' : 'only the parser refuses (beyond the schema)'}: ${c.what}`, () => {
    const s = structuredClone(CASE_BASE);
    c.breakIt(s);
    assert.equal(validate(s), !c.schema, c.schema ? 'the schema accepted it' : `the schema refused it, so it is not beyond the schema: ${JSON.stringify(validate.errors)}`);
    assert.throws(() => parseScenario(JSON.stringify(s, null, 2), 'broken.json'), c.expect);
  });
}

test('the schema\'s variant pattern is the variants the tool knows', () => {
  // A preset, a preset with +overrides, or policy=value pairs, joined by "+" or ",", as parseVariant() reads them.
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pair = `(?:${Object.entries(POLICY_VALUES).map(([k, vs]) => `${k}=(?:${(vs as readonly string[]).map(esc).join('|')})`).join('|')})`;
  const expected = `^(?:(?:${PRESETS.map((p) => esc(p.name)).join('|')})(?:\\+${pair}(?:[+,]${pair})*)?|${pair}(?:[+,]${pair})*)$`;
  assert.equal((schema as { definitions: { variant: { pattern: string } } }).definitions.variant.pattern, expected);
  const re = new RegExp(expected);
  for (const ok of ['v7', 'v6.3', 'v7+splitFlush=never', 'splitFlush=reused,linkPresent=drop-large']) assert.match(ok, re);
  for (const bad of ['v8', 'v6x3', 'v7+splitFlush=sometimes', 'v7+']) assert.doesNotMatch(bad, re);
});

test('docs/scenarios.md names every check beyond the schema, and each refusal above is one of them', () => {
  const docs = readFileSync(join(__dirname, '../../docs/scenarios.md'), 'utf8');
  for (const c of SCENARIO_CHECKS) assert.ok(docs.includes(`\`${c.name}\``), `docs/scenarios.md does not name ${c.name}`);
  const names = new Set(SCENARIO_CHECKS.map((c) => c.name));
  for (const c of BAD_CASES) assert.ok(c.by === 'reader' || names.has(c.by), `${c.what}: ${c.by} is not a check`);
});
