import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CachedCredentials, IdentityLapsedError } from '../../src/aws/credentials.ts';
import { retryDelay, shouldRetry } from '../../src/kube/client.ts';
import { ConnectionError } from '../../src/kube/errors.ts';

test('reads are retried on connection errors, 429 and 5xx; writes only when the request never left', () => {
  assert.ok(shouldRetry(true, { status: 503 }));
  assert.ok(shouldRetry(true, { status: 429 }));
  assert.ok(!shouldRetry(true, { status: 404 }));
  assert.ok(!shouldRetry(true, { status: 403 }));
  assert.ok(!shouldRetry(false, { status: 503 }), 'a write that got 503 may have been applied');
  assert.ok(shouldRetry(true, new ConnectionError('reset', 'ECONNRESET', true)));
  assert.ok(!shouldRetry(false, new ConnectionError('reset', 'ECONNRESET', true)), 'a write whose connection broke may have landed');
  assert.ok(shouldRetry(false, new ConnectionError('refused', 'ECONNREFUSED', false)), 'a refused connection sent nothing');
});

test('backoff is full-jitter exponential, capped; Retry-After wins within the cap', () => {
  const policy = { baseDelayMs: 200, maxDelayMs: 5000, random: () => 1 };
  assert.deepEqual([0, 1, 2, 3, 10].map((a) => retryDelay(a, policy)), [200, 400, 800, 1600, 5000]);
  assert.equal(retryDelay(0, { ...policy, random: () => 0.5 }), 100);
  assert.equal(retryDelay(0, policy, '2'), 2000);
  assert.equal(retryDelay(0, policy, '3600'), 5000);
  assert.equal(retryDelay(1, policy, 'Wed, 21 Oct 2015 07:28:00 GMT'), 400, 'an HTTP-date is not honoured: backoff instead');
});

test('STS down: valid credentials keep serving, STS is asked again only after a pause, and lapse is reported clearly', async () => {
  let clock = new Date('2026-11-27T08:00:00Z');
  let stsUp = true;
  let calls = 0;
  const cached = new CachedCredentials(async () => {
    calls += 1;
    if (!stsUp) throw new Error('connect ECONNREFUSED 127.0.0.1:4566');
    return { accessKeyId: `K${calls}`, secretAccessKey: 's', expiration: new Date(clock.getTime() + 60 * 60_000) };
  }, () => clock);
  assert.equal((await cached.get()).accessKeyId, 'K1');
  stsUp = false;
  clock = new Date(clock.getTime() + 56 * 60_000); // inside the 5-minute refresh margin
  assert.equal((await cached.get()).accessKeyId, 'K1', 'refresh failed: the still-valid credentials serve');
  assert.equal(calls, 2);
  assert.equal((await cached.get()).accessKeyId, 'K1');
  assert.equal(calls, 2, 'no new attempt during the pause');
  clock = new Date(clock.getTime() + 1_500);
  await cached.get();
  assert.equal(calls, 3, 'asked again after the pause');
  clock = new Date(clock.getTime() + 5 * 60_000); // past expiry
  await assert.rejects(cached.get(), (e: Error) => e instanceof IdentityLapsedError && /identity has lapsed: connect ECONNREFUSED/.test(e.message));
  assert.equal(cached.status().valid, false);
  assert.match(cached.status().lastError ?? '', /ECONNREFUSED/);
  stsUp = true;
  clock = new Date(clock.getTime() + 60_000); // past the pause, which now holds in every state
  assert.match((await cached.get()).accessKeyId, /^K\d+$/, 'back as soon as the pause is over and STS answers');
  assert.equal(cached.status().valid, true);
});

test('once the credentials have lapsed, STS is asked only after the pause, however many calls come', async () => {
  let clock = new Date('2026-11-27T08:00:00Z');
  let stsUp = true;
  let calls = 0;
  const cached = new CachedCredentials(async () => {
    calls += 1;
    if (!stsUp) throw new Error('connect ECONNREFUSED 127.0.0.1:4566');
    return { accessKeyId: `K${calls}`, secretAccessKey: 's', expiration: new Date(clock.getTime() + 60 * 60_000) };
  }, () => clock);
  await cached.get();
  stsUp = false;
  clock = new Date(clock.getTime() + 61 * 60_000); // expired
  await assert.rejects(cached.get(), IdentityLapsedError);
  const afterFirst = calls;
  for (let i = 0; i < 20; i += 1) await assert.rejects(cached.get(), (e: Error) => e instanceof IdentityLapsedError && /asked again in \d+ s/.test(e.message));
  assert.equal(calls, afterFirst, 'no AssumeRole per call (or per /readyz) while lapsed');
  clock = new Date(clock.getTime() + 1_001);
  await assert.rejects(cached.get());
  assert.equal(calls, afterFirst + 1, 'one attempt once the pause is over');
  for (let i = 0; i < 5; i += 1) await assert.rejects(cached.get());
  assert.equal(calls, afterFirst + 1, 'the pause grows');
});

test('with no credentials ever obtained, the error says so (not "lapsed") and STS is not hammered either', async () => {
  const { CredentialsUnavailableError } = await import('../../src/aws/credentials.ts');
  let calls = 0;
  const cached = new CachedCredentials(async () => {
    calls += 1;
    throw new Error('Could not load credentials from any providers');
  }, () => new Date('2026-11-27T08:00:00Z'));
  for (let i = 0; i < 5; i += 1) {
    await assert.rejects(cached.get(), (e: Error) => e instanceof CredentialsUnavailableError && !/lapsed|retrying/.test(e.message) && /Could not load credentials/.test(e.message));
  }
  assert.equal(calls, 1);
});
