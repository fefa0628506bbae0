/** pre-patch and if-reused flush in the split: no violation within the tests' bound. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explore } from '../../src/explore/search';
import { findPreset } from '../../src/kernel/variants';
import { TEST_BOUND } from './explorer.helpers';

for (const name of ['pre-patch', 'if-reused']) {
  test(`${name}: no violation within the bound`, () => {
    const r = explore({ variant: findPreset(name)!, bound: TEST_BOUND });
    assert.equal(r.verdict, 'no violation within the bound');
  });
}

test('a state cap stops the search with a reason instead of running on', () => {
  const r = explore({ variant: findPreset('v7')!, bound: TEST_BOUND, maxStates: 500 });
  assert.equal(r.verdict, 'incomplete');
  assert.match(r.stopped!, /state cap/);
});
