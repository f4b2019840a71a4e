// What a set of calls needs of RBAC, stated once, in one of three forms. The offer advertises from it, discovery
// asks about it, `rbac` prints a Role from it. RBAC's side of a tool: a name and these needs, nothing more.
import { describePermission, type Permission } from './permission.ts';

/** Every one of these permissions; a namespaced one in the call's namespace, on the object the call names. */
export interface FixedNeeds {
  form: 'fixed';
  permissions: readonly Permission[];
  /** Calls may name a namespace of the scope although every permission is cluster-wide (can_i asks about one). */
  namespace?: 'optional';
}

/**
 * The shared permissions and those of the kind the call names (rollouts of Deployments, StatefulSets and DaemonSets):
 * the `kind` argument offers the kinds granted in some namespace of the scope.
 */
export interface PerKindNeeds {
  form: 'per-kind';
  permissions: readonly Permission[];
  kinds: Readonly<Record<string, readonly Permission[]>>;
}

/**
 * A verb on whatever kind the call names (the generic tools): the call's plan resolves the kind and states the
 * permission. Offered where the role grants `verb` on some kind no specific tool serves (`uncovered`), or on any kind
 * at all (`every`, for tools that do what no specific tool does: describe, apply). Where a review is incomplete, the
 * `probes` are asked about instead.
 */
export interface AnyKindNeeds {
  form: 'any-kind';
  verb: string;
  /** Granted with `verb` on the same kinds (apply: create, for new objects). */
  extraVerbs?: readonly string[];
  reach: 'uncovered' | 'every';
  probes: readonly Permission[];
}

export type Needs = FixedNeeds | PerKindNeeds | AnyKindNeeds;

export function fixed(...permissions: Permission[]): FixedNeeds {
  return { form: 'fixed', permissions };
}

export function perKind(kinds: Record<string, readonly Permission[]>, shared: readonly Permission[] = []): PerKindNeeds {
  return { form: 'per-kind', permissions: shared, kinds };
}

export function anyKind(verb: string, reach: AnyKindNeeds['reach'], probes: readonly Permission[], extraVerbs?: readonly string[]): AnyKindNeeds {
  return { form: 'any-kind', verb, reach, probes, ...(extraVerbs ? { extraVerbs } : {}) };
}

/** Every permission a call may need, each kind's included; a generic tool's depend on the call, so none. */
export function permissionsOf(needs: Needs): Permission[] {
  if (needs.form === 'per-kind') return [...needs.permissions, ...Object.values(needs.kinds).flat()];
  return needs.form === 'fixed' ? [...needs.permissions] : [];
}

/** The verbs a generic tool needs on each kind it reaches. */
export function verbsOf(needs: AnyKindNeeds): string[] {
  return [needs.verb, ...(needs.extraVerbs ?? [])];
}

/** What the needs are, in words: the permissions, each kind's, or a generic tool's verbs and reach. */
export function describeNeeds(needs: Needs): string {
  if (needs.form === 'any-kind') return `${verbsOf(needs).join(', ')} on ${needs.reach === 'every' ? 'any kind' : 'a kind no other tool serves'}`;
  const own = needs.permissions.map(describePermission);
  if (needs.form === 'fixed') return own.join(', ');
  const perKind = Object.entries(needs.kinds).map(([kind, ps]) => `${kind}: ${ps.map(describePermission).join(' + ')}`);
  return [...(own.length ? [own.join(', ')] : []), ...perKind].join('; ');
}
