// Object diffs for confirmations: what a write would change, as a unified diff of YAML. The YAML and diff
// libraries load on first use, so a server that never writes does not pay for them at start.
import type { KubeObject } from './format.ts';

/** Fields the server owns and that change on every write: noise in a diff. */
const SERVER_FIELDS = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp'];

export function withoutServerFields(object: KubeObject): KubeObject {
  const metadata = Object.fromEntries(Object.entries(object.metadata ?? {}).filter(([k]) => !SERVER_FIELDS.includes(k)));
  const { status: _status, ...rest } = object as KubeObject & { status?: unknown };
  return { ...rest, metadata };
}

export async function toYaml(value: unknown): Promise<string> {
  const { dump } = await import('js-yaml');
  return dump(value, { sortKeys: true, lineWidth: 160, noRefs: true });
}

/**
 * The most lines a diff may change: the diff's cost grows with its size, and a change this large would not fit in one
 * question to the user anyway.
 */
export const MAX_CHANGED_LINES = 1000;

/**
 * A unified diff (2 lines of context) from one value to another: '' when they render the same, undefined when more
 * than MAX_CHANGED_LINES lines change (it is not computed further).
 */
export async function unifiedDiff(before: unknown, after: unknown): Promise<string | undefined> {
  const { createTwoFilesPatch } = await import('diff');
  const [a, b] = await Promise.all([toYaml(before), toYaml(after)]);
  if (a === b) return '';
  const patch = createTwoFilesPatch('live', 'after', a, b, undefined, undefined, { context: 2, maxEditLength: MAX_CHANGED_LINES });
  // Without the ===, --- and +++ header lines: the hunks are the diff.
  return patch?.split('\n').slice(3).join('\n').trimEnd();
}
