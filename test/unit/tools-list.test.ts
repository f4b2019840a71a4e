// What agents see, pinned: the whole tools/list (every tool's name, title, description, input schema and annotations,
// and the list's cache hints) per fixture identity and per protocol revision, exactly as the server writes it to a
// client that can ask its user. Discovery runs unchanged against the stand-in for the API server fed from the fixture
// roles (test/fixture-rbac.ts; test/discovery.test.ts checks it against the local control plane), the offer is the
// runtime's, and the list is served over the SDK's stdio entry to a client of each revision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InMemoryTransport, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { Discovery } from '../../src/server/discovery.ts';
import { createMcpServer, listTools } from '../../src/server/mcp.ts';
import { Runtime } from '../../src/server/runtime.ts';
import { catalogue } from '../../tools/index.ts';
import { FIXTURE_IDENTITIES, fixtureConnection, fixtureFlags, type FixtureIdentity } from '../fixture-rbac.ts';
import { GOLDEN_TOOLS_DIR, REWRITE_TOOLS, checkGolden, compactJson, goldenToolsFile, updatingGoldens } from '../golden.ts';
import { ERAS, newClient, type Era } from '../helpers.ts';

/**
 * A golden per fixture identity; and one with --structured-output, which adds each tool's output schema, for the
 * identity offered every tool.
 */
const GOLDENS: ReadonlyArray<{ golden: string; identity: FixtureIdentity; flags: Record<string, string> }> = [
  ...Object.entries(FIXTURE_IDENTITIES).map(([golden, identity]) => ({ golden, identity, flags: {} })),
  { golden: 'cluster-admin-policy.structured-output', identity: FIXTURE_IDENTITIES['cluster-admin-policy']!, flags: { structuredOutput: 'true' } },
];

/** The runtime a server started as this identity would hold: discovery against the stand-in, then the offer. */
async function runtimeAs(identity: FixtureIdentity, flags: Record<string, string>): Promise<Runtime> {
  const { connection } = fixtureConnection(identity);
  const config = loadConfig({ ...fixtureFlags(identity), ...flags }, {});
  const discovery = new Discovery(connection, config.namespaces, catalogue);
  const { permissions, served } = await discovery.discover();
  return new Runtime(config, connection, createLogger('silent'), catalogue, permissions, served, { discovery });
}

/**
 * tools/list's result as the server writes it to a client of this revision that can ask its user (form elicitation),
 * but for `_meta`, which names the server and its version, not what the role allows.
 */
async function listedOnTheWire(runtime: Runtime, era: Era): Promise<Record<string, unknown>> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const written: JSONRPCMessage[] = [];
  const send = serverSide.send.bind(serverSide);
  serverSide.send = (message, options) => {
    written.push(structuredClone(message));
    return send(message, options);
  };
  const handle = serveStdio(() => createMcpServer(runtime, { principal: () => 'test', followChanges: false }), { transport: serverSide });
  const client = newClient({ era, elicit: () => ({ action: 'decline' }) });
  try {
    await client.connect(clientSide);
    await client.listTools();
  } finally {
    await client.close();
    await handle.close();
  }
  const listed = written.map((m) => ('result' in m ? m.result : undefined)).find((r) => r !== undefined && 'tools' in r);
  assert.ok(listed, `no tools/list result among ${JSON.stringify(written)}`);
  const { _meta: _serverInfo, ...result } = listed;
  return result;
}

if (updatingGoldens) mkdirSync(GOLDEN_TOOLS_DIR, { recursive: true });

for (const { golden, identity, flags } of GOLDENS) {
  let started: Promise<Runtime> | undefined; // one discovery for both revisions
  for (const era of ERAS) {
    test(`tools/list of ${golden}, ${era}`, async () => {
      const runtime = await (started ??= runtimeAs(identity, flags));
      const listed = await listedOnTheWire(runtime, era);
      assert.deepEqual(listed['tools'], listTools(runtime.offer, { canAsk: true }), 'the wire carries the offer\'s rendering as it is');
      checkGolden(goldenToolsFile(golden, era), `${compactJson(listed)}\n`, REWRITE_TOOLS);
    });
  }
}

test('every golden belongs to a fixture identity and a revision', () => {
  const expected = new Set(GOLDENS.flatMap(({ golden }) => ERAS.map((era) => goldenToolsFile(golden, era))));
  const stale = readdirSync(GOLDEN_TOOLS_DIR).map((f) => join(GOLDEN_TOOLS_DIR, f)).filter((f) => !expected.has(f));
  if (updatingGoldens) for (const file of stale) rmSync(file);
  else assert.deepEqual(stale, [], `goldens of no fixture identity: remove them with ${REWRITE_TOOLS}`);
});
