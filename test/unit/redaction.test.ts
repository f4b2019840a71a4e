// A Secret's values never leave the process, on each path one could take out: the object a tool returns, and
// the log lines. Each path is tested on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactSecret, stripNoise } from '../../src/redact.ts';
import { createLogger } from '../../src/log.ts';
import { safeObject } from '../../tools/resources.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

test('every value of data and stringData becomes its size in bytes; keys and the rest of the object stay', () => {
  const secret = {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/basic-auth', immutable: true,
    metadata: { name: 'db', namespace: 'team-a', labels: { app: 'db' } },
    data: { password: b64('hunter2'), blob: b64(Buffer.alloc(300, 7)), empty: '' },
    stringData: { token: 'abc', accent: 'café' },
  };
  const original = structuredClone(secret);
  const out = redactSecret(secret) as typeof secret;
  assert.deepEqual(out, {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/basic-auth', immutable: true,
    metadata: { name: 'db', namespace: 'team-a', labels: { app: 'db' } },
    data: { password: '<redacted: 7 bytes>', blob: '<redacted: 300 bytes>', empty: '<redacted: 0 bytes>' },
    stringData: { token: '<redacted: 3 bytes>', accent: '<redacted: 5 bytes>' },
  }, 'data is measured decoded, stringData in UTF-8 bytes');
  assert.deepEqual(secret, original, 'the object read from the cluster is not changed');
});

test('a Secret without data, without stringData or without metadata is still redacted, and gains nothing', () => {
  assert.deepEqual(redactSecret({ kind: 'Secret', metadata: { name: 'empty' } }), { kind: 'Secret', metadata: { name: 'empty' }, data: {} });
  assert.deepEqual(redactSecret({ kind: 'Secret', stringData: { a: 'xy' } }), { kind: 'Secret', data: {}, stringData: { a: '<redacted: 2 bytes>' } });
  assert.deepEqual(redactSecret({ kind: 'Secret', data: { a: b64('xyz') } }), { kind: 'Secret', data: { a: '<redacted: 3 bytes>' } });
});

test('the last-applied annotation, which holds the values in clear, never leaves; other annotations do', () => {
  const secret = {
    kind: 'Secret',
    metadata: { name: 'db', managedFields: [{ manager: 'kubectl' }], annotations: { [LAST_APPLIED]: '{"stringData":{"password":"hunter2"}}', owner: 'team-a' } },
    data: { password: b64('hunter2') },
  };
  const out = redactSecret(secret);
  assert.deepEqual(out.metadata, { name: 'db', annotations: { owner: 'team-a' } });
  assert.doesNotMatch(JSON.stringify(out), /hunter2|aHVudGVyMg/);
  const onlyLastApplied = redactSecret({ kind: 'Secret', metadata: { name: 'db', annotations: { [LAST_APPLIED]: '{"data":{"p":"aHVudGVyMg=="}}' } } });
  assert.deepEqual(onlyLastApplied.metadata, { name: 'db' }, 'no annotations left: no annotations key');
});

test('stripNoise drops managedFields and last-applied, keeps everything else, and leaves objects without metadata alone', () => {
  const object = { kind: 'ConfigMap', data: { a: '1' } };
  assert.equal(stripNoise(object), object);
  assert.deepEqual(stripNoise({ kind: 'ConfigMap', metadata: { name: 'x', managedFields: [{}] } }), { kind: 'ConfigMap', metadata: { name: 'x' } });
  assert.deepEqual(stripNoise({ metadata: { name: 'x', annotations: {} } }), { metadata: { name: 'x' } });
  assert.deepEqual(stripNoise({ metadata: { name: 'x', annotations: { a: '1', [LAST_APPLIED]: '{}', b: '2' } } }),
    { metadata: { name: 'x', annotations: { a: '1', b: '2' } } });
});

test('the generic get redacts any object of kind Secret, and only those', () => {
  const secret = safeObject({ kind: 'Secret', metadata: { name: 's', annotations: { [LAST_APPLIED]: 'hunter2' } }, data: { p: b64('hunter2') } });
  assert.deepEqual(secret, { kind: 'Secret', metadata: { name: 's' }, data: { p: '<redacted: 7 bytes>' } });
  const configMap = safeObject({ kind: 'ConfigMap', metadata: { name: 'c', managedFields: [{}] }, data: { p: 'visible' } });
  assert.deepEqual(configMap, { kind: 'ConfigMap', metadata: { name: 'c' }, data: { p: 'visible' } });
});

test('log lines never carry a token, a credential or a Secret\'s data', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'log.jsonl');
  const fd = openSync(file, 'w');
  const log = createLogger('info', fd);
  log.info({ token: 'k8s-aws-v1.abc', headers: { authorization: 'Bearer s3cr3t-bearer' }, credentials: { secretAccessKey: 'AKIA-SECRET' } }, 'request');
  log.info({ object: { data: { password: 'aHVudGVyMg==' }, stringData: { p: 'hunter2' } }, sessionToken: 'IQoJb3Jp' }, 'object');
  log.info({ tool: 'pods_list', namespace: 'team-a' }, 'tool call');
  closeSync(fd);
  const text = readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /k8s-aws-v1\.abc|s3cr3t-bearer|AKIA-SECRET|aHVudGVyMg|hunter2|IQoJb3Jp/);
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 3);
  assert.equal(lines[0]!['token'], '[redacted]');
  assert.equal(lines[2]!['namespace'], 'team-a', 'what is not secret is logged');
});
