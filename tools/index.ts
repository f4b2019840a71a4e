// The catalogue: every tool and prompt this server can offer. Which of them an agent sees is decided by its RBAC role.
import type { Tool } from '../src/tool.ts';
import { canI, whoami } from './identity.ts';
import { podsDelete, podsExec, podsGet, podsList, podsLog } from './pods.ts';
import { deploymentsGet, deploymentsList, deploymentsRestart, deploymentsScale } from './deployments.ts';
import {
  configmapsGet, configmapsList, cronjobsGet, cronjobsList, eventsList, jobsGet, jobsList, namespacesList, nodesList,
  servicesGet, servicesList,
} from './workloads.ts';
import { resourcesGet, resourcesList } from './resources.ts';
import { resourcesDescribe } from './describe.ts';
import { resourcesDelete } from './delete.ts';
import { resourcesApply } from './apply.ts';
import { resourcesPatch } from './patch.ts';
import { rolloutHistory, rolloutStatusTool, rolloutUndo } from './rollout.ts';
import { cronjobsTrigger } from './cronjobs.ts';
import { workloadLogs } from './workload-logs.ts';
import { nodesTop, podsTop } from './metrics.ts';

export { prompts } from './prompts.ts';

export const catalogue: readonly Tool[] = [
  whoami, canI,
  podsList, podsGet, podsLog, podsDelete, podsExec,
  eventsList,
  deploymentsList, deploymentsGet, deploymentsScale, deploymentsRestart,
  rolloutStatusTool, rolloutHistory, rolloutUndo, workloadLogs,
  servicesList, servicesGet, configmapsList, configmapsGet, jobsList, jobsGet, cronjobsList, cronjobsGet, cronjobsTrigger,
  resourcesList, resourcesGet, resourcesDescribe, resourcesApply, resourcesPatch, resourcesDelete,
  namespacesList, nodesList, podsTop, nodesTop,
];
