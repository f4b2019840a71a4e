// The API server's audit log, read incrementally: the independent witness of every request a server sends.
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { sleep } from './context.ts';

export interface AuditEvent { id: string; user: string; verb: string; resource?: string; subresource?: string; uri: string }

export class AuditLog {
  private offset: number;
  private rest = '';
  readonly events: AuditEvent[] = [];
  /** Long-running requests (pods/log) are logged twice, at ResponseStarted and ResponseComplete: one request. */
  private readonly seen = new Set<string>();
  /** Rotations seen: requests logged just before one may be missing from the counts. */
  rotations = 0;

  constructor(private readonly file: string) {
    this.offset = existsSync(file) ? statSync(file).size : 0;
  }

  /** Waits for the blocking audit backend to flush, then reads what was appended. Returns a position. */
  async mark(settleMs = 300): Promise<number> {
    await sleep(settleMs);
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) { // the API server rotated its log (--audit-log-maxsize): the new file starts afresh
        this.offset = 0;
        this.rest = '';
        this.rotations += 1;
      }
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const lines = (this.rest + buf.toString('utf8')).split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('eks-agent:bench-')) continue;
        const e = JSON.parse(line) as { auditID: string; user?: { username?: string }; verb: string; requestURI: string; objectRef?: { resource?: string; subresource?: string } };
        if (this.seen.has(e.auditID)) continue;
        this.seen.add(e.auditID);
        this.events.push({ id: e.auditID, user: e.user?.username ?? '', verb: e.verb, resource: e.objectRef?.resource, subresource: e.objectRef?.subresource, uri: e.requestURI });
      }
    } finally {
      closeSync(fd);
    }
    return this.events.length;
  }

  between(from: number, to: number, user: string): AuditEvent[] {
    return this.events.slice(from, to).filter((e) => e.user === user);
  }
}

/** Access and rules reviews: discovery's requests (at start, or a periodic re-discovery), not a tool call's. */
export const isReview = (e: AuditEvent) => (e.resource ?? '').startsWith('selfsubject');

export function describeRequests(events: AuditEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) {
    const key = `${e.verb} ${e.resource ?? e.uri.split('?')[0]}${e.subresource ? `/${e.subresource}` : ''}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
