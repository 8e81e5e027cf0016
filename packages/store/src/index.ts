/** @navarch/store public entry. */

export { createEtcdApplication, MVCC_SUBLEVEL } from './api/application.js';
export { DEFAULT_ETCD_API_LIMITS, type EtcdApiLimits, type GrpcHandledCounter } from './api/context.js';
export { EtcdErrors, EtcdStatusError } from './api/errors.js';
export { LocalConsensus, type LocalConsensusOptions } from './api/local-consensus.js';
export { type ProposalLimits, proposeMvccRequest } from './api/propose.js';
export {
  ETCD_PROTO_LOADER_OPTIONS,
  type EtcdServiceDefinitions,
  etcdProtoDirectory,
  loadEtcdServices,
} from './api/proto.js';
export {
  EtcdApi,
  type EtcdApiOptions,
  type EtcdGrpcServer,
  etcdGrpcServerOptions,
  listenEtcdApi,
} from './api/server.js';
export * from './consensus.js';
export {
  type BidiStreamHandler,
  ClientStreamCall,
  type ClientStreamHandler,
  type GrpcHandler,
  type ServerStreamHandler,
  type ServiceImplementation,
  StreamCall,
  UnaryCall,
  type UnaryCallback,
  type UnaryHandler,
} from './grpc/call.js';
export {
  type GrpcMethodDefinition,
  GrpcServer,
  type GrpcServerOptions,
  type GrpcServiceDefinition,
} from './grpc/server.js';
export {
  encodeGrpcMessage,
  GrpcCallAbortedError,
  GrpcServerError,
  GrpcServerErrorCode,
  type GrpcStatus,
  GrpcStatusCode,
  type GrpcStatusCodeValue,
  parseGrpcTimeoutMs,
} from './grpc/status.js';
export { Lessor, type LessorOptions } from './lease/lessor.js';
// Raft member side (E2): member composition, config, metrics, driver, storage, transport.
export type {
  StoreApplication,
  StoreApplicationContext,
  StoreApplicationFactory,
} from './member/application.js';
export {
  checkUrl,
  type InitialMember,
  parseInitialCluster,
  type ResolvedMemberConfig,
  resolveMemberConfig,
  type StoreMemberConfig,
} from './member/config.js';
export { computeClusterId, computeMemberId, type DataDirIdentity } from './member/membership.js';
export { memberIdHex, StoreMetrics } from './member/metrics.js';
export { type StoreMember, type StoreMemberOptions, startStoreMember } from './member/store-member.js';
export { decodeResult as decodeMvccResult, encodeRequest as encodeMvccRequest } from './mvcc/codec.js';
export { type MvccBatchOperation, type MvccDatabase, readBackup } from './mvcc/persistence.js';
export { type LeaseChange, MAX_LEASE_TTL_SECONDS, MvccStore, type MvccStoreOptions } from './mvcc/store.js';
export * from './mvcc/types.js';
export { StoreError, StoreErrorCode } from './raftnode/errors.js';
export { RaftNode, type RaftNodeOptions } from './raftnode/raft-node.js';
export { DATA_FORMAT_CURRENT, DataFormatError, DataFormatErrorCode } from './storage/data-format.js';
export { type PersistRequest, RaftLogStorage, type StoreDatabase } from './storage/raft-log.js';
export { PeerCallError } from './transport/peer-client.js';
export {
  fetchClusterInfo,
  PeerTransport,
  type TransportHandler,
  type TransportOptions,
} from './transport/peer-transport.js';
export { type WatchBatch, type Watcher, WatchHub, type WatchSpec } from './watch/hub.js';
