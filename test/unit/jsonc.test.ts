/**
 * One reader of scenario text, its nesting guard on its own tokens. The guard used to scan the
 * text apart from the JSON-with-comments parser and disagreed with it on where a comment or a
 * string ends: a line comment ended by a lone CR, or a string cut by a newline, hid the brackets
 * after it from the guard while the recursive parser read them, and overflowed the stack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, ScenarioError } from '../../src/scenario/parse';
import { parseJsonc, JsoncError, MAX_NESTING, valueOf } from '../../src/scenario/jsonc';
import { withEntries } from '../../src/session/session';

function refusal(text: string): string {
  try {
    parseScenario(text, 'deep.json');
  } catch (e) {
    assert.ok(e instanceof ScenarioError, `expected a ScenarioError, got ${(e as Error).name}: ${(e as Error).message}`);
    return e.message;
  }
  assert.fail('accepted');
}

test('nesting hidden behind a comment ended by CR, or a string cut by a newline, is refused where it passes the guard', () => {
  // `//x` then CR: the comment ends at the CR (line 2 starts after it); 65 brackets open from column 1.
  assert.match(refusal('//x\r' + '['.repeat(100_000)), /^deep\.json:2:65: brackets nest deeper than 64 levels here/);
  assert.match(refusal('//x\r\n' + '{"a":'.repeat(100_000)), /^deep\.json:2:\d+: brackets nest deeper than 64/);
  // A string cut by a newline is an error of its own, at the newline (line 1, column 4).
  assert.match(refusal('["a\n' + '['.repeat(100_000)), /^deep\.json:1:4: invalid JSON: expected the closing quote of the string/);
  assert.match(refusal('/* x */' + '['.repeat(100_000)), /brackets nest deeper than 64 levels here/);
});

test('the guard is exactly at MAX_NESTING: 64 levels read, 65 refused', () => {
  assert.equal(MAX_NESTING, 64);
  assert.doesNotThrow(() => parseJsonc('['.repeat(64) + ']'.repeat(64)));
  assert.throws(() => parseJsonc('['.repeat(65) + ']'.repeat(65)), (e: unknown) => e instanceof JsoncError && e.tooDeep && e.offset === 64);
});

test('the editor\'s setting is written with the same reader: deep text is left for the parser to refuse', () => {
  // withEntries() once parsed with a recursive parser before any guard: a stack overflow in the extension host.
  const deep = '//\r' + '['.repeat(200_000);
  assert.equal(withEntries(deep, 8), deep);
  assert.equal(withEntries('{"name": "x"}', 8), '{"entries": 8, "name": "x"}');
  assert.equal(withEntries('{}', 4), '{"entries": 4}');
});

test('comments, trailing commas, CRLF and escapes read as JSON with comments does; lines count LF, CRLF and CR', () => {
  const v = valueOf(parseJsonc('{\r\n // c\r "a": [1, 2,], /* b */ "b": "x\\u2028\\n\\"",\n "__proto__": 1,}'));
  assert.equal(JSON.stringify(v), '{"a":[1,2],"b":"x\u2028\\n\\"","__proto__":1}');
  assert.equal(Object.getPrototypeOf(v), Object.prototype, 'a "__proto__" key is an own key, not the prototype');
  assert.match(refusal('{\r"name":\r01}'), /^deep\.json:3:1: invalid JSON: expected a number/);
  assert.match(refusal('{"a": 1 "b": 2}'), /^deep\.json:1:9: invalid JSON: expected a comma or a closing brace/);
  assert.match(refusal('{"a": "\u0001"}'), /^deep\.json:1:8: invalid JSON: expected a character escaped/);
  assert.match(refusal('{"a": 1} x'), /^deep\.json:1:10: invalid JSON: expected the end of the file/);
  assert.match(refusal('{"a": /* open'), /^deep\.json:1:7: invalid JSON: expected the end of the comment/);
});
