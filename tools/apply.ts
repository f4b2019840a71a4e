// resources_apply: server-side apply (field manager eks-rbac-mcp) of YAML or JSON documents. Every document is
// checked before any request (size, aliases, Lists, names, apiVersion, namespace scope); the server's dry run and
// its diff against the live object make the question the user answers; only a yes applies. Fields that other
// managers own (kubectl, Helm, a controller) are taken over only with `force` and a yes to a question naming them.
// Of a Secret, nothing stored is ever shown, not even whether a value would change.
import { z } from 'zod';
import { defineTool, ToolError, type ToolContext } from '../src/tool.ts';
import type { KubeObject } from '../src/format.ts';
import { KubeApiError } from '../src/kube/errors.ts';
import { objectPath } from '../src/kube/resources.ts';
import type { ServedResource } from '../src/kube/api-resources.ts';
import { nameProblem, parseApiVersion } from '../src/kube/names.ts';
import { applyConflicts, managedFields, ownershipChanges, sharedFields, type Takeover } from '../src/kube/field-managers.ts';
import { describePermission } from '../src/rbac/permission.ts';
import { escapeUnseen } from '../src/question.ts';
import { anyKind } from '../src/rbac/needs.ts';
import { needOn, permissionOf, probes, refuseUngrantedVerb } from './resources.ts';
import {
  FIELD_MANAGER, MAX_INPUT_BYTES, METADATA_ONLY, changeText, isSecret, label, liveObject, refuseImmutableSecret, secretKeysLine,
  secretMetadata, serialised, takeoverText, type Target,
} from './writes.ts';

const MAX_DOCUMENTS = 20;

interface Document extends Target {
  served: ServedResource;
  object: KubeObject;
  /** The body sent, serialised once and capped. */
  body: string;
}

interface ApplyArgs { manifest: string; namespace?: string; force?: boolean }

/** What one document's dry run found: the text for the question, and the fields other managers hold. */
interface DocumentPlan { text: string; conflicts: Takeover[] }

function aliasRefusal(message: string): string | undefined {
  return /maxAliases/.test(message)
    ? 'the manifest uses a YAML alias (*name): aliases are not accepted, as a few bytes of them can expand into gigabytes. Write the repeated part out in full. Nothing was sent.'
    : undefined;
}

/** The documents of a manifest, refused whole when one is not a plain object of a kind (no Lists, no templates). */
export async function parseManifest(manifest: string): Promise<KubeObject[]> {
  if (Buffer.byteLength(manifest) > MAX_INPUT_BYTES) throw new ToolError(`the manifest is over ${MAX_INPUT_BYTES / 1024} KiB; apply it in parts. Nothing was sent.`);
  const { loadAll, CORE_SCHEMA } = await import('js-yaml');
  let docs: unknown[];
  try {
    // No alias is expanded: the parser refuses the first one, before any object is built from it.
    docs = loadAll(manifest, { schema: CORE_SCHEMA, maxAliases: 0 }).filter((d) => d !== null && d !== undefined);
  } catch (error) {
    const message = (error as Error).message;
    throw new ToolError(aliasRefusal(message) ?? `the manifest is not valid YAML or JSON: ${message.split('\n')[0]}. Nothing was sent.`);
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

/** The kind a document names, exactly as the cluster serves it: its group, its kind, and one of its served versions. */
async function servedKind(ctx: ToolContext, object: KubeObject): Promise<ServedResource> {
  const what = `${object.kind}/${object.metadata!.name}`;
  const parsed = parseApiVersion(object.apiVersion!);
  if ('problem' in parsed) throw new ToolError(`${what}: apiVersion ${JSON.stringify(object.apiVersion)} ${parsed.problem}. Nothing was sent.`);
  const { group, version } = parsed;
  const served = (await ctx.apiResources.list()).find((r) => r.group === group && r.kind === object.kind);
  if (!served) throw new ToolError(`${what}: the cluster serves no kind ${object.kind} in ${group ? `group ${group}` : 'the core group'}. Nothing was sent.`);
  if (!served.versions.includes(version)) {
    throw new ToolError(`${what}: ${object.apiVersion} is not served; ${object.kind} is served as ${served.versions.map((v) => (group ? `${group}/${v}` : v)).join(', ')}. Nothing was sent.`);
  }
  if (!served.verbs.includes('patch')) throw new ToolError(`${served.resource} does not support patch, so it cannot be applied. Nothing was sent.`);
  // The document's own version, as kubectl sends it: the preferred one may be another version of the group.
  return { ...served, version };
}

/**
 * Each document's kind, name and namespace, checked against the call before any request but discovery: a namespaced
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
  refuseUngrantedVerb(ctx, 'patch', args.namespace);
  return Promise.all(objects.map(async (object) => {
    const served = await servedKind(ctx, object);
    const name = object.metadata!.name!;
    const problem = nameProblem(served, name);
    if (problem) throw new ToolError(`${served.kind} name ${JSON.stringify(name)} ${problem}. Nothing was sent.`);
    if (!served.namespaced && object.metadata?.namespace) throw new ToolError(`${served.kind} is cluster-scoped: remove metadata.namespace. Nothing was sent.`);
    const namespace = served.namespaced ? args.namespace : undefined;
    if (served.namespaced && !namespace) throw new ToolError(`${served.kind}/${name} is namespaced: give a namespace (${ctx.permissions.namespaces.join(', ')}). Nothing was sent.`);
    const sent = served.namespaced ? { ...object, metadata: { ...object.metadata, namespace } } : object;
    return { object: sent, served, namespace, name, body: serialised(sent, `${served.kind}/${name}`) };
  }));
}

function apply(ctx: ToolContext, doc: Document, options: { dryRun: boolean; force?: boolean }): Promise<KubeObject> {
  return ctx.kube.json<KubeObject>({
    method: 'PATCH',
    path: objectPath(doc.served, doc.namespace, doc.name),
    query: { fieldManager: FIELD_MANAGER, dryRun: options.dryRun ? 'All' : undefined, force: options.force ? 'true' : undefined },
    body: doc.body,
    contentType: 'application/apply-patch+yaml',
    // A Secret's dry run answers its metadata alone: what it stores never enters this process.
    ...(isSecret(doc.served) ? { accept: METADATA_ONLY } : {}),
    signal: ctx.signal,
  });
}

async function refuseUncreatable(ctx: ToolContext, doc: Document): Promise<void> {
  const create = permissionOf(doc.served, 'create');
  if (!(await ctx.permissions.allows(create, doc.namespace))) {
    throw new ToolError(`${label(doc)} does not exist, and this connection's role does not grant "${describePermission(create)}" to create it. Nothing was written.`);
  }
}

/** Any object but a Secret: the dry run as it is; on a conflict, the fields each manager holds, and with force, what it takes. */
async function objectPlan(ctx: ToolContext, doc: Document, force: boolean): Promise<DocumentPlan> {
  const before = await liveObject(ctx, doc);
  if (!before) await refuseUncreatable(ctx, doc);
  let after: KubeObject;
  let takeovers: Takeover[] = [];
  try {
    after = await apply(ctx, doc, { dryRun: true });
  } catch (error) {
    const conflicts = error instanceof KubeApiError && error.status === 409 ? applyConflicts(error, managedFields(before)) : [];
    if (!conflicts.length) throw error;
    if (!force) return { text: '', conflicts };
    after = await apply(ctx, doc, { dryRun: true, force: true });
    takeovers = ownershipChanges(managedFields(before), managedFields(after), FIELD_MANAGER);
  }
  const change = await changeText(before, after, label(doc));
  return { text: `${label(doc)}:${change || ' unchanged'}${takeoverText(takeovers, `Fields that change owner to ${FIELD_MANAGER}:`)}`, conflicts: [] };
}

function keysOf(object: KubeObject, field: string): string[] {
  const value = object[field];
  return value && typeof value === 'object' ? Object.keys(value).sort() : [];
}

/**
 * A Secret: no answer may depend on what it stores. Its dry run is always forced and answers metadata, so that neither
 * a conflict nor the diff tells whether a stored value differs from the manifest's; the fields other managers hold are
 * read from who owns them, whatever the values.
 */
async function secretPlan(ctx: ToolContext, doc: Document, force: boolean): Promise<DocumentPlan> {
  const before = await liveObject(ctx, doc);
  const sets = { data: keysOf(doc.object, 'data'), stringData: keysOf(doc.object, 'stringData') };
  if (!before) await refuseUncreatable(ctx, doc);
  else if (sets.data.length || sets.stringData.length) await refuseImmutableSecret(ctx, doc);
  const after = await apply(ctx, doc, { dryRun: true, force: true });
  const ours = managedFields(after).find((e) => e.manager === FIELD_MANAGER && e.operation === 'Apply');
  const held = sharedFields(managedFields(before), ours, FIELD_MANAGER);
  if (held.length && !force) return { text: '', conflicts: held };
  const type = typeof doc.object['type'] === 'string' ? `; type ${doc.object['type'] as string}` : '';
  const change = await changeText(before && secretMetadata(before), secretMetadata(after), label(doc));
  const heading = 'Fields other managers hold too (listed whatever the values: each is taken where its stored value differs and shared where it is the same, and which of the two is never shown):';
  return { text: `${label(doc)}: ${secretKeysLine(sets)}${type}${change}${takeoverText(held, heading)}`, conflicts: [] };
}

/** The answer to a call that would take fields from their managers without `force`: which, whose, and what to do. */
function conflictRefusal(conflicts: Array<{ doc: Document; conflicts: Takeover[] }>): string {
  const listed = conflicts.map(({ doc, conflicts: c }) => `${label(doc)}:${takeoverText(c, `fields that ${isSecret(doc.served) ? 'other managers hold (for a Secret, every one is listed, whether or not its stored value differs, which is never shown)' : 'other field managers own, with other values'}:`)}`);
  return `The apply would take over fields that other field managers own. Only the dry run was sent; nothing was applied.\n${listed.join('\n')}\n`
    + `Taking them over makes ${FIELD_MANAGER} their manager: each manager then meets the change as said above. `
    + 'To take them over, call resources_apply again with the same manifest and "force": true; the user is asked first, with these fields listed. '
    + 'To leave them to their managers, remove them from the manifest (or change a single field with resources_patch).';
}

export const resourcesApply = defineTool({
  name: 'resources_apply',
  title: 'Apply resources',
  description: 'Server-side apply of YAML/JSON objects; the server\'s dry-run diff is confirmed first. Secret values never shown.',
  input: {
    manifest: z.string().min(1).max(MAX_INPUT_BYTES).describe('one or more YAML documents, or JSON'),
    force: z.boolean().default(false).describe('take over fields other managers own (asked first)'),
  },
  output: { applied: z.array(z.string()) },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  needs: anyKind('patch', 'every', probes('patch'), ['create']),
  asksUser: true,
  // The manifest is parsed and its kinds resolved once per call, here: the question and the apply use the same documents.
  async plan(args, ctx) {
    const docs = await documents(args, ctx);
    return {
      needs: docs.map((doc) => needOn(doc.served, 'patch', doc.namespace, doc.name)),
      question: () => applyQuestion(ctx, docs, args.force),
      async run(answered) {
        if (args.force && answered !== undefined) await refuseChangedSinceAsked(ctx, docs, answered);
        const applied: string[] = [];
        for (const doc of docs) {
          await apply(ctx, doc, { dryRun: false, force: args.force });
          applied.push(label(doc));
        }
        return { text: `applied: ${applied.join(', ')}`, structured: { applied } };
      },
    };
  },
});

/**
 * A forced apply takes fields from their managers, so it goes ahead only on the question the user said yes to: asked
 * again at the yes, it must read the same. Had another manager taken a field, or the object changed, in between,
 * nothing is applied.
 */
async function refuseChangedSinceAsked(ctx: ToolContext, docs: Document[], answered: string): Promise<void> {
  if (escapeUnseen(await applyQuestion(ctx, docs, true)) === answered) return;
  throw new ToolError(`${docs.map(label).join(', ')} changed after the user was asked: the forced apply would now do other than what they agreed to. `
    + 'Nothing was applied. Call resources_apply again to ask the user about the objects as they are now.', 409);
}

/** The question: each document's dry run against the live object; refused when fields of other managers would be taken without `force`. */
async function applyQuestion(ctx: ToolContext, docs: Document[], force: boolean): Promise<string> {
  const plans: Array<{ doc: Document; plan: DocumentPlan }> = [];
  for (const doc of docs) plans.push({ doc, plan: await (isSecret(doc.served) ? secretPlan : objectPlan)(ctx, doc, force) });
  const conflicts = plans.filter((p) => p.plan.conflicts.length).map((p) => ({ doc: p.doc, conflicts: p.plan.conflicts }));
  if (conflicts.length) throw new ToolError(conflictRefusal(conflicts), 409);
  return `Apply (server-side, field manager ${FIELD_MANAGER}${force ? ', forcing conflicts' : ''})?\n${plans.map((p) => p.plan.text).join('\n')}\n`;
}
