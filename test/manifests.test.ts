// The shipped manifests and client configuration are real: the API server accepts every YAML (server-side
// dry run), the AWS JSON matches botocore's models, and a Role printed by `rbac` yields exactly its tools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { kubectl } from './cluster/cluster.ts';
import { cliPath, connectServer, eksArgs, hostEnv, root, useCluster } from './helpers.ts';
import { loadConfig } from '../src/config.ts';

const cluster = await useCluster();
const manifests = join(root, 'manifests');

function files(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? files(path, ext) : path.endsWith(ext) ? [path] : [];
  });
}

test('every YAML manifest is accepted by the API server (server-side dry run)', () => {
  const yamls = files(manifests, '.yaml');
  assert.ok(yamls.length >= 3);
  for (const file of yamls) {
    const out = kubectl(cluster, ['apply', '--dry-run=server', '-f', file]);
    assert.match(out, /\(server dry run\)/, relative(root, file));
  }
});

test('the AWS JSON matches botocore\'s models and IAM\'s policy grammar', () => {
  const check = `
import json, sys, botocore.session
from botocore.validate import validate_parameters
model = botocore.session.get_session().get_service_model('eks').operation_model('CreateAccessEntry')
validate_parameters(json.load(open(sys.argv[1])), model.input_shape)
for path in sys.argv[2:]:
    policy = json.load(open(path))
    assert policy['Version'] == '2012-10-17', path
    for s in policy['Statement']:
        assert s['Effect'] in ('Allow', 'Deny') and s['Action'], path
print('ok')`;
  const aws = join(manifests, 'aws');
  const out = execFileSync('python3', ['-c', check, join(aws, 'access-entry.json'), join(aws, 'iam-trust-policy.json'), join(aws, 'iam-permission-policy.json'),
    join(aws, 'irsa-trust-policy.json'), join(aws, 'pod-identity-trust-policy.json')]).toString();
  assert.equal(out.trim(), 'ok');
});

test('the hosted paths agree: IRSA trusts exactly the Deployment\'s service account, Pod Identity associates it', () => {
  const deploy = join(manifests, 'deploy');
  const account = JSON.parse(kubectl(cluster, ['create', '--dry-run=client', '-o', 'json', '-f', join(deploy, 'serviceaccount.yaml')])) as {
    metadata: { name: string; namespace: string; annotations: Record<string, string> };
  };
  const deployment = JSON.parse(kubectl(cluster, ['create', '--dry-run=client', '-o', 'json', '-f', join(deploy, 'deployment.yaml')])) as {
    metadata: { namespace: string }; spec: { template: { spec: { serviceAccountName: string } } };
  };
  assert.equal(deployment.spec.template.spec.serviceAccountName, account.metadata.name);
  assert.equal(deployment.metadata.namespace, account.metadata.namespace);
  // The trust policies evaluated by the local control plane's own evaluator (test/cluster/eks_webhook/trust.py), and
  // the association checked against botocore's model of CreatePodIdentityAssociation.
  const check = `
import json, sys
sys.path.insert(0, sys.argv[1])
from eks_webhook.trust import allows
import botocore.session
from botocore.validate import validate_parameters
association_file, irsa_file, pod_file, namespace, name = sys.argv[2:]
association = json.load(open(association_file))
model = botocore.session.get_session().get_service_model('eks').operation_model('CreatePodIdentityAssociation')
validate_parameters(association, model.input_shape)
irsa, pod = open(irsa_file).read(), open(pod_file).read()
provider_arn = json.loads(irsa)['Statement'][0]['Principal']['Federated']
provider = provider_arn.split(':oidc-provider/')[1]
def web_identity(sub, aud='sts.amazonaws.com'):
    return allows(irsa, 'Federated', provider_arn, 'sts:AssumeRoleWithWebIdentity', {provider + ':sub': sub, provider + ':aud': aud})
me = f'system:serviceaccount:{namespace}:{name}'
print(json.dumps({
    'irsa': [web_identity(me), web_identity(f'system:serviceaccount:{namespace}:other'), web_identity(me, 'pods.eks.amazonaws.com')],
    'podIdentity': [allows(pod, 'Service', 'pods.eks.amazonaws.com', a, {}) for a in ('sts:AssumeRole', 'sts:TagSession')],
    'association': [association['namespace'], association['serviceAccount'], association['roleArn']],
}))`;
  const aws = join(manifests, 'aws');
  const out = JSON.parse(execFileSync('python3', ['-c', check, join(root, 'test', 'cluster'), join(aws, 'pod-identity-association.json'),
    join(aws, 'irsa-trust-policy.json'), join(aws, 'pod-identity-trust-policy.json'), account.metadata.namespace, account.metadata.name]).toString());
  assert.deepEqual(out.irsa, [true, false, false], 'IRSA: the service account with audience sts.amazonaws.com, nothing else');
  assert.deepEqual(out.podIdentity, [true, true]);
  const hostRole = account.metadata.annotations['eks.amazonaws.com/role-arn'];
  assert.deepEqual(out.association, [account.metadata.namespace, account.metadata.name, hostRole], 'both paths give the pod the same agent-host role');
});

test('mcp.json runs the built server, from the clone or the packed tarball, with a configuration the server accepts', () => {
  const servers = (JSON.parse(readFileSync(join(root, 'mcp.json'), 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> }).mcpServers;
  const entries: Array<[string, string]> = [['eks', '/path/to/eks-rbac-mcp/dist/cli.js'], ['eks-packed', 'eks-rbac-mcp']];
  for (const [key, program] of entries) {
    const server = servers[key]!;
    assert.equal(server.command, key === 'eks' ? 'node' : 'npx', key);
    const args = server.args.slice(server.args.indexOf(program) + 1);
    const flags: Record<string, string> = {};
    for (let i = 0; i < args.length; i += 2) flags[args[i]!.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = args[i + 1]!;
    const config = loadConfig(flags, {});
    assert.equal(config.mode, 'eks', key);
    assert.deepEqual(config.namespaces, ['team-a'], key);
  }
  assert.ok(!JSON.stringify(servers).includes('"-y"'), 'nothing installs by a name that is not published yet');
});

test('the Role that `rbac --tools` prints, once applied, makes the server offer exactly those tools', async () => {
  const printed = execFileSync(process.execPath, [cliPath, 'rbac', '--tools', 'pods_list,pods_log,deployments_scale', '--namespace', 'team-b',
    '--binding-role', 'minted', '--name', 'minted']).toString();
  const file = join(cluster.dir, 'minted-rbac.yaml');
  writeFileSync(file, printed);
  assert.match(kubectl(cluster, ['apply', '-f', file]), /role.rbac.authorization.k8s.io\/minted (created|configured)/);
  // A client that can ask its user: deployments_scale may need the user's yes, so only such a client is offered it.
  const session = await connectServer(eksArgs(cluster, 'eks-mcp-agent', 'minted', 'team-b'), hostEnv(cluster), { elicit: () => ({ action: 'decline' }) });
  try {
    const names = (await session.client.listTools()).tools.map((t) => t.name);
    assert.deepEqual(names, ['whoami', 'can_i', 'pods_list', 'pods_log', 'deployments_scale']);
  } finally {
    await session.close();
  }
});

test('the deployment mounts no service account token and runs in a namespace it does not serve', () => {
  const deploy = join(manifests, 'deploy');
  const objects = files(deploy, '.yaml').map((file) => JSON.parse(kubectl(cluster, ['create', '--dry-run=client', '-o', 'json', '-f', file])) as Record<string, any>)
    .flatMap((o) => (o['kind'] === 'List' ? o['items'] : [o]));
  const deployment = objects.find((o) => o['kind'] === 'Deployment')!;
  const env = Object.fromEntries((deployment['spec']['template']['spec']['containers'][0]['env'] as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]));
  const served = loadConfig({}, env).namespaces;
  assert.equal(deployment['spec']['template']['spec']['automountServiceAccountToken'], false);
  assert.equal(objects.find((o) => o['kind'] === 'ServiceAccount')!['automountServiceAccountToken'], false);
  const own = objects.map((o) => o['metadata']['namespace'] as string);
  assert.deepEqual([...new Set(own)], ['eks-rbac-mcp']);
  for (const ns of own) assert.ok(!served.includes(ns), `the server runs in ${ns}, which it serves (${served.join(', ')})`);
});
