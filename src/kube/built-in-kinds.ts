// The kinds the API server serves itself, for what must be known without a cluster to ask: which API groups are its own
// (their kinds are Go types, with strategic-merge metadata), and which of their resources are cluster-scoped, so that
// `eks-rbac-mcp rbac` puts a cluster-scoped kind in a ClusterRole (a Role's grant on it grants nothing). A test checks
// both against a real API server.

/** The API groups the API server serves itself. Custom resources (and most aggregated APIs) are in other groups. */
export const BUILT_IN_GROUPS: ReadonlySet<string> = new Set(['', 'apps', 'batch', 'autoscaling', 'policy', 'admissionregistration.k8s.io',
  'apiextensions.k8s.io', 'apiregistration.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'certificates.k8s.io', 'coordination.k8s.io',
  'discovery.k8s.io', 'events.k8s.io', 'flowcontrol.apiserver.k8s.io', 'internal.apiserver.k8s.io', 'networking.k8s.io', 'node.k8s.io',
  'rbac.authorization.k8s.io', 'resource.k8s.io', 'scheduling.k8s.io', 'storage.k8s.io', 'storagemigration.k8s.io']);

/** The cluster-scoped resources of the built-in groups, and of metrics.k8s.io (metrics-server's, served on nearly every cluster). */
const CLUSTER_SCOPED: Readonly<Record<string, readonly string[]>> = {
  '': ['componentstatuses', 'namespaces', 'nodes', 'persistentvolumes'],
  'admissionregistration.k8s.io': ['mutatingadmissionpolicies', 'mutatingadmissionpolicybindings', 'mutatingwebhookconfigurations',
    'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'validatingwebhookconfigurations'],
  'apiextensions.k8s.io': ['customresourcedefinitions'],
  'apiregistration.k8s.io': ['apiservices'],
  'authentication.k8s.io': ['selfsubjectreviews', 'tokenreviews'],
  'authorization.k8s.io': ['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'subjectaccessreviews'],
  'certificates.k8s.io': ['certificatesigningrequests', 'clustertrustbundles'],
  'flowcontrol.apiserver.k8s.io': ['flowschemas', 'prioritylevelconfigurations'],
  'internal.apiserver.k8s.io': ['storageversions'],
  'networking.k8s.io': ['ingressclasses', 'ipaddresses', 'servicecidrs'],
  'node.k8s.io': ['runtimeclasses'],
  'rbac.authorization.k8s.io': ['clusterrolebindings', 'clusterroles'],
  'resource.k8s.io': ['deviceclasses', 'devicetaintrules', 'resourceslices'],
  'scheduling.k8s.io': ['priorityclasses'],
  'storage.k8s.io': ['csidrivers', 'csinodes', 'storageclasses', 'volumeattachments', 'volumeattributesclasses'],
  'storagemigration.k8s.io': ['storageversionmigrations'],
  'metrics.k8s.io': ['nodes'],
};

/** A kind's scope where it is known without asking a cluster; undefined for a kind of another group (a custom resource's CRD says). */
export function knownScope(kind: { group: string; resource: string }): 'cluster' | 'namespaced' | undefined {
  if (!BUILT_IN_GROUPS.has(kind.group) && !Object.hasOwn(CLUSTER_SCOPED, kind.group)) return undefined;
  return CLUSTER_SCOPED[kind.group]?.includes(kind.resource) ? 'cluster' : 'namespaced';
}
