/**
 * The etcd v3 API of one store member: KV, Watch, Lease, Cluster and Maintenance over gRPC, on top
 * of a {@link Consensus} and the {@link MvccStore} state machine it drives.
 *
 * Usage (the member composition does this): open the MvccStore, hand it to the Raft driver as its
 * StateMachine, then `const api = new EtcdApi({ consensus, store })`, create a {@link GrpcServer}
 * with {@link etcdGrpcServerOptions}, `api.addTo(server)`, listen on the client URL; `api.close()`
 * on stop.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Consensus } from '../consensus.js';
import { GrpcServer, type GrpcServerOptions } from '../grpc/server.js';
import { Lessor } from '../lease/lessor.js';
import type { MvccStore } from '../mvcc/store.js';
import { WatchHub } from '../watch/hub.js';
import { clusterService } from './cluster.js';
import {
  ApiContext,
  DEFAULT_ETCD_API_LIMITS,
  type EtcdApiLimits,
  type GrpcHandledCounter,
} from './context.js';
import { kvService, kvServiceDefinition } from './kv.js';
import { leaseService } from './lease.js';
import { maintenanceService } from './maintenance.js';
import { EtcdApiMetrics } from './metrics.js';
import { loadEtcdServices } from './proto.js';
import { watchService, watchServiceDefinition } from './watch.js';

/** Options of {@link EtcdApi}. */
export interface EtcdApiOptions {
  consensus: Consensus;
  store: MvccStore;
  limits?: Partial<EtcdApiLimits>;
  logger?: Logger;
  /** Version reported by Maintenance.Status (etcdctl shows it). Default "3.4.0" (the etcd API level served). */
  version?: string;
  /** Counter of handled requests (navarch_store_grpc_server_handled_total). */
  grpcHandled?: GrpcHandledCounter;
  /** Lessor expiry check interval. Default 500 ms. */
  leaseCheckIntervalMs?: number;
  /** Registry for the API's own metrics (watchers, watch buffers, MVCC state, leases). */
  registry?: Registry;
}

/** Extra bytes gRPC may carry beyond the request limit before refusing a message (etcd: 512 KiB). */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

/**
 * Options of the etcd API's gRPC server, as etcd sets them: receive limit = request limit + 512 KiB
 * (gRPC overhead), keepalive pings every 2 hours with a 20 s timeout.
 */
export function etcdGrpcServerOptions(
  limits: Partial<EtcdApiLimits> = {},
  logger?: Logger,
): GrpcServerOptions {
  const maxRequestBytes = limits.maxRequestBytes ?? DEFAULT_ETCD_API_LIMITS.maxRequestBytes;
  return {
    maxReceiveMessageBytes: maxRequestBytes + GRPC_OVERHEAD_BYTES,
    keepaliveTimeMs: 2 * 60 * 60 * 1000,
    keepaliveTimeoutMs: 20 * 1000,
    ...(logger === undefined ? {} : { logger }),
  };
}

/** The etcd services of one member. */
export class EtcdApi {
  /** Watch hub (its size is the number of watchers). */
  readonly hub: WatchHub;
  /** Lease expiry bookkeeping. */
  readonly lessor: Lessor;
  private readonly context: ApiContext;

  constructor(options: EtcdApiOptions) {
    const limits = { ...DEFAULT_ETCD_API_LIMITS, ...options.limits };
    this.hub = new WatchHub(options.store, limits.watchCatchUpBatchEvents);
    let context: ApiContext | null = null;
    this.lessor = new Lessor({
      store: options.store,
      consensus: options.consensus,
      revoke: async (id) => {
        await context?.propose({ type: 'leaseRevoke', id });
      },
      ...(options.leaseCheckIntervalMs === undefined
        ? {}
        : { checkIntervalMs: options.leaseCheckIntervalMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    context = new ApiContext(
      options.consensus,
      options.store,
      this.hub,
      this.lessor,
      limits,
      options.logger,
      options.version ?? '3.4.0',
      options.grpcHandled,
      options.registry === undefined
        ? undefined
        : new EtcdApiMetrics(options.registry, options.store, this.hub),
    );
    this.context = context;
  }

  /** Registers KV, Watch, Lease, Cluster and Maintenance on `server`. */
  addTo(server: GrpcServer): void {
    const services = loadEtcdServices();
    server.addService(kvServiceDefinition(services.KV), kvService(this.context));
    server.addService(watchServiceDefinition(services.Watch), watchService(this.context));
    server.addService(services.Lease, leaseService(this.context));
    server.addService(services.Cluster, clusterService(this.context));
    server.addService(services.Maintenance, maintenanceService(this.context));
  }

  /** Stops the lessor. Streams end when the gRPC server shuts down. */
  close(): void {
    this.lessor.close();
  }
}

/** A running gRPC server with the etcd API, for tests and single-process use. */
export interface EtcdGrpcServer {
  server: GrpcServer;
  /** Bound port. */
  port: number;
  /** Client URL (http://host:port). */
  url: string;
  /** Shuts the server down (forcefully after `graceMs`) and closes the API. */
  stop(graceMs?: number): Promise<void>;
}

/** Serves `api` on `host:port` (port 0: any free port) without TLS. */
export async function listenEtcdApi(
  api: EtcdApi,
  host = '127.0.0.1',
  port = 0,
  limits: Partial<EtcdApiLimits> = {},
): Promise<EtcdGrpcServer> {
  const server = new GrpcServer(etcdGrpcServerOptions(limits));
  api.addTo(server);
  const bound = await server.listen(host, port);
  return {
    server,
    port: bound,
    url: `http://${host}:${bound}`,
    stop: async (graceMs = 1000) => {
      api.close();
      await server.shutdown(graceMs);
    },
  };
}
