import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noProxyMatches, parseProxyUrl, proxyForUrl } from '../../src/net/proxy.ts';

test('NO_PROXY as curl reads it: names and their subdomains, leading dots, CIDRs, ports, *', () => {
  const cases: Array<[noProxy: string, host: string, port: number, direct: boolean]> = [
    ['example.com', 'example.com', 443, true],
    ['example.com', 'api.example.com', 443, true],
    ['example.com', 'notexample.com', 443, false], // a suffix on a label boundary only
    ['.example.com', 'example.com', 443, true],
    ['.example.com', 'a.b.example.com', 443, true],
    ['*.example.com', 'a.example.com', 443, true],
    ['EXAMPLE.com', 'Api.Example.COM.', 443, true], // case and a trailing dot do not matter
    ['example.com:8443', 'example.com', 8443, true],
    ['example.com:8443', 'example.com', 443, false],
    ['other.org, example.com', 'example.com', 443, true],
    ['other.org example.com', 'example.com', 443, true], // spaces separate entries too
    ['*', 'anything.at.all', 443, true],
    ['other.org,*', '10.1.2.3', 443, true],
    ['10.0.0.0/8', '10.1.2.3', 443, true],
    ['10.0.0.0/8', '11.1.2.3', 443, false],
    ['192.168.1.10', '192.168.1.10', 443, true],
    ['192.168.1.10', '192.168.1.11', 443, false],
    ['127.0.0.1:6443', '127.0.0.1', 6443, true],
    ['127.0.0.1:6443', '127.0.0.1', 443, false],
    ['fd00::/8', 'fd12::1', 443, true],
    ['[::1]', '[::1]', 443, true],
    ['[::1]:443', '::1', 443, true],
    ['::1', '0:0:0:0:0:0:0:1', 443, true], // one address however it is spelled
    ['10.0.0.0/8', 'ten.example.com', 443, false], // names are never resolved
    ['example.com', '10.1.2.3', 443, false],
    ['', 'example.com', 443, false],
    // Loopback is not special: it is proxied unless named.
    ['example.com', 'localhost', 443, false],
    ['example.com', '127.0.0.1', 443, false],
    ['localhost', '127.0.0.1', 443, false],
    ['127.0.0.0/8', '127.0.0.1', 443, true],
  ];
  for (const [noProxy, host, port, direct] of cases) {
    assert.equal(noProxyMatches(noProxy, host, port), direct, `NO_PROXY=${JSON.stringify(noProxy)} ${host}:${port}`);
  }
});

test('the proxy for a URL: per scheme, lowercase before uppercase, ALL_PROXY last, NO_PROXY wins', () => {
  const env = { HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128', HTTP_PROXY: 'plain:8080', NO_PROXY: '.internal' };
  assert.equal(proxyForUrl('https://api.example.com', env)?.href, 'http://lower:3128/');
  assert.equal(proxyForUrl('wss://api.example.com/exec', env)?.href, 'http://lower:3128/', 'the exec WebSocket is https too');
  assert.equal(proxyForUrl('http://moto.example.com:5000', env)?.href, 'http://plain:8080/', 'a proxy without a scheme is http://');
  assert.equal(proxyForUrl('https://eks.internal', env), undefined);
  assert.equal(proxyForUrl('https://api.example.com', {}), undefined);
  assert.equal(proxyForUrl('https://api.example.com', { ALL_PROXY: 'http://all:1' })?.href, 'http://all:1/');
  assert.equal(proxyForUrl('https://127.0.0.1:6443', { HTTPS_PROXY: 'http://p:1' })?.href, 'http://p:1/', 'loopback goes through the proxy');
  assert.equal(proxyForUrl('https://127.0.0.1:6443', { HTTPS_PROXY: 'http://p:1', no_proxy: '127.0.0.1', NO_PROXY: 'other' }), undefined, 'no_proxy before NO_PROXY');
});

test('an unusable proxy setting is an error naming the variable, never echoing a password', () => {
  assert.throws(() => proxyForUrl('https://x', { HTTPS_PROXY: 'socks5://user:secret@p:1080' }), (e: Error) =>
    /HTTPS_PROXY names a socks5 proxy \(socks5:\/\/p:1080\); only http:\/\/ and https:\/\/ proxies are supported/.test(e.message) && !e.message.includes('secret'));
  assert.throws(() => parseProxyUrl('http://user:secret@[bad', 'HTTPS_PROXY'), (e: Error) => /HTTPS_PROXY is not a proxy URL/.test(e.message) && !e.message.includes('secret'));
});
