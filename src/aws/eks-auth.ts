// Bearer tokens for EKS: minted locally from the connection's credentials, reused until about a minute
// before the authenticator would refuse them, minted afresh once when the API server answers 401.
import type { RequestOptions } from 'node:https';
import type { KubeAuthenticator } from '../kube/client.ts';
import type { CachedCredentials } from './credentials.ts';
import { mintToken, type MintedToken } from './token.ts';
import { resolveStsEndpoint, type StsEndpoint } from './sts-endpoint.ts';

const REUSE_MARGIN_MS = 60_000;

export class EksTokenAuthenticator implements KubeAuthenticator {
  private current?: MintedToken;
  /** Resolved once: the region and the endpoint settings do not change while the process runs. */
  private sts?: Promise<StsEndpoint>;
  private minting?: Promise<MintedToken>;
  mintCount = 0;

  constructor(
    private readonly credentials: CachedCredentials,
    private readonly region: string,
    private readonly clusterName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async token(): Promise<MintedToken> {
    const now = this.now();
    if (this.current && this.current.expiresAt.getTime() - REUSE_MARGIN_MS > now.getTime()) return this.current;
    // Requests sent at once (discovery's burst: ~40 before any answer) share one new token, not one signature
    // each; and a token minted in another second is another TokenReview for the cluster's authenticator.
    this.minting ??= this.mint(now).finally(() => { this.minting = undefined; });
    return this.minting;
  }

  private async mint(now: Date): Promise<MintedToken> {
    const credentials = await this.credentials.get();
    this.sts ??= resolveStsEndpoint(this.region);
    this.current = await mintToken({ credentials, region: this.region, clusterName: this.clusterName, now, sts: await this.sts });
    this.mintCount += 1;
    return this.current;
  }

  async apply(options: RequestOptions): Promise<void> {
    const { token } = await this.token();
    options.headers = { ...(options.headers as Record<string, string>), authorization: `Bearer ${token}` };
  }

  /** A 401: mint afresh (once per request). Credentials are kept: if STS is down, they may be all we have. */
  async refresh(): Promise<boolean> {
    this.current = undefined;
    return true;
  }

  identity() {
    return this.credentials.status();
  }
}
