// Why the server could not start, in one line that says what to change, with an exit code per cause so that
// scripts and supervisors can tell them apart. The stack goes to the debug log only.
import { sessionNameOf, type Config } from './config.ts';
import { AwsCredentialError, CredentialsUnavailableError } from './aws/credentials.ts';
import type { KubeClient } from './kube/client.ts';
import { ConnectionError, KubeApiError } from './kube/errors.ts';
import { EXIT } from './exit-codes.ts';

export interface StartupFailure {
  exitCode: number;
  message: string;
}

/** Namespaces of the scope that the cluster says do not exist. */
export class NamespaceMissingError extends Error {
  constructor(readonly namespaces: string[]) {
    super(`namespace${namespaces.length > 1 ? 's' : ''} ${namespaces.join(', ')} ${namespaces.length > 1 ? 'do' : 'does'} not exist in the cluster`);
    this.name = 'NamespaceMissingError';
  }
}

/**
 * Each namespace of the scope exists. Only a role that may get namespaces can tell: for any other, the API
 * server answers 403 whether or not the namespace exists, and the check says nothing (no guess).
 */
export async function checkNamespaces(kube: KubeClient, namespaces: readonly string[]): Promise<void> {
  const missing = (await Promise.all(namespaces.map(async (ns) => {
    try {
      await kube.json({ path: `/api/v1/namespaces/${encodeURIComponent(ns)}` });
      return undefined;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return ns;
      if (error instanceof KubeApiError && error.status === 403) return undefined;
      throw error;
    }
  }))).filter((ns): ns is string => ns !== undefined);
  if (missing.length) throw new NamespaceMissingError(missing);
}

const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && chain.length < 8; e = e instanceof Error ? e.cause : undefined) chain.push(e);
  return chain;
}

/** The one-line explanation and exit code of a start-up failure; undefined for anything unforeseen (exit 1). */
export function explainStartupFailure(error: unknown, config: Config): StartupFailure | undefined {
  const chain = causes(error);
  const credential = chain.find((e): e is AwsCredentialError => e instanceof AwsCredentialError);
  if (credential?.kind === 'no-credentials' || (chain.some((e) => e instanceof CredentialsUnavailableError) && !credential)) {
    return {
      exitCode: EXIT.noCredentials,
      message: 'no AWS credentials found: give the agent host credentials through the default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, '
        + `AWS_PROFILE or ~/.aws/credentials, SSO, web identity, or an instance or container role) (${credential?.message ?? 'nothing found'})`,
    };
  }
  if (credential?.kind === 'assume-role-refused' && config.mode === 'eks') {
    const session = sessionNameOf(config);
    return {
      exitCode: EXIT.assumeRoleRefused,
      message: `${credential.message.replace(/\s+/g, ' ')}; the role's trust policy must allow the host's identity `
        + `(aws sts get-caller-identity) sts:AssumeRole with the condition sts:RoleSessionName = "${session}", and that identity needs `
        + `sts:AssumeRole on the role; \`eks-rbac-mcp rbac --tools whoami --binding-role ${session} --role-arn ${config.roleArn}\` prints the trust policy`,
    };
  }
  if (chain.some((e) => e instanceof Error && e.name === 'ResourceNotFoundException') && config.mode === 'eks') {
    return { exitCode: EXIT.unauthorized, message: `there is no EKS cluster ${config.clusterName} in ${config.region}: check --cluster-name and --region` };
  }
  const api = chain.find((e): e is KubeApiError => e instanceof KubeApiError);
  if (api?.status === 401) {
    const who = config.mode === 'eks' ? config.roleArn ?? 'this identity' : `the kubeconfig context's user`;
    const check = config.mode === 'eks' ? `check the cluster name ${config.clusterName} (the token is signed for it) and ` : '';
    return {
      exitCode: EXIT.unauthorized,
      message: `the cluster did not accept this connection's token (401 Unauthorized): ${check}that an EKS access entry or aws-auth maps ${who} (eks-rbac-mcp rbac prints both)`,
    };
  }
  const connection = chain.find((e): e is ConnectionError => e instanceof ConnectionError);
  if (connection && CERTIFICATE.test(`${connection.code ?? ''} ${connection.message}`)) {
    const endpoint = config.mode === 'eks' ? config.endpoint ?? 'the cluster endpoint' : 'the kubeconfig cluster';
    return {
      exitCode: EXIT.caMismatch,
      message: `the configured CA does not verify the API server at ${endpoint} (${connection.code ?? 'TLS'}): give the cluster's own CA with `
        + '--ca-file or --ca-data (aws eks describe-cluster --query cluster.certificateAuthority.data), or leave both out to take it from DescribeCluster',
    };
  }
  if (connection) return { exitCode: EXIT.unreachable, message: `${connection.message}; check --endpoint and the network path to it` };
  const namespaces = chain.find((e): e is NamespaceMissingError => e instanceof NamespaceMissingError);
  if (namespaces) return { exitCode: EXIT.namespaceMissing, message: `${namespaces.message}: fix --namespaces (kubectl get namespaces lists them)` };
  return undefined;
}
