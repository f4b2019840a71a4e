import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InFlightLimiter } from '../../src/policy/limits.ts';

test('a principal holds at most its cap of calls in flight; a release frees one slot, once', () => {
  const limiter = new InFlightLimiter({ principal: 2, session: 5 });
  const a = limiter.admit('alice');
  const b = limiter.admit('alice');
  assert.ok('release' in a && 'release' in b);
  assert.deepEqual(limiter.admit('alice'), { refused: 'principal', limit: 2 });
  assert.ok('release' in limiter.admit('bob'), 'another principal has its own cap');
  a.release();
  a.release(); // idempotent: the second release frees nothing more
  assert.equal(limiter.inFlight('alice'), 1);
  assert.ok('release' in limiter.admit('alice'));
  assert.deepEqual(limiter.admit('alice'), { refused: 'principal', limit: 2 });
});

test('a session has its own, smaller cap inside its principal\'s', () => {
  const limiter = new InFlightLimiter({ principal: 3, session: 1 });
  const first = limiter.admit('alice', 's1');
  assert.ok('release' in first);
  assert.deepEqual(limiter.admit('alice', 's1'), { refused: 'session', limit: 1 });
  assert.ok('release' in limiter.admit('alice', 's2'));
  assert.ok('release' in limiter.admit('alice'));
  assert.deepEqual(limiter.admit('alice', 's3'), { refused: 'principal', limit: 3 }, 'the principal\'s cap counts every session');
  first.release();
  assert.ok('release' in limiter.admit('alice', 's1'));
});
