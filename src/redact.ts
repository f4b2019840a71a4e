// What leaves this process of an object the agent reads: no managedFields or last-applied annotations, and
// of a Secret its keys and sizes, never its values. Its own file, so that mutation testing takes all of it.
import type { KubeObject } from './format.ts';

const NOISE_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

/** Drops what costs context and tells the agent nothing: managedFields, last-applied annotations. */
export function stripNoise<T extends KubeObject>(object: T): T {
  if (!object.metadata) return object;
  const { managedFields: _dropped, annotations, ...metadata } = object.metadata;
  const kept = annotations ? Object.fromEntries(Object.entries(annotations).filter(([k]) => !NOISE_ANNOTATIONS.includes(k))) : undefined;
  return { ...object, metadata: { ...metadata, ...(kept && Object.keys(kept).length ? { annotations: kept } : {}) } };
}

/** A Secret with its values replaced by their decoded sizes: keys stay visible, values never leave. */
export function redactSecret<T extends KubeObject>(secret: T): T {
  const sizes = (values: unknown, decode: boolean) => Object.fromEntries(Object.entries((values ?? {}) as Record<string, string>)
    .map(([key, value]) => [key, `<redacted: ${decode ? Buffer.from(value, 'base64').length : Buffer.byteLength(value)} bytes>`]));
  const { data, stringData, ...rest } = secret as T & { data?: unknown; stringData?: unknown };
  const redacted: KubeObject = { ...rest, data: sizes(data, true), ...(stringData ? { stringData: sizes(stringData, false) } : {}) };
  // The last-applied annotation of a Secret holds its values in clear: never pass it on.
  return stripNoise(redacted) as T;
}
