// Who owns which field of an object (metadata.managedFields), read the way the API server reports it: the fields of a
// server-side apply's conflicts, the fields a write takes from their managers, and what that means for each manager.
import type { KubeApiError } from './errors.ts';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: Record<string, unknown>;
}

/** A field manager as a write meets it: its name, how it writes (Apply, Update), through which subresource. */
export interface Manager {
  manager: string;
  operation?: string;
  subresource?: string;
}

/** Fields that a write would take from one manager (or that conflict with it). */
export interface Takeover extends Manager {
  fields: string[];
}

/** One element of a fieldsV1 key, spelled as the API server spells paths in its messages. */
function pathElement(key: string): string | undefined {
  const value = key.slice(2);
  if (key.startsWith('f:')) return `.${value}`;
  if (key.startsWith('i:')) return `[${value}]`;
  if (key.startsWith('v:')) return `[=${value}]`;
  if (key.startsWith('k:')) {
    const fields = JSON.parse(value) as Record<string, unknown>;
    return `[${Object.entries(fields).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
  }
  return undefined;
}

/**
 * The paths a fieldsV1 set owns, as `.spec.template.spec.containers[name="main"].image`: each leaf, and each element
 * owned as a whole (its "." member).
 */
export function fieldPaths(fields: unknown, prefix = ''): string[] {
  if (!fields || typeof fields !== 'object') return [];
  const paths: string[] = [];
  for (const [key, child] of Object.entries(fields as Record<string, unknown>)) {
    if (key === '.') {
      if (prefix) paths.push(prefix);
      continue;
    }
    const element = pathElement(key);
    if (element === undefined) continue;
    const below = fieldPaths(child, prefix + element);
    paths.push(...(below.length || (child && Object.keys(child).length) ? below : [prefix + element]));
  }
  return paths;
}

const sameManager = (a: Manager, b: Manager) => a.manager === b.manager && a.operation === b.operation && (a.subresource ?? '') === (b.subresource ?? '');

/** The managedFields of an object. */
export function managedFields(object: { metadata?: { managedFields?: unknown } } | undefined): ManagedFieldsEntry[] {
  const entries = object?.metadata?.managedFields;
  return Array.isArray(entries) ? (entries as ManagedFieldsEntry[]) : [];
}

/** Per manager other than `ours`, the fields `pick` takes from its entry; managers left with none are dropped. */
function othersFields(entries: ManagedFieldsEntry[], ours: string, pick: (entry: ManagedFieldsEntry) => string[]): Takeover[] {
  return entries.filter((e) => e.manager && e.manager !== ours).flatMap((entry) => {
    const fields = pick(entry);
    return fields.length ? [{ manager: entry.manager!, operation: entry.operation, subresource: entry.subresource, fields }] : [];
  });
}

/**
 * The fields each other manager owns before a write and no longer owns after it: exactly the fields that change
 * owner, and from whom. `ours` is left out (its own fields do not change owner).
 */
export function ownershipChanges(before: ManagedFieldsEntry[], after: ManagedFieldsEntry[], ours: string): Takeover[] {
  return othersFields(before, ours, (entry) => {
    const kept = new Set(fieldPaths(after.find((a) => sameManager(a as Manager, entry as Manager))?.fieldsV1));
    return fieldPaths(entry.fieldsV1).filter((f) => !kept.has(f));
  });
}

/** The fields of `ours` that other managers own too (whatever the values): ownership, never a comparison of values. */
export function sharedFields(others: ManagedFieldsEntry[], ours: ManagedFieldsEntry | undefined, manager: string): Takeover[] {
  const mine = new Set(fieldPaths(ours?.fieldsV1));
  return othersFields(others, manager, (entry) => fieldPaths(entry.fieldsV1).filter((f) => mine.has(f)));
}

/** A Go-quoted string's contents (%q), as JSON reads them; the raw text where Go's escapes are not JSON's. */
function unquote(quoted: string): string {
  try {
    return JSON.parse(`"${quoted}"`) as string;
  } catch {
    return quoted;
  }
}

const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"';
const CONFLICT_WITH = new RegExp(`^conflicts? with ${QUOTED}(?: with subresource ${QUOTED})?`);

/**
 * The conflicts of a server-side apply's 409, grouped by manager (the operation filled in from the live object's
 * managedFields); empty for any other error.
 */
export function applyConflicts(error: KubeApiError, live: ManagedFieldsEntry[]): Takeover[] {
  const grouped: Takeover[] = [];
  for (const cause of error.details?.causes ?? []) {
    const match = cause.reason === 'FieldManagerConflict' ? CONFLICT_WITH.exec(cause.message ?? '') : null;
    if (!match || !cause.field) continue;
    const who: Manager = { manager: unquote(match[1]!), ...(match[2] ? { subresource: unquote(match[2]) } : {}) };
    const entry = live.find((e) => e.manager === who.manager && (e.subresource ?? '') === (who.subresource ?? ''));
    const known = grouped.find((g) => g.manager === who.manager && g.subresource === who.subresource);
    if (known) known.fields.push(cause.field);
    else grouped.push({ ...who, operation: entry?.operation, fields: [cause.field] });
  }
  return grouped;
}

/** A manager as the user knows it, and what happens to the fields once another manager has taken them. */
export function describeManager(m: Manager): { who: string; afterwards: string } {
  const who = `"${m.manager}"${m.subresource ? ` through /${m.subresource}` : ''}`;
  if (m.operation === 'Apply') {
    return { who, afterwards: 'its next server-side apply, such as helm upgrade or kubectl apply --server-side, conflicts on them, or sets them back if it forces' };
  }
  if (m.manager === 'kubectl-client-side-apply') return { who, afterwards: 'kubectl apply never conflicts: its next apply overwrites them wherever its manifest changes them' };
  return { who, afterwards: 'it wrote them by an update: if it is a controller, such as an autoscaler or an operator, it writes them back at its next sync' };
}
