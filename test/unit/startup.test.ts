// Each way the start can fail has one line that says what to do, and its own exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CredentialsUnavailableError, AwsCredentialError } from '../../src/aws/credentials.ts';
import { ConnectionError, KubeApiError } from '../../src/kube/errors.ts';
import { EXIT } from '../../src/exit-codes.ts';
import { explainStartupFailure, NamespaceMissingError } from '../../src/startup.ts';
import { loadConfig } from '../../src/config.ts';

const config = loadConfig({ clusterName: 'prod', region: 'us-east-1', namespaces: 'team-a', roleArn: 'arn:aws:iam::111122223333:role/agent', bindingRole: 'pods-reader' }, {});
const unavailable = (kind: AwsCredentialError['kind'], message: string) => new CredentialsUnavailableError(new AwsCredentialError(kind, message));

test('every startup failure maps to one line and a documented exit code', () => {
  const cases: Array<[unknown, number, RegExp]> = [
    [unavailable('no-credentials', 'Could not load credentials from any providers'), EXIT.noCredentials, /no AWS credentials found.*AWS_ACCESS_KEY_ID.*AWS_PROFILE/],
    [unavailable('assume-role-refused', 'AssumeRole arn:aws:iam::111122223333:role/agent as session "pods-reader" failed: AccessDenied: not authorized'), EXIT.assumeRoleRefused,
      /AssumeRole arn:aws:iam::111122223333:role\/agent as session "pods-reader" failed: AccessDenied: not authorized; the role's trust policy must allow .*sts:RoleSessionName.*pods-reader/],
    [new KubeApiError(401, 'Unauthorized', 'Unauthorized'), EXIT.unauthorized, /did not accept this connection's token \(401 Unauthorized\).*cluster name prod.*access entry/],
    [new Error('EKS DescribeCluster prod failed', { cause: Object.assign(new Error('No cluster found for name: prod.'), { name: 'ResourceNotFoundException' }) }), EXIT.unauthorized, /no EKS cluster prod in us-east-1/],
    [new ConnectionError('cannot reach the Kubernetes API at https://x: connect ECONNREFUSED', 'ECONNREFUSED', false), EXIT.unreachable, /cannot reach the Kubernetes API/],
    [new ConnectionError('cannot reach ...: self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN', true), EXIT.caMismatch, /configured CA does not verify/],
    [new ConnectionError('cannot reach ...: unable to verify', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', true), EXIT.caMismatch, /CA/],
    [new NamespaceMissingError(['team-x']), EXIT.namespaceMissing, /namespace team-x does not exist/],
  ];
  const codes = new Set<number>();
  for (const [error, code, message] of cases) {
    const failure = explainStartupFailure(error, config);
    assert.ok(failure, String(error));
    assert.equal(failure.exitCode, code, failure.message);
    assert.match(failure.message, message);
    assert.ok(!failure.message.includes('\n'), `one line: ${failure.message}`);
    codes.add(code);
  }
  assert.equal(codes.size, 6, 'each case of the issue its own code (an unknown cluster and a 401 are one case)');
  assert.ok(![0, 1, 2].some((c) => codes.has(c)), '0, 1 and 2 keep their meaning');
  assert.equal(explainStartupFailure(new Error('something else'), config), undefined);
});
