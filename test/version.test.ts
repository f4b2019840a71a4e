// The built server names itself with package.json's name and version (serverInfo): the bundle has the version from
// the build (scripts/build.mjs), so that a release bumps package.json alone and nothing is read at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectServer, eksArgs, hostEnv, root, useCluster } from './helpers.ts';

const cluster = await useCluster();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };

test('serverInfo is package.json\'s name and version, built into the bundle', async () => {
  const dist = join(root, 'dist');
  const code = [join(dist, 'cli.js'), ...readdirSync(join(dist, 'chunks')).filter((f) => f.endsWith('.js')).map((f) => join(dist, 'chunks', f))]
    .map((file) => readFileSync(file, 'utf8')).join('\n');
  assert.doesNotMatch(code, /PACKAGE_VERSION/, 'the build replaced it with the version');
  const session = await connectServer(eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), hostEnv(cluster));
  try {
    const info = session.client.getServerVersion();
    assert.deepEqual({ name: info?.name, version: info?.version }, { name: pkg.name, version: pkg.version });
  } finally {
    await session.close();
  }
});
