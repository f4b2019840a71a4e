// The one way tests wait: on a condition, checked until it holds or a deadline passes; never a fixed sleep.

export interface WaitOptions {
  /** How often the condition is checked. */
  everyMs?: number;
  /**
   * An error the check throws is taken for "not yet" (a process still starting), and reported at the deadline if it is
   * the last; otherwise it fails the wait at once.
   */
  retryErrors?: boolean;
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes: waiting on an event, not a sleep. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, deadlineMs = 10_000, options: WaitOptions = {}): Promise<T> {
  const until = Date.now() + deadlineMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (!options.retryErrors) throw error;
      lastError = error;
    }
    if (Date.now() > until) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 50));
  }
}
