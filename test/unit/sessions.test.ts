// The serving of 2025 sessions, on its own (no HTTP server): the requests it refuses before any session or server
// is made. Sessions opened, used, resumed and ended by real clients are in test/http.test.ts and test/resume.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Sessions } from '../../src/server/sessions.ts';
import { recordingLog } from './auth-helpers.ts';

function sessions() {
  const made: string[] = [];
  const { log, lines } = recordingLog();
  const table = new Sessions({ newServer: (principal) => { made.push(principal); throw new Error('no server is needed here'); }, replayBufferBytes: 0, log });
  const serve = (method: string, headers: Record<string, string> = {}) =>
    table.serve({ method, headers } as unknown as IncomingMessage, {} as ServerResponse, undefined, 'static:alice');
  return { serve, made, lines, table };
}

test('without a session id, only a POST may open one: GET and DELETE are refused as the SDK would, other methods not allowed', async () => {
  const s = sessions();
  for (const method of ['GET', 'DELETE']) {
    const answer = (await s.serve(method))!;
    assert.equal(answer.status, 400, method);
    assert.match(answer.body!, /Mcp-Session-Id header is required/);
  }
  const put = (await s.serve('PUT'))!;
  assert.equal(put.status, 405);
  assert.equal(put.headers?.['Allow'], 'GET, POST, DELETE');
  assert.deepEqual(s.made, [], 'no server was made');
});

test('an unknown session id is 404 "Session not found", counted as such, and makes nothing', async () => {
  const s = sessions();
  const answer = (await s.serve('POST', { 'mcp-session-id': 'f1e2d3c4-0000-4000-8000-000000000000' }))!;
  assert.equal(answer.status, 404);
  assert.deepEqual(JSON.parse(answer.body!), { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
  assert.equal(answer.rejection, 'session-not-found');
  assert.deepEqual(s.made, []);
  assert.deepEqual(s.lines, [], 'an unknown id is not another principal\'s: nothing to warn about');
  assert.equal(s.table.size, 0);
});
