// `serve`: discover, register, then speak MCP over stdin/stdout until the client goes away.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { connect } from '../connection.ts';
import { discoverPermissions } from '../rbac/discovery.ts';
import { catalogue } from '../../tools/index.ts';
import { advertise, cataloguePermissions, createMcpServer } from './mcp.ts';

export async function serveStdio(config: Config, log: Logger): Promise<void> {
  const started = performance.now();
  const connection = await connect(config);
  const permissions = await discoverPermissions(connection.kube, config.namespaces, cataloguePermissions(catalogue));
  const server = createMcpServer({ catalogue, permissions, connection, log, readOnly: config.readOnly });
  log.info({
    connection: connection.summary,
    namespaces: config.namespaces,
    tools: advertise(catalogue, permissions, config.readOnly).map((a) => a.tool.name),
    discoveryRequests: permissions.requestCount,
    startupMs: Math.round(performance.now() - started),
  }, 'ready');

  const transport = new StdioServerTransport();
  let closing = false;
  const close = async (reason: string) => {
    if (closing) return;
    closing = true;
    log.info({ reason }, 'shutting down');
    await server.close().catch(() => undefined);
    process.exit(0);
  };
  transport.onclose = () => void close('client closed the connection');
  process.stdin.once('end', () => void close('stdin ended'));
  process.once('SIGTERM', () => void close('SIGTERM'));
  process.once('SIGINT', () => void close('SIGINT'));
  await server.connect(transport);
}
