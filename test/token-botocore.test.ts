// Our EKS token against an independent reference: `aws eks get-token` (botocore), byte for byte, in every partition
// and endpoint setting. It spawns the AWS CLI for each case (about 20 s), so it lives outside test/unit/, which the
// mutation run re-runs for each mutant; test/unit/token.test.ts compares with botocore's token generator called directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mintToken } from '../src/aws/token.ts';
import { resolveStsEndpoint, stsEndpointOptions } from '../src/aws/sts-endpoint.ts';
import { credentialEnv, decode, randomCredentials, signedAt } from './unit/token-helpers.ts';

function awsGetToken(credentials: ReturnType<typeof randomCredentials>, cluster: string, region: string, settings: Record<string, string> = {}): string {
  const out = execFileSync('aws', ['eks', 'get-token', '--cluster-name', cluster, '--region', region, '--output', 'json'], { env: credentialEnv(credentials, settings) }).toString();
  return (JSON.parse(out) as { status: { token: string } }).status.token;
}

test('the token equals, byte for byte, the one `aws eks get-token` (botocore) mints for the same credentials and instant', async () => {
  for (const [cluster, region] of [['local-eks', 'us-east-1'], ['prod_cluster-2', 'eu-west-3']] as const) {
    const credentials = randomCredentials(); // its session token's '/', '+' and '=' must be percent-encoded as botocore does
    const theirs = awsGetToken(credentials, cluster, region);
    const ours = await mintToken({ credentials, region, clusterName: cluster, now: signedAt(theirs) });
    assert.equal(ours.token, theirs);
  }
});

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
