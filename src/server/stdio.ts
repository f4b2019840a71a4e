// `serve`: speak MCP over stdin/stdout while discovering (2026-07-28, or a 2025 revision if that is what the client
// opens with) until the client goes away or a signal asks us to stop; calls in flight then get a bounded grace
// period before they are cancelled. Resolves once stopped: the CLI exits then.
import { serveStdio as serveMcpOverStdio } from '@modelcontextprotocol/server/stdio';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { createMcpServer } from './mcp.ts';
import { SHUTDOWN_GRACE_MS, stopRequested } from './stopping.ts';

export async function serveStdio(config: Config, log: Logger): Promise<void> {
  // Discovery runs while the client connects: the handshake is answered at once, tools/list and tools/call wait for it.
  // It starts once the input already waiting has been read: loading the AWS SDK for AssumeRole (~20-60 ms of CPU)
  // would otherwise come before the answer to a handshake that has been waiting since the process started. The
  // runtime's code (the Kubernetes client with HTTP/2 and TLS, the catalogue) is loaded then too, for the same reason.
  const starting = new Promise((resolve) => setImmediate(resolve))
    .then(() => import('./runtime.ts'))
    .then(async ({ startRuntime, favourSmallHeap }) => {
      const runtime = await startRuntime(config, log);
      favourSmallHeap();
      return runtime;
    });
  // One connection, one server: the SDK pins the instance to the era the client opens with.
  const handle = serveMcpOverStdio(() => createMcpServer(starting, { principal: () => 'stdio', followChanges: true }));
  const stop = stopRequested(process.stdin); // a stop asked for while discovering waits for it
  let runtime;
  try {
    runtime = await starting;
  } catch (error) {
    // The requests waiting for discovery are answered with its error first (stdout is synchronous on a pipe).
    await new Promise((resolve) => setImmediate(resolve));
    await handle.close().catch(() => undefined);
    process.stdin.destroy(); // nothing more is read: the process ends with the CLI's exit code
    throw error;
  }
  log.info({ reason: await stop }, 'shutting down');
  await runtime.shutdown(SHUTDOWN_GRACE_MS);
  await handle.close().catch(() => undefined);
}
