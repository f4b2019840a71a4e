// 2025 sessions over HTTP. One per initialize, each with its own MCP server on the SDK's Node transport, kept until
// DELETE, idle expiry or shutdown, so that notifications such as tools/list_changed, and questions for the user,
// reach the client on its GET stream. A session belongs to the principal that opened it, and keeps the events its
// streams sent (replay.ts) for a client that resumes one. 2026-07-28 requests never come here: they need no session.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { Logger } from '../log.ts';
import { rpcAnswer, type Answer } from './answer.ts';
import { resumableStreams, type ReplayBuffer } from './replay.ts';

/** One principal may not hold more sessions than this: each holds a server. */
export const MAX_SESSIONS_PER_PRINCIPAL = 256;

interface OwnedSession {
  id: string;
  principal: string;
  lastSeenMs: number;
  /** Requests (including an open SSE stream) being served: a session in use is never idle. */
  inFlight: number;
}

/** Sessions by id, each owned by the principal that opened it. */
export class SessionTable<S extends OwnedSession> {
  private readonly byId = new Map<string, S>();
  /** Sessions being opened, counted before their first await so that concurrent opens cannot overshoot the cap. */
  private readonly opening = new Map<string, number>();

  /** Takes a slot for a session this principal is opening, or says no when it holds the cap already. */
  reserve(principal: string, cap: number): (() => void) | undefined {
    const pending = this.opening.get(principal) ?? 0;
    if (this.countFor(principal) + pending >= cap) return undefined;
    this.opening.set(principal, pending + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.opening.get(principal) ?? 1) - 1;
      if (left > 0) this.opening.set(principal, left);
      else this.opening.delete(principal);
    };
  }

  add(session: S): void {
    this.byId.set(session.id, session);
  }

  remove(id: string): boolean {
    return this.byId.delete(id);
  }

  /** The session, if it exists and belongs to this principal: another principal's id is as good as unknown. */
  lookup(id: string, principal: string): { kind: 'ok'; session: S } | { kind: 'not-found' } | { kind: 'other-principal' } {
    const session = this.byId.get(id);
    if (!session) return { kind: 'not-found' };
    return session.principal === principal ? { kind: 'ok', session } : { kind: 'other-principal' };
  }

  countFor(principal: string): number {
    let n = 0;
    for (const s of this.byId.values()) if (s.principal === principal) n += 1;
    return n;
  }

  idle(nowMs: number, idleMs: number): S[] {
    return [...this.byId.values()].filter((s) => s.inFlight <= 0 && nowMs - s.lastSeenMs >= idleMs);
  }

  all(): S[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }
}

interface Session extends OwnedSession {
  transport: NodeStreamableHTTPServerTransport;
  server: McpServer;
  /** The events its streams sent, for a client that resumes one (none with --replay-buffer-bytes 0). */
  events?: ReplayBuffer;
}

/**
 * A GET resuming after an event this session no longer holds (evicted by newer ones, or never sent): the SDK would
 * answer that the id is malformed. Undefined when the request is not such a resumption.
 */
export function unresumable(req: Pick<IncomingMessage, 'method' | 'headers'>, events: ReplayBuffer | undefined): string | undefined {
  const after = req.headers['last-event-id'];
  if (req.method !== 'GET' || typeof after !== 'string' || !events || events.holds(after)) return undefined;
  return `Bad Request: the events after this Last-Event-ID are no longer held (a session keeps its last ${events.maxBytes} bytes of events, `
    + 'see --replay-buffer-bytes); the outcome of the request that stream answered is unknown: check its effect before sending it again';
}

const short = (sessionId: string) => sessionId.slice(0, 8);

/** A request of this session has ended: it counts as seen now. */
function requestEnded(session: OwnedSession): void {
  session.inFlight -= 1;
  session.lastSeenMs = Date.now();
}

export interface SessionOptions {
  /** A new MCP server for a session of this principal. */
  newServer(principal: string): McpServer;
  /** Each session's budget for the events it keeps (--replay-buffer-bytes; 0: streams are not resumable). */
  replayBufferBytes: number;
  log: Logger;
}

/** The open sessions of this replica, and the serving of 2025 requests in them. */
export class Sessions {
  private readonly table = new SessionTable<Session>();

  constructor(private readonly options: SessionOptions) {}

  get size(): number {
    return this.table.size;
  }

  /** A 2025 request, in the session it names or opening one; the answer that refuses it, or undefined once served. */
  async serve(req: IncomingMessage, res: ServerResponse, body: unknown, principal: string): Promise<Answer | undefined> {
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string' && id !== '') return this.serveIn(id, req, res, body, principal);
    if (req.method === 'GET' || req.method === 'DELETE') return rpcAnswer(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    if (req.method !== 'POST') return rpcAnswer(405, -32000, 'Method not allowed.', { Allow: 'GET, POST, DELETE' });
    return this.open(req, res, body, principal);
  }

  /** Closes the sessions idle for this long: their clients open new ones. */
  expireIdle(nowMs: number, idleMs: number): void {
    for (const session of this.table.idle(nowMs, idleMs)) {
      this.options.log.info({ session: short(session.id), principal: session.principal }, 'session expired (idle)');
      void session.transport.close().catch(() => undefined);
    }
  }

  closeAll(): Promise<unknown> {
    return Promise.allSettled(this.table.all().map((s) => s.transport.close()));
  }

  private async serveIn(id: string, req: IncomingMessage, res: ServerResponse, body: unknown, principal: string): Promise<Answer | undefined> {
    const found = this.table.lookup(id, principal);
    if (found.kind === 'other-principal') this.options.log.warn({ principal, session: short(id) }, 'a session id was presented by another principal: refused');
    if (found.kind !== 'ok') return rpcAnswer(404, -32001, 'Session not found', {}, found.kind === 'other-principal' ? 'session-of-another-principal' : 'session-not-found');
    const session = found.session;
    const stale = unresumable(req, session.events);
    if (stale) return rpcAnswer(400, -32000, stale);
    session.inFlight += 1;
    res.on('close', () => requestEnded(session));
    await session.transport.handleRequest(req, res, body);
    return undefined;
  }

  /** A POST without a session: an initialize opens one; anything else is answered by the SDK, and nothing is kept. */
  private async open(req: IncomingMessage, res: ServerResponse, body: unknown, principal: string): Promise<Answer | undefined> {
    const release = this.table.reserve(principal, MAX_SESSIONS_PER_PRINCIPAL);
    if (!release) {
      return rpcAnswer(429, -32000, `Too many open sessions (${MAX_SESSIONS_PER_PRINCIPAL}) for this principal: end some with DELETE or let idle ones expire`,
        {}, 'too-many-sessions');
    }
    try {
      const opening = this.opening(principal, release);
      res.on('close', () => {
        const session = opening.session();
        if (session) requestEnded(session);
      });
      await opening.server.connect(opening.transport);
      await opening.transport.handleRequest(req, res, body);
      if (!opening.session()) await opening.transport.close(); // not an initialize: there is nothing to keep
      return undefined;
    } finally {
      release();
    }
  }

  /** A server and its transport; the session exists once the transport has initialized it, and goes when it closes. */
  private opening(principal: string, release: () => void) {
    const { log } = this.options;
    const server = this.options.newServer(principal);
    const resumable = resumableStreams(this.options.replayBufferBytes);
    let session: Session | undefined;
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      ...resumable,
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        session = { id: sessionId, principal, transport, server, lastSeenMs: Date.now(), inFlight: 1, events: resumable.eventStore };
        this.table.add(session);
        release();
        log.info({ session: short(sessionId), principal }, 'session opened');
      },
    });
    transport.onclose = () => {
      resumable.eventStore?.clear(); // the events go with the session
      if (session && this.table.remove(session.id)) log.info({ session: short(session.id), principal }, 'session closed');
      void server.close().catch(() => undefined);
    };
    transport.onerror = (error) => log.debug({ err: error }, 'MCP transport');
    return { server, transport, session: () => session };
  }
}
