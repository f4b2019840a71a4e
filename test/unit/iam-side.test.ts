// The IAM side as the start sees it (src/aws/iam-side.ts, src/aws/iam-reader.ts): what was read is judged, what could
// not be read is "not checked" with the reason and, when IAM refused, the read-only policy the host lacks. The reader's
// deadline against a real socket that never answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { loadConfig, type EksConfig } from '../../src/config.ts';
import { checkIamSide, judgeIamSide, notCheckedAdvice, trustWarning, type IamSide } from '../../src/aws/iam-side.ts';
import { decodeDocument, readRoleIam, type IamRead } from '../../src/aws/iam-reader.ts';
import { hostReadPolicy } from '../../src/aws/iam-documents.ts';
import { waitFor } from '../wait.ts';

const ROLE = 'arn:aws:iam::111122223333:role/agent';
const config = loadConfig({ clusterName: 'prod', region: 'us-east-1', roleArn: ROLE, bindingRole: 'pods-reader', namespaces: 'team-a' }, {}) as EksConfig;
const doc = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const pinnedTrust = doc([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/host' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:RoleSessionName': 'pods-reader' } } }]);
const read = (policies: Array<[string, object[]]>, trust = pinnedTrust, boundary?: object[]): IamRead => ({
  kind: 'read', requests: 4,
  role: {
    trustPolicy: trust,
    policies: policies.map(([name, statements]) => ({ source: { kind: 'inline', name }, document: doc(statements) })),
    ...(boundary ? { boundary: { source: { kind: 'boundary', name: 'arn:aws:iam::111122223333:policy/b' }, document: doc(boundary) } } : {}),
  },
});
const credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });

test('what was read is judged: findings, the trust verdict, and what was read', () => {
  const side = judgeIamSide(read([['describe', [{ Effect: 'Allow', Action: 'eks:DescribeCluster', Resource: '*' }]], ['access', [{ Effect: 'Allow', Action: 'eks:*', Resource: '*' }]]],
    pinnedTrust, [{ Effect: 'Allow', Action: '*', Resource: '*' }]), { ...config, roleArn: ROLE });
  assert.equal(side.kind, 'checked');
  assert.deepEqual(side.kind === 'checked' && [side.findings.map((f) => f.id), side.trust, side.read, side.requests],
    [['iam-eks-access'], { kind: 'pinned' }, ['inline policy describe', 'inline policy access', 'permissions boundary arn:aws:iam::111122223333:policy/b'], 4]);
});

test('never a guess: a refused read, an unreachable IAM, a document that is not a policy are each "not checked", with why', () => {
  const denied = judgeIamSide({ kind: 'unread', requests: 3, failures: ['iam:GetRole: AccessDenied: not authorized to perform: iam:GetRole', 'iam:GetRole: AccessDenied: not authorized to perform: iam:GetRole'] }, { ...config, roleArn: ROLE });
  assert.deepEqual(denied, { kind: 'not-checked', roleArn: ROLE, denied: true, why: 'the agent host may not read the role: iam:GetRole: AccessDenied: not authorized to perform: iam:GetRole', requests: 3 });
  const advice = notCheckedAdvice(denied as Extract<IamSide, { kind: 'not-checked' }>);
  assert.match(advice.message, /^IAM side not checked: the agent host may not read the role: .*\. Grant the agent host this read-only policy/);
  assert.deepEqual(advice.policy, hostReadPolicy(ROLE));
  const unreachable = judgeIamSide({ kind: 'unread', requests: 1, failures: ['iam:GetRole: IAM did not answer within 5 s'] }, { ...config, roleArn: ROLE });
  assert.deepEqual(notCheckedAdvice(unreachable as Extract<IamSide, { kind: 'not-checked' }>), { message: 'IAM side not checked: IAM could not be read: iam:GetRole: IAM did not answer within 5 s' },
    'no policy to grant: permissions would not help');
  const garbled = judgeIamSide(read([['broken', []]], '{not json'), { ...config, roleArn: ROLE });
  assert.match(garbled.kind === 'not-checked' ? garbled.why : '', /^trust policy of arn:aws:iam::111122223333:role\/agent cannot be read as an IAM policy/);
  const bad = judgeIamSide({ kind: 'read', requests: 5, role: { trustPolicy: pinnedTrust, policies: [{ source: { kind: 'managed', name: 'arn:aws:iam::aws:policy/X' }, document: '[' }] } },
    { ...config, roleArn: ROLE });
  assert.match(bad.kind === 'not-checked' ? bad.why : '', /^managed policy arn:aws:iam::aws:policy\/X cannot be read as an IAM policy/);
});

test('without --role-arn there is no assumed role to read; a reader that throws is "not checked" too', async () => {
  const own = loadConfig({ clusterName: 'prod', region: 'us-east-1', namespaces: 'team-a' }, {}) as EksConfig;
  let asked = false;
  const side = await checkIamSide(own, credentials, undefined, async () => { asked = true; return read([]); });
  assert.deepEqual(side, { kind: 'not-checked', why: 'no --role-arn: the connection uses the host\'s own credentials, and the guard reads an assumed role only', requests: 0 });
  assert.equal(asked, false);
  assert.deepEqual(notCheckedAdvice(side as Extract<IamSide, { kind: 'not-checked' }>), { message: `IAM side not checked: ${side.kind === 'not-checked' ? side.why : ''}` });
  const failing = await checkIamSide(config, credentials, undefined, async () => { throw new Error('no credentials'); });
  assert.deepEqual(failing, { kind: 'not-checked', roleArn: ROLE, why: 'reading the role failed: no credentials', requests: 0 });
});

test('the trust warning names who may assume the role as what, why it matters, and that several binding roles are legitimate', () => {
  const side = judgeIamSide(read([], doc([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:user/host' }, Action: 'sts:AssumeRole',
    Condition: { StringLike: { 'sts:RoleSessionName': ['pods-reader', 'operator'] } } }])), { ...config, roleArn: ROLE });
  assert.ok(side.kind === 'checked' && side.trust.kind === 'unpinned');
  assert.equal(trustWarning(side.trust, 'pods-reader'), 'the role\'s trust policy does not pin sts:RoleSessionName to "pods-reader": arn:aws:iam::111122223333:user/host '
    + 'may assume it as the session names pods-reader, operator, and the access entry turns the session name into the Kubernetes user, so whoever holds '
    + 'the host\'s credentials can become any of those users, with that user\'s RBAC role. One role serving several binding roles is a legitimate setup, '
    + 'at that cost. The trust policy pinned to this binding role:');
});

test('IAM documents arrive URL-encoded; a document already decoded is kept as it is', () => {
  assert.equal(decodeDocument('%7B%22Version%22%3A%222012-10-17%22%7D'), '{"Version":"2012-10-17"}');
  assert.equal(decodeDocument('{"Sid":"100%"}'), '{"Sid":"100%"}');
});

test('the reads end at their deadline when IAM accepts the connection and never answers: not checked, the start goes on', async (t) => {
  const sockets = new Set<Socket>();
  let requests = 0;
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => { requests += 1; });
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => { for (const s of sockets) s.destroy(); silent.close(); });
  const { port } = silent.address() as { port: number };
  const before = process.env['AWS_ENDPOINT_URL_IAM'];
  process.env['AWS_ENDPOINT_URL_IAM'] = `http://127.0.0.1:${port}`;
  t.after(() => { if (before === undefined) delete process.env['AWS_ENDPOINT_URL_IAM']; else process.env['AWS_ENDPOINT_URL_IAM'] = before; });
  const started = Date.now();
  const result = await readRoleIam({ roleArn: ROLE, region: 'us-east-1', credentials, deadlineMs: 300 });
  assert.equal(result.kind, 'unread');
  assert.deepEqual(result.kind === 'unread' && [...new Set(result.failures)], ['iam:GetRole: IAM did not answer within 0.3 s', 'iam:ListRolePolicies: IAM did not answer within 0.3 s',
    'iam:ListAttachedRolePolicies: IAM did not answer within 0.3 s']);
  assert.ok(Date.now() - started < 3_000, 'bounded by the deadline');
  assert.ok(sockets.size > 0, 'the request reached the endpoint AWS_ENDPOINT_URL_IAM names');
  const aborted = new AbortController();
  const seen = requests;
  const stopping = readRoleIam({ roleArn: ROLE, region: 'us-east-1', credentials, deadlineMs: 60_000, signal: aborted.signal });
  await waitFor('a read to reach IAM', () => (requests > seen ? true : undefined));
  aborted.abort();
  assert.equal((await stopping).kind, 'unread', 'a start that fails otherwise stops the reads at once');
});
