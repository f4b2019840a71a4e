// What every MCP session of this process shares: the connection, the discovered permissions, the catalogue.
// Transports (stdio, HTTP) create sessions from it; they never talk to the cluster on their own.
import { EventEmitter } from 'node:events';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { connect, type Connection } from '../connection.ts';
import { discoverPermissions, type PermissionSet } from '../rbac/discovery.ts';
import { catalogue as defaultCatalogue } from '../../tools/index.ts';
import type { ToolDeclaration } from '../tool.ts';
import { advertise, cataloguePermissions } from './mcp.ts';
import { checkNamespaces } from '../startup.ts';

/** What a transport may observe of each tool call (HTTP metrics): the facts of the audit line, exact duration. */
export type ToolCallHook = (tool: string, outcome: string, status: number | undefined, durationMs: number) => void;

export interface RuntimeOptions {
  now?: () => Date;
  /** Re-discovery period; 0 turns it off. */
  refreshIntervalMs?: number;
}

export interface PermissionsChange {
  reason: string;
  added: string[];
  removed: string[];
}

/**
 * The connection and what it may do, kept true while the process runs: permissions are re-discovered on
 * an interval and after a 403 on an advertised tool; sessions follow the 'permissions' event.
 */
export class Runtime extends EventEmitter<{ permissions: [PermissionsChange] }> {
  /** Set by a transport that exports metrics; called once per tool call, after its audit line. */
  onToolCall?: ToolCallHook;
  private fingerprint: string;
  private refreshing?: Promise<boolean>;
  private refreshAgain = false;
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<{ done: Promise<unknown>; abort: AbortController }>();
  private stopping = false;

  constructor(
    readonly config: Config,
    readonly connection: Connection,
    readonly log: Logger,
    readonly catalogue: readonly ToolDeclaration[],
    public permissions: PermissionSet,
    private readonly options: RuntimeOptions = {},
  ) {
    super();
    this.fingerprint = permissions.fingerprint();
    const interval = options.refreshIntervalMs ?? 0;
    if (interval > 0) {
      this.timer = setInterval(() => this.requestRefresh('interval'), interval);
      this.timer.unref();
    }
  }

  now = (): Date => (this.options.now ?? (() => new Date()))();

  advertisedNames(permissions = this.permissions): string[] {
    return advertise(this.catalogue, permissions, this.config.readOnly).map((a) => a.tool.name);
  }

  /** Starts a re-discovery unless one is running; one running absorbs further requests into one more pass. */
  requestRefresh(reason: string): Promise<boolean> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = this.refresh(reason).finally(() => {
      this.refreshing = undefined;
      if (this.refreshAgain && !this.stopping) {
        this.refreshAgain = false;
        void this.requestRefresh(`${reason} (again)`);
      }
    });
    return this.refreshing;
  }

  /** Re-discovers; swaps the permissions and tells the sessions only when an answer changed. */
  private async refresh(reason: string): Promise<boolean> {
    let next: PermissionSet;
    try {
      next = await discoverPermissions(this.connection.kube, this.config.namespaces, cataloguePermissions(this.catalogue));
    } catch (error) {
      this.log.warn({ reason, err: { message: (error as Error).message } }, 'permission refresh failed; keeping the last known permissions');
      return false;
    }
    const fingerprint = next.fingerprint();
    if (fingerprint === this.fingerprint) {
      this.permissions = next; // the same answers, but decisions made lazily since (generic tools) may be stale
      return false;
    }
    const before = new Set(this.advertisedNames());
    const after = new Set(this.advertisedNames(next));
    this.permissions = next;
    this.fingerprint = fingerprint;
    const change = { reason, added: [...after].filter((n) => !before.has(n)), removed: [...before].filter((n) => !after.has(n)) };
    this.log.info({ ...change, discoveryRequests: next.requestCount }, 'permissions changed');
    this.emit('permissions', change);
    return true;
  }

  /** Runs a tool call so that shutdown can wait for it, and cancel it past the grace period. */
  track<T>(run: (signal: AbortSignal) => Promise<T>, outer: AbortSignal): Promise<T> {
    const abort = new AbortController();
    const onOuter = () => abort.abort(outer.reason);
    outer.addEventListener('abort', onOuter, { once: true });
    const done = run(AbortSignal.any([outer, abort.signal]));
    const entry = { done, abort };
    this.inFlight.add(entry);
    void done.finally(() => {
      this.inFlight.delete(entry);
      outer.removeEventListener('abort', onOuter);
    }).catch(() => undefined);
    return done;
  }

  /** Stops refreshing, lets calls in flight finish for up to graceMs, then cancels the rest. */
  async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    const pending = [...this.inFlight];
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), graceMs); });
    const outcome = await Promise.race([Promise.allSettled(pending.map((p) => p.done)), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.log.warn({ cancelled: pending.length }, 'shutdown: cancelling tool calls still in flight');
      for (const p of pending) p.abort.abort(new Error('the server is shutting down'));
      await Promise.allSettled(pending.map((p) => p.done));
    }
    // The SDK sends each result in the promise callbacks that follow the handler: let them run first.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export async function startRuntime(config: Config, log: Logger, options: RuntimeOptions & { catalogue?: readonly ToolDeclaration[] } = {}): Promise<Runtime> {
  const catalogue = options.catalogue ?? defaultCatalogue;
  const started = performance.now();
  const connection = await connect(config);
  const [permissions] = await Promise.all([
    discoverPermissions(connection.kube, config.namespaces, cataloguePermissions(catalogue)),
    checkNamespaces(connection.kube, config.namespaces), // a scope naming a namespace that does not exist is a typo
  ]);
  const runtime = new Runtime(config, connection, log, catalogue, permissions, {
    refreshIntervalMs: config.refreshInterval * 1000, ...options,
  });
  log.info({
    connection: connection.summary,
    namespaces: config.namespaces,
    tools: runtime.advertisedNames(),
    discoveryRequests: permissions.requestCount,
    startupMs: Math.round(performance.now() - started),
  }, 'ready');
  return runtime;
}
