// Reading a minted EKS token back: the presigned URL inside it, and the instant it was signed at.
import { TOKEN_PREFIX } from '../../src/aws/token.ts';

export function decode(token: string): URL {
  return new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

/** The instant a token was signed at, from its X-Amz-Date. */
export function signedAt(token: string): Date {
  const d = decode(token).searchParams.get('X-Amz-Date')!;
  return new Date(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`);
}
