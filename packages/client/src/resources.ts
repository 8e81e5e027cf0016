/**
 * Resource identity (group, version, plural, kind, scope) and URL paths, plus the well-known
 * Kubernetes resources, used to resolve common names without a discovery round trip.
 */

/** One served resource, as discovery describes it. */
export interface ResourceInfo {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  /** Plural lower-case name used in URLs (`deployments`). */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  categories: string[];
}

/** `apps/v1` or `v1` for the core group. */
export function groupVersion(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** Splits an apiVersion (`apps/v1`, `v1`) into group and version. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * The URL of a collection or object: `/api/v1/namespaces/ns/pods/name/status`. `namespace` is
 * ignored for cluster-scoped resources; omit it on a namespaced resource to address all namespaces.
 */
export function resourcePath(
  info: ResourceInfo,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let path = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  if (info.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${info.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

/** kubectl's object prefix: `pod`, `deployment.apps` (as in `deployment.apps/my-app`). */
export function kindPrefix(info: Pick<ResourceInfo, 'kind' | 'group'>): string {
  const kind = info.kind.toLowerCase();
  return info.group ? `${kind}.${info.group}` : kind;
}

/** kubectl's resource in messages: `pods`, `deployments.apps` (as in `deployments.apps "x" not found`). */
export function qualifiedResource(info: Pick<ResourceInfo, 'resource' | 'group'>): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function r(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  shortNames: string[] = [],
  categories: string[] = [],
): ResourceInfo {
  return {
    group,
    version,
    resource,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    shortNames,
    verbs: RW,
    categories,
  };
}

/**
 * The built-in Kubernetes resources, in kubectl's discovery order. Used to resolve a user's
 * resource name without asking the server first (the server still has the last word: an
 * unserved resource fails with NotFound on the actual request).
 */
export const WELL_KNOWN_RESOURCES: readonly ResourceInfo[] = [
  r('', 'v1', 'bindings', 'Binding', true),
  r('', 'v1', 'componentstatuses', 'ComponentStatus', false, ['cs']),
  r('', 'v1', 'configmaps', 'ConfigMap', true, ['cm']),
  r('', 'v1', 'endpoints', 'Endpoints', true, ['ep']),
  r('', 'v1', 'events', 'Event', true, ['ev']),
  r('', 'v1', 'limitranges', 'LimitRange', true, ['limits']),
  r('', 'v1', 'namespaces', 'Namespace', false, ['ns']),
  r('', 'v1', 'nodes', 'Node', false, ['no']),
  r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, ['pvc']),
  r('', 'v1', 'persistentvolumes', 'PersistentVolume', false, ['pv']),
  r('', 'v1', 'pods', 'Pod', true, ['po'], ['all']),
  r('', 'v1', 'podtemplates', 'PodTemplate', true),
  r('', 'v1', 'replicationcontrollers', 'ReplicationController', true, ['rc'], ['all']),
  r('', 'v1', 'resourcequotas', 'ResourceQuota', true, ['quota']),
  r('', 'v1', 'secrets', 'Secret', true),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['sa']),
  r('', 'v1', 'services', 'Service', true, ['svc'], ['all']),
  r('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, [
    'crd',
    'crds',
  ]),
  r('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  r('apps', 'v1', 'daemonsets', 'DaemonSet', true, ['ds'], ['all']),
  r('apps', 'v1', 'deployments', 'Deployment', true, ['deploy'], ['all']),
  r('apps', 'v1', 'replicasets', 'ReplicaSet', true, ['rs'], ['all']),
  r('apps', 'v1', 'statefulsets', 'StatefulSet', true, ['sts'], ['all']),
  r('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['hpa'], ['all']),
  r('batch', 'v1', 'cronjobs', 'CronJob', true, ['cj'], ['all']),
  r('batch', 'v1', 'jobs', 'Job', true, [], ['all']),
  r('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  r('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  r('events.k8s.io', 'v1', 'events', 'Event', true, ['ev']),
  r('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false),
  r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, ['ing']),
  r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, ['netpol']),
  r('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, ['pdb']),
  r('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  r('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  r('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  r('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  r('scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false, ['pc']),
  r('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, ['sc']),
];

/**
 * Finds the resource a user means by `name` (`po`, `pod`, `pods`, `Pod`, `deployments.apps`,
 * `deploy.v1.apps`) among `resources`, preferring the core group and then list order, as kubectl's
 * RESTMapper does. Returns undefined when nothing matches.
 */
export function matchResource(resources: readonly ResourceInfo[], name: string): ResourceInfo | undefined {
  const wanted = name.toLowerCase();
  const candidates: Array<{ info: ResourceInfo; short: string }> = [];
  // `resource.version.group` or `resource.group`.
  const dot = wanted.indexOf('.');
  if (dot > 0) {
    const head = wanted.slice(0, dot);
    const rest = wanted.slice(dot + 1);
    for (const info of resources) {
      if (!nameMatches(info, head)) continue;
      if (info.group === rest || `${info.version}.${info.group}` === rest)
        candidates.push({ info, short: head });
    }
    if (candidates[0]) return candidates[0].info;
  }
  const matches = resources.filter((info) => nameMatches(info, wanted));
  return matches.find((m) => m.group === '') ?? matches[0];
}

function nameMatches(info: ResourceInfo, wanted: string): boolean {
  return (
    info.resource === wanted ||
    info.singular === wanted ||
    info.kind.toLowerCase() === wanted ||
    info.shortNames.includes(wanted)
  );
}
