// The access tokens and ID tokens of the identity providers platform teams use, as their documentation shows them,
// minted by a local issuer (RFC 8414 metadata and a JWKS over HTTP on 127.0.0.1) with RS256 and with ES256, and put
// through the configured OAuth verification. Accepted: exactly the access tokens bound to this server's resource URL.
// Refused: every ID token, even one whose aud names this server, and every token bound to something else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, exportJWK, type JWTPayload } from 'jose';
import { loadHttpConfig } from '../../src/config.ts';
import { createAuth, type Auth } from '../../src/server/auth.ts';
import { recordingLog, refusal } from './auth-helpers.ts';

const RESOURCE = 'https://mcp.example.com/mcp';
const CLIENT = 'c0ffee00-aaaa-4bbb-8ccc-0123456789ab'; // the client application that asked for the token
const API_APP = '5e1f0000-dddd-4eee-9fff-0123456789ab'; // Entra ID: the application registered for this server

interface Shape {
  provider: string;
  what: string;
  /** The header's typ; absent when the provider sets none. */
  typ?: string;
  claims: JWTPayload;
  /** The client id the principal's AuthInfo carries, or why the token is refused. */
  verdict: { clientId: string } | { refused: string };
}

const user = { sub: 'user-7', iat: Math.floor(Date.now() / 1000) };
const idTokenFor = (aud: unknown) => ({ aud }) as JWTPayload;

/**
 * Each provider's shapes (see the README's recipes for the documentation they follow). Every ID token appears twice:
 * as issued (aud: the client) and as if its client id were this server's resource URL, which only the token's own
 * claims can then tell apart from an access token.
 */
const SHAPES: Shape[] = [
  // Microsoft Entra ID: typ is always JWT. v1.0 tokens carry the App ID URI the client asked for as aud; v2.0 tokens
  // always carry the API's client id; user tokens carry scp, app-only tokens roles.
  { provider: 'Entra ID', what: 'v1.0 access token, App ID URI = resource URL', typ: 'JWT',
    claims: { ...user, aud: RESOURCE, ver: '1.0', appid: CLIENT, scp: 'mcp.tools', oid: 'o-1', tid: 't-1' }, verdict: { clientId: CLIENT } },
  { provider: 'Entra ID', what: 'v2.0 access token (aud is the API\'s client id)', typ: 'JWT',
    claims: { ...user, aud: API_APP, ver: '2.0', azp: CLIENT, scp: 'mcp.tools' }, verdict: { refused: 'Token audience is not this server' } },
  { provider: 'Entra ID', what: 'v1.0 app-only access token (roles, no scp)', typ: 'JWT',
    claims: { ...user, aud: RESOURCE, ver: '1.0', appid: CLIENT, roles: ['Mcp.Invoke'], idtyp: 'app' },
    verdict: { refused: 'Token is not provably an access token: without typ at+jwt it must carry its grant in scope or scp' } },
  { provider: 'Entra ID', what: 'ID token', typ: 'JWT', claims: { ...user, ...idTokenFor(CLIENT), ver: '2.0', nonce: 'n-1', oid: 'o-1' }, verdict: { refused: 'Token audience is not this server' } },
  { provider: 'Entra ID', what: 'ID token naming this server', typ: 'JWT', claims: { ...user, ...idTokenFor(RESOURCE), ver: '2.0', nonce: 'n-1' },
    verdict: { refused: 'Token is not an access token (it carries nonce, which access tokens do not)' } },
  // Okta custom authorization server: no typ; aud is the authorization server's audience; scp is an array; cid the client.
  { provider: 'Okta', what: 'access token, authorization server audience = resource URL',
    claims: { ...user, aud: RESOURCE, ver: 1, jti: 'AT.x1', cid: CLIENT, uid: 'u-1', scp: ['mcp'] }, verdict: { clientId: CLIENT } },
  { provider: 'Okta', what: 'access token of the default audience', claims: { ...user, aud: 'api://default', ver: 1, cid: CLIENT, scp: ['mcp'] },
    verdict: { refused: 'Token audience is not this server' } },
  { provider: 'Okta', what: 'ID token', claims: { ...user, ...idTokenFor(CLIENT), ver: 1, jti: 'ID.x1', amr: ['pwd'], nonce: 'n-1', at_hash: 'h' },
    verdict: { refused: 'Token audience is not this server' } },
  { provider: 'Okta', what: 'ID token naming this server', claims: { ...user, ...idTokenFor(RESOURCE), ver: 1, jti: 'ID.x1', at_hash: 'h' },
    verdict: { refused: 'Token is not an access token (it carries at_hash, which access tokens do not)' } },
  // Auth0: the default token profile labels access tokens JWT, aud [API identifier, userinfo]; the RFC 9068 profile at+jwt.
  { provider: 'Auth0', what: 'access token, Auth0 profile, API identifier = resource URL', typ: 'JWT',
    claims: { ...user, aud: [RESOURCE, 'https://tenant.auth0.com/userinfo'], azp: CLIENT, scope: 'openid mcp' }, verdict: { clientId: CLIENT } },
  { provider: 'Auth0', what: 'access token, RFC 9068 profile', typ: 'at+jwt',
    claims: { ...user, aud: [RESOURCE, 'https://tenant.auth0.com/userinfo'], client_id: CLIENT, jti: 'j-1', scope: 'openid mcp' }, verdict: { clientId: CLIENT } },
  { provider: 'Auth0', what: 'ID token', typ: 'JWT', claims: { ...user, ...idTokenFor(CLIENT), nonce: 'n-1', name: 'Jane' }, verdict: { refused: 'Token audience is not this server' } },
  { provider: 'Auth0', what: 'ID token naming this server, without nonce', typ: 'JWT', claims: { ...user, ...idTokenFor(RESOURCE), name: 'Jane' },
    verdict: { refused: 'Token is not provably an access token: without typ at+jwt it must carry its grant in scope or scp' } },
  // Keycloak: typ JWT; an audience mapper puts the resource URL in aud; the payload's typ says Bearer or ID.
  { provider: 'Keycloak', what: 'access token with an audience mapper', typ: 'JWT',
    claims: { ...user, aud: [RESOURCE, 'account'], typ: 'Bearer', azp: 'mcp-client', scope: 'openid profile mcp', realm_access: { roles: ['agent'] } },
    verdict: { clientId: 'mcp-client' } },
  { provider: 'Keycloak', what: 'access token without the audience mapper', typ: 'JWT', claims: { ...user, aud: 'account', typ: 'Bearer', azp: 'mcp-client', scope: 'openid mcp' },
    verdict: { refused: 'Token audience is not this server' } },
  { provider: 'Keycloak', what: 'ID token, audience mapper set to add to ID tokens too', typ: 'JWT',
    claims: { ...user, ...idTokenFor(['mcp-client', RESOURCE]), typ: 'ID', azp: 'mcp-client', at_hash: 'h' },
    verdict: { refused: 'Token is not an access token (it carries at_hash, which access tokens do not)' } },
  { provider: 'Keycloak', what: 'ID token naming this server, without hashes', typ: 'JWT', claims: { ...user, ...idTokenFor(RESOURCE), typ: 'ID', azp: 'mcp-client', scope: 'openid' },
    verdict: { refused: 'Token is not an access token (its typ claim is not Bearer)' } },
  // Amazon Cognito: no typ; access tokens carry token_use access and client_id but no aud; ID tokens aud = the client.
  { provider: 'Cognito', what: 'access token (no aud claim)', claims: { ...user, token_use: 'access', client_id: CLIENT, scope: 'mcp/tools', username: 'u' },
    verdict: { refused: 'Token has no aud claim: it is not bound to this server' } },
  { provider: 'Cognito', what: 'ID token', claims: { ...user, ...idTokenFor(CLIENT), token_use: 'id', 'cognito:username': 'u', nonce: 'n-1' },
    verdict: { refused: 'Token audience is not this server' } },
  { provider: 'Cognito', what: 'ID token naming this server', claims: { ...user, ...idTokenFor(RESOURCE), token_use: 'id', 'cognito:username': 'u' },
    verdict: { refused: 'Token is not an access token (token_use is not access)' } },
];

const KEYS: Record<'RS256' | 'ES256', { privateKey: KeyObject; publicKey: KeyObject }> = {
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
};

let issuerUrl = '';
let server: Server;
before(async () => {
  const jwks = { keys: await Promise.all(Object.entries(KEYS).map(async ([alg, pair]) => ({ ...(await exportJWK(pair.publicKey)), kid: alg, alg, use: 'sig' }))) };
  server = createServer((req, res) => {
    const json = (body: unknown) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/.well-known/openid-configuration') return json({ issuer: issuerUrl, jwks_uri: `${issuerUrl}/keys` });
    if (req.url === '/keys') return json(jwks);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuerUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));

function mint(shape: Shape, alg: keyof typeof KEYS): Promise<string> {
  return new SignJWT({ ...shape.claims }).setProtectedHeader({ alg, kid: alg, ...(shape.typ ? { typ: shape.typ } : {}) })
    .setIssuer(issuerUrl).setExpirationTime('5m').sign(KEYS[alg].privateKey);
}

async function oauth(flags: Record<string, string> = {}): Promise<Auth> {
  return (await createAuth(loadHttpConfig({ oauthIssuer: issuerUrl, resourceUrl: RESOURCE, ...flags }, {}), recordingLog().log))!;
}

for (const provider of [...new Set(SHAPES.map((s) => s.provider))]) {
  test(`${provider}: an access token bound to this resource URL gets in; ID tokens and tokens bound elsewhere do not (RS256 and ES256)`, async () => {
    const auth = await oauth();
    for (const shape of SHAPES.filter((s) => s.provider === provider)) {
      for (const alg of ['RS256', 'ES256'] as const) {
        const token = await mint(shape, alg);
        const label = `${shape.what} (${alg})`;
        if ('clientId' in shape.verdict) {
          const info = await auth.verifyAccessToken(token);
          assert.equal(info.clientId, shape.verdict.clientId, label);
          assert.equal(info.extra?.['principal'], `${issuerUrl}#user-7`, label);
          assert.ok(info.scopes.length > 0, label);
        } else {
          assert.equal((await refusal(auth, token)).message, shape.verdict.refused, label);
        }
      }
    }
  });
}

test('the grant is read from scope or scp alike: Okta\'s array, the others\' space-separated strings', async () => {
  const auth = await oauth();
  for (const shape of SHAPES.filter((s) => 'clientId' in s.verdict)) {
    const scopes = (await auth.verifyAccessToken(await mint(shape, 'ES256'))).scopes;
    assert.ok(scopes.some((s) => s === 'mcp' || s === 'mcp.tools' || s === 'mcp/tools'), `${shape.provider} ${shape.what}: ${scopes.join(' ')}`);
  }
});

test('strict mode (--oauth-require-at-jwt) accepts only the RFC 9068 profile: Auth0\'s here, no other provider\'s default', async () => {
  const auth = await oauth({ oauthRequireAtJwt: 'true' });
  assert.equal(auth.summary['requireAtJwt'], true);
  for (const shape of SHAPES.filter((s) => 'clientId' in s.verdict)) {
    const token = await mint(shape, 'RS256');
    if (shape.typ === 'at+jwt') assert.equal((await auth.verifyAccessToken(token)).clientId, CLIENT);
    else assert.equal((await refusal(auth, token)).message, 'Token is not an access token (typ must be at+jwt)', `${shape.provider} ${shape.what}`);
  }
});
