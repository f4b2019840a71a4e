// The one stand-in for the API server in tests that run without a control plane: its authorization API (rules reviews,
// access reviews) and the discovery documents discovery reads (aggregated discovery, an API group's own document), as
// the API server shapes its answers. Every request is recorded; anything else it is sent is refused. Fed from the
// fixture roles (test/fixture-rbac.ts), it answers as the local control plane does: test/discovery.test.ts checks
// that against a real one.
import type { KubeClient, KubeRequest } from '../src/kube/client.ts';
import { KubeApiError } from '../src/kube/errors.ts';
import type { ServedKinds } from '../src/kube/api-resources.ts';
import type { ResourceRule } from '../src/rbac/rules.ts';

export interface ResourceAttributes { verb: string; group: string; resource: string; subresource: string; namespace?: string; name: string }

/** A rules review's answer in one namespace. */
export interface RulesAnswer { rules?: ResourceRule[]; incomplete?: boolean }

/** Aggregated discovery as the API server serves it at /api (the core group) and /apis (the others). */
export interface DiscoveryDocuments { api: unknown; apis: unknown }

/** What the API server answers. */
export interface Answers {
  /** Rules per namespace; a function answers any namespace. */
  rules?: Record<string, RulesAnswer> | ((namespace: string) => RulesAnswer);
  /**
   * The answer in a namespace that `rules` does not list (the cluster-wide review's '' among them): by default no rules
   * for this user, and incomplete, as under a webhook authorizer (EKS's).
   */
  elsewhere?: RulesAnswer;
  /** Rules reviews are answered once this settles. */
  rulesReviewed?: Promise<void>;
  /** A SelfSubjectAccessReview's verdict: no, unless told. */
  allowed?: (attributes: ResourceAttributes) => boolean;
  /** Access reviews fail (the API server unreachable) while this returns true. */
  failing?: () => boolean;
  /** The kinds the cluster serves, answered as aggregated discovery (none unless told)... */
  served?: ServedKinds;
  /** ...or the documents themselves, as a cluster served them. */
  discovery?: DiscoveryDocuments;
  /** The HTTP status of an API group's own document, /apis/<group> (200: served), or an error to fail with; 200 unless told. */
  group?: (name: string) => number | Error;
}

export interface AuthorizationApi {
  client: KubeClient;
  /** Every request, in order. */
  sent: KubeRequest[];
  /** The attributes of each access review, in order. */
  accessReviews(): ResourceAttributes[];
  /** The namespace of each rules review, in order. */
  rulesReviews(): string[];
}

const RULES_REVIEW = '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews';
const ACCESS_REVIEW = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

function aggregatedDiscovery(served: ServedKinds | undefined, core: boolean) {
  const kinds = (served?.resources ?? []).filter((k) => (k.group === '') === core);
  return { items: [...new Set(kinds.map((k) => k.group))].map((name) => ({ metadata: { name }, versions: [{ version: 'v1', resources: kinds.filter((k) => k.group === name)
    .map((k) => ({ resource: k.resource, responseKind: { kind: k.kind }, scope: k.namespaced ? 'Namespaced' : 'Cluster', verbs: k.verbs })) }] })) };
}

function discoveryDocument(answers: Answers, path: string): unknown {
  if (path === '/api' || path === '/apis') return answers.discovery?.[path === '/api' ? 'api' : 'apis'] ?? aggregatedDiscovery(answers.served, path === '/api');
  const name = path.slice('/apis/'.length);
  const status = answers.group?.(name) ?? 200;
  if (status instanceof Error) throw status;
  if (status !== 200) throw new KubeApiError(status, status === 404 ? 'NotFound' : 'ServiceUnavailable', 'the server could not find the requested resource');
  return { kind: 'APIGroup', apiVersion: 'v1', name };
}

async function rulesReview(answers: Answers, namespace: string): Promise<unknown> {
  await answers.rulesReviewed;
  const listed = typeof answers.rules === 'function' ? answers.rules(namespace) : answers.rules?.[namespace];
  const answer = listed ?? answers.elsewhere ?? { rules: [], incomplete: true };
  return { status: { resourceRules: answer.rules, incomplete: answer.incomplete } };
}

export function authorizationApi(answers: Answers = {}): AuthorizationApi {
  const sent: KubeRequest[] = [];
  const specOf = (request: KubeRequest) => (request.body as { spec: { namespace: string; resourceAttributes: ResourceAttributes } }).spec;
  const client = {
    async json(request: KubeRequest): Promise<unknown> {
      sent.push(request);
      if (request.path === '/api' || /^\/apis(\/[^/]+)?$/.test(request.path)) return discoveryDocument(answers, request.path);
      if (request.path === RULES_REVIEW) return rulesReview(answers, specOf(request).namespace);
      if (request.path !== ACCESS_REVIEW) throw new Error(`no such request reaches this stand-in for the API server: ${request.method ?? 'GET'} ${request.path}`);
      if (answers.failing?.()) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      return { status: { allowed: answers.allowed?.(specOf(request).resourceAttributes) ?? false } };
    },
  } as unknown as KubeClient;
  return {
    client,
    sent,
    accessReviews: () => sent.filter((r) => r.path === ACCESS_REVIEW).map((r) => specOf(r).resourceAttributes),
    rulesReviews: () => sent.filter((r) => r.path === RULES_REVIEW).map((r) => specOf(r).namespace),
  };
}
