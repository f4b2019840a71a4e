// Services, ConfigMaps, Jobs, CronJobs and events: the everyday namespaced reads. Each list is the API
// server's own Table (kubectl's columns), picked into a fixed row.
import { z } from 'zod';
import { KINDS } from '../src/kube/resources.ts';
import { getTool, listTool } from './common.ts';

export const servicesList = listTool({
  name: 'services_list',
  title: 'List services',
  description: 'List services: type, cluster IP, ports, age.',
  kind: KINDS.services,
  row: { name: z.string(), type: z.string(), clusterIP: z.string(), ports: z.string(), age: z.string() },
  from: { clusterIP: 'cluster-ip', ports: 'port(s)' },
});

export const servicesGet = getTool({ name: 'services_get', title: 'Get a service', description: 'Get one service as JSON.', kind: KINDS.services });

export const configmapsList = listTool({
  name: 'configmaps_list',
  title: 'List config maps',
  description: 'List config maps: number of keys, age.',
  kind: KINDS.configmaps,
  row: { name: z.string(), data: z.number(), age: z.string() },
});

export const configmapsGet = getTool({ name: 'configmaps_get', title: 'Get a config map', description: 'Get one config map with its data as JSON.', kind: KINDS.configmaps });

export const jobsList = listTool({
  name: 'jobs_list',
  title: 'List jobs',
  description: 'List jobs: status, succeeded/completions, duration, age.',
  kind: KINDS.jobs,
  row: { name: z.string(), status: z.string(), completions: z.string(), duration: z.string(), age: z.string() },
});

export const jobsGet = getTool({ name: 'jobs_get', title: 'Get a job', description: 'Get one job as JSON.', kind: KINDS.jobs });

export const cronjobsList = listTool({
  name: 'cronjobs_list',
  title: 'List cron jobs',
  description: 'List cron jobs: schedule, suspended, active, last schedule.',
  kind: KINDS.cronjobs,
  row: { name: z.string(), schedule: z.string(), suspend: z.boolean(), active: z.number(), lastSchedule: z.string() },
  from: { lastSchedule: 'last schedule' },
});

export const cronjobsGet = getTool({ name: 'cronjobs_get', title: 'Get a cron job', description: 'Get one cron job as JSON.', kind: KINDS.cronjobs });

export const eventsList = listTool({
  name: 'events_list',
  title: 'List events',
  description: 'List events: last seen, type, reason, object, message. Filter with fieldSelector, e.g. involvedObject.name=web.',
  kind: KINDS.events,
  row: { lastSeen: z.string(), type: z.string(), reason: z.string(), object: z.string(), message: z.string() },
  from: { lastSeen: 'last seen' },
});

export const namespacesList = listTool({
  name: 'namespaces_list',
  title: 'List namespaces',
  description: 'List the cluster\'s namespaces: status, age.',
  kind: KINDS.namespaces,
  row: { name: z.string(), status: z.string(), age: z.string() },
});

export const nodesList = listTool({
  name: 'nodes_list',
  title: 'List nodes',
  description: 'List the cluster\'s nodes: status, version, internal IP, age.',
  kind: KINDS.nodes,
  row: { name: z.string(), status: z.string(), version: z.string(), internalIP: z.string(), age: z.string() },
  from: { internalIP: 'internal-ip' },
});
