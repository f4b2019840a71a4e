// Logs are JSON lines on stderr: stdout belongs to the MCP protocol. Anything that could carry a token,
// a credential or a Secret's value is redacted by path before it is written.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'credentials', '*.credentials', 'secretAccessKey', '*.secretAccessKey', 'sessionToken', '*.sessionToken',
  'data', '*.data', 'stringData', '*.stringData',
];

export function createLogger(level: string, destination: number = 2): Logger {
  return pino({ level, base: { name: 'eks-rbac-mcp' }, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination({ dest: destination, sync: true }));
}
