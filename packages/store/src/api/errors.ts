/**
 * etcd's client-visible errors: the gRPC status code and message etcd 3.4 returns for each failure
 * (clientv3 and etcdctl match on these messages), and the mapping from Navarch's typed errors.
 */
import { status } from '@grpc/grpc-js';
import { ConsensusError, ConsensusErrorCode } from '../consensus.js';
import { MvccError, MvccErrorCode } from '../mvcc/types.js';

/** A failure to send to a gRPC client as it is. */
export class EtcdStatusError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'EtcdStatusError';
  }
}

function error(code: status, message: string): () => EtcdStatusError {
  return () => new EtcdStatusError(code, message);
}

/** Factories of etcd's errors (rpctypes), by name. */
export const EtcdErrors = {
  emptyKey: error(status.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  keyNotFound: error(status.INVALID_ARGUMENT, 'etcdserver: key not found'),
  valueProvided: error(status.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  leaseProvided: error(status.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  tooManyOps: error(status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  duplicateKey: error(status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'),
  compacted: error(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  futureRevision: error(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  noSpace: error(status.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'),
  leaseNotFound: error(status.NOT_FOUND, 'etcdserver: requested lease not found'),
  leaseExists: error(status.FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  leaseTtlTooLarge: error(status.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),
  requestTooLarge: error(status.INVALID_ARGUMENT, 'etcdserver: request is too large'),
  noLeader: error(status.UNAVAILABLE, 'etcdserver: no leader'),
  timeout: error(status.UNAVAILABLE, 'etcdserver: request timed out'),
  leaderChanged: error(status.UNAVAILABLE, 'etcdserver: leader changed'),
  stopped: error(status.UNAVAILABLE, 'etcdserver: server stopped'),
  memberNotFound: error(status.NOT_FOUND, 'etcdserver: member not found'),
  peerUrlExists: error(status.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'),
  memberBadUrls: error(status.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'),
  memberNotLearner: error(status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'),
  learnerNotReady: error(
    status.FAILED_PRECONDITION,
    'etcdserver: can only promote a learner member which is in sync with leader',
  ),
  tooManyLearners: error(status.FAILED_PRECONDITION, 'etcdserver: too many learner members in cluster'),
  unhealthy: error(status.UNAVAILABLE, 'etcdserver: unhealthy cluster'),
  notLeader: error(status.FAILED_PRECONDITION, 'etcdserver: not leader'),
  badLeaderTransferee: error(status.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
  notSupportedForLearner: error(status.UNAVAILABLE, 'etcdserver: rpc not supported for learner'),
} as const;

const CONSENSUS_ERRORS: Record<ConsensusErrorCode, () => EtcdStatusError> = {
  [ConsensusErrorCode.NoLeader]: EtcdErrors.noLeader,
  [ConsensusErrorCode.Timeout]: EtcdErrors.timeout,
  [ConsensusErrorCode.LeaderChanged]: EtcdErrors.leaderChanged,
  [ConsensusErrorCode.Stopped]: EtcdErrors.stopped,
  [ConsensusErrorCode.RequestTooLarge]: EtcdErrors.requestTooLarge,
  [ConsensusErrorCode.MemberNotFound]: EtcdErrors.memberNotFound,
  [ConsensusErrorCode.PeerUrlExists]: EtcdErrors.peerUrlExists,
  [ConsensusErrorCode.MemberBadUrls]: EtcdErrors.memberBadUrls,
  [ConsensusErrorCode.MemberNotLearner]: EtcdErrors.memberNotLearner,
  [ConsensusErrorCode.LearnerNotReady]: EtcdErrors.learnerNotReady,
  [ConsensusErrorCode.TooManyLearners]: EtcdErrors.tooManyLearners,
  [ConsensusErrorCode.Unhealthy]: EtcdErrors.unhealthy,
  [ConsensusErrorCode.NotLeader]: EtcdErrors.notLeader,
  [ConsensusErrorCode.BadLeaderTransferee]: EtcdErrors.badLeaderTransferee,
  [ConsensusErrorCode.NotSupportedForLearner]: EtcdErrors.notSupportedForLearner,
};

const MVCC_ERRORS: Record<MvccErrorCode, () => EtcdStatusError> = {
  [MvccErrorCode.Compacted]: EtcdErrors.compacted,
  [MvccErrorCode.FutureRevision]: EtcdErrors.futureRevision,
  [MvccErrorCode.LeaseNotFound]: EtcdErrors.leaseNotFound,
  [MvccErrorCode.LeaseExists]: EtcdErrors.leaseExists,
  [MvccErrorCode.LeaseTtlTooLarge]: EtcdErrors.leaseTtlTooLarge,
  [MvccErrorCode.KeyNotFound]: EtcdErrors.keyNotFound,
  [MvccErrorCode.NoSpace]: EtcdErrors.noSpace,
};

/** etcd's error for an MVCC error code. */
export function mvccStatusError(code: MvccErrorCode): EtcdStatusError {
  return MVCC_ERRORS[code]();
}

/** The gRPC status to answer `failure` with; unknown errors become UNKNOWN with their message. */
export function toStatusError(failure: unknown): EtcdStatusError {
  if (failure instanceof EtcdStatusError) return failure;
  if (failure instanceof MvccError) return mvccStatusError(failure.code);
  if (failure instanceof ConsensusError) {
    const make = CONSENSUS_ERRORS[failure.code];
    if (make !== undefined) return make();
  }
  // The client went away (deadline or cancel) while the request waited: not a server failure.
  if (failure instanceof Error && failure.name === 'AbortError')
    return new EtcdStatusError(status.CANCELLED, 'context canceled');
  return new EtcdStatusError(status.UNKNOWN, failure instanceof Error ? failure.message : String(failure));
}
