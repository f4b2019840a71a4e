// The Secrets rule for every tool that can touch a Secret: a value never leaves the process, and only a tool whose
// answer needs the data would read it (none does). Writes name the keys they set, never whether a stored value
// differs: an agent that may patch a Secret but not read it must not be able to test a guess, so every answer and
// question is the same for the stored value and for another. Secrets are made by the real clients.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { kubectl } from './cluster/cluster.ts';
import { auditMark, connectServer, eksArgs, gateCall, hostEnv, RecordingClient, requestsUpToMarker, useCluster, resultText, type Session } from './helpers.ts';
import { ApiResources } from '../src/kube/api-resources.ts';
import { discoverPermissions } from '../src/rbac/discovery.ts';
import { cataloguePermissions } from '../src/policy/offer.ts';
import { catalogue } from '../tools/index.ts';

const cluster = await useCluster();
const NS = 'team-a';
const STORED = `stored-value-${process.pid}`;
const GUESS = `guessed-value-${process.pid}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

const secret = (name: string, extra: Record<string, unknown> = {}, value = STORED) => JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, stringData: { password: value }, ...extra });
const MADE = {
  'sealed-ssa': ['apply', '--server-side', '-f', '-'],
  'sealed-csa': ['apply', '-f', '-'], // kubectl's last-applied annotation holds the value in clear
};

before(() => {
  for (const [name, args] of Object.entries(MADE)) kubectl(cluster, args, { input: secret(name) });
  kubectl(cluster, ['apply', '--server-side', '-f', '-'], { input: secret('sealed-immutable', { immutable: true }) });
});
after(() => kubectl(cluster, ['delete', 'secret', ...Object.keys(MADE), 'sealed-immutable', 'unread', 'unread-written', '-n', NS, '--ignore-not-found']));

const stored = (name: string) => Buffer.from(kubectl(cluster, ['get', 'secret', name, '-n', NS, '-o', 'jsonpath={.data.password}']), 'base64').toString();

describe('resources_apply and resources_patch on a Secret', () => {
  let session: Session & { questions: string[] };
  before(async () => {
    const questions: string[] = [];
    const s = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'wildcard'), '--accept-broad-role', 'test fixture'], hostEnv(cluster), {
      elicit: (message) => {
        questions.push(message);
        return { action: 'decline' };
      },
    });
    session = Object.assign(s, { questions });
  });
  after(() => session.close());

  /** Each call's answer and question (if one was asked), for a value. */
  async function answers(name: string, value: string): Promise<string[]> {
    const calls: Array<[string, Record<string, unknown>]> = [
      ['resources_apply', { manifest: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password: value } }) }],
      ['resources_apply', { manifest: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password: value } }), force: true }],
      ['resources_apply', { manifest: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: { password: b64(value) } }) }],
      ['resources_patch', { resource: 'secrets', name, type: 'merge', patch: JSON.stringify({ stringData: { password: value } }) }],
      ['resources_patch', { resource: 'secrets', name, type: 'json', patch: JSON.stringify([{ op: 'replace', path: '/data/password', value: b64(value) }]) }],
      ['resources_patch', { resource: 'secrets', name, patch: JSON.stringify({ data: { password: b64(value) } }) }],
    ];
    const out: string[] = [];
    for (const [tool, args] of calls) {
      const asked = session.questions.length;
      const result = await session.client.callTool({ name: tool, arguments: { namespace: NS, ...args } }) as CallToolResult;
      out.push(`${tool} ${JSON.stringify(args).replaceAll(value, '<v>').replaceAll(b64(value), '<b64>')}\n${session.questions.slice(asked).join('\n')}\n${resultText(result)}`);
    }
    return out;
  }

  for (const name of [...Object.keys(MADE), 'sealed-immutable']) {
    test(`${name}: every answer and question is the same for the stored value and for a guess, and names keys only`, async () => {
      const right = await answers(name, STORED);
      const wrong = await answers(name, GUESS);
      assert.deepEqual(right, wrong, 'nothing tells whether a guess is the stored value');
      const all = right.join('\n');
      if (name === 'sealed-immutable') assert.match(all, /secret\/sealed-immutable in team-a is immutable: its data cannot change/);
      else {
        assert.match(all, /sets stringData keys: password \(values are never shown\)/);
        assert.match(all, /sets data keys: password \(values are never shown\)/);
        assert.doesNotMatch(all, /redacted|bytes|changed/, 'no sizes, no marks of change');
      }
      assert.equal(stored(name), STORED, 'nothing was written');
      const everything = JSON.stringify([right, wrong]) + session.stderr();
      for (const v of [STORED, GUESS, b64(STORED), b64(GUESS)]) assert.ok(!everything.includes(v), `a value left the process: ${v}`);
    });
  }

  test('sealed-ssa: the field kubectl applied is named as held by it, whatever the values, and force asks with it listed', async () => {
    const all = (await answers('sealed-ssa', GUESS)).join('\n');
    assert.match(all, /fields that other managers hold \(for a Secret, every one is listed, whether or not its stored value differs, which is never shown\):\n {2}from "kubectl": \.stringData\.password/);
    assert.match(all, /Fields other managers hold too \(listed whatever the values: each is taken where its stored value differs and shared where it is the same, and which of the two is never shown\):\n {2}from "kubectl": \.stringData\.password/);
  });

  test('a JSON patch that would compare or carry a stored value is refused before any request', async () => {
    const mark = auditMark(cluster);
    for (const op of [{ op: 'test', path: '/data/password', value: b64(GUESS) }, { op: 'copy', from: '/data/password', path: '/metadata/annotations/x' }, { op: 'move', from: '/data/password', path: '/data/other' }]) {
      const result = await session.client.callTool({ name: 'resources_patch', arguments: { namespace: NS, resource: 'secrets', name: 'sealed-ssa', type: 'json', patch: JSON.stringify([op]) } }) as CallToolResult;
      assert.match(resultText(result), new RegExp(`operation 1 \\(${op.op}\\) is not accepted on a Secret: it would compare or carry a stored value\\. Use add, replace or remove\\. Nothing was sent\\.`));
    }
    const sent = await requestsUpToMarker(cluster, 'eks-agent:wildcard', mark, () => session.client.callTool({ name: 'whoami', arguments: {} }));
    assert.deepEqual(sent.filter((r) => r.resource === 'secrets'), []);
  });
});


test('no tool that can touch a Secret reads its data: every response body is recorded and searched for the value', async () => {
  // A value of its own: kubectl's client-side apply (sealed-csa above) copies its value into an annotation, which a list's
  // metadata carries into the process (and which is dropped there: the tests above check that it never leaves).
  const UNREAD = `unread-value-${process.pid}`;
  kubectl(cluster, ['apply', '--server-side', '-f', '-'], { input: secret('unread', {}, UNREAD) });
  kubectl(cluster, ['apply', '--server-side', '-f', '-'], { input: secret('unread-written', {}, UNREAD) });
  const adminAuth = { apply: async (o: { headers?: unknown }) => void (o.headers = { ...(o.headers as object), authorization: `Bearer ${cluster.adminToken}` }) };
  const kube = new RecordingClient(cluster.endpoint, readFileSync(cluster.caFile), adminAuth);
  const permissions = await discoverPermissions(kube, [NS], cataloguePermissions(catalogue));
  const ctx = { kube, permissions, apiResources: new ApiResources(kube), signal: new AbortController().signal, now: () => new Date() };
  const tool = (name: string) => catalogue.find((t) => t.name === name)!;
  const write = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { other: 'written-by-the-agent' } });
  const calls: Array<[string, Record<string, unknown>]> = [
    ['resources_list', { resource: 'secrets', namespace: NS, limit: 100 }],
    ['resources_get', { resource: 'secrets', namespace: NS, name: 'unread' }],
    ['resources_describe', { resource: 'secrets', namespace: NS, name: 'unread' }],
    ['resources_apply', { namespace: NS, manifest: write('unread') }], // the question only: not confirmed
    ['resources_patch', { resource: 'secrets', namespace: NS, name: 'unread', type: 'merge', patch: '{"stringData":{"other":"x"}}' }],
    ['resources_delete', { resource: 'secrets', namespace: NS, name: 'unread' }], // the dry run and the question
    ['resources_apply', { namespace: NS, manifest: write('unread-written'), confirm: true }], // written
    ['resources_patch', { resource: 'secrets', namespace: NS, name: 'unread-written', type: 'merge', patch: '{"stringData":{"more":"y"}}', confirm: true }],
  ];
  const first = kube.bodies.length;
  const answers: string[] = [];
  for (const [name, args] of calls) {
    const result = await gateCall(tool(name), { propagationPolicy: 'Background', force: false, ...args }, ctx, pino({ level: 'silent' }));
    answers.push(result.text);
  }
  assert.match(answers[2]!, /data: 1 keys \(values are never read\)/, 'describe: the number of keys, from the server\'s table');
  assert.match(answers[3]!, /sets stringData keys: other \(values are never shown\)/);
  assert.match(answers[6]!, /^applied: secret\/unread-written in team-a$/);
  assert.match(answers[7]!, /^patched secret\/unread-written in team-a$/);
  const read = kube.bodies.slice(first).join('\n');
  for (const value of [UNREAD, b64(UNREAD)]) assert.ok(!read.includes(value), `the stored value entered the process (${value})`);
  assert.equal(stored('unread-written'), UNREAD, 'the writes kept the stored key');
  // The recorder sees values when they are asked for: the check above can fail.
  await kube.json({ path: `/api/v1/namespaces/${NS}/secrets/unread` });
  assert.ok(kube.bodies.at(-1)!.includes(b64(UNREAD)));
});
