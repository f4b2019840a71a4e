// Outbound requests through a corporate proxy, as curl and the AWS CLI pick one: HTTPS_PROXY / HTTP_PROXY
// (lowercase first), ALL_PROXY as a fallback, and NO_PROXY with curl's semantics. Every connection through a
// proxy is a CONNECT tunnel, for http targets too: the proxy sees host and port, never a header of ours.
// Pure and cheap to load: the agents that tunnel (and their dependencies) are in proxy-agents.ts, loaded
// only when a proxy is in use.
import { BlockList, isIP } from 'node:net';

/** The first non-empty variable of the names, in order (curl reads the lowercase form first). */
function variable(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

/** A bracketed IPv6 address loses its brackets; a trailing dot of a fully qualified name goes too. */
function bareHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}

/** One NO_PROXY entry, split into host (or CIDR) and optional port: `example.com`, `.example.com:8443`, `[::1]:443`, `10.0.0.0/8`. */
function parseEntry(raw: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw);
  if (bracketed) return { host: bracketed[1]!.toLowerCase(), ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  const colons = raw.split(':').length - 1;
  const withPort = colons === 1 ? /^(.*):(\d+)$/.exec(raw) : null; // more than one colon: an IPv6 address (or CIDR) without a port
  return withPort ? { host: withPort[1]!.toLowerCase(), port: Number(withPort[2]) } : { host: raw.toLowerCase() };
}

function cidrContains(cidr: string, address: string): boolean {
  const [network, bits] = cidr.split('/') as [string, string];
  const family = isIP(network);
  const prefix = Number(bits);
  if (!family || family !== isIP(address) || !/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  list.addSubnet(network, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Whether NO_PROXY sends a request for host:port direct. curl's rules: entries separated by commas or spaces;
 * `*` matches every host; a name matches itself and its subdomains, a leading `.` (or `*.`) changes nothing;
 * an IP address matches itself, a CIDR every address in it; an entry with `:port` matches that port only. Names
 * are never resolved, and loopback is not special: `localhost` and 127.0.0.1 are proxied unless listed.
 */
export function noProxyMatches(noProxy: string | undefined, host: string, port: number): boolean {
  const target = bareHost(host);
  const targetIsIp = isIP(target) !== 0;
  for (const raw of (noProxy ?? '').split(/[\s,]+/).filter(Boolean)) {
    if (raw === '*') return true;
    const entry = parseEntry(raw);
    if (entry.port !== undefined && entry.port !== port) continue;
    const name = bareHost(entry.host.replace(/^\*?\./, ''));
    if (!name) continue;
    if (name.includes('/')) {
      if (targetIsIp && cidrContains(name, target)) return true;
    } else if (isIP(name) || targetIsIp) {
      if (isIP(name) === isIP(target) && singleAddress(name).check(target, isIP(target) === 4 ? 'ipv4' : 'ipv6')) return true;
    } else if (target === name || target.endsWith(`.${name}`)) {
      return true;
    }
  }
  return false;
}

/** A BlockList of one address: compares IPv6 addresses whatever their spelling (::1 and 0:0:0:0:0:0:0:1). */
function singleAddress(address: string): BlockList {
  const list = new BlockList();
  list.addAddress(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  return list;
}

/** A proxy setting as a URL: `proxy:3128` means http://proxy:3128, as curl reads it. */
export function parseProxyUrl(value: string, origin: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw new Error(`${origin} is not a proxy URL: ${JSON.stringify(redactedValue(value))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${origin} names a ${url.protocol.replace(/:$/, '')} proxy (${describeProxy(url)}); only http:// and https:// proxies are supported`);
  }
  return url;
}

/** The proxy for a URL from the environment, or undefined when it goes direct. */
export function proxyForUrl(target: string | URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const url = typeof target === 'string' ? new URL(target) : target;
  const https = url.protocol === 'https:' || url.protocol === 'wss:';
  const names = https ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  const value = variable(env, ...names, 'all_proxy', 'ALL_PROXY');
  if (!value) return undefined;
  const port = url.port ? Number(url.port) : https ? 443 : 80;
  if (noProxyMatches(variable(env, 'no_proxy', 'NO_PROXY'), url.hostname, port)) return undefined;
  const origin = names.concat('all_proxy', 'ALL_PROXY').find((name) => env[name]?.trim() === value)!;
  return parseProxyUrl(value, origin);
}

/** The proxy's address for messages: never its credentials. */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

function redactedValue(value: string): string {
  return value.replace(/\/\/[^@/]*@/, '//***@');
}

/** The proxy could not be reached, or refused the tunnel: nothing reached the destination. */
export class ProxyError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'ProxyError';
  }
}
