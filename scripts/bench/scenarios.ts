// What the latency phase calls, on each server and as raw requests: lists of 10, 200 and 2,000 pods, a log, a get,
// and the MCP floor (a call that sends no request).
import type { CallToolResult } from '@modelcontextprotocol/client';
import { NS, POD, SETS, type Bench, type SetName } from './context.ts';
import { floorGet, floorJsonList, floorOursList, floorPeerList, mcpFloor, type Raw } from './floor.ts';
import { callTool, type Session } from './servers.ts';
import { readTable, resultText } from '../../test/helpers.ts';
import { tokens } from './tokens.ts';

export interface Answer { calls: number; rows?: number; textBytes: number; resultBytes: number; textTokens: number; resultTokens: number }

export function answerOf(results: CallToolResult[], rows?: number): Answer {
  const text = results.map(resultText).join('\n');
  const whole = results.map((r) => JSON.stringify(r)).join('\n');
  return { calls: results.length, rows, textBytes: Buffer.byteLength(text), resultBytes: Buffer.byteLength(whole), textTokens: tokens(text), resultTokens: tokens(whole) };
}

/**
 * A call's answer, measured (bytes, tokens, rows) only when asked, after the timing: tokenizing a 500-row page takes
 * milliseconds of the benchmark's own CPU, which is not the server's time.
 */
export type Measured = () => Answer;
export type Runner = () => Promise<Measured | Raw>;
export const measured = (outcome: Measured | Raw): Answer | Raw => (typeof outcome === 'function' ? outcome() : outcome);

export interface Scenario {
  id: string; label: string; big: boolean;
  ours: (s: Session) => Runner; peer: (s: Session) => Runner;
  /** The raw request each server sends; for the MCP floor, nothing. */
  floorOurs?: Runner; floorPeer?: Runner;
  /** Lists only: the full JSON list (kubectl get -o json), a reference that stays put whatever either server asks for. */
  floorJson?: Runner;
}

function oursList(set: SetName) {
  return (s: Session): Runner => async () => {
    const results: CallToolResult[] = [];
    let cont: string | undefined;
    do {
      const r = await callTool(s.client, 'pods_list', { namespace: NS, labelSelector: `bench-set=${set}`, limit: 500, ...(cont ? { continue: cont } : {}) });
      // The text, as the model reads it (the structured copy is there only with --structured-output): its last line
      // holds the next page's token.
      const text = resultText(r);
      cont = /\(more: pass continue=(\S+)\)$/.exec(text.slice(-4200))?.[1];
      results.push(r);
    } while (cont);
    return () => answerOf(results, results.reduce((rows, r) => rows + readTable(resultText(r)).rows.length, 0));
  };
}

function peerList(set: SetName) {
  return (s: Session): Runner => async () => {
    const r = await callTool(s.client, 'pods_list_in_namespace', { namespace: NS, labelSelector: `bench-set=${set}` });
    return () => answerOf([r], resultText(r).trim().split('\n').length - 1);
  };
}

const same = (name: string, args: Record<string, unknown>) => (s: Session): Runner => async () => {
  const r = await callTool(s.client, name, args);
  return () => answerOf([r]);
};

export function scenarios(bench: Bench): Scenario[] {
  return [
    {
      id: 'mcp_floor', label: 'MCP floor: a call that sends no request', big: false,
      ours: (s) => mcpFloor(s.client, 'pods_delete'), peer: (s) => mcpFloor(s.client, 'no_such_tool'),
    },
    ...(['p10', 'p200', 'p2000'] as SetName[]).map((set): Scenario => ({
      id: `pods_list_${SETS[set]}`, label: `pods list, ${SETS[set].toLocaleString('en-US')} pods`, big: SETS[set] > 500,
      ours: oursList(set), peer: peerList(set), floorOurs: floorOursList(bench, set), floorPeer: floorPeerList(bench, set), floorJson: floorJsonList(bench, set),
    })),
    {
      id: 'pods_log', label: 'pod log, 1,000 lines, tail 100', big: false,
      ours: same('pods_log', { namespace: NS, name: POD, tail: 100 }), peer: same('pods_log', { namespace: NS, name: POD, tail: 100 }),
      floorOurs: floorGet(bench, `/api/v1/namespaces/${NS}/pods/${POD}/log?tailLines=100&limitBytes=65536`, '*/*'),
      floorPeer: floorGet(bench, `/api/v1/namespaces/${NS}/pods/${POD}/log?container=app&tailLines=100`, '*/*'),
    },
    {
      id: 'pods_get', label: 'one pod get', big: false,
      ours: same('pods_get', { namespace: NS, name: POD }), peer: same('pods_get', { namespace: NS, name: POD }),
      floorOurs: floorGet(bench, `/api/v1/namespaces/${NS}/pods/${POD}`, 'application/json'),
      floorPeer: floorGet(bench, `/api/v1/namespaces/${NS}/pods/${POD}`, 'application/json'),
    },
  ];
}
