import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH, RateLimiter, corsHeaders, nestsDeeperThan, normalizeOrigin, originAllowed, take } from '../../src/server/guards.ts';

test('origins are compared as scheme://host[:port], case and default port aside', () => {
  assert.equal(normalizeOrigin('HTTPS://Agents.Example.com:443'), 'https://agents.example.com');
  assert.equal(normalizeOrigin('null'), undefined);
  assert.equal(normalizeOrigin('not a url'), undefined);
  const allowed = ['https://agents.example.com', 'http://localhost:6274'];
  assert.equal(originAllowed(undefined, allowed), true, 'no Origin: not a browser');
  assert.equal(originAllowed('https://agents.example.com', allowed), true);
  assert.equal(originAllowed('https://AGENTS.example.com:443', allowed), true);
  assert.equal(originAllowed('http://localhost:6274', allowed), true);
  for (const origin of ['https://agents.example.com:8443', 'http://agents.example.com', 'https://evil.example.com', 'null', 'http://localhost:6275']) {
    assert.equal(originAllowed(origin, allowed), false, origin);
  }
  assert.equal(originAllowed('https://agents.example.com', []), false, 'no list: every browser origin is refused');
});

test('CORS headers let a browser client send credentials and read the session id', () => {
  const headers = corsHeaders('https://agents.example.com');
  assert.equal(headers['Access-Control-Allow-Origin'], 'https://agents.example.com');
  assert.match(headers['Access-Control-Allow-Headers']!, /Authorization/);
  assert.match(headers['Access-Control-Expose-Headers']!, /Mcp-Session-Id/);
  assert.equal(headers['Vary'], 'Origin');
});

test('token bucket: a burst of perMinute, then one request per 60/perMinute seconds', () => {
  let bucket;
  let allowed = 0;
  for (let i = 0; i < 10; i += 1) {
    const r = take(bucket, 0, 6);
    bucket = r.bucket;
    if (r.allowed) allowed += 1;
    else assert.equal(r.retryAfterSeconds, 10);
  }
  assert.equal(allowed, 6);
  assert.equal(take(bucket, 9_999, 6).allowed, false);
  assert.equal(take(bucket, 10_000, 6).allowed, true);
});

test('the rate limiter keeps one budget per principal, forgets full buckets, and 0 turns it off', () => {
  let now = 0;
  const limiter = new RateLimiter(2, () => now);
  assert.deepEqual([limiter.check('a'), limiter.check('a'), limiter.check('a') > 0], [0, 0, true]);
  assert.equal(limiter.check('b'), 0);
  now = 120_000;
  limiter.prune();
  assert.equal(limiter.size, 0);
  const off = new RateLimiter(0);
  for (let i = 0; i < 100; i += 1) assert.equal(off.check('a'), 0);
});

test('nesting depth: counted without recursion, refused past the limit', () => {
  assert.equal(nestsDeeperThan({ a: [1, { b: 2 }] }, 3), false);
  assert.equal(nestsDeeperThan({ a: [1, { b: [] }] }, 3), true);
  assert.equal(nestsDeeperThan('text', 0), false);
  assert.equal(nestsDeeperThan([], 0), true);
  const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
  assert.equal(nestsDeeperThan(deep, MAX_JSON_DEPTH), true, 'a depth that would overflow a recursive walk');
});
