// EKS access policies: what each one grants in Kubernetes terms, and the connection's own associations, read from EKS
// (ListAssociatedAccessPolicies). With both, discovery knows what the access-policy authorizer grants without asking it
// permission by permission: the rules reviews tell RBAC's part, this tells the rest.
import type { ResourceRule } from '../rbac/rules.ts';
import type { AwsCredentials } from './token.ts';
import { sdkHttpConfig } from './sdk-http.ts';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const rule = (apiGroups: string[], resources: string[], verbs: string[]): ResourceRule => ({ apiGroups, resources, verbs });

/**
 * The Kubernetes rules of each AWS-managed access policy, as the EKS user guide lists them ("Review access policy
 * permissions"). The local control plane's authorizer grants from the same table (test/cluster/eks_webhook, compared
 * with this one by a test). A policy that is not here is never guessed at: its scope is asked about with access reviews.
 */
const VIEW: ResourceRule[] = [
  rule(['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status',
    'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'], READ),
  rule(['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], READ),
  rule(['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], READ),
  rule(['discovery.k8s.io'], ['endpointslices'], READ),
  rule(['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses',
    'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale'], READ),
  rule(['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies'], READ),
  rule(['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], READ),
  rule([''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers',
    'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status'], READ),
  rule([''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status',
    'resourcequotas', 'resourcequotas/status'], READ),
  rule([''], ['namespaces'], READ),
];

const EDIT: ResourceRule[] = [
  ...VIEW,
  rule(['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale',
    'statefulsets', 'statefulsets/scale'], WRITE),
  rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
  rule(['batch'], ['cronjobs', 'jobs'], WRITE),
  rule(['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies',
    'replicasets', 'replicasets/scale', 'replicationcontrollers/scale'], WRITE),
  rule(['networking.k8s.io'], ['ingresses', 'networkpolicies'], WRITE),
  rule(['policy'], ['poddisruptionbudgets'], WRITE),
  rule([''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], READ),
  rule([''], ['serviceaccounts'], ['impersonate']),
  rule([''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], WRITE),
  rule([''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets',
    'serviceaccounts', 'services', 'services/proxy'], WRITE),
];

const ADMIN: ResourceRule[] = [
  ...EDIT,
  rule(['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']),
  rule(['rbac.authorization.k8s.io'], ['rolebindings', 'roles'], [...READ, ...WRITE]),
];

export const ACCESS_POLICY_RULES: ReadonlyMap<string, readonly ResourceRule[]> = new Map([
  ['AmazonEKSViewPolicy', VIEW],
  ['AmazonEKSEditPolicy', EDIT],
  ['AmazonEKSAdminPolicy', ADMIN],
  ['AmazonEKSClusterAdminPolicy', [rule(['*'], ['*'], ['*'])]],
  ['AmazonEKSAdminViewPolicy', [rule(['*'], ['*'], READ)]],
  ['AmazonEKSSecretReaderPolicy', [rule([''], ['secrets'], READ)]],
]);

export type AccessScope = { type: 'cluster' } | { type: 'namespace'; namespaces: string[] };

export interface PolicyAssociation {
  policyArn: string;
  scope: AccessScope;
}

/** The name of an AWS-managed access policy from its ARN (arn:<partition>:eks::aws:cluster-access-policy/<name>). */
export function policyName(arn: string): string | undefined {
  return /^arn:[\w-]+:eks::aws:cluster-access-policy\/([\w-]+)$/.exec(arn)?.[1];
}

/** Whether an association applies to a namespace (undefined: cluster-wide, where only cluster scopes apply); EKS scopes allow a trailing `*`. */
export function scopeCovers(scope: AccessScope, namespace: string | undefined): boolean {
  if (scope.type === 'cluster') return true;
  return namespace !== undefined && namespace !== ''
    && scope.namespaces.some((ns) => (ns.endsWith('*') ? namespace.startsWith(ns.slice(0, -1)) : namespace === ns));
}

/**
 * The rules the associations grant in a namespace (undefined: cluster-wide), or undefined when a policy that applies
 * there is not one this server knows: then only the API server can say what it grants.
 */
export function accessPolicyRules(associations: readonly PolicyAssociation[], namespace: string | undefined): ResourceRule[] | undefined {
  const rules: ResourceRule[] = [];
  for (const association of associations.filter((a) => scopeCovers(a.scope, namespace))) {
    const known = ACCESS_POLICY_RULES.get(policyName(association.policyArn) ?? '');
    if (!known) return undefined;
    rules.push(...known);
  }
  return rules;
}

/** What reading the associations gave: the list, or why it could not be read (and whether for want of permission). */
export type AccessPolicyRead =
  | { kind: 'read'; associations: PolicyAssociation[]; noAccessEntry?: true }
  | { kind: 'unreadable'; reason: string; denied: boolean };

/** The action the host's role needs for it, in the IAM policies `rbac` prints and manifests/aws holds. */
export const READ_ACTION = 'eks:ListAssociatedAccessPolicies';

type EksModule = typeof import('@aws-sdk/client-eks');

/** Reads the associations of one principal on one cluster, with the connection's credentials; one EKS client, reused. */
export class AccessPolicyReader {
  private client?: Promise<{ sdk: EksModule; eks: InstanceType<EksModule['EKSClient']> }>;

  constructor(
    private readonly target: { clusterName: string; region: string; principalArn: string },
    private readonly credentials: () => Promise<AwsCredentials>,
  ) {}

  /** Loads the SDK's EKS client ahead of the first read, while the start waits on the network for other things. */
  prepare(): void {
    this.client ??= (async () => {
      const sdk = await import('@aws-sdk/client-eks');
      const http = await sdkHttpConfig();
      // A slow or unreachable EKS endpoint must not hold discovery up: it falls back to access reviews instead.
      const eks = new sdk.EKSClient({
        region: this.target.region, credentials: this.credentials, maxAttempts: 2,
        requestHandler: { ...http.requestHandler, connectionTimeout: 3_000, requestTimeout: 5_000 },
      });
      return { sdk, eks };
    })();
    this.client.catch(() => { this.client = undefined; });
  }

  async read(): Promise<AccessPolicyRead> {
    this.prepare();
    try {
      const { sdk, eks } = await this.client!;
      const associations: PolicyAssociation[] = [];
      let nextToken: string | undefined;
      do {
        const page = await eks.send(new sdk.ListAssociatedAccessPoliciesCommand({
          clusterName: this.target.clusterName, principalArn: this.target.principalArn, maxResults: 100, nextToken,
        }));
        for (const a of page.associatedAccessPolicies ?? []) {
          const scope: AccessScope = a.accessScope?.type === 'cluster' ? { type: 'cluster' } : { type: 'namespace', namespaces: a.accessScope?.namespaces ?? [] };
          associations.push({ policyArn: a.policyArn ?? '', scope });
        }
        nextToken = page.nextToken;
      } while (nextToken);
      return { kind: 'read', associations };
    } catch (error) {
      return readFailure(error as Error & { $metadata?: { httpStatusCode?: number } });
    }
  }

  destroy(): void {
    void this.client?.then(({ eks }) => eks.destroy(), () => undefined);
  }
}

/**
 * A principal without an access entry has no access policies: EKS's authorizer grants it nothing, which is known.
 * Anything else that fails leaves the policies unknown, for the access reviews to settle.
 */
export function readFailure(error: Error & { $metadata?: { httpStatusCode?: number } }): AccessPolicyRead {
  if (error.name === 'ResourceNotFoundException' && /principal/i.test(error.message)) return { kind: 'read', associations: [], noAccessEntry: true };
  const denied = error.name === 'AccessDeniedException' || error.$metadata?.httpStatusCode === 403;
  return { kind: 'unreadable', denied, reason: `${READ_ACTION} failed: ${error.name}: ${error.message}` };
}
