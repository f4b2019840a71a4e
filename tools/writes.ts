// What the write tools (apply, patch, undo) share: the field manager, the cap on a body, reading the object as it is
// with the patch permission alone, a diff fit for a question, and Secrets, of which nothing stored is ever shown.
import type { KubeObject } from '../src/format.ts';
import { ToolError, type ToolContext } from '../src/tool.ts';
import { toYaml, unifiedDiff, withoutServerFields, MAX_CHANGED_LINES } from '../src/diff.ts';
import { stripNoise } from '../src/redact.ts';
import { KubeApiError } from '../src/kube/errors.ts';
import { objectPath, type ResourceKind } from '../src/kube/resources.ts';
import { describeManager, type Takeover } from '../src/kube/field-managers.ts';

export const FIELD_MANAGER = 'eks-rbac-mcp';
/** What a manifest or a patch may be, as text. */
export const MAX_INPUT_BYTES = 128 * 1024;
/**
 * What one request body may be, serialised: twice the text's limit leaves room for JSON's quotes around a YAML
 * manifest's keys and values; more than that is refused before it is sent.
 */
export const MAX_BODY_BYTES = 2 * MAX_INPUT_BYTES;
/** Metadata only (PartialObjectMetadata): a Secret's data never enters this process. */
export const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

export interface Target {
  served: ResourceKind;
  namespace?: string;
  name: string;
}

export const isSecret = (kind: Pick<ResourceKind, 'group' | 'resource'>) => kind.group === '' && kind.resource === 'secrets';

export const label = (t: Target) => `${t.served.kind.toLowerCase()}/${t.name}${t.namespace ? ` in ${t.namespace}` : ''}`;

/** The body of a request as JSON, refused before anything is sent when it is over the cap. */
export function serialised(value: unknown, what: string): string {
  const body = JSON.stringify(value);
  const bytes = Buffer.byteLength(body);
  if (bytes > MAX_BODY_BYTES) {
    throw new ToolError(`${what} serialises to ${Math.ceil(bytes / 1024)} KiB, over the ${MAX_BODY_BYTES / 1024} KiB one request may carry: make the change in smaller parts. Nothing was sent.`);
  }
  return body;
}

/**
 * The object as it is, read with the patch permission a write already needs: an empty JSON patch, dry run, changes
 * nothing and answers the object. Undefined when it does not exist. A Secret is read as its metadata alone.
 */
export async function liveObject(ctx: ToolContext, t: Target): Promise<KubeObject | undefined> {
  try {
    return await ctx.kube.json<KubeObject>({
      method: 'PATCH', path: objectPath(t.served, t.namespace, t.name), query: { dryRun: 'All' },
      body: '[]', contentType: 'application/json-patch+json', signal: ctx.signal, ...(isSecret(t.served) ? { accept: METADATA_ONLY } : {}),
    });
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * Whether a Secret is immutable, asked without reading it: a JSON patch's test of `/immutable`, dry run. A change of an
 * immutable Secret's data fails only where a value differs, which would tell an agent whether its guess is the stored
 * value: such a change is refused before it is tried, whatever the values.
 */
export async function refuseImmutableSecret(ctx: ToolContext, t: Target): Promise<void> {
  try {
    await ctx.kube.json({
      method: 'PATCH', path: objectPath(t.served, t.namespace, t.name), query: { dryRun: 'All' },
      body: JSON.stringify([{ op: 'test', path: '/immutable', value: true }]), contentType: 'application/json-patch+json', accept: METADATA_ONLY, signal: ctx.signal,
    });
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 422) return; // the test failed: not immutable
    throw error;
  }
  throw new ToolError(`${label(t)} is immutable: its data cannot change (delete it and create it anew). Nothing was sent but a dry run.`);
}

/** The diff of a change for the question; refused when it is too large to show the user whole. */
export async function changeDiff(before: unknown, after: unknown, what: string): Promise<string> {
  const diff = await unifiedDiff(before, after);
  if (diff === undefined) throw new ToolError(`${what}: more than ${MAX_CHANGED_LINES} lines would change, too many to show the user in one question: make the change in smaller parts. Nothing was written.`);
  return diff;
}

/** One object's change as the question shows it, on lines of its own: its diff, or the whole new object; '' when nothing changes. */
export async function changeText(before: KubeObject | undefined, after: KubeObject, what: string): Promise<string> {
  if (!before) return `\nnew object:\n${(await toYaml(withoutServerFields(stripNoise(after)))).trimEnd()}`;
  const diff = await changeDiff(withoutServerFields(stripNoise(before)), withoutServerFields(stripNoise(after)), what);
  return diff && `\n${diff}`;
}

/** A Secret as its metadata alone (labels, annotations, owners), for a diff that holds nothing stored in it. */
export function secretMetadata(object: KubeObject): KubeObject {
  const { metadata } = withoutServerFields(stripNoise(object));
  return { metadata };
}

/** The keys a write sets and removes in a Secret's data and stringData: the agent's own input, never a stored value. */
export function secretKeysLine(sets: Record<string, string[]>, removes: Record<string, string[]> = {}): string {
  const list = (what: string, keys: Record<string, string[]>) => Object.entries(keys).filter(([, k]) => k.length).map(([field, k]) => `${what} ${field} keys: ${k.join(', ')}`);
  const parts = [...list('sets', sets), ...list('removes', removes)];
  return parts.length ? `${parts.join('; ')} (values are never shown)` : 'sets no data keys';
}

/** The fields a write takes from their managers, and what each manager does next, as the question lists them. */
export function takeoverText(takeovers: Takeover[], heading: string): string {
  if (!takeovers.length) return '';
  const lines = takeovers.map((t) => {
    const { who, afterwards } = describeManager(t);
    return `  from ${who}: ${t.fields.join(', ')}\n    afterwards: ${afterwards}`;
  });
  return `\n${heading}\n${lines.join('\n')}`;
}
