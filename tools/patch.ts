// resources_patch: kubectl patch for any kind the role may patch (merge, strategic merge or JSON patch), field manager
// eks-rbac-mcp. A patch changes only what it names: the fields it changes pass to this manager (as with kubectl
// patch), and no other field is taken from kubectl, Helm or a controller. The server's dry run makes the question.
import { z } from 'zod';
import { defineTool, ToolError, type Need, type ToolContext } from '../src/tool.ts';
import type { KubeObject } from '../src/format.ts';
import { objectPath } from '../src/kube/resources.ts';
import type { ServedResource } from '../src/kube/api-resources.ts';
import { nameProblem, objectName } from '../src/kube/names.ts';
import { BUILT_IN_GROUPS } from '../src/kube/built-in-kinds.ts';
import { managedFields, ownershipChanges } from '../src/kube/field-managers.ts';
import { anyKind } from '../src/rbac/needs.ts';
import { probes, resolveCall, resourceArgument } from './resources.ts';
import {
  FIELD_MANAGER, MAX_INPUT_BYTES, METADATA_ONLY, changeText, isSecret, label, liveObject, refuseImmutableSecret, secretKeysLine,
  secretMetadata, takeoverText, type Target,
} from './writes.ts';

const CONTENT_TYPES = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
} as const;
type PatchType = keyof typeof CONTENT_TYPES;

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

interface PatchArgs { resource: string; name: string; namespace?: string; patch: string; type: PatchType }

/** The patch as text: given as a JSON string (as kubectl -p takes it), or as the JSON value itself (as many clients send it). */
function asText<A extends { patch: string | object }>(args: A): A & { patch: string } {
  return { ...args, patch: typeof args.patch === 'string' ? args.patch : JSON.stringify(args.patch) };
}
interface JsonOp { op: string; path: string; from?: string; value?: unknown }

const refuse = (why: string) => new ToolError(`${why} Nothing was sent.`);

/** A JSON pointer's tokens, unescaped (~1 is "/", ~0 is "~"). */
function pointer(path: string): string[] {
  return path === '' ? [] : path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Whether a pointer reaches metadata.name or metadata.namespace: them, what is below them, or what holds them. */
function reachesIdentity(path: string): boolean {
  const [first, second] = pointer(path);
  return first === undefined || (first === 'metadata' && (second === undefined || second === 'name' || second === 'namespace'));
}

function checkJsonPatch(value: unknown, secret: boolean): JsonOp[] {
  if (!Array.isArray(value)) throw refuse('a JSON patch is an array of operations, e.g. [{"op":"replace","path":"/spec/replicas","value":3}].');
  return value.map((raw, i) => {
    const op = raw as JsonOp;
    const at = `operation ${i + 1}`;
    if (!op || typeof op !== 'object' || !OPS.has(op.op) || typeof op.path !== 'string' || (op.path !== '' && !op.path.startsWith('/'))) {
      throw refuse(`${at} is not a JSON patch operation: it needs "op" (add, remove, replace, move, copy or test) and a "path" such as "/spec/replicas".`);
    }
    if ((op.op === 'move' || op.op === 'copy') && (typeof op.from !== 'string' || (op.from !== '' && !op.from.startsWith('/')))) throw refuse(`${at} (${op.op}) needs a "from" path.`);
    if (['add', 'replace', 'test'].includes(op.op) && !('value' in op)) throw refuse(`${at} (${op.op}) needs a "value".`);
    if ((op.op !== 'test' && reachesIdentity(op.path)) || (op.op === 'move' && reachesIdentity(op.from!))) {
      throw refuse(`${at} touches metadata.name or metadata.namespace: a patch changes the object it names, never which object that is.`);
    }
    // A test, copy or move on a Secret would compare or carry a stored value without reading it.
    if (secret && ['test', 'copy', 'move'].includes(op.op)) throw refuse(`${at} (${op.op}) is not accepted on a Secret: it would compare or carry a stored value. Use add, replace or remove.`);
    return op;
  });
}

function checkMergePatch(value: unknown, target: { name: string; namespace?: string }, type: PatchType): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw refuse(`a ${type} merge patch is a JSON object, e.g. {"spec":{"replicas":3}}.`);
  const patch = value as Record<string, unknown>;
  const metadata = patch['metadata'];
  const identity = 'it changes metadata.name or metadata.namespace: a patch changes the object it names, never which object that is.';
  if ('$patch' in patch || metadata === null || (metadata && typeof metadata === 'object' && '$patch' in metadata)) throw refuse(`the patch replaces or deletes the object's metadata; ${identity}`);
  const meta = (metadata ?? {}) as Record<string, unknown>;
  if (('name' in meta && meta['name'] !== target.name) || ('namespace' in meta && meta['namespace'] !== target.namespace)) throw refuse(`the patch ${identity}`);
  return patch;
}

/**
 * The patch, checked for what can be refused from its text (and, once it is known, its kind's): nothing is sent for a
 * bad one, not even discovery for a patch that is wrong whatever the kind.
 */
export function checkPatch(args: Pick<PatchArgs, 'patch' | 'type' | 'name' | 'namespace'>, served?: Pick<ServedResource, 'group' | 'resource'>): unknown {
  if (Buffer.byteLength(args.patch) > MAX_INPUT_BYTES) throw refuse(`the patch is over ${MAX_INPUT_BYTES / 1024} KiB.`);
  let value: unknown;
  try {
    value = JSON.parse(args.patch);
  } catch (error) {
    throw refuse(`the patch is not valid JSON (${(error as Error).message}).`);
  }
  if (args.type === 'json') return checkJsonPatch(value, served !== undefined && isSecret(served));
  if (served && args.type === 'strategic' && !BUILT_IN_GROUPS.has(served.group)) {
    throw refuse(`${served.resource}.${served.group} has no strategic merge (it is a custom or aggregated resource): use type "merge" or "json".`);
  }
  return checkMergePatch(value, { name: args.name, namespace: args.namespace }, args.type);
}

/** The keys a patch sets and removes in a Secret's data and stringData, read from the patch alone. */
function secretKeys(args: PatchArgs, patch: unknown): { sets: Record<string, string[]>; removes: Record<string, string[]> } {
  const sets: Record<string, string[]> = { data: [], stringData: [] };
  const removes: Record<string, string[]> = { data: [], stringData: [] };
  if (args.type === 'json') {
    for (const op of patch as JsonOp[]) {
      const [field, key] = pointer(op.path);
      if (field !== 'data' && field !== 'stringData') continue;
      const keys = key !== undefined ? [key] : Object.keys((op.value ?? {}) as object);
      (op.op === 'remove' ? removes : sets)[field]!.push(...(key === undefined && op.op === 'remove' ? ['(all)'] : keys));
    }
  } else {
    for (const field of ['data', 'stringData']) {
      for (const [key, value] of Object.entries(((patch as Record<string, unknown>)[field] ?? {}) as Record<string, unknown>)) (value === null ? removes : sets)[field]!.push(key);
    }
  }
  return { sets, removes };
}

async function prepare(args: PatchArgs, ctx: ToolContext): Promise<{ target: Target & { served: ServedResource }; patch: unknown; need: Need }> {
  checkPatch(args);
  const { served, need } = await resolveCall(ctx, args, 'patch');
  const problem = nameProblem(served, args.name);
  if (problem) throw refuse(`${served.kind} name ${JSON.stringify(args.name)} ${problem}.`);
  const namespace = served.namespaced ? args.namespace : undefined;
  return { target: { served, namespace, name: args.name }, patch: checkPatch({ ...args, namespace }, served), need };
}

function send(ctx: ToolContext, args: PatchArgs, target: Target, dryRun: boolean): Promise<KubeObject> {
  return ctx.kube.json<KubeObject>({
    method: 'PATCH',
    path: objectPath(target.served, target.namespace, target.name),
    query: { fieldManager: FIELD_MANAGER, dryRun: dryRun ? 'All' : undefined },
    body: args.patch, // checked above: valid JSON for its type, within the cap
    contentType: CONTENT_TYPES[args.type],
    ...(isSecret(target.served) ? { accept: METADATA_ONLY } : {}),
    signal: ctx.signal,
  });
}

/** The question's body: the diff and the fields that change manager, or of a Secret its keys and metadata alone. */
async function change(args: PatchArgs, ctx: ToolContext, target: Target, patch: unknown, before: KubeObject): Promise<string | undefined> {
  if (isSecret(target.served)) {
    const keys = secretKeys(args, patch);
    const touches = [...Object.values(keys.sets), ...Object.values(keys.removes)].some((k) => k.length);
    if (touches) await refuseImmutableSecret(ctx, target);
    const metadata = await changeText(secretMetadata(before), secretMetadata(await send(ctx, args, target, true)), label(target));
    if (!touches && !metadata) return undefined;
    return `${touches ? `\n${secretKeysLine(keys.sets, keys.removes)}` : ''}${metadata}`;
  }
  const after = await send(ctx, args, target, true);
  const diff = await changeText(before, after, label(target));
  if (!diff) return undefined;
  const moved = ownershipChanges(managedFields(before), managedFields(after), FIELD_MANAGER);
  return `${diff}${takeoverText(moved, `Fields that change manager to ${FIELD_MANAGER} (as with kubectl patch; no other field changes manager):`)}`;
}

export const resourcesPatch = defineTool({
  name: 'resources_patch',
  title: 'Patch a resource',
  description: 'kubectl patch for any kind the role may patch; the server\'s dry-run diff is confirmed first. Secret values never shown.',
  input: {
    resource: resourceArgument,
    name: objectName,
    // JSON text or the JSON value: one line of schema, where a union of the three would cost every tools/list ~120 bytes.
    patch: z.custom<string | object>((v) => typeof v === 'string' || (typeof v === 'object' && v !== null), { message: 'must be JSON: text, an object or an array' })
      .meta({ type: ['string', 'object', 'array'] })
      .describe('JSON, e.g. {"spec":{"template":{"spec":{"containers":[{"name":"app","image":"app:2"}]}}}}'),
    type: z.enum(['strategic', 'merge', 'json']).default('strategic').describe('strategic: built-in kinds only'),
  },
  output: { patched: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  needs: anyKind('patch', 'every', probes('patch')),
  asksUser: true,
  async plan(given, ctx) {
    const args = asText(given);
    const { target, patch, need } = await prepare(args, ctx);
    return {
      needs: [need],
      async question() {
        const before = await liveObject(ctx, target);
        if (!before) throw new ToolError(`${label(target)} does not exist: a patch changes an existing object (resources_apply creates one). Nothing was written.`, 404);
        const body = await change(args, ctx, target, patch, before);
        return body === undefined ? undefined : `Patch ${label(target)} (${args.type} patch, field manager ${FIELD_MANAGER})?${body}\n`;
      },
      async run() {
        await send(ctx, args, target, false);
        return { text: `patched ${label(target)}`, structured: { patched: label(target) } };
      },
    };
  },
});
