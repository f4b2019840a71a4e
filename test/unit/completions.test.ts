import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matching, MAX_COMPLETIONS } from '../../src/policy/completions.ts';

test('completions: the values that start with what was typed, capped, saying when there are more', () => {
  assert.deepEqual(matching(['api-1', 'api-2', 'web-1'], 'api'), { values: ['api-1', 'api-2'], total: 2, hasMore: false });
  assert.deepEqual(matching(['api-1'], 'x'), { values: [], total: 0, hasMore: false });
  const many = Array.from({ length: MAX_COMPLETIONS + 5 }, (_, i) => `pod-${i}`);
  const capped = matching(many, 'pod-');
  assert.equal(capped.values.length, MAX_COMPLETIONS);
  assert.equal(capped.total, MAX_COMPLETIONS + 5);
  assert.equal(capped.hasMore, true);
});
