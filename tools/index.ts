// The catalogue: every tool this server can offer. Which of them an agent sees is decided by its RBAC role.
import type { ToolDeclaration } from '../src/tool.ts';
import { canI, whoami } from './identity.ts';
import { podsDelete, podsExec, podsGet, podsList, podsLog } from './pods.ts';
import { deploymentsGet, deploymentsList, deploymentsRestart, deploymentsScale } from './deployments.ts';
import {
  configmapsGet, configmapsList, cronjobsGet, cronjobsList, eventsList, jobsGet, jobsList, namespacesList, nodesList,
  servicesGet, servicesList,
} from './workloads.ts';
import { resourcesGet, resourcesList } from './resources.ts';

export const catalogue: readonly ToolDeclaration[] = [
  whoami, canI,
  podsList, podsGet, podsLog, podsDelete, podsExec,
  eventsList,
  deploymentsList, deploymentsGet, deploymentsScale, deploymentsRestart,
  servicesList, servicesGet, configmapsList, configmapsGet, jobsList, jobsGet, cronjobsList, cronjobsGet,
  resourcesList, resourcesGet,
  namespacesList, nodesList,
];
