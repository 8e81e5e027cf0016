/**
 * The gate every client write passes before Raft, shared by the etcd gRPC service and by
 * in-process callers (`navarch server` on its embedded member): etcd's request size limit and
 * backend quota, raising the NOSPACE alarm the first time the quota is hit, as etcd's quota does.
 */
import { status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Consensus } from '../consensus.js';
import { txnHasPut } from '../mvcc/compare.js';
import { decodeResult, encodeRequest, MvccCodecError, MvccCodecErrorCode } from '../mvcc/request-codec.js';
import type { MvccStore } from '../mvcc/store.js';
import type { MvccRequest, MvccResult } from '../mvcc/types.js';
import { EtcdErrors, EtcdStatusError } from './errors.js';

/** The member limits a proposal is checked against. */
export interface ProposalLimits {
  readonly maxRequestBytes: number;
  readonly quotaBackendBytes: number;
}

/** Whether `request` can grow the backend (etcd's quota applies only to those). */
function needsQuota(request: MvccRequest): boolean {
  return (
    request.type === 'put' ||
    request.type === 'leaseGrant' ||
    (request.type === 'txn' && txnHasPut(request.txn))
  );
}

/** Encodes a client request; one the codec cannot represent is the client's error, not the server's. */
function encodeClientRequest(request: MvccRequest): Uint8Array {
  try {
    return encodeRequest(request);
  } catch (error) {
    if (error instanceof MvccCodecError && error.code === MvccCodecErrorCode.Unencodable) {
      throw new EtcdStatusError(status.INVALID_ARGUMENT, `etcdserver: ${error.message}`);
    }
    throw error;
  }
}

/**
 * Proposes `request` through `consensus` and returns its applied result, which may carry an MVCC
 * error code for the caller to map. Throws etcd's errors for a request over the size limit or a
 * write beyond the quota.
 */
export async function proposeMvccRequest(
  consensus: Consensus,
  store: MvccStore,
  limits: ProposalLimits,
  request: MvccRequest,
  options: { signal?: AbortSignal | undefined; logger?: Logger | undefined } = {},
): Promise<MvccResult> {
  const bytes = encodeClientRequest(request);
  if (bytes.length > limits.maxRequestBytes) throw EtcdErrors.requestTooLarge();
  if (needsQuota(request) && store.sizeBytes() + bytes.length > limits.quotaBackendBytes) {
    if (!store.alarms().some((alarm) => alarm.alarm === 'NOSPACE')) {
      options.logger?.warn({ component: 'etcd-api', sizeBytes: store.sizeBytes() }, 'backend quota exceeded');
      const memberId = consensus.status().memberId;
      await consensus
        .propose(encodeRequest({ type: 'alarm', action: 'ACTIVATE', memberId, alarm: 'NOSPACE' }))
        .catch((error: unknown) =>
          options.logger?.warn({ component: 'etcd-api', err: error }, 'raising NOSPACE failed'),
        );
    }
    throw EtcdErrors.noSpace();
  }
  return decodeResult(await consensus.propose(bytes, options.signal));
}
