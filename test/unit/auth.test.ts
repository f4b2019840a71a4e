import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { OAuthErrorCode } from '@modelcontextprotocol/server';
import { ConfigError } from '../../src/config.ts';
import { discoverJwks, matchToken, parseTokens, principalOf, scopesOf, tokenRefusal } from '../../src/server/auth.ts';

const t1 = 'a'.repeat(32);
const t2 = 'b'.repeat(32);

test('static tokens: named or bare, newlines or commas, comments ignored', () => {
  const tokens = parseTokens(`# rotate monthly\nalice:${t1}\n\n  ${t2}  # bare\n`, 'the file');
  assert.deepEqual(tokens.map((t) => t.principal), ['static:alice', `static:sha256:${createHash('sha256').update(t2).digest('hex').slice(0, 12)}`]);
  assert.equal(parseTokens(`alice:${t1},bob:${t2}`, 'env').length, 2);
  const rotation = parseTokens(`alice:${t1}\nalice:${t2}`, 'env');
  assert.deepEqual(rotation.map((t) => t.principal), ['static:alice', 'static:alice'], 'old and new token: one principal');
});

test('static tokens: weak, empty or ambiguous lists are refused with the source named', () => {
  const refused = (text: string) => {
    try {
      parseTokens(text, 'EKS_MCP_AUTH_TOKENS');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems.join('\n');
    }
    return '';
  };
  assert.match(refused('# nothing\n'), /EKS_MCP_AUTH_TOKENS holds no token/);
  assert.match(refused('alice:short'), /EKS_MCP_AUTH_TOKENS: entry 1 is shorter than 16 characters/);
  assert.match(refused(`alice:${t1}\nbob:${t1}`), /one token is given under two names/);
});

test('matchToken finds the token among several, and nothing else', () => {
  const tokens = parseTokens(`alice:${t1}\nbob:${t2}`, 'x');
  assert.equal(matchToken(tokens, t2)?.principal, 'static:bob');
  assert.equal(matchToken(tokens, t1)?.principal, 'static:alice');
  for (const wrong of ['', t1.slice(1), `${t1}a`, 'A'.repeat(32), `alice:${t1}`]) assert.equal(matchToken(tokens, wrong), undefined, wrong);
});

test('principalOf: the verified principal, or anonymous without authentication', () => {
  assert.equal(principalOf({ token: 'x', clientId: 'c', scopes: [], extra: { principal: 'static:alice' } }), 'static:alice');
  assert.equal(principalOf(undefined), 'anonymous');
});

test('scopes from `scope` (RFC 9068) or `scp`', () => {
  assert.deepEqual(scopesOf({ scope: 'mcp  read' }), ['mcp', 'read']);
  assert.deepEqual(scopesOf({ scp: ['mcp', 1] }), ['mcp']);
  assert.deepEqual(scopesOf({ scp: 'mcp' }), ['mcp']);
  assert.deepEqual(scopesOf({}), []);
});

test('each JWT failure maps to a 401 reason that names no key and no cluster; key trouble is not the client\'s fault', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
  const sign = (claims: Record<string, unknown>, key = privateKey, kid = 'k1') => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).setIssuer('https://issuer');
    if (claims['exp'] === undefined) jwt.setExpirationTime('5m');
    return jwt.sign(key);
  };
  const reason = async (token: string) => {
    try {
      await jwtVerify(token, jwks, { issuer: 'https://issuer', audience: 'https://mcp/mcp', requiredClaims: ['exp', 'sub'], algorithms: ['ES256'] });
      return 'accepted';
    } catch (error) {
      const refusal = tokenRefusal(error);
      assert.equal(refusal.code, OAuthErrorCode.InvalidToken);
      return refusal.message;
    }
  };
  assert.equal(await reason(await sign({ sub: 'a', aud: 'https://mcp/mcp' })), 'accepted');
  assert.equal(await reason(await sign({ sub: 'a', aud: 'https://mcp/mcp', exp: 1 })), 'Token has expired');
  assert.equal(await reason(await sign({ sub: 'a', aud: 'https://elsewhere' })), 'Token audience is not this server');
  assert.equal(await reason(await sign({ sub: 'a', aud: 'https://mcp/mcp' }, other.privateKey)), 'Token signature is invalid');
  assert.equal(await reason(await sign({ sub: 'a', aud: 'https://mcp/mcp' }, other.privateKey, 'k2')), 'Token is signed with a key the issuer does not publish');
  assert.equal(await reason(await sign({ aud: 'https://mcp/mcp' })), 'Token lacks the sub claim');
  assert.equal(await reason('not.a.jwt'), 'Token is not a valid JWT');
  const wrongIssuer = await new SignJWT({ sub: 'a', aud: 'https://mcp/mcp' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('https://other').setExpirationTime('5m').sign(privateKey);
  assert.equal(await reason(wrongIssuer), 'Token issuer is not trusted');
  assert.equal(tokenRefusal(new Error('fetch failed')).code, OAuthErrorCode.ServerError);
});

test('the JWKS is found through the issuer\'s metadata, which must name that issuer', async () => {
  const served: string[] = [];
  const fake = (documents: Record<string, unknown>): typeof fetch => async (input) => {
    const url = String(input instanceof URL ? input.href : input);
    served.push(url);
    const body = documents[url];
    return new Response(body === undefined ? 'not found' : JSON.stringify(body), { status: body === undefined ? 404 : 200 });
  };
  const issuer = 'https://login.example.com/tenant';
  assert.equal(await discoverJwks(issuer, fake({
    'https://login.example.com/.well-known/openid-configuration/tenant': { issuer, jwks_uri: 'https://login.example.com/keys' },
  })), 'https://login.example.com/keys');
  assert.deepEqual(served.slice(0, 2), ['https://login.example.com/.well-known/oauth-authorization-server/tenant', 'https://login.example.com/.well-known/openid-configuration/tenant']);
  await assert.rejects(discoverJwks(issuer, fake({
    'https://login.example.com/.well-known/oauth-authorization-server/tenant': { issuer: 'https://evil.example.com', jwks_uri: 'https://evil.example.com/keys' },
  })), /names another issuer/);
  await assert.rejects(discoverJwks(issuer, fake({})), /cannot read the OAuth issuer's metadata .*HTTP 404.*give --oauth-jwks-url/);
});
