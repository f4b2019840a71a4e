// Static bearer tokens as the HTTP server uses them (createAuth): from the environment or a file that is read again
// when it changes. Each way a request can be let in or kept out is checked here, without the HTTP server around it.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWTPayload } from 'jose';
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
const isInvalidToken = (e: unknown) => e instanceof OAuthError && e.code === OAuthErrorCode.InvalidToken;
import { type ConfigError, loadHttpConfig } from '../../src/config.ts';
import { createAuth, matchToken, parseTokens, principalOf, scopesOf } from '../../src/server/auth.ts';
import { configProblem, recordingLog, refusal } from './auth-helpers.ts';

const t1 = 'a'.repeat(32);
const t2 = 'b'.repeat(32);

test('token lists: names of 1-64 safe characters, each entry numbered in errors, at least 16 characters', () => {
  const name64 = 'n'.repeat(64);
  assert.deepEqual(parseTokens(`${name64}:${t1}`, 's').map((t) => t.principal), [`static:${name64}`]);
  assert.deepEqual(parseTokens(`a.b_c@d-e:${t1}`, 's').map((t) => t.principal), ['static:a.b_c@d-e']);
  const unnamed = parseTokens(`${'n'.repeat(65)}:${t1}`, 's');
  assert.match(unnamed[0]!.principal, /^static:sha256:[0-9a-f]{12}$/, 'a 65-character name is not a name: the whole entry is the token');
  assert.match(parseTokens(`team a:${t1}`.replace(' ', '/'), 's')[0]!.principal, /^static:sha256:/, 'a / is not a name character');
  assert.equal(parseTokens('x'.repeat(16), 's').length, 1, '16 characters are enough');
  assert.equal(configProblem(() => parseTokens(`${t1}\n${'x'.repeat(15)}`, 'the file')),
    'the file: entry 2 is shorter than 16 characters (try: openssl rand -hex 32)');
  assert.equal(configProblem(() => parseTokens(`alice:${'x'.repeat(10)} ${'y'.repeat(10)}`, 'the file')), 'the file: entry 1 has whitespace inside the token');
  assert.equal(configProblem(() => parseTokens(' ,\n# only a comment\n,', 'the file')), 'the file holds no token');
  assert.deepEqual(parseTokens(`alice:${t1}\nalice:${t1}`, 's').map((t) => t.principal), ['static:alice', 'static:alice'], 'a repeated line is no conflict');
  assert.equal(configProblem(() => parseTokens(`${t1}\nbob:${t1}`, 'the file')), 'the file: one token is given under two names');
  assert.equal(matchToken(parseTokens(`alice:${t1}#note, bob:${t2} # note`, 's'), t1)?.principal, 'static:alice', 'a comment after the token');
  assert.equal(matchToken(parseTokens(`alice:${t1}#note, bob:${t2} # note`, 's'), t2)?.principal, 'static:bob');
});

test('a token file saved with CRLF line endings reads as the same tokens, comments and all', () => {
  const crlf = parseTokens(`# agents\r\nalice:${t1} # ci\r\n${t2}\r\n`, 's');
  assert.deepEqual(crlf.map((t) => t.principal), parseTokens(`# agents\nalice:${t1} # ci\n${t2}\n`, 's').map((t) => t.principal));
  assert.equal(crlf.length, 2);
});

test('matchToken finds the token wherever it is in the list, and nothing in an empty one', () => {
  const tokens = parseTokens(`alice:${t1}\nbob:${t2}\nbob:${t2}`, 's');
  assert.equal(matchToken(tokens, t2)?.principal, 'static:bob');
  assert.equal(matchToken(tokens.slice(0, 1), t1)?.principal, 'static:alice');
  assert.equal(matchToken([], t1), undefined);
});

test('principals and scopes are read only from the fields that hold them', () => {
  assert.equal(principalOf({ token: 'x', clientId: 'c', scopes: [], extra: { principal: 42 } }), 'anonymous');
  assert.equal(principalOf({ token: 'x', clientId: 'c', scopes: [] }), 'anonymous');
  assert.deepEqual(scopesOf({ scope: 'a b', scp: ['c'] }), ['a', 'b'], 'scope wins over scp');
  assert.deepEqual(scopesOf({ scope: '' }), []);
  assert.deepEqual(scopesOf({ scp: 7 } as JWTPayload), []);
});

test('no authentication configured: none is made up', async () => {
  assert.equal(await createAuth(loadHttpConfig({}, {}), recordingLog().log), undefined);
});

test('static tokens from the environment: the principal of the token, an expiry later than now, and nothing for another token', async () => {
  const auth = (await createAuth(loadHttpConfig({}, { EKS_MCP_AUTH_TOKENS: `alice:${t1},bob:${t2}` }), recordingLog().log))!;
  assert.equal(auth.mode, 'static');
  assert.deepEqual(auth.requiredScopes, []);
  assert.deepEqual(auth.summary, { auth: 'static', tokens: 2 });
  assert.equal(auth.resourceMetadata, undefined);
  const before = Math.floor(Date.now() / 1000);
  const info = await auth.verifyAccessToken(t2);
  assert.deepEqual({ ...info, expiresAt: undefined }, { token: t2, clientId: 'static:bob', scopes: [], expiresAt: undefined, extra: { principal: 'static:bob' } });
  assert.ok(info.expiresAt! >= before + 3600 && info.expiresAt! <= Math.floor(Date.now() / 1000) + 3600, 'an hour from now');
  const wrong = await refusal(auth, t1.slice(1));
  assert.ok(isInvalidToken(wrong));
  assert.equal(wrong.message, 'Invalid bearer token');
  await assert.rejects(createAuth(loadHttpConfig({}, { EKS_MCP_AUTH_TOKENS: 'short' }), recordingLog().log),
    (error: ConfigError) => error.problems.join() === 'EKS_MCP_AUTH_TOKENS: entry 1 is shorter than 16 characters (try: openssl rand -hex 32)');
});

test('static tokens from a file: read again when the file changes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-tokens-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  t.after(() => mock.timers.reset());
  const file = join(dir, 'tokens');
  writeFileSync(file, `alice:${t1}\n`);
  const { log, lines } = recordingLog();
  const auth = (await createAuth(loadHttpConfig({ authTokensFile: file }, {}), log))!;
  assert.deepEqual(auth.summary, { auth: 'static', tokens: 1 });
  assert.equal((await auth.verifyAccessToken(t1)).clientId, 'static:alice');

  writeFileSync(file, `bob:${t2}\ncarol:${'c'.repeat(32)}\n`);
  mock.timers.tick(1_999);
  assert.equal((await auth.verifyAccessToken(t1)).clientId, 'static:alice', 'within 2 s of the last look: not looked at again');
  mock.timers.tick(1);
  assert.equal((await auth.verifyAccessToken(t2)).clientId, 'static:bob', 'the rotated token works');
  assert.ok(isInvalidToken(await refusal(auth, t1)), 'the removed token no longer does');
  assert.deepEqual(lines.map((l) => [l.level, l.message, l.fields]), [['info', 'static tokens reloaded', { tokens: 2 }]]);

  const t3 = 'd'.repeat(32);
  writeFileSync(file, `dave:${t3}\n`);
  assert.equal((await auth.verifyAccessToken(t2)).clientId, 'static:bob', 'the 2 s count again from the last look');
  mock.timers.tick(2_000);
  assert.equal((await auth.verifyAccessToken(t3)).clientId, 'static:dave');
  assert.equal(lines.length, 2);

  mock.timers.tick(2_000);
  assert.equal((await auth.verifyAccessToken(t3)).clientId, 'static:dave', 'unchanged file: same tokens');
  assert.equal(lines.length, 2, 'an unchanged file is not read again');

  // A file that breaks after a change accepts nobody (tested in auth-hardening.test.ts).
  assert.doesNotMatch(JSON.stringify(lines), new RegExp(`${t1}|${t2}|${t3}`), 'no token in the log');

  rmSync(file);
  await assert.rejects(createAuth(loadHttpConfig({ authTokensFile: file }, {}), log),
    (error: ConfigError) => error.problems.join() === `cannot read the token file ${file} (--auth-tokens-file or EKS_MCP_AUTH_TOKENS_FILE): ENOENT`);
});
