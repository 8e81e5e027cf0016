/**
 * What every etcd service handler shares: the consensus, the MVCC store, the watch hub, the lessor,
 * limits, response headers, proposing, and the unary-call wrapper that maps errors to etcd's gRPC
 * statuses and counts requests.
 */
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { Consensus } from '../consensus.js';
import type { UnaryHandler } from '../grpc/call.js';
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

/**
 * The cancellation of the call a handler serves. The AbortSignal is made on first use (it costs
 * several microseconds), so handlers read it only where they wait on something cancellable.
 */
export interface CallSignal {
  readonly signal: AbortSignal;
  /** Why the call was aborted, or null while it is live. */
  readonly abortReason: Error | null;
  /** Calls `listener` once when the call is aborted (at once if it already was); no AbortSignal made. */
  whenAborted(listener: (reason: Error) => void): void;
}

/** etcdserverpb.ResponseHeader as sent. */
export interface WireHeader {
  cluster_id: number;
  member_id: number;
  revision: number;
  raft_term: number;
}

/** The counter the API counts handled requests in (label names as grpc-go's). */
export type GrpcHandledCounter = Counter<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;

/** `pending`, or its call's abort reason if the call is aborted first. */
function untilAborted<T>(pending: Promise<T>, call: CallSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    call.whenAborted(reject);
    pending.then(resolve, reject);
  });
}

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
    code: number,
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
   * request size limit and the backend quota (see proposeMvccRequest). `cancel`: the call's
   * cancellation (preferred: it needs no AbortSignal while a leader is known) or a signal.
   */
  async propose(request: MvccRequest, cancel?: AbortSignal | CallSignal): Promise<MvccResult> {
    const result = await this.proposeCancellable(request, cancel);
    if (result.error !== undefined) throw mvccStatusError(result.error);
    return result;
  }

  private proposeCancellable(
    request: MvccRequest,
    cancel: AbortSignal | CallSignal | undefined,
  ): Promise<MvccResult> {
    const options = { signal: undefined as AbortSignal | undefined, logger: this.logger };
    if (cancel === undefined || cancel instanceof AbortSignal) {
      options.signal = cancel;
    } else if (this.consensus.status().leaderId === 0) {
      // Waiting for a leader: the consensus must see the cancellation so that it never proposes.
      options.signal = cancel.signal;
    } else {
      // With a leader the proposal reaches Raft before any I/O event (a cancellation) can arrive,
      // so cancelling can only end the wait for its result: do that here and spare the AbortSignal
      // (and its listener). The consensus still settles the proposal (applied or timed out).
      return untilAborted(
        proposeMvccRequest(this.consensus, this.store, this.limits, request, options),
        cancel,
      );
    }
    return proposeMvccRequest(this.consensus, this.store, this.limits, request, options);
  }

  /**
   * Waits for a linearizable read point unless `serializable`. As for proposals, with a leader
   * known the read request goes out at once and cancelling only ends the wait, so no AbortSignal
   * is made; the consensus still settles the request (confirmed or timed out) by itself.
   */
  async readBarrier(serializable: boolean, call?: CallSignal): Promise<void> {
    if (serializable) return;
    if (call === undefined) await this.consensus.readIndex();
    else if (this.consensus.status().leaderId === 0) await this.consensus.readIndex(call.signal);
    else await untilAborted(this.consensus.readIndex(), call);
  }

  /** Wraps an async handler as a unary gRPC handler with etcd's error mapping and metrics. */
  unary<Request, Response>(
    service: string,
    method: string,
    handler: (request: Request, call: CallSignal) => Promise<Response>,
  ): UnaryHandler<Request, Response> {
    return (call, callback) => {
      handler(call.request, call).then(
        (response) => {
          this.count('unary', service, method, 0);
          callback(null, response);
        },
        (failure: unknown) => {
          // A call the client cancelled or whose deadline passed has ended already: count why.
          const aborted = call.abortReason;
          if (aborted !== null) {
            this.count('unary', service, method, aborted.code);
            return;
          }
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
