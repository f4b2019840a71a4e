// The per-session store of sent events that a resuming client replays from: ordered, per stream, bounded in bytes,
// never replayed with a hole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { EVENT_OVERHEAD_BYTES, RECONNECT_AFTER_MS, ReplayBuffer, resumableStreams } from '../../src/server/replay.ts';
import { unresumable } from '../../src/server/sessions.ts';

const note = (n: number, pad = ''): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: n, message: pad } });
const sizeOf = (streamId: string, message: JSONRPCMessage) => Buffer.byteLength(JSON.stringify(message)) + streamId.length + EVENT_OVERHEAD_BYTES;

async function replay(store: ReplayBuffer, after: string): Promise<{ stream: string; sent: Array<[string, JSONRPCMessage]> }> {
  const sent: Array<[string, JSONRPCMessage]> = [];
  const stream = await store.replayEventsAfter(after, { send: async (id, message) => void sent.push([id, message]) });
  return { stream, sent };
}

test('events get increasing ids; a replay sends the events of that stream after the id, in order, and no other stream\'s', async () => {
  const store = new ReplayBuffer(1 << 20);
  const a1 = await store.storeEvent('a', {} as JSONRPCMessage); // a priming event
  const b1 = await store.storeEvent('b', note(1));
  const a2 = await store.storeEvent('a', note(2));
  const a3 = await store.storeEvent('a', note(3));
  assert.deepEqual([a1, b1, a2, a3], ['1', '2', '3', '4']);
  assert.equal(await store.getStreamIdForEventId(b1), 'b');
  assert.deepEqual(await replay(store, a1), { stream: 'a', sent: [[a2, note(2)], [a3, note(3)]] });
  assert.deepEqual(await replay(store, a3), { stream: 'a', sent: [] }, 'nothing missed');
  assert.deepEqual(await replay(store, b1), { stream: 'b', sent: [] });
});

test('an event stored while a replay runs is replayed too, so that nothing falls between the replay and the live stream', async () => {
  const store = new ReplayBuffer(1 << 20);
  const first = await store.storeEvent('a', {} as JSONRPCMessage);
  await store.storeEvent('a', note(1));
  const sent: string[] = [];
  await store.replayEventsAfter(first, {
    send: async (id) => {
      sent.push(id);
      if (sent.length === 1) await store.storeEvent('a', note(2));
    },
  });
  assert.deepEqual(sent, ['2', '3']);
});

test('bounded in bytes: the oldest events go first, an evicted id cannot be resumed from, and the bytes held never pass the budget', async () => {
  const one = sizeOf('s', note(0, 'x'.repeat(100)));
  const store = new ReplayBuffer(one * 3);
  const ids: string[] = [];
  for (let i = 0; i < 10; i += 1) {
    ids.push(await store.storeEvent('s', note(i, 'x'.repeat(100))));
    assert.ok(store.bytes <= store.maxBytes, `${store.bytes} bytes held`);
  }
  assert.equal(store.size, 3);
  assert.deepEqual(ids.map((id) => store.holds(id)), [false, false, false, false, false, false, false, true, true, true]);
  assert.equal(await store.getStreamIdForEventId(ids[6]!), undefined);
  await assert.rejects(replay(store, ids[6]!), /no longer held/);
  assert.deepEqual((await replay(store, ids[7]!)).sent.map(([id]) => id), [ids[8], ids[9]]);
});

test('an event larger than the whole budget is not held and takes the older ones with it: a replay never skips it', async () => {
  const store = new ReplayBuffer(4096);
  const before = await store.storeEvent('s', note(1));
  const huge = await store.storeEvent('s', note(2, 'x'.repeat(5000)));
  assert.equal(store.holds(before), false, 'resuming from before the huge event would miss it');
  assert.equal(store.holds(huge), false);
  assert.equal(store.bytes, 0);
  const after = await store.storeEvent('s', note(3));
  assert.equal(Number(after), Number(huge) + 1);
  assert.equal(store.holds(after), true);
});

test('only ids this store issued are known: malformed, zero, padded or huge ones are not', async () => {
  const store = new ReplayBuffer(4096);
  await store.storeEvent('s', note(1));
  for (const id of ['', 'abc', '0', '01', '-1', '1e0', ' 1', '1.0', '2', '99999999999999999999']) assert.equal(store.holds(id), false, JSON.stringify(id));
  assert.equal(store.holds('1'), true);
  store.clear();
  assert.equal(store.holds('1'), false, 'cleared with its session');
});

test('resumable streams announce retry and keep a store per session; a budget of 0 turns both off', () => {
  const on = resumableStreams(8192);
  assert.ok(on.eventStore instanceof ReplayBuffer);
  assert.equal(on.eventStore.maxBytes, 8192);
  assert.equal(on.retryInterval, RECONNECT_AFTER_MS);
  assert.notEqual(resumableStreams(8192).eventStore, on.eventStore, 'one store per session');
  assert.deepEqual(resumableStreams(0), {});
});

test('a GET resuming after an event that is no longer held is told so, and what it means for the call', async () => {
  const store = new ReplayBuffer(4096);
  const held = await store.storeEvent('s', note(1));
  const get = (lastEventId?: string) => ({ method: 'GET', headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId } });
  assert.equal(unresumable(get(held), store), undefined);
  assert.equal(unresumable(get(), store), undefined, 'a plain GET stream');
  assert.equal(unresumable({ method: 'POST', headers: { 'last-event-id': '77' } }, store), undefined);
  assert.equal(unresumable(get('77'), undefined), undefined, 'resuming is off: the SDK answers');
  assert.match(unresumable(get('77'), store)!, /^Bad Request: the events after this Last-Event-ID are no longer held \(a session keeps its last 4096 bytes of events, see --replay-buffer-bytes\); the outcome of the request that stream answered is unknown: check its effect before sending it again$/);
});
