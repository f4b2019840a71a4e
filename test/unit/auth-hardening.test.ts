// Authentication's sharp edges, each first shown failing: token revocation, JWT gaps, the 401 throttle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import pino from 'pino';
import { FailedAuthThrottle, tokenFile, verifyJwt } from '../../src/server/auth.ts';

const good = 'g'.repeat(32);
const other = 'o'.repeat(32);

function capture() {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { log, lines };
}

test('once the token file changes, exactly what it now says is accepted; unparsable or empty means nobody', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokens-'));
  const path = join(dir, 'tokens');
  try {
    writeFileSync(path, `alice:${good}\n`);
    let now = 0;
    const { log, lines } = capture();
    const load = tokenFile(path, log, () => now);
    assert.deepEqual(load().map((t) => t.principal), ['static:alice']);
    const changes: Array<[string, string[]]> = [
      ['', []], // emptied
      [`# alice:${good}\n# every line commented out\n`, []],
      [`alice:${good}\nbob:Zq7tiny\n`, []], // one token under 16 characters: the file is invalid
      [`bob:${other}\n`, ['static:bob']],
      [`alice:${good}\n`, ['static:alice']],
    ];
    for (const [text, principals] of changes) {
      writeFileSync(path, text);
      now += 2_001;
      assert.deepEqual(load().map((t) => t.principal), principals, JSON.stringify(text));
    }
    rmSync(path);
    now += 2_001;
    assert.deepEqual(load(), [], 'a removed file names nobody');
    const refusals = lines.filter((l) => l.includes('refusing every static token'));
    assert.ok(refusals.length >= 3, lines.join(''));
    assert.ok(refusals.some((l) => l.includes('shorter than 16 characters')), 'the reason is logged');
    for (const line of lines) {
      assert.ok(!line.includes(good) && !line.includes(other) && !line.includes('Zq7tiny'), `no token in the log: ${line}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function issuer() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
  /** An RFC 9068 access token unless told otherwise; `null` for no typ at all. */
  const sign = (claims: Record<string, unknown>, typ: string | null = 'at+jwt') => new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...(typ === null ? {} : { typ }) })
    .setIssuer('https://issuer').setAudience('https://mcp/mcp').setExpirationTime('5m').sign(privateKey);
  const verify = (token: string, requireAtJwt = false) => verifyJwt(token, keys, { issuer: 'https://issuer', resource: 'https://mcp/mcp', requireAtJwt });
  const refusal = async (token: string, requireAtJwt = false) => {
    try {
      await verify(token, requireAtJwt);
      return 'accepted';
    } catch (error) {
      assert.ok(error instanceof OAuthError && error.code === OAuthErrorCode.InvalidToken, String(error));
      return error.message;
    }
  };
  return { sign, verify, refusal };
}

test('a sub that is not a non-empty string is refused, not turned into "iss#[object Object]"', async () => {
  const { sign, verify, refusal } = await issuer();
  assert.equal((await verify(await sign({ sub: 'agent-1' }))).extra?.['principal'], 'https://issuer#agent-1');
  for (const sub of [{ a: 1 }, 42, ['x'], '', true]) assert.equal(await refusal(await sign({ sub })), 'Token claim sub is invalid', JSON.stringify(sub));
});

test('typ at+jwt (RFC 9068) is an access token; any other typ but the generic JWT never is', async () => {
  const { sign, refusal } = await issuer();
  for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT']) assert.equal(await refusal(await sign({ sub: 'a' }, typ)), 'accepted', typ);
  for (const typ of ['id_token+jwt', 'logout+jwt', 'secevent+jwt', 'dpop+jwt', 'at+application/jwt', 'JOSE']) {
    assert.equal(await refusal(await sign({ sub: 'a', scope: 'mcp' }, typ)), 'Token is not an access token (typ must be at+jwt or JWT)', typ);
  }
});

test('typ JWT or none: an access token only with its grant in scope or scp, and nothing an ID token or a logout token carries', async () => {
  const { sign, refusal } = await issuer();
  for (const typ of ['JWT', 'jwt', 'application/jwt', null]) {
    const shown = String(typ);
    assert.equal(await refusal(await sign({ sub: 'a', scope: 'mcp read' }, typ)), 'accepted', shown);
    assert.equal(await refusal(await sign({ sub: 'a', scp: ['mcp'] }, typ)), 'accepted', `${shown}, scp as Okta sends it`);
    assert.equal(await refusal(await sign({ sub: 'a', scp: 'mcp', token_use: 'access', typ: 'Bearer' }, typ)), 'accepted', `${shown}, labelled access`);
    for (const grantless of [{}, { scope: '' }, { scp: [] }, { roles: ['Mcp.Invoke'] }]) {
      assert.equal(await refusal(await sign({ sub: 'a', ...grantless }, typ)), 'Token is not provably an access token: without typ at+jwt it must carry its grant in scope or scp', `${shown} ${JSON.stringify(grantless)}`);
    }
    for (const claim of ['nonce', 'at_hash', 'c_hash', 's_hash', 'events']) {
      assert.equal(await refusal(await sign({ sub: 'a', scope: 'mcp', [claim]: 'x' }, typ)), `Token is not an access token (it carries ${claim}, which access tokens do not)`, `${shown} ${claim}`);
    }
    assert.equal(await refusal(await sign({ sub: 'a', scope: 'mcp', token_use: 'id' }, typ)), 'Token is not an access token (token_use is not access)', shown);
    assert.equal(await refusal(await sign({ sub: 'a', scope: 'mcp', typ: 'ID' }, typ)), 'Token is not an access token (its typ claim is not Bearer)', shown);
  }
});

test('strict mode (--oauth-require-at-jwt): only typ at+jwt, whatever else the token carries', async () => {
  const { sign, refusal } = await issuer();
  assert.equal(await refusal(await sign({ sub: 'a' }), true), 'accepted');
  for (const typ of ['JWT', null, 'id_token+jwt']) {
    assert.equal(await refusal(await sign({ sub: 'a', scope: 'mcp', token_use: 'access' }, typ), true), 'Token is not an access token (typ must be at+jwt)', String(typ));
  }
});

test('repeated 401s from one address back off; other addresses and the address\'s valid tokens are never held back', () => {
  let now = 0;
  const throttle = new FailedAuthThrottle({ free: 5, now: () => now });
  const attacker = '203.0.113.9';
  for (let i = 0; i < 5; i += 1) {
    assert.equal(throttle.waitSeconds(attacker), 0, `the first failures are free (${i})`);
    throttle.failed(attacker);
  }
  const first = throttle.waitSeconds(attacker);
  assert.ok(first >= 1, 'after five failures the address waits');
  throttle.failed(attacker);
  assert.ok(throttle.waitSeconds(attacker) > first, 'each further failure doubles the wait');
  for (let i = 0; i < 50; i += 1) throttle.failed(attacker);
  assert.ok(throttle.waitSeconds(attacker) <= 60, 'the wait is capped');
  assert.equal(throttle.waitSeconds('198.51.100.1'), 0, 'other addresses are not affected');
  now += 61_000;
  assert.equal(throttle.waitSeconds(attacker), 0, 'the wait ends');
  for (let i = 0; i < 20_000; i += 1) throttle.failed(`10.0.${i >> 8}.${i & 255}`);
  assert.ok(throttle.size <= 10_000, 'memory stays bounded under a spray of addresses');
});

test('a failure is forgotten once it is older than the window and the address no longer waits, not before', () => {
  let now = 0;
  const throttle = new FailedAuthThrottle({ free: 1, baseMs: 2_000, windowMs: 1_000, now: () => now });
  throttle.failed('a'); // the first failure past the free one: the address waits 2 s
  now = 1_500; // past the window, still waiting
  assert.equal(throttle.waitSeconds('a'), 1, 'an address that must wait is remembered past the window');
  assert.equal(throttle.size, 1);
  now = 2_000; // past the window and the wait
  assert.equal(throttle.waitSeconds('a'), 0);
  assert.equal(throttle.size, 0, 'forgotten');
  throttle.failed('a');
  assert.equal(throttle.waitSeconds('a'), 2, 'counted from the start again: one failure');
});

test('the client id is the first of client_id, azp, appid (Entra ID v1) and cid (Okta) that is a non-empty string, else the subject', async () => {
  const { sign, verify } = await issuer();
  const clientId = async (claims: Record<string, unknown>) => (await verify(await sign({ sub: 'agent-1', ...claims }))).clientId;
  assert.equal(await clientId({ client_id: 'cli', azp: 'app' }), 'cli');
  assert.equal(await clientId({ client_id: '', azp: 'app' }), 'app');
  assert.equal(await clientId({ client_id: 7, azp: 'app' }), 'app');
  assert.equal(await clientId({ appid: 'entra-app', cid: 'okta-app' }), 'entra-app');
  assert.equal(await clientId({ cid: 'okta-app' }), 'okta-app');
  assert.equal(await clientId({}), 'agent-1');
});

test('by default a failure is remembered for 10 minutes: failures a minute apart add up, ten minutes apart they do not', () => {
  let now = 0;
  const throttle = new FailedAuthThrottle({ free: 1, baseMs: 1_000, now: () => now });
  throttle.failed('a');
  now = 60_000;
  throttle.failed('a');
  assert.equal(throttle.waitSeconds('a'), 2, 'the second failure within the window doubles the wait');
  now += 10 * 60_000 + 1;
  assert.equal(throttle.size, 1);
  throttle.failed('a');
  assert.equal(throttle.waitSeconds('a'), 1, 'older than the window: counted from the start again');
});

test('past maxAddresses, the least recently failed addresses are forgotten first, down to 90%', () => {
  const now = 0;
  const throttle = new FailedAuthThrottle({ free: 1, baseMs: 60_000, maxAddresses: 10, now: () => now });
  for (let i = 1; i <= 10; i += 1) throttle.failed(`a${i}`);
  assert.equal(throttle.size, 10, 'at the limit: all kept');
  throttle.failed('a1'); // now the most recently failed
  throttle.failed('a11');
  assert.equal(throttle.size, 9, 'over the limit: pruned to 9');
  assert.deepEqual(['a1', 'a2', 'a3', 'a4', 'a11'].map((a) => throttle.waitSeconds(a) > 0), [true, false, false, true, true]);
});
