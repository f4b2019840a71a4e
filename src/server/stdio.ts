// `serve`: discover, then speak MCP over stdin/stdout (2026-07-28, or a 2025 revision if that is what the client
// opens with) until the client goes away or a signal asks us to stop; calls in flight then get a bounded grace
// period before they are cancelled.
import { serveStdio as serveMcpOverStdio } from '@modelcontextprotocol/server/stdio';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { createMcpServer } from './mcp.ts';
import { startRuntime } from './runtime.ts';

/** How long SIGTERM waits for tool calls in flight before cancelling them (Kubernetes' default grace is 30 s). */
export const SHUTDOWN_GRACE_MS = 10_000;

export async function serveStdio(config: Config, log: Logger): Promise<void> {
  const runtime = await startRuntime(config, log);
  let closing = false;
  const close = async (reason: string) => {
    if (closing) return;
    closing = true;
    log.info({ reason }, 'shutting down');
    await runtime.shutdown(SHUTDOWN_GRACE_MS);
    await handle.close().catch(() => undefined);
    process.exit(0);
  };
  // One connection, one server: the SDK pins the instance to the era the client opens with.
  const handle = serveMcpOverStdio(() => createMcpServer(runtime, { principal: () => 'stdio', followChanges: true }));
  process.stdin.once('end', () => void close('stdin ended'));
  process.once('SIGTERM', () => void close('SIGTERM'));
  process.once('SIGINT', () => void close('SIGINT'));
}
