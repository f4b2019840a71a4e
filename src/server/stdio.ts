// `serve`: discover, register, then speak MCP over stdin/stdout until the client goes away or a signal
// asks us to stop; calls in flight then get a bounded grace period before they are cancelled.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { createMcpServer } from './mcp.ts';
import { startRuntime } from './runtime.ts';

/** How long SIGTERM waits for tool calls in flight before cancelling them (Kubernetes' default grace is 30 s). */
export const SHUTDOWN_GRACE_MS = 10_000;

export async function serveStdio(config: Config, log: Logger): Promise<void> {
  const runtime = await startRuntime(config, log);
  const server = createMcpServer(runtime);
  const transport = new StdioServerTransport();
  let closing = false;
  const close = async (reason: string) => {
    if (closing) return;
    closing = true;
    log.info({ reason }, 'shutting down');
    await runtime.shutdown(SHUTDOWN_GRACE_MS);
    await server.close().catch(() => undefined);
    process.exit(0);
  };
  transport.onclose = () => void close('client closed the connection');
  process.stdin.once('end', () => void close('stdin ended'));
  process.once('SIGTERM', () => void close('SIGTERM'));
  process.once('SIGINT', () => void close('SIGINT'));
  await server.connect(transport);
}
