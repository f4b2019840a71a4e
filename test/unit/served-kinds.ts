// The kinds a small cluster serves, as aggregated discovery lists them: for the unit tests of the offer, which counts
// only the kinds that exist.
import { ServedKinds, type ServedResource } from '../../src/kube/api-resources.ts';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** `resource[.group]`, `!` after it for a cluster-scoped one, and its verbs after a colon when not all of them. */
export function served(...specs: string[]): ServedKinds {
  return new ServedKinds(specs.map((spec): ServedResource => {
    const [name, verbs] = spec.split(':') as [string, string | undefined];
    const cluster = name.endsWith('!');
    const [resource, ...group] = (cluster ? name.slice(0, -1) : name).split('.');
    return {
      group: group.join('.'), version: 'v1', resource: resource!, kind: resource!, namespaced: !cluster,
      verbs: verbs ? verbs.split(',') : ALL_VERBS, shortNames: [], versions: ['v1'],
    };
  }));
}

/** The built-in kinds the catalogue's tools and probes name, a CRD, and a few cluster-scoped kinds. */
export const cluster = served(
  'pods', 'events', 'configmaps', 'secrets', 'services', 'persistentvolumeclaims', 'namespaces!', 'nodes!',
  'deployments.apps', 'statefulsets.apps', 'daemonsets.apps', 'replicasets.apps', 'controllerrevisions.apps',
  'jobs.batch', 'cronjobs.batch', 'ingresses.networking.k8s.io', 'horizontalpodautoscalers.autoscaling',
  'pods.metrics.k8s.io:get,list', 'nodes.metrics.k8s.io!:get,list', 'storageclasses.storage.k8s.io!',
  'selfsubjectaccessreviews.authorization.k8s.io!:create', 'widgets.example.com',
);
