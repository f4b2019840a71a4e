// The commands besides `serve`: doctor, rbac, token, tools. They print for people (stdout) and exit.
import type { Config, FieldName } from './config.ts';
import { connect } from './connection.ts';
import { selfSubjectReview } from './kube/resources.ts';
import { parseResourceArgument } from './kube/api-resources.ts';
import { accessReview, EXTENSION_GROUPS, type PermissionSet } from './rbac/discovery.ts';
import { describePermission, type Permission } from './rbac/permission.ts';
import { renderRbac } from './rbac/role.ts';
import { advertise, isReadOnlyTool } from './server/mcp.ts';
import { startRuntime } from './server/runtime.ts';
import type { Logger } from './log.ts';
import { table } from './format.ts';
import { catalogue } from '../tools/index.ts';
import { allPermissions, describeNeeds, type ToolDeclaration } from './tool.ts';

const out = (text: string) => process.stdout.write(`${text}\n`);

export function printCatalogue(): void {
  out(table(['tool', 'read-only', 'needs'], catalogue.map((t) => [t.name, isReadOnlyTool(t) ? 'yes' : 'no', describeNeeds(t)])));
}

function firstMissing(tool: ToolDeclaration, permissions: PermissionSet): Permission | undefined {
  const needed = allPermissions(tool);
  const cluster = needed.filter((p) => p.scope === 'cluster').find((p) => permissions.decision(p).kind === 'none');
  if (cluster) return cluster;
  return needed.find((p) => p.scope === 'namespaced' && permissions.namespaces.every((ns) => permissions.decision(p, ns).kind === 'none'))
    ?? needed.find((p) => p.scope === 'namespaced');
}

/** Exit 0 when the connection works (whatever it may do); 1 when it cannot authenticate or reach the API. */
export async function doctor(config: Config, log: Logger): Promise<number> {
  const { connection, permissions } = await startRuntime(config, log);
  out(`connection  ${Object.entries(connection.summary).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const user = await selfSubjectReview(connection.kube);
  out(`identity    ${user.username} (groups: ${(user.groups ?? []).join(', ') || '-'})${user.extra?.['arn'] ? ` iam: ${user.extra['arn'][0]}` : ''}`);
  const identity = connection.eks?.authenticator.identity();
  if (identity) {
    out(`credentials ${identity.valid ? `valid${identity.expiresAt ? ` until ${identity.expiresAt.toISOString()}` : ''}` : 'LAPSED'}`
      + `${identity.lastError ? ` (last refresh failed: ${identity.lastError})` : ''}`);
  }
  out(`scope       ${config.namespaces.join(', ')}${config.readOnly ? ' (read-only)' : ''}`);
  for (const review of permissions.reviews) {
    const rules = review.rules.filter((r) => !(r.resources ?? []).some((res) => res.startsWith('self')))
      .map((r) => `${r.verbs.join(',')} ${(r.resources ?? []).join(',')}${(r.resourceNames ?? []).length ? ` [${r.resourceNames!.join(',')}]` : ''}`);
    out(`rules       ${review.namespace}: ${rules.join('; ') || '(none)'}${review.incomplete ? '  (incomplete: another authorizer, e.g. EKS access policies, may grant more; asked per permission)' : ''}`);
  }
  const advertised = new Map(advertise(catalogue, permissions, config.readOnly).map((a) => [a.tool.name, a]));
  out('');
  out(table(['', 'tool', 'namespaces / missing'], catalogue.map((tool) => {
    const ad = advertised.get(tool.name);
    if (ad) return ['✓', tool.name, ad.namespaces?.join(',') ?? 'cluster'];
    const missing = config.readOnly && !isReadOnlyTool(tool) ? undefined : firstMissing(tool, permissions);
    if (missing && permissions.decision(missing, config.namespaces[0]).source === 'not-served') {
      return ['✗', tool.name, `${missing.group} is not served by this cluster: install ${EXTENSION_GROUPS.get(missing.group)} (an APIService)`];
    }
    return ['✗', tool.name, missing ? `needs ${describePermission(missing)}` : tool.advertisedFor ? `needs ${describeNeeds(tool)}` : 'not read-only'];
  })));
  out('');
  const proofs = await Promise.all(config.namespaces.map(async (ns) => {
    const allowed = await accessReview(connection.kube, { group: '', resource: 'pods', verb: 'delete', scope: 'namespaced' }, ns);
    return `can-i delete pods -n ${ns} → ${allowed ? 'yes' : 'no'}`;
  }));
  out(`proof       ${proofs.join('; ')}`);
  out(`advertised  ${advertised.size} of ${catalogue.length} tools (discovery: ${permissions.requestCount} API requests)`);
  return 0;
}

/** An ExecCredential on stdout, for kubectl's exec plugin: the same token every tool call sends. */
export async function printToken(config: Config): Promise<number> {
  if (config.mode !== 'eks') throw new Error('token needs an EKS connection (--cluster-name, --region), not a kubeconfig');
  const connection = await connect(config);
  const minted = await connection.eks!.authenticator.token();
  out(JSON.stringify({
    kind: 'ExecCredential',
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    spec: {},
    status: { expirationTimestamp: new Date(minted.expiresAt.getTime() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'), token: minted.token },
  }));
  return 0;
}

export function printRbac(values: Record<string, string | string[] | undefined>, flags: Partial<Record<FieldName, string>>): number {
  const names = String(values['tools'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) {
    process.stderr.write(`eks-rbac-mcp: rbac needs --tools a,b,c (one of: ${catalogue.map((t) => t.name).join(', ')})\n`);
    return 2;
  }
  const unknown = names.filter((n) => !catalogue.some((t) => t.name === n));
  if (unknown.length) {
    process.stderr.write(`eks-rbac-mcp: unknown tool(s) ${unknown.join(', ')}; known: ${catalogue.map((t) => t.name).join(', ')}\n`);
    return 2;
  }
  const kindNames = String(values['kinds'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const kinds = kindNames.map(parseResourceArgument);
  if (kinds.some((k) => !k || k.subresource)) {
    process.stderr.write(`eks-rbac-mcp: --kinds takes plural resource names with their group, e.g. configmaps,jobs.batch,widgets.example.com\n`);
    return 2;
  }
  const namespaces = (values['namespace'] as string[] | undefined) ?? flags.namespaces?.split(',') ?? ['default'];
  const bindingRole = flags.bindingRole ?? 'agent';
  out(renderRbac({
    tools: catalogue.filter((t) => names.includes(t.name)),
    kinds: kinds as Array<{ group: string; resource: string }>,
    namespaces,
    bindingRole,
    user: String(values['user'] ?? `eks-agent:${bindingRole}`),
    name: String(values['name'] ?? `eks-rbac-mcp-${bindingRole}`),
    roleArn: flags.roleArn ?? 'arn:aws:iam::111122223333:role/eks-rbac-mcp-agent',
    clusterName: flags.clusterName ?? 'my-cluster',
    region: flags.region ?? 'us-east-1',
    trustedPrincipal: String(values['trusted-principal'] ?? 'arn:aws:iam::111122223333:role/agent-host'),
  }));
  return 0;
}
