// Reading a minted EKS token back (the presigned URL inside it, the instant it was signed at), and botocore's own
// token for the same credentials, the independent reference ours must equal.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { TOKEN_PREFIX } from '../../src/aws/token.ts';

export function decode(token: string): URL {
  return new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

/** The instant a token was signed at, from its X-Amz-Date. */
export function signedAt(token: string): Date {
  const d = decode(token).searchParams.get('X-Amz-Date')!;
  return new Date(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`);
}

/** Credentials shaped like an assumed role's, made up for each run: a session token carries '/', '+' and '='. */
export function randomCredentials(): { accessKeyId: string; secretAccessKey: string; sessionToken: string } {
  return {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `IQoJb3JpZ2luX2Vj/${randomBytes(60).toString('base64')}+=`,
  };
}

// The code `aws eks get-token` runs (awscli's TokenGenerator over botocore), called in one Python process: ~0.4 s,
// against ~2 s for a start of the AWS CLI itself.
const BOTOCORE_TOKEN = `
import os
from botocore.session import get_session
from awscli.customizations.eks.get_token import STSClientFactory, TokenGenerator
session = get_session()
session.set_credentials(os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_SECRET_ACCESS_KEY'], os.environ['AWS_SESSION_TOKEN'])
client = STSClientFactory(session).get_sts_client(region_name=os.environ['AWS_REGION'])
print(TokenGenerator(client).get_token(os.environ['CLUSTER_NAME']), end='')
`;

type Credentials = ReturnType<typeof randomCredentials>;

/**
 * The environment of a reference process (botocore, the AWS CLI) that holds only these credentials: they go through
 * the environment, not argv, and no profile or config file of this machine is read (HOME is not one).
 */
export function credentialEnv(credentials: Credentials, settings: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'], HOME: '/nonexistent', ...settings,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_SESSION_TOKEN: credentials.sessionToken,
  };
}

/** botocore's EKS token for these credentials, minted now. */
export function botocoreToken(credentials: Credentials, cluster: string, region: string): string {
  return execFileSync('python3', ['-c', BOTOCORE_TOKEN], { env: credentialEnv(credentials, { AWS_REGION: region, CLUSTER_NAME: cluster }) }).toString();
}
