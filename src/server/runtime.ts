// What every MCP session of this process shares: the connection, the discovered permissions, the catalogue.
// Transports (stdio, HTTP) create sessions from it; they never talk to the cluster on their own.
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { connect, type Connection } from '../connection.ts';
import { discoverPermissions, type PermissionSet } from '../rbac/discovery.ts';
import { catalogue as defaultCatalogue } from '../../tools/index.ts';
import type { ToolDeclaration } from '../tool.ts';
import { advertise, cataloguePermissions } from './mcp.ts';

export interface Runtime {
  config: Config;
  connection: Connection;
  log: Logger;
  catalogue: readonly ToolDeclaration[];
  permissions: PermissionSet;
  now: () => Date;
}

export async function startRuntime(config: Config, log: Logger, catalogue: readonly ToolDeclaration[] = defaultCatalogue): Promise<Runtime> {
  const started = performance.now();
  const connection = await connect(config);
  const permissions = await discoverPermissions(connection.kube, config.namespaces, cataloguePermissions(catalogue));
  log.info({
    connection: connection.summary,
    namespaces: config.namespaces,
    tools: advertise(catalogue, permissions, config.readOnly).map((a) => a.tool.name),
    discoveryRequests: permissions.requestCount,
    startupMs: Math.round(performance.now() - started),
  }, 'ready');
  return { config, connection, log, catalogue, permissions, now: () => new Date() };
}
