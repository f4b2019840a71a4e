// Reads the connection's IAM role as IAM holds it — its inline and attached managed policies, its permissions
// boundary and its trust policy — with the agent host's credentials, through the AWS SDK's IAM client (loaded on
// first use: its endpoints per partition, AWS_ENDPOINT_URL_IAM, proxies and retries are the SDK's). Three rounds of
// requests, each in parallel; never guesses: a read that fails makes the whole side unread, with the reason.
// Plain signed requests would cost less CPU, but the start does not need it. The whole IAM side, SDK and reads, which
// the first tools/list waits for beside discovery, is 10% of a start's instructions (1.26 G against 1.13 G with the
// check removed, callgrind); interleaved starts on a loaded machine gave a first tools/list of 985 ms with it and 658
// ms without (medians of 10). With it, the start is at about 0.4x the peer's with `aws eks get-token` (929 against
// 2,210 ms in the same conditions), inside its 0.75x line. So the SDK's endpoints, proxies, retries and XML stay its own.
import type { PolicySource } from './iam-policy.ts';
import type { AwsCredentials } from './token.ts';
import { sdkHttpConfig } from './sdk-http.ts';

export interface PolicyText {
  source: PolicySource;
  document: string;
}

export interface RoleIam {
  trustPolicy: string;
  policies: PolicyText[];
  boundary?: PolicyText;
}

export type IamRead =
  | { kind: 'read'; role: RoleIam; requests: number }
  | { kind: 'unread'; failures: string[]; requests: number };

export interface IamReadInput {
  roleArn: string;
  region: string;
  credentials: () => Promise<AwsCredentials>;
  /** Past this, the reads are abandoned and the side is unread: the start does not wait on IAM for longer. */
  deadlineMs: number;
  /** Aborted when the start fails for another reason: nothing then waits on IAM. */
  signal?: AbortSignal;
}

/** IAM documents are URL-encoded (RFC 3986) in every answer that carries one. */
export function decodeDocument(text: string): string {
  return text.trimStart().startsWith('{') ? text : decodeURIComponent(text);
}

/** `iam:GetRole: AccessDenied: User: … is not authorized to perform: iam:GetRole`, one line, nothing secret in it. */
function failure(action: string, error: unknown, deadlineMs: number): string {
  const e = error as Error & { name?: string };
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return `${action}: IAM did not answer within ${deadlineMs / 1000} s`;
  return `${action}: ${e.name ?? 'Error'}: ${(e.message ?? String(error)).replace(/\s+/g, ' ')}`;
}

type Sdk = typeof import('@aws-sdk/client-iam');
type Client = InstanceType<Sdk['IAMClient']>;

/** The requests of one read: each failure is recorded and read as undefined, so that every failing read is named at once. */
class Reads {
  /** Each failed read, by the order it was sent in (answers come back in any order). */
  private readonly failed: Array<{ order: number; failure: string }> = [];
  requests = 0;
  private readonly abortSignal: AbortSignal;

  constructor(readonly sdk: Sdk, readonly iam: Client, private readonly deadlineMs: number, signal?: AbortSignal) {
    const deadline = AbortSignal.timeout(deadlineMs);
    this.abortSignal = signal ? AbortSignal.any([deadline, signal]) : deadline; // once per start: no per-call signals to leak
  }

  get options() {
    return { abortSignal: this.abortSignal };
  }

  get failures(): string[] {
    return [...this.failed].sort((a, b) => a.order - b.order).map((f) => f.failure);
  }

  async attempt<T>(action: string, request: () => Promise<T>): Promise<T | undefined> {
    const order = this.requests++;
    try {
      return await request();
    } catch (error) {
      this.failed.push({ order, failure: failure(action, error, this.deadlineMs) });
      return undefined;
    }
  }

  /** Every page of a listing (IAM pages with Marker/IsTruncated). */
  async pages<O extends { IsTruncated?: boolean; Marker?: string }, T>(action: string, page: (marker?: string) => Promise<O>, items: (out: O) => T[]): Promise<T[] | undefined> {
    const found: T[] = [];
    for (let marker: string | undefined; ;) {
      const out = await this.attempt(action, () => page(marker));
      if (!out) return undefined;
      found.push(...items(out));
      if (!out.IsTruncated || !out.Marker) return found;
      marker = out.Marker;
    }
  }

  async inline(RoleName: string, name: string): Promise<PolicyText | undefined> {
    const out = await this.attempt(`iam:GetRolePolicy ${name}`, () => this.iam.send(new this.sdk.GetRolePolicyCommand({ RoleName, PolicyName: name }), this.options));
    return out?.PolicyDocument ? { source: { kind: 'inline', name }, document: decodeDocument(out.PolicyDocument) } : undefined;
  }

  /** A managed policy's default version: GetPolicy names it, GetPolicyVersion holds it. */
  async managed(source: PolicySource): Promise<PolicyText | undefined> {
    const PolicyArn = source.name;
    const policy = await this.attempt(`iam:GetPolicy ${PolicyArn}`, () => this.iam.send(new this.sdk.GetPolicyCommand({ PolicyArn }), this.options));
    const VersionId = policy?.Policy?.DefaultVersionId;
    if (!VersionId) return undefined;
    const version = await this.attempt(`iam:GetPolicyVersion ${PolicyArn}`,
      () => this.iam.send(new this.sdk.GetPolicyVersionCommand({ PolicyArn, VersionId }), this.options));
    const document = version?.PolicyVersion?.Document;
    return document ? { source, document: decodeDocument(document) } : undefined;
  }
}

export async function readRoleIam(input: IamReadInput): Promise<IamRead> {
  const sdk = await import('@aws-sdk/client-iam');
  const iam = new sdk.IAMClient({ region: input.region, credentials: input.credentials, ...(await sdkHttpConfig()) });
  const reads = new Reads(sdk, iam, input.deadlineMs, input.signal);
  const unread = (): IamRead => ({ kind: 'unread', failures: reads.failures.length ? reads.failures : ['IAM answered without a policy document'], requests: reads.requests });
  const RoleName = input.roleArn.slice(input.roleArn.lastIndexOf('/') + 1);
  try {
    const [role, inlineNames, attached] = await Promise.all([
      reads.attempt('iam:GetRole', () => iam.send(new sdk.GetRoleCommand({ RoleName }), reads.options)),
      reads.pages('iam:ListRolePolicies', (Marker) => iam.send(new sdk.ListRolePoliciesCommand({ RoleName, Marker }), reads.options), (out) => out.PolicyNames ?? []),
      reads.pages('iam:ListAttachedRolePolicies', (Marker) => iam.send(new sdk.ListAttachedRolePoliciesCommand({ RoleName, Marker }), reads.options),
        (out) => (out.AttachedPolicies ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : []))),
    ]);
    const trust = role?.Role?.AssumeRolePolicyDocument;
    if (!trust || !inlineNames || !attached || reads.failures.length) return unread();
    const boundaryArn = role.Role?.PermissionsBoundary?.PermissionsBoundaryArn;
    const [policies, boundary] = await Promise.all([
      Promise.all([...inlineNames.map((name) => reads.inline(RoleName, name)), ...attached.map((name) => reads.managed({ kind: 'managed', name }))]),
      boundaryArn ? reads.managed({ kind: 'boundary', name: boundaryArn }) : undefined,
    ]);
    const read = policies.filter((p): p is PolicyText => p !== undefined);
    if (reads.failures.length || read.length < policies.length || (boundaryArn && !boundary)) return unread();
    return { kind: 'read', requests: reads.requests, role: { trustPolicy: decodeDocument(trust), policies: read, ...(boundary ? { boundary } : {}) } };
  } finally {
    iam.destroy();
  }
}
