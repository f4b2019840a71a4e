// Logs are JSON lines on stderr: stdout belongs to the MCP protocol. Anything that could carry a token,
// a credential or a Secret's value is redacted by path before it is written.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'credentials', '*.credentials', 'secretAccessKey', '*.secretAccessKey', 'sessionToken', '*.sessionToken',
  'data', '*.data', 'stringData', '*.stringData',
  // A logged error is `{ err: error }`: pino's err serializer (its default for `err`) copies the error's own
  // enumerable fields (a cause gives only its message and stack), which the paths above cover one level down; an
  // HTTP client's error may also carry the request it was about, headers included.
  'err.*.headers.authorization',
];

export function createLogger(level: string, destination: number = 2): Logger {
  return pino({
    level, base: { name: 'eks-rbac-mcp' }, redact: { paths: REDACT, censor: '[redacted]' },
  }, pino.destination({ dest: destination, sync: true }));
}
