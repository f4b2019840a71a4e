// The authorization API as the API server shapes its answers (test/server.test.ts checks them against a real one):
// rules per namespace and a SelfSubjectAccessReview verdict, with every request it is sent recorded.
import type { KubeClient, KubeRequest } from '../../src/kube/client.ts';
import type { ResourceRule } from '../../src/rbac/rules.ts';
import type { ServedKinds } from '../../src/kube/api-resources.ts';

export interface ResourceAttributes { verb: string; group: string; resource: string; subresource: string; namespace?: string; name: string }

/** What the authorization API answers: rules per namespace, and a SelfSubjectAccessReview verdict. */
export interface Answers {
  rules?: Record<string, { rules?: ResourceRule[]; incomplete?: boolean }>;
  allowed?: (attributes: ResourceAttributes) => boolean;
  /** Access reviews fail (the API server unreachable) while this returns true. */
  failing?: () => boolean;
  /** The kinds the cluster serves, answered as aggregated discovery at /api (the core group) and /apis (the others); every group's own document is served. */
  served?: ServedKinds;
}

function aggregatedDiscovery(served: ServedKinds | undefined, core: boolean) {
  const kinds = (served?.resources ?? []).filter((k) => (k.group === '') === core);
  return { items: [...new Set(kinds.map((k) => k.group))].map((name) => ({ metadata: { name }, versions: [{ version: 'v1', resources: kinds.filter((k) => k.group === name)
    .map((k) => ({ resource: k.resource, responseKind: { kind: k.kind }, scope: k.namespaced ? 'Namespaced' : 'Cluster', verbs: k.verbs })) }] })) };
}

export function authorizationApi(answers: Answers): { client: KubeClient; sent: KubeRequest[]; accessReviews: () => ResourceAttributes[] } {
  const sent: KubeRequest[] = [];
  const client = {
    async json(request: KubeRequest): Promise<unknown> {
      sent.push(request);
      if (request.path === '/api' || request.path === '/apis') return aggregatedDiscovery(answers.served, request.path === '/api');
      if (/^\/apis\/[^/]+$/.test(request.path)) return {}; // an API group's document: served
      const spec = (request.body as { spec: { namespace?: string; resourceAttributes?: ResourceAttributes } }).spec;
      if (request.path.endsWith('/selfsubjectrulesreviews')) {
        // A namespace the answers do not list (the cluster-wide review's '' among them) has no rules for this user, and
        // the server has a webhook authorizer, as EKS does: its review is incomplete.
        const answer = answers.rules?.[spec.namespace!] ?? { rules: [], incomplete: true };
        return { status: { resourceRules: answer.rules, incomplete: answer.incomplete } };
      }
      if (answers.failing?.()) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      return { status: { allowed: answers.allowed?.(spec.resourceAttributes!) ?? false } };
    },
  } as unknown as KubeClient;
  const accessReviews = () => sent.filter((r) => r.path.endsWith('/selfsubjectaccessreviews'))
    .map((r) => (r.body as { spec: { resourceAttributes: ResourceAttributes } }).spec.resourceAttributes);
  return { client, sent, accessReviews };
}
