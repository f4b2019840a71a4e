// A logged error is `{ err: error }`, written by pino's err serializer: what it keeps (type, message, stack, the
// error's own fields) and that no token or credential that an error carries reaches the log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../src/log.ts';

/** The lines a logger writes at debug level, parsed. */
function logged(t: { after(fn: () => void): void }, write: (log: Logger) => void): Array<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'log.jsonl');
  const fd = openSync(file, 'w');
  write(createLogger('debug', fd));
  closeSync(fd);
  return readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('an error is logged with its type, message, stack and own fields', (t) => {
  class KubeApiError extends Error {
    constructor(readonly status: number, message: string) {
      super(message);
      this.name = 'KubeApiError';
    }
  }
  const [line] = logged(t, (log) => log.warn({ tool: 'pods_list', err: new KubeApiError(403, 'pods is forbidden') }, 'tool call failed'));
  const err = line!['err'] as Record<string, unknown>;
  assert.equal(err['type'], 'KubeApiError');
  assert.equal(err['message'], 'pods is forbidden');
  assert.equal(err['status'], 403);
  assert.match(String(err['stack']), /^KubeApiError: pods is forbidden\n\s+at /);
  assert.equal(line!['tool'], 'pods_list');
});

test('no token or credential that an error carries is written: its own fields, its request\'s headers, its cause', (t) => {
  const secrets = ['k8s-aws-v1.abc', 'Bearer s3cr3t-bearer', 'AKIA-SECRET', 'IQoJb3Jp', 'Bearer in-a-request', 'cause-token'];
  const carrying = Object.assign(new Error('the API server refused the token'), {
    token: secrets[0], headers: { authorization: secrets[1] }, credentials: { secretAccessKey: secrets[2] }, sessionToken: secrets[3],
    request: { method: 'GET', headers: { authorization: secrets[4], accept: 'application/json' } },
  });
  const caused = new Error('cannot mint a token', { cause: Object.assign(new Error('STS refused'), { token: secrets[5] }) });
  const lines = logged(t, (log) => {
    log.warn({ err: carrying }, 'not ready: cannot mint a token');
    log.debug({ err: caused }, 'failed');
  });
  const text = JSON.stringify(lines);
  for (const secret of secrets) assert.ok(!text.includes(secret), secret);
  const err = lines[0]!['err'] as Record<string, Record<string, unknown>>;
  assert.equal(err['token'], '[redacted]');
  assert.deepEqual(err['request'], { method: 'GET', headers: { authorization: '[redacted]', accept: 'application/json' } }, 'what is not secret is kept');
  assert.equal((lines[1]!['err'] as Record<string, unknown>)['message'], 'cannot mint a token: STS refused', 'a cause gives its message');
});
