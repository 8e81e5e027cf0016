/**
 * The resource registry the API server serves. The names, scope, short names and categories
 * of the kinds @navarch/api describes come from its registry (`resourceByKind`); the server
 * adds the kinds @navarch/api does not describe yet, and keeps its own subresource list (only
 * those it actually serves) and its own storage key layout (`/registry/<group>/<resource>/`,
 * see docs/api.md), which existing data depends on.
 */
import { resourceByKind } from '@navarch/api';

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

/** Subresources this server serves; @navarch/api also names ones it does not (log, exec, ...). */
const servedSubresources: readonly string[] = ['status', 'scale'];

/**
 * A resource described by @navarch/api. Throws at module load if the kind is missing there,
 * so a registry change is noticed at once rather than served wrongly.
 */
function shared(kind: string): ResourceInfo {
  const info = resourceByKind(kind);
  if (info === undefined)
    throw new Error(`NAVARCH_ERR_RESOURCE_UNKNOWN: @navarch/api has no resource for ${kind}`);
  return {
    group: info.group,
    version: info.version,
    kind: info.kind,
    plural: info.resource,
    singular: info.singular,
    namespaced: info.namespaced,
    shortNames: info.shortNames,
    categories: info.categories,
    subresources: info.subresources.filter((sub): sub is 'status' | 'scale' =>
      servedSubresources.includes(sub),
    ),
  };
}

/** Every resource this server serves, in discovery order. */
export const RESOURCES: readonly ResourceInfo[] = [
  shared('Pod'),
  shared('Service'),
  shared('Endpoints'),
  shared('Namespace'),
  shared('Node'),
  shared('ConfigMap'),
  shared('Secret'),
  shared('Event'),
  resource('', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa'], [], []),
  shared('PersistentVolumeClaim'),
  shared('PersistentVolume'),
  shared('Deployment'),
  shared('ReplicaSet'),
  resource('apps', 'v1', 'StatefulSet', 'statefulsets', true, ['sts'], allCategory, ['status', 'scale']),
  resource('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds'], allCategory),
  resource('batch', 'v1', 'Job', 'jobs', true, [], allCategory),
  resource('batch', 'v1', 'CronJob', 'cronjobs', true, ['cj'], allCategory),
  shared('Ingress'),
  resource('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false, [], [], []),
  shared('HorizontalPodAutoscaler'),
  shared('Lease'),
  resource('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true, [], [], []),
];

/** `group/version` as it appears in apiVersion (`v1` for the core group). */
export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** RESOURCES by `group/version/plural` (the first entry wins): every request resolves its resource here. */
const resourcesByPath = new Map<string, ResourceInfo>();
for (const r of RESOURCES) {
  const path = `${r.group}/${r.version}/${r.plural}`;
  if (!resourcesByPath.has(path)) resourcesByPath.set(path, r);
}

/** Finds a resource by group, version and plural; undefined when not served. */
export function findResource(group: string, version: string, plural: string): ResourceInfo | undefined {
  return resourcesByPath.get(`${group}/${version}/${plural}`);
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
