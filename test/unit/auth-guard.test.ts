// The failed-authentication guard on its own, in front of the bearer middleware (no HTTP server): what it counts,
// when it answers 429, and that a valid token always passes. Requests and responses are the fields it reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FailedAuthThrottle, failedAuthGuard, invalidToken, type Auth } from '../../src/server/auth.ts';
import { recordingLog } from './auth-helpers.ts';

const valid = 'v'.repeat(32);

function guard(free = 1) {
  let now = 0;
  const throttle = new FailedAuthThrottle({ free, baseMs: 10_000, now: () => now });
  const verified: string[] = [];
  const auth = {
    async verifyAccessToken(token: string) {
      verified.push(token);
      if (token !== valid) throw invalidToken('Invalid bearer token');
      return { token, clientId: 'c', scopes: [] };
    },
  } as unknown as Auth;
  const { log, lines } = recordingLog();
  const run = failedAuthGuard(auth, throttle, log);
  /** One request through the guard; `status` is what the bearer middleware would answer after it. */
  const request = async (authorization: string | undefined, status = 401, address = '203.0.113.9') => {
    const res = Object.assign(new EventEmitter(), {
      statusCode: 200, headers: {} as Record<string, string>, body: undefined as string | undefined,
      setHeader(name: string, value: string) { this.headers[name] = value; },
      end(body: string) { this.body = body; },
    });
    const passed = await new Promise<boolean>((resolve) => {
      run({ socket: { remoteAddress: address }, headers: authorization === undefined ? {} : { authorization } } as unknown as IncomingMessage,
        res as unknown as ServerResponse, () => resolve(true));
      if (res.body !== undefined || res.statusCode === 429) resolve(false);
      setImmediate(() => setImmediate(() => resolve(res.statusCode !== 429 && res.body === undefined)));
    });
    if (passed) {
      res.statusCode = status;
      res.emit('finish');
    }
    return { passed, res };
  };
  return { throttle, verified, lines, request, tick: (ms: number) => { now += ms; } };
}

test('a request without a bearer token passes and is not counted: it is a client starting its OAuth flow', async () => {
  const g = guard();
  for (const authorization of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'xBearer tok']) {
    assert.equal((await g.request(authorization)).passed, true, String(authorization));
  }
  assert.equal(g.throttle.size, 0, 'nothing was guessed');
});

test('a 401 for a presented token is counted against the address; any other answer is not', async () => {
  const g = guard(5);
  await g.request(`Bearer ${valid}`, 200);
  assert.equal(g.throttle.size, 0);
  await g.request('bearer   wrong-token  ', 401);
  assert.equal(g.throttle.size, 1, 'the scheme in any case, spaces around the token');
  assert.equal(g.verified.length, 0, 'while the address need not wait, the bearer middleware verifies, not the guard');
});

test('while the address waits, a token that does not verify gets 429 with Retry-After; a valid one passes', async () => {
  const g = guard(1);
  await g.request('Bearer wrong-token-1');
  const refused = await g.request('Bearer wrong-token-2 ');
  assert.equal(refused.passed, false);
  assert.equal(refused.res.statusCode, 429);
  assert.equal(refused.res.headers['Retry-After'], '10');
  assert.equal(refused.res.headers['Content-Type'], 'application/json');
  assert.deepEqual(JSON.parse(refused.res.body!), { error: 'too_many_requests', error_description: 'Too many failed authentications from this address: retry after 10 seconds' });
  assert.deepEqual(g.verified, ['wrong-token-2'], 'the token as presented, without the scheme or the trailing space');
  assert.deepEqual(g.lines, [{ level: 'warn', fields: { address: '203.0.113.9', retryAfterSeconds: 10 },
    message: 'repeated failed authentication from one address: backing off' }], 'the address and its wait, never the token');
  assert.equal(g.throttle.waitSeconds('203.0.113.9'), 20, 'the refused attempt counts too: the wait doubles');
  const ok = await g.request(`Bearer ${valid}`, 200);
  assert.equal(ok.passed, true, 'a valid token always passes');
  assert.equal((await g.request('Bearer wrong', 401, '198.51.100.1')).passed, true, 'another address is not held back');
});
