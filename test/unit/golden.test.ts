/**
 * Golden traces: the full text of each built-in scenario under each preset, checked in under
 * test/golden/ and reviewed like code. A change to the model that changes a trace shows up as a
 * readable diff. Regenerate with UPDATE_GOLDEN=1 npm run test:unit, then read the diff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_SCENARIOS } from '../../src/scenario/builtins';
import { traceText } from '../../src/view/trace_text';
import { PRESETS } from '../../src/kernel/variants';
import { run } from './helpers';

const dir = join(__dirname, '..', 'golden');

for (const name of BUILTIN_SCENARIOS) {
  for (const preset of PRESETS) {
    test(`golden trace: ${name} under ${preset.name}`, () => {
      const file = join(dir, `${name}.${preset.name}.txt`);
      const text = traceText(run(name, preset.name));
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
      assert.ok(existsSync(file), `missing golden file ${file}; run UPDATE_GOLDEN=1 npm run test:unit and review it`);
      assert.equal(text, readFileSync(file, 'utf8'), `trace of ${name} under ${preset.name} differs from ${file}`);
    });
  }
}
