// The one connection: how this server reaches the cluster and as whom. EKS (assumed role, local tokens)
// or, for clusters that are not EKS, a kubeconfig context.
import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { sessionNameOf, type Config, type EksConfig, type KubeconfigConfig } from './config.ts';
import { KubeClient, type KubeAuthenticator } from './kube/client.ts';
import { CachedCredentials, HostCredentials, assumeRole, defaultChain } from './aws/credentials.ts';
import { EksTokenAuthenticator } from './aws/eks-auth.ts';
import { AccessPolicyReader } from './aws/access-policies.ts';
import { sdkHttpConfig } from './aws/sdk-http.ts';
import { parseProxyUrl } from './net/proxy.ts';

export interface Connection {
  kube: KubeClient;
  /** What the connection is, for logs and `doctor`: never a credential. */
  summary: Record<string, string>;
  /**
   * EKS only: the token minting behind every request (the `token` command prints one), and the reader of the role's
   * access policies (with --role-arn: the principal whose access entry applies).
   */
  eks?: { authenticator: EksTokenAuthenticator; credentials: CachedCredentials; host: HostCredentials; accessPolicies?: AccessPolicyReader };
}

export async function connect(config: Config): Promise<Connection> {
  return config.mode === 'eks' ? connectEks(config) : connectKubeconfig(config);
}

async function connectEks(config: EksConfig): Promise<Connection> {
  const host = new HostCredentials(config.region);
  const source = config.roleArn
    ? assumeRole({
      roleArn: config.roleArn,
      sessionName: sessionNameOf(config),
      region: config.region,
      externalId: config.externalId,
      durationSeconds: config.sessionDuration,
    }, host)
    : defaultChain(host);
  const credentials = new CachedCredentials(source);
  const authenticator = new EksTokenAuthenticator(credentials, config.region, config.clusterName);
  const { endpoint, ca } = config.endpoint && (config.caFile || config.caData)
    ? { endpoint: config.endpoint, ca: config.caFile ? readFileSync(config.caFile) : Buffer.from(config.caData!, 'base64') }
    : await describeCluster(config, credentials);
  return {
    kube: new KubeClient(endpoint, ca, authenticator),
    summary: {
      mode: 'eks', cluster: config.clusterName, region: config.region, endpoint,
      ...(config.roleArn ? { roleArn: config.roleArn, sessionName: sessionNameOf(config) } : { identity: 'default AWS credential chain' }),
    },
    eks: {
      authenticator, credentials, host,
      ...(config.roleArn ? { accessPolicies: new AccessPolicyReader({ clusterName: config.clusterName, region: config.region, principalArn: config.roleArn }, () => credentials.get()) } : {}),
    },
  };
}

/** Endpoint and CA from EKS DescribeCluster, when the configuration does not give both. */
async function describeCluster(config: EksConfig, credentials: CachedCredentials): Promise<{ endpoint: string; ca: Buffer }> {
  const { EKSClient, DescribeClusterCommand } = await import('@aws-sdk/client-eks');
  const eks = new EKSClient({ region: config.region, credentials: () => credentials.get(), ...(await sdkHttpConfig()) });
  try {
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: config.clusterName }));
    const endpoint = config.endpoint ?? cluster?.endpoint;
    const caData = config.caData ?? cluster?.certificateAuthority?.data;
    if (!endpoint || (!caData && !config.caFile)) throw new Error('the cluster has no endpoint or CA yet (is it still creating?)');
    return { endpoint, ca: config.caFile ? readFileSync(config.caFile) : Buffer.from(caData!, 'base64') };
  } catch (error) {
    throw new Error(`EKS DescribeCluster ${config.clusterName} in ${config.region} failed: ${(error as Error).message}`
      + ' (give --endpoint and --ca-file to skip it, or grant eks:DescribeCluster)', { cause: error });
  } finally {
    eks.destroy();
  }
}

/** A kubeconfig context, read and authenticated by @kubernetes/client-node (exec plugins, certificates, tokens). */
async function connectKubeconfig(config: KubeconfigConfig): Promise<Connection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(config.kubeconfig);
  if (config.context) kc.setCurrentContext(config.context);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig ${config.kubeconfig} has no cluster for context "${kc.getCurrentContext()}"`);
  const authenticator: KubeAuthenticator = {
    async apply(options: RequestOptions) {
      await kc.applyToHTTPSOptions(options as Parameters<typeof kc.applyToHTTPSOptions>[0]);
    },
  };
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts as Parameters<typeof kc.applyToHTTPSOptions>[0]);
  // client-go's rule: the cluster's proxy-url, when given, is used for every request and NO_PROXY does not apply.
  const proxy = cluster.proxyUrl ? parseProxyUrl(cluster.proxyUrl, `the proxy-url of cluster "${cluster.name}" in ${config.kubeconfig}`) : undefined;
  return {
    kube: new KubeClient(cluster.server, opts.ca as Buffer | undefined, authenticator, undefined, undefined, proxy),
    summary: { mode: 'kubeconfig', kubeconfig: config.kubeconfig, context: kc.getCurrentContext(), endpoint: cluster.server },
  };
}
