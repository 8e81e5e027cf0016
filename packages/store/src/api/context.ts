/**
 * What every etcd service handler shares: the consensus, the MVCC store, the watch hub, the lessor,
 * limits, response headers, proposing, and the unary-call wrapper that maps errors to etcd's gRPC
 * statuses and counts requests.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { Consensus } from '../consensus.js';
import type { Lessor } from '../lease/lessor.js';
import type { MvccStore } from '../mvcc/store.js';
import type { MvccRequest, MvccResult } from '../mvcc/types.js';
import type { WatchHub } from '../watch/hub.js';
import { mvccStatusError, toStatusError } from './errors.js';
import type { EtcdApiMetrics } from './metrics.js';
import { proposeMvccRequest } from './propose.js';

/** Limits of the etcd API, etcd's defaults unless said otherwise. */
export interface EtcdApiLimits {
  /** Largest proposal (etcd --max-request-bytes). Default 1.5 MiB. */
  maxRequestBytes: number;
  /** Most operations in one branch of a txn (etcd --max-txn-ops). Default 128. */
  maxTxnOps: number;
  /** Backend quota; above it writes fail and the NOSPACE alarm is raised (etcd --quota-backend-bytes). Default 2 GiB. */
  quotaBackendBytes: number;
  /** Events a watch stream may have queued for a slow client before its watchers are cancelled. Default 10,000. */
  watchStreamBufferEvents: number;
  /** Interval of progress notifications to watchers that asked for them (etcd: 10 minutes). */
  watchProgressNotifyIntervalMs: number;
  /** Events per WatchResponse when replaying history (a revision is never split). Default 1000. */
  watchCatchUpBatchEvents: number;
  /**
   * Shorter lease TTLs are raised to this when proposed (etcd: 1.5 election timeouts rounded up to
   * seconds). Applied by the proposer, never inside apply, so members with different flags agree.
   */
  minLeaseTtlSeconds: number;
}

/** Default {@link EtcdApiLimits}. */
export const DEFAULT_ETCD_API_LIMITS: EtcdApiLimits = {
  maxRequestBytes: 1.5 * 1024 * 1024,
  maxTxnOps: 128,
  quotaBackendBytes: 2 * 1024 * 1024 * 1024,
  watchStreamBufferEvents: 10_000,
  watchProgressNotifyIntervalMs: 10 * 60 * 1000,
  watchCatchUpBatchEvents: 1000,
  minLeaseTtlSeconds: 2,
};

/** etcdserverpb.ResponseHeader as sent. */
export interface WireHeader {
  cluster_id: number;
  member_id: number;
  revision: number;
  raft_term: number;
}

/** The counter the API counts handled requests in (label names as grpc-go's). */
export type GrpcHandledCounter = Counter<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;

/** Shared state and helpers of the etcd services. */
export class ApiContext {
  constructor(
    readonly consensus: Consensus,
    readonly store: MvccStore,
    readonly hub: WatchHub,
    readonly lessor: Lessor,
    readonly limits: EtcdApiLimits,
    readonly logger: Logger | undefined,
    readonly version: string,
    private readonly handled: GrpcHandledCounter | undefined,
    /** API metrics, when the member has a registry. */
    readonly metrics: EtcdApiMetrics | undefined,
  ) {}

  /** A response header at `revision` (default: the current one). */
  header(revision?: number): WireHeader {
    const status = this.consensus.status();
    return {
      cluster_id: status.clusterId,
      member_id: status.memberId,
      revision: revision ?? this.store.currentRevision(),
      raft_term: status.raftTerm,
    };
  }

  /** Counts one completed request. */
  count(
    type: 'unary' | 'bidi_stream' | 'server_stream',
    service: string,
    method: string,
    code: grpc.status,
  ): void {
    this.handled?.inc({
      grpc_type: type,
      grpc_service: `etcdserverpb.${service}`,
      grpc_method: method,
      grpc_code: code,
    });
  }

  /**
   * Proposes `request` and returns its result; a rejected request throws etcd's error. Enforces the
   * request size limit and the backend quota (see proposeMvccRequest).
   */
  async propose(request: MvccRequest, signal?: AbortSignal): Promise<MvccResult> {
    const result = await proposeMvccRequest(this.consensus, this.store, this.limits, request, {
      signal,
      logger: this.logger,
    });
    if (result.error !== undefined) throw mvccStatusError(result.error);
    return result;
  }

  /** Waits for a linearizable read point unless `serializable`. */
  async readBarrier(serializable: boolean, signal?: AbortSignal): Promise<void> {
    if (!serializable) await this.consensus.readIndex(signal);
  }

  /** Wraps an async handler as a grpc-js unary handler with etcd's error mapping and metrics. */
  unary<Request, Response>(
    service: string,
    method: string,
    handler: (request: Request, signal: AbortSignal) => Promise<Response>,
  ): grpc.handleUnaryCall<Request, Response> {
    return (call, callback) => {
      const controller = new AbortController();
      let done = false;
      // grpc-js also reports 'cancelled' when the client resets a finished call: abort only waits.
      const onCancelled = () => {
        if (!done) controller.abort();
      };
      call.once('cancelled', onCancelled);
      const finish = () => {
        done = true;
        call.removeListener('cancelled', onCancelled);
      };
      handler(call.request, controller.signal).then(
        (response) => {
          finish();
          this.count('unary', service, method, 0);
          callback(null, response);
        },
        (failure: unknown) => {
          finish();
          const error = toStatusError(failure);
          if (error.code === 2)
            this.logger?.error({ component: 'etcd-api', method, err: failure }, 'request failed');
          this.count('unary', service, method, error.code);
          callback({ code: error.code, details: error.message });
        },
      );
    };
  }
}
