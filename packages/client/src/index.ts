/**
 * @navarch/client public entry: a typed REST client for Kubernetes-shaped API servers (Navarch's
 * and others), kubeconfig loading with kubectl's rules, discovery and watch.
 */
export {
  type DeleteOptions,
  KubeClient,
  type KubeList,
  type KubeObject,
  type ListOptions,
  type ObjectMeta,
  type PatchType,
  TABLE_ACCEPT,
  type Table,
  type WriteOptions,
} from './client.js';
export { Discovery, type ServerVersion } from './discovery.js';
export {
  ClientError,
  ConnectionError,
  isStatus,
  KubeconfigError,
  type Status,
  StatusError,
  UnknownResourceError,
} from './errors.js';
export {
  DEFAULT_SERVER,
  defaultWriteTarget,
  fileDefining,
  type KubeCluster,
  type KubeContext,
  type Kubeconfig,
  type KubeconfigFile,
  type KubeconfigLoadOptions,
  type KubeconfigOverrides,
  type KubeUser,
  kubeconfigPaths,
  type LoadedKubeconfig,
  loadKubeconfig,
  mergeKubeconfigs,
  type RestConfig,
  resolveRestConfig,
  stringifyKubeconfig,
  writeKubeconfigFile,
} from './kubeconfig.js';
export {
  groupVersion,
  kindPrefix,
  matchResource,
  parseApiVersion,
  qualifiedResource,
  type ResourceInfo,
  resourcePath,
  WELL_KNOWN_RESOURCES,
} from './resources.js';
export {
  connectionError,
  type Query,
  type RequestOptions,
  RestClient,
  type RestClientOptions,
  withQuery,
} from './rest.js';
export { parseSimpleYaml } from './simple-yaml.js';
export { decodeWatchStream, MAX_WATCH_LINE_BYTES, type WatchEvent } from './watch.js';
