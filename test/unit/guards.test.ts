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

test('CORS headers, exactly: the methods and headers MCP uses, preflight cached ten minutes', () => {
  assert.deepEqual(corsHeaders('http://localhost:6274'), {
    'Access-Control-Allow-Origin': 'http://localhost:6274',
    'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID, traceparent, tracestate',
    'Access-Control-Expose-Headers': 'Mcp-Session-Id, WWW-Authenticate',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  });
});

test('an allowed origin that is itself malformed allows nothing', () => {
  assert.equal(originAllowed('null', ['null']), false);
  assert.equal(originAllowed('not a url', ['not a url']), false);
  assert.equal(originAllowed('https://a.example.com', ['not a url', 'https://a.example.com/']), true, 'a path on the allowed entry is dropped');
  assert.equal(normalizeOrigin('http://Localhost:80/path?q'), 'http://localhost');
});

test('token bucket: refills at perMinute/60 s up to perMinute, a clock that goes back refills nothing, and says how long to wait', () => {
  const empty = { tokens: 0, updatedMs: 60_000 };
  assert.deepEqual(take(empty, 60_000, 60), { bucket: { tokens: 0, updatedMs: 60_000 }, allowed: false, retryAfterSeconds: 1 });
  assert.deepEqual(take(empty, 30_000, 60), { bucket: { tokens: 0, updatedMs: 30_000 }, allowed: false, retryAfterSeconds: 1 }, 'clock went back');
  assert.deepEqual(take(empty, 61_000, 60), { bucket: { tokens: 0, updatedMs: 61_000 }, allowed: true, retryAfterSeconds: 0 });
  assert.deepEqual(take({ tokens: 0.5, updatedMs: 0 }, 0, 1), { bucket: { tokens: 0.5, updatedMs: 0 }, allowed: false, retryAfterSeconds: 30 });
  assert.deepEqual(take({ tokens: 0, updatedMs: 0 }, 0, 1), { bucket: { tokens: 0, updatedMs: 0 }, allowed: false, retryAfterSeconds: 60 });
  assert.deepEqual(take({ tokens: 0, updatedMs: 0 }, 0, 600_000), { bucket: { tokens: 0, updatedMs: 0 }, allowed: false, retryAfterSeconds: 1 },
    'never less than a second');
  assert.deepEqual(take({ tokens: 2, updatedMs: 0 }, 10 * 60_000, 3), { bucket: { tokens: 2, updatedMs: 600_000 }, allowed: true, retryAfterSeconds: 0 },
    'refilled to perMinute, not beyond');
  assert.deepEqual(take(undefined, 5, 3), { bucket: { tokens: 2, updatedMs: 5 }, allowed: true, retryAfterSeconds: 0 }, 'a new principal starts full');
  assert.equal(take({ tokens: 1, updatedMs: 0 }, 0, 60).allowed, true, 'exactly one token left is enough');
});

test('the rate limiter says how long to wait, and prunes only buckets that have refilled', () => {
  let now = 0;
  const limiter = new RateLimiter(60, () => now);
  for (let i = 0; i < 60; i += 1) assert.equal(limiter.check('a'), 0);
  assert.equal(limiter.check('a'), 1);
  assert.equal(limiter.check('b'), 0);
  now = 1_000;
  limiter.prune();
  assert.equal(limiter.size, 1, 'b was one token short of full: forgotten; a is not');
  now = 59_000;
  limiter.prune();
  assert.equal(limiter.size, 1, 'a still refilling');
  now = 60_000;
  limiter.prune();
  assert.equal(limiter.size, 0);
});

test('past 10,000 principals the limiter forgets the full buckets on its own', () => {
  let now = 0;
  const limiter = new RateLimiter(5, () => now);
  for (let i = 0; i < 10_000; i += 1) limiter.check(`p${i}`);
  assert.equal(limiter.size, 10_000);
  now = 60_000;
  assert.equal(limiter.check('busy'), 0);
  assert.equal(limiter.size, 1, 'the 10,001st principal prunes every full bucket; its own has just been used');
});

test('an opaque origin (a file: page, a sandboxed frame) is no origin at all: two of them never match each other', () => {
  assert.equal(normalizeOrigin('file:///home/user/page.html'), undefined);
  assert.equal(originAllowed('file:///home/user/page.html', ['file:///srv/allowed.html']), false);
});

test('a limit of 0 keeps no bucket at all; past 10,000 principals the refilled buckets are forgotten, not before', () => {
  const off = new RateLimiter(0);
  off.check('a');
  off.check('b');
  assert.equal(off.size, 0, 'limiting off: nothing is remembered');
  let now = 0;
  const limiter = new RateLimiter(60, () => now);
  for (let i = 0; i < 9_999; i += 1) limiter.check(`p${i}`);
  now = 1_000; // each has refilled the one request it spent
  limiter.check('p9999');
  assert.equal(limiter.size, 10_000, '10,000 principals are kept, full buckets and all');
  limiter.check('one-more');
  assert.equal(limiter.size, 2, 'the 10,001st forgets every full bucket, and keeps the two just spent');
});
