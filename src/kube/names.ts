// The API server's naming rules, checked before a write is sent, so that the request path is exactly the one the
// permission check saw: a name is one path segment (no "/", no "%", never "." or ".."), and most kinds want a DNS-1123
// name. A name the API would refuse anyway is refused here with the rule it breaks, and nothing is sent.
import { z } from 'zod';

/** DNS-1123 subdomain: what the API server accepts as most objects' names (the pattern rules out the empty name). */
export const objectName = z.string().max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase DNS-1123 name (a-z, 0-9, "-", ".")');

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A served version's spelling: v1, v2beta3, v1alpha1. */
const VERSION = /^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/;
/** An API group's spelling: DNS-1123 subdomain (the core group is empty). */
const GROUP = DNS_SUBDOMAIN;

interface Kind { group: string; resource: string }

/**
 * How the API validates names of this kind: RBAC objects take any path segment ("system:controller:x"), namespaces and
 * services a DNS-1123 label (63 characters), everything else (custom resources too) a DNS-1123 subdomain (253).
 */
function nameRule(kind: Kind): 'path-segment' | 'dns-label' | 'dns-subdomain' {
  if (kind.group === 'rbac.authorization.k8s.io') return 'path-segment';
  if (kind.group === '' && (kind.resource === 'namespaces' || kind.resource === 'services')) return 'dns-label';
  return 'dns-subdomain';
}

/** Why this name cannot name an object of this kind (undefined: it can). */
export function nameProblem(kind: Kind, name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return `may not be "${name}"`;
  if (/[/%]/.test(name)) return 'may not contain "/" or "%"';
  switch (nameRule(kind)) {
    case 'path-segment':
      return name.length > 253 ? 'is longer than 253 characters' : undefined;
    case 'dns-label':
      return name.length <= 63 && DNS_LABEL.test(name) ? undefined : 'must be a DNS-1123 label: at most 63 characters, a-z, 0-9 and "-", starting and ending with a letter or digit';
    default:
      return name.length <= 253 && DNS_SUBDOMAIN.test(name) ? undefined : 'must be a DNS-1123 subdomain: at most 253 characters, a-z, 0-9, "-" and ".", starting and ending with a letter or digit';
  }
}

/** An apiVersion split into group and version, or why it is not one ("v1", "apps/v1"; no paths, no queries). */
export function parseApiVersion(apiVersion: string): { group: string; version: string } | { problem: string } {
  const parts = apiVersion.split('/');
  const [group, version] = parts.length === 1 ? ['', parts[0]!] : parts.length === 2 ? [parts[0]!, parts[1]!] : ['', ''];
  if (!VERSION.test(version) || (parts.length === 2 && !GROUP.test(group))) {
    return { problem: 'is not an API version (GROUP/VERSION such as apps/v1, or v1 for the core group)' };
  }
  return { group, version };
}
