/**
 * @navarch/apiserver public entry: the Kubernetes-compatible HTTPS API server over an etcd v3
 * datastore, its storage seam, PKI helpers and the pieces tests and the `navarch` binary use.
 */
export { parseCidr, parsePortRange, ServiceAllocator } from './allocator.js';
export { KUBERNETES_VERSION } from './discovery.js';
export { ApiError, type Status, type StatusCause } from './errors.js';
export { ApiServerMetrics } from './metrics.js';
export type { KubeObject, ObjectMeta } from './objects.js';
export { jsonMergePatch, jsonPatch, strategicMergePatch } from './patch.js';
export {
  defaultSans,
  ensurePki,
  ensureTokens,
  type ServerPki,
  TokenAuthenticator,
  type TokenEntry,
  writeAdminKubeconfig,
} from './pki.js';
export { RESOURCES, type ResourceInfo } from './resources.js';
export { ApiServer, type ApiServerConfig, DEFAULT_API_SERVER_LIMITS } from './server.js';
export {
  CompactedError,
  type Compare,
  EtcdKvStore,
  type KeyValue,
  type KvStore,
  prefixEnd,
  type RangeResult,
  type StoreEvent,
  type StoreWatch,
  storeKeyBytes,
  type TxnResult,
  type WriteOp,
} from './storage.js';
