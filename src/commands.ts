// The commands besides `serve`: doctor, rbac, token, tools. They print for people (stdout) and exit.
import { readFileSync } from 'node:fs';
import type { Config, Flags, HttpConfig } from './config.ts';
import { connect } from './connection.ts';
import { selfSubjectReview } from './kube/resources.ts';
import { parseResourceArgument, SERVED_KINDS_REQUEST } from './kube/api-resources.ts';
import { accessReview, EXTENSION_GROUPS, type PermissionSet } from './rbac/discovery.ts';
import { describePermission, permissionKey, type Permission } from './rbac/permission.ts';
import { describeFindings, guardQuestions } from './rbac/broad-grants.ts';
import { describeIamFindings } from './aws/iam-grants.ts';
import { notCheckedAdvice, trustWarning } from './aws/iam-side.ts';
import { accessPolicyReadStatement } from './aws/iam-documents.ts';
import { configuredPrincipals } from './server/principals.ts';
import { selectTools } from './policy/select-tools.ts';
import { renderRbac } from './rbac/role.ts';
import { cataloguePermissions, isReadOnlyTool } from './policy/offer.ts';
import { catalogue, startRuntime, type Runtime } from './server/runtime.ts';
import { describeAccessPolicies, describeRequests } from './server/discovery.ts';
import { kubeRequests, REQUEST_KINDS, signalsSettle } from './rbac/discovery.ts';
import type { Logger } from './log.ts';
import { alignedTable } from './format.ts';
import type { Tool } from './tool.ts';
import { describeNeeds, permissionsOf } from './rbac/needs.ts';

const out = (text: string) => process.stdout.write(`${text}\n`);

export function printCatalogue(): void {
  out(alignedTable(['tool', 'read-only', 'needs'], catalogue.map((t) => [t.name, isReadOnlyTool(t) ? 'yes' : 'no', describeNeeds(t.needs)])));
}

function firstMissing(tool: Tool, permissions: PermissionSet): Permission | undefined {
  const needed = permissionsOf(tool.needs);
  const cluster = needed.filter((p) => p.scope === 'cluster').find((p) => permissions.decision(p).kind === 'none');
  if (cluster) return cluster;
  return needed.find((p) => p.scope === 'namespaced' && permissions.namespaces.every((ns) => permissions.decision(p, ns).kind === 'none'))
    ?? needed.find((p) => p.scope === 'namespaced');
}

/** What an operator should know about `serve --http`'s authentication, one line each. */
export function httpAdvice(http: HttpConfig): string[] {
  if (http.oauthIssuer) {
    return [`auth        OAuth, issuer ${http.oauthIssuer}, audience ${http.resourceUrl}`,
      http.oauthRequireAtJwt ? 'tokens      RFC 9068 access tokens only (typ at+jwt)'
        : 'tokens      typ at+jwt, or typ JWT or none with a scope/scp claim and no ID token claim (nonce, at_hash, c_hash)',
      ...(http.oauthScopes?.length ? [] : ['WARNING     --oauth-scopes is not set: any token the issuer mints for this audience is accepted, '
        + 'whatever it was granted for; set --oauth-scopes (e.g. mcp) so that only tokens carrying it are'])];
  }
  if (http.authTokensFile || http.authTokens) return [`auth        static bearer tokens${http.authTokensFile ? ` from ${http.authTokensFile}` : ''}`];
  return [`WARNING     no authentication: anyone who can reach ${http.host}:${http.port} can use the tools`];
}

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The namespace this process runs in, when it runs in a pod: POD_NAMESPACE (downward API), else the mounted file. */
export function serverNamespace(env: NodeJS.ProcessEnv = process.env, read: (path: string) => string = (path) => readFileSync(path, 'utf8')): string | undefined {
  if (env['POD_NAMESPACE']) return env['POD_NAMESPACE'];
  try {
    return read(SERVICE_ACCOUNT_NAMESPACE).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Exit 0 when the connection works (whatever it may do); 1 when it cannot authenticate or reach the API. */
export async function doctor(config: Config, log: Logger, http?: HttpConfig): Promise<number> {
  const runtime = await startRuntime(config, log, { guard: 'report' }); // doctor reports broad grants, serve refuses them
  const { connection, permissions } = runtime;
  out(`connection  ${Object.entries(connection.summary).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const user = await selfSubjectReview(connection.kube);
  out(`identity    ${user.username} (groups: ${(user.groups ?? []).join(', ') || '-'})${user.extra?.['arn'] ? ` iam: ${user.extra['arn'][0]}` : ''}`);
  const identity = connection.eks?.authenticator.identity();
  if (identity) {
    out(`credentials ${identity.valid ? `valid${identity.expiresAt ? ` until ${identity.expiresAt.toISOString()}` : ''}` : 'LAPSED'}`
      + `${identity.lastError ? ` (last refresh failed: ${identity.lastError})` : ''}`);
    out(`source      ${connection.eks!.host.source() ?? 'not resolved'}${config.mode === 'eks' && config.roleArn ? ', then AssumeRole' : ''}`);
  }
  out(`scope       ${config.namespaces.join(', ')}${config.readOnly ? ' (read-only)' : ''}`);
  for (const review of permissions.reviews) {
    const rules = review.rules.filter((r) => !(r.resources ?? []).some((res) => res.startsWith('self')))
      .map((r) => `${r.verbs.join(',')} ${(r.resources ?? []).join(',')}${(r.resourceNames ?? []).length ? ` [${r.resourceNames!.join(',')}]` : ''}`);
    out(`rules       ${review.namespace}: ${rules.join('; ') || '(none)'}${review.incomplete ? '  (incomplete: another authorizer, e.g. EKS access policies, may grant more; asked per permission)' : ''}`);
  }
  const advertised = new Map(runtime.advertisements().map((a) => [a.tool.name, a]));
  out('');
  out(alignedTable(['', 'tool', 'namespaces / missing'], catalogue.map((tool) => {
    const ad = advertised.get(tool.name);
    if (ad) return ['✓', tool.name, ad.namespaces?.join(',') ?? 'cluster'];
    if (!runtime.selected.has(tool.name)) return ['✗', tool.name, 'not selected by --tools'];
    const missing = config.readOnly && !isReadOnlyTool(tool) ? undefined : firstMissing(tool, permissions);
    if (missing && permissions.decision(missing, config.namespaces[0]).source === 'not-served') {
      return ['✗', tool.name, `${missing.group} is not served by this cluster: install ${EXTENSION_GROUPS.get(missing.group)} (an APIService)`];
    }
    return ['✗', tool.name, missing ? `needs ${describePermission(missing)}` : tool.needs.form === 'any-kind' ? `needs ${describeNeeds(tool.needs)}` : 'not read-only'];
  })));
  out('');
  const proofs = await Promise.all(config.namespaces.map(async (ns) => {
    const allowed = await accessReview(connection.kube, { group: '', resource: 'pods', verb: 'delete', scope: 'namespaced' }, ns);
    return `can-i delete pods -n ${ns} → ${allowed ? 'yes' : 'no'}`;
  }));
  out(`proof       ${proofs.join('; ')}`);
  const own = serverNamespace();
  if (own && await accessReview(connection.kube, { group: '', resource: 'pods', subresource: 'exec', verb: 'create', scope: 'namespaced' }, own)) {
    out(`WARNING     the role may exec into pods in ${own}, the namespace this server runs in: a command there can read this `
      + 'server\'s own environment and mounted credentials. Run the server in a namespace the role does not serve.');
  }
  for (const line of http ? httpAdvice(http) : []) out(line);
  out(`advertised  ${advertised.size} of ${catalogue.length} tools (discovery: ${permissions.requestCount} API requests)`);
  for (const line of [...costReport(runtime), ...guardReport(runtime), ...iamReport(runtime), ...narrowingReport(runtime, user.username), ...(http ? principalsReport(http) : [])]) out(line);
  return 0;
}

/** What one discovery and one refresh cost this connection, by kind, and what decided; without the access policies, what that costs. */
function costReport(runtime: Runtime): string[] {
  const { permissions, config, discovery } = runtime;
  const state = discovery.accessPolicies;
  const sources = permissions.sources();
  // The served kinds are read at start, and on a refresh only when the rules name an API group they lack.
  const { [SERVED_KINDS_REQUEST]: _served, ...signals } = permissions.signals.requests;
  const settled = signalsSettle(permissions.signals);
  const open = permissions.requests[REQUEST_KINDS.accessReview] ?? 0;
  const refresh = { ...signals, ...(settled ? (open ? { [REQUEST_KINDS.accessReview]: open } : {}) : { [REQUEST_KINDS.identity]: 1 }) };
  const calls = (requests: Record<string, number>) => `${kubeRequests(requests)} API requests (${describeRequests(Object.fromEntries(Object.entries(requests).filter(([k]) => !k.startsWith('eks:'))))})`
    + (requests[REQUEST_KINDS.accessPolicies] ? ` and ${requests[REQUEST_KINDS.accessPolicies]} EKS call` : '');
  const lines = [
    `access      EKS access policies ${describeAccessPolicies(state)}`,
    `discovery   ${calls(permissions.requests)}; decided by the rules ${sources.rules}, the access-policy list ${sources['access-policy']}, `
      + `access reviews ${sources['access-review']}, a refusal that implies them ${sources.implied}, an unserved API group ${sources['not-served']}`,
    config.refreshInterval === 0 ? 'refresh     off (--refresh-interval 0): after a 403 only'
      : `refresh     every ${config.refreshInterval} s (±10%): ${calls(refresh)} while nothing changed; every decision again only when one of them changed`
        + (settled ? '' : `, after a 403 (at most one per ${config.forbiddenRefreshGap} s), and every ${config.fullRefreshInterval} s (--full-refresh-interval)`),
  ];
  if (state.kind === 'unreadable' && config.mode === 'eks' && config.roleArn) {
    lines.push(`            without the access-policy list, access reviews decide: ${open} per discovery, and an access policy change is seen only after a 403 `
      + `or within --full-refresh-interval (${config.fullRefreshInterval} s). Grant the role: `
      + JSON.stringify(accessPolicyReadStatement(config.roleArn, config.region, config.clusterName)));
  }
  return lines;
}

// --- the broad-grant guard, --tools, one principal per connection ---

/** What serve does with findings, when --accept-broad-role covers them. */
function accepted(config: Config): string | undefined {
  return config.acceptBroadRole ? `accepted by --accept-broad-role "${config.acceptBroadRole}": serve starts and logs them as a warning` : undefined;
}

function guardReport(runtime: Runtime): string[] {
  const { findings, config } = runtime;
  if (findings.length === 0) return ['guard       no broad grants'];
  const verdict = accepted(config) ?? '`serve` refuses to start (or, found while running, withdraws the tools) unless given --accept-broad-role "<reason>"';
  return [`guard       ${findings.length} broad grant${findings.length === 1 ? '' : 's'}: ${verdict}`, indent(describeFindings(findings))];
}

/** The guard's other layer: the IAM role's findings, its trust policy, or why it was not checked. */
function iamReport(runtime: Runtime): string[] {
  const { iam, config } = runtime;
  if (!iam) return [];
  if (iam.kind === 'not-checked') {
    const { message, policy } = notCheckedAdvice(iam);
    return [`iam         ${message}`, ...(policy ? [indent(JSON.stringify(policy, null, 2))] : [])];
  }
  const read = `${iam.roleArn} (read: ${iam.read.join('; ') || 'no policies'}; ${iam.requests} IAM requests)`;
  const verdict = accepted(config) ?? '`serve` refuses to start unless given --accept-broad-role "<reason>"';
  const findings = iam.findings.length
    ? [`iam         ${iam.findings.length} broad grant${iam.findings.length === 1 ? '' : 's'} of the IAM role ${read}: ${verdict}`, indent(describeIamFindings(iam.findings))]
    : [`iam         no broad grants in the IAM role ${read}`];
  const trust = iam.trust.kind === 'pinned'
    ? [`trust       the trust policy pins sts:RoleSessionName to "${iam.sessionName}"`]
    : [`trust       WARNING: ${trustWarning(iam.trust, iam.sessionName)}`, indent(iam.trust.pinnedPolicy)];
  return [...findings, ...trust];
}

/** "The role grants N permissions, the enabled tools use M", over what this server asks about: its tools' and the guard's. */
function narrowingReport(runtime: Runtime, username: string | undefined): string[] {
  const { permissions, config } = runtime;
  const guard = guardQuestions();
  const known = permissions.granted([...cataloguePermissions(runtime.catalogue), ...guard.permissions]).map(permissionKey);
  const elsewhere = guard.elsewhere.filter((q) => !config.namespaces.includes(q.namespace) && permissions.decision(q.permission, q.namespace).kind !== 'none')
    .map((q) => `${q.namespace}:${permissionKey(q.permission)}`);
  const grants = new Set([...known, ...elsewhere]);
  const tools = runtime.advertisements(permissions, []).map((a) => a.tool);
  const used = new Set(permissions.granted(cataloguePermissions(tools)).map(permissionKey));
  const lines = [`narrowing   the role grants ${grants.size} permissions, the enabled tools use ${used.size}`
    + ' (counted over the permissions this server asks about: its tools\' and the broad-grant guard\'s)'];
  if (grants.size > used.size) {
    const bindingRole = (config.mode === 'eks' ? config.bindingRole : undefined) ?? 'agent';
    lines.push('            a narrower Role that would suffice for the enabled tools:', indent(renderRbac({
      tools, namespaces: config.namespaces, bindingRole, user: username ?? `eks-agent:${bindingRole}`, name: `eks-rbac-mcp-${bindingRole}`,
      roleArn: '', clusterName: '', region: '', trustedPrincipal: '', kubernetesOnly: true,
    }).trimEnd()));
  }
  return lines;
}

/** One connection, one agent: more than one principal on one connection cannot be told apart by the cluster. */
function principalsReport(http: HttpConfig): string[] {
  const configured = configuredPrincipals(http);
  if (configured.kind === 'static' && configured.principals.length > 1) {
    return [`principals  WARNING: ${configured.principals.length} principals share this connection (${configured.principals.join(', ')}): `
      + 'the cluster sees them as one identity and only our audit lines tell them apart. Run one deployment per connection and agent '
      + '(several tokens under one name are one principal, for rotation).'];
  }
  if (configured.kind === 'oauth') {
    return ['principals  WARNING: with OAuth every subject the issuer gives a token for this resource is a principal of this one connection: '
      + 'make sure only one agent can get such tokens (e.g. a scope only it holds, --oauth-scopes), or run one deployment per agent.'];
  }
  return [`principals  ${configured.kind === 'static' ? `one (${configured.principals[0]})` : 'none configured: every caller is "anonymous"'}`];
}

const indent = (text: string) => text.split('\n').map((l) => `            ${l}`).join('\n');

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

export interface RbacOptions {
  tools?: string;
  /** Kinds the generic tools should reach, as resource[.group] (`configmaps,jobs.batch`). */
  kinds?: string;
  namespace?: string[];
  user?: string;
  name?: string;
  trustedPrincipal?: string;
}

export function printRbac(values: RbacOptions, flags: Flags): number {
  const names = (values.tools ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) {
    process.stderr.write(`eks-rbac-mcp: rbac needs --tools a,b,c (one of: ${catalogue.map((t) => t.name).join(', ')})\n`);
    return 2;
  }
  let selected: Set<string>;
  try {
    selected = selectTools(names, catalogue.map((t) => t.name)); // names or globs, as serve's --tools
  } catch (error) {
    process.stderr.write(`eks-rbac-mcp: ${(error as Error).message}\n`);
    return 2;
  }
  const kindNames = (values.kinds ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const kinds = kindNames.map(parseResourceArgument);
  if (kinds.some((k) => !k || k.subresource)) {
    process.stderr.write(`eks-rbac-mcp: --kinds takes plural resource names with their group, e.g. configmaps,jobs.batch,widgets.example.com\n`);
    return 2;
  }
  const namespaces = values.namespace ?? flags.namespaces?.split(',') ?? ['default'];
  const bindingRole = flags.bindingRole ?? 'agent';
  out(renderRbac({
    tools: catalogue.filter((t) => selected.has(t.name)),
    kinds: kinds as Array<{ group: string; resource: string }>,
    namespaces,
    bindingRole,
    user: values.user ?? `eks-agent:${bindingRole}`,
    name: values.name ?? `eks-rbac-mcp-${bindingRole}`,
    roleArn: flags.roleArn ?? 'arn:aws:iam::111122223333:role/eks-rbac-mcp-agent',
    clusterName: flags.clusterName ?? 'my-cluster',
    region: flags.region ?? 'us-east-1',
    trustedPrincipal: values.trustedPrincipal ?? 'arn:aws:iam::111122223333:role/agent-host',
  }));
  return 0;
}
