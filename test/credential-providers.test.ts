// The agent host's credentials, from each step of the default chain, through the bundled CLI (dist/cli.js): the
// providers the chain imports lazily must have survived esbuild, and `doctor` names the one that answered.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { cliPath, eksArgs, root, useCluster } from './helpers.ts';
import { TOKEN_PREFIX } from '../src/aws/token.ts';

const cluster = await useCluster();
const dir = mkdtempSync(join(tmpdir(), 'eks-mcp-credentials-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Only what the test gives: no keys from the developer's environment or ~/.aws. */
function baseEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '', HOME: dir, AWS_ENDPOINT_URL_STS: cluster.sts.url, AWS_ENDPOINT_URL_IAM: cluster.sts.url, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

/** The bundled CLI, run without blocking: the proxy and endpoints it talks to live in this process. */
function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * A real moto session, what a container endpoint, IMDS or SSO hands out: the agent role, assumed by the host user
 * as session pods-reader. The server then runs without --role-arn, on these credentials as they are.
 */
async function sessionCredentials() {
  const sts = new STSClient({ region: cluster.region, endpoint: cluster.sts.url, credentials: { accessKeyId: cluster.sts.hostUser.accessKeyId, secretAccessKey: cluster.sts.hostUser.secretAccessKey } });
  const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: cluster.sts.roles['eks-mcp-agent']!, RoleSessionName: 'pods-reader', DurationSeconds: 3600 }));
  sts.destroy();
  return Credentials!;
}

/** The connection as the chain's credentials are (no AssumeRole): the session above, mapped to eks-agent:pods-reader. */
const asChainGives = eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')
  .filter((arg, i, all) => !['--role-arn', '--binding-role'].includes(arg) && !['--role-arn', '--binding-role'].includes(all[i - 1]!));

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${body}`);
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

async function doctorSource(env: Record<string, string>, args = eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')): Promise<string> {
  const run = await cli(['doctor', ...args], env);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^identity\s+eks-agent:pods-reader /m);
  return /^source\s+(.*)$/m.exec(run.stdout)?.[1] ?? '(no source line)';
}

test('static keys and a profile\'s keys: doctor names them', async () => {
  const keys = { AWS_ACCESS_KEY_ID: cluster.sts.hostUser.accessKeyId, AWS_SECRET_ACCESS_KEY: cluster.sts.hostUser.secretAccessKey };
  assert.match(await doctorSource(baseEnv(keys)), /^static keys \(AWS_ACCESS_KEY_ID \/ AWS_SECRET_ACCESS_KEY\), then AssumeRole$/);
  const credentialsFile = join(dir, 'credentials');
  writeFileSync(credentialsFile, `[dev]\naws_access_key_id = ${keys.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${keys.AWS_SECRET_ACCESS_KEY}\n`);
  assert.match(await doctorSource(baseEnv({ AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_PROFILE: 'dev' })), /^profile dev \(static keys/);
});

test('credential_process in a profile (the ini and process providers, loaded lazily, are in the bundle)', async () => {
  const session = await sessionCredentials();
  const config = join(dir, 'config');
  const output = JSON.stringify({ Version: 1, AccessKeyId: session.AccessKeyId, SecretAccessKey: session.SecretAccessKey, SessionToken: session.SessionToken, Expiration: session.Expiration!.toISOString() });
  writeFileSync(join(dir, 'process.json'), output);
  writeFileSync(config, `[profile proc]\ncredential_process = cat ${join(dir, 'process.json')}\n`);
  assert.match(await doctorSource(baseEnv({ AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), AWS_PROFILE: 'proc' }), asChainGives), /^credential_process \(profile proc\)$/);
});

test('a container credentials endpoint, as EKS Pod Identity serves it (the http provider is in the bundle)', async () => {
  const session = await sessionCredentials();
  const endpoint = await serve((req, res) => {
    if (req.headers['authorization'] !== 'pod-identity-token') {
      res.writeHead(401).end('{"message":"wrong authorization token"}');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ AccessKeyId: session.AccessKeyId, SecretAccessKey: session.SecretAccessKey, Token: session.SessionToken, Expiration: session.Expiration!.toISOString() }));
  });
  const tokenFile = join(dir, 'pod-identity-token');
  writeFileSync(tokenFile, 'pod-identity-token');
  assert.match(await doctorSource(baseEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/v1/credentials`, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile }), asChainGives),
    /^container credentials endpoint .*EKS Pod Identity[^,]*$/);
  assert.ok(endpoint.requests.some((r) => r.startsWith('GET /v1/credentials')));
});

test('SSO (IAM Identity Center) with a cached sign-in: the sso provider is in the bundle, and doctor names it', async () => {
  const session = await sessionCredentials();
  const portal = await serve((req, res) => {
    if (req.headers['x-amz-sso_bearer_token'] !== 'sso-access-token') return void res.writeHead(401).end('{"message":"bad token"}');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ roleCredentials: { accessKeyId: session.AccessKeyId, secretAccessKey: session.SecretAccessKey, sessionToken: session.SessionToken, expiration: session.Expiration!.getTime() } }));
  });
  const home = join(dir, 'sso-home');
  mkdirSync(join(home, '.aws', 'sso', 'cache'), { recursive: true });
  // What `aws sso login --sso-session corp` leaves behind: the access token, cached under the SHA-1 of the session name.
  writeFileSync(join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update('corp').digest('hex')}.json`),
    JSON.stringify({ accessToken: 'sso-access-token', expiresAt: new Date(Date.now() + 3600_000).toISOString(), region: 'us-east-1', startUrl: 'https://corp.awsapps.com/start' }));
  writeFileSync(join(home, '.aws', 'config'), ['[profile sso]', 'sso_session = corp', 'sso_account_id = 123456789012', 'sso_role_name = agent-host',
    '[sso-session corp]', 'sso_region = us-east-1', 'sso_start_url = https://corp.awsapps.com/start', ''].join('\n'));
  assert.match(await doctorSource(baseEnv({ HOME: home, AWS_PROFILE: 'sso', AWS_ENDPOINT_URL_SSO: portal.url }), asChainGives), /^SSO \(profile sso\)$/);
  assert.ok(portal.requests.some((r) => r.startsWith('GET /federation/credentials?account_id=123456789012&role_name=agent-host')));
});

test('instance metadata (IMDSv2): the imds provider is in the bundle, and doctor names it', async () => {
  const session = await sessionCredentials();
  const imds = await serve((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') return void res.end('imds-session-token');
    if (req.headers['x-aws-ec2-metadata-token'] !== 'imds-session-token') return void res.writeHead(401).end();
    if (req.url === '/latest/meta-data/iam/security-credentials/') return void res.end('agent-host');
    if (req.url === '/latest/meta-data/iam/security-credentials/agent-host') {
      return void res.end(JSON.stringify({ Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: session.AccessKeyId, SecretAccessKey: session.SecretAccessKey, Token: session.SessionToken, Expiration: session.Expiration!.toISOString(), LastUpdated: new Date().toISOString() }));
    }
    res.writeHead(404).end();
  });
  const env = baseEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url });
  delete env['AWS_EC2_METADATA_DISABLED'];
  assert.match(await doctorSource(env, asChainGives), /^instance metadata \(IMDS\)$/);
});

test('web identity (IRSA): the web-identity provider is in the bundle and sends the token file to STS', async () => {
  const sts = await serve((_req, res) => void res.writeHead(400, { 'content-type': 'text/xml' })
    .end('<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>not a real issuer</Message></Error></ErrorResponse>'));
  const tokenFile = join(dir, 'web-identity-token');
  writeFileSync(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YWdlbnQifQ.c2ln');
  const run = await cli(['token', '--cluster-name', cluster.clusterName, '--region', cluster.region, '--endpoint', cluster.endpoint, '--ca-file', cluster.caFile, '--namespaces', 'team-a'],
    baseEnv({ AWS_ENDPOINT_URL_STS: sts.url, AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/agent-host', AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile }));
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /InvalidIdentityToken|not a real issuer/, 'STS\'s refusal reaches the user');
  const call = sts.requests.find((r) => r.includes('Action=AssumeRoleWithWebIdentity'));
  assert.ok(call, `the provider called STS: ${sts.requests.join('\n')}`);
  assert.match(call, /WebIdentityToken=eyJhbGciOiJSUzI1NiJ9\.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YWdlbnQifQ\.c2ln/);
  assert.match(call, /RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fagent-host/);
});

test('token without --role-arn: the chain\'s own credentials sign it (container endpoint, from the bundle)', async () => {
  const session = await sessionCredentials();
  const endpoint = await serve((_req, res) => void res.end(JSON.stringify({ AccessKeyId: session.AccessKeyId, SecretAccessKey: session.SecretAccessKey, Token: session.SessionToken, Expiration: session.Expiration!.toISOString() })));
  const run = await cli(['token', '--cluster-name', cluster.clusterName, '--region', cluster.region, '--endpoint', cluster.endpoint, '--ca-file', cluster.caFile, '--namespaces', 'team-a'],
    baseEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/creds`, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'x' }));
  assert.equal(run.status, 0, run.stderr);
  const token = (JSON.parse(run.stdout) as { status: { token: string } }).status.token;
  const url = new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
  assert.match(url.searchParams.get('X-Amz-Credential') ?? '', new RegExp(`^${session.AccessKeyId}/`));
});

test('the bundle loads no package at run time: every lazy import (the credential providers among them) became a chunk', () => {
  const files = [join(root, 'dist', 'cli.js'), ...readdirSync(join(root, 'dist', 'chunks')).filter((f) => f.endsWith('.js')).map((f) => join(root, 'dist', 'chunks', f))];
  const bare = new Set<string>();
  for (const file of files) {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
      if (!specifier!.startsWith('.') && !specifier!.startsWith('node:')) bare.add(specifier!);
    }
  }
  // kerberos: https-proxy-agent's optional SPNEGO proxy authentication, which this server never turns on.
  assert.deepEqual([...bare].sort(), ['kerberos']);
});
