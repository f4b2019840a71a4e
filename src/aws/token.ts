// The EKS bearer token: a presigned STS GetCallerIdentity URL, minted locally with no network call,
// exactly as `aws eks get-token` (botocore) and aws-iam-authenticator's clients mint it.
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { resolveStsEndpoint, type StsEndpoint } from './sts-endpoint.ts';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export const TOKEN_PREFIX = 'k8s-aws-v1.';
/** The authenticator refuses a token 15 minutes after its X-Amz-Date, whatever X-Amz-Expires says. */
export const TOKEN_LIFETIME_MS = 15 * 60_000;
const URL_EXPIRES_SECONDS = 60;

export interface MintedToken {
  token: string;
  /** When the authenticator will start refusing it. */
  expiresAt: Date;
}

/** RFC 3986 encoding, as botocore's percent_encode (unreserved: A-Z a-z 0-9 - _ . ~). */
function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** botocore's order: the operation's parameters, then the auth parameters, the signature last. */
const QUERY_ORDER = ['Action', 'Version', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires',
  'X-Amz-SignedHeaders', 'X-Amz-Security-Token', 'X-Amz-Signature'];

export function encodeToken(host: string, query: Record<string, string>): string {
  const pairs = QUERY_ORDER.filter((key) => query[key] !== undefined).map((key) => `${key}=${percentEncode(query[key]!)}`);
  const url = `https://${host}/?${pairs.join('&')}`;
  return TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}

export async function mintToken(input: {
  credentials: AwsCredentials;
  region: string;
  clusterName: string;
  now?: Date;
  /** The STS endpoint for the region (resolved from the SDK's partition data when not given). */
  sts?: StsEndpoint;
}): Promise<MintedToken> {
  const now = new Date(Math.floor((input.now ?? new Date()).getTime() / 1000) * 1000);
  const { host, signingRegion } = input.sts ?? await resolveStsEndpoint(input.region);
  const signer = new SignatureV4({
    service: 'sts',
    region: signingRegion,
    credentials: input.credentials,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: true,
  });
  const presigned = await signer.presign({
    method: 'GET',
    protocol: 'https:',
    hostname: host,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host, 'x-k8s-aws-id': input.clusterName },
  }, {
    expiresIn: URL_EXPIRES_SECONDS,
    signingDate: now,
    unhoistableHeaders: new Set(['x-k8s-aws-id']), // must stay a signed header, not move into the query
  });
  const token = encodeToken(host, presigned.query as Record<string, string>);
  return { token, expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS) };
}
