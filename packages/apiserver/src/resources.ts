/**
 * The resource registry the API server serves. @navarch/api owns the authoritative registry;
 * until its public entry exports one, this local table keeps the server self-contained.
 */

/** One REST resource: where it lives in the URL space and how discovery describes it. */
export interface ResourceInfo {
  /** API group; '' for the legacy core group served under /api/v1. */
  readonly group: string;
  readonly version: string;
  /** Lower-case plural used in paths and etcd keys, e.g. `deployments`. */
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Subresources served below the object path (`status`, `scale`). */
  readonly subresources: readonly ('status' | 'scale')[];
}

const allCategory = ['all'];

function resource(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  shortNames: string[] = [],
  categories: string[] = [],
  subresources: ('status' | 'scale')[] = ['status'],
): ResourceInfo {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames,
    categories,
    subresources,
  };
}

/** Every resource this server serves, in discovery order. */
export const RESOURCES: readonly ResourceInfo[] = [
  resource('', 'v1', 'Pod', 'pods', true, ['po'], allCategory),
  resource('', 'v1', 'Service', 'services', true, ['svc'], allCategory),
  resource('', 'v1', 'Endpoints', 'endpoints', true, ['ep'], [], []),
  resource('', 'v1', 'Namespace', 'namespaces', false, ['ns']),
  resource('', 'v1', 'Node', 'nodes', false, ['no']),
  resource('', 'v1', 'ConfigMap', 'configmaps', true, ['cm'], [], []),
  resource('', 'v1', 'Secret', 'secrets', true, [], [], []),
  resource('', 'v1', 'Event', 'events', true, ['ev'], [], []),
  resource('', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa'], [], []),
  resource('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc']),
  resource('', 'v1', 'PersistentVolume', 'persistentvolumes', false, ['pv']),
  resource('apps', 'v1', 'Deployment', 'deployments', true, ['deploy'], allCategory, ['status', 'scale']),
  resource('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs'], allCategory, ['status', 'scale']),
  resource('apps', 'v1', 'StatefulSet', 'statefulsets', true, ['sts'], allCategory, ['status', 'scale']),
  resource('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds'], allCategory),
  resource('batch', 'v1', 'Job', 'jobs', true, [], allCategory),
  resource('batch', 'v1', 'CronJob', 'cronjobs', true, ['cj'], allCategory),
  resource('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, ['ing']),
  resource('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false, [], [], []),
  resource(
    'autoscaling',
    'v2',
    'HorizontalPodAutoscaler',
    'horizontalpodautoscalers',
    true,
    ['hpa'],
    allCategory,
  ),
  resource('coordination.k8s.io', 'v1', 'Lease', 'leases', true, [], [], []),
  resource('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true, [], [], []),
];

/** `group/version` as it appears in apiVersion (`v1` for the core group). */
export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** Finds a resource by group, version and plural; undefined when not served. */
export function findResource(group: string, version: string, plural: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/**
 * The storage prefix of a resource. Versions of one group/resource share storage (like
 * Kubernetes, which stores one version and converts), so the key omits the version.
 */
export function storagePrefix(r: ResourceInfo): string {
  return r.group === '' ? `/registry/${r.plural}/` : `/registry/${r.group}/${r.plural}/`;
}

/** The etcd key of one object. */
export function objectKey(r: ResourceInfo, namespace: string | undefined, name: string): string {
  return r.namespaced ? `${storagePrefix(r)}${namespace}/${name}` : `${storagePrefix(r)}${name}`;
}

/** Groups with their served versions, the preferred (first listed) version first. */
export function servedGroups(): { name: string; versions: string[] }[] {
  const groups: { name: string; versions: string[] }[] = [];
  for (const r of RESOURCES) {
    if (r.group === '') continue;
    let g = groups.find((x) => x.name === r.group);
    if (!g) {
      g = { name: r.group, versions: [] };
      groups.push(g);
    }
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
  }
  return groups;
}
