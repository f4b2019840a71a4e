// The hosted credential paths, as an agent host running in a pod on EKS takes them, through the SDK's default
// chain in the built server: IRSA (a projected service-account token traded with STS AssumeRoleWithWebIdentity)
// and EKS Pod Identity (container credentials from the agent). The tokens are real: the local API server signs
// them (TokenRequest, as the kubelet asks for them), and the emulator publishes its key as the cluster's OIDC
// issuer. Each path then assumes the agent role (--role-arn) as everywhere else, and refuses a token that is
// not the pod's.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl } from './cluster/cluster.ts';
import { connectServer, eksArgs, useCluster } from './helpers.ts';

const cluster = await useCluster();
const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-credentials-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NAMESPACE = 'team-a';
const SERVICE_ACCOUNT = 'eks-rbac-mcp'; // the one test/cluster/fixtures/iam.json associates with the host roles
const IMPOSTOR = 'eks-rbac-mcp-impostor'; // same namespace, no IRSA trust and no Pod Identity association
kubectl(cluster, ['apply', '-f', '-'], {
  input: [SERVICE_ACCOUNT, IMPOSTOR].map((name) =>
    `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}, namespace: ${NAMESPACE}}\n`).join('---\n'),
});

const minted: string[] = []; // every service-account token made here: none may reach a log

/** A service-account token from the API server, as the kubelet projects it for IRSA or Pod Identity. */
function tokenFile(serviceAccount: string, audience: string): string {
  const token = kubectl(cluster, ['create', 'token', serviceAccount, '-n', NAMESPACE, '--audience', audience, '--duration', '10m']).trim();
  minted.push(token);
  const file = join(dir, `${serviceAccount}.${audience}.token`);
  writeFileSync(file, token, { mode: 0o600 });
  return file;
}

/** A pod's environment: no AWS keys, no profile files, no instance metadata; STS and IAM at the emulator. */
function podEnv(extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: dir,
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_STS: cluster.sts.url,
    AWS_ENDPOINT_URL_IAM: cluster.sts.url,
    ...extra,
  };
}

const webhookLog = () => readFileSync(join(cluster.dir, 'eks-webhook.log'), 'utf8');

function assertNoTokenIn(text: string, where: string): void {
  for (const token of minted) assert.ok(!text.includes(token.split('.')[2]!), `a service-account token reached ${where}`);
}

async function assertServes(env: Record<string, string>): Promise<void> {
  // --show-iam-identity: whoami names the assumed role, the proof of which identity the cluster saw.
  const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader', NAMESPACE), '--show-iam-identity'], env);
  try {
    const names = (await session.client.listTools()).tools.map((t) => t.name);
    assert.deepEqual(names, ['whoami', 'can_i', 'pods_list', 'pods_get', 'pods_log', 'resources_describe']);
    const whoami = await session.client.callTool({ name: 'whoami', arguments: {} });
    assert.ok(!whoami.isError, JSON.stringify(whoami));
    assert.match(JSON.stringify(whoami.content), /assumed-role\/eks-mcp-agent\/pods-reader/);
    const pods = await session.client.callTool({ name: 'pods_list', arguments: { namespace: NAMESPACE } });
    assert.ok(!pods.isError, JSON.stringify(pods));
  } finally {
    await session.close();
  }
  assertNoTokenIn(session.stderr(), 'the server\'s log');
}

async function assertRefused(env: Record<string, string>, reason: RegExp): Promise<void> {
  // The handshake may be answered while the credentials are still being obtained: then the tool list is refused with
  // the reason, and the process exits.
  const listed = connectServer(eksArgs(cluster, 'eks-mcp-agent', 'pods-reader', NAMESPACE), env).then(async (session) => {
    try {
      return await session.client.listTools();
    } finally {
      await session.close();
    }
  });
  await assert.rejects(listed, (error: Error) => {
    assert.match(error.message, reason);
    assertNoTokenIn(error.message, 'the server\'s error');
    return true;
  });
}

test('IRSA: the service account\'s web identity is the agent host, and the server assumes the agent role from it', async () => {
  const env = podEnv({
    AWS_ROLE_ARN: cluster.sts.roles['eks-mcp-irsa-host']!,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile(SERVICE_ACCOUNT, 'sts.amazonaws.com'),
  });
  await assertServes(env);
  // STS took the web identity path for this service account (the token itself is never logged).
  assert.match(webhookLog(), /assume-role-with-web-identity arn:aws:iam::\d{12}:role\/eks-mcp-irsa-host: sub='system:serviceaccount:team-a:eks-rbac-mcp'/);
});

test('IRSA: a token for another service account (wrong sub) is refused by the role\'s trust policy', async () => {
  await assertRefused(podEnv({
    AWS_ROLE_ARN: cluster.sts.roles['eks-mcp-irsa-host']!,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile(IMPOSTOR, 'sts.amazonaws.com'),
  }), /Not authorized to perform sts:AssumeRoleWithWebIdentity/);
  assert.match(webhookLog(), /eks-mcp-irsa-host: refused: the trust policy does not allow sub='system:serviceaccount:team-a:eks-rbac-mcp-impostor'/);
});

test('EKS Pod Identity: container credentials from the agent are the agent host', async () => {
  await assertServes(podEnv({
    AWS_CONTAINER_CREDENTIALS_FULL_URI: cluster.hosted.podIdentityAgentUrl,
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile(SERVICE_ACCOUNT, 'pods.eks.amazonaws.com'),
  }));
  assert.match(webhookLog(), /pod identity: team-a\/eks-rbac-mcp -> arn:aws:iam::\d{12}:role\/eks-mcp-pod-identity-host/);
});

test('EKS Pod Identity: a wrong authorization token is refused', async () => {
  // The pod's own service account, but a token minted for STS rather than the Pod Identity agent.
  // The SDK's default chain reports only that no provider had credentials; the agent's log says why it refused.
  await assertRefused(podEnv({
    AWS_CONTAINER_CREDENTIALS_FULL_URI: cluster.hosted.podIdentityAgentUrl,
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile(SERVICE_ACCOUNT, 'sts.amazonaws.com'),
  }), /credentials/i);
  assert.match(webhookLog(), /pod identity: refused \(401 InvalidTokenException\): .*invalid_claim: Invalid claim: 'aud'/);
});

test('no service-account token reaches the emulator\'s log', () => {
  assert.ok(minted.length >= 4);
  assertNoTokenIn(webhookLog(), 'the STS / Pod Identity agent log');
});
