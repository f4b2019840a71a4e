import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentIdentity } from '../../tools/identity.ts';

test('whoami hides the IAM side unless --show-iam-identity; ARNs and account IDs in names are masked', () => {
  const user = {
    username: 'eks-agent:pods-reader', groups: ['system:authenticated'],
    extra: { arn: ['arn:aws:sts::123456789012:assumed-role/eks-mcp-agent/pods-reader'], sessionName: ['pods-reader'], accessKeyId: ['ASIAEXAMPLE'] },
  };
  assert.deepEqual(agentIdentity(user, false), { username: 'eks-agent:pods-reader', groups: ['system:authenticated'] });
  assert.deepEqual(agentIdentity(user, true), { username: 'eks-agent:pods-reader', groups: ['system:authenticated'],
    iamArn: 'arn:aws:sts::123456789012:assumed-role/eks-mcp-agent/pods-reader', sessionName: 'pods-reader' });
  assert.deepEqual(agentIdentity({ username: 'arn:aws:sts::123456789012:assumed-role/r/s', groups: ['team-123456789012'] }, false),
    { username: '<iam-identity>', groups: ['team-<account>'] });
});
