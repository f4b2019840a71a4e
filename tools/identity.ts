// Who the connection is, and what it may do: the proof behind the advertised tool list.
import { z } from 'zod';
import { defineTool, ToolError } from '../src/tool.ts';
import { parseResourceArgument } from '../src/kube/api-resources.ts';
import { selfSubjectReview, type UserInfo } from '../src/kube/resources.ts';
import { accessReview } from '../src/rbac/discovery.ts';
import { describePermission } from '../src/rbac/permission.ts';
import { fixed } from '../src/rbac/needs.ts';
import { READ_ONLY } from './common.ts';

const review = (resource: string, group: string) => ({ group, resource, verb: 'create', scope: 'cluster' as const });

const IAM_ARN = /arn:aws[a-z-]*:(?:iam|sts)::\d{12}:[^\s,]+/g;
const ACCOUNT_ID = /(?<!\d)\d{12}(?!\d)/g;

/**
 * What the agent is shown of the identity: the Kubernetes user and groups, with any IAM ARN or account ID
 * that an access entry's username template put into them masked, and no session extras. The IAM side (role
 * ARN, session) only with --show-iam-identity; the operator's log keeps it all (the `ready` line).
 */
export function agentIdentity(user: UserInfo, showIamIdentity: boolean): { username: string; groups: string[]; iamArn?: string; sessionName?: string } {
  const iamArn = user.extra?.['arn']?.[0];
  const sessionName = user.extra?.['sessionName']?.[0];
  if (showIamIdentity) return { username: user.username ?? '', groups: user.groups ?? [], ...(iamArn ? { iamArn } : {}), ...(sessionName ? { sessionName } : {}) };
  const mask = (value: string) => value.replace(IAM_ARN, '<iam-identity>').replace(ACCOUNT_ID, '<account>');
  return { username: mask(user.username ?? ''), groups: (user.groups ?? []).map(mask) };
}

export const whoami = defineTool({
  name: 'whoami',
  title: 'Who am I',
  description: 'The Kubernetes user and groups this connection acts as.',
  input: {},
  output: { username: z.string(), groups: z.array(z.string()), iamArn: z.string().optional(), sessionName: z.string().optional() },
  annotations: READ_ONLY,
  needs: fixed(review('selfsubjectreviews', 'authentication.k8s.io')),
  plan: (_args, ctx) => ({
    async run() {
      const structured = agentIdentity(await selfSubjectReview(ctx.kube, ctx.signal), ctx.showIamIdentity === true);
      const text = [`user: ${structured.username}`, `groups: ${structured.groups.join(', ') || '-'}`, ...(structured.iamArn ? [`iam: ${structured.iamArn}`] : []), ...(structured.sessionName ? [`session: ${structured.sessionName}`] : [])].join('\n');
      return { text, structured };
    },
  }),
});

export const canI = defineTool({
  name: 'can_i',
  title: 'Can I',
  description: 'Ask the API server whether this connection may do something (kubectl auth can-i).',
  input: {
    verb: z.string().regex(/^[a-z*]+$/, 'a verb such as get, list, create, patch, delete').max(32),
    resource: z.string().max(253).describe('e.g. pods, pods/log, deployments.apps/scale'),
    name: z.string().max(253).optional(),
  },
  output: { allowed: z.boolean(), question: z.string() },
  annotations: READ_ONLY,
  needs: { ...fixed(review('selfsubjectaccessreviews', 'authorization.k8s.io')), namespace: 'optional' },
  plan: (args, ctx) => ({
    async run() {
      const parsed = parseResourceArgument(args.resource);
      if (!parsed) throw new ToolError(`resource "${args.resource}" is not of the form resource[.group][/subresource], e.g. deployments.apps/scale`);
      const permission = { ...parsed, verb: args.verb, scope: args.namespace ? 'namespaced' as const : 'cluster' as const };
      const allowed = await accessReview(ctx.kube, permission, args.namespace, args.name);
      const question = `${describePermission(permission)}${args.name ? ` ${args.name}` : ''}${args.namespace ? ` in ${args.namespace}` : ' (cluster-wide)'}`;
      return { text: `${allowed ? 'yes' : 'no'}: ${question}`, structured: { allowed, question } };
    },
  }),
});
