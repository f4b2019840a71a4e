// OAuth access tokens as the HTTP server uses them (createAuth): verified against an issuer's keys served on
// loopback, and each reason a token is refused. Checked here without the HTTP server around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, errors as jose, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
const isInvalidToken = (e: unknown) => e instanceof OAuthError && e.code === OAuthErrorCode.InvalidToken;
const isServerError = (e: unknown) => e instanceof OAuthError && e.code === OAuthErrorCode.ServerError;
import { loadHttpConfig } from '../../src/config.ts';
import { createAuth, discoverJwks, tokenRefusal } from '../../src/server/auth.ts';
import { recordingLog, refusal } from './auth-helpers.ts';

test('each refusal reason, and only key trouble is the server\'s own fault', () => {
  const claim = (name: string, reason: 'missing' | 'check_failed' | 'invalid' = 'check_failed') => tokenRefusal(new jose.JWTClaimValidationFailed('m', {}, name, reason));
  const cases: Array<[Error, string]> = [
    [new jose.JWTExpired('m', {}, 'exp', 'check_failed'), 'Token has expired'],
    [new jose.JWTClaimValidationFailed('m', {}, 'aud', 'check_failed'), 'Token audience is not this server'],
    [new jose.JWTClaimValidationFailed('m', {}, 'iss', 'check_failed'), 'Token issuer is not trusted'],
    [new jose.JWTClaimValidationFailed('m', {}, 'nbf', 'check_failed'), 'Token is not yet valid'],
    [new jose.JWTClaimValidationFailed('m', {}, 'iat', 'check_failed'), 'Token is not yet valid'],
    [new jose.JWSSignatureVerificationFailed(), 'Token signature is invalid'],
    [new jose.JWKSNoMatchingKey(), 'Token is signed with a key the issuer does not publish'],
    [new jose.JWKSMultipleMatchingKeys(), 'Token is signed with a key the issuer does not publish'],
    [new jose.JOSEAlgNotAllowed('m'), 'Token algorithm is not allowed'],
    [new jose.JWTInvalid('m'), 'Token is not a valid JWT'],
    [new jose.JWSInvalid('m'), 'Token is not a valid JWT'],
    [new jose.JOSENotSupported('m'), 'Token is not a valid JWT'],
  ];
  for (const [error, message] of cases) {
    const answer = tokenRefusal(error);
    assert.ok(isInvalidToken(answer), message);
    assert.equal(answer.message, message);
  }
  assert.equal(claim('sub', 'missing').message, 'Token lacks the sub claim');
  assert.equal(claim('aud', 'missing').message, 'Token has no aud claim: it is not bound to this server');
  assert.equal(claim('sub').message, 'Token claim sub is invalid');
  assert.equal(claim('typ', 'invalid').message, 'Token claim typ is invalid');
  for (const error of [new jose.JWKSTimeout(), new jose.JWKSInvalid('m'), new Error('fetch failed'), 'not even an error']) {
    const answer = tokenRefusal(error);
    assert.ok(isServerError(answer));
    assert.equal(answer.message, 'Tokens cannot be verified right now');
  }
});

test('issuer metadata: asked as JSON without following redirects; unreachable, failing or foreign documents are skipped or refused', async () => {
  const issuer = 'https://login.example.com/';
  const asked: Array<{ url: string; init: RequestInit | undefined }> = [];
  let cancelled = 0;
  const answering = (answer: (url: string) => Response | Error): typeof fetch => async (input, init) => {
    const url = String(input instanceof URL ? input.href : input);
    asked.push({ url, init });
    const result = answer(url);
    if (result instanceof Error) throw result;
    if (!result.ok) {
      const body = result.body!;
      const original = body.cancel.bind(body);
      body.cancel = async (reason) => { cancelled += 1; return original(reason); };
    }
    return result;
  };
  const jwks = await discoverJwks(issuer, answering((url) => (url.includes('oauth-authorization-server') ? new Error('ECONNRESET')
    : new Response(JSON.stringify({ issuer: 'https://login.example.com', jwks_uri: 'https://login.example.com/jwks' })))));
  assert.equal(jwks, 'https://login.example.com/jwks', 'a trailing slash does not make another issuer');
  const init = asked[0]!.init!;
  assert.equal((init.headers as Record<string, string>)['accept'], 'application/json');
  assert.equal(init.redirect, 'error');
  assert.ok(init.signal instanceof AbortSignal);

  await assert.rejects(discoverJwks(issuer, answering(() => new Response('no', { status: 500 }))), (error: Error) => {
    assert.match(error.message, /^cannot read the OAuth issuer's metadata \(https:\/\/login\.example\.com\/\.well-known\/oauth-authorization-server: HTTP 500; /);
    assert.match(error.message, /openid-configuration: HTTP 500\): give --oauth-jwks-url to skip discovery$/);
    return true;
  });
  assert.equal(cancelled, 2, 'each failed response\'s body is released');
  assert.equal(await discoverJwks(issuer, answering((url) => (url.includes('oauth-authorization-server') ? new Response(null, { status: 404 })
    : new Response(JSON.stringify({ issuer, jwks_uri: 'https://login.example.com/keys' }))))), 'https://login.example.com/keys', 'a failed answer without a body');
  await assert.rejects(discoverJwks(issuer, answering(() => new Error('ECONNREFUSED'))), /oauth-authorization-server: ECONNREFUSED; .*openid-configuration: ECONNREFUSED\)/);
  await assert.rejects(discoverJwks(issuer, answering(() => new Response('<html>'))), /names another issuer \(undefined\): refusing it/, 'not JSON');
  await assert.rejects(discoverJwks(issuer, answering(() => new Response(JSON.stringify({ issuer: 42 })))), /names another issuer \(42\)/);
  await assert.rejects(discoverJwks(issuer, answering(() => new Response(JSON.stringify({ issuer, jwks_uri: 7 })))),
    /^Error: the OAuth issuer's metadata at https:\/\/login\.example\.com\/\.well-known\/oauth-authorization-server has no jwks_uri: give --oauth-jwks-url$/);
});

// --- OAuth --------------------------------------------------------------------------------------------

interface Issuer {
  url: string;
  jwksUrl: string;
  sign(claims: JWTPayload, options?: { alg?: string; kid?: string; typ?: string }): Promise<string>;
  server: Server;
  /** How often the JWKS was fetched. */
  jwksFetches(): number;
}

/** An OAuth issuer on loopback: its RFC 8414 metadata and its JWKS, and tokens signed with its key. */
async function startIssuer(t: { after(fn: () => unknown): void }): Promise<Issuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let url = '';
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.url === '/jwks') fetches += 1;
    if (req.url === '/jwks') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    if (req.url === '/.well-known/oauth-authorization-server') {
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` }));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url, jwksUrl: `${url}/jwks`, server, jwksFetches: () => fetches,
    sign: (claims, options = {}) => new SignJWT(claims)
      .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: options.kid ?? 'k1', typ: options.typ ?? 'at+jwt' })
      .setIssuer(claims.iss ?? url).sign(privateKey),
  };
}

const RESOURCE = 'https://mcp.example.com/mcp';

test('OAuth: the resource server\'s metadata and summary name the issuer, the resource and the scopes', async (t) => {
  const issuer = await startIssuer(t);
  const auth = (await createAuth(loadHttpConfig({ oauthIssuer: issuer.url, resourceUrl: RESOURCE, oauthScopes: 'mcp:tools, mcp:read' }, {}), recordingLog().log))!;
  assert.equal(auth.mode, 'oauth');
  assert.deepEqual(auth.requiredScopes, ['mcp:tools', 'mcp:read']);
  assert.deepEqual(auth.resourceMetadata, {
    url: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    path: '/.well-known/oauth-protected-resource/mcp',
    document: {
      resource: RESOURCE, authorization_servers: [issuer.url], scopes_supported: ['mcp:tools', 'mcp:read'],
      bearer_methods_supported: ['header'], resource_name: 'eks-rbac-mcp',
    },
  });
  assert.deepEqual(auth.summary, { auth: 'oauth', issuer: issuer.url, resource: RESOURCE, jwksUrl: issuer.jwksUrl, requiredScopes: ['mcp:tools', 'mcp:read'] },
    'the JWKS was found through the issuer\'s metadata');
  const unscoped = (await createAuth(loadHttpConfig({ oauthIssuer: issuer.url, resourceUrl: RESOURCE, oauthJwksUrl: `${issuer.url}/jwks?given` }, {}), recordingLog().log))!;
  assert.deepEqual(unscoped.requiredScopes, []);
  assert.equal(unscoped.resourceMetadata!.document.scopes_supported, undefined, 'no scopes required: none advertised');
  assert.equal(unscoped.summary['jwksUrl'], `${issuer.url}/jwks?given`, 'a given JWKS URL skips discovery');
});

test('OAuth: a valid access token acts as issuer#sub, with its client, scopes and expiry', async (t) => {
  const issuer = await startIssuer(t);
  const auth = (await createAuth(loadHttpConfig({ oauthIssuer: issuer.url, resourceUrl: RESOURCE, oauthJwksUrl: issuer.jwksUrl }, {}), recordingLog().log))!;
  const exp = Math.floor(Date.now() / 1000) + 300;
  const token = await issuer.sign({ sub: 'user-1', aud: RESOURCE, exp, client_id: 'agent-app', azp: 'other', scope: 'mcp:tools extra' });
  assert.deepEqual(await auth.verifyAccessToken(token), {
    token, clientId: 'agent-app', scopes: ['mcp:tools', 'extra'], expiresAt: exp, resource: new URL(RESOURCE), extra: { principal: `${issuer.url}#user-1` },
  });
  assert.equal((await auth.verifyAccessToken(await issuer.sign({ sub: 'user-1', aud: RESOURCE, exp, azp: 'web-app' }))).clientId, 'web-app', 'azp without client_id');
  assert.equal((await auth.verifyAccessToken(await issuer.sign({ sub: 'user-1', aud: [RESOURCE, 'other'], exp }))).clientId, 'user-1', 'else the subject');
  const lateButTolerated = await issuer.sign({ sub: 'user-1', aud: RESOURCE, exp: Math.floor(Date.now() / 1000) - 10 });
  assert.equal((await auth.verifyAccessToken(lateButTolerated)).clientId, 'user-1', '30 s of clock skew are tolerated');
  assert.equal(issuer.jwksFetches(), 1, 'the issuer\'s keys are fetched once and kept, not fetched per token');
});

test('OAuth: tokens for another audience, from another issuer, expired, without exp or sub, or not asymmetric are refused with a 401', async (t) => {
  const issuer = await startIssuer(t);
  const auth = (await createAuth(loadHttpConfig({ oauthIssuer: issuer.url, resourceUrl: RESOURCE, oauthJwksUrl: issuer.jwksUrl }, {}), recordingLog().log))!;
  const exp = Math.floor(Date.now() / 1000) + 300;
  const reason = async (token: string) => {
    const error = await refusal(auth, token);
    assert.ok(isInvalidToken(error), `${error}`);
    return error.message;
  };
  assert.equal(await reason(await issuer.sign({ sub: 'u', aud: 'https://elsewhere.example.com/mcp', exp })), 'Token audience is not this server');
  assert.equal(await reason(await issuer.sign({ sub: 'u', aud: RESOURCE, exp, iss: 'https://evil.example.com' })), 'Token issuer is not trusted');
  assert.equal(await reason(await issuer.sign({ sub: 'u', aud: RESOURCE, exp: Math.floor(Date.now() / 1000) - 60 })), 'Token has expired');
  assert.equal(await reason(await issuer.sign({ sub: 'u', aud: RESOURCE })), 'Token lacks the exp claim');
  assert.equal(await reason(await issuer.sign({ aud: RESOURCE, exp })), 'Token lacks the sub claim');
  const hmac = await new SignJWT({ sub: 'u', aud: RESOURCE, exp }).setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' }).setIssuer(issuer.url)
    .sign(new TextEncoder().encode('a shared secret that anyone with the JWKS could guess'));
  assert.equal(await reason(hmac), 'Token algorithm is not allowed');
  const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'u', aud: RESOURCE, exp, iss: issuer.url })).toString('base64url')}.`;
  assert.equal(await reason(unsigned), 'Token algorithm is not allowed');
});

test('OAuth: when the issuer\'s keys cannot be fetched, the answer is a server error, not a 401', async (t) => {
  const issuer = await startIssuer(t);
  const auth = (await createAuth(loadHttpConfig({ oauthIssuer: issuer.url, resourceUrl: RESOURCE, oauthJwksUrl: `${issuer.url}/missing` }, {}), recordingLog().log))!;
  const error = await refusal(auth, await issuer.sign({ sub: 'u', aud: RESOURCE, exp: Math.floor(Date.now() / 1000) + 300 }));
  assert.ok(isServerError(error), `${error}`);
});

test('OAuth: an issuer whose metadata cannot be read stops the start, saying what to give instead', async (t) => {
  const issuer = await startIssuer(t);
  await assert.rejects(createAuth(loadHttpConfig({ oauthIssuer: `${issuer.url}/tenant`, resourceUrl: RESOURCE }, {}), recordingLog().log),
    /cannot read the OAuth issuer's metadata .*HTTP 404.*give --oauth-jwks-url to skip discovery/);
});

test('OAuth: every asymmetric algorithm an issuer may sign with is accepted', async (t) => {
  // One key per type: a node KeyObject is not bound to one hash, as a WebCrypto key is.
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve });
  const ed = generateKeyPairSync('ed25519');
  const byAlgorithm: Record<string, { publicKey: KeyObject; privateKey: KeyObject }> = {
    RS256: rsa, RS384: rsa, RS512: rsa, PS256: rsa, PS384: rsa, PS512: rsa,
    ES256: ec('P-256'), ES384: ec('P-384'), ES512: ec('P-521'), EdDSA: ed, Ed25519: ed,
  };
  const keys = Object.entries(byAlgorithm).map(([alg, pair]) => ({ alg, pair }));
  const jwks = { keys: await Promise.all(keys.map(async ({ alg, pair }) => ({ ...(await exportJWK(pair.publicKey)), kid: alg, alg }))) };
  const server = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const auth = (await createAuth(loadHttpConfig({ oauthIssuer: issuer, resourceUrl: RESOURCE, oauthJwksUrl: `${issuer}/jwks` }, {}), recordingLog().log))!;
  const exp = Math.floor(Date.now() / 1000) + 300;
  for (const { alg, pair } of keys) {
    const token = await new SignJWT({ sub: alg, aud: RESOURCE, exp }).setProtectedHeader({ alg, kid: alg, typ: 'at+jwt' }).setIssuer(issuer).sign(pair.privateKey);
    assert.equal((await auth.verifyAccessToken(token)).clientId, alg);
  }
});
