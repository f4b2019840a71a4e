import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mintToken, TOKEN_PREFIX, encodeToken } from '../../src/aws/token.ts';
import { EksTokenAuthenticator } from '../../src/aws/eks-auth.ts';
import { CachedCredentials } from '../../src/aws/credentials.ts';
import { botocoreToken, decode, randomCredentials, signedAt } from './token-helpers.ts';

// botocore's token for made-up credentials, minted by the same code as `aws eks get-token` at run time; the AWS CLI
// itself, in every partition and endpoint setting, is test/token-botocore.test.ts (too slow to re-run per mutant).
test('the token equals, byte for byte, the one botocore mints for the same credentials at the same instant', async () => {
  const credentials = randomCredentials();
  const theirs = botocoreToken(credentials, 'prod_cluster-2', 'eu-west-3');
  const ours = await mintToken({ credentials, region: 'eu-west-3', clusterName: 'prod_cluster-2', now: signedAt(theirs) });
  assert.equal(ours.token, theirs);
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
  let answer!: () => void;
  const answered = new Promise<void>((resolve) => { answer = resolve; });
  const cached = new CachedCredentials(async () => {
    fetched += 1;
    await answered; // the first fetch is still in flight when the second caller asks
    return { accessKeyId: `K${fetched}`, secretAccessKey: 's', expiration: new Date(clock.getTime() + 15 * 60_000) };
  }, () => clock);
  const both = Promise.all([cached.get(), cached.get()]);
  answer();
  const [a, b] = await both;
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
