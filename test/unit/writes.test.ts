// The write path's pure parts: what a question shows (unseen characters written out), the names and versions a
// request path is built from, who owns which field, the checks that refuse a patch before any request, a manual
// run's name, the large scale-up question, and what a 409 tells the agent to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { escapeUnseen, questionTooLarge, visible } from '../../src/question.ts';
import { nameProblem, parseApiVersion } from '../../src/kube/names.ts';
import { applyConflicts, fieldPaths, ownershipChanges, sharedFields } from '../../src/kube/field-managers.ts';
import { KubeApiError } from '../../src/kube/errors.ts';
import { runCall } from '../../src/policy/gate.ts';
import { apiErrorMessage } from '../../src/policy/api-errors.ts';
import { defineTool, type ToolContext } from '../../src/tool.ts';
import { fixed } from '../../src/rbac/needs.ts';
import { checkPatch } from '../../tools/patch.ts';
import { parseManifest } from '../../tools/apply.ts';
import { manualJobName } from '../../tools/cronjobs.ts';
import { scaleQuestion } from '../../tools/deployments.ts';
import { aliasBomb } from '../hostile-inputs.ts';
import { MAX_BODY_BYTES, serialised } from '../../tools/writes.ts';


test('unseen characters are written out in questions; line feeds stay lines; exec argv is quoted with the same function', () => {
  const spoof = 'rm -rf /data/* #\u202E\u2066gol/pmt/ ohce\u2069\u200B\u0007\u00A0\uFEFF';
  const shown = escapeUnseen(`command:\n- ${spoof}\n`);
  for (const hidden of ['\u202E', '\u2066', '\u2069', '\u200B', '\u0007', '\u00A0', '\uFEFF']) assert.ok(!shown.includes(hidden), `U+${hidden.codePointAt(0)!.toString(16)} shown raw`);
  assert.match(shown, /#\\u\{202E\}\\u\{2066\}gol\/pmt\/ ohce\\u\{2069\}\\u\{200B\}\\u\{0007\}\\u\{00A0\}\\u\{FEFF\}\n$/);
  assert.equal(shown.split('\n').length, 3, 'the lines of a diff stay lines');
  assert.equal(escapeUnseen('café, 東京, ✓'), 'café, 東京, ✓', 'what a reader sees is left as it is');
  assert.equal(visible('a\nb\u202E'), '"a\\nb\\u{202E}"', 'one argument: quoted, nothing unseen');
  assert.equal(questionTooLarge('x'.repeat(15_000)), false);
  assert.equal(questionTooLarge('é'.repeat(9_000)), true, 'measured in the bytes the client carries back');
});

test('the gate escapes every question once, and refuses one too large to show whole', async () => {
  const tool = (question: string) => defineTool({
    name: 'writer', title: 'w', description: 'w', input: {}, output: {}, needs: fixed(), asksUser: true,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    plan: () => ({ question: () => question, run: async () => ({ text: 'done', structured: {} }) }),
  });
  const call = (question: string) => {
    const parsed = tool(question).arguments({}).parse({});
    assert.ok(parsed.success);
    return [tool(question), parsed.call] as const;
  };
  const hooks = { log: pino({ level: 'silent' }), audit: () => undefined, answer: () => ({ kind: 'unasked' }) as const, canAsk: true, confirmByArgument: false };
  const ctx = {} as ToolContext;
  const asked = await runCall(...call('Apply?\n-  command: ["echo \u202Eevil"]\n'), ctx, hooks);
  assert.deepEqual(asked, { kind: 'ask', question: 'Apply?\n-  command: ["echo \\u{202E}evil"]\n' });
  const huge = await runCall(...call(`Apply?\n${'+ x\n'.repeat(5000)}`), ctx, hooks);
  assert.equal(huge.kind, 'result');
  assert.match(huge.kind === 'result' ? huge.result.text : '', /too large to show the user whole in one question.*Nothing was done\./);
});

test('names and versions: one path segment, DNS-1123 where the kind requires it, and only GROUP/VERSION spellings', () => {
  const configmaps = { group: '', resource: 'configmaps' };
  for (const bad of ['..', '.', 'x/status', 'a%2Fb', '', 'Upper', 'x'.repeat(254), 'under_score']) assert.ok(nameProblem(configmaps, bad), bad);
  assert.equal(nameProblem(configmaps, 'web-config.v2'), undefined);
  assert.ok(nameProblem({ group: '', resource: 'services' }, 'a.b'), 'a Service name is a DNS-1123 label');
  assert.ok(nameProblem({ group: '', resource: 'namespaces' }, 'x'.repeat(64)));
  assert.equal(nameProblem({ group: 'rbac.authorization.k8s.io', resource: 'clusterroles' }, 'system:controller:x'), undefined, 'RBAC names are path segments');
  assert.ok(nameProblem({ group: 'rbac.authorization.k8s.io', resource: 'roles' }, 'a/b'));
  assert.deepEqual(parseApiVersion('apps/v1'), { group: 'apps', version: 'v1' });
  assert.deepEqual(parseApiVersion('v1'), { group: '', version: 'v1' });
  assert.deepEqual(parseApiVersion('example.com/v1beta2'), { group: 'example.com', version: 'v1beta2' });
  for (const bad of ['/..', 'v1?', '../v1', 'apps/v1/x', 'apps/', 'v1#', 'apps/v1?watch=1', 'Apps/v1', 'v0']) assert.ok('problem' in parseApiVersion(bad), bad);
});

test('a YAML alias is refused before anything is built from it: the review\'s 7- and 8-level bombs', async () => {
  for (const levels of [7, 8]) {
    const bomb = aliasBomb(levels);
    assert.ok(bomb.length < 520, `${bomb.length} bytes`);
    await assert.rejects(parseManifest(bomb), /uses a YAML alias \(\*name\): aliases are not accepted.*Nothing was sent\./s);
  }
  await assert.rejects(parseManifest('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: &x one, y: *x}\n'), /YAML alias/, 'one alias is refused too');
  const anchored = await parseManifest('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: &x one}\n');
  assert.equal((anchored[0] as { data: { x: string } }).data.x, 'one', 'an anchor without an alias expands nothing');
});

const managed = [
  { manager: 'helm', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"main"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } } } },
  { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': { 'f:replicas': {} } } },
];

test('field ownership: the paths of a fieldsV1 set, what a write takes and from whom, and what two managers share', () => {
  assert.deepEqual(fieldPaths(managed[0]!.fieldsV1), ['.spec.replicas', '.spec.template.spec.containers[name="main"]',
    '.spec.template.spec.containers[name="main"].image', '.spec.template.spec.containers[name="main"].name']);
  assert.deepEqual(fieldPaths({ 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { 'f:port': {} } }, 'f:finalizers': { 'v:"a"': {} }, 'f:args': { 'i:0': {} } }),
    ['.ports[containerPort=80,protocol="TCP"].port', '.finalizers[="a"]', '.args[0]']);
  const after = [{ ...managed[0]!, fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"main"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } } } }, managed[1]!,
    { manager: 'eks-rbac-mcp', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];
  assert.deepEqual(ownershipChanges(managed, after, 'eks-rbac-mcp'), [{ manager: 'helm', operation: 'Apply', subresource: undefined, fields: ['.spec.replicas'] }]);
  assert.deepEqual(sharedFields(managed, after[2], 'eks-rbac-mcp'), [{ manager: 'helm', operation: 'Apply', subresource: undefined, fields: ['.spec.replicas'] }]);
});

test('the conflicts of a 409, grouped by manager, with the manager\'s operation from the live object', () => {
  const error = new KubeApiError(409, 'Conflict', 'Apply failed with 2 conflicts', { causes: [
    { reason: 'FieldManagerConflict', message: 'conflict with "helm" using apps/v1', field: '.spec.replicas' },
    { reason: 'FieldManagerConflict', message: 'conflict with "kube-controller-manager" with subresource "scale" using apps/v1', field: '.spec.replicas' },
    { reason: 'FieldManagerConflict', message: 'conflict with "helm" using apps/v1', field: '.spec.template.spec.containers[name="main"].image' },
  ] });
  assert.deepEqual(applyConflicts(error, managed), [
    { manager: 'helm', operation: 'Apply', fields: ['.spec.replicas', '.spec.template.spec.containers[name="main"].image'] },
    { manager: 'kube-controller-manager', subresource: 'scale', operation: undefined, fields: ['.spec.replicas'] },
  ]);
  assert.deepEqual(applyConflicts(new KubeApiError(409, 'AlreadyExists', 'exists'), managed), []);
});

test('every 409 says which conflict it is and what to do; none tells the agent to retry the same call', () => {
  const answers = [
    apiErrorMessage('cronjobs_trigger', 'team-a', new KubeApiError(409, 'AlreadyExists', 'jobs.batch "n" already exists', { name: 'n', kind: 'jobs' })),
    apiErrorMessage('resources_apply', 'team-a', new KubeApiError(409, 'Conflict', 'Apply failed with 1 conflict', { causes: [{ reason: 'FieldManagerConflict', field: '.spec.replicas' }] })),
    apiErrorMessage('rollout_undo', 'team-a', new KubeApiError(409, 'Conflict', 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again')),
    apiErrorMessage('resources_patch', 'team-a', new KubeApiError(409, 'Conflict', 'something else')),
  ];
  assert.match(answers[0]!, /jobs n already exists \(AlreadyExists\), so the same call cannot succeed: give another name, or leave jobName out for a unique one/);
  assert.match(answers[1]!, /a field-manager conflict.*"force": true takes them over after the user's yes/);
  assert.match(answers[2]!, /a stale resourceVersion\); nothing was written\. Read it again, then make the call again/);
  assert.match(answers[3]!, /The same call will not succeed unchanged/);
  for (const answer of answers) assert.doesNotMatch(answer.split('\n')[1]!, /\bretry\b/i);
});

test('a patch is refused before any request when it is not valid JSON for its type, too large, or changes which object it names', () => {
  const deployments = { group: 'apps', resource: 'deployments' };
  const target = { name: 'web', namespace: 'team-a' };
  const refused = (patch: string, type: 'merge' | 'strategic' | 'json', kind = deployments) => assert.throws(() => checkPatch({ ...target, patch, type }, kind), /Nothing was sent\./, patch.slice(0, 60));
  refused('{"spec":', 'merge');
  refused('[{"op":"replace","path":"/spec/replicas","value":2}]', 'merge');
  refused('{"op":"replace"}', 'json');
  refused('[{"op":"frobnicate","path":"/spec"}]', 'json');
  refused('[{"op":"replace","path":"/spec/replicas"}]', 'json');
  refused(JSON.stringify({ data: { x: 'y'.repeat(130 * 1024) } }), 'merge');
  for (const path of ['/metadata/name', '/metadata/namespace', '/metadata', '']) refused(JSON.stringify([{ op: 'replace', path, value: 'x' }]), 'json');
  refused('[{"op":"move","from":"/metadata/name","path":"/metadata/labels/x"}]', 'json');
  refused('{"metadata":{"name":"other"}}', 'merge');
  refused('{"metadata":{"namespace":"team-b"}}', 'strategic');
  refused('{"metadata":null}', 'merge');
  refused('{"$patch":"replace","spec":{}}', 'strategic');
  refused('{"spec":{"color":"red"}}', 'strategic', { group: 'example.com', resource: 'widgets' });
  refused('{"spec":{"color":"red"}}', 'strategic', { group: 'gateway.networking.k8s.io', resource: 'httproutes' });
  refused('[{"op":"test","path":"/data/password","value":"Z3Vlc3M="}]', 'json', { group: '', resource: 'secrets' });
  refused('[{"op":"copy","from":"/data/password","path":"/metadata/labels/x"}]', 'json', { group: '', resource: 'secrets' });
  assert.deepEqual(checkPatch({ ...target, patch: '{"metadata":{"name":"web","labels":{"a":"b"}}}', type: 'strategic' }, deployments), { metadata: { name: 'web', labels: { a: 'b' } } });
  assert.equal((checkPatch({ ...target, patch: '[{"op":"test","path":"/metadata/name","value":"web"},{"op":"add","path":"/metadata/labels/a","value":"b"}]', type: 'json' }, deployments) as unknown[]).length, 2);
  assert.ok(checkPatch({ ...target, patch: '{"spec":{"color":"red"}}', type: 'merge' }, { group: 'example.com', resource: 'widgets' }));
});

test('a manual run\'s default name: NAME-manual-xxxxx, a random suffix as Kubernetes makes them, within 63 characters', () => {
  assert.equal(manualJobName('nightly-report', () => 0), 'nightly-report-manual-bbbbb');
  const long = manualJobName('x'.repeat(52));
  assert.equal(long.length, 63);
  assert.match(long, /^x{50}-manual-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  const names = new Set(Array.from({ length: 50 }, () => manualJobName('nightly-report')));
  assert.ok(names.size > 45, 'two runs in a row get two names');
});

test('a scale-up above 10 replicas and more than twice the count asks first; so does 0; nothing else does', () => {
  assert.match(scaleQuestion('team-a/web', undefined, 0)!, /to 0, stopping all its pods/);
  assert.equal(scaleQuestion('team-a/web', undefined, 10), undefined);
  assert.equal(scaleQuestion('team-a/web', 6, 12), undefined, 'twice the count is routine');
  assert.equal(scaleQuestion('team-a/web', 50, 80), undefined);
  assert.equal(scaleQuestion('team-a/web', 3, 1000), 'Scale deployment team-a/web up from 3 to 1000 replicas (above 10 and more than twice as many)?');
  assert.match(scaleQuestion('team-a/web', 5, 11)!, /from 5 to 11/);
});

test('a request body is serialised once and refused over 256 KiB, before it is sent', () => {
  const fits = { data: { a: 'x'.repeat(200 * 1024) } };
  assert.equal(serialised(fits, 'ConfigMap/a'), JSON.stringify(fits));
  assert.throws(() => serialised({ data: { a: 'x'.repeat(MAX_BODY_BYTES) } }, 'ConfigMap/a'), /^ToolError: ConfigMap\/a serialises to 257 KiB, over the 256 KiB one request may carry: make the change in smaller parts\. Nothing was sent\.$/);
});
