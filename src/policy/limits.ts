// How many tool calls one caller may have in flight. Every call's output is bounded on its own (logs and exec by
// maxBytes and time, lists by their page size, every JSON read by KubeClient's byte cap), so bounding the calls
// in flight bounds what one principal can make this process hold at once: a batch or a burst of 100 pods_log
// calls at 1 MiB each holds at most MAX_IN_FLIGHT.principal MiB, not 100. Pure bookkeeping, no timers.

export const MAX_IN_FLIGHT = {
  /** Per principal, across all its sessions and requests. */
  principal: 8,
  /** Per 2025 HTTP session (a 2026-07-28 request has no session: the principal's cap is the bound). */
  session: 4,
} as const;

export class InFlightLimiter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limits: { principal: number; session: number } = MAX_IN_FLIGHT) {}

  /**
   * Takes a slot for one call, or says which cap is reached. The release is idempotent, so a caller may call it
   * from every path that ends the call.
   */
  admit(principal: string, session?: string): { release: () => void } | { refused: 'principal' | 'session'; limit: number } {
    const keys = [`p:${principal}`, ...(session ? [`s:${session}`] : [])];
    if ((this.counts.get(keys[0]!) ?? 0) >= this.limits.principal) return { refused: 'principal', limit: this.limits.principal };
    if (session && (this.counts.get(keys[1]!) ?? 0) >= this.limits.session) return { refused: 'session', limit: this.limits.session };
    for (const key of keys) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
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
      },
    };
  }

  inFlight(principal: string): number {
    return this.counts.get(`p:${principal}`) ?? 0;
  }
}
