// What a tool needs from the cluster, in the API server's own authorization vocabulary.

export interface Permission {
  /** API group: '' for the core group. */
  group: string;
  resource: string;
  subresource?: string;
  verb: string;
  /** Namespaced permissions are checked in each namespace of the connection's scope. */
  scope: 'namespaced' | 'cluster';
}

/** `pods/log`, `deployments.apps/scale`: the resource as `kubectl auth can-i` and RBAC rules spell it. */
export function resourceName(p: Pick<Permission, 'group' | 'resource' | 'subresource'>): string {
  const base = p.group ? `${p.resource}.${p.group}` : p.resource;
  return p.subresource ? `${base}/${p.subresource}` : base;
}

/** `get pods/log`, `patch deployments.apps/scale` */
export function describePermission(p: Permission): string {
  return `${p.verb} ${resourceName(p)}`;
}

export function permissionKey(p: Permission): string {
  return `${p.scope}|${p.group}|${p.resource}|${p.subresource ?? ''}|${p.verb}`;
}

/** Verbs that change nothing: `--read-only` and the annotations are decided from these. */
export const READ_VERBS = new Set(['get', 'list', 'watch']);
