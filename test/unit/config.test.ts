import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config.ts';

const base = { clusterName: 'prod', region: 'eu-west-1', namespaces: 'team-a' };

function problems(flags: Record<string, string>, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(flags, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

test('an EKS connection from flags; flags win over the environment', () => {
  const config = loadConfig({ ...base, roleArn: 'arn:aws:iam::111122223333:role/agent', bindingRole: 'pods-reader', namespaces: 'team-a, team-b,team-a' },
    { EKS_MCP_CLUSTER_NAME: 'other', AWS_REGION: 'us-east-1' });
  assert.equal(config.mode, 'eks');
  assert.equal(config.mode === 'eks' && config.clusterName, 'prod');
  assert.equal(config.mode === 'eks' && config.region, 'eu-west-1');
  assert.deepEqual(config.namespaces, ['team-a', 'team-b']);
  assert.equal(config.mode === 'eks' && config.sessionDuration, 3600);
});

test('the environment alone is enough', () => {
  const config = loadConfig({}, { EKS_MCP_CLUSTER_NAME: 'c', AWS_DEFAULT_REGION: 'us-west-2', EKS_MCP_NAMESPACES: 'ops', EKS_MCP_READ_ONLY: 'true' });
  assert.equal(config.mode === 'eks' && config.region, 'us-west-2');
  assert.equal(config.readOnly, true);
});

test('missing fields name the flag and the variable that set them', () => {
  const found = problems({});
  assert.ok(found.some((p) => p.includes('clusterName is required') && p.includes('--cluster-name') && p.includes('EKS_MCP_CLUSTER_NAME')), found.join('\n'));
  assert.ok(found.some((p) => p.includes('region is required') && p.includes('AWS_REGION')));
  assert.ok(found.some((p) => p.includes('namespaces is required')));
});

test('bad values say what is expected', () => {
  assert.match(problems({ ...base, roleArn: 'arn:aws:iam::1:user/x' }).join(), /roleArn an IAM role ARN/);
  assert.match(problems({ ...base, roleArn: 'arn:aws:iam::111122223333:role/a', bindingRole: 'eks:agent' }).join(), /bindingRole STS allows .*no colon/);
  assert.match(problems({ ...base, bindingRole: 'reader' }).join(), /set --role-arn too/);
  assert.match(problems({ ...base, namespaces: 'Team_A' }).join(), /DNS-1123 label/);
  assert.match(problems({ ...base, endpoint: 'http://insecure:80' }).join(), /endpoint an https:\/\/ URL/);
  assert.match(problems({ ...base, sessionDuration: '60' }).join(), /at least 900 seconds/);
  assert.match(problems({ ...base, region: 'moon' }).join(), /AWS region/);
});

test('a region of every partition is accepted', () => {
  for (const region of ['us-east-1', 'cn-northwest-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'us-isof-south-1', 'eusc-de-east-1']) {
    const config = loadConfig({ ...base, region });
    assert.equal(config.mode === 'eks' && config.region, region);
  }
});

test('a kubeconfig path selects kubeconfig mode, with the same scope', () => {
  const config = loadConfig({ kubeconfig: '/tmp/kc', context: 'kind', namespaces: 'default' });
  assert.equal(config.mode, 'kubeconfig');
  assert.deepEqual(config.namespaces, ['default']);
});

test('one settings table: every flag and variable is declared once, and switches parse alike in both groups', async () => {
  const { SETTINGS, settingList, loadHttpConfig } = await import('../../src/config.ts');
  const flags = settingList.flatMap(([, s]) => (s.flag ? [s.flag] : []));
  const envs = settingList.map(([, s]) => s.env);
  assert.equal(new Set(flags).size, flags.length);
  assert.equal(new Set(envs).size, envs.length);
  assert.equal(settingList.length, Object.keys(SETTINGS).length);
  for (const value of ['true', '1']) {
    assert.equal(loadConfig({ ...base, readOnly: value }, {}).readOnly, true);
    assert.equal(loadHttpConfig({ stateless: value }, {}).stateless, true);
  }
  assert.match(problems({ ...base, readOnly: 'yes' }).join(), /readOnly true or false \(--read-only or EKS_MCP_READ_ONLY\)/);
});
