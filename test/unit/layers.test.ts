/**
 * The layers of docs/architecture.md, as .dependency-cruiser.mjs checks them in `npm run lint`:
 * the rules catch an upward import, the project has none, and the document draws the same order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(__dirname, '..', '..');

interface Violation { rule: { name: string }; from: string; to: string }
interface CruiseResult { output: { summary: { violations: Violation[] } } }
type Cruise = (files: string[], options: object) => Promise<CruiseResult>;

async function load(): Promise<{ cruise: Cruise; LAYERS: string[]; forbiddenRules: (root?: string) => object[]; config: { options: object } }> {
  const { cruise } = (await import('dependency-cruiser')) as unknown as { cruise: Cruise };
  const mod = (await import(pathToFileURL(join(ROOT, '.dependency-cruiser.mjs')).href)) as { LAYERS: string[]; forbiddenRules: (root?: string) => object[]; default: { options: object } };
  return { cruise, LAYERS: mod.LAYERS, forbiddenRules: mod.forbiddenRules, config: mod.default };
}

async function violations(files: string[], rules: object[], options: object): Promise<string[]> {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const r = await (await load()).cruise(files, { ...options, validate: true, ruleSet: { forbidden: rules } });
    return r.output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
  } finally {
    process.chdir(cwd);
  }
}

test('an import from a lower layer up into a higher one fails the check, one downwards does not', async () => {
  // test/fixtures/layers/ is a tree of its own: src/kernel/pages.ts imports src/ops/split.ts, and
  // kernel/ comes before ops/ in LAYERS, so that one import breaks layer-kernel; ops/link.ts
  // imports kernel/ (downwards) and breaks nothing. The rules are the project's, rooted there.
  const { forbiddenRules, config } = await load();
  const found = await violations(['test/fixtures/layers/src'], forbiddenRules('test/fixtures/layers/'), config.options);
  assert.deepEqual(found, ['layer-kernel: test/fixtures/layers/src/kernel/pages.ts -> test/fixtures/layers/src/ops/split.ts']);
});

test('the project keeps its layers: no cycle, no upward import, the core free of Node and VS Code', async () => {
  const { forbiddenRules, config } = await load();
  assert.deepEqual(await violations(['src', 'cli', 'extension', 'media'], forbiddenRules(), config.options), []);
});

test('every folder of src/ is a layer, and docs/architecture.md names them in the order the check uses', async () => {
  const { LAYERS } = await load();
  const folders = readdirSync(join(ROOT, 'src')).filter((f) => statSync(join(ROOT, 'src', f)).isDirectory()).sort();
  assert.deepEqual(folders, [...LAYERS].sort(), 'a folder of src/ that is not in LAYERS, or a layer without a folder');
  const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
  // The table lists the layers top first, one row each: `| \`src/<layer>/\` | ... |`.
  const rows = [...doc.matchAll(/^\| `src\/([a-z]+)\/` \|/gm)].map((m) => m[1]);
  assert.deepEqual(rows, [...LAYERS].reverse(), 'docs/architecture.md lists the layers top first, in the order of .dependency-cruiser.mjs');
});
