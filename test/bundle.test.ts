// The MCP Bundle as a user's host runs it: packed by scripts/bundle.mjs (which runs `mcpb validate`), unpacked by the
// mcpb CLI, its command resolved from the manifest and the user's answers by mcpb's own getMcpConfigForManifest (the
// code hosts use), then started over stdio against the local control plane.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMcpConfigForManifest, type McpbManifestAny } from '@anthropic-ai/mcpb';
import { SETTINGS } from '../src/config.ts';
import { connectCommand, root, useCluster } from './helpers.ts';
import { goldenTools } from './golden.ts';

const cluster = await useCluster();
const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-mcpb-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const mcpbCli = join(root, 'node_modules', '@anthropic-ai', 'mcpb', 'dist', 'cli', 'cli.js');
const bundle = join(dir, 'eks-rbac-mcp.mcpb');
const packed = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs'), '--no-build', bundle], { encoding: 'utf8' });
const unpacked = join(dir, 'unpacked');
execFileSync(process.execPath, [mcpbCli, 'unpack', bundle, unpacked], { stdio: 'pipe' });
const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8')) as McpbManifestAny;

/** The answers a user gives in the host's settings form, for the local control plane's pods-reader. */
const answers = {
  cluster_name: cluster.clusterName,
  region: cluster.region,
  role_arn: cluster.sts.roles['eks-mcp-agent']!,
  binding_role: 'pods-reader',
  namespaces: 'team-a',
};

/** The host's own environment: STS and EKS at the local moto, credentials in a shared credentials file. */
function hostEnvironment(): Record<string, string> {
  const credentials = join(dir, 'credentials');
  writeFileSync(credentials, `[agent-host]\naws_access_key_id = ${cluster.sts.hostUser.accessKeyId}\naws_secret_access_key = ${cluster.sts.hostUser.secretAccessKey}\n`);
  return {
    PATH: process.env['PATH'] ?? '', HOME: dir, AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_ENDPOINT_URL_STS: cluster.sts.url, AWS_ENDPOINT_URL_EKS: cluster.sts.url, AWS_EC2_METADATA_DISABLED: 'true',
  };
}

async function resolved(userConfig: Record<string, string>): Promise<{ command: string; args: string[]; env: Record<string, string> } | undefined> {
  const config = await getMcpConfigForManifest({ manifest, extensionPath: unpacked, systemDirs: {}, userConfig, pathSeparator: '/' });
  return config as { command: string; args: string[]; env: Record<string, string> } | undefined;
}

test('npm run bundle validates the manifest with mcpb and packs only what runs', () => {
  assert.equal(packed.status, 0, packed.stderr);
  assert.match(packed.stdout, /Manifest schema validation passes!/);
  const info = execFileSync(process.execPath, [mcpbCli, 'info', bundle], { encoding: 'utf8' });
  assert.match(info, /eks-rbac-mcp/);
  const files = execFileSync('find', [unpacked, '-type', 'f', '-printf', '%P\n'], { encoding: 'utf8' }).trim().split('\n');
  assert.ok(files.includes('dist/cli.js') && files.includes('manifest.json') && files.includes('package.json'));
  assert.ok(!files.some((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('node_modules/')), files.join(' '));
});

test('the user\'s answers reach the server as its own settings, by their exact variable names', () => {
  const env = manifest.server.mcp_config.env ?? {};
  const expected: Record<string, string> = {
    cluster_name: SETTINGS.clusterName.env, region: SETTINGS.region.env, role_arn: SETTINGS.roleArn.env,
    binding_role: SETTINGS.bindingRole.env, namespaces: SETTINGS.namespaces.env, aws_profile: 'AWS_PROFILE',
  };
  for (const [key, variable] of Object.entries(expected)) {
    assert.equal(env[variable], `\${user_config.${key}}`, `${key} -> ${variable}`);
    const option = manifest.user_config?.[key];
    assert.ok(option && option.description.length > 20, `${key} is described`);
    assert.equal(option.required, key !== 'aws_profile', `${key} required`);
  }
  assert.deepEqual(Object.keys(manifest.user_config ?? {}).sort(), Object.keys(expected).sort());
});

test('started from the unpacked bundle with a profile, it lists the tools the role allows', async () => {
  const config = await resolved({ ...answers, aws_profile: 'agent-host' });
  assert.ok(config, 'every required answer given');
  assert.equal(config.env['AWS_PROFILE'], 'agent-host');
  const session = await connectCommand(config.command, config.args, { ...hostEnvironment(), ...config.env });
  try {
    const golden = goldenTools('pods-reader');
    assert.deepEqual((await session.client.listTools()).tools.map((t) => t.name), golden.map((t) => t.name));
  } finally {
    await session.close();
  }
});

test('without a profile the default chain is used; a missing answer is caught by the host, a bad one by the server', async () => {
  const config = (await resolved(answers))!;
  assert.equal(config.env['AWS_PROFILE'], '', 'the optional profile defaults to empty, never to the literal placeholder');
  assert.equal(await resolved({ ...answers, namespaces: '' }), undefined, 'the host asks for a required answer before starting');

  const bad = (await resolved({ ...answers, binding_role: 'team:a', namespaces: 'Team_A' }))!;
  const run = spawnSync(bad.command, bad.args, { env: { ...hostEnvironment(), ...bad.env }, input: '', encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /bindingRole STS allows 2-64 of letters, digits and \+ = , \. @ _ - \(no colon\) \(--binding-role or EKS_MCP_BINDING_ROLE\)/);
  assert.match(run.stderr, /namespaces each namespace must be a DNS-1123 label/);
});
