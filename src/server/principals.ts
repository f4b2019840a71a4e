// Who may use this connection over HTTP, as configured: `doctor --http` warns when that is more than one
// principal, since the cluster sees every caller as the connection's one identity.
import { readFileSync } from 'node:fs';
import type { HttpConfig } from '../config.ts';
import { parseTokens } from './auth.ts';

export type ConfiguredPrincipals = { kind: 'static'; principals: string[] } | { kind: 'oauth' } | { kind: 'none' };

export function configuredPrincipals(http: HttpConfig): ConfiguredPrincipals {
  const text = http.authTokensFile ? readFileSync(http.authTokensFile, 'utf8') : http.authTokens;
  if (text !== undefined) {
    const tokens = parseTokens(text, http.authTokensFile ? `the token file ${http.authTokensFile}` : 'EKS_MCP_AUTH_TOKENS');
    return { kind: 'static', principals: [...new Set(tokens.map((t) => t.principal))] };
  }
  return http.oauthIssuer ? { kind: 'oauth' } : { kind: 'none' };
}
