/** The seed (v7): no violation within the tests' bound, and a search that is exhaustive. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explore } from '../../src/explore/search';
import { findPreset } from '../../src/variants';
import { TEST_BOUND } from './explorer.helpers';

test('v7: no violation within the bound', () => {
  const r = explore({ variant: findPreset('v7')!, bound: TEST_BOUND });
  assert.equal(r.verdict, 'no violation within the bound');
  assert.ok(r.states > 1000 && r.transitions >= r.states - 1);
});
