// Runs a command in a container through the API server's exec endpoint (WebSocket, channel protocol
// v5/v4): an argv, never a shell string; bounded in time and in output bytes.
import { type KubeClient, statusError } from './client.ts';

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** Why it ended early, if it did: 'timeout' or 'output-limit'. */
  cutOff?: 'timeout' | 'output-limit';
}

const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;

interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

/**
 * The exit code reported on the error channel: 0 on Success; the ExitCode cause (kubelets); else the code
 * at the end of the message, as runtimes that only wrap the error word it ("... exit status 3").
 */
export function exitCodeOf(status: ExecStatus): number | null {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (cause?.message !== undefined && /^\d+$/.test(cause.message)) return Number(cause.message);
  const worded = /exit (?:status|code) (\d+)\s*$/.exec(status.message ?? '');
  return worded ? Number(worded[1]) : null;
}

export async function execInPod(kube: KubeClient, input: {
  namespace: string;
  pod: string;
  container?: string;
  command: string[];
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}): Promise<ExecResult> {
  const socket = await kube.websocket(
    `/api/v1/namespaces/${encodeURIComponent(input.namespace)}/pods/${encodeURIComponent(input.pod)}/exec`,
    { command: input.command, container: input.container, stdout: true, stderr: true, stdin: false, tty: false },
    ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
  );
  return new Promise<ExecResult>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let exitCode: number | null = null;
    let failure: string | undefined;
    let cutOff: ExecResult['cutOff'];
    const finish = () => {
      clearTimeout(timer);
      input.signal?.removeEventListener('abort', onAbort);
      if (failure && exitCode === null) reject(new Error(failure));
      else resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode, ...(cutOff ? { cutOff } : {}) });
    };
    const stop = (reason: ExecResult['cutOff']) => {
      cutOff = reason;
      socket.terminate();
    };
    const timer = setTimeout(() => stop('timeout'), input.timeoutMs);
    const onAbort = () => {
      failure = 'cancelled';
      socket.terminate();
    };
    input.signal?.addEventListener('abort', onAbort);
    socket.on('message', (data: Buffer) => {
      const channel = data[0];
      const payload = data.subarray(1);
      if (channel === ERROR) {
        let status: ExecStatus;
        try {
          status = JSON.parse(payload.toString('utf8') || '{}') as ExecStatus;
        } catch {
          failure = `malformed status on the exec error channel (${payload.length} bytes)`;
          return; // a throw here would escape the ws listener and crash the process
        }
        exitCode = exitCodeOf(status);
        if (exitCode === null) failure = status.message ?? 'exec failed';
        return;
      }
      if (channel !== STDOUT && channel !== STDERR) return;
      const room = input.maxBytes - bytes;
      (channel === STDOUT ? out : err).push(payload.subarray(0, Math.max(0, room)));
      bytes += payload.length;
      if (bytes > input.maxBytes) stop('output-limit');
    });
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => {
        clearTimeout(timer);
        reject(statusError(res.statusCode ?? 0, body));
      });
    });
    socket.on('error', (error) => {
      failure ??= error.message;
    });
    socket.on('close', finish);
  });
}
