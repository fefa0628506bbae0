/**
 * Hostile command lines and inputs that are ordinary mistakes: each is refused with exit 2 and a
 * line saying what was wrong, never an internal error (exit 4), a stack trace or a quiet success.
 * Most cases call main() in-process; the ones about the process itself (a signal, a closed pipe)
 * spawn the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../cli/main';
import { EXIT_USAGE } from '../../cli/exit';
import { functionAbsence, functionAliases } from '../../src/source/names';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** main() in-process with stdout and stderr captured apart. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => { out += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'kvm-mmu-lab-hostile-'));

/** Names every object inherits from Object.prototype: none of them is a variant, policy or scenario. */
const INHERITED = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

test('inherited keys: a policy named toString or __proto__ is an unknown policy (exit 2), not an internal error', async () => {
  for (const name of INHERITED) {
    for (const spec of [`v7+${name}=x`, `${name}=x`, `v7+splitFlush=never,${name}=always`]) {
      const r = await run(['check', 'reused-leaf', '--variant', spec]);
      assert.equal(r.code, EXIT_USAGE, `${spec}: ${r.err}`);
      assert.match(r.err, new RegExp(`^kvm-mmu-lab: unknown policy '${name}' in variant`), spec);
    }
    // As a preset name: unknown variant.
    const r = await run(['check', 'reused-leaf', '--variant', name]);
    assert.equal(r.code, EXIT_USAGE, name);
    assert.match(r.err, /unknown variant/);
  }
  // The explorer reads the same specs.
  const e = await run(['explore', '--quiet', '--variant', 'v7+toString=x']);
  assert.equal(e.code, EXIT_USAGE, e.err);
  assert.match(e.err, /unknown policy 'toString'/);
});

test('inherited keys: show, run, check and compare of `constructor` find no built-in scenario (exit 2)', async () => {
  for (const name of INHERITED) {
    // `show constructor` printed "undefined" and `show __proto__` printed "{}", both with exit 0.
    const s = await run(['show', name]);
    assert.equal(s.code, EXIT_USAGE, `show ${name}: ${s.out}`);
    assert.equal(s.out, '');
    assert.match(s.err, new RegExp(`no built-in scenario '${name}'`));
    for (const cmd of ['run', 'check', 'compare']) {
      const r = await run([cmd, name]);
      assert.equal(r.code, EXIT_USAGE, `${cmd} ${name}`);
      // Not "builtin:toString:1:1: invalid JSON": there is no such built-in, and no such file.
      assert.match(r.err, new RegExp(`no built-in scenario or file named '${name}'`), `${cmd} ${name}: ${r.err}`);
    }
  }
});

test('inherited keys: a scenario whose variant or expect names toString says which policy is unknown', async () => {
  const file = join(scratch, 'inherited.json');
  const scenario = JSON.parse((await run(['show', 'reused-leaf'])).out);
  writeFileSync(file, JSON.stringify({ ...scenario, variant: 'v7+toString=x' }, null, 2));
  const r = await run(['check', file]);
  assert.equal(r.code, EXIT_USAGE);
  assert.match(r.err, /\$\.variant: .*unknown policy 'toString'/);
  writeFileSync(file, JSON.stringify({ ...scenario, expect: { constructor: 'pass' } }, null, 2));
  const x = await run(['check', file]);
  assert.equal(x.code, EXIT_USAGE);
  assert.match(x.err, /\$\.expect\.constructor: .*unknown variant 'constructor'/);
});

test('inherited keys: function names from patches and trees (constructor, toString) have no aliases and no absence note', () => {
  for (const name of INHERITED) {
    assert.deepEqual(functionAliases(name), [], name);
    assert.equal(functionAbsence(name), undefined, name);
  }
  // Own keys still answer.
  assert.ok(functionAliases('drop_large_spte').some((a) => a.name === '__drop_large_spte'));
});

test('a variant spec: each override is one policy=value pair', async () => {
  for (const spec of ['v7+splitFlush', 'v7+splitFlush=never=x', 'splitFlush==never']) {
    const r = await run(['check', 'reused-leaf', '--variant', spec]);
    assert.equal(r.code, EXIT_USAGE, spec);
    assert.match(r.err, /is not one policy=value pair/, spec);
  }
});
