// IAM policy semantics on their own (src/aws/iam-policy.ts): patterns, and whether a role's policies and boundary
// grant an action on some resource of a set. Patterns are also checked against a regular expression built the way IAM
// documents its wildcards, on generated strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { contains, grantsOf, intersects, parsePattern, parsePolicy, PolicyDocumentError, type RolePolicies, type Statement } from '../../src/aws/iam-policy.ts';

const p = (text: string) => parsePattern(text);
const policy = (name: string, statements: object[], version = '2012-10-17') => parsePolicy({ kind: 'inline', name }, JSON.stringify({ Version: version, Statement: statements }));
const boundary = (statements: object[]) => parsePolicy({ kind: 'boundary', name: 'arn:aws:iam::1:policy/b' }, JSON.stringify({ Version: '2012-10-17', Statement: statements }));
const granted = (role: RolePolicies, action: string, resource: string) => grantsOf(role, { action, resource }).map((g) => g.statement.label);
const identity = (...statements: object[]): RolePolicies => ({ identity: policy('p', statements) });

/** IAM's wildcards as a regular expression over a concrete string: `*` any run, `?` one character. */
const regex = (pattern: string) => new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 's');

test('a pattern against a concrete string matches as IAM\'s wildcards say, both ways round', () => {
  const alphabet = fc.constantFrom('a', 'b', ':', '/', '*', '?');
  const concrete = fc.stringMatching(/^[ab:/]{0,6}$/);
  fc.assert(fc.property(fc.array(alphabet, { maxLength: 6 }).map((a) => a.join('')), concrete, (pattern, text) => {
    const expected = regex(pattern).test(text);
    assert.equal(intersects(p(pattern), p(text)), expected, `intersects(${pattern}, ${text})`);
    assert.equal(contains(p(pattern), p(text)), expected, `contains(${pattern}, ${text})`);
  }), { numRuns: 2000 });
});

test('two patterns intersect when some string matches both', () => {
  assert.equal(intersects(p('arn:aws:eks:*:*:cluster/*'), p('arn:aws:eks:us-east-1:1:cluster/prod')), true);
  assert.equal(intersects(p('arn:aws:eks:*:*:cluster/dev-*'), p('arn:aws:eks:us-east-1:1:cluster/prod')), false);
  assert.equal(intersects(p('arn:aws:iam::1:role/a*'), p('arn:aws:iam::*:role/*b')), true, 'role/ab');
  assert.equal(intersects(p('a?c'), p('*b*')), true, 'abc');
  assert.equal(intersects(p('a?c'), p('a??c')), false, 'lengths differ');
  assert.equal(intersects(p('x*'), p('*y'), p('*z*')), true, 'three at once: xzy');
  assert.equal(intersects(p('x*'), p('*y'), p('w*')), false);
});

test('in the guard\'s own questions `*` is one ARN field: it never reads a colon, so `audit-*` is not "any role" of some account', () => {
  const anyRole = parsePattern('arn:aws:iam::*:role/*', { segments: true });
  assert.equal(intersects(p('arn:aws:iam::444455556666:role/*'), anyRole), true);
  assert.equal(intersects(p('arn:aws:iam::*:role/audit-*'), parsePattern('arn:aws:iam::*:role/\u{E000}', { segments: true })), false);
  assert.equal(intersects(p('arn:aws:iam::*:role/audit-*'), p('arn:aws:iam::*:role/\u{E000}')), true, 'a policy\'s * crosses fields: arn:aws:iam::x:role/audit-:role/…');
  assert.equal(contains(p('arn:aws:iam::*'), anyRole), true);
  assert.equal(contains(p('arn:aws:iam::?:role/*'), anyRole), false);
});

test('containment is sound: whatever `inner` matches, `outer` matches too', () => {
  const alphabet = fc.constantFrom('a', 'b', '*', '?');
  const pattern = fc.array(alphabet, { maxLength: 5 }).map((a) => a.join(''));
  const fill = fc.array(fc.stringMatching(/^[ab]{0,3}$/), { minLength: 5, maxLength: 5 });
  fc.assert(fc.property(pattern, pattern, fill, (outer, inner, fills) => {
    if (!contains(p(outer), p(inner))) return;
    let i = 0;
    const instance = inner.replace(/[*?]/g, (c) => (c === '?' ? 'a' : fills[i++ % fills.length]!));
    assert.ok(regex(outer).test(instance), `${outer} ⊇ ${inner}, yet misses ${instance}`);
  }), { numRuns: 3000 });
  assert.equal(contains(p('*'), p('arn:aws:iam::*:role/*')), true);
  assert.equal(contains(p('arn:aws:iam::*:role/*'), p('arn:aws:iam::1:role/x*')), true);
  assert.equal(contains(p('arn:aws:iam::1:role/*'), p('arn:aws:iam::*:role/x')), false, 'another account\'s roles are not covered');
  assert.equal(contains(p('a?'), p('a*')), false);
});

test('policy variables hold any value, so they widen an Allow and never complete a Deny; ${*} ${?} ${$} are literal; 2008-10-17 has no variables', () => {
  const variable = parsePattern('arn:aws:s3:::home/${aws:username}/*', { variables: true });
  assert.equal(intersects(variable, p('arn:aws:s3:::home/alice/notes')), true);
  assert.equal(contains(variable, p('arn:aws:s3:::home/alice/notes')), false);
  assert.equal(contains(parsePattern('a${*}b', { variables: true }), p('a*b')), false, '${*} is the character *, not a wildcard');
  assert.equal(intersects(parsePattern('a${*}b', { variables: true }), p('axb')), false);
  assert.equal(intersects(parsePattern('a${?}${$}', { variables: true }), p('a?$')), true);
  const old = policy('old', [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${aws:username}' }], '2008-10-17');
  assert.deepEqual(grantsOf({ identity: old }, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/alice' }), [], 'literal text in 2008-10-17');
});

test('actions: case-insensitive, * and ? wildcards, NotAction', () => {
  const role = identity(
    { Sid: 'Exact', Effect: 'Allow', Action: 'EKS:associateaccesspolicy', Resource: '*' },
    { Sid: 'Wild', Effect: 'Allow', Action: ['iam:Put*', 'sts:Assume?ole'], Resource: '*' },
    { Sid: 'AllButIam', Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::bucket/*' },
  );
  const entry = 'arn:aws:eks:us-east-1:1:access-entry/prod/role/1/ci/0';
  assert.deepEqual(granted(role, 'eks:AssociateAccessPolicy', entry), ['Exact']);
  assert.deepEqual(granted(role, 'iam:PutRolePolicy', 'arn:aws:iam::1:role/x'), ['Wild']);
  assert.deepEqual(granted(role, 'sts:AssumeRole', 'arn:aws:iam::1:role/x'), ['Wild']);
  assert.deepEqual(granted(role, 'sts:AssumeRoleWithSAML', 'arn:aws:iam::1:role/x'), []);
  assert.deepEqual(granted(role, 's3:GetObject', 'arn:aws:s3:::bucket/key'), ['AllButIam']);
  assert.deepEqual(granted(role, 'iam:GetRole', 'arn:aws:s3:::bucket/key'), [], 'NotAction excludes it');
});

test('resources: an Allow grants the question when its resources meet the set asked about; NotResource grants what it does not exclude', () => {
  const role = identity(
    { Sid: 'OneCluster', Effect: 'Allow', Action: 'eks:*', Resource: 'arn:aws:eks:us-east-1:1:cluster/prod' },
    { Sid: 'NotProd', Effect: 'Allow', Action: 'eks:*', NotResource: 'arn:aws:eks:*:*:cluster/prod' },
  );
  assert.deepEqual(granted(role, 'eks:UpdateClusterConfig', 'arn:aws:eks:us-east-1:1:cluster/prod'), ['OneCluster']);
  assert.deepEqual(granted(role, 'eks:UpdateClusterConfig', 'arn:aws:eks:us-east-1:1:cluster/dev'), ['NotProd']);
  assert.deepEqual(granted(role, 'eks:UpdateClusterConfig', 'arn:aws:eks:*:1:cluster/*'), ['OneCluster', 'NotProd'], 'some cluster of the account');
});

test('an explicit Deny wins over every Allow, when it covers the whole set asked about or all that the Allow grants', () => {
  const allowAll = { Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' };
  assert.deepEqual(granted(identity(allowAll, { Effect: 'Deny', Action: 'eks:*', Resource: '*' }), 'eks:CreateAccessEntry', 'arn:aws:eks:us-east-1:1:cluster/prod'), []);
  assert.deepEqual(granted(identity(allowAll, { Effect: 'Deny', NotAction: 'eks:Describe*', Resource: '*' }), 'eks:CreateAccessEntry', 'arn:aws:eks:us-east-1:1:cluster/prod'), [],
    'a Deny of everything but reads');
  assert.deepEqual(granted(identity(allowAll, { Effect: 'Deny', Action: 'eks:*', NotResource: 'arn:aws:eks:*:*:cluster/dev' }), 'eks:CreateAccessEntry',
    'arn:aws:eks:us-east-1:1:cluster/prod'), [], 'NotResource in a Deny: everything but dev is denied');
  assert.deepEqual(granted(identity(allowAll, { Effect: 'Deny', Action: 'eks:*', Resource: 'arn:aws:eks:*:*:cluster/dev' }), 'eks:CreateAccessEntry',
    'arn:aws:eks:us-east-1:1:cluster/prod'), ['All'], 'a Deny elsewhere cuts nothing here');
  const entries = 'arn:aws:eks:us-east-1:1:access-entry/prod/*';
  const mine = { Sid: 'Mine', Effect: 'Allow', Action: 'eks:AssociateAccessPolicy', Resource: 'arn:aws:eks:us-east-1:1:access-entry/prod/role/1/ci/*' };
  assert.deepEqual(granted(identity(mine, { Effect: 'Deny', Action: 'eks:*', Resource: 'arn:aws:eks:*:*:access-entry/prod/role/*' }), 'eks:AssociateAccessPolicy', entries), [],
    'the Deny covers all the Allow grants, though not every entry asked about');
  assert.deepEqual(granted(identity(mine, { Effect: 'Deny', Action: 'eks:*', Resource: 'arn:aws:eks:*:*:access-entry/prod/user/*' }), 'eks:AssociateAccessPolicy', entries), ['Mine']);
});

test('conditions: a conditional Allow still grants (IAM Access Analyzer: access "might" be allowed); a conditional Deny may not apply, so cuts nothing', () => {
  const conditional = identity(
    { Sid: 'FromTheOffice', Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' }, StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } },
  );
  const [grant] = grantsOf(conditional, { action: 'iam:PassRole', resource: 'arn:aws:iam::1:role/admin' });
  assert.deepEqual(grant?.conditionKeys, ['aws:SourceIp', 'iam:PassedToService']);
  const denyUnlessMfa = identity({ Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' },
    { Effect: 'Deny', Action: '*', Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } });
  assert.deepEqual(granted(denyUnlessMfa, 'iam:PutRolePolicy', 'arn:aws:iam::1:role/*'), ['All']);
});

test('a permissions boundary intersects: what it does not allow is not granted, whatever the policies allow; its Deny denies', () => {
  const admin = policy('admin', [{ Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' }]);
  const readEks = boundary([{ Sid: 'ReadEks', Effect: 'Allow', Action: ['eks:Describe*', 'eks:List*'], Resource: '*' }]);
  assert.deepEqual(granted({ identity: admin, boundary: readEks }, 'eks:AssociateAccessPolicy', 'arn:aws:eks:us-east-1:1:access-entry/prod/*'), []);
  const [through] = grantsOf({ identity: admin, boundary: readEks }, { action: 'eks:DescribeCluster', resource: 'arn:aws:eks:us-east-1:1:cluster/prod' });
  assert.equal(through?.boundary?.label, 'ReadEks');
  const devOnly = boundary([{ Sid: 'Dev', Effect: 'Allow', Action: 'eks:*', Resource: 'arn:aws:eks:*:*:cluster/dev' }]);
  const prodOnly = policy('prod', [{ Sid: 'Prod', Effect: 'Allow', Action: 'eks:*', Resource: 'arn:aws:eks:*:*:cluster/prod' }]);
  assert.deepEqual(granted({ identity: prodOnly, boundary: devOnly }, 'eks:UpdateClusterConfig', 'arn:aws:eks:us-east-1:1:cluster/*'), [],
    'each allows some cluster, no cluster both');
  const boundaryDeny = boundary([{ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 'iam:*', Resource: '*' }]);
  assert.deepEqual(granted({ identity: admin, boundary: boundaryDeny }, 'iam:PutRolePolicy', 'arn:aws:iam::1:role/*'), []);
  assert.deepEqual(granted({ identity: admin, boundary: boundaryDeny }, 'eks:CreateAccessEntry', 'arn:aws:eks:us-east-1:1:cluster/prod'), ['All']);
});

test('a document IAM would not hold is an error naming the policy, never a guess', () => {
  const bad = (text: string) => () => parsePolicy({ kind: 'managed', name: 'arn:aws:iam::1:policy/x' }, text);
  assert.throws(bad('{'), (e: Error) => e instanceof PolicyDocumentError && /managed policy arn:aws:iam::1:policy\/x cannot be read as an IAM policy/.test(e.message));
  assert.throws(bad('{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}'), /statement 1 has no Effect Allow or Deny/);
  assert.throws(bad('{"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}'), /Action must be a string or a list of strings/);
  const [one] = parsePolicy({ kind: 'inline', name: 'x' }, '{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}') as [Statement];
  assert.equal(one.label, '#1', 'a single statement object, no Sid');
});
