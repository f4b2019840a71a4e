// The fingerprint that binds a user's yes to one exact call (src/policy/gate.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callFingerprint } from '../../src/policy/gate.ts';

test('a call\'s fingerprint ignores key order and the confirm argument, and changes with the tool or any other argument', () => {
  const call = callFingerprint('pods_delete', { namespace: 'team-a', name: 'web-1', options: { grace: 0, dryRun: false } });
  assert.match(call, /^[A-Za-z0-9_-]{43}$/, 'a SHA-256 in base64url');
  assert.equal(callFingerprint('pods_delete', { options: { dryRun: false, grace: 0 }, name: 'web-1', namespace: 'team-a', confirm: true }), call);
  assert.notEqual(callFingerprint('pods_delete', { namespace: 'team-a', name: 'web-2', options: { grace: 0, dryRun: false } }), call);
  assert.notEqual(callFingerprint('pods_delete', { namespace: 'team-a', name: 'web-1', options: { grace: 30, dryRun: false } }), call);
  assert.notEqual(callFingerprint('deployments_delete', { namespace: 'team-a', name: 'web-1', options: { grace: 0, dryRun: false } }), call);
});
