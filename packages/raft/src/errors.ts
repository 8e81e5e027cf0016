/**
 * Typed errors of the Raft core. Each has a stable `code` (NAVARCH_ERR_RAFT_...) that callers
 * switch on; messages are for humans and may change.
 */

/** Stable error codes of the Raft core. */
export const RaftErrorCode = {
  Compacted: 'NAVARCH_ERR_RAFT_COMPACTED',
  Unavailable: 'NAVARCH_ERR_RAFT_UNAVAILABLE',
  SnapOutOfDate: 'NAVARCH_ERR_RAFT_SNAP_OUT_OF_DATE',
  SnapshotTemporarilyUnavailable: 'NAVARCH_ERR_RAFT_SNAPSHOT_TEMPORARILY_UNAVAILABLE',
  ProposalDropped: 'NAVARCH_ERR_RAFT_PROPOSAL_DROPPED',
  StepLocalMessage: 'NAVARCH_ERR_RAFT_STEP_LOCAL_MESSAGE',
  ReadyContract: 'NAVARCH_ERR_RAFT_READY_CONTRACT',
  InvalidConfig: 'NAVARCH_ERR_RAFT_INVALID_CONFIG',
  Invariant: 'NAVARCH_ERR_RAFT_INVARIANT',
} as const;
/** One of the {@link RaftErrorCode} values. */
export type RaftErrorCode = (typeof RaftErrorCode)[keyof typeof RaftErrorCode];

/** Base class of every error thrown by the Raft core. */
export class RaftError extends Error {
  /** Stable machine-readable code. */
  readonly code: RaftErrorCode;
  constructor(code: RaftErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The requested index is below the storage's first index (compacted into a snapshot). */
export class ErrCompacted extends RaftError {
  constructor(message = 'requested index is unavailable due to compaction') {
    super(RaftErrorCode.Compacted, message);
  }
}

/** The requested index is above the storage's last index. */
export class ErrUnavailable extends RaftError {
  constructor(message = 'requested entry at index is unavailable') {
    super(RaftErrorCode.Unavailable, message);
  }
}

/** The snapshot given to applySnapshot/createSnapshot is older than the storage's snapshot. */
export class ErrSnapOutOfDate extends RaftError {
  constructor(message = 'requested index is older than the existing snapshot') {
    super(RaftErrorCode.SnapOutOfDate, message);
  }
}

/** Storage is making a snapshot right now; the leader retries later. */
export class ErrSnapshotTemporarilyUnavailable extends RaftError {
  constructor(message = 'snapshot is temporarily unavailable') {
    super(RaftErrorCode.SnapshotTemporarilyUnavailable, message);
  }
}

/** Why a proposal was refused. */
export type ProposalDroppedReason =
  | 'noLeader'
  | 'notLeader'
  | 'leaderTransferInProgress'
  | 'uncommittedSizeLimit'
  | 'pendingConfChange'
  | 'invalidConfChange'
  | 'notMember';

/** A proposal was refused; the caller may retry (e.g. after a leader is known). */
export class ErrProposalDropped extends RaftError {
  /** Why it was dropped. */
  readonly reason: ProposalDroppedReason;
  constructor(reason: ProposalDroppedReason, message = `raft proposal dropped: ${reason}`) {
    super(RaftErrorCode.ProposalDropped, message);
    this.reason = reason;
  }
}

/** step() was given a message kind that only the node itself may produce. */
export class ErrStepLocalMessage extends RaftError {
  constructor(message = 'raft: cannot step raft local message') {
    super(RaftErrorCode.StepLocalMessage, message);
  }
}

/** The caller broke the Ready contract (ready() twice, advance() with a stale Ready). */
export class ErrReadyContract extends RaftError {
  constructor(message: string) {
    super(RaftErrorCode.ReadyContract, message);
  }
}

/** The Config is invalid. */
export class ErrInvalidConfig extends RaftError {
  constructor(message: string) {
    super(RaftErrorCode.InvalidConfig, message);
  }
}

/** A Raft invariant does not hold: a bug in the core or corrupted storage. Never caught on purpose. */
export class ErrInvariant extends RaftError {
  constructor(message: string) {
    super(RaftErrorCode.Invariant, message);
  }
}

/** Asserts an invariant; assertions stay on in production. */
export function invariant(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new ErrInvariant(typeof message === 'string' ? message : message());
}
