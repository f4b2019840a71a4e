// AWS credentials for the connection: the default chain, or a role assumed from it with the binding role
// as the STS session name (EKS maps that session to one Kubernetes user). Cached, refreshed before expiry.
import type { AwsCredentials } from './token.ts';

export type CredentialSource = () => Promise<AwsCredentials>;

/** Refresh this long before the credentials expire, so no request goes out with lapsing ones. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export class CachedCredentials {
  private current?: AwsCredentials;
  private pending?: Promise<AwsCredentials>;
  refreshCount = 0;

  constructor(private readonly source: CredentialSource, private readonly now: () => Date = () => new Date()) {}

  async get(): Promise<AwsCredentials> {
    if (this.current && !this.lapsing(this.current)) return this.current;
    this.pending ??= this.source().then((credentials) => {
      this.current = credentials;
      this.refreshCount += 1;
      return credentials;
    }).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  invalidate(): void {
    this.current = undefined;
  }

  private lapsing(credentials: AwsCredentials): boolean {
    return credentials.expiration !== undefined && credentials.expiration.getTime() - REFRESH_MARGIN_MS <= this.now().getTime();
  }
}

/** The default AWS credential chain (environment, profile, SSO, web identity, container, instance). */
export function defaultChain(): CredentialSource {
  let provider: CredentialSource | undefined;
  return async () => {
    if (!provider) {
      const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
      provider = defaultProvider() as CredentialSource;
    }
    return provider();
  };
}

export interface AssumeRoleInput {
  roleArn: string;
  sessionName: string;
  region: string;
  externalId?: string;
  durationSeconds: number;
}

/** AssumeRole from the default chain; AWS_ENDPOINT_URL_STS is honoured by the SDK itself. */
export function assumeRole(input: AssumeRoleInput): CredentialSource {
  return async () => {
    const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    const sts = new STSClient({ region: input.region });
    try {
      const { Credentials } = await sts.send(new AssumeRoleCommand({
        RoleArn: input.roleArn,
        RoleSessionName: input.sessionName,
        DurationSeconds: input.durationSeconds,
        ...(input.externalId ? { ExternalId: input.externalId } : {}),
      }));
      if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) throw new Error('STS returned no credentials');
      return {
        accessKeyId: Credentials.AccessKeyId,
        secretAccessKey: Credentials.SecretAccessKey,
        sessionToken: Credentials.SessionToken,
        expiration: Credentials.Expiration,
      };
    } catch (error) {
      const e = error as Error & { name?: string };
      throw new Error(`AssumeRole ${input.roleArn} as session "${input.sessionName}" failed: ${e.name ?? 'Error'}: ${e.message}`
        + (e.name === 'AccessDenied' ? ' (does the role\'s trust policy allow the caller, and does the caller hold sts:AssumeRole?)' : ''));
    } finally {
      sts.destroy();
    }
  };
}
