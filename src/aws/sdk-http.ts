// How the AWS SDK clients (STS, EKS, and the credential chain's own STS and SSO clients) reach the network:
// through the proxy the environment names for each destination, or as the SDK would by itself.
import type { EnvironmentProxyAgent } from '../net/proxy-agents.ts';

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'];

let agent: EnvironmentProxyAgent | undefined;

/** SDK client configuration for proxies: empty when no proxy is configured, so the SDK's defaults stay untouched. */
export async function sdkHttpConfig(env: NodeJS.ProcessEnv = process.env): Promise<{ requestHandler?: { httpsAgent: EnvironmentProxyAgent; httpAgent: EnvironmentProxyAgent } }> {
  if (!PROXY_VARIABLES.some((name) => env[name]?.trim())) return {};
  agent ??= new (await import('../net/proxy-agents.ts')).EnvironmentProxyAgent(env); // one pool for every client: tunnels are kept alive between calls
  return { requestHandler: { httpsAgent: agent, httpAgent: agent } };
}
