// How many tool calls one caller may have in flight. Every call's output is bounded on its own (logs and exec by
// maxBytes and time, lists by their page size, every JSON read by KubeClient's byte cap), so bounding the calls
// in flight bounds what one principal can make this process hold at once: a batch or a burst of 100 pods_log
// calls at 1 MiB each holds at most MAX_IN_FLIGHT.principal MiB, not 100. Calls past the cap wait their turn
// (a waiting call holds no output); past the queue's bound they are refused. Pure bookkeeping, no timers.

export const MAX_IN_FLIGHT = {
  /** Per principal, across all its sessions and requests. */
  principal: 16,
  /** Per 2025 HTTP session (a 2026-07-28 request has no session: the principal's cap is the bound). */
  session: 8,
  /** Calls of one principal that may wait for a slot; more are refused. */
  waiting: 256,
} as const;

type Limits = { principal: number; session: number; waiting: number };

export class InFlightLimiter {
  private readonly counts = new Map<string, number>();
  /** Per principal, the calls waiting for a slot, oldest first, each with its session. */
  private readonly queues = new Map<string, Array<{ session?: string; grant: () => void }>>();

  constructor(private readonly limits: Limits = MAX_IN_FLIGHT) {}

  /**
   * Resolves with the release of a slot once the call may run, or refuses at once when too many of the
   * principal's calls are already waiting. The release is idempotent.
   */
  async acquire(principal: string, session?: string): Promise<{ release: () => void } | { refused: number }> {
    const p = `p:${principal}`;
    const keys = session ? [p, `s:${session}`] : [p];
    if (this.free(p, session)) this.take(keys);
    else {
      const queue = this.queues.get(p) ?? [];
      if (queue.length >= this.limits.waiting) return { refused: this.limits.waiting };
      this.queues.set(p, queue);
      // The slot is handed over by a release (counted before the waiter runs), so nobody can take it in between.
      await new Promise<void>((resolve) => queue.push({ session, grant: () => { this.take(keys); resolve(); } }));
    }
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        for (const key of keys) {
          const left = (this.counts.get(key) ?? 1) - 1;
          if (left > 0) this.counts.set(key, left);
          else this.counts.delete(key);
        }
        this.wake(p);
      },
    };
  }

  inFlight(principal: string): number {
    return this.counts.get(`p:${principal}`) ?? 0;
  }

  private free(p: string, session: string | undefined): boolean {
    return (this.counts.get(p) ?? 0) < this.limits.principal && (!session || (this.counts.get(`s:${session}`) ?? 0) < this.limits.session);
  }

  private take(keys: string[]): void {
    for (const key of keys) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Hands freed slots to the oldest waiters that fit: a session at its own cap does not hold up the others. */
  private wake(p: string): void {
    const queue = this.queues.get(p);
    if (!queue) return;
    for (let i = 0; i < queue.length && this.free(p, undefined);) {
      if (this.free(p, queue[i]!.session)) queue.splice(i, 1)[0]!.grant();
      else i += 1;
    }
    if (queue.length === 0) this.queues.delete(p);
  }
}
