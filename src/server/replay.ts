// Resumable 2025 streams. Each session keeps the events it sent, up to a byte budget, so that a client whose
// connection dropped in the middle of a call reconnects with Last-Event-ID and gets what it missed: the SDK's
// transport writes the priming event (an id, empty data, `retry`) and replays through this store. In memory only,
// one store per session, dropped with it: a replica that restarted has nothing to replay.
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

/** The `retry` a stream announces: how long a client waits before it reconnects (the SDK client's own default). */
export const RECONNECT_AFTER_MS = 1000;

/** Bytes counted for an event beside its message (ids, bookkeeping), so that many tiny events are bounded too. */
export const EVENT_OVERHEAD_BYTES = 64;

interface StoredEvent {
  streamId: StreamId;
  message: JSONRPCMessage;
  bytes: number;
}

/**
 * The SDK's EventStore, bounded in bytes: the oldest events go first. Event ids count up, and the events held are
 * always the latest run of them, so that a stream is never replayed with a hole: an id older than the run (evicted,
 * or never issued) is unknown. An event larger than the whole budget is sent live but cannot be held, and takes
 * the older events with it.
 */
export class ReplayBuffer implements EventStore {
  private readonly events = new Map<number, StoredEvent>();
  private nextId = 1;
  private heldBytes = 0;

  constructor(readonly maxBytes: number) {}

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const id = this.nextId++;
    const bytes = Buffer.byteLength(JSON.stringify(message)) + Buffer.byteLength(streamId) + EVENT_OVERHEAD_BYTES;
    if (bytes > this.maxBytes) {
      this.clear();
      return String(id);
    }
    this.events.set(id, { streamId, message, bytes });
    this.heldBytes += bytes;
    for (const [oldest, event] of this.events) {
      if (this.heldBytes <= this.maxBytes) break;
      this.events.delete(oldest);
      this.heldBytes -= event.bytes;
    }
    return String(id);
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return this.held(eventId)?.streamId;
  }

  /** Sends the stream's events after this one, in order, including any stored while the replay runs. */
  async replayEventsAfter(lastEventId: EventId, { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> }): Promise<StreamId> {
    const last = this.held(lastEventId);
    if (!last) throw new Error('the event to resume after is no longer held');
    const after = Number(lastEventId);
    for (const [id, event] of this.events) { // a Map's iteration also visits entries added during it
      if (id > after && event.streamId === last.streamId) await send(String(id), event.message);
    }
    return last.streamId;
  }

  /** Whether a client may resume after this event id. */
  holds(eventId: string): boolean {
    return this.held(eventId) !== undefined;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  get size(): number {
    return this.events.size;
  }

  clear(): void {
    this.events.clear();
    this.heldBytes = 0;
  }

  private held(eventId: string): StoredEvent | undefined {
    return /^[1-9]\d{0,15}$/.test(eventId) ? this.events.get(Number(eventId)) : undefined;
  }
}

/** A session transport's options for resumable streams: none when the budget is 0 (no priming event, no `retry`). */
export function resumableStreams(maxBytes: number): { eventStore?: ReplayBuffer; retryInterval?: number } {
  return maxBytes > 0 ? { eventStore: new ReplayBuffer(maxBytes), retryInterval: RECONNECT_AFTER_MS } : {};
}
