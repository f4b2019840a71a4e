import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InFlightLimiter } from '../../src/policy/limits.ts';

type Slot = { release: () => void };
const slot = (s: Slot | { refused: number }) => { assert.ok('release' in s, JSON.stringify(s)); return s; };

test('a principal runs at most its cap of calls at once; the others wait their turn, in order', async () => {
  const limiter = new InFlightLimiter({ principal: 2, session: 5, waiting: 10 });
  const a = slot(await limiter.acquire('alice'));
  slot(await limiter.acquire('alice'));
  let third = false;
  const waiting = limiter.acquire('alice').then((s) => { third = true; return slot(s); });
  await new Promise((r) => setImmediate(r));
  assert.equal(third, false, 'the third call waits');
  assert.equal(limiter.inFlight('alice'), 2);
  slot(await limiter.acquire('bob')); // another principal has its own cap
  a.release();
  a.release(); // idempotent: the second release frees nothing more
  await waiting;
  assert.equal(third, true);
  assert.equal(limiter.inFlight('alice'), 2);
});

test('too many waiting calls are refused at once; a session has its own, smaller cap', async () => {
  const limiter = new InFlightLimiter({ principal: 1, session: 1, waiting: 1 });
  const first = slot(await limiter.acquire('alice'));
  const queued = limiter.acquire('alice');
  assert.deepEqual(await limiter.acquire('alice'), { refused: 1 });
  first.release();
  slot(await queued).release();
  const sessions = new InFlightLimiter({ principal: 3, session: 1, waiting: 5 });
  const s1 = slot(await sessions.acquire('alice', 's1'));
  let second = false;
  const same = sessions.acquire('alice', 's1').then((s) => { second = true; return slot(s); });
  slot(await sessions.acquire('alice', 's2')); // another session of the same principal is not held up by it
  await new Promise((r) => setImmediate(r));
  assert.equal(second, false, 'the session\'s own cap holds its second call');
  s1.release();
  await same;
  assert.equal(second, true);
});
