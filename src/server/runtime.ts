// What every MCP session of this process shares: the connection, the discovered permissions, the catalogue.
// Transports (stdio, HTTP) create sessions from it; they never talk to the cluster on their own. This is the
// composition root: the one module of src/ that takes the catalogue (tools and prompts) from tools/.
import { EventEmitter } from 'node:events';
import v8 from 'node:v8';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { connect, type Connection } from '../connection.ts';
import { REQUEST_KINDS, signalsKey, signalsSettle, type PermissionSet, type RequestCounts } from '../rbac/discovery.ts';
import type { Permission } from '../rbac/permission.ts';
import { Discovery, addCounts, describeAccessPolicies, identityKey, publishRound, type Discovered, type RefreshTrigger } from './discovery.ts';
import type { ApiResources, ServedKinds } from '../kube/api-resources.ts';
import { catalogue, prompts } from '../../tools/index.ts';
import type { PromptDeclaration } from '../prompt.ts';
import type { Tool } from '../tool.ts';
import { Offer, type Advertisement } from '../policy/offer.ts';
import type { ToolCallHook } from '../policy/audit.ts';
import { callTool, type CallOutcome, type CallRequest } from '../policy/gate.ts';
import { answerSeal, type AnswerSeal } from '../policy/answer.ts';
import { selfSubjectReview } from '../kube/resources.ts';
import { classifyBroadGrants, findingsForLog, findingsKey, type Finding } from '../rbac/broad-grants.ts';
import { renderRbac } from '../rbac/role.ts';
import { BroadRoleRefused, KEPT_WHEN_WITHDRAWN, refusalMessage, withdrawn } from '../policy/broad-role.ts';
import { selectTools } from '../policy/select-tools.ts';
import { InFlightLimiter } from '../policy/limits.ts';
import { NameCompletions } from '../policy/completions.ts';
import { checkNamespaces } from '../startup.ts';
import { checkIamSide, notCheckedAdvice, trustWarning, type IamSide } from '../aws/iam-side.ts';
import { iamFindingsForLog, type IamFinding } from '../aws/iam-grants.ts';
import { agentPermissionPolicy } from '../aws/iam-documents.ts';

export { catalogue };

export interface RuntimeOptions {
  now?: () => Date;
  /** Re-discovery period; 0 turns it off. */
  refreshIntervalMs?: number;
  /** Where access reviews decide: their full sweep at least this often even when no signal changed; 0, never on its own. */
  fullRefreshIntervalMs?: number;
  /** The least time between two re-discoveries that 403s start; 0, none. */
  forbiddenRefreshGapMs?: number;
  /** The discovery the permissions came from (startRuntime's); made from the connection otherwise. */
  discovery?: Discovery;
  /** Who the API server said we are at start (Discovery.identity), where access reviews decide. */
  identity?: string;
  /** `enforce` (serving): unaccepted broad grants refuse the start and withdraw the tools; `report` (doctor) only classifies. */
  guard?: 'enforce' | 'report';
  /** The IAM side as checked at start (EKS only). */
  iam?: IamSide;
}

export interface PermissionsChange {
  reason: string;
  added: string[];
  removed: string[];
}

/**
 * The connection and what it may do, kept true while the process runs: permissions are re-discovered on
 * an interval and after a 403 on an advertised tool; the offer follows them, and transports follow the
 * 'permissions' event. One per process, whatever the number of MCP sessions or requests.
 */
export class Runtime extends EventEmitter<{ permissions: [PermissionsChange] }> {
  /** Set by a transport that exports metrics; called once per tool call, after its audit line. */
  onToolCall?: ToolCallHook;
  private fingerprint: string;
  /** The signals the current permissions were decided from: a refresh that reads the same ones changes nothing. */
  private signals: string;
  private identity?: string;
  /** When access reviews were last all asked again (the start, a 403, a changed signal, the long interval). */
  private sweptAt: number;
  private refreshing?: Promise<boolean>;
  /** A 403 came while a round ran: one more round after it, as a 403 asks. */
  private again?: string;
  private timer?: NodeJS.Timeout;
  /** The next 403-started round, when the last one was less than the gap ago. */
  private forbiddenTimer?: NodeJS.Timeout;
  private forbiddenAt = -Infinity;
  readonly discovery: Discovery;
  private readonly inFlight = new Set<{ done: Promise<unknown>; abort: AbortController }>();
  private stopping = false;
  /** What is offered now: replaced, never mutated, when the permissions change. */
  offer: Offer;
  /** The broad-grant guard's findings for the current permissions. */
  findings: Finding[];
  /** The IAM side as checked at start: it is not read again while the process runs. */
  readonly iam: IamSide | undefined;
  /** The tools `--tools` lets through (all of the catalogue without it). */
  readonly selected: ReadonlySet<string>;
  /** The kinds the cluster serves, for the offer and the generic tools: read at start, and again when a refresh finds a new API group (the discovery's). */
  readonly apiResources: ApiResources;
  /** Calls in flight per principal and per session, across every transport of this process. */
  readonly callSlots = new InFlightLimiter();
  /** Object names for prompt argument completions, kept a few seconds. */
  readonly names: NameCompletions;
  /** The prompts, each offered where all its tools are. */
  readonly prompts: readonly PromptDeclaration[] = prompts;
  /** Seals the requestState of each question put to a user, with the operator's key (shared by replicas) or this process's. */
  readonly answers: AnswerSeal;

  constructor(
    readonly config: Config,
    readonly connection: Connection,
    readonly log: Logger,
    readonly catalogue: readonly Tool[],
    permissions: PermissionSet,
    served: ServedKinds,
    private readonly options: RuntimeOptions = {},
  ) {
    super();
    this.selected = selectTools(config.tools, catalogue.map((t) => t.name));
    this.iam = options.iam;
    this.findings = findingsOf(permissions, config.namespaces);
    this.offer = this.offerFor(permissions, served, this.findings);
    this.discovery = options.discovery ?? new Discovery(connection, config.namespaces, catalogue);
    this.apiResources = this.discovery.apiResources;
    this.names = new NameCompletions(connection.kube);
    this.answers = answerSeal(config.requestStateKey);
    this.fingerprint = permissions.fingerprint();
    this.signals = signalsKey(permissions.signals);
    this.identity = options.identity;
    this.sweptAt = performance.now();
    this.schedule();
  }

  /**
   * The next interval's round, 90-110% of the interval away: replicas started together drift apart rather than
   * refresh in step. A round still running when it comes is not doubled.
   */
  private schedule(): void {
    const interval = this.options.refreshIntervalMs ?? 0;
    if (interval <= 0 || this.stopping) return;
    this.timer = setTimeout(() => {
      this.schedule();
      if (!this.refreshing) void this.requestRefresh('interval');
    }, interval * (0.9 + 0.2 * Math.random()));
    this.timer.unref();
  }

  now = (): Date => (this.options.now ?? (() => new Date()))();

  get permissions(): PermissionSet {
    return this.offer.permissions;
  }

  get served(): ServedKinds {
    return this.offer.served;
  }

  private offerFor(permissions: PermissionSet, served: ServedKinds, findings: readonly Finding[]): Offer {
    const { readOnly, confirmByArgument, structuredOutput, tools } = this.config;
    return new Offer(this.catalogue, permissions, served, {
      readOnly, confirmByArgument, structuredOutput,
      ...(tools ? { selected: { names: this.selected, patterns: tools } } : {}),
      ...(this.withdraws(findings) ? { withdrawnFor: findings } : {}),
    });
  }

  /** What a client that can ask its user is offered, for these permissions and findings (doctor, the refusal's Role). */
  advertisements(permissions = this.permissions, findings: readonly Finding[] = this.findings): Advertisement[] {
    return this.offerFor(permissions, this.served, findings).tools({ canAsk: true });
  }

  /** Whether these findings withdraw the tools: serving (not doctor), and no --accept-broad-role. */
  withdraws(findings: readonly Finding[] = this.findings): boolean {
    return this.enforcing && withdrawn(findings, this.config.acceptBroadRole);
  }

  private get enforcing(): boolean {
    return (this.options.guard ?? 'enforce') === 'enforce';
  }

  /** The IAM side's findings: only what was checked counts (an unread side is reported, never guessed). */
  get iamFindings(): IamFinding[] {
    return this.iam?.kind === 'checked' ? this.iam.findings : [];
  }

  /** Whether the start is refused: serving, and findings of either layer that no --accept-broad-role covers. */
  refuses(): boolean {
    return this.enforcing && withdrawn([...this.findings, ...this.iamFindings], this.config.acceptBroadRole);
  }

  /** The guard's findings in the log, for the operator: at start when accepted, and whenever they change. */
  logFindings(when: 'start' | 'change'): void {
    if (!this.enforcing) return;
    const findings = findingsForLog(this.findings);
    const iam = when === 'start' && this.iamFindings.length ? { iamFindings: iamFindingsForLog(this.iamFindings) } : {};
    if (this.findings.length === 0 && !('iamFindings' in iam)) {
      if (when === 'change') this.log.info({ guard: 'clear' }, 'broad grants: none any more');
    } else if (this.config.acceptBroadRole) {
      this.log.warn({ guard: 'accepted', acceptedBecause: this.config.acceptBroadRole, findings, ...iam }, 'broad role accepted by the operator (--accept-broad-role)');
    } else {
      this.log.warn({ guard: 'withdrawn', findings, kept: [...KEPT_WHEN_WITHDRAWN] },
        'broad grants appeared: tools withdrawn until the role is narrowed or the server is restarted with --accept-broad-role');
    }
  }

  /**
   * A 403 on an advertised tool: the role may have changed, so a round starts at once, unless one that a 403 started
   * began less than the gap ago; then one round at the end of the gap answers every 403 until then. An agent that
   * provokes 403s one after another costs one round per gap, not one per call.
   */
  refreshAfterForbidden(reason: string): void {
    const gap = this.options.forbiddenRefreshGapMs ?? 0;
    const wait = this.forbiddenAt + gap - performance.now();
    if (wait <= 0) {
      this.forbiddenAt = performance.now();
      void this.requestRefresh(reason, 'forbidden');
    } else if (!this.forbiddenTimer && !this.stopping) {
      this.forbiddenTimer = setTimeout(() => {
        this.forbiddenTimer = undefined;
        this.refreshAfterForbidden(`${reason} (and later 403s)`);
      }, wait);
      this.forbiddenTimer.unref();
    }
  }

  /** Starts a round unless one is running; a 403 while one runs asks for one more after it. */
  requestRefresh(reason: string, trigger: RefreshTrigger = 'interval'): Promise<boolean> {
    if (this.refreshing) {
      if (trigger === 'forbidden') this.again = reason;
      return this.refreshing;
    }
    this.refreshing = this.refresh(reason, trigger).finally(() => {
      this.refreshing = undefined;
      const again = this.again;
      this.again = undefined;
      if (again !== undefined && !this.stopping) void this.requestRefresh(`${again} (again)`, 'forbidden');
    });
    return this.refreshing;
  }

  /**
   * Where access reviews decide (no access-policy list), whether this round must ask them all again: after a 403, when
   * the identity changed, and at the long interval. Elsewhere the signals are the whole input of every decision.
   */
  private sweepDue(trigger: RefreshTrigger, identity: string | undefined): boolean {
    if (signalsSettle(this.permissions.signals)) return false;
    const full = this.options.fullRefreshIntervalMs ?? 0;
    return trigger === 'forbidden' || (identity !== undefined && this.identity !== undefined && identity !== this.identity)
      || (full > 0 && performance.now() - this.sweptAt >= full);
  }

  /**
   * A round: the signals first (rules reviews, the access-policy list, the extension groups, the served kinds); every
   * decision again only when one of them changed or a sweep is due. Swaps the permissions and tells the sessions only
   * when an answer changed.
   */
  private async refresh(reason: string, trigger: RefreshTrigger): Promise<boolean> {
    const started = performance.now();
    let next: Discovered;
    let requests: RequestCounts;
    try {
      const asksIdentity = !signalsSettle(this.permissions.signals);
      const [observed, identity] = await Promise.all([this.discovery.signals(), asksIdentity ? this.discovery.identity() : undefined]);
      let spent: RequestCounts = asksIdentity ? { [REQUEST_KINDS.identity]: 1 } : {};
      const sweep = this.sweepDue(trigger, identity);
      if (identity !== undefined) this.identity = identity;
      if (!sweep && signalsKey(observed.signals) === this.signals && observed.served === this.served) {
        // Where the signals settle, the few access reviews the rules left open are asked again with them.
        const recheck = asksIdentity ? { same: true, requests: {} } : await this.permissions.recheck();
        spent = addCounts(spent, recheck.requests);
        if (recheck.same) {
          this.roundDone({ trigger, tier: 'signals', requests: addCounts(observed.signals.requests, spent), seconds: (performance.now() - started) / 1000, changed: false }, reason);
          return false;
        }
      }
      next = await this.discovery.decide(observed);
      requests = addCounts(next.permissions.requests, spent);
      this.sweptAt = performance.now();
    } catch (error) {
      this.log.warn({ reason, err: error }, 'permission refresh failed; keeping the last known permissions');
      return false;
    }
    const changed = this.adopt(next, reason);
    this.roundDone({ trigger, tier: 'full', requests, seconds: (performance.now() - started) / 1000, changed }, reason);
    return changed;
  }

  private roundDone(round: Parameters<typeof publishRound>[0], reason: string): void {
    publishRound(round);
    this.log.debug({ reason, tier: round.tier, requests: round.requests, changed: round.changed, durationMs: Math.round(round.seconds * 1000) }, 'permissions refreshed');
  }

  /** Takes a full round's permissions; tells the sessions when what they would see changed. True when an answer did. */
  private adopt(next: Discovered, reason: string): boolean {
    this.signals = signalsKey(next.permissions.signals);
    const fingerprint = next.permissions.fingerprint();
    if (fingerprint === this.fingerprint && next.served === this.served) {
      // The same answers, but decisions made lazily since (generic tools) may be stale: start them afresh.
      this.offer = this.offerFor(next.permissions, next.served, this.findings);
      return false;
    }
    const previous = this.offer;
    const findings = findingsOf(next.permissions, this.config.namespaces);
    const findingsChanged = findingsKey(findings) !== findingsKey(this.findings);
    this.findings = findings;
    this.offer = this.offerFor(next.permissions, next.served, findings);
    this.fingerprint = fingerprint;
    if (findingsChanged) this.logFindings('change');
    const before = new Set(previous.names());
    const after = new Set(this.offer.names());
    const change = { reason, added: [...after].filter((n) => !before.has(n)), removed: [...before].filter((n) => !after.has(n)) };
    const offerChanged = previous.signature() !== this.offer.signature();
    this.log.info({ ...change, offerChanged, discoveryRequests: next.permissions.requestCount }, 'permissions changed');
    // Clients re-list only when what they would see changed (a tool, or a namespace choice), never for less.
    if (offerChanged) this.emit('permissions', change);
    return true;
  }

  /** A tool call, through the policy layer's one pipeline, against the offer of this moment. */
  call(request: CallRequest): Promise<CallOutcome> {
    const { offer, config } = this;
    return callTool({
      offer, slots: this.callSlots, log: this.log, confirmByArgument: config.confirmByArgument, answers: this.answers,
      onCall: (...call) => this.onToolCall?.(...call),
      onForbidden: (reason) => this.refreshAfterForbidden(reason),
      track: (run, outer) => this.track(run, outer),
      context: (signal) => ({
        kube: this.connection.kube, permissions: offer.permissions, apiResources: this.apiResources, signal, now: this.now, showIamIdentity: config.showIamIdentity,
      }),
    }, request);
  }

  /**
   * Runs a tool call so that shutdown can wait for it, and cancel it past the grace period. The caller's signal
   * reaches the call's through a listener, not AbortSignal.any: that one registers each call's signals with a
   * FinalizationRegistry and WeakRefs, which young-generation GCs keep alive, so every call's signals were promoted
   * to the old generation (1,000 held after 1,000 HTTP calls) and full GCs came more often.
   */
  track<T>(run: (signal: AbortSignal) => Promise<T>, outer: AbortSignal): Promise<T> {
    const abort = new AbortController();
    const onOuter = () => abort.abort(outer.reason);
    if (outer.aborted) onOuter();
    else outer.addEventListener('abort', onOuter, { once: true });
    const done = run(abort.signal);
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
    clearTimeout(this.timer);
    clearTimeout(this.forbiddenTimer);
    this.connection.eks?.accessPolicies?.destroy();
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

/**
 * The IAM side, read with the host's credentials once the connection's own are obtained: then its requests (and the
 * SDK code they load, shared with STS by then) fill discovery's waits on the cluster instead of delaying AssumeRole,
 * which every other request waits for. A start that fails for another reason aborts the reads (`signal`).
 */
function readIamSide(config: Config, connection: Connection, signal: AbortSignal): Promise<IamSide | undefined> {
  const eks = connection.eks;
  if (config.mode !== 'eks' || !eks) return Promise.resolve(undefined);
  return eks.credentials.get().then(() => checkIamSide(config, eks.host.get, signal), () => undefined);
}

/** A namespace's own object, as RBAC sees a request for it: in that namespace. */
const GET_NAMESPACE: Permission = { verb: 'get', group: '', resource: 'namespaces', scope: 'namespaced' };

function findingsOf(permissions: PermissionSet, namespaces: readonly string[]): Finding[] {
  return classifyBroadGrants((p, ns) => permissions.decision(p, ns), namespaces);
}

export async function startRuntime(config: Config, log: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  selectTools(config.tools, catalogue.map((t) => t.name)); // a --tools typo is a configuration error, before any request
  const started = performance.now();
  const connection = await connect(config);
  const stopIam = new AbortController();
  const iamSide = readIamSide(config, connection, stopIam.signal);
  const discovery = new Discovery(connection, config.namespaces, catalogue);
  // The identity is for the operator's log (the agent's whoami hides the IAM side) and the refusal's Role.
  const [{ permissions, served }, identity, iam] = await Promise.all([
    // A scope naming a namespace that does not exist is a typo. Only a role that may get a namespace can tell (any
    // other gets 403 whether or not it exists): the others are not asked, which on EKS spares a webhook call each.
    discovery.discover().then(async (found) => {
      await checkNamespaces(connection.kube, config.namespaces.filter((ns) => found.permissions.mayGrant(GET_NAMESPACE, ns)));
      return found;
    }),
    selfSubjectReview(connection.kube).then(({ extra, ...user }) => ({ ...user, ...(extra ? { extra: withoutKeyId(extra) } : {}) }), () => undefined),
    iamSide,
  ]).catch((error: unknown) => {
    stopIam.abort();
    throw error;
  });
  publishRound({ trigger: 'start', tier: 'full', requests: permissions.requests, seconds: (performance.now() - started) / 1000, changed: true });
  const runtime = new Runtime(config, connection, log, catalogue, permissions, served, {
    refreshIntervalMs: config.refreshInterval * 1000, fullRefreshIntervalMs: config.fullRefreshInterval * 1000,
    forbiddenRefreshGapMs: config.forbiddenRefreshGap * 1000, discovery, ...(identity ? { identity: identityKey(identity) } : {}),
    ...options, ...(iam ? { iam } : {}),
  });
  if (runtime.refuses()) {
    await runtime.shutdown(0);
    throw refusal(runtime, identity?.username);
  }
  runtime.logFindings('start');
  if (options.guard !== 'report') logIamSide(log, iam);
  log.info({
    connection: connection.summary,
    identity,
    namespaces: config.namespaces,
    tools: runtime.offer.names(),
    discoveryRequests: permissions.requestCount,
    discoveryRequestsByKind: permissions.requests,
    accessPolicies: describeAccessPolicies(discovery.accessPolicies),
    ...(iam ? { iamCheck: iam.kind, iamRequests: iam.requests } : {}),
    requestStateKey: runtime.answers.key,
    startupMs: Math.round(performance.now() - started),
  }, 'ready');
  if (discovery.accessPolicies.kind === 'unreadable') {
    log.warn({ accessPolicies: discovery.accessPolicies.reason, accessReviews: permissions.requests[REQUEST_KINDS.accessReview] ?? 0 },
      'EKS access policies not read: access reviews decide instead, and an access policy change is seen only after a 403 or within --full-refresh-interval; `eks-rbac-mcp doctor` says what this costs');
  }
  return runtime;
}

/**
 * V8 sizes its heap for the machine, not for this process: with 24 GiB it let RSS grow from 96 to 265 MiB over
 * 10,000 stdio calls whose live data stays under 40 MB. Favouring size keeps it near 95 MiB.
 * - Set at run time, because every launch passes here (the npm bin and npx, `node dist/cli.js`), while a start
 *   flag would need a shebang with `env -S` (which BusyBox's env lacks) or NODE_OPTIONS. V8 reads this flag while
 *   the heap runs, so it takes effect when set.
 * - Called once the runtime is ready: during the start, while the heap fills for the first time, it cost ~15% more
 *   CPU (cli --help, median of 15).
 * - For stdio only: one agent's calls, where a developer machine's memory matters more than CPU per call, yet it
 *   costs CPU there too (interleaved A/B of 4 x 2,000 calls, load ~28: 1.67 vs 1.43 ms per call, medians). An
 *   HTTP request allocates much more (a server, a web Request and Response per request): there it cost ~20% more
 *   CPU per call and a third of the throughput, so HTTP keeps V8's default sizing, which in a container follows
 *   the memory limit.
 */
export function favourSmallHeap(): void {
  v8.setFlagsFromString('--optimize-for-size');
}

/** The refusal at start, with the narrow RBAC for the tools that would be in use (the `rbac` command's output). */
function refusal(runtime: Runtime, username: string | undefined): BroadRoleRefused {
  const { config } = runtime;
  const tools = runtime.advertisements(runtime.permissions, []).map((a) => a.tool);
  const bindingRole = (config.mode === 'eks' ? config.bindingRole : undefined) ?? 'agent';
  const user = username ?? `eks-agent:${bindingRole}`;
  const command = `eks-rbac-mcp rbac --tools ${tools.map((t) => t.name).join(',')} ${config.namespaces.map((ns) => `--namespace ${ns}`).join(' ')} --user ${user}`;
  const narrow = renderRbac({
    tools, namespaces: config.namespaces, user, name: `eks-rbac-mcp-${bindingRole}`, bindingRole,
    roleArn: config.mode === 'eks' ? config.roleArn ?? '' : '', clusterName: config.mode === 'eks' ? config.clusterName : '',
    region: config.mode === 'eks' ? config.region : '', trustedPrincipal: '', kubernetesOnly: true,
  });
  const iam = runtime.iamFindings.length && config.mode === 'eks' && config.roleArn
    ? { roleArn: config.roleArn, findings: runtime.iamFindings, narrowPolicy: JSON.stringify(agentPermissionPolicy(config.roleArn, config.region, config.clusterName), null, 2) }
    : undefined;
  return new BroadRoleRefused(runtime.findings, refusalMessage(runtime.findings, command, narrow, iam), runtime.iamFindings);
}

/** What the operator should know of the IAM side at start: it was not checked (and what to grant), or its trust policy is open. */
function logIamSide(log: Logger, iam: IamSide | undefined): void {
  if (iam?.kind === 'not-checked') {
    const { message, policy } = notCheckedAdvice(iam);
    log.warn({ iam: 'not-checked', ...(iam.roleArn ? { roleArn: iam.roleArn } : {}), ...(policy ? { grantTheHost: policy } : {}) }, message);
  } else if (iam?.trust.kind === 'unpinned') {
    log.warn({ iam: 'trust-unpinned', roleArn: iam.roleArn, principals: iam.trust.principals, ...(iam.trust.sessionNames ? { sessionNames: iam.trust.sessionNames } : {}),
      pinnedTrustPolicy: JSON.parse(iam.trust.pinnedPolicy) as object }, trustWarning(iam.trust, iam.sessionName));
  }
}

/** The access key id is half of a credential: the log keeps who, not with what. */
function withoutKeyId(extra: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(extra).filter(([key]) => key.toLowerCase() !== 'accesskeyid'));
}
