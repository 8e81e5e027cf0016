/**
 * Typed errors of the store member (Raft driver, storage, transport, membership). Callers
 * switch on `code`; the gRPC layer maps them to etcd's status codes and messages.
 */

/** Stable codes of {@link StoreError}. */
export const StoreErrorCode = {
  /** A persisted record failed its checksum or shape check. */
  Corrupt: 'NAVARCH_ERR_STORE_CORRUPT',
  /** No leader is known right now ("etcdserver: no leader"). */
  NoLeader: 'NAVARCH_ERR_STORE_NO_LEADER',
  /** A proposal or read did not complete in time ("etcdserver: request timed out"). */
  Timeout: 'NAVARCH_ERR_STORE_TIMEOUT',
  /** The member is stopping or stopped. */
  Stopped: 'NAVARCH_ERR_STORE_STOPPED',
  /** A proposal was dropped by Raft (leader changed, transfer in progress...). */
  ProposalDropped: 'NAVARCH_ERR_STORE_PROPOSAL_DROPPED',
  /** The data directory belongs to another cluster or member. */
  DataDirMismatch: 'NAVARCH_ERR_STORE_DATA_DIR_MISMATCH',
  /** Invalid configuration (flags, URLs, initial cluster). */
  InvalidConfig: 'NAVARCH_ERR_STORE_INVALID_CONFIG',
  /** A membership change is invalid (unknown member, duplicate peer URL, learner not ready...). */
  Membership: 'NAVARCH_ERR_STORE_MEMBERSHIP',
  /** The member id is unknown ("etcdserver: member not found"). */
  MemberNotFound: 'NAVARCH_ERR_STORE_MEMBER_NOT_FOUND',
  /** A peer URL is already used by a member ("etcdserver: Peer URLs already exists"). */
  PeerUrlExists: 'NAVARCH_ERR_STORE_PEER_URL_EXISTS',
  /** Promote of a learner that has not caught up ("etcdserver: can only promote a learner member which is in sync with leader"). */
  LearnerNotReady: 'NAVARCH_ERR_STORE_LEARNER_NOT_READY',
  /** Promote of a member that is not a learner ("etcdserver: can only promote a learner member"). */
  NotLearner: 'NAVARCH_ERR_STORE_NOT_LEARNER',
  /** Too many learners ("etcdserver: too many learner members in cluster"). */
  TooManyLearners: 'NAVARCH_ERR_STORE_TOO_MANY_LEARNERS',
  /** The operation needs the leader and this member is not it ("etcdserver: not leader"). */
  NotLeader: 'NAVARCH_ERR_STORE_NOT_LEADER',
  /** Leadership transfer target is invalid or the transfer failed. */
  LeaderTransfer: 'NAVARCH_ERR_STORE_LEADER_TRANSFER',
  /** The member was removed from the cluster. */
  Removed: 'NAVARCH_ERR_STORE_MEMBER_REMOVED',
  /** A change would leave the cluster without quorum ("etcdserver: unhealthy cluster"). */
  Unhealthy: 'NAVARCH_ERR_STORE_UNHEALTHY_CLUSTER',
} as const;
/** One of the {@link StoreErrorCode} values. */
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** An error with a stable code, raised by the store member. */
export class StoreError extends Error {
  /** Stable machine-readable code. */
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}
