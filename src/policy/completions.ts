// Completions for prompt arguments: the namespaces a prompt may use, and the names of objects of a kind in one of
// them. A name is completed only with a list request the role grants (checked first, as for any tool call); a role
// without list gets no completion and sends nothing. Answers are kept a few seconds, so a user typing a name costs
// one request, not one per keystroke.
import type { KubeClient } from '../kube/client.ts';
import { listMetadataPage, type ResourceKind } from '../kube/resources.ts';
import type { PermissionSet } from '../rbac/discovery.ts';

/** How long a list of names is reused. */
export const NAMES_TTL_MS = 5_000;
/** Completions return at most this many values (the MCP limit is 100). */
export const MAX_COMPLETIONS = 100;

/** Values starting with what was typed, at most MAX_COMPLETIONS, and whether there were more. Pure. */
export function matching(values: readonly string[], typed: string): { values: string[]; total: number; hasMore: boolean } {
  const hits = values.filter((v) => v.startsWith(typed));
  return { values: hits.slice(0, MAX_COMPLETIONS), total: hits.length, hasMore: hits.length > MAX_COMPLETIONS };
}

export class NameCompletions {
  private readonly cache = new Map<string, { at: number; names: Promise<string[]> }>();

  constructor(private readonly kube: KubeClient, private readonly now: () => number = Date.now) {}

  /** The names of that kind in that namespace, or none when the role may not list them there. */
  async names(permissions: PermissionSet, kind: ResourceKind, namespace: string): Promise<string[]> {
    const list = { group: kind.group, resource: kind.resource, verb: 'list', scope: 'namespaced' as const };
    if (!permissions.namespaces.includes(namespace) || !(await permissions.allows(list, namespace))) return [];
    const key = `${kind.group}/${kind.resource}/${namespace}`;
    const cached = this.cache.get(key);
    if (cached && this.now() - cached.at < NAMES_TTL_MS) return cached.names;
    const names = listMetadataPage(this.kube, kind, { namespace, limit: 500 }).then((page) => page.items.map((o) => o.metadata?.name ?? '').filter(Boolean).sort());
    this.cache.set(key, { at: this.now(), names });
    names.catch(() => this.cache.delete(key)); // a failure is not remembered
    if (this.cache.size > 256) this.cache.delete(this.cache.keys().next().value!);
    return names;
  }
}
