// What `kubectl describe` tells a person, as compact lines for an agent: conditions, container states with
// the last termination and probes, revisions. Small pure functions over the API's objects, no I/O.
import { age, type KubeObject } from './format.ts';

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** `Available=False MinimumReplicasUnavailable (5m): Deployment does not have minimum availability.` */
export function conditionLine(c: Condition, now: Date): string {
  const when = c.lastTransitionTime ? ` (${age(c.lastTransitionTime, now)})` : '';
  return `${c.type ?? '?'}=${c.status ?? '?'}${c.reason ? ` ${c.reason}` : ''}${when}${c.message ? `: ${oneLine(c.message)}` : ''}`;
}

export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

interface Probe {
  httpGet?: { path?: string; port?: number | string; scheme?: string };
  tcpSocket?: { port?: number | string };
  grpc?: { port?: number };
  exec?: { command?: string[] };
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
}

/** kubectl's probe line: `http-get :8080/healthz delay=0s timeout=1s period=10s #failure=3`. */
export function probeLine(p: Probe): string {
  const how = p.httpGet ? `http-get ${(p.httpGet.scheme ?? 'HTTP').toLowerCase()}://:${p.httpGet.port ?? ''}${p.httpGet.path ?? '/'}`
    : p.tcpSocket ? `tcp-socket :${p.tcpSocket.port ?? ''}`
      : p.grpc ? `grpc :${p.grpc.port ?? ''}`
        : p.exec ? `exec ${JSON.stringify(p.exec.command ?? [])}` : 'unknown';
  return `${how} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #failure=${p.failureThreshold ?? 3}`;
}

interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { reason?: string; exitCode?: number; message?: string; finishedAt?: string };
}

export function stateLine(state: ContainerState | undefined, now: Date): string {
  if (state?.running) return `Running (${age(state.running.startedAt, now)})`;
  if (state?.waiting) return `Waiting: ${state.waiting.reason ?? '?'}${state.waiting.message ? ` (${oneLine(state.waiting.message, 160)})` : ''}`;
  if (state?.terminated) {
    const t = state.terminated;
    return `Terminated: ${t.reason ?? '?'} (exit ${t.exitCode ?? '?'}${t.finishedAt ? `, ${age(t.finishedAt, now)} ago` : ''})${t.message ? ` ${oneLine(t.message, 160)}` : ''}`;
  }
  return 'Unknown';
}

export interface ContainerSummary {
  name: string;
  image: string;
  state: string;
  ready: boolean;
  restarts: number;
  lastTermination?: string;
  probes?: Record<string, string>;
}

interface PodLike extends KubeObject {
  spec?: { nodeName?: string; initContainers?: ContainerSpec[]; containers?: ContainerSpec[] };
  status?: { phase?: string; reason?: string; message?: string; podIP?: string; conditions?: Condition[]; initContainerStatuses?: ContainerStatus[]; containerStatuses?: ContainerStatus[] };
}
interface ContainerSpec { name: string; image?: string; livenessProbe?: Probe; readinessProbe?: Probe; startupProbe?: Probe }
interface ContainerStatus { name: string; ready?: boolean; restartCount?: number; state?: ContainerState; lastState?: ContainerState }

/** Each container of a pod (init containers first): its state, restarts with the last termination, probes. */
export function podContainers(pod: PodLike, now: Date): ContainerSummary[] {
  const statuses = new Map([...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map((s) => [s.name, s]));
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => {
    const s = statuses.get(c.name);
    const probes = Object.fromEntries((['liveness', 'readiness', 'startup'] as const)
      .filter((k) => c[`${k}Probe`]).map((k) => [k, probeLine(c[`${k}Probe`]!)]));
    return {
      name: c.name,
      image: c.image ?? '',
      state: stateLine(s?.state, now),
      ready: s?.ready ?? false,
      restarts: s?.restartCount ?? 0,
      ...(s?.lastState?.terminated ? { lastTermination: stateLine(s.lastState, now).replace(/^Terminated: /, '') } : {}),
      ...(Object.keys(probes).length ? { probes } : {}),
    };
  });
}

/** One revision of a workload's pod template: a ReplicaSet (Deployments) or a ControllerRevision. */
export interface Revision {
  revision: number;
  name: string;
  /** Pods of this revision, ready/desired, where the revision carries them (ReplicaSets). */
  pods?: string;
  images: string[];
  age: string;
}

/** A description as indented `key: value` lines (YAML-like, no quoting): what a person reads in kubectl describe. */
export function renderLines(value: unknown, indent = ''): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (item === null || typeof item !== 'object') return [`${indent}- ${String(item)}`];
      const [first, ...rest] = renderLines(item, `${indent}  `);
      return first === undefined ? [] : [`${indent}- ${first.trimStart()}`, ...rest];
    });
  }
  if (value === null || typeof value !== 'object') return [`${indent}${String(value)}`];
  return Object.entries(value).flatMap(([key, child]) => {
    if (child === undefined) return [];
    if (child === null || typeof child !== 'object') return [`${indent}${key}: ${String(child)}`];
    if (Array.isArray(child) && child.length === 0) return [];
    return [`${indent}${key}:`, ...renderLines(child, `${indent}  `)];
  });
}
