// resources_apply: server-side apply (field manager eks-rbac-mcp) of YAML or JSON documents. Every document is
// checked before any request (size, List tricks, namespace scope); the server's dry run and its diff against the
// live object make the question the user answers; only a yes applies. Secret values never leave.
import { z } from 'zod';
import { defineTool, ToolError, type ToolContext } from '../src/tool.ts';
import type { KubeObject } from '../src/format.ts';
import { redactSecret } from '../src/redact.ts';
import { unifiedDiff, toYaml, withoutServerFields } from '../src/diff.ts';
import { KubeApiError } from '../src/kube/errors.ts';
import { objectPath } from '../src/kube/resources.ts';
import type { ServedResource } from '../src/kube/api-resources.ts';
import { describePermission } from '../src/rbac/permission.ts';
import { permissionOf, probes, resolve } from './resources.ts';

export const FIELD_MANAGER = 'eks-rbac-mcp';
export const MAX_MANIFEST_BYTES = 128 * 1024;
const MAX_DOCUMENTS = 20;

interface Document {
  object: KubeObject;
  served: ServedResource;
  namespace?: string;
  name: string;
}

interface ApplyArgs { manifest: string; namespace?: string }

/** The documents of a manifest, refused whole when one is not a plain object of a kind (no Lists, no templates). */
export async function parseManifest(manifest: string): Promise<KubeObject[]> {
  if (Buffer.byteLength(manifest) > MAX_MANIFEST_BYTES) throw new ToolError(`the manifest is over ${MAX_MANIFEST_BYTES / 1024} KiB; apply it in parts. Nothing was sent.`);
  const { loadAll, CORE_SCHEMA } = await import('js-yaml');
  let docs: unknown[];
  try {
    docs = loadAll(manifest, undefined, { schema: CORE_SCHEMA }).filter((d) => d !== null && d !== undefined);
  } catch (error) {
    throw new ToolError(`the manifest is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}. Nothing was sent.`);
  }
  if (docs.length === 0) throw new ToolError('the manifest holds no object. Nothing was sent.');
  if (docs.length > MAX_DOCUMENTS) throw new ToolError(`the manifest holds ${docs.length} objects; at most ${MAX_DOCUMENTS} per call. Nothing was sent.`);
  return docs.map((doc, i) => {
    const o = doc as KubeObject;
    if (typeof doc !== 'object' || Array.isArray(doc) || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
      throw new ToolError(`document ${i + 1} is not an object with apiVersion, kind and metadata.name. Nothing was sent.`);
    }
    // A List (or any *List) would carry objects past the per-document checks: each object goes in its own document.
    if (o.kind.endsWith('List') || 'items' in o) throw new ToolError(`document ${i + 1} is a ${o.kind}: give each object as its own document. Nothing was sent.`);
    if (o.metadata.generateName !== undefined) throw new ToolError(`document ${i + 1} uses generateName: apply needs a name. Nothing was sent.`);
    return o;
  });
}

/**
 * Each document's kind and namespace, checked against the call before any request but discovery: a namespaced
 * object must be in the call's namespace (an out-of-scope namespace is refused here), a cluster-scoped one has none.
 */
async function documents(args: ApplyArgs, ctx: ToolContext): Promise<Document[]> {
  const objects = await parseManifest(args.manifest);
  for (const o of objects) {
    const ns = o.metadata?.namespace;
    if (ns !== undefined && !ctx.permissions.namespaces.includes(ns)) {
      throw new ToolError(`${o.kind}/${o.metadata?.name} names namespace ${ns}, outside this connection's scope (${ctx.permissions.namespaces.join(', ')}). Nothing was sent.`);
    }
    if (ns !== undefined && ns !== args.namespace) {
      throw new ToolError(`${o.kind}/${o.metadata?.name} names namespace ${ns}: call with namespace=${ns} (one call applies to one namespace). Nothing was sent.`);
    }
  }
  return Promise.all(objects.map(async (object) => {
    const [group, version] = object.apiVersion!.includes('/') ? object.apiVersion!.split('/') as [string, string] : ['', object.apiVersion!];
    // The document's own version, as kubectl sends it: the served one may be another version of the group.
    const served = { ...(await resolve(ctx, group ? `${object.kind!.toLowerCase()}.${group}` : object.kind!.toLowerCase(), 'patch')), version };
    if (!served.namespaced && object.metadata?.namespace) throw new ToolError(`${served.kind} is cluster-scoped: remove metadata.namespace. Nothing was sent.`);
    const ns = served.namespaced ? args.namespace : undefined;
    if (served.namespaced && !ns) throw new ToolError(`${served.kind}/${object.metadata!.name} is namespaced: give a namespace (${ctx.permissions.namespaces.join(', ')}). Nothing was sent.`);
    return { object: served.namespaced ? { ...object, metadata: { ...object.metadata, namespace: ns } } : object, served, namespace: ns, name: object.metadata!.name! };
  }));
}

function apply(ctx: ToolContext, doc: Document, dryRun: boolean): Promise<KubeObject> {
  return ctx.kube.json<KubeObject>({
    method: 'PATCH',
    path: objectPath(doc.served, doc.namespace, doc.name),
    query: { fieldManager: FIELD_MANAGER, dryRun: dryRun ? 'All' : undefined },
    body: doc.object,
    contentType: 'application/apply-patch+yaml',
    signal: ctx.signal,
  });
}

/**
 * The live object, read with the patch permission apply already needs: an empty JSON patch, dry run, changes
 * nothing and answers the object as it is. Undefined when it does not exist yet.
 */
async function live(ctx: ToolContext, doc: Document): Promise<KubeObject | undefined> {
  try {
    return await ctx.kube.json<KubeObject>({
      method: 'PATCH', path: objectPath(doc.served, doc.namespace, doc.name), query: { dryRun: 'All' },
      body: [], contentType: 'application/json-patch+json', signal: ctx.signal,
    });
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** Secrets in a diff: sizes instead of values, and which values the apply would change. */
function diffable(before: KubeObject | undefined, after: KubeObject): [KubeObject | undefined, KubeObject] {
  if (after.kind !== 'Secret') return [before && withoutServerFields(before), withoutServerFields(after)];
  const old = (before?.['data'] ?? {}) as Record<string, string>;
  const redacted = redactSecret(after) as KubeObject & { data: Record<string, string> };
  const data = Object.fromEntries(Object.entries(redacted.data).map(([k, v]) => [k, old[k] !== undefined && old[k] !== (after['data'] as Record<string, string>)[k] ? `${v.slice(0, -1)}, changed>` : v]));
  return [before && withoutServerFields(redactSecret(before)), withoutServerFields({ ...redacted, data })];
}

const label = (doc: Document) => `${doc.served.kind.toLowerCase()}/${doc.name}${doc.namespace ? ` in ${doc.namespace}` : ''}`;

export const resourcesApply = defineTool({
  name: 'resources_apply',
  title: 'Apply resources',
  description: 'Server-side apply of YAML/JSON objects; the server\'s dry-run diff is confirmed first. Secret values never shown.',
  input: { manifest: z.string().min(1).max(MAX_MANIFEST_BYTES).describe('one or more YAML documents, or JSON') },
  namespaceArgument: 'optional',
  output: { applied: z.array(z.string()) },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  permissions: [],
  advertisedFor: { verb: 'patch', probes: probes('patch'), anyKind: true, extraVerbs: ['create'] },
  target: () => ({}),
  async permissionsFor(args, ctx) {
    return (await documents(args, ctx)).map((doc) => permissionOf(doc.served, 'patch'));
  },
  async confirm(args, ctx) {
    const parts: string[] = [];
    for (const doc of await documents(args, ctx)) {
      const before = await live(ctx, doc);
      const create = permissionOf(doc.served, 'create');
      if (!before && !(await ctx.permissions.allows(create, doc.namespace))) {
        throw new ToolError(`${label(doc)} does not exist, and this connection's role does not grant "${describePermission(create)}" to create it. Nothing was written.`);
      }
      const [a, b] = diffable(before, await apply(ctx, doc, true));
      const diff = a ? await unifiedDiff(a, b) : `new object:\n${(await toYaml(b)).trimEnd()}`;
      parts.push(`${label(doc)}:${diff ? `\n${diff}` : ' unchanged'}`);
    }
    return `Apply (server-side, field manager ${FIELD_MANAGER})?\n${parts.join('\n')}\n`;
  },
  async handler(args, ctx) {
    const applied: string[] = [];
    for (const doc of await documents(args, ctx)) {
      await apply(ctx, doc, false);
      applied.push(label(doc));
    }
    return { text: `applied: ${applied.join(', ')}`, structured: { applied } };
  },
});
