// The trust policy check on its own (src/aws/iam-trust.ts): does every statement that lets an AWS principal assume the
// role pin sts:RoleSessionName to the binding role, and the pinned policy printed in its place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTrust, pinnedTrustPolicy } from '../../src/aws/iam-trust.ts';

const HOST = 'arn:aws:iam::111122223333:role/agent-host';
const trust = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allow = (extra: object = {}) => ({ Effect: 'Allow', Principal: { AWS: HOST }, Action: 'sts:AssumeRole', ...extra });
const pinned = (operator: string, names: string | string[]) => allow({ Condition: { [operator]: { 'sts:RoleSessionName': names } } });

test('pinned: StringEquals or StringLike without a wildcard to the binding role alone (keys in any case, IfExists and ForAnyValue alike)', () => {
  for (const statement of [pinned('StringEquals', 'pods-reader'), pinned('StringLike', ['pods-reader']), pinned('StringEqualsIfExists', 'pods-reader'),
    pinned('ForAnyValue:StringEquals', 'pods-reader'), allow({ Condition: { StringEquals: { 'STS:RoleSessionName': 'pods-reader' } } })]) {
    assert.deepEqual(checkTrust(trust(statement), 'pods-reader'), { kind: 'pinned' }, JSON.stringify(statement));
  }
});

test('unpinned: no condition, another name, several names, a wildcard, or a case-insensitive operator, each with the principals and names it allows', () => {
  const open = checkTrust(trust(allow()), 'pods-reader');
  assert.equal(open.kind, 'unpinned');
  assert.deepEqual(open.kind === 'unpinned' && [open.principals, open.sessionNames], [[HOST], undefined], 'any session name');
  const several = checkTrust(trust(pinned('StringLike', ['pods-reader', 'operator'])), 'pods-reader');
  assert.deepEqual(several.kind === 'unpinned' && several.sessionNames, ['pods-reader', 'operator'], 'one role for several binding roles');
  const other = checkTrust(trust(pinned('StringEquals', 'operator')), 'pods-reader');
  assert.deepEqual(other.kind === 'unpinned' && other.sessionNames, ['operator']);
  for (const statement of [pinned('StringLike', 'pods-*'), pinned('StringEqualsIgnoreCase', 'pods-reader'), pinned('ForAllValues:StringEquals', 'pods-reader')]) {
    const verdict = checkTrust(trust(statement), 'pods-reader');
    assert.equal(verdict.kind === 'unpinned' && verdict.sessionNames, undefined, JSON.stringify(statement));
  }
  const wildcardAction = checkTrust(trust({ Effect: 'Allow', Principal: '*', Action: 'sts:*' }), 'pods-reader');
  assert.deepEqual(wildcardAction.kind === 'unpinned' && wildcardAction.principals, ['*'], 'Principal "*" and Action sts:*');
  const notAction = checkTrust(trust({ Effect: 'Allow', Principal: { AWS: HOST }, NotAction: 'sts:TagSession' }), 'pods-reader');
  assert.equal(notAction.kind, 'unpinned', 'NotAction that does not exclude AssumeRole');
});

test('one unpinned statement among pinned ones is enough to warn; statements for services, federation or other actions do not count', () => {
  const mixed = checkTrust(trust(pinned('StringEquals', 'pods-reader'), { ...allow(), Principal: { AWS: ['arn:aws:iam::111122223333:root'] } }), 'pods-reader');
  assert.deepEqual(mixed.kind === 'unpinned' && mixed.principals, ['arn:aws:iam::111122223333:root']);
  const others = trust(
    { Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] },
    { Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::111122223333:oidc-provider/x' }, Action: 'sts:AssumeRoleWithWebIdentity' },
    { Effect: 'Allow', Principal: { AWS: HOST }, Action: 'sts:TagSession' },
    pinned('StringEquals', 'pods-reader'),
  );
  assert.deepEqual(checkTrust(others, 'pods-reader'), { kind: 'pinned' });
});

test('a Deny for everyone unless the session name is one of a list pins too (an organisation\'s guard rail)', () => {
  const guardRail = { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sts:AssumeRole', Condition: { StringNotEquals: { 'sts:RoleSessionName': 'pods-reader' } } };
  assert.deepEqual(checkTrust(trust(allow(), guardRail), 'pods-reader'), { kind: 'pinned' });
  const withOther = { ...guardRail, Condition: { ...guardRail.Condition, Bool: { 'aws:MultiFactorAuthPresent': 'true' } } };
  assert.equal(checkTrust(trust(allow(), withOther), 'pods-reader').kind, 'unpinned', 'a guard rail under another condition may not apply');
  const wide = { ...guardRail, Condition: { StringNotEquals: { 'sts:RoleSessionName': ['pods-reader', 'operator'] } } };
  const verdict = checkTrust(trust(allow(), wide), 'pods-reader');
  assert.deepEqual(verdict.kind === 'unpinned' && verdict.sessionNames, ['pods-reader', 'operator']);
});

test('the pinned policy keeps every statement and condition, and pins each open one to the binding role: it passes the check', () => {
  const original = trust(
    { Sid: 'Host', ...allow({ Condition: { StringLike: { 'sts:RoleSessionName': ['a', 'b'] }, StringEquals: { 'sts:ExternalId': 'x' } } }) },
    { Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: 'sts:AssumeRole' },
  );
  const fixed = pinnedTrustPolicy(original, 'pods-reader');
  assert.deepEqual(JSON.parse(fixed).Statement, [
    { Sid: 'Host', Effect: 'Allow', Principal: { AWS: HOST }, Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': 'x', 'sts:RoleSessionName': 'pods-reader' } } },
    { Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ]);
  assert.deepEqual(checkTrust(fixed, 'pods-reader'), { kind: 'pinned' });
  const unpinned = checkTrust(trust(allow()), 'pods-reader');
  assert.deepEqual(unpinned.kind === 'unpinned' && JSON.parse(unpinned.pinnedPolicy).Statement[0].Condition, { StringEquals: { 'sts:RoleSessionName': 'pods-reader' } });
  const single = JSON.parse(pinnedTrustPolicy(JSON.stringify({ Version: '2012-10-17', Statement: allow() }), 'r'));
  assert.deepEqual(single.Statement.Condition, { StringEquals: { 'sts:RoleSessionName': 'r' } }, 'a single statement object stays one');
});
