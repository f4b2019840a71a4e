// What doctor says beyond the connection: HTTP authentication advice, and exec where the server itself runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadHttpConfig } from '../../src/config.ts';
import { httpAdvice, serverNamespace } from '../../src/commands.ts';

test('doctor --http says when an OAuth issuer is trusted without --oauth-scopes', () => {
  const oauth = { oauthIssuer: 'https://issuer.example.com', resourceUrl: 'https://mcp.example.com/mcp' };
  const unscoped = httpAdvice(loadHttpConfig(oauth, {})).join('\n');
  assert.match(unscoped, /--oauth-scopes is not set: any token .* accepted/);
  assert.doesNotMatch(httpAdvice(loadHttpConfig({ ...oauth, oauthScopes: 'mcp' }, {})).join('\n'), /--oauth-scopes is not set/);
  assert.match(httpAdvice(loadHttpConfig({}, {})).join('\n'), /no authentication/);
});

test('doctor --http says which access tokens the OAuth mode takes, and that strict mode needs an issuer', () => {
  const oauth = { oauthIssuer: 'https://issuer.example.com', resourceUrl: 'https://mcp.example.com/mcp', oauthScopes: 'mcp' };
  assert.match(httpAdvice(loadHttpConfig(oauth, {})).join('\n'), /^tokens {6}typ at\+jwt, or typ JWT or none with a scope\/scp claim and no ID token claim/m);
  assert.match(httpAdvice(loadHttpConfig({ ...oauth, oauthRequireAtJwt: 'true' }, {})).join('\n'), /^tokens {6}RFC 9068 access tokens only \(typ at\+jwt\)$/m);
  assert.throws(() => loadHttpConfig({ oauthRequireAtJwt: 'true' }, {}), /oauthRequireAtJwt needs an OAuth issuer/);
});

test('the namespace the server runs in, from POD_NAMESPACE or the service account\'s namespace file', () => {
  assert.equal(serverNamespace({ POD_NAMESPACE: 'eks-rbac-mcp' }, () => 'other'), 'eks-rbac-mcp');
  assert.equal(serverNamespace({}, (path) => (path.endsWith('/serviceaccount/namespace') ? 'mcp-system\n' : '')), 'mcp-system');
  assert.equal(serverNamespace({}, () => {
    throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  }), undefined, 'outside a pod: none');
});
