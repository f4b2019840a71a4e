// The floor under each call: the API request that server sends, made directly (kept-alive connection, the body read
// but not parsed, as the floor identity), and the MCP round trip of a tool call that sends no request at all.
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Client } from '@modelcontextprotocol/client';
import { NS, type Bench, type SetName } from './context.ts';
import { token } from './servers.ts';

const floorAgent = new HttpsAgent({ keepAlive: true, maxSockets: 4 });
export const closeFloor = () => floorAgent.destroy();

/** What the peer (client-go's table printer) asks for; it leaves includeObject at its default (the objects' metadata). */
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const OURS_TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json';

export type Raw = { bytes: number; calls: number };

function rawGet(bench: Bench, path: string, accept: string): Promise<{ bytes: number; head: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, bench.cluster.endpoint), {
      ca: bench.ca, agent: floorAgent, headers: { authorization: `Bearer ${token(bench, 'bench-floor')}`, accept },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: HTTP ${res.statusCode} ${body.toString('utf8', 0, 300)}`));
        else resolve({ bytes: body.length, head: body.toString('utf8', 0, 2048) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A list in pages of 500, following continue. */
async function pagedList(bench: Bench, set: SetName, query: string, accept: string): Promise<Raw> {
  let bytes = 0;
  let calls = 0;
  let cont: string | undefined;
  do {
    const res = await rawGet(bench, `/api/v1/namespaces/${NS}/pods?labelSelector=bench-set%3D${set}&limit=500${query}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, accept);
    bytes += res.bytes;
    calls += 1;
    cont = /"continue":"([^"]+)"/.exec(res.head)?.[1];
  } while (cont);
  return { bytes, calls };
}

/** Our request: the server's Table without the objects, in pages of 500 (as pods_list asks). */
export const floorOursList = (bench: Bench, set: SetName) => () => pagedList(bench, set, '&includeObject=None', OURS_TABLE_ACCEPT);
/** The plain JSON list in pages of 500: the objects, as `kubectl get pods -o json` reads them; a fixed reference. */
export const floorJsonList = (bench: Bench, set: SetName) => () => pagedList(bench, set, '', 'application/json');
/** The peer's request: the Table with the objects' metadata, in one piece. */
export const floorPeerList = (bench: Bench, set: SetName) => async (): Promise<Raw> =>
  ({ bytes: (await rawGet(bench, `/api/v1/namespaces/${NS}/pods?labelSelector=bench-set%3D${set}`, TABLE_ACCEPT)).bytes, calls: 1 });
export const floorGet = (bench: Bench, path: string, accept: string) => async (): Promise<Raw> => ({ bytes: (await rawGet(bench, path, accept)).bytes, calls: 1 });

/**
 * The MCP floor: a tools/call that the server answers without a request to the cluster (a tool this role is not
 * offered: refused with an explanation). What any call costs in protocol, transport and dispatch.
 */
export const mcpFloor = (client: Client, tool: string) => async (): Promise<Raw> => {
  // The peer refuses an unknown tool with a JSON-RPC error, we with an isError result: either is one round trip.
  const r = await client.request({ method: 'tools/call', params: { name: tool, arguments: { namespace: NS, name: 'x' } } }).catch((error: Error) => ({ error: error.message }));
  return { bytes: Buffer.byteLength(JSON.stringify(r)), calls: 1 };
};
