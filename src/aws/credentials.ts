// AWS credentials for the connection: the default chain, or a role assumed from it with the binding role
// as the STS session name (EKS maps that session to one Kubernetes user). Cached, refreshed before expiry.
import type { AwsCredentials } from './token.ts';
import { sdkHttpConfig } from './sdk-http.ts';

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

type ChainCredentials = AwsCredentials & { $source?: Record<string, string> };
type ChainProvider = (options?: unknown) => Promise<ChainCredentials>;

/**
 * Where the chain's credentials came from, from the SDK's credential feature tracking (`$source`), most specific
 * first. Instance metadata sets no feature: credentials without one come from IMDS, the chain's last step (or
 * from the older container provider when a container endpoint is configured).
 */
const SOURCES: Array<[feature: string, label: (env: NodeJS.ProcessEnv) => string]> = [
  ['CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN', () => 'web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE: IRSA)'],
  ['CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN', (env) => `web identity (profile ${profile(env)}: web_identity_token_file)`],
  ['CREDENTIALS_PROFILE_SSO', (env) => `SSO (profile ${profile(env)})`],
  ['CREDENTIALS_PROFILE_SSO_LEGACY', (env) => `SSO (profile ${profile(env)})`],
  ['CREDENTIALS_SSO', () => 'SSO'],
  ['CREDENTIALS_SSO_LEGACY', () => 'SSO'],
  ['CREDENTIALS_PROFILE_LOGIN', (env) => `console login (profile ${profile(env)})`],
  ['CREDENTIALS_PROFILE_PROCESS', (env) => `credential_process (profile ${profile(env)})`],
  ['CREDENTIALS_PROCESS', () => 'credential_process'],
  ['CREDENTIALS_PROFILE_SOURCE_PROFILE', (env) => `profile ${profile(env)} (role from source_profile or credential_source)`],
  ['CREDENTIALS_PROFILE_NAMED_PROVIDER', (env) => `profile ${profile(env)} (credential_source)`],
  ['CREDENTIALS_PROFILE', (env) => `profile ${profile(env)} (static keys in the shared credentials/config file)`],
  ['CREDENTIALS_ENV_VARS', () => 'static keys (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)'],
  ['CREDENTIALS_HTTP', () => 'container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*: EKS Pod Identity or ECS)'],
];

function profile(env: NodeJS.ProcessEnv): string {
  return env['AWS_PROFILE'] || 'default';
}

/** A person's name for where the default chain found its credentials. */
export function describeCredentialSource(source: Record<string, string> | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const features = Object.keys(source ?? {});
  const match = SOURCES.find(([feature]) => features.includes(feature));
  if (match) return match[1](env);
  if (env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] || env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) return 'container credentials endpoint (ECS)';
  return 'instance metadata (IMDS)';
}

/** The agent host's own identity: the default AWS credential chain, remembering which of its steps answered. */
export class HostCredentials {
  private provider?: ChainProvider;
  private lastSource?: Record<string, string>;
  private resolved = false;

  /** The region is the one of the connection: the chain's own STS and SSO clients use it (else us-east-1, with a warning). */
  constructor(private readonly region?: string) {}

  /** The chain, for an SDK client's `credentials` (it passes its own configuration, e.g. a proxy, to the chain's clients). */
  readonly get = async (options?: unknown): Promise<AwsCredentials> => {
    if (!this.provider) {
      const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
      this.provider = defaultProvider({ clientConfig: { ...(this.region ? { region: this.region } : {}), ...(await sdkHttpConfig()) } }) as ChainProvider;
    }
    try {
      const credentials = await this.provider!(options);
      this.lastSource = credentials.$source;
      this.resolved = true;
      return credentials;
    } catch (error) {
      const e = error as Error;
      throw new AwsCredentialError(noCredentials(e) ? 'no-credentials' : 'other', e.message);
    }
  };

  /** Where the credentials came from (static keys, profile, SSO, web identity, container, instance metadata), once resolved. */
  source(): string | undefined {
    return this.resolved ? describeCredentialSource(this.lastSource) : undefined;
  }
}

/** The default AWS credential chain (environment, profile, SSO, web identity, container, instance). */
export function defaultChain(host: HostCredentials = new HostCredentials()): CredentialSource {
  return () => host.get();
}

export interface AssumeRoleInput {
  roleArn: string;
  sessionName: string;
  region: string;
  externalId?: string;
  durationSeconds: number;
}

/** AssumeRole from the default chain; AWS_ENDPOINT_URL_STS is honoured by the SDK itself. */
export function assumeRole(input: AssumeRoleInput, host: HostCredentials = new HostCredentials()): CredentialSource {
  return async () => {
    const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    const sts = new STSClient({ region: input.region, credentials: host.get, ...(await sdkHttpConfig()) });
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
