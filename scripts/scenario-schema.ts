/**
 * Writes src/scenario/scenario.schema.json (the JSON Schema VS Code validates *.scenario.json with)
 * from the one definition of a scenario file, src/scenario/shape.ts: `npm run schema`.
 * test/unit/scenario_schema.test.ts holds the committed file to what this generates.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toJsonSchema } from '@valibot/to-json-schema';
import { DEFINITIONS, SCENARIO } from '../src/scenario/shape';

export const SCHEMA_FILE = join(__dirname, '../src/scenario/scenario.schema.json');

/** The schema's text, as committed. Draft-07 names its shared parts "definitions" (not 2019's "$defs"). */
export function scenarioSchemaText(): string {
  const generated = toJsonSchema(SCENARIO, { target: 'draft-07', definitions: DEFINITIONS, errorMode: 'throw' });
  const { $schema, $defs, title, description, ...rest } = generated;
  const schema = { $schema, $id: 'kvm-mmu-lab-scenario', title, description, ...rest, definitions: $defs };
  return JSON.stringify(schema, null, 2).replaceAll('"#/$defs/', '"#/definitions/') + '\n';
}

if (require.main === module) {
  writeFileSync(SCHEMA_FILE, scenarioSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}
