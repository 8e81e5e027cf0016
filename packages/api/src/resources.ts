/**
 * The resource registry: every kind Navarch serves, with the names kubectl resolves
 * (plural, singular, short names, `resource.group`), its scope, verbs, subresources and
 * categories, plus the store key scheme and the discovery documents built from it.
 *
 * Store keys: `/registry/<resource>/<namespace>/<name>` for namespaced resources and
 * `/registry/<resource>/<name>` for cluster-scoped ones, where <resource> is the plural
 * resource name (e.g. `/registry/pods/default/web-1`, `/registry/deployments/default/web`,
 * `/registry/nodes/node-1`). One scheme for every resource: plural names are unique across
 * the groups Navarch serves (asserted below at module load), so the group is not needed in
 * the key. A list of one namespace is a prefix scan of `/registry/<resource>/<namespace>/`;
 * a list of all namespaces is a prefix scan of `/registry/<resource>/`.
 */
import type { APIGroup, APIGroupList, APIResource, APIResourceList, APIVersions } from './types/meta.js';

/** The verbs of a normal, fully writable resource, as discovery lists them. */
export const STANDARD_VERBS: readonly string[] = Object.freeze([
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
]);

/** Static description of one served resource. Instances are frozen; never mutate them. */
export interface ResourceInfo {
  /** API group; '' is the legacy core group (served under /api/v1). */
  readonly group: string;
  readonly version: string;
  /** `v1` for core, `group/version` otherwise. */
  readonly apiVersion: string;
  readonly kind: string;
  /** Lower-case plural: the URL segment and the store key segment. */
  readonly resource: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly listKind: string;
  readonly verbs: readonly string[];
  /** Subresource names served under `<resource>/<name>/<subresource>` (e.g. status, scale). */
  readonly subresources: readonly string[];
  /** Categories kubectl expands, e.g. `all`. */
  readonly categories: readonly string[];
}

interface ResourceSpec {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
  shortNames?: string[];
  subresources?: string[];
  categories?: string[];
  verbs?: readonly string[];
}

function define(spec: ResourceSpec): ResourceInfo {
  return Object.freeze({
    group: spec.group,
    version: spec.version,
    apiVersion: spec.group === '' ? spec.version : `${spec.group}/${spec.version}`,
    kind: spec.kind,
    resource: spec.resource,
    singular: spec.kind.toLowerCase(),
    namespaced: spec.namespaced,
    shortNames: Object.freeze([...(spec.shortNames ?? [])]),
    listKind: `${spec.kind}List`,
    verbs: Object.freeze([...(spec.verbs ?? STANDARD_VERBS)]),
    subresources: Object.freeze([...(spec.subresources ?? [])]),
    categories: Object.freeze([...(spec.categories ?? [])]),
  });
}

/** Every resource Navarch serves, in discovery order. */
export const RESOURCES: readonly ResourceInfo[] = Object.freeze([
  define({
    group: '',
    version: 'v1',
    kind: 'Namespace',
    resource: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  define({
    group: '',
    version: 'v1',
    kind: 'Pod',
    resource: 'pods',
    namespaced: true,
    shortNames: ['po'],
    subresources: ['status', 'binding', 'log', 'exec', 'portforward', 'attach', 'eviction'],
    categories: ['all'],
  }),
  define({
    group: '',
    version: 'v1',
    kind: 'Service',
    resource: 'services',
    namespaced: true,
    shortNames: ['svc'],
    subresources: ['status', 'proxy'],
    categories: ['all'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  define({
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    resource: 'endpoints',
    namespaced: true,
    shortNames: ['ep'],
  }),
  define({
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    resource: 'configmaps',
    namespaced: true,
    shortNames: ['cm'],
  }),
  define({ group: '', version: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true }),
  define({
    group: '',
    version: 'v1',
    kind: 'Node',
    resource: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status', 'proxy'],
  }),
  define({
    group: '',
    version: 'v1',
    kind: 'Event',
    resource: 'events',
    namespaced: true,
    shortNames: ['ev'],
  }),
  define({
    group: '',
    version: 'v1',
    kind: 'PersistentVolume',
    resource: 'persistentvolumes',
    namespaced: false,
    shortNames: ['pv'],
    subresources: ['status'],
  }),
  define({
    group: '',
    version: 'v1',
    kind: 'PersistentVolumeClaim',
    resource: 'persistentvolumeclaims',
    namespaced: true,
    shortNames: ['pvc'],
    subresources: ['status'],
  }),
  define({
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    resource: 'deployments',
    namespaced: true,
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
    categories: ['all'],
  }),
  define({
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    resource: 'replicasets',
    namespaced: true,
    shortNames: ['rs'],
    subresources: ['status', 'scale'],
    categories: ['all'],
  }),
  define({
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    resource: 'ingresses',
    namespaced: true,
    shortNames: ['ing'],
    subresources: ['status'],
  }),
  define({
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    resource: 'horizontalpodautoscalers',
    namespaced: true,
    shortNames: ['hpa'],
    subresources: ['status'],
    categories: ['all'],
  }),
  define({
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    resource: 'leases',
    namespaced: true,
  }),
]);

const byResource = new Map<string, ResourceInfo>();
const byName = new Map<string, ResourceInfo>();
for (const info of RESOURCES) {
  // The store key scheme omits the group; that is only sound while plurals are unique.
  if (byResource.has(info.resource)) throw new Error(`duplicate resource plural ${info.resource}`);
  byResource.set(info.resource, info);
  const names = [info.resource, info.singular, info.kind.toLowerCase(), ...info.shortNames];
  for (const name of names) {
    byName.set(name, info);
    byName.set(`${name}.${info.group}`, info);
    byName.set(`${name}.${info.version}.${info.group}`, info);
  }
}

/**
 * Resolves what a user types after `kubectl get`: a plural (`deployments`), singular
 * (`deployment`), kind (`Deployment`), short name (`deploy`), or any of those qualified by
 * group (`deployments.apps`) or version and group (`deployments.v1.apps`). Case-insensitive.
 * Returns undefined when nothing matches (the caller reports the error).
 */
export function lookupResource(name: string): ResourceInfo | undefined {
  const key = name.trim().toLowerCase();
  const direct = byName.get(key);
  if (direct !== undefined) return direct;
  // Core resources are also reachable as `pods.` (empty group) or `pods.v1`.
  if (key.endsWith('.')) return byName.get(key.slice(0, -1));
  const dot = key.indexOf('.');
  if (dot > 0) {
    const head = byName.get(key.slice(0, dot));
    if (head !== undefined && head.group === '' && key.slice(dot + 1) === head.version) return head;
  }
  return undefined;
}

/** The resource for an exact group and plural resource name, as in a request URL. */
export function resourceFor(group: string, resource: string): ResourceInfo | undefined {
  const info = byResource.get(resource);
  return info !== undefined && info.group === group ? info : undefined;
}

/** The resource serving `kind` in `apiVersion` (`v1`, `apps/v1`); undefined when not served. */
export function resourceForKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES.find((info) => info.apiVersion === apiVersion && info.kind === kind);
}

/** The resource serving `kind` in any group (kinds are unique among Navarch's resources). */
export function resourceByKind(kind: string): ResourceInfo | undefined {
  return RESOURCES.find((info) => info.kind === kind);
}

/** Resources in a category such as `all`, in discovery order. */
export function resourcesInCategory(category: string): ResourceInfo[] {
  return RESOURCES.filter((info) => info.categories.includes(category));
}

/** Store key of one object. Namespace is ignored for cluster-scoped resources. */
export function storageKey(info: ResourceInfo, namespace: string | undefined, name: string): string {
  return info.namespaced
    ? `/registry/${info.resource}/${namespace ?? ''}/${name}`
    : `/registry/${info.resource}/${name}`;
}

/**
 * Store key prefix for a list: all objects of the resource when namespace is undefined or
 * the resource is cluster-scoped, else those of one namespace. Always ends in `/` so that
 * namespace `a` does not match namespace `ab`.
 */
export function storagePrefix(info: ResourceInfo, namespace?: string): string {
  if (!info.namespaced || namespace === undefined || namespace === '') return `/registry/${info.resource}/`;
  return `/registry/${info.resource}/${namespace}/`;
}

/**
 * REST path of a collection or object: `/api/v1/namespaces/<ns>/pods[/<name>]` or
 * `/apis/apps/v1/namespaces/<ns>/deployments[/<name>]`; cluster-scoped or all-namespaces
 * lists omit the namespace segment. Names are URL-encoded.
 */
export function resourcePath(
  info: ResourceInfo,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  const root = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const ns =
    info.namespaced && namespace !== undefined && namespace !== ''
      ? `/namespaces/${encodeURIComponent(namespace)}`
      : '';
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  const sub = name !== undefined && subresource !== undefined ? `/${subresource}` : '';
  return `${root}${ns}/${info.resource}${object}${sub}`;
}

/** All group versions served, core first: `v1`, `apps/v1`, ... */
export function servedGroupVersions(): string[] {
  return [...new Set(RESOURCES.map((info) => info.apiVersion))];
}

/** Discovery document for one group version (`GET /api/v1`, `GET /apis/apps/v1`); undefined if not served. */
export function apiResourceList(groupVersion: string): APIResourceList | undefined {
  const infos = RESOURCES.filter((info) => info.apiVersion === groupVersion);
  if (infos.length === 0) return undefined;
  const resources: APIResource[] = [];
  for (const info of infos) {
    const main: APIResource = {
      name: info.resource,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: [...info.verbs],
    };
    if (info.shortNames.length > 0) main.shortNames = [...info.shortNames];
    if (info.categories.length > 0) main.categories = [...info.categories];
    resources.push(main);
    for (const sub of info.subresources) resources.push(subresourceEntry(info, sub));
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

function subresourceEntry(info: ResourceInfo, sub: string): APIResource {
  const entry: APIResource = {
    name: `${info.resource}/${sub}`,
    singularName: '',
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: [],
  };
  switch (sub) {
    case 'status':
      entry.verbs = ['get', 'patch', 'update'];
      break;
    case 'scale':
      entry.kind = 'Scale';
      entry.group = 'autoscaling';
      entry.version = 'v1';
      entry.verbs = ['get', 'patch', 'update'];
      break;
    case 'binding':
      entry.kind = 'Binding';
      entry.verbs = ['create'];
      break;
    case 'eviction':
      entry.kind = 'Eviction';
      entry.group = 'policy';
      entry.version = 'v1';
      entry.verbs = ['create'];
      break;
    case 'log':
      entry.verbs = ['get'];
      break;
    case 'exec':
    case 'attach':
    case 'portforward':
      entry.kind =
        sub === 'exec' ? 'PodExecOptions' : sub === 'attach' ? 'PodAttachOptions' : 'PodPortForwardOptions';
      entry.verbs = ['create', 'get'];
      break;
    case 'proxy':
      entry.kind = `${info.kind}ProxyOptions`;
      entry.verbs = ['create', 'delete', 'get', 'patch', 'update'];
      break;
    case 'finalize':
      entry.verbs = ['update'];
      break;
    default:
      entry.verbs = ['get'];
  }
  return entry;
}

/** `GET /api`. */
export function apiVersions(serverAddress = ''): APIVersions {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** `GET /apis`: every named group (core excluded) with its single served version. */
export function apiGroupList(): APIGroupList {
  const groups: APIGroup[] = [];
  for (const info of RESOURCES) {
    if (info.group === '' || groups.some((group) => group.name === info.group)) continue;
    const version = { groupVersion: info.apiVersion, version: info.version };
    groups.push({ name: info.group, versions: [version], preferredVersion: version });
  }
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}
