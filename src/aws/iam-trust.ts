// The role's trust policy, checked for the one thing the connection relies on: the session name. EKS turns the
// RoleSessionName into the Kubernetes user (`eks-agent:{{SessionName}}`), so a trust policy that lets the host assume
// the role under any session name lets whoever holds the host's credentials become any user the mapping yields. Pure.
import { contains, list, parsePattern } from './iam-policy.ts';

const SESSION_KEY = 'sts:rolesessionname';
/** The operators that pin a single-valued key to their values (RoleSessionName is always present on AssumeRole). */
const PINNING = /^(ForAnyValue:)?String(Equals|Like)(IfExists)?$/;
/** Those that exclude values: a Deny with one of them lets only the listed values through. */
const EXCLUDING = /^(ForAnyValue:)?StringNot(Equals|Like)(IfExists)?$/;

export type TrustVerdict =
  /** Every statement that lets an AWS principal assume the role pins the session name to the binding role. */
  | { kind: 'pinned' }
  /** Some do not: these principals may assume it as `sessionNames` (undefined: any name). */
  | { kind: 'unpinned'; principals: string[]; sessionNames?: string[]; pinnedPolicy: string };

type Raw = Record<string, unknown>;

function statements(document: string): Raw[] {
  const parsed = JSON.parse(document) as { Statement?: unknown };
  return list(parsed.Statement).filter((s): s is Raw => typeof s === 'object' && s !== null);
}

/** The statement applies to sts:AssumeRole (Action or NotAction, wildcards, any case). */
function assumesRole(st: Raw): boolean {
  const action = parsePattern('sts:assumerole');
  const named = (key: string) => list(st[key]).some((a) => typeof a === 'string' && contains(parsePattern(a, { ignoreCase: true }), action));
  return st['NotAction'] !== undefined ? !named('NotAction') : named('Action');
}

/** The AWS principals a statement names (`*` for everyone). */
function awsPrincipals(st: Raw): string[] {
  const principal = st['Principal'];
  if (principal === '*') return ['*'];
  if (typeof principal !== 'object' || principal === null) return [];
  return list((principal as Raw)['AWS']).filter((p): p is string => typeof p === 'string');
}

/** The session names a condition block allows through `operators` (undefined: it says nothing about them). */
function sessionValues(st: Raw, operators: RegExp): string[] | undefined {
  const condition = st['Condition'];
  if (typeof condition !== 'object' || condition === null) return undefined;
  let values: string[] | undefined;
  for (const [operator, keys] of Object.entries(condition as Raw)) {
    if (!operators.test(operator) || typeof keys !== 'object' || keys === null) continue;
    for (const [key, value] of Object.entries(keys as Raw)) {
      if (key.toLowerCase() !== SESSION_KEY) continue;
      const here = list(value).map(String);
      values = values ? values.filter((v) => here.includes(v)) : here;
    }
  }
  return values;
}

/** A value of a *Like operator with a wildcard is a pattern, not a name: it pins nothing. */
const literal = (values: string[] | undefined) => (values && values.every((v) => !/[*?]/.test(v)) ? values : undefined);

/**
 * Whether the trust policy pins sts:RoleSessionName to the binding role for every AWS principal it lets in: through
 * the Allow's own StringEquals/StringLike, or a Deny for everyone with StringNotEquals/StringNotLike and no other
 * condition (an organisation-wide guard rail). One role for several binding roles is a legitimate setup, reported
 * with the names it allows.
 */
export function checkTrust(document: string, bindingRole: string): TrustVerdict {
  const all = statements(document);
  const guardRails = all.filter((st) => st['Effect'] === 'Deny' && assumesRole(st) && awsPrincipals(st).includes('*')
    && Object.keys((st['Condition'] as Raw | undefined) ?? {}).length === 1)
    .map((st) => literal(sessionValues(st, EXCLUDING))).filter((v): v is string[] => v !== undefined);
  const open = all.filter((st) => st['Effect'] === 'Allow' && assumesRole(st) && awsPrincipals(st).length)
    .map((st) => ({ st, names: [literal(sessionValues(st, PINNING)), ...guardRails].reduce<string[] | undefined>((a, b) => (!a ? b : !b ? a : a.filter((n) => b.includes(n))), undefined) }))
    .filter(({ names }) => !(names && names.every((n) => n === bindingRole)));
  if (!open.length) return { kind: 'pinned' };
  const named = open.map((o) => o.names);
  const sessionNames = named.every((n) => n !== undefined) ? [...new Set(named.flat() as string[])] : undefined;
  return { kind: 'unpinned', principals: [...new Set(open.flatMap(({ st }) => awsPrincipals(st)))], ...(sessionNames ? { sessionNames } : {}), pinnedPolicy: pinnedTrustPolicy(document, bindingRole) };
}

/** The same trust policy with each statement that lets AWS principals assume the role pinned to the binding role. */
export function pinnedTrustPolicy(document: string, bindingRole: string): string {
  const parsed = JSON.parse(document) as Raw;
  const pin = (st: Raw): Raw => {
    if (st['Effect'] !== 'Allow' || !assumesRole(st) || !awsPrincipals(st).length) return st;
    const condition = Object.fromEntries(Object.entries((st['Condition'] as Raw | undefined) ?? {})
      .map(([operator, keys]) => [operator, Object.fromEntries(Object.entries(keys as Raw).filter(([key]) => key.toLowerCase() !== SESSION_KEY))])
      .filter(([, keys]) => Object.keys(keys as Raw).length));
    const equals = (condition['StringEquals'] as Raw | undefined) ?? {};
    return { ...st, Condition: { ...condition, StringEquals: { ...equals, 'sts:RoleSessionName': bindingRole } } };
  };
  const statement = parsed['Statement'];
  return JSON.stringify({ ...parsed, Statement: Array.isArray(statement) ? statement.map((s) => pin(s as Raw)) : pin(statement as Raw) }, null, 2);
}
