import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mintToken, TOKEN_PREFIX, encodeToken } from '../../src/aws/token.ts';
import { resolveStsEndpoint, stsEndpointOptions } from '../../src/aws/sts-endpoint.ts';
import { EksTokenAuthenticator } from '../../src/aws/eks-auth.ts';
import { CachedCredentials } from '../../src/aws/credentials.ts';

function awsGetToken(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string }, cluster: string, region: string, settings: Record<string, string> = {}): string {
  const out = execFileSync('aws', ['eks', 'get-token', '--cluster-name', cluster, '--region', region, '--output', 'json'], {
    env: {
      PATH: process.env['PATH'], HOME: '/nonexistent', ...settings,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_SESSION_TOKEN: credentials.sessionToken,
    },
  }).toString();
  return (JSON.parse(out) as { status: { token: string } }).status.token;
}

function decode(token: string): URL {
  return new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

/** The instant botocore signed at, from its X-Amz-Date. */
function signedAt(token: string): Date {
  const d = decode(token).searchParams.get('X-Amz-Date')!;
  return new Date(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`);
}

test('the token equals, byte for byte, the one `aws eks get-token` (botocore) mints for the same credentials and instant', async () => {
  for (const [cluster, region] of [['local-eks', 'us-east-1'], ['prod_cluster-2', 'eu-west-3']] as const) {
    const credentials = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      // Session tokens carry '/', '+' and '=': they must be percent-encoded exactly as botocore does.
      sessionToken: `IQoJb3JpZ2luX2Vj/${randomBytes(60).toString('base64')}+=`,
    };
    const theirs = awsGetToken(credentials, cluster, region);
    const ours = await mintToken({ credentials, region, clusterName: cluster, now: signedAt(theirs) });
    assert.equal(ours.token, theirs);
  }
});

function randomCredentials() {
  return {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `IQoJb3JpZ2luX2Vj/${randomBytes(60).toString('base64')}+=`,
  };
}

/** Our token and botocore's, for the same credentials, instant and endpoint settings (given to both as environment). */
async function bothTokens(region: string, settings: Record<string, string> = {}): Promise<{ ours: string; theirs: string }> {
  const credentials = randomCredentials();
  const theirs = awsGetToken(credentials, 'c1', region, settings);
  const saved = { ...process.env };
  Object.assign(process.env, settings); // the SDK reads FIPS and dual-stack settings from the environment itself
  try {
    const sts = await resolveStsEndpoint(region, stsEndpointOptions(settings));
    return { ours: (await mintToken({ credentials, region, clusterName: 'c1', now: signedAt(theirs), sts })).token, theirs };
  } finally {
    for (const key of Object.keys(settings)) if (saved[key] === undefined) delete process.env[key]; else process.env[key] = saved[key];
  }
}

test('in every partition the token points at the STS host botocore uses, and equals its token byte for byte', async () => {
  const hosts: Record<string, string> = {
    'us-east-1': 'sts.us-east-1.amazonaws.com',
    'eu-west-1': 'sts.eu-west-1.amazonaws.com',
    'cn-north-1': 'sts.cn-north-1.amazonaws.com.cn',
    'cn-northwest-1': 'sts.cn-northwest-1.amazonaws.com.cn',
    'us-gov-west-1': 'sts.us-gov-west-1.amazonaws.com',
    'us-iso-east-1': 'sts.us-iso-east-1.c2s.ic.gov',
    'us-isob-east-1': 'sts.us-isob-east-1.sc2s.sgov.gov',
    'eusc-de-east-1': 'sts.eusc-de-east-1.amazonaws.eu',
  };
  for (const [region, host] of Object.entries(hosts)) {
    const { ours, theirs } = await bothTokens(region);
    assert.equal(decode(theirs).host, host, `botocore's host for ${region}`);
    assert.equal(ours, theirs, region);
  }
});

test('AWS_STS_REGIONAL_ENDPOINTS=legacy, AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT pick the host botocore picks', async () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['us-east-1', { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' }, 'sts.amazonaws.com'],
    ['eu-west-1', { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' }, 'sts.amazonaws.com'], // signed for us-east-1, as botocore does
    ['cn-north-1', { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' }, 'sts.cn-north-1.amazonaws.com.cn'],
    ['us-east-1', { AWS_STS_REGIONAL_ENDPOINTS: 'regional' }, 'sts.us-east-1.amazonaws.com'],
    ['us-east-1', { AWS_USE_FIPS_ENDPOINT: 'true' }, 'sts-fips.us-east-1.amazonaws.com'],
    ['us-gov-west-1', { AWS_USE_FIPS_ENDPOINT: 'true' }, 'sts.us-gov-west-1.amazonaws.com'],
    ['us-east-1', { AWS_USE_DUALSTACK_ENDPOINT: 'true' }, 'sts.us-east-1.api.aws'],
    ['cn-north-1', { AWS_USE_DUALSTACK_ENDPOINT: 'true' }, 'sts.cn-north-1.api.amazonwebservices.com.cn'],
  ];
  for (const [region, settings, host] of cases) {
    const { ours, theirs } = await bothTokens(region, settings);
    assert.equal(decode(theirs).host, host, `botocore's host for ${region} with ${JSON.stringify(settings)}`);
    assert.equal(ours, theirs, `${region} with ${JSON.stringify(settings)}`);
  }
});

test('the token is a presigned GetCallerIdentity URL with x-k8s-aws-id signed and a 60 s URL expiry', async () => {
  const now = new Date('2026-11-27T08:00:00Z');
  const { token, expiresAt } = await mintToken({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, region: 'us-west-2', clusterName: 'c1', now });
  assert.ok(token.startsWith(TOKEN_PREFIX));
  assert.doesNotMatch(token, /=/, 'unpadded base64url');
  const url = decode(token);
  assert.equal(url.host, 'sts.us-west-2.amazonaws.com');
  assert.equal(url.pathname, '/');
  assert.equal(url.searchParams.get('Action'), 'GetCallerIdentity');
  assert.equal(url.searchParams.get('X-Amz-Expires'), '60');
  assert.equal(url.searchParams.get('X-Amz-SignedHeaders'), 'host;x-k8s-aws-id');
  assert.equal(url.searchParams.get('X-Amz-Security-Token'), null, 'no session token for long-term keys');
  assert.equal(expiresAt.toISOString(), '2026-11-27T08:15:00.000Z');
});

test('encodeToken orders parameters as botocore does, whatever order they come in', () => {
  const token = encodeToken('sts.us-east-1.amazonaws.com', { 'X-Amz-Signature': 's', Version: '2011-06-15', Action: 'GetCallerIdentity', 'X-Amz-Date': 'd' });
  assert.equal(decode(token).search, '?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Date=d&X-Amz-Signature=s');
});

test('a token is reused until a minute before it lapses, then minted afresh; a refresh forces a new one', async () => {
  let clock = new Date('2026-11-27T08:00:00Z');
  let fetched = 0;
  const credentials = new CachedCredentials(async () => {
    fetched += 1;
    return { accessKeyId: `AKID${fetched}`, secretAccessKey: 's', expiration: new Date(clock.getTime() + 3600_000) };
  }, () => clock);
  const auth = new EksTokenAuthenticator(credentials, 'us-east-1', 'c', () => clock);
  const first = await auth.token();
  clock = new Date(clock.getTime() + 13 * 60_000);
  assert.equal((await auth.token()).token, first.token, 'still 2 minutes from lapsing: reused');
  clock = new Date(clock.getTime() + 61_000);
  const second = await auth.token();
  assert.notEqual(second.token, first.token, 'within the last minute: minted again');
  assert.equal(auth.mintCount, 2);
  assert.equal(fetched, 1, 'credentials still valid: not fetched again');
  await auth.refresh();
  await auth.token();
  assert.equal(auth.mintCount, 3, 'a 401 mints afresh');
  assert.equal(fetched, 1, 'and keeps the credentials, which may be all there is while STS is down');
});

test('credentials are refreshed five minutes before they expire, and concurrent callers share one fetch', async () => {
  let clock = new Date('2026-11-27T08:00:00Z');
  let fetched = 0;
  const cached = new CachedCredentials(async () => {
    fetched += 1;
    await new Promise((r) => setTimeout(r, 10));
    return { accessKeyId: `K${fetched}`, secretAccessKey: 's', expiration: new Date(clock.getTime() + 15 * 60_000) };
  }, () => clock);
  const [a, b] = await Promise.all([cached.get(), cached.get()]);
  assert.equal(a.accessKeyId, 'K1');
  assert.equal(b.accessKeyId, 'K1');
  clock = new Date(clock.getTime() + 9 * 60_000);
  assert.equal((await cached.get()).accessKeyId, 'K1');
  clock = new Date(clock.getTime() + 61_000);
  assert.equal((await cached.get()).accessKeyId, 'K2');
});

test('encodeToken percent-encodes as RFC 3986 (botocore): only A-Z a-z 0-9 - _ . ~ stay as they are', () => {
  const token = encodeToken('sts.eu-west-1.amazonaws.com', { 'X-Amz-Security-Token': "aZ09-_.~!'()*/+= &é" });
  assert.ok(token.startsWith(TOKEN_PREFIX));
  assert.equal(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'),
    'https://sts.eu-west-1.amazonaws.com/?X-Amz-Security-Token=aZ09-_.~%21%27%28%29%2A%2F%2B%3D%20%26%C3%A9');
});

test('encodeToken: all nine parameters in botocore\'s order, nothing else', () => {
  const names = ['X-Amz-Signature', 'X-Amz-Security-Token', 'X-Amz-SignedHeaders', 'X-Amz-Expires', 'X-Amz-Date', 'X-Amz-Credential', 'X-Amz-Algorithm',
    'Version', 'Action'];
  const query: Record<string, string> = Object.fromEntries(names.map((n, i) => [n, `v${i}`]));
  const token = encodeToken('h', { ...query, 'x-k8s-aws-id': 'injected', Other: 'x' });
  assert.equal(decode(token).search,
    '?Action=v8&Version=v7&X-Amz-Algorithm=v6&X-Amz-Credential=v5&X-Amz-Date=v4&X-Amz-Expires=v3&X-Amz-SignedHeaders=v2&X-Amz-Security-Token=v1&X-Amz-Signature=v0');
  assert.equal(decode(encodeToken('h', {})).href, 'https://h/?');
});

test('a token is signed at the whole second, and lapses 15 minutes after it', async () => {
  const now = new Date('2026-11-27T08:00:00.999Z');
  const { token, expiresAt } = await mintToken({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'st/+=' }, region: 'eu-west-1', clusterName: 'c1', now });
  const url = decode(token);
  assert.equal(url.searchParams.get('X-Amz-Date'), '20261127T080000Z');
  assert.equal(url.searchParams.get('X-Amz-Credential'), 'AKIDEXAMPLE/20261127/eu-west-1/sts/aws4_request');
  assert.equal(url.searchParams.get('X-Amz-Security-Token'), 'st/+=');
  assert.equal(url.searchParams.get('Version'), '2011-06-15');
  assert.equal(expiresAt.toISOString(), '2026-11-27T08:15:00.000Z');
  const sameSecond = await mintToken({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'st/+=' }, region: 'eu-west-1', clusterName: 'c1',
    now: new Date('2026-11-27T08:00:00.000Z') });
  assert.equal(sameSecond.token, token, 'the same second signs the same token');
});

test('without a given instant, a token is signed now', async () => {
  const before = Math.floor(Date.now() / 1000) * 1000;
  const { token, expiresAt } = await mintToken({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, region: 'us-east-1', clusterName: 'c1' });
  const after = Date.now();
  const signed = signedAt(token).getTime();
  assert.ok(signed >= before && signed <= after, `signed at ${new Date(signed).toISOString()}`);
  assert.equal(expiresAt.getTime(), signed + 15 * 60_000);
});
