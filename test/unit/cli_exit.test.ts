/**
 * The CLI's exit statuses come from an error's class, never from its message text; its choices
 * are commander's (`Option.choices()`), so a bad value gets commander's message and exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError } from 'commander';
import { EXIT_INTERNAL, EXIT_PASS, EXIT_USAGE, failure, UsageError } from '../../cli/exit';
import { main } from '../../cli/main';
import { BoundError, makeScope } from '../../src/explore/scope';
import { parseVariant, VariantError } from '../../src/kernel/variants';
import { ScenarioError } from '../../src/scenario/parse';

test('an error is the user\'s mistake by its class: usage errors exit 2 with one line, anything else is internal (4)', () => {
  // The core throws classes for what the user got wrong: a variant spec, a bound the explorer has no scope for.
  assert.throws(() => parseVariant('v8'), VariantError);
  assert.throws(() => parseVariant('v7+splitFlush=sometimes'), VariantError);
  assert.throws(() => makeScope({ entries: 3, ops: 1, accesses: 0 }), BoundError);
  for (const e of [new UsageError('u'), new VariantError('v'), new BoundError('b'), new ScenarioError([{ file: 's.json', line: 1, column: 1, path: '', message: 'expected a scenario' }])]) {
    const f = failure(e);
    assert.equal(f.code, EXIT_USAGE, e.name);
    assert.equal(f.message, `kvm-mmu-lab: ${e.message}\n`, 'the message as it is');
  }
  // The same words in a plain Error are not a usage error: main() used to match "unknown variant"
  // in any message and so would have called this bug the user's mistake (exit 2).
  const bug = failure(new Error("unknown variant 'v7': expected one of ..."));
  assert.equal(bug.code, EXIT_INTERNAL);
  assert.match(bug.message, /^kvm-mmu-lab: internal error: unknown variant/);
  assert.equal(failure(new TypeError('x is undefined')).code, EXIT_INTERNAL);
  // A thrown non-Error is still reported, not rethrown.
  assert.match(failure('a string').message, /internal error: a string/);
  // commander has printed its own message; its help and version exit 0, the rest 2.
  assert.deepEqual(failure(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)')), { code: EXIT_PASS, message: '' });
  assert.deepEqual(failure(new CommanderError(1, 'commander.invalidArgument', 'bad')), { code: EXIT_USAGE, message: '' });
});

/** main() in-process with stdout and stderr captured. */
async function run(argv: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => { text += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { text += s; return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), text };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

test('explore --entries, --pages, --engine: commander refuses a value outside the choices, exit 2, naming them', async () => {
  // The explorer has scopes for 2, 4 and 8 entries a table only (src/explore/scope.ts makeScope).
  const entries = await run(['explore', '--entries', '3', '--quiet']);
  assert.equal(entries.code, EXIT_USAGE);
  assert.match(entries.text, /option '-e, --entries <n>' argument '3' is invalid\. Allowed choices are 2, 4, 8\./);
  const pages = await run(['explore', '--pages', 'some', '--quiet']);
  assert.equal(pages.code, EXIT_USAGE);
  assert.match(pages.text, /argument 'some' is invalid\. Allowed choices are few, all\./);
  const engine = await run(['explore', '--engine', 'fast', '--quiet']);
  assert.equal(engine.code, EXIT_USAGE);
  assert.match(engine.text, /argument 'fast' is invalid\. Allowed choices are packed, core\./);
  // The run-time checks that are not a choice list stay ours, and are usage errors by class.
  const kinds = await run(['explore', '--kinds', 'enable,teleport', '--quiet']);
  assert.equal(kinds.code, EXIT_USAGE);
  assert.match(kinds.text, /--kinds expects a comma-separated list of enable, clear, get, invalidate, or all; got 'teleport'/);
  for (const r of [entries, pages, engine, kinds]) assert.doesNotMatch(r.text, /\n\s+at /, 'no stack trace');
});

test('--flush-mode and --split-yield offer exactly the core\'s modes', async () => {
  const r = await run(['check', 'reused-partial', '--flush-mode', 'sideways']);
  assert.equal(r.code, EXIT_USAGE);
  assert.match(r.text, /Allowed choices are bare-metal, range\./);
  const y = await run(['check', 'reused-partial', '--split-yield', 'sometimes']);
  assert.equal(y.code, EXIT_USAGE);
  assert.match(y.text, /Allowed choices are cache, every, never\./);
  const p = await run(['patch', '/nonexistent.patch', '--flush-mode', 'sideways']);
  assert.equal(p.code, EXIT_USAGE);
  assert.match(p.text, /Allowed choices are bare-metal, range, both\./);
});
