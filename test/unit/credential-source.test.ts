import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCredentialSource } from '../../src/aws/credentials.ts';

test('doctor names where the host credentials came from, from the SDK\'s credential feature tracking', () => {
  const env = { AWS_PROFILE: 'dev' };
  assert.match(describeCredentialSource({ CREDENTIALS_ENV_VARS: 'g' }, env), /^static keys/);
  assert.match(describeCredentialSource({ CREDENTIALS_PROFILE: 'n' }, env), /^profile dev \(static keys/);
  assert.match(describeCredentialSource({ CREDENTIALS_PROFILE_SSO: 'r', CREDENTIALS_SSO: 's' }, env), /^SSO \(profile dev\)/);
  assert.match(describeCredentialSource({ CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN: 'h', CREDENTIALS_STS_ASSUME_ROLE_WEB_ID: 'k' }, env), /^web identity .*IRSA/);
  assert.match(describeCredentialSource({ CREDENTIALS_HTTP: 'z' }, env), /^container credentials endpoint .*Pod Identity/);
  assert.match(describeCredentialSource({ CREDENTIALS_PROCESS: 'w', CREDENTIALS_PROFILE_PROCESS: 'v' }, env), /^credential_process \(profile dev\)/);
  assert.match(describeCredentialSource(undefined, {}), /^instance metadata/);
});
