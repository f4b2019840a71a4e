// `npm run demo`: the server on the local control plane, as an agent holding the read-only
// pods-and-logs role (manifests/rbac/pods-reader.yaml) sees it — the tools it is offered, and what happens when it reaches past them.
import './node24.ts';
import { execFileSync } from 'node:child_process';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { down, runningCluster, up } from '../test/cluster/cli.ts';
import { connectServer, eksArgs, hostEnv, readTable, resultText } from '../test/helpers.ts';

const keep = process.argv.includes('--keep');
const binding = process.argv.find((a) => a.startsWith('--binding-role='))?.split('=')[1] ?? 'pods-reader';
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
const wasRunning = runningCluster() !== undefined;
process.stdout.write(wasRunning ? 'Using the running local control plane.\n' : 'Starting the local control plane (the first run builds it from the Go module proxy: several minutes)...\n');
const cluster = await up();
const args = eksArgs(cluster, 'eks-mcp-agent', binding);
const session = await connectServer(args, hostEnv(cluster));

const say = (text: string) => process.stdout.write(`${text}\n`);
const show = async (name: string, input: Record<string, unknown>) => {
  const result = (await session.client.callTool({ name, arguments: input })) as CallToolResult;
  const body = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  say(`\n> ${name} ${JSON.stringify(input)}${result.isError ? '   [isError]' : ''}\n${body.split('\n').map((l) => `  ${l}`).join('\n')}`);
  return result;
};

try {
  say(`\nThe server: node dist/cli.js ${args.join(' ').replace(cluster.caFile, '<ca>')}`);
  say(`(IAM role eks-mcp-agent assumed through STS with session name "${binding}"; EKS maps it to RBAC user eks-agent:${binding})`);
  const { tools } = await session.client.listTools();
  say(`\nWhat the agent is offered (${tools.length} tools):`);
  for (const tool of tools) {
    const ns = (tool.inputSchema.properties?.['namespace'] as { enum?: string[] } | undefined)?.enum;
    say(`  ${tool.name.padEnd(20)} ${(tool.title ?? '').padEnd(24)} ${ns ? `namespaces: ${ns.join(', ')}` : ''}`);
  }
  await show('whoami', {});
  await show('can_i', { verb: 'delete', resource: 'pods', namespace: 'team-a' });
  const pods = await show('pods_list', { namespace: 'team-a' });
  const api = readTable(resultText(pods)).rows.map((row) => row['NAME']!).find((name) => name.startsWith('api-'));
  if (api) await show('pods_log', { namespace: 'team-a', name: api, tail: 3 });
  if (api) await show('pods_delete', { namespace: 'team-a', name: api });
  await show('pods_list', { namespace: 'team-b' });
} finally {
  await session.close();
  if (!wasRunning && !keep) await down();
  else say(`\nThe control plane keeps running (npm run cluster:down stops it): kubectl --kubeconfig ${cluster.adminKubeconfig} get pods -A`);
}
