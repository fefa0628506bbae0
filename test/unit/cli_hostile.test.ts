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
import { terminalSafe } from '../../src/view/terminal_text';
import { chmodSync, existsSync, mkdtempSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..', '..');
/** The CLI as a process (from source, through tsx, as test/unit/cli.test.ts runs it). */
const CLI = ['--import', 'tsx', join(root, 'cli', 'main.ts')];

/**
 * The CLI bundled as scripts/lib/bundles.mjs bundles it, into a scratch folder (dist/ is left
 * alone): `explore --variant all` starts worker threads on its own file, which must be JavaScript.
 */
async function bundledCli(): Promise<string> {
  const outfile = join(scratch, 'cli.js');
  if (!existsSync(outfile)) await build({ entryPoints: [join(root, 'cli', 'main.ts')], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', mainFields: ['module', 'main'], logLevel: 'silent' });
  return outfile;
}

/** Spawn the CLI; `stdout` may be a file descriptor. Resolves with the exit status (or signal) and stderr. */
function spawnCli(args: string[], opts: { stdout?: number | 'pipe'; onSpawn?: (c: ReturnType<typeof spawn>) => void; bundle?: string } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.bundle ? [opts.bundle] : CLI), ...args], { cwd: root, stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
    opts.onSpawn?.(child);
  });
}

/** main() in-process with stdout and stderr captured apart. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  // Strings are the CLI's; the test runner's own reports (binary, under --test) pass through.
  process.stdout.write = ((s: string | Uint8Array, ...rest: never[]) => { if (typeof s !== 'string') return o(s, ...rest); out += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array, ...rest: never[]) => { if (typeof s !== 'string') return e(s, ...rest); err += s; return true; }) as typeof process.stderr.write;
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

/** No Node stack trace and no "internal error": the failure is the user's, in one line. */
function plainRefusal(r: { code: number | null; err: string }, what: string): void {
  assert.equal(r.code, EXIT_USAGE, `${what}: ${r.err}`);
  assert.doesNotMatch(r.err, /internal error|\n\s+at /, what);
  assert.equal(r.err.trim().split('\n').length, 1, `${what}: one line`);
}

test('ordinary failures: -o into a missing folder, onto a folder, onto a full disk: exit 2 naming the file and the reason', async (t) => {
  const missing = await run(['run', 'reused-leaf', '-o', join(scratch, 'no-such-folder', 'trace.txt')]);
  plainRefusal(missing, 'missing folder');
  assert.match(missing.err, /-o .*trace\.txt: cannot write it: the folder .*no-such-folder does not exist \(ENOENT\); expected a file name in an existing folder/);
  const folder = await run(['run', 'reused-leaf', '-o', scratch]);
  plainRefusal(folder, 'folder');
  assert.match(folder.err, /cannot write it: it is a folder \(EISDIR\)/);
  // The explorer's counterexample file goes the same way (never-flush has one at the default bound).
  const explore = await run(['explore', '--quiet', '--variant', 'never-flush', '--ops', '3', '-o', join(scratch, 'no-such-folder', 'c.json')]);
  plainRefusal(explore, 'explore -o');
  if (!existsSync('/dev/full')) { t.diagnostic('no /dev/full on this system: the full-disk case is not tried'); return; }
  const full = await run(['run', 'reused-leaf', '-o', '/dev/full']);
  plainRefusal(full, '/dev/full');
  assert.match(full.err, /-o \/dev\/full: cannot write it: no space left on the device \(ENOSPC\); expected room on the device/);
});

test('ordinary failures: run X.json -o X.json refuses and leaves the scenario as it was', async () => {
  const file = join(scratch, 'self.json');
  const text = (await run(['show', 'reused-leaf'])).out;
  writeFileSync(file, text);
  const r = await run(['run', file, '-o', file]);
  plainRefusal(r, 'self');
  assert.match(r.err, /that is the input file .*self\.json; expected another file for the output/);
  assert.equal(readFileSync(file, 'utf8'), text, 'the scenario is unchanged');
});

test('ordinary failures: a file that cannot be read, or a folder, given as the input: exit 2 naming it', async (t) => {
  for (const cmd of [['check'], ['run'], ['patch']]) {
    const r = await run([...cmd, scratch]);
    plainRefusal(r, `${cmd[0]} folder`);
    assert.match(r.err, /a folder; expected a (scenario|patch) file/);
  }
  // A read that fails after stat said "a regular file": /proc/self/mem reads as EIO, root or not.
  if (existsSync('/proc/self/mem')) {
    for (const cmd of ['check', 'patch']) {
      const r = await run([cmd, '/proc/self/mem']);
      plainRefusal(r, `${cmd} /proc/self/mem`);
      assert.match(r.err, /\/proc\/self\/mem: cannot read it: an input\/output error \(EIO\)/);
    }
  } else t.diagnostic('no /proc/self/mem: the read-error case is not tried');
  // Permission denied: root reads a mode-000 file anyway, so only a non-root user can see EACCES.
  if (process.getuid?.() === 0) { t.diagnostic('running as root, which may read a mode-000 file: the EACCES case is skipped'); return; }
  const locked = join(scratch, 'locked.json');
  writeFileSync(locked, '{}');
  chmodSync(locked, 0);
  const r = await run(['check', locked]);
  plainRefusal(r, 'EACCES');
  assert.match(r.err, /locked\.json: cannot read it: permission denied \(EACCES\)/);
});

test('ordinary failures: stdout on a full disk is exit 2 with the reason; a closed pipe exits quietly with the verdict', async (t) => {
  if (existsSync('/dev/full')) {
    const fd = openSync('/dev/full', 'w');
    try {
      const r = await spawnCli(['run', 'reused-leaf'], { stdout: fd });
      plainRefusal(r, 'stdout /dev/full');
      assert.match(r.err, /cannot write the output to stdout: no space left on the device \(ENOSPC\)/);
    } finally {
      closeSync(fd);
    }
  } else t.diagnostic('no /dev/full: the full-stdout case is not tried');
  // The reader has gone before the CLI writes (`| head -1` that already exited): the trace of a
  // passing run is exit 0, a violating one 1, and nothing on stderr.
  for (const [variant, status] of [['v7', 0], ['never-flush', 1]] as const) {
    const r = await spawnCli(['run', 'reused-partial', '--full', '--variant', variant], { onSpawn: (c) => c.stdout!.destroy() });
    assert.equal(r.code, status, `${variant}: ${r.err}`);
    assert.equal(r.err, '', 'quiet');
  }
});

test('cancel means cancelled: SIGINT on explore --variant all stops the workers, exits 130 and says so', async () => {
  // A bound large enough that no preset finishes before the first progress line (a second in).
  const r = await spawnCli(['explore', '--variant', 'all', '--ops', '8', '--accesses', '3', '--json'], {
    bundle: await bundledCli(),
    onSpawn: (c) => {
      let sent = false;
      c.stderr!.on('data', (d: Buffer) => {
        if (!sent && /^explore /m.test(d.toString())) { sent = true; c.kill('SIGINT'); }
      });
    },
  });
  assert.equal(r.code, 130, r.err);
  assert.match(r.err, /kvm-mmu-lab: explore cancelled \(SIGINT\)/);
  // Every preset has its row, none null; those the cancel cut short say so.
  const rows = JSON.parse(r.out) as Array<{ variant: string; verdict: string; stopped?: string } | null>;
  assert.equal(rows.length, 8);
  for (const row of rows) {
    assert.ok(row, 'no null row');
    assert.notEqual(row.verdict, 'pass', `${row.variant}: a cancelled search is no pass`);
  }
  assert.ok(rows.some((row) => row!.stopped === 'cancelled'));
});

test('cancel means cancelled: SIGINT on one explore exits 130, not 3 (a cap) or 0', async () => {
  const r = await spawnCli(['explore', '--variant', 'v7', '--ops', '8', '--accesses', '3'], {
    onSpawn: (c) => {
      let sent = false;
      c.stderr!.on('data', (d: Buffer) => { if (!sent && /^explore /m.test(d.toString())) { sent = true; c.kill('SIGINT'); } });
    },
  });
  assert.equal(r.code, 130, r.err);
  assert.match(r.err, /explore cancelled \(SIGINT\)/);
});

/** ANSI (CSI), OSC (a hyperlink, a window title), a CR, a C1 CSI and a right-to-left override. */
const HOSTILE = '\x1b[2J\x1b]8;;https://example.invalid/\x07link\x1b]8;;\x07\x1b]0;title\x07\rover\x9b31m\u202eevil';
/** No character a terminal acts on, but newlines and tabs. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/;

test('terminal escapes: a scenario name and title with ANSI/OSC sequences are printed escaped by run, check and compare', async () => {
  assert.equal(terminalSafe(HOSTILE), '\\x1b[2J\\x1b]8;;https://example.invalid/\\x07link\\x1b]8;;\\x07\\x1b]0;title\\x07\\rover\\x9b31m\\u{202e}evil');
  assert.equal(terminalSafe('a\tb\nc\\x1b'), 'a\tb\nc\\x1b', 'layout and backslashes stay');
  const file = join(scratch, 'escapes.json');
  const scenario = JSON.parse((await run(['show', 'reused-leaf'])).out);
  writeFileSync(file, JSON.stringify({ ...scenario, name: HOSTILE, title: HOSTILE }, null, 2));
  for (const cmd of ['run', 'check', 'compare']) {
    const r = await run([cmd, file]);
    assert.ok(r.code === 0 || r.code === 1, `${cmd}: ${r.err}`);
    assert.doesNotMatch(r.out, RAW, cmd);
    assert.match(r.out, /\\x1b\[2J\\x1b\]8;;/, `${cmd}: the escapes are shown`);
  }
  // -o writes the same text.
  const out = join(scratch, 'escapes.txt');
  assert.equal((await run(['run', file, '-o', out])).code, 0);
  assert.doesNotMatch(readFileSync(out, 'utf8'), RAW);
  // JSON stays JSON: the name reads back as it was.
  const j = await run(['check', file, '--json']);
  assert.ok(!j.out.includes('\x1b'));
  assert.equal(JSON.parse(j.out).scenario, HOSTILE);
});

test('terminal escapes: a patch Subject, a file name in an error and a typed option are printed escaped', async () => {
  const mail = join(scratch, 'escapes.patch');
  writeFileSync(mail, [
    'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001',
    'From: A \x1b[31mRed\x1b[0m <a@example.invalid>',
    'Date: Mon, 1 Jun 2026 00:00:00 +0000',
    `Subject: [PATCH] KVM: x86/mmu: ${HOSTILE}`,
    '',
    'Body.',
    '',
    'diff --git a/README b/README',
    '--- a/README',
    '+++ b/README',
    '@@ -1 +1 @@',
    '-a',
    '+b',
    '',
  ].join('\n'));
  const p = await run(['patch', mail]);
  assert.doesNotMatch(p.out + p.err, RAW);
  assert.match(p.out, /KVM: x86\/mmu: \\x1b\[2J/);
  const name = join(scratch, 'no\x1b]0;pwned\x07such.json');
  const e = await run(['check', name]);
  assert.equal(e.code, EXIT_USAGE);
  assert.doesNotMatch(e.err, RAW);
  assert.match(e.err, /no\\x1b\]0;pwned\\x07such\.json/);
  // commander's own message quotes the option as typed.
  const opt = await run(['run', 'reused-leaf', '--\x1b]0;pwned\x07']);
  assert.equal(opt.code, EXIT_USAGE);
  assert.doesNotMatch(opt.err, RAW);
  assert.match(opt.err, /unknown option '--\\x1b\]0;pwned\\x07'/);
});

/** The one JSON error shape (cli/exit.ts JsonError): nothing but `error`, its code from the list, a message. */
function jsonErrorOf(r: { code: number; out: string; err: string }, what: string): { code: string; message: string; file?: string; line?: number; column?: number } {
  assert.equal(r.err, '', `${what}: nothing on stderr`);
  const j = JSON.parse(r.out) as { error?: { code: string; message: string } };
  assert.ok(j.error, `${what}: an error object`);
  assert.ok(['usage', 'scenario', 'scenario-run', 'variant', 'bound', 'patch', 'internal'].includes(j.error.code), what);
  assert.equal(typeof j.error.message, 'string');
  return j.error;
}

test('--json errors: every command prints one JSON error object on stdout, with the exit status it has without --json', async () => {
  const bad = join(scratch, 'bad.json');
  writeFileSync(bad, '{\n  "name": "x",\n  "entries": 3,\n');
  const cases: Array<{ argv: string[]; code: string; file?: string; line?: number }> = [
    { argv: ['check', 'nope', '--json'], code: 'usage', file: 'nope' },
    { argv: ['run', 'reused-leaf', '--variant', 'v8', '--json'], code: 'variant' },
    { argv: ['compare', bad, '--json'], code: 'scenario', file: bad, line: 4 },
    { argv: ['run', 'reused-leaf', '--json', '-o', join(scratch, 'missing', 'x.json')], code: 'usage', file: join(scratch, 'missing', 'x.json') },
    { argv: ['explore', '--ops', '99', '--json'], code: 'usage' },
    { argv: ['explore', '--entries', '3', '--json'], code: 'usage' },
    { argv: ['scenarios', '--json', '--bogus'], code: 'usage' },
    { argv: ['variants', '--json', 'extra'], code: 'usage' },
    { argv: ['patch', join(scratch, 'none.patch'), '--json'], code: 'usage', file: join(scratch, 'none.patch') },
  ];
  for (const c of cases) {
    const r = await run(c.argv);
    const what = c.argv.join(' ');
    assert.equal(r.code, EXIT_USAGE, what);
    const e = jsonErrorOf(r, what);
    assert.equal(e.code, c.code, what);
    if (c.file) assert.equal(e.file, c.file, what);
    if (c.line) assert.equal(e.line, c.line, what);
    // The same words as without --json.
    const text = await run(c.argv.filter((a) => a !== '--json'));
    assert.equal(text.code, EXIT_USAGE);
    if (!what.startsWith('explore --entries') && !what.includes('--bogus') && !what.includes('extra')) assert.ok(text.err.includes(e.message.split('\n')[0]), `${what}: ${text.err}`);
  }
  // patch: its report, and the error beside it when the patch is bad input.
  const mail = join(scratch, 'truncated.diff');
  writeFileSync(mail, 'diff --git a/arch/x86/kvm/mmu/mmu.c b/arch/x86/kvm/mmu/mmu.c\n--- a/arch/x86/kvm/mmu/mmu.c\n+++ b/arch/x86/kvm/mmu/mmu.c\n@@ -10,3 +10,5 @@\n \tint a;\n');
  const p = await run(['patch', mail, '--json']);
  assert.equal(p.code, EXIT_USAGE);
  const pj = JSON.parse(p.out) as { error: { code: string; file: string; line: number }; exitCode: number };
  assert.equal(pj.error.code, 'patch');
  assert.equal(pj.error.file, mail);
  assert.equal(pj.exitCode, 2);
  // --help and --version are not errors.
  assert.doesNotMatch((await run(['--version', '--json'])).out, /"error"/);
});
