import type { Logger } from 'pino';
import type { Consensus, StateMachine } from '../consensus.js';
import type { GrpcServer } from '../grpc/server.js';
import type { StoreDatabase } from '../storage/raft-log.js';
import type { StoreMetrics } from './metrics.js';

/** What a member hands the application layer (the etcd API side) when it starts. */
export interface StoreApplicationContext {
  /** The member's one LevelDB database; the application keeps to its own sublevel(s). */
  db: StoreDatabase;
  memberId: number;
  clusterId: number;
  metrics: StoreMetrics;
  logger: Logger;
  /** --quota-backend-bytes: above it, writes fail with the NOSPACE alarm. */
  quotaBackendBytes: number;
  /** --max-request-bytes. */
  maxRequestBytes: number;
  /** --election-timeout, e.g. for the minimum lease TTL. */
  electionTimeoutMs: number;
  /** --heartbeat-interval. */
  heartbeatIntervalMs: number;
}

/**
 * The application a store member replicates and serves: the state machine Raft applies to, and
 * the client gRPC services (etcd v3 KV, Watch, Lease, Cluster, Maintenance) over a Consensus.
 */
export interface StoreApplication {
  /** Applied by the Raft driver; opened and loaded before it is returned. */
  readonly stateMachine: StateMachine;
  /** Adds the client services to the member's client gRPC server. Called once, before binding. */
  addServices(server: GrpcServer, consensus: Consensus): void;
  /** Releases timers and streams; the member closes the database afterwards. */
  close(): Promise<void>;
}

/** Builds the application of a member; the default is the MVCC store with the etcd v3 API. */
export type StoreApplicationFactory = (context: StoreApplicationContext) => Promise<StoreApplication>;
