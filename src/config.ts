// The one EKS connection, from flags and environment, validated: an error names the field and how to set it.
import { z } from 'zod';

/** STS RoleSessionName: 2–64 of [\w+=,.@-] (no colon: EKS username templates add their own prefix). */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface FieldSource {
  flag: string;
  env: string;
}

/** Where each setting comes from: `--flag` wins over `ENV`. */
export const FIELDS = {
  clusterName: { flag: '--cluster-name', env: 'EKS_MCP_CLUSTER_NAME' },
  region: { flag: '--region', env: 'AWS_REGION' },
  roleArn: { flag: '--role-arn', env: 'EKS_MCP_ROLE_ARN' },
  bindingRole: { flag: '--binding-role', env: 'EKS_MCP_BINDING_ROLE' },
  externalId: { flag: '--external-id', env: 'EKS_MCP_EXTERNAL_ID' },
  sessionDuration: { flag: '--session-duration', env: 'EKS_MCP_SESSION_DURATION' },
  endpoint: { flag: '--endpoint', env: 'EKS_MCP_ENDPOINT' },
  caFile: { flag: '--ca-file', env: 'EKS_MCP_CA_FILE' },
  caData: { flag: '--ca-data', env: 'EKS_MCP_CA_DATA' },
  namespaces: { flag: '--namespaces', env: 'EKS_MCP_NAMESPACES' },
  kubeconfig: { flag: '--kubeconfig', env: 'EKS_MCP_KUBECONFIG' },
  context: { flag: '--context', env: 'EKS_MCP_CONTEXT' },
  readOnly: { flag: '--read-only', env: 'EKS_MCP_READ_ONLY' },
  logLevel: { flag: '--log-level', env: 'EKS_MCP_LOG_LEVEL' },
  refreshInterval: { flag: '--refresh-interval', env: 'EKS_MCP_REFRESH_INTERVAL' },
} as const satisfies Record<string, FieldSource>;

export type FieldName = keyof typeof FIELDS;

const namespaces = z.string()
  .transform((value) => [...new Set(value.split(',').map((ns) => ns.trim()).filter(Boolean))])
  .pipe(z.array(z.string().regex(NAMESPACE, 'each namespace must be a DNS-1123 label')).min(1, 'give at least one namespace'));

const common = {
  namespaces,
  readOnly: z.enum(['true', 'false', '1', '0'], { error: 'true or false' }).optional().transform((v) => v === 'true' || v === '1'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Seconds between re-discoveries of the permissions; 0 turns it off. */
  refreshInterval: z.coerce.number().int().min(0).max(86400, 'at most 86400 seconds').default(30),
};

const eksSchema = z.object({
  mode: z.literal('eks'),
  clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, 'an EKS cluster name (letters, digits, - and _)'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
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
export type KubeconfigConfig = z.output<typeof kubeconfigSchema>;
export type Config = EksConfig | KubeconfigConfig;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function setting(field: FieldName): string {
  return `${FIELDS[field].flag} or ${FIELDS[field].env}`;
}

/** Reads each field from parsed flags (by field name) and then the environment. */
export function loadConfig(flags: Partial<Record<FieldName, string>>, env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string | undefined> = {};
  for (const field of Object.keys(FIELDS) as FieldName[]) raw[field] = flags[field] ?? env[FIELDS[field].env];
  raw['region'] ??= env['AWS_DEFAULT_REGION'];
  const mode = raw['kubeconfig'] ? 'kubeconfig' : 'eks';
  const parsed = (mode === 'eks' ? eksSchema : kubeconfigSchema).safeParse({ ...dropEmpty(raw), mode });
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((issue) => {
    const field = issue.path[0] as FieldName | undefined;
    if (!field || !(field in FIELDS)) return issue.message;
    const missing = issue.code === 'invalid_type' && raw[field] === undefined;
    return missing ? `${field} is required: set ${setting(field)}` : `${field} ${issue.message} (${setting(field)})`;
  }));
}

function dropEmpty(raw: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
}
