// AWS credentials for the connection: the default chain, or a role assumed from it with the binding role
// as the STS session name (EKS maps that session to one Kubernetes user). Cached, refreshed before expiry.
import type { AwsCredentials } from './token.ts';

export type CredentialSource = () => Promise<AwsCredentials>;

/** Refresh this long before the credentials expire, so no request goes out with lapsing ones. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** Why a credential source failed, as far as the start-up message needs to know. */
export class AwsCredentialError extends Error {
  constructor(readonly kind: 'no-credentials' | 'assume-role-refused' | 'other', message: string) {
    super(message);
    this.name = 'AwsCredentialError';
  }
}

/** No credentials were ever obtained: the start fails with this (it has nothing to do with lapsing). */
export class CredentialsUnavailableError extends Error {
  constructor(override readonly cause: unknown) {
    super(`cannot get AWS credentials: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'CredentialsUnavailableError';
  }
}

/** The identity can no longer be proven: the credentials expired and could not be renewed. */
export class IdentityLapsedError extends Error {
  constructor(cause: string, retryInSeconds: number) {
    super(`the connection's AWS identity has lapsed: ${cause}; STS is asked again in ${retryInSeconds} s`);
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
  private lastCause?: unknown;
  refreshCount = 0;

  constructor(private readonly source: CredentialSource, private readonly now: () => Date = () => new Date()) {}

  async get(): Promise<AwsCredentials> {
    const current = this.current;
    if (current && !this.lapsing(current)) return current;
    const usable = current && !this.expired(current) ? current : undefined;
    // STS failed lately: don't ask it again before the pause ends, whether or not something usable is left
    // (after a lapse, every /readyz and tool call would otherwise send its own AssumeRole).
    if (this.now().getTime() < this.retryAt) {
      if (usable) return usable;
      throw this.unavailable();
    }
    try {
      return await this.fetch();
    } catch {
      if (usable) return usable;
      throw this.unavailable();
    }
  }

  /** Never had credentials: why not. Had them: they lapsed, and when STS is asked next. */
  private unavailable(): Error {
    if (this.refreshCount === 0) return new CredentialsUnavailableError(this.lastCause);
    return new IdentityLapsedError(this.lastError ?? 'unknown error', Math.max(1, Math.ceil((this.retryAt - this.now().getTime()) / 1000)));
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
      this.lastCause = error;
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
    try {
      return await provider();
    } catch (error) {
      const e = error as Error;
      throw new AwsCredentialError(noCredentials(e) ? 'no-credentials' : 'other', e.message);
    }
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
      const kind = noCredentials(e) ? 'no-credentials' : e.name === 'AccessDenied' ? 'assume-role-refused' : 'other';
      // What to change for a refusal is said once, by the start-up message (src/startup.ts).
      throw new AwsCredentialError(kind, `AssumeRole ${input.roleArn} as session "${input.sessionName}" failed: ${e.name ?? 'Error'}: ${e.message}`);
    } finally {
      sts.destroy();
    }
  };
}

/** The default chain found nothing to sign with (the SDK's CredentialsProviderError at the end of the chain). */
function noCredentials(error: Error): boolean {
  return error.name === 'CredentialsProviderError' || /Could not load credentials from any providers/.test(error.message);
}
