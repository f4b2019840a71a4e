// Requests sent at once share one new EKS token: discovery sends ~40 requests before any answer comes, and each
// mint is a signature (and, minted in another second, another TokenReview for the cluster's authenticator).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CachedCredentials } from '../../src/aws/credentials.ts';
import { EksTokenAuthenticator } from '../../src/aws/eks-auth.ts';

test('concurrent requests for a token share one mint; a later one after a refresh mints afresh', async () => {
  const credentials = new CachedCredentials(async () => ({ accessKeyId: 'AKID', secretAccessKey: 's', expiration: new Date(Date.now() + 3600_000) }));
  const auth = new EksTokenAuthenticator(credentials, 'us-east-1', 'c');
  const tokens = await Promise.all(Array.from({ length: 40 }, () => auth.token()));
  assert.equal(new Set(tokens.map((t) => t.token)).size, 1);
  assert.equal(auth.mintCount, 1);
  await auth.refresh();
  const [a, b] = await Promise.all([auth.token(), auth.token()]);
  assert.equal(a.token, b.token);
  assert.equal(auth.mintCount, 2);
});
