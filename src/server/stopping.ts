// How a serving process is asked to stop, and how long it then waits: shared by stdio and HTTP. The CLI exits once
// the server it runs has stopped.

/** How long a stop waits for tool calls in flight before cancelling them (Kubernetes' default grace is 30 s). */
export const SHUTDOWN_GRACE_MS = 10_000;

/** What asked the process to stop: SIGTERM, SIGINT, or the end of `input` (the stdio client went away). */
export function stopRequested(input?: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
    input?.once('end', () => resolve('stdin ended'));
  });
}
