// AWS credentials for the connection: the default chain, or a role assumed from it with the binding role
// as the STS session name (EKS maps that session to one Kubernetes user). Cached, refreshed before expiry.
import type { AwsCredentials } from './token.ts';

export type CredentialSource = () => Promise<AwsCredentials>;

/** Refresh this long before the credentials expire, so no request goes out with lapsing ones. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** The identity can no longer be proven: the credentials expired and could not be renewed. */
export class IdentityLapsedError extends Error {
  constructor(cause: string) {
    super(`the connection's AWS identity has lapsed: ${cause}; retrying with backoff`);
    this.name = 'IdentityLapsedError';
  }
}

export interface IdentityStatus {
  valid: boolean;
  expiresAt?: Date;
  lastError?: string;
}

const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 60_000;

/**
 * Credentials refreshed five minutes before they expire. When the source (STS) fails, what is still valid
 * keeps being used and the source is asked again only after a growing pause, not on every request.
 */
export class CachedCredentials {
  private current?: AwsCredentials;
  private pending?: Promise<AwsCredentials>;
  private failures = 0;
  private retryAt = 0;
  private lastError?: string;
  refreshCount = 0;

  constructor(private readonly source: CredentialSource, private readonly now: () => Date = () => new Date()) {}

  async get(): Promise<AwsCredentials> {
    const current = this.current;
    if (current && !this.lapsing(current)) return current;
    const usable = current && !this.expired(current) ? current : undefined;
    if (usable && this.now().getTime() < this.retryAt) return usable; // STS failed lately: don't hammer it
    try {
      return await this.fetch();
    } catch (error) {
      if (usable) return usable;
      throw new IdentityLapsedError(this.lastError ?? (error as Error).message);
    }
  }

  status(): IdentityStatus {
    const valid = !!this.current && !this.expired(this.current);
    return { valid, ...(this.current?.expiration ? { expiresAt: this.current.expiration } : {}), ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  invalidate(): void {
    this.current = undefined;
  }

  private fetch(): Promise<AwsCredentials> {
    this.pending ??= this.source().then((credentials) => {
      this.current = credentials;
      this.refreshCount += 1;
      this.failures = 0;
      this.retryAt = 0;
      this.lastError = undefined;
      return credentials;
    }, (error: Error) => {
      this.failures += 1;
      this.retryAt = this.now().getTime() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (this.failures - 1));
      this.lastError = error.message;
      throw error;
    }).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private lapsing(credentials: AwsCredentials): boolean {
    return credentials.expiration !== undefined && credentials.expiration.getTime() - REFRESH_MARGIN_MS <= this.now().getTime();
  }

  private expired(credentials: AwsCredentials): boolean {
    return credentials.expiration !== undefined && credentials.expiration.getTime() <= this.now().getTime();
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
