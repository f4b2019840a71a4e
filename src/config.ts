// The one EKS connection, from flags and environment, validated: an error names the field and how to set it.
import { z } from 'zod';

/** STS RoleSessionName: 2–64 of [\w+=,.@-] (no colon: EKS username templates add their own prefix). */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface Setting {
  /** Which schema reads it: the connection (every transport), or `serve --http` only. */
  group: 'connection' | 'http';
  /** Absent for secrets: a value on the command line is readable by every local user (ps, /proc). */
  flag?: string;
  env: string;
  /** A switch: `--flag` alone means true; the variable takes true/false/1/0. */
  boolean?: true;
}

/** Every setting, once: where it comes from (`--flag` wins over `ENV`) and which schema reads it. */
export const SETTINGS = {
  clusterName: { group: 'connection', flag: '--cluster-name', env: 'EKS_MCP_CLUSTER_NAME' },
  region: { group: 'connection', flag: '--region', env: 'AWS_REGION' },
  roleArn: { group: 'connection', flag: '--role-arn', env: 'EKS_MCP_ROLE_ARN' },
  bindingRole: { group: 'connection', flag: '--binding-role', env: 'EKS_MCP_BINDING_ROLE' },
  externalId: { group: 'connection', flag: '--external-id', env: 'EKS_MCP_EXTERNAL_ID' },
  sessionDuration: { group: 'connection', flag: '--session-duration', env: 'EKS_MCP_SESSION_DURATION' },
  endpoint: { group: 'connection', flag: '--endpoint', env: 'EKS_MCP_ENDPOINT' },
  caFile: { group: 'connection', flag: '--ca-file', env: 'EKS_MCP_CA_FILE' },
  caData: { group: 'connection', flag: '--ca-data', env: 'EKS_MCP_CA_DATA' },
  namespaces: { group: 'connection', flag: '--namespaces', env: 'EKS_MCP_NAMESPACES' },
  kubeconfig: { group: 'connection', flag: '--kubeconfig', env: 'EKS_MCP_KUBECONFIG' },
  context: { group: 'connection', flag: '--context', env: 'EKS_MCP_CONTEXT' },
  readOnly: { group: 'connection', flag: '--read-only', env: 'EKS_MCP_READ_ONLY', boolean: true },
  logLevel: { group: 'connection', flag: '--log-level', env: 'EKS_MCP_LOG_LEVEL' },
  refreshInterval: { group: 'connection', flag: '--refresh-interval', env: 'EKS_MCP_REFRESH_INTERVAL' },
  fullRefreshInterval: { group: 'connection', flag: '--full-refresh-interval', env: 'EKS_MCP_FULL_REFRESH_INTERVAL' },
  forbiddenRefreshGap: { group: 'connection', flag: '--forbidden-refresh-gap', env: 'EKS_MCP_FORBIDDEN_REFRESH_GAP' },
  confirmByArgument: { group: 'connection', flag: '--confirm-by-argument', env: 'EKS_MCP_CONFIRM_BY_ARGUMENT', boolean: true },
  // The article's pitfalls, enforced (src/rbac/broad-grants.ts, src/policy/):
  acceptBroadRole: { group: 'connection', flag: '--accept-broad-role', env: 'EKS_MCP_ACCEPT_BROAD_ROLE' },
  tools: { group: 'connection', flag: '--tools', env: 'EKS_MCP_TOOLS' },
  showIamIdentity: { group: 'connection', flag: '--show-iam-identity', env: 'EKS_MCP_SHOW_IAM_IDENTITY', boolean: true },
  structuredOutput: { group: 'connection', flag: '--structured-output', env: 'EKS_MCP_STRUCTURED_OUTPUT', boolean: true },
  requestStateKey: { group: 'connection', env: 'EKS_MCP_REQUEST_STATE_KEY' },
  // serve --http: the connection above is the same for every transport.
  http: { group: 'http', flag: '--http', env: 'EKS_MCP_HTTP', boolean: true },
  host: { group: 'http', flag: '--host', env: 'EKS_MCP_HOST' },
  port: { group: 'http', flag: '--port', env: 'EKS_MCP_PORT' },
  stateless: { group: 'http', flag: '--stateless', env: 'EKS_MCP_STATELESS', boolean: true },
  authTokensFile: { group: 'http', flag: '--auth-tokens-file', env: 'EKS_MCP_AUTH_TOKENS_FILE' },
  authTokens: { group: 'http', env: 'EKS_MCP_AUTH_TOKENS' },
  oauthIssuer: { group: 'http', flag: '--oauth-issuer', env: 'EKS_MCP_OAUTH_ISSUER' },
  oauthJwksUrl: { group: 'http', flag: '--oauth-jwks-url', env: 'EKS_MCP_OAUTH_JWKS_URL' },
  oauthScopes: { group: 'http', flag: '--oauth-scopes', env: 'EKS_MCP_OAUTH_SCOPES' },
  oauthRequireAtJwt: { group: 'http', flag: '--oauth-require-at-jwt', env: 'EKS_MCP_OAUTH_REQUIRE_AT_JWT', boolean: true },
  resourceUrl: { group: 'http', flag: '--resource-url', env: 'EKS_MCP_RESOURCE_URL' },
  allowUnauthenticated: { group: 'http', flag: '--allow-unauthenticated', env: 'EKS_MCP_ALLOW_UNAUTHENTICATED', boolean: true },
  allowedOrigins: { group: 'http', flag: '--allowed-origins', env: 'EKS_MCP_ALLOWED_ORIGINS' },
  allowedHosts: { group: 'http', flag: '--allowed-hosts', env: 'EKS_MCP_ALLOWED_HOSTS' },
  rateLimit: { group: 'http', flag: '--rate-limit', env: 'EKS_MCP_RATE_LIMIT' },
  maxBodyBytes: { group: 'http', flag: '--max-body-bytes', env: 'EKS_MCP_MAX_BODY_BYTES' },
  requestTimeout: { group: 'http', flag: '--request-timeout', env: 'EKS_MCP_REQUEST_TIMEOUT' },
  sessionIdleTimeout: { group: 'http', flag: '--session-idle-timeout', env: 'EKS_MCP_SESSION_IDLE_TIMEOUT' },
  replayBufferBytes: { group: 'http', flag: '--replay-buffer-bytes', env: 'EKS_MCP_REPLAY_BUFFER_BYTES' },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;
type InGroup<G extends Setting['group']> = { [K in SettingName]: (typeof SETTINGS)[K]['group'] extends G ? K : never }[SettingName];
export type FieldName = InGroup<'connection'>;
export type HttpFieldName = InGroup<'http'>;
/** Flag values by setting name, as the command line gave them. */
export type Flags = Partial<Record<SettingName, string>>;

/** Every setting, typed loosely enough to iterate (the table's literal types make each entry distinct). */
export const settingList: ReadonlyArray<readonly [SettingName, Setting]> = Object.entries(SETTINGS)
  .flatMap(([name, setting]) => (isSettingName(name) ? [[name, setting] as const] : []));

/** A switch's value: `--flag` alone, or the variable set to true/false/1/0. */
const flagBool = z.enum(['true', 'false', '1', '0'], { error: 'true or false' }).optional().transform((v) => v === 'true' || v === '1');

const namespaces = z.string()
  .transform((value) => [...new Set(value.split(',').map((ns) => ns.trim()).filter(Boolean))])
  .pipe(z.array(z.string().regex(NAMESPACE, 'each namespace must be a DNS-1123 label')).min(1, 'give at least one namespace'));

const common = {
  namespaces,
  readOnly: flagBool,
  /**
   * Lets a client that cannot ask its user (no elicitation) confirm a destructive call with `confirm: true`. Off by
   * default, since the agent would then be confirming its own call.
   */
  confirmByArgument: flagBool,
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Seconds between re-discoveries of the permissions; 0 turns it off. */
  refreshInterval: z.coerce.number().int().min(0).max(86400, 'at most 86400 seconds').default(30),
  /**
   * Seconds between full sweeps of the access reviews where they decide (the access policies are not read): a refresh
   * reads the cheap signals, which cannot see an access policy change; 0: only after a 403 or a changed signal.
   */
  fullRefreshInterval: z.coerce.number().int().min(0).max(86400, 'at most 86400 seconds').default(600),
  /** The least seconds between two re-discoveries that 403s on advertised tools start; 0: one per 403. */
  forbiddenRefreshGap: z.coerce.number().int().min(0).max(3600, 'at most 3600 seconds').default(10),
  /** Why the operator accepts a role the broad-grant guard refuses: logged with the findings. */
  acceptBroadRole: z.string().trim().min(3, 'give the reason the broad role is accepted, e.g. --accept-broad-role "break-glass INC-1234"').optional(),
  /** Tool names or globs (`pods_*`): only these are offered, whatever the role allows. */
  tools: z.string().transform((v) => [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))])
    .pipe(z.array(z.string().regex(/^[a-z0-9_*]+$/, 'tool names or globs such as pods_*, comma-separated')).min(1, 'name at least one tool')).optional(),
  showIamIdentity: flagBool,
  /**
   * Advertise output schemas and return structured content beside the text. Off by default: the text carries the
   * same rows, and the structured copy doubles what every answer and tools/list cost the model.
   */
  structuredOutput: flagBool,
  /**
   * The key that seals a question's requestState (HMAC), so that a yes counts only for a question this server asked.
   * Replicas behind one address share it (a Secret); without it each process draws its own, and a yes that reaches
   * another replica than its question is refused.
   */
  requestStateKey: z.string().min(32, 'must be at least 32 characters, e.g. from: openssl rand -base64 48').optional(),
};

const eksSchema = z.object({
  mode: z.literal('eks'),
  clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, 'an EKS cluster name (letters, digits, - and _)'),
  // Every partition's form: us-east-1, cn-north-1, us-gov-west-1, us-isob-east-1, eusc-de-east-1.
  region: z.string().regex(/^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/, 'an AWS region such as us-east-1'),
  roleArn: z.string().regex(ROLE_ARN, 'an IAM role ARN, arn:aws:iam::<account>:role/<name>').optional(),
  bindingRole: z.string().regex(SESSION_NAME, 'STS allows 2-64 of letters, digits and + = , . @ _ - (no colon)').optional(),
  externalId: z.string().regex(/^[\w+=,.@:\/-]{2,1224}$/, '2-1224 of letters, digits and + = , . @ : / _ -').optional(),
  sessionDuration: z.coerce.number().int().min(900, 'at least 900 seconds').max(43200, 'at most 43200 seconds').default(3600),
  endpoint: z.url({ protocol: /^https$/, error: 'an https:// URL' }).optional(),
  caFile: z.string().min(1).optional(),
  caData: z.string().regex(/^[A-Za-z0-9+/=\s]+$/, 'base64 of the PEM CA bundle (certificateAuthority.data)').optional(),
  ...common,
}).superRefine((config, ctx) => {
  if (config.bindingRole && !config.roleArn) {
    ctx.addIssue({ code: 'custom', path: ['bindingRole'], message: 'is the STS session name of the assumed role: set --role-arn too' });
  }
  if (config.caFile && config.caData) ctx.addIssue({ code: 'custom', path: ['caData'], message: 'give the CA once: --ca-file or --ca-data' });
});

const kubeconfigSchema = z.object({
  mode: z.literal('kubeconfig'),
  kubeconfig: z.string().min(1),
  context: z.string().min(1).optional(),
  ...common,
});

export type EksConfig = z.output<typeof eksSchema>;

/**
 * The STS session name the role is assumed under: the binding role, which the access entry turns into the Kubernetes
 * user. AssumeRole, the trust-policy check and the refusal's advice must all use this one name.
 */
export function sessionNameOf(config: Pick<EksConfig, 'bindingRole'>): string {
  return config.bindingRole ?? 'eks-rbac-mcp';
}
export type KubeconfigConfig = z.output<typeof kubeconfigSchema>;
export type Config = EksConfig | KubeconfigConfig;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `--flag or ENV` (secrets have no flag: a value on the command line is readable by every local user). */
export function settingSource(source: Setting): string {
  return source.flag ? `${source.flag} or ${source.env}` : source.env;
}

/** The group's settings from flags (by setting name), else the environment; empty values dropped. */
function readSettings(group: Setting['group'], flags: Flags, env: NodeJS.ProcessEnv): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [name, setting] of settingList) {
    const value = setting.group === group ? flags[name] ?? env[setting.env] : undefined;
    if (value !== undefined && value !== '') raw[name] = value;
  }
  return raw;
}

function isSettingName(name: PropertyKey | undefined): name is SettingName {
  return typeof name === 'string' && Object.hasOwn(SETTINGS, name);
}

/** Parses with the schema; each problem names the setting, what is wrong and where to set it. */
function parseSettings<S extends z.ZodType>(schema: S, raw: Record<string, string>): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((issue) => {
    const field = issue.path[0];
    if (!isSettingName(field)) return issue.message;
    const missing = issue.code === 'invalid_type' && raw[field] === undefined;
    return missing ? `${field} is required: set ${settingSource(SETTINGS[field])}` : `${field} ${issue.message} (${settingSource(SETTINGS[field])})`;
  }));
}

/** The connection, from flags (by setting name) and then the environment. */
export function loadConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): Config {
  const raw = readSettings('connection', flags, env);
  if (!raw['region'] && env['AWS_DEFAULT_REGION']) raw['region'] = env['AWS_DEFAULT_REGION'];
  const mode = raw['kubeconfig'] ? 'kubeconfig' : 'eks';
  return parseSettings(mode === 'eks' ? eksSchema : kubeconfigSchema, { ...raw, mode });
}

// --- serve --http -------------------------------------------------------------------------------------

/** Addresses only this machine can reach: the one place an unauthenticated server may listen. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

const list = (value: string) => [...new Set(value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];
/** An https URL, or http on a loopback address (a local issuer in tests and development). */
const secureUrl = z.url({ error: 'a URL' }).refine((v) => {
  const u = new URL(v);
  return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname));
}, 'an https:// URL (http:// only on a loopback address)');

const httpSchema = z.object({
  http: flagBool,
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0, 'a TCP port, 0-65535').max(65535, 'a TCP port, 0-65535').default(8080),
  stateless: flagBool,
  authTokensFile: z.string().min(1).optional(),
  authTokens: z.string().min(1).optional(),
  oauthIssuer: secureUrl.optional(),
  oauthJwksUrl: secureUrl.optional(),
  oauthScopes: z.string().transform(list).optional(),
  /** Accept only RFC 9068 access tokens (typ at+jwt), for issuers that follow it. */
  oauthRequireAtJwt: flagBool,
  resourceUrl: z.url({ protocol: /^https?$/, error: 'an http(s):// URL, the public address of this server\'s /mcp endpoint' })
    .refine((v) => !v.includes('#'), 'without a #fragment (RFC 8707)').optional(),
  allowUnauthenticated: flagBool,
  allowedOrigins: z.string().transform(list).pipe(z.array(z.string().refine((o) => {
    try {
      return new URL(o).origin === o.replace(/\/$/, '').toLowerCase();
    } catch {
      return false;
    }
  }, 'each origin must be scheme://host[:port], no path and no wildcard'))).optional(),
  allowedHosts: z.string().transform(list).pipe(z.array(z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)$/, 'each host a hostname without port'))).optional(),
  rateLimit: z.coerce.number().int().min(0, 'requests per minute per principal, 0 to turn off').default(600),
  maxBodyBytes: z.coerce.number().int().min(1024, 'at least 1024 bytes').max(64 * 1024 * 1024, 'at most 64 MiB').default(1024 * 1024),
  requestTimeout: z.coerce.number().int().min(1, 'at least 1 second').max(3600, 'at most 3600 seconds').default(30),
  sessionIdleTimeout: z.coerce.number().int().min(10, 'at least 10 seconds').max(86400, 'at most 86400 seconds').default(1800),
  /** Bytes of sent events each 2025 session keeps for a client that resumes a dropped stream; 0 turns resuming off. */
  replayBufferBytes: z.coerce.number().int().refine((v) => v === 0 || (v >= 4096 && v <= 64 * 1024 * 1024), '0 (off), or 4096 bytes to 64 MiB').default(1024 * 1024),
}).superRefine((c, ctx) => {
  if (c.authTokensFile && c.authTokens) ctx.addIssue({ code: 'custom', path: ['authTokens'], message: 'give static tokens once: a file or the variable, not both' });
  const staticAuth = Boolean(c.authTokensFile || c.authTokens);
  if (staticAuth && c.oauthIssuer) ctx.addIssue({ code: 'custom', path: ['oauthIssuer'], message: 'choose one authentication: static tokens or an OAuth issuer' });
  if (c.oauthIssuer && !c.resourceUrl) ctx.addIssue({ code: 'custom', path: ['resourceUrl'], message: 'is required with an OAuth issuer: tokens must name it as their audience' });
  for (const field of ['oauthJwksUrl', 'oauthScopes', 'oauthRequireAtJwt'] as const) {
    if (c[field] && !c.oauthIssuer) ctx.addIssue({ code: 'custom', path: [field], message: 'needs an OAuth issuer (--oauth-issuer or EKS_MCP_OAUTH_ISSUER)' });
  }
  if (!staticAuth && !c.oauthIssuer && !c.allowUnauthenticated && !isLoopbackHost(c.host)) {
    ctx.addIssue({
      code: 'custom', path: ['host'],
      message: `${c.host} is not a loopback address and no authentication is configured: set static tokens (--auth-tokens-file or EKS_MCP_AUTH_TOKENS) `
        + 'or an OAuth issuer (--oauth-issuer with --resource-url), or serve without authentication on purpose with --allow-unauthenticated',
    });
  }
});

export type HttpConfig = z.output<typeof httpSchema>;

/** The HTTP settings, from flags (by field name) and then the environment; errors name the flag and variable. */
export function loadHttpConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): HttpConfig {
  return parseSettings(httpSchema, readSettings('http', flags, env));
}
