// Who the connection is, and what it may do: the proof behind the advertised tool list.
import { z } from 'zod';
import { defineTool, ToolError } from '../src/tool.ts';
import { parseResourceArgument } from '../src/kube/api-resources.ts';
import { selfSubjectReview } from '../src/kube/resources.ts';
import { accessReview } from '../src/rbac/discovery.ts';
import { describePermission } from '../src/rbac/permission.ts';
import { READ_ONLY } from './common.ts';

const review = (resource: string, group: string) => ({ group, resource, verb: 'create', scope: 'cluster' as const });

export const whoami = defineTool({
  name: 'whoami',
  title: 'Who am I',
  description: 'The Kubernetes user and groups this connection acts as, and the IAM identity behind them.',
  input: {},
  output: { username: z.string(), groups: z.array(z.string()), iamArn: z.string().optional(), sessionName: z.string().optional() },
  annotations: READ_ONLY,
  permissions: [review('selfsubjectreviews', 'authentication.k8s.io')],
  async handler(_args, ctx) {
    const user = await selfSubjectReview(ctx.kube, ctx.signal);
    const iamArn = user.extra?.['arn']?.[0];
    const sessionName = user.extra?.['sessionName']?.[0];
    const structured = { username: user.username ?? '', groups: user.groups ?? [], ...(iamArn ? { iamArn } : {}), ...(sessionName ? { sessionName } : {}) };
    const text = [`user: ${structured.username}`, `groups: ${structured.groups.join(', ') || '-'}`, ...(iamArn ? [`iam: ${iamArn}`] : [])].join('\n');
    return { text, structured };
  },
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
  namespaceArgument: 'optional',
  output: { allowed: z.boolean(), question: z.string() },
  annotations: READ_ONLY,
  permissions: [review('selfsubjectaccessreviews', 'authorization.k8s.io')],
  async handler(args, ctx) {
    const parsed = parseResourceArgument(args.resource);
    if (!parsed) throw new ToolError(`resource "${args.resource}" is not of the form resource[.group][/subresource], e.g. deployments.apps/scale`);
    const permission = { ...parsed, verb: args.verb, scope: args.namespace ? 'namespaced' as const : 'cluster' as const };
    const allowed = await accessReview(ctx.kube, permission, args.namespace, args.name);
    const question = `${describePermission(permission)}${args.name ? ` ${args.name}` : ''}${args.namespace ? ` in ${args.namespace}` : ' (cluster-wide)'}`;
    return { text: `${allowed ? 'yes' : 'no'}: ${question}`, structured: { allowed, question } };
  },
});
