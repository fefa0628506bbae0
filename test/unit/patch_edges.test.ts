/**
 * Patch edge cases that are ordinary input, not internal errors: a --tree whose mmu.c is shorter
 * than a hunk's range, and a quoted-printable body whose emoji (four UTF-8 bytes) is split across
 * =XX escapes and soft line breaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePatchInput } from '../../src/patch/parse';
import { classify } from '../../src/patch/classify';
import { applyFileDiff, checkFile } from '../../src/patch/apply';

const fixture = (f: string) => readFileSync(join(__dirname, '..', 'fixtures', 'patch', f), 'utf8');

test('a tree file shorter than the hunk\'s range: each hunk is "not in the file", no TypeError', async () => {
  const parsed = parsePatchInput(fixture('role-fix.patch'), 'role-fix.patch');
  const f = parsed.patches[0].files.find((x) => x.path.endsWith('mmu.c'))!;
  // One line of C: every hunk's old lines start past it. Compared whitespace-insensitively (as for
  // a tree that is not the pre-image), jsdiff read line 2 onwards as undefined and threw.
  for (const text of ['static int x;\n', '', '\n\n']) {
    const r = applyFileDiff(f, text, { whitespaceInsensitive: true });
    assert.equal(r.result, undefined);
    assert.equal(r.hunks.length, f.hunks.length);
    for (const h of r.hunks) assert.match(h.message ?? '', /not in the file/);
    const c = await checkFile(f, text);
    assert.equal(c.verdict, 'neither');
  }
});

test('a quoted-printable body with an emoji split at every byte boundary reads as the emoji, or U+FFFD, never an error', () => {
  const base = fixture('role-fix.patch');
  const cut = base.indexOf('\n\n');
  const headers = base.slice(0, cut) + '\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable';
  const body = base.slice(cut + 2).replace(/=/g, '=3D');
  const emoji = '=F0=9F=98=80'; // U+1F600 in UTF-8: F0 9F 98 80
  let tried = 0;
  for (let at = 0; at <= emoji.length; at++) {
    // A soft line break ("=" at the end of a line) anywhere in the escapes, even inside one.
    const split = emoji.slice(0, at) + '=\n' + emoji.slice(at);
    const parsed = parsePatchInput(`${headers}\n\n${split} in the log\n${body}`, 'qp.patch');
    tried++;
    assert.ok(parsed.patches.length === 1, `at ${at}: ${JSON.stringify(parsed.diagnostics)}`);
    // Split between escapes the bytes join again into the emoji; inside an escape ("=F" "0") the
    // escape is broken, and the bytes that are left decode with U+FFFD.
    if (at % 3 === 0) assert.match(parsed.patches[0].message ?? JSON.stringify(parsed.patches[0]), /\u{1F600}/u);
    assert.doesNotThrow(() => classify(parsed.patches));
  }
  assert.equal(tried, emoji.length + 1);
});
