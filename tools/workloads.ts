// Services, ConfigMaps, Jobs, CronJobs and events: the everyday namespaced reads.
import { z } from 'zod';
import { age, type KubeObject } from '../src/format.ts';
import { KINDS } from '../src/kube/resources.ts';
import { getTool, listTool } from './common.ts';

type Loose = KubeObject & { spec?: any; status?: any; data?: Record<string, string> };
const name = (o: KubeObject) => o.metadata?.name ?? '';
const created = (o: KubeObject, now: Date) => age(o.metadata?.creationTimestamp, now);

export const servicesList = listTool({
  name: 'services_list',
  title: 'List services',
  description: 'List services: type, cluster IP, ports, age.',
  kind: KINDS.services,
  row: { name: z.string(), type: z.string(), clusterIP: z.string(), ports: z.string(), age: z.string() },
  toRow: (o: Loose, now) => ({
    name: name(o),
    type: o.spec?.type ?? '',
    clusterIP: o.spec?.clusterIP ?? '',
    ports: (o.spec?.ports ?? []).map((p: { port: number; protocol?: string; targetPort?: unknown }) => `${p.port}${p.targetPort !== undefined ? `:${p.targetPort}` : ''}/${p.protocol ?? 'TCP'}`).join(','),
    age: created(o, now),
  }),
});

export const servicesGet = getTool({ name: 'services_get', title: 'Get a service', description: 'Get one service as JSON.', kind: KINDS.services });

export const configmapsList = listTool({
  name: 'configmaps_list',
  title: 'List config maps',
  description: 'List config maps: number of keys, age (configmaps_get shows the data).',
  kind: KINDS.configmaps,
  row: { name: z.string(), keys: z.number(), age: z.string() },
  // The server's table counts the keys: the data itself is not downloaded for a list.
  toRow: (o: Loose, now) => ({ name: name(o), keys: Object.keys(o.data ?? {}).length, age: created(o, now) }),
  fromTable: (cells) => ({ name: String(cells['name'] ?? ''), keys: Number(cells['data'] ?? 0) || 0, age: String(cells['age'] ?? '-') }),
});

export const configmapsGet = getTool({ name: 'configmaps_get', title: 'Get a config map', description: 'Get one config map with its data as JSON.', kind: KINDS.configmaps });

export const jobsList = listTool({
  name: 'jobs_list',
  title: 'List jobs',
  description: 'List jobs: succeeded/completions, active, failed, age.',
  kind: KINDS.jobs,
  row: { name: z.string(), completions: z.string(), active: z.number(), failed: z.number(), age: z.string() },
  toRow: (o: Loose, now) => ({
    name: name(o),
    completions: `${o.status?.succeeded ?? 0}/${o.spec?.completions ?? 1}`,
    active: o.status?.active ?? 0,
    failed: o.status?.failed ?? 0,
    age: created(o, now),
  }),
});

export const jobsGet = getTool({ name: 'jobs_get', title: 'Get a job', description: 'Get one job as JSON.', kind: KINDS.jobs });

export const cronjobsList = listTool({
  name: 'cronjobs_list',
  title: 'List cron jobs',
  description: 'List cron jobs: schedule, suspended, active, last schedule.',
  kind: KINDS.cronjobs,
  row: { name: z.string(), schedule: z.string(), suspend: z.boolean(), active: z.number(), lastSchedule: z.string() },
  toRow: (o: Loose, now) => ({
    name: name(o),
    schedule: o.spec?.schedule ?? '',
    suspend: o.spec?.suspend ?? false,
    active: (o.status?.active ?? []).length,
    lastSchedule: age(o.status?.lastScheduleTime, now),
  }),
});

export const cronjobsGet = getTool({ name: 'cronjobs_get', title: 'Get a cron job', description: 'Get one cron job as JSON.', kind: KINDS.cronjobs });

export const eventsList = listTool({
  name: 'events_list',
  title: 'List events',
  description: 'List events: last seen, type, reason, object, message. Filter with fieldSelector, e.g. involvedObject.name=web.',
  kind: KINDS.events,
  row: { lastSeen: z.string(), type: z.string(), reason: z.string(), object: z.string(), message: z.string() },
  toRow: (o: Loose, now) => ({
    lastSeen: age((o as any).lastTimestamp ?? (o as any).eventTime ?? o.metadata?.creationTimestamp, now),
    type: (o as any).type ?? '',
    reason: (o as any).reason ?? '',
    object: `${(o as any).involvedObject?.kind ?? ''}/${(o as any).involvedObject?.name ?? ''}`.toLowerCase(),
    message: ((o as any).message ?? '').replace(/\s+/g, ' ').trim(),
  }),
  fromTable: (cells) => ({
    lastSeen: String(cells['last seen'] ?? '-'),
    type: String(cells['type'] ?? ''),
    reason: String(cells['reason'] ?? ''),
    object: String(cells['object'] ?? '').toLowerCase(),
    message: String(cells['message'] ?? '').replace(/\s+/g, ' ').trim(),
  }),
});

export const namespacesList = listTool({
  name: 'namespaces_list',
  title: 'List namespaces',
  description: 'List the cluster\'s namespaces: status, age.',
  kind: KINDS.namespaces,
  row: { name: z.string(), status: z.string(), age: z.string() },
  toRow: (o: Loose, now) => ({ name: name(o), status: o.status?.phase ?? '', age: created(o, now) }),
});

export const nodesList = listTool({
  name: 'nodes_list',
  title: 'List nodes',
  description: 'List the cluster\'s nodes: ready, version, internal IP, age.',
  kind: KINDS.nodes,
  row: { name: z.string(), ready: z.string(), version: z.string(), internalIP: z.string(), age: z.string() },
  toRow: (o: Loose, now) => ({
    name: name(o),
    ready: (o.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready')?.status ?? 'Unknown',
    version: o.status?.nodeInfo?.kubeletVersion ?? '',
    internalIP: (o.status?.addresses ?? []).find((a: { type: string }) => a.type === 'InternalIP')?.address ?? '',
    age: created(o, now),
  }),
});
