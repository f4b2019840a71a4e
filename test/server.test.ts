// The server end to end over real stdio (the built binary, spawned as a client would), on the EKS path:
// moto AssumeRole → our token → the authenticator → the RBAC user of the binding role.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { kubectl } from './cluster/cluster.ts';
import { auditLines, auditMark, connectHttp, connectServer, eksArgs, ERAS, hostEnv, readTable, requestsUpToMarker, startHttp, useCluster, resultText, type ClientOptions, type Session } from './helpers.ts';
import { goldenTools } from './golden.ts';

const cluster = await useCluster();

/** `broad`: the role trips the broad-grant guard, so the server runs with --accept-broad-role. */
interface Fixture { role: string; binding: string; user: string; samples?: Record<string, Record<string, unknown>>; broad?: true }
const ACCEPT_BROAD = ['--accept-broad-role', 'test fixture: a namespace admin, on purpose'];
const FIXTURES: Record<string, Fixture> = {
  'pods-reader': { role: 'eks-mcp-agent', binding: 'pods-reader', user: 'eks-agent:pods-reader' },
  operator: { role: 'eks-mcp-agent', binding: 'operator', user: 'eks-agent:operator' },
  'resource-names': {
    role: 'eks-mcp-agent', binding: 'named', user: 'eks-agent:named',
    samples: { resources_describe: { namespace: 'team-a', resource: 'configmaps', name: 'web-config' } },
  },
  wildcard: { role: 'eks-mcp-agent', binding: 'wildcard', user: 'eks-agent:wildcard', broad: true },
  'cluster-viewer': {
    role: 'eks-mcp-agent', binding: 'cluster-viewer', user: 'eks-agent:cluster-viewer',
    samples: { resources_describe: { resource: 'nodes', name: 'kwok-node-0' } },
  },
  'access-policy': { role: 'eks-mcp-viewer', binding: 'auditor', user: 'eks-viewer:auditor' },
  'aws-auth': { role: 'eks-mcp-legacy', binding: 'legacy-bot', user: 'legacy:legacy-bot' },
};

/** A user who says yes to every question: destructive tools are offered only to a client that can ask. */
const agreeable: ClientOptions = { elicit: () => ({ action: 'accept', content: { confirm: true } }) };

async function open(fixture: Fixture, extra: string[] = [], options: ClientOptions = agreeable): Promise<Session> {
  return connectServer([...eksArgs(cluster, fixture.role, fixture.binding), ...(fixture.broad ? ACCEPT_BROAD : []), ...extra], hostEnv(cluster), options);
}

async function call(session: Session, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await session.client.callTool({ name, arguments: args })) as CallToolResult;
}

/** This user's requests since the mark, read once a later whoami (the marker) is in the audit log. */
const settled = (session: Session, username: string, mark: number) => requestsUpToMarker(cluster, username, mark, () => call(session, 'whoami', {}));

function podOf(namespace: string, app: string): string {
  return kubectl(cluster, ['get', 'pods', '-n', namespace, '-l', `app=${app}`, '--field-selector', 'status.phase=Running', '-o', 'jsonpath={.items[0].metadata.name}']);
}

/** Arguments that exercise each tool on the fixtures of a namespace. */
function sampleArgs(tool: string, namespace: string): Record<string, unknown> | undefined {
  const a = namespace === 'team-a';
  const app = a ? 'api' : 'worker';
  const samples: Record<string, Record<string, unknown>> = {
    whoami: {},
    can_i: { verb: 'get', resource: 'pods', namespace },
    pods_list: { namespace },
    pods_get: { namespace, name: podOf(namespace, app) },
    pods_log: { namespace, name: podOf(namespace, app), tail: 5 },
    pods_exec: { namespace, name: podOf(namespace, app), command: ['echo', 'hello from', 'argv'] },
    events_list: { namespace },
    deployments_list: { namespace },
    deployments_get: { namespace, name: app },
    deployments_scale: { namespace, name: app, replicas: 1 },
    deployments_restart: { namespace, name: app },
    services_list: { namespace },
    services_get: { namespace, name: a ? 'web' : 'worker' },
    configmaps_list: { namespace },
    configmaps_get: { namespace, name: a ? 'web-config' : 'worker-config' },
    jobs_list: { namespace },
    jobs_get: { namespace, name: a ? 'migrate' : 'cleanup' },
    cronjobs_list: { namespace },
    cronjobs_get: { namespace, name: a ? 'nightly-report' : 'hourly-sync' },
    resources_list: { namespace, resource: 'replicasets.apps' },
    resources_get: { namespace, resource: 'deployments.apps', name: app },
    resources_describe: { namespace, resource: 'pods', name: podOf(namespace, app) },
    rollout_status: { namespace, kind: 'deployment', name: app },
    rollout_history: { namespace, kind: 'deployment', name: app },
    workload_logs: { namespace, kind: 'deployment', name: app, tail: 2 },
    cronjobs_trigger: { namespace, name: a ? 'nightly-report' : 'hourly-sync', confirm: true },
    // Applies only the name: owns no field, changes nothing (the writes themselves are in catalogue.test.ts).
    resources_apply: { namespace, manifest: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: app } }), confirm: true },
    // A label that nothing else sets: the patch changes it and nothing else.
    resources_patch: { namespace, resource: 'deployments.apps', name: app, type: 'merge', patch: '{"metadata":{"labels":{"patched-by-test":"yes"}}}', confirm: true },
    namespaces_list: {},
    nodes_list: {},
    pods_top: { namespace },
    nodes_top: {},
  };
  return samples[tool];
}

type ListedTool = Awaited<ReturnType<Session['client']['listTools']>>['tools'][number];

/** Calls each advertised tool (but the deletes and undo, tested on their own) with sample arguments; none may fail. */
/**
 * `overrides`: arguments merged into a tool's sample, for a second pass over the same cluster (a cron job's manual run
 * is named by the minute, so a second default-named run within that minute would exist already).
 */
async function callEveryTool(session: Session, fixture: Fixture, check: (tool: ListedTool, result: CallToolResult) => void,
  overrides: Record<string, Record<string, unknown>> = {}): Promise<void> {
  const { tools } = await session.client.listTools();
  for (const tool of tools) {
    if (['pods_delete', 'resources_delete', 'rollout_undo'].includes(tool.name)) continue; // exercised on their own
    const namespaces = (tool.inputSchema.properties?.['namespace'] as { enum?: string[] } | undefined)?.enum;
    const sample = fixture.samples?.[tool.name] ?? sampleArgs(tool.name, namespaces?.[0] ?? 'team-a');
    assert.ok(sample, `no sample arguments for ${tool.name}`);
    const args = { ...sample, ...overrides[tool.name] };
    const result = await call(session, tool.name, args);
    assert.ok(!result.isError, `${tool.name}: ${resultText(result)}`);
    check(tool, result);
  }
}

test('--structured-output: every tool advertises its output schema, and each result carries structured content that the SDK client validates against it', async () => {
  const fixture = FIXTURES['wildcard']!;
  const session = await open(fixture, ['--structured-output']);
  try {
    await callEveryTool(session, fixture, (tool, result) => {
      assert.equal(tool.outputSchema?.type, 'object', `${tool.name} advertises its output schema`);
      // client.callTool has checked the content against that schema: a mismatch throws before this line.
      assert.ok(result.structuredContent, `${tool.name} returns structured content`);
    }, { cronjobs_trigger: { jobName: 'structured-output-run' } });
    const pods = await call(session, 'pods_list', { namespace: 'team-a' });
    const page = pods.structuredContent as { columns: string[]; rows: unknown[][] };
    assert.deepEqual(page.columns, ['name', 'ready', 'status', 'restarts', 'age', 'node']);
    const read = readTable(resultText(pods));
    assert.deepEqual(read.rows.map((r) => r['NAME']), page.rows.map((r) => r[0]), 'the text and the structured copy hold the same rows');
  } finally {
    await session.close();
  }
});

for (const [fixtureName, fixture] of Object.entries(FIXTURES)) {
  describe(`role fixture: ${fixtureName}`, () => {
    let session: Session;
    before(async () => {
      session = await open(fixture);
    });
    after(() => session.close());

    test('advertises exactly the golden tools/list: each tool, its schemas with the namespaces it may use, its annotations', async () => {
      assert.deepEqual((await session.client.listTools()).tools, goldenTools(fixtureName));
    });

    test('both revisions, over stdio and over HTTP, see their golden tools/list', async () => {
      const legacy = await open(fixture, [], { ...agreeable, era: '2025-11-25' });
      try {
        assert.deepEqual((await legacy.client.listTools()).tools, goldenTools(fixtureName, '2025-11-25'), 'stdio, 2025-11-25');
      } finally {
        await legacy.close();
      }
      const server = await startHttp([...eksArgs(cluster, fixture.role, fixture.binding), ...(fixture.broad ? ACCEPT_BROAD : [])], { env: hostEnv(cluster) });
      try {
        for (const era of ERAS) {
          const http = await connectHttp(server.url, { ...agreeable, era });
          try {
            assert.deepEqual((await http.client.listTools()).tools, goldenTools(fixtureName, era), `HTTP, ${era}`);
          } finally {
            await http.close();
          }
        }
      } finally {
        await server.stop();
      }
    });

    test('every advertised tool works, answering in text only (no output schema, no structured copy)', async () => {
      await callEveryTool(session, fixture, (tool, result) => {
        assert.equal(tool.outputSchema, undefined, `${tool.name} advertises no output schema by default`);
        assert.equal(result.structuredContent, undefined, `${tool.name} returns the text alone by default`);
        assert.ok(resultText(result).length > 0, tool.name);
      });
    });
  });
}

describe('the read-only pods-and-logs role (pods-reader)', () => {
  const fixture = FIXTURES['pods-reader']!;
  let session: Session;
  before(async () => {
    session = await open(fixture);
  });
  after(() => session.close());

  test('whoami shows the RBAC user and groups, not the IAM role behind them; --show-iam-identity restores it', async () => {
    const result = await call(session, 'whoami', {});
    assert.equal(resultText(result), 'user: eks-agent:pods-reader\ngroups: system:authenticated');
    assert.doesNotMatch(JSON.stringify(result), /arn:aws|123456789012|eks-mcp-agent/);
    assert.match(session.stderr(), /"msg":"ready"/);
    const ready = session.stderr().split('\n').find((l) => l.includes('"msg":"ready"'))!;
    assert.match(ready, /arn:aws:sts::123456789012:assumed-role\/eks-mcp-agent\/pods-reader/, 'the operator\'s log keeps the full identity');
    assert.doesNotMatch(ready, /accessKeyId/);
    const shown = await open(fixture, ['--show-iam-identity']);
    try {
      assert.equal(resultText(await call(shown, 'whoami', {})),
        'user: eks-agent:pods-reader\ngroups: system:authenticated\niam: arn:aws:sts::123456789012:assumed-role/eks-mcp-agent/pods-reader\nsession: pods-reader');
    } finally {
      await shown.close();
    }
  });

  test('can_i delete pods answers no: the proof', async () => {
    const result = await call(session, 'can_i', { verb: 'delete', resource: 'pods', namespace: 'team-a' });
    assert.equal(resultText(result), 'no: delete pods in team-a');
    assert.equal(resultText(await call(session, 'can_i', { verb: 'get', resource: 'pods/log', namespace: 'team-a' })), 'yes: get pods/log in team-a');
  });

  test('a tool the role does not grant is not offered, and calling it sends no request', async () => {
    const mark = auditMark(cluster);
    const pod = podOf('team-a', 'web');
    const result = await call(session, 'pods_delete', { namespace: 'team-a', name: pod });
    assert.equal(result.isError, true);
    assert.match(resultText(result), /pods_delete is not offered.*does not grant delete pods.*No request was sent.*eks-rbac-mcp rbac --tools pods_delete/s);
    const exec = await call(session, 'pods_exec', { namespace: 'team-a', name: pod, command: ['true'] });
    assert.match(resultText(exec), /does not grant create pods\/exec, get pods/);
    await call(session, 'pods_list', { namespace: 'team-a' });
    // The audit event of a request may land just after its response: read up to a later marker request.
    const sent = await settled(session, fixture.user, mark);
    assert.ok(sent.some((r) => r.verb === 'list' && r.resource === 'pods'), 'the audit log sees this user\'s allowed call');
    assert.deepEqual(sent.filter((r) => r.verb === 'delete' || r.subresource === 'exec'), []);
  });

  test('a namespace outside the scope is refused before any request', async () => {
    const mark = auditMark(cluster);
    const result = await call(session, 'pods_list', { namespace: 'kube-system' });
    assert.equal(result.isError, true);
    assert.match(resultText(result), /namespace must be one of the namespaces where the role allows pods_list: team-a/);
    assert.deepEqual((await settled(session, fixture.user, mark)).filter((r) => r.namespace === 'kube-system'), []);
  });

  test('pods_list pages with limit and continue, as a compact table with kubectl\'s columns', async () => {
    const first = await call(session, 'pods_list', { namespace: 'team-a', limit: 1 });
    assert.match(resultText(first), /^NAME\tREADY\tSTATUS\tRESTARTS\tAGE\tNODE\n[^\t\n]+(\t[^\t\n]+){5}\n\(more: pass continue=\S+\)$/);
    const page = readTable(resultText(first));
    assert.equal(page.rows.length, 1);
    assert.ok(page.continue);
    const name = page.rows[0]!['NAME']!;
    assert.equal(kubectl(cluster, ['get', 'pod', name, '-n', 'team-a', '-o', 'jsonpath={.spec.nodeName}']), page.rows[0]!['NODE']);
    const second = readTable(resultText(await call(session, 'pods_list', { namespace: 'team-a', limit: 100, continue: page.continue })));
    const names = second.rows.map((r) => r['NAME']);
    assert.ok(!names.includes(name));
    assert.ok(names.length >= 2);
    assert.deepEqual([...second.columns].sort(), ['AGE', 'NAME', 'NODE', 'READY', 'RESTARTS', 'STATUS'], 'every column, on the table or stated once above it');
  });

  test('pods_log returns the tail, the previous instance, and stops at the byte cap', async () => {
    const pod = podOf('team-a', 'api');
    const tail = await call(session, 'pods_log', { namespace: 'team-a', name: pod, tail: 3 });
    assert.deepEqual(resultText(tail).split('\n'),
      ['INFO request id=998 path=/api/items status=200', 'INFO request id=999 path=/api/items status=200', 'WARN request id=1000 path=/api/items status=503']);
    assert.match(resultText(await call(session, 'pods_log', { namespace: 'team-a', name: pod, previous: true })), /FATAL out of memory/);
    const capped = await call(session, 'pods_log', { namespace: 'team-a', name: pod, tail: 1000, maxBytes: 1024 });
    const [log, note] = resultText(capped).split('\n(truncated at ');
    assert.equal(note, '1024 bytes)');
    assert.ok(Buffer.byteLength(log!) <= 1024);
    const multi = await call(session, 'pods_log', { namespace: 'team-a', name: podOf('team-a', 'web') });
    assert.equal(multi.isError, true);
    assert.match(resultText(multi), /container name must be specified.*\[web sidecar\]/s, 'the API server\'s own message, passed on');
  });

  test('bad input gets an actionable error and the server stays up', async () => {
    const badName = await call(session, 'pods_get', { namespace: 'team-a', name: 'Not_A_Name' });
    assert.equal(badName.isError, true);
    assert.match(resultText(badName), /lowercase DNS-1123 name/);
    const missing = await call(session, 'pods_get', { namespace: 'team-a', name: 'no-such-pod' });
    assert.match(resultText(missing), /NotFound \(HTTP 404\): pods "no-such-pod" not found\nCheck the name and namespace/);
    const badSelector = await call(session, 'pods_list', { namespace: 'team-a', labelSelector: 'app in (' });
    assert.equal(badSelector.isError, true);
    assert.match(resultText(badSelector), /HTTP 400/);
    assert.equal((await call(session, 'whoami', {})).isError, undefined, 'still serving');
  });

  test('one audit line per call on stderr, JSON, with no token in it', async () => {
    const lines = auditLines(session.stderr());
    assert.ok(lines.some((l) => l['tool'] === 'pods_list' && l['outcome'] === 'ok' && l['status'] === 200 && typeof l['durationMs'] === 'number'));
    assert.ok(lines.some((l) => l['tool'] === 'pods_delete' && l['outcome'] === 'not-offered'));
    assert.ok(lines.every((l) => l['principal'] === 'stdio'), 'every audit line names the principal beside the tool');
    assert.doesNotMatch(session.stderr(), /k8s-aws-v1\.|X-Amz-Signature|secretAccessKey/);
  });
});

describe('roles with limits', () => {
  test('resourceNames: get is allowed for the named object only; others are refused without a request', async () => {
    const fixture = FIXTURES['resource-names']!;
    const session = await open(fixture);
    const mark = auditMark(cluster);
    try {
      assert.ok(!(await call(session, 'configmaps_get', { namespace: 'team-a', name: 'web-config' })).isError);
      const other = await call(session, 'configmaps_get', { namespace: 'team-a', name: 'other-config' });
      assert.equal(other.isError, true);
      assert.match(resultText(other), /does not allow "get configmaps" in namespace team-a \(other-config\); no request was sent/);
      // resources_describe is offered for the name-limited get too, and admits the same name only.
      assert.ok(!(await call(session, 'resources_describe', { namespace: 'team-a', resource: 'configmaps', name: 'web-config' })).isError);
      const described = await call(session, 'resources_describe', { namespace: 'team-a', resource: 'configmaps', name: 'other-config' });
      assert.match(resultText(described), /does not allow "get configmaps" in namespace team-a \(other-config\); no request was sent/);
      assert.deepEqual((await settled(session, fixture.user, mark)).filter((r) => r.resource === 'configmaps' && r.name === 'other-config'), []);
    } finally {
      await session.close();
    }
  });

  test('access policies alone: reads follow the policy namespace by namespace; Secrets are refused', async () => {
    const fixture = FIXTURES['access-policy']!;
    const session = await open(fixture);
    const mark = auditMark(cluster);
    try {
      const secret = await call(session, 'resources_get', { namespace: 'team-a', resource: 'secrets', name: 'db-credentials' });
      assert.equal(secret.isError, true);
      assert.match(resultText(secret), /does not allow "get secrets" in namespace team-a/);
      assert.deepEqual((await settled(session, fixture.user, mark)).filter((r) => r.resource === 'secrets' && r.verb === 'get'), []);
    } finally {
      await session.close();
    }
  });

  test('Secrets are shown with metadata and a count of keys, never values, even to a role that may read them', async () => {
    const session = await open(FIXTURES['wildcard']!);
    try {
      const result = await call(session, 'resources_get', { namespace: 'team-a', resource: 'secrets', name: 'db-credentials' });
      assert.ok(!result.isError, resultText(result));
      const all = JSON.stringify(result);
      assert.doesNotMatch(all, /fixture-password-not-for-output|Zml4dHVyZS1wYXNzd29yZC/);
      // The Secret's data is never downloaded; the server's table counts its keys.
      assert.equal((JSON.parse(resultText(result)) as { data: unknown }).data, '2 keys (values are never read)');
    } finally {
      await session.close();
    }
  });

  test('operator: scale, restart and delete act on the cluster', async () => {
    const session = await open(FIXTURES['operator']!);
    try {
      const scaled = await call(session, 'deployments_scale', { namespace: 'team-a', name: 'web', replicas: 3 });
      assert.equal(resultText(scaled), 'deployment team-a/web scaled to 3 (was 2)');
      assert.equal(kubectl(cluster, ['get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.replicas}']), '3');
      await call(session, 'deployments_scale', { namespace: 'team-a', name: 'web', replicas: 2 });
      const restarted = await call(session, 'deployments_restart', { namespace: 'team-a', name: 'web' });
      const at = /\(restartedAt=(\S+)\)$/.exec(resultText(restarted))?.[1];
      assert.equal(kubectl(cluster, ['get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}']), at);
      const victim = podOf('team-a', 'api');
      const deleted = await call(session, 'pods_delete', { namespace: 'team-a', name: victim, gracePeriodSeconds: 0 });
      assert.ok(!deleted.isError, resultText(deleted));
      assert.throws(() => kubectl(cluster, ['get', 'pod', victim, '-n', 'team-a']), /NotFound|not found/);
    } finally {
      await session.close();
    }
  });

  test('exec runs an argv (no shell), reports the exit code and stops at the time limit', async () => {
    const session = await open(FIXTURES['wildcard']!);
    try {
      const pod = podOf('team-a', 'api');
      const echo = await call(session, 'pods_exec', { namespace: 'team-a', name: pod, command: ['echo', '$HOME;', 'rm -rf /'] });
      assert.equal(resultText(echo), 'exit code: 0\nstdout:\n$HOME; rm -rf /\n', 'arguments reach the program verbatim');
      const failing = await call(session, 'pods_exec', { namespace: 'team-a', name: pod, command: ['sh', '-c', 'exit 3'] });
      assert.equal(resultText(failing), 'exit code: 3');
      const slow = await call(session, 'pods_exec', { namespace: 'team-a', name: pod, command: ['sleep', '30'], timeoutSeconds: 1 });
      assert.match(resultText(slow), /^exit code: \S+ \(stopped: timeout\)/);
    } finally {
      await session.close();
    }
  });
});

describe('destructive calls need the user\'s yes', () => {
  test('a client that cannot ask its user is not offered destructive tools, and a call to one sends nothing', async () => {
    const fixture = FIXTURES['operator']!;
    const session = await open(fixture, [], {});
    const mark = auditMark(cluster);
    try {
      const names = (await session.client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('pods_list') && !names.includes('pods_delete') && !names.includes('deployments_scale'), names.join(','));
      const refused = await call(session, 'pods_delete', { namespace: 'team-a', name: podOf('team-a', 'web'), confirm: true });
      assert.equal(refused.isError, true);
      assert.match(resultText(refused), /pods_delete changes the cluster and needs the user's yes, but this client cannot ask its user.*No request was sent.*--confirm-by-argument/s);
      assert.deepEqual((await settled(session, fixture.user, mark)).filter((r) => r.verb === 'delete'), []);
    } finally {
      await session.close();
    }
  });

  test('with --confirm-by-argument, such a client must carry confirm: true; until then nothing is sent', async () => {
    const fixture = FIXTURES['operator']!;
    const session = await open(fixture, ['--confirm-by-argument'], {});
    const mark = auditMark(cluster);
    try {
      const victim = podOf('team-a', 'web');
      const refused = await call(session, 'pods_delete', { namespace: 'team-a', name: victim });
      assert.equal(refused.isError, true);
      assert.match(resultText(refused), /Delete pod team-a\/web-\S+\? This changes the cluster: ask the user, and if they agree call pods_delete again with "confirm": true/);
      assert.ok(!(await call(session, 'deployments_scale', { namespace: 'team-a', name: 'web', replicas: 2 })).isError, 'scaling to a non-zero count needs no confirmation');
      assert.match(resultText(await call(session, 'deployments_scale', { namespace: 'team-a', name: 'web', replicas: 0 })), /Scale deployment team-a\/web to 0/);
      assert.equal(kubectl(cluster, ['get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.replicas}']), '2', 'the refused scale to 0 did not happen');
      assert.deepEqual((await settled(session, fixture.user, mark)).filter((r) => r.verb === 'delete'), []);
    } finally {
      await session.close();
    }
  });

  test('with elicitation, the user is asked: a yes goes ahead, a no does nothing', async () => {
    const questions: string[] = [];
    let answer = false;
    const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'wildcard'), ...ACCEPT_BROAD], hostEnv(cluster), {
      elicit: (message) => {
        questions.push(message);
        return answer ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
      },
    });
    try {
      const pod = podOf('team-a', 'api');
      const declined = await call(session, 'pods_exec', { namespace: 'team-a', name: pod, command: ['echo', 'hi'], confirm: true });
      assert.match(resultText(declined), /The user did not confirm: Run \["echo","hi"\] in pod team-a\/api-\S+\? Nothing was done\./, 'confirm: true does not replace asking');
      answer = true;
      const accepted = await call(session, 'pods_exec', { namespace: 'team-a', name: pod, command: ['echo', 'hi'] });
      assert.equal(resultText(accepted), 'exit code: 0\nstdout:\nhi\n');
      assert.equal(questions.length, 2);
    } finally {
      await session.close();
    }
  });
});

test('a role whose trust policy does not allow the host is refused at AssumeRole, with the reason', async () => {
  // The handshake may be answered while discovery runs: then the tool list is refused with the reason, and the process exits.
  const listed = open({ role: 'eks-mcp-untrusted', binding: 'pods-reader', user: '' }).then(async (session) => {
    try {
      return await session.client.listTools();
    } finally {
      await session.close();
    }
  });
  await assert.rejects(listed, /AssumeRole arn:aws:iam::123456789012:role\/eks-mcp-untrusted as session "pods-reader" failed: AccessDenied/);
});

test('--read-only caps the surface at read verbs whatever RBAC allows', async () => {
  const session = await open(FIXTURES['wildcard']!, ['--read-only']);
  try {
    const names = (await session.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('pods_list'));
    for (const writer of ['pods_delete', 'pods_exec', 'deployments_scale', 'deployments_restart']) assert.ok(!names.includes(writer), writer);
    assert.match(resultText(await call(session, 'pods_delete', { namespace: 'team-a', name: 'x' })), /--read-only/);
  } finally {
    await session.close();
  }
});
