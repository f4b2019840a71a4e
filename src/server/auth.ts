// Who is calling over HTTP: static bearer tokens, or OAuth 2.1 access tokens (JWTs) from one issuer. This only
// answers "which principal is this"; the cluster is always reached with the connection's own identity, and the
// caller's token never leaves this process (the MCP spec forbids token passthrough).
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRemoteJWKSet, errors as jose, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import {
  getOAuthProtectedResourceMetadataUrl, OAuthError, OAuthErrorCode,
  type AuthInfo, type OAuthProtectedResourceMetadata, type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';
import { buildDiscoveryUrls } from '@modelcontextprotocol/client';
import { ConfigError, type HttpConfig } from '../config.ts';
import type { Logger } from '../log.ts';

/** A 401: the token is unknown, expired or otherwise not acceptable. */
export function invalidToken(message: string): OAuthError {
  return new OAuthError(OAuthErrorCode.InvalidToken, message);
}

/** A static token shorter than this is refused at start: it could be guessed. */
export const MIN_TOKEN_LENGTH = 16;

export interface Auth extends OAuthTokenVerifier {
  mode: 'static' | 'oauth';
  requiredScopes: string[];
  /** OAuth only: where RFC 9728 metadata is served, and what it says. */
  resourceMetadata?: { url: string; path: string; document: OAuthProtectedResourceMetadata };
  /** For the start-up log line: never a token. */
  summary: Record<string, unknown>;
}

/** The principal a verified request acts as: sessions belong to it and rate limits count per it. */
export function principalOf(auth: AuthInfo | undefined): string {
  const principal = auth?.extra?.['principal'];
  return typeof principal === 'string' ? principal : 'anonymous';
}

// --- static tokens -------------------------------------------------------------------------------------

export interface StaticToken {
  principal: string;
  /** SHA-256 of the token: equal-length digests make the comparison constant-time whatever the input. */
  digest: Buffer;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Tokens separated by newlines or commas, `#` comments ignored; each `token` or `name:token`. A name makes the
 * principal stable across a rotation (old and new token under one name); without one, the principal is a
 * short fingerprint of the token. Pure: the source only names where the tokens came from in errors.
 */
export function parseTokens(text: string, source: string): StaticToken[] {
  const entries = text.split(/[\n,]/).map((line) => line.replace(/#.*/s, '').trim()).filter(Boolean);
  if (entries.length === 0) throw new ConfigError([`${source} holds no token`]);
  const tokens: StaticToken[] = [];
  const seen = new Map<string, string>();
  entries.forEach((entry, i) => {
    const named = /^([A-Za-z0-9._@-]{1,64}):(\S+)$/.exec(entry);
    const token = named ? named[2]! : entry;
    if (/\s/.test(token)) throw new ConfigError([`${source}: entry ${i + 1} has whitespace inside the token`]);
    if (token.length < MIN_TOKEN_LENGTH) throw new ConfigError([`${source}: entry ${i + 1} is shorter than ${MIN_TOKEN_LENGTH} characters (try: openssl rand -hex 32)`]);
    const digest = sha256(token);
    const principal = named ? `static:${named[1]}` : `static:sha256:${digest.toString('hex').slice(0, 12)}`;
    const key = digest.toString('hex');
    if (seen.has(key) && seen.get(key) !== principal) throw new ConfigError([`${source}: one token is given under two names`]);
    seen.set(key, principal);
    tokens.push({ principal, digest });
  });
  return tokens;
}

/** The token that matches, compared in constant time against every configured token (no early exit). */
export function matchToken(tokens: readonly StaticToken[], presented: string): StaticToken | undefined {
  const digest = sha256(presented);
  let match: StaticToken | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(token.digest, digest) && !match) match = token;
  }
  return match;
}

/** How often the token file is looked at: a stat per request is cheap, but not needed. */
const TOKEN_FILE_CHECK_MS = 2000;

/**
 * Tokens from a file, read again when it changes (a rotated Kubernetes Secret is swapped in place). Once it has
 * changed, exactly what it now says is accepted: a file that is emptied, unreadable, removed or invalid (a short
 * token) names nobody, so that revoking by editing the file can never leave the old tokens valid.
 */
export function tokenFile(path: string, log: Logger, now: () => number = Date.now): () => StaticToken[] {
  const source = `the token file ${path} (--auth-tokens-file or EKS_MCP_AUTH_TOKENS_FILE)`;
  const read = () => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError([`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
    }
    return parseTokens(text, source);
  };
  const version = () => {
    try {
      const s = statSync(path);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch (error) {
      return `unreadable:${(error as NodeJS.ErrnoException).code ?? 'error'}`;
    }
  };
  let tokens = read(); // at start, a file that names no valid token stops the server (ConfigError)
  let seen = version();
  let checkedAt = now();
  return () => {
    if (now() - checkedAt < TOKEN_FILE_CHECK_MS) return tokens;
    checkedAt = now();
    const current = version();
    if (current === seen) return tokens;
    seen = current;
    try {
      tokens = read();
      log.info({ tokens: tokens.length }, 'static tokens reloaded');
    } catch (error) {
      tokens = [];
      // The reason names the entry and the problem, never the token itself.
      const reason = error instanceof ConfigError ? error.problems.join('; ') : (error as Error).message;
      log.warn({ reason }, 'static token file changed and names no valid token: refusing every static token until it does');
    }
    return tokens;
  };
}

/**
 * The SDK's bearer middleware requires an expiry on every AuthInfo. A static token has none of its own, and
 * each request is verified afresh (a token removed from the file stops working at the next request), so the
 * expiry given is simply "later than now".
 */
const STATIC_VALIDITY_SECONDS = 3600;

function staticAuth(load: () => StaticToken[], count: number): Auth {
  return {
    mode: 'static',
    requiredScopes: [],
    summary: { auth: 'static', tokens: count },
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const match = matchToken(load(), token);
      if (!match) throw invalidToken('Invalid bearer token');
      return {
        token, clientId: match.principal, scopes: [],
        expiresAt: Math.floor(Date.now() / 1000) + STATIC_VALIDITY_SECONDS,
        extra: { principal: match.principal },
      };
    },
  };
}

// --- OAuth 2.1 resource server -------------------------------------------------------------------------

/** Asymmetric algorithms only: a JWKS of public keys cannot verify HMAC, and `none` is never acceptable. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Scopes from RFC 9068's `scope` (space-separated) or the `scp` claim some issuers use instead. */
export function scopesOf(payload: JWTPayload): string[] {
  const raw = payload['scope'] ?? payload['scp'];
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

/** Why a JWT was refused, as the client may read it in WWW-Authenticate: nothing about keys or the cluster. */
export function tokenRefusal(error: unknown): OAuthError {
  if (error instanceof jose.JWTExpired) return invalidToken('Token has expired');
  if (error instanceof jose.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return invalidToken(error.reason === 'missing' ? 'Token has no aud claim: it is not bound to this server' : 'Token audience is not this server');
    if (error.claim === 'iss') return invalidToken('Token issuer is not trusted');
    if (error.claim === 'nbf' || error.claim === 'iat') return invalidToken('Token is not yet valid');
    return invalidToken(error.reason === 'missing' ? `Token lacks the ${error.claim} claim` : `Token claim ${error.claim} is invalid`);
  }
  if (error instanceof jose.JWSSignatureVerificationFailed) return invalidToken('Token signature is invalid');
  if (error instanceof jose.JWKSNoMatchingKey || error instanceof jose.JWKSMultipleMatchingKeys) return invalidToken('Token is signed with a key the issuer does not publish');
  if (error instanceof jose.JOSEAlgNotAllowed) return invalidToken('Token algorithm is not allowed');
  if (error instanceof jose.JWTInvalid || error instanceof jose.JWSInvalid || error instanceof jose.JOSENotSupported) return invalidToken('Token is not a valid JWT');
  // The issuer's keys could not be fetched: not the client's fault, so not a 401 that would send it to re-authorize.
  return new OAuthError(OAuthErrorCode.ServerError, 'Tokens cannot be verified right now');
}

/**
 * jwks_uri from the issuer's RFC 8414 (or OpenID) metadata, which must name the same issuer. Fetched here rather
 * than with the SDK's client-side discovery, whose schema also demands what only an OAuth client needs
 * (authorization_endpoint); the SDK still says where to look.
 */
export async function discoverJwks(issuer: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const tried: string[] = [];
  for (const { url } of buildDiscoveryUrls(issuer)) {
    let res: Response;
    try {
      res = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000), redirect: 'error' });
    } catch (error) {
      tried.push(`${url.href}: ${(error as Error).message}`);
      continue;
    }
    if (!res.ok) {
      tried.push(`${url.href}: HTTP ${res.status}`);
      await res.body?.cancel();
      continue;
    }
    const metadata = (await res.json().catch(() => ({}))) as { issuer?: unknown; jwks_uri?: unknown };
    if (typeof metadata.issuer !== 'string' || metadata.issuer.replace(/\/$/, '') !== issuer.replace(/\/$/, '')) {
      throw new Error(`the metadata at ${url.href} names another issuer (${String(metadata.issuer)}): refusing it (RFC 8414 §3.3)`);
    }
    if (typeof metadata.jwks_uri !== 'string') throw new Error(`the OAuth issuer's metadata at ${url.href} has no jwks_uri: give --oauth-jwks-url`);
    return metadata.jwks_uri;
  }
  throw new Error(`cannot read the OAuth issuer's metadata (${tried.join('; ')}): give --oauth-jwks-url to skip discovery`);
}

async function oauthAuth(http: HttpConfig): Promise<Auth> {
  const issuer = http.oauthIssuer!;
  const resource = http.resourceUrl!;
  const jwksUrl = http.oauthJwksUrl ?? await discoverJwks(issuer);
  const jwks = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
  const requiredScopes = http.oauthScopes ?? [];
  const url = getOAuthProtectedResourceMetadataUrl(new URL(resource));
  return {
    mode: 'oauth',
    requiredScopes,
    resourceMetadata: {
      url,
      path: new URL(url).pathname,
      document: {
        resource,
        authorization_servers: [issuer],
        ...(requiredScopes.length ? { scopes_supported: requiredScopes } : {}),
        bearer_methods_supported: ['header'],
        resource_name: 'eks-rbac-mcp',
      },
    },
    summary: { auth: 'oauth', issuer, resource, jwksUrl, requiredScopes, ...(http.oauthRequireAtJwt ? { requireAtJwt: true } : {}) },
    verifyAccessToken: (token: string) => verifyJwt(token, jwks, { issuer, resource, requireAtJwt: http.oauthRequireAtJwt }),
  };
}

/** RFC 9068's media type for JWT access tokens, as `typ` may spell it (`application/` is optional, case ignored). */
function isAccessTokenType(typ: string): boolean {
  return typ.toLowerCase().replace(/^application\//, '') === 'at+jwt';
}

/** The generic JWT media type (RFC 7519 §5.1), which says nothing about what the token is for. */
function isGenericJwtType(typ: string): boolean {
  return typ.toLowerCase().replace(/^application\//, '') === 'jwt';
}

/**
 * Claims that ID tokens carry and access tokens do not (OpenID Connect Core §2, §3.1.3.6, §3.3.2.11; FAPI's s_hash),
 * and the `events` of logout tokens and other security event tokens (RFC 8417).
 */
export const NOT_ACCESS_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash', 'events'] as const;

/**
 * Why a signed JWT for this audience is not provably an access token, or undefined when it is. RFC 9068's
 * `typ: at+jwt` says so by itself, and with `requireAtJwt` nothing else does. Many issuers label access tokens as
 * plain JWTs (Entra ID always; Auth0 and Keycloak by default) or not at all (Okta, Cognito); such a token counts only
 * when it carries its grant (`scope` or `scp`, which ID tokens do not carry), no claim that ID tokens carry, and no
 * label of another kind: Cognito's `token_use` must say `access`, Keycloak's `typ` claim `Bearer` (its ID tokens say `ID`).
 */
export function accessTokenRefusal(typ: unknown, payload: JWTPayload, requireAtJwt = false): string | undefined {
  if (typeof typ === 'string' && isAccessTokenType(typ)) return undefined;
  if (requireAtJwt) return 'Token is not an access token (typ must be at+jwt)';
  if (typ !== undefined && (typeof typ !== 'string' || !isGenericJwtType(typ))) return 'Token is not an access token (typ must be at+jwt or JWT)';
  const idTokenClaim = NOT_ACCESS_TOKEN_CLAIMS.find((claim) => payload[claim] !== undefined);
  if (idTokenClaim) return `Token is not an access token (it carries ${idTokenClaim}, which access tokens do not)`;
  if (payload['token_use'] !== undefined && payload['token_use'] !== 'access') return 'Token is not an access token (token_use is not access)';
  if (payload['typ'] !== undefined && payload['typ'] !== 'Bearer') return 'Token is not an access token (its typ claim is not Bearer)';
  if (scopesOf(payload).length === 0) return 'Token is not provably an access token: without typ at+jwt it must carry its grant in scope or scp';
  return undefined;
}

/** Client id claims, in order: RFC 9068's client_id, OpenID's azp, Entra ID v1's appid, Okta's cid. */
const CLIENT_ID_CLAIMS = ['client_id', 'azp', 'appid', 'cid'];

/**
 * Verifies one JWT access token against the issuer's keys and this server's resource URL. Beyond signature,
 * issuer, audience and expiry: `sub` must be a non-empty string (it is the principal), and the token must be
 * provably an access token (accessTokenRefusal), so that an ID token or another JWT of the same issuer for the same
 * audience is not taken for one.
 */
export async function verifyJwt(token: string, keys: JWTVerifyGetKey, expected: { issuer: string; resource: string; requireAtJwt?: boolean }): Promise<AuthInfo> {
  let payload: JWTPayload;
  let typ: unknown;
  try {
    ({ payload, protectedHeader: { typ } } = await jwtVerify(token, keys, {
      issuer: expected.issuer, audience: expected.resource, algorithms: ALGORITHMS, requiredClaims: ['exp', 'sub'], clockTolerance: 30,
    }));
  } catch (error) {
    throw tokenRefusal(error);
  }
  const notAccess = accessTokenRefusal(typ, payload, expected.requireAtJwt);
  if (notAccess) throw invalidToken(notAccess);
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub === '') throw invalidToken('Token claim sub is invalid');
  const clientId = CLIENT_ID_CLAIMS.map((claim) => payload[claim]).find((v: unknown): v is string => typeof v === 'string' && v !== '') ?? sub;
  return {
    token, clientId, scopes: scopesOf(payload), expiresAt: payload.exp, resource: new URL(expected.resource),
    extra: { principal: `${payload.iss}#${sub}` },
  };
}

// --- failed authentication ---------------------------------------------------------------------------------

export interface ThrottleOptions {
  /**
   * Failures an address may have before it must wait (the last of them starts the wait). Generous: a static
   * token has at least 16 characters and a JWT a signature, so the wait is against floods, not lucky guesses.
   */
  free?: number;
  baseMs?: number;
  maxMs?: number;
  /** A failure older than this is forgotten. */
  windowMs?: number;
  /** Addresses remembered at most: a spray of addresses cannot grow memory without bound. */
  maxAddresses?: number;
  now?: () => number;
}

interface Failures {
  count: number;
  lastMs: number;
  retryAtMs: number;
}

/**
 * Exponential backoff per client address after repeated failed authentications. It only ever holds back
 * failures: a request whose token verifies goes through whatever its address did before (many clients may share
 * one address behind a proxy; an attacker there must not lock them out).
 */
export class FailedAuthThrottle {
  private readonly byAddress = new Map<string, Failures>();
  private readonly free: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(options: ThrottleOptions = {}) {
    this.free = options.free ?? 20;
    this.baseMs = options.baseMs ?? 1000;
    this.maxMs = options.maxMs ?? 60_000;
    this.windowMs = options.windowMs ?? 10 * 60_000;
    this.maxAddresses = options.maxAddresses ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds this address must wait before a failed attempt is answered again; 0 when it need not. */
  waitSeconds(address: string): number {
    const entry = this.current(address);
    const ms = entry ? entry.retryAtMs - this.now() : 0;
    return ms > 0 ? Math.ceil(ms / 1000) : 0;
  }

  failed(address: string): void {
    const now = this.now();
    const count = (this.current(address)?.count ?? 0) + 1;
    const over = count - this.free + 1;
    const retryAtMs = over > 0 ? now + Math.min(this.maxMs, this.baseMs * 2 ** Math.min(over - 1, 30)) : 0;
    this.byAddress.delete(address); // re-inserted last: the map's order is least recently failed first
    this.byAddress.set(address, { count, lastMs: now, retryAtMs });
    if (this.byAddress.size > this.maxAddresses) this.prune();
  }

  get size(): number {
    return this.byAddress.size;
  }

  private current(address: string): Failures | undefined {
    const entry = this.byAddress.get(address);
    if (entry && this.now() - entry.lastMs > this.windowMs && this.now() >= entry.retryAtMs) {
      this.byAddress.delete(address);
      return undefined;
    }
    return entry;
  }

  private prune(): void {
    for (const address of this.byAddress.keys()) {
      if (this.byAddress.size <= this.maxAddresses * 0.9) break;
      this.byAddress.delete(address); // least recently failed first
    }
  }
}

/** The bearer token of a request, if it carries one. */
function bearerOf(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/**
 * Runs before the bearer middleware: counts each 401 for a presented bearer token against the client's address
 * (a request without one is a client starting its OAuth flow, not a guess) and, while the address must wait,
 * answers 429 with Retry-After to any request whose token does not verify. A valid token always passes.
 */
export function failedAuthGuard(auth: Auth, throttle: FailedAuthThrottle, log: Logger) {
  return (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    const address = req.socket.remoteAddress ?? 'unknown';
    const token = bearerOf(req);
    if (token === undefined) return next(); // the bearer middleware answers 401; nothing was guessed
    const wait = throttle.waitSeconds(address);
    if (wait === 0) {
      res.once('finish', () => {
        if (res.statusCode === 401) throttle.failed(address);
      });
      next();
      return;
    }
    auth.verifyAccessToken(token).then(() => true, () => false).then((ok) => {
      if (ok) return next();
      throttle.failed(address);
      log.warn({ address, retryAfterSeconds: wait }, 'repeated failed authentication from one address: backing off');
      res.statusCode = 429;
      res.setHeader('Retry-After', String(wait));
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ error: 'too_many_requests', error_description: `Too many failed authentications from this address: retry after ${wait} seconds` }));
    }, next);
  };
}

/** The configured authentication, or undefined when the server runs without it (loopback or told to). */
export async function createAuth(http: HttpConfig, log: Logger): Promise<Auth | undefined> {
  if (http.authTokensFile) {
    const load = tokenFile(http.authTokensFile, log);
    return staticAuth(load, load().length);
  }
  if (http.authTokens) {
    const tokens = parseTokens(http.authTokens, 'EKS_MCP_AUTH_TOKENS');
    return staticAuth(() => tokens, tokens.length);
  }
  if (http.oauthIssuer) return oauthAuth(http);
  return undefined;
}
