// The README's Install section is true today: its shell commands run, in order, from an empty directory (the clone is
// of this repository's committed HEAD), and mcp.json's stdio entries, pointed at what they built, serve the local
// control plane. npm may answer from its cache (prefer-offline); nothing else differs from what a user types.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectCommand, root, useCluster } from './helpers.ts';
import { goldenTools } from './golden.ts';

const cluster = await useCluster();
const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-install-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };

/** The ```sh blocks of a README section, in order. */
function shellBlocks(readme: string, heading: string): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `the README has a "## ${heading}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = shellBlocks(readme, 'Install');
const script = ['set -euo pipefail', ...blocks].join('\n').replaceAll('<repository-url>', root);
const { EKS_MCP_TEST_CLUSTER: _, ...environment } = process.env;
const run = spawnSync('bash', ['-c', script], {
  cwd: dir, encoding: 'utf8', timeout: 20 * 60_000, env: { ...environment, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' },
});
const clone = join(dir, 'eks-rbac-mcp');

test('the documented commands run from an empty directory: clone and build, pack and npx, bundle', () => {
  assert.ok(blocks.length >= 3, 'the clone, the tarball and the bundle');
  assert.equal(run.status, 0, `${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
  const helps = run.stdout.match(/eks-rbac-mcp — an MCP server whose tools are exactly what the connection's RBAC role allows/g) ?? [];
  assert.equal(helps.length, 2, 'the built dist/cli.js and the tarball\'s bin both answer --help');
  assert.ok(existsSync(join(clone, `${pkg.name}-${pkg.version}.tgz`)), 'npm pack wrote the tarball the README names');
  assert.ok(existsSync(join(clone, 'eks-rbac-mcp.mcpb')), 'npm run bundle wrote the bundle');
  assert.ok(readme.includes(`./${pkg.name}-${pkg.version}.tgz`) && readme.includes(`${pkg.name}@${pkg.version}`), 'the README names this version');
});

/** mcp.json's stdio entry, pointed at what the commands built and at the local control plane's connection. */
function localEntry(key: string): { command: string; args: string[]; env: Record<string, string> } {
  const entry = (JSON.parse(readFileSync(join(root, 'mcp.json'), 'utf8')) as { mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }> }).mcpServers[key]!;
  const local: Record<string, string> = {
    '--cluster-name': cluster.clusterName, '--region': cluster.region, '--role-arn': cluster.sts.roles['eks-mcp-agent']!,
    '--binding-role': 'pods-reader', '--namespaces': 'team-a',
  };
  const args = entry.args.map((arg, i) => local[entry.args[i - 1]!] ?? arg.replace('/path/to/eks-rbac-mcp/', `${clone}/`).replace(/^\/path\/to\//, `${clone}/`));
  const credentials = join(dir, 'credentials');
  writeFileSync(credentials, `[${entry.env['AWS_PROFILE']}]\naws_access_key_id = ${cluster.sts.hostUser.accessKeyId}\naws_secret_access_key = ${cluster.sts.hostUser.secretAccessKey}\n`);
  return {
    command: entry.command, args,
    env: {
      PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? dir, ...entry.env, AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_CONFIG_FILE: join(dir, 'config'), AWS_ENDPOINT_URL_STS: cluster.sts.url, AWS_ENDPOINT_URL_EKS: cluster.sts.url,
      AWS_EC2_METADATA_DISABLED: 'true', npm_config_prefer_offline: 'true',
    },
  };
}

for (const key of ['eks', 'eks-packed']) {
  test(`mcp.json's ${key} entry serves the role's tools from what the commands built`, { skip: run.status !== 0 && 'the commands failed' }, async () => {
    const entry = localEntry(key);
    assert.ok(entry.args.some((a) => a.startsWith(clone)), `${entry.args.join(' ')} points into the clone`);
    const session = await connectCommand(entry.command, entry.args, entry.env);
    try {
      const golden = goldenTools('pods-reader');
      assert.deepEqual((await session.client.listTools()).tools.map((t) => t.name), golden.map((t) => t.name));
    } finally {
      await session.close();
    }
  });
}
