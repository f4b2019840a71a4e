// The MCP Registry entry (server.json) is valid against the registry's own schema, and every place that names or
// versions the server says the same: package.json, server.json, the image's labels, mcp.json, the MCP Bundle's
// manifest and the Helm chart. A release bumps them together or this fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { load as loadYaml } from 'js-yaml';
import { SETTINGS } from '../src/config.ts';
import { root } from './helpers.ts';

const SCHEMA_URL = 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json';
const SCHEMA_SHA256 = '3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0';

const read = (path: string) => readFileSync(join(root, path), 'utf8');
const json = (path: string) => JSON.parse(read(path)) as Record<string, any>;
const pkg = json('package.json');
const server = json('server.json');

/** The registry's validator, as it checks a published server.json: draft-07 with formats (uri). */
function registryValidator(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: false });
  (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  return ajv.compile(JSON.parse(read('test/vendor/mcp-registry/server.schema.json')));
}
const validate = registryValidator();

/** The Dockerfile's LABEL instructions (continuation lines joined), key to unquoted value. */
function dockerLabels(dockerfile: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const joined = dockerfile.replace(/\\\r?\n\s*/g, ' ');
  for (const [, body] of joined.matchAll(/^LABEL\s+(.+)$/gm)) {
    for (const [, key, quoted, bare] of body!.matchAll(/([\w.-]+)=(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) labels[key!] = quoted ?? bare!;
  }
  return labels;
}

test('server.json is valid against the vendored 2025-12-11 schema, which is the registry\'s file byte for byte', () => {
  const schema = readFileSync(join(root, 'test/vendor/mcp-registry/server.schema.json'));
  assert.equal(createHash('sha256').update(schema).digest('hex'), SCHEMA_SHA256, 'the vendored schema changed: replace it, its hash and $schema together');
  assert.equal(JSON.parse(schema.toString())['$id'], SCHEMA_URL);
  assert.match(read('test/vendor/mcp-registry/LICENSE'), /Apache License/, 'the schema travels with its license');
  assert.equal(server['$schema'], SCHEMA_URL);
  assert.ok(validate(server), JSON.stringify(validate.errors, null, 2));
});

test('the validator refuses what the registry refuses (so that the check above can fail)', () => {
  const broken = [
    { ...server, description: 'x'.repeat(101) },
    { ...server, name: 'eks-rbac-mcp' },
    { ...server, packages: [{ ...server['packages'][0], version: 'latest' }] },
    { ...server, packages: [{ ...server['packages'][0], transport: { type: 'carrier-pigeon' } }] },
  ];
  for (const doc of broken) assert.equal(validate(doc), false, JSON.stringify(doc).slice(0, 200));
});

test('one name and one version: package.json, server.json, the image labels, mcp.json, the bundle and the chart', () => {
  const { name, version, mcpName } = pkg as { name: string; version: string; mcpName: string };
  assert.equal(server['name'], mcpName, 'npm checks mcpName against the registry entry\'s name');
  assert.equal(server['version'], version);
  const npm = server['packages'].find((p: { registryType: string }) => p.registryType === 'npm');
  assert.deepEqual([npm.identifier, npm.version], [name, version]);
  const oci = server['packages'].find((p: { registryType: string }) => p.registryType === 'oci');
  assert.match(oci.identifier, new RegExp(`/${name}:${version.replace(/\./g, '\\.')}$`), 'the image is tagged with the version');

  const labels = dockerLabels(read('Dockerfile'));
  assert.equal(labels['io.modelcontextprotocol.server.name'], mcpName, 'the registry verifies an OCI package by this label');
  assert.equal(labels['org.opencontainers.image.title'], name);
  assert.equal(labels['org.opencontainers.image.version'], version);
  assert.equal(labels['org.opencontainers.image.licenses'], pkg['license']);
  assert.equal(labels['org.opencontainers.image.description'], server['description']);

  const clients = json('mcp.json')['mcpServers'] as Record<string, { command?: string; args?: string[]; url?: string }>;
  assert.equal(clients['eks']!.args![0], `/path/to/${name}/${pkg['bin'][name]}`, 'the clone\'s built entry point');
  assert.ok(clients['eks-packed']!.args!.includes(`/path/to/${name}-${version}.tgz`), 'the tarball `npm pack` writes');
  assert.ok(clients['eks-packed']!.args!.includes(name));

  const bundle = json('mcpb/manifest.json');
  assert.deepEqual([bundle['name'], bundle['version'], bundle['license']], [name, version, pkg['license']]);

  const chart = loadYaml(read('charts/eks-rbac-mcp/Chart.yaml')) as Record<string, string>;
  assert.deepEqual([chart['name'], chart['appVersion']], [name, version]);
  const service = new URL(clients['eks-http']!.url!).hostname;
  assert.equal(service, `${name}.${name}.svc`, 'the chart\'s Service in the server\'s own namespace');
});

test('the registry entry\'s arguments and variables are settings the server reads, by their exact names', () => {
  const flags = new Set<string>(Object.values(SETTINGS).flatMap((s) => ('flag' in s ? [s.flag] : [])));
  for (const entry of server['packages'] as Array<{ packageArguments: Array<{ name: string }>; environmentVariables: Array<{ name: string }> }>) {
    for (const argument of entry.packageArguments) assert.ok(flags.has(argument.name), `${argument.name} is a flag of src/config.ts`);
    for (const variable of entry.environmentVariables) assert.ok(variable.name === 'AWS_PROFILE' || Object.values(SETTINGS).some((s) => s.env === variable.name), variable.name);
  }
});
