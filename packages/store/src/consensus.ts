/**
 * THE CONTRACT between the store's two halves.
 *
 * - The Raft side (packages/store/src/{raftnode,transport,storage,member}, E2) implements
 *   {@link Consensus}: it orders requests through Raft and applies committed entries to a
 *   {@link StateMachine}.
 * - The API side (packages/store/src/{mvcc,lease,watch,api}, E1) implements {@link StateMachine}
 *   (the MVCC key-value store, leases, alarms) and serves the etcd v3 gRPC API on top of a
 *   {@link Consensus}.
 *
 * Composition: `createEtcdApplication` (api/application.ts) is the StoreApplicationFactory a member
 * uses; it opens the MVCC store on the member's LevelDB sublevel "mvcc" and serves the etcd API.
 * Restoring a backup (`etcdctl snapshot save` output) into a fresh data dir: open an MvccStore on
 * that sublevel and `restore({ index, data: readBackup(bytes).data })`, with `index` the applied
 * index the new Raft log starts from.
 *
 * Identifiers: member ids and the cluster id are uint64 in etcd. Navarch generates them below
 * 2^53 and keeps them as `number`; the gRPC edge converts (ids a client sends that do not fit are
 * "member not found"). Raft terms and indexes are safe integers. Lease ids are int64 values that
 * clients may choose freely, so they never pass through this contract as numbers: they live inside
 * the opaque request bytes (decimal strings).
 *
 * Errors: every rejection that a client must see with a specific etcd gRPC status is a
 * {@link ConsensusError} with one of the {@link ConsensusErrorCode} codes; the API maps each code to
 * etcd's gRPC code and message. Any other error becomes gRPC UNKNOWN.
 */

/** A member of the cluster as the Raft side knows it (from applied configuration changes). */
export interface MemberInfo {
  /** Raft node id, > 0 and < 2^53. */
  id: number;
  /** Human-readable name (`--name`); empty for a member that was added but has not started yet. */
  name: string;
  /** URLs the member's peers use to reach it. */
  peerUrls: string[];
  /** URLs clients use to reach it; empty until the member has started and published them. */
  clientUrls: string[];
  /** True for a non-voting learner. */
  isLearner: boolean;
}

/** A point-in-time view of the local member's Raft state; cheap and synchronous. */
export interface ConsensusStatus {
  /** Local member id. */
  memberId: number;
  /** Cluster id (same on every member of one cluster). */
  clusterId: number;
  /** Current leader's id, or 0 when no leader is known. */
  leaderId: number;
  /** Current Raft term. */
  raftTerm: number;
  /** Index of the last entry in the local Raft log. */
  raftIndex: number;
  /** Index of the last entry applied to the state machine. */
  raftAppliedIndex: number;
  /** True when the local member is a learner. */
  isLearner: boolean;
}

/** Stable codes of {@link ConsensusError}. */
export const ConsensusErrorCode = {
  /** No leader is known (etcd: Unavailable "etcdserver: no leader"). */
  NoLeader: 'NAVARCH_ERR_NO_LEADER',
  /** The request did not complete in time (etcd: Unavailable "etcdserver: request timed out"). */
  Timeout: 'NAVARCH_ERR_TIMEOUT',
  /** The leader changed while the request was in flight (etcd: Unavailable "etcdserver: leader changed"). */
  LeaderChanged: 'NAVARCH_ERR_LEADER_CHANGED',
  /** The member is stopping (etcd: Unavailable "etcdserver: server stopped"). */
  Stopped: 'NAVARCH_ERR_STOPPED',
  /** The proposal exceeds the request size limit (etcd: InvalidArgument "etcdserver: request is too large"). */
  RequestTooLarge: 'NAVARCH_ERR_REQUEST_TOO_LARGE',
  /** No member with that id (etcd: NotFound "etcdserver: member not found"). */
  MemberNotFound: 'NAVARCH_ERR_MEMBER_NOT_FOUND',
  /** Another member already uses one of the peer URLs (etcd: FailedPrecondition "etcdserver: Peer URLs already exists"). */
  PeerUrlExists: 'NAVARCH_ERR_PEER_URL_EXISTS',
  /** Malformed member URLs (etcd: InvalidArgument "etcdserver: given member URLs are invalid"). */
  MemberBadUrls: 'NAVARCH_ERR_MEMBER_BAD_URLS',
  /** Promote of a voter (etcd: FailedPrecondition "etcdserver: can only promote a learner member"). */
  MemberNotLearner: 'NAVARCH_ERR_MEMBER_NOT_LEARNER',
  /** Promote of a learner that lags the leader (etcd: FailedPrecondition "etcdserver: can only promote a learner member which is in sync with leader"). */
  LearnerNotReady: 'NAVARCH_ERR_LEARNER_NOT_READY',
  /** A second learner (etcd: FailedPrecondition "etcdserver: too many learner members in cluster"). */
  TooManyLearners: 'NAVARCH_ERR_TOO_MANY_LEARNERS',
  /** The change would lose quorum (etcd: FailedPrecondition "etcdserver: unhealthy cluster"). */
  Unhealthy: 'NAVARCH_ERR_UNHEALTHY',
  /** A leader-only operation on a follower (etcd: FailedPrecondition "etcdserver: not leader"). */
  NotLeader: 'NAVARCH_ERR_NOT_LEADER',
  /** MoveLeader to an unknown member or a learner (etcd: FailedPrecondition "etcdserver: bad leader transferee"). */
  BadLeaderTransferee: 'NAVARCH_ERR_BAD_LEADER_TRANSFEREE',
  /** A learner cannot serve this request (etcd: Unavailable "etcdserver: rpc not supported for learner"). */
  NotSupportedForLearner: 'NAVARCH_ERR_NOT_SUPPORTED_FOR_LEARNER',
} as const;
/** One of the {@link ConsensusErrorCode} values. */
export type ConsensusErrorCode = (typeof ConsensusErrorCode)[keyof typeof ConsensusErrorCode];

/** A typed failure of a {@link Consensus} operation; `code` is stable, `message` is for humans. */
export class ConsensusError extends Error {
  /** Stable code, see {@link ConsensusErrorCode}. */
  readonly code: ConsensusErrorCode;

  constructor(code: ConsensusErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConsensusError';
    this.code = code;
  }
}

/**
 * Orders requests through Raft. Implemented by the Raft side; used by the API side.
 *
 * Any member accepts any call: a follower forwards proposals and read-index requests to the leader.
 */
export interface Consensus {
  /**
   * Replicates `request` and resolves with the bytes that {@link StateMachine.apply} returned for
   * it on THIS member, once it is committed (a quorum has it fsynced) and applied locally.
   * Rejects with a {@link ConsensusError} (NoLeader, Timeout, LeaderChanged, Stopped,
   * RequestTooLarge) when the outcome is known not to be, or may not be, applied. `signal` aborts
   * the wait (the entry may still commit).
   */
  propose(request: Uint8Array, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * Linearizable read barrier: resolves once the local applied index is at least the leader's
   * commit index as of the call (Raft ReadIndex). Rejects like {@link propose}.
   */
  readIndex(signal?: AbortSignal): Promise<void>;
  /** The local Raft state, synchronously. */
  status(): ConsensusStatus;
  /** Current membership as known locally (applied configuration), sorted by id. */
  members(): MemberInfo[];
  /** Adds a member (a learner when `isLearner`); resolves with it once the change is applied. */
  addMember(peerUrls: string[], isLearner: boolean): Promise<MemberInfo>;
  /** Removes a member; resolves once the change is applied. */
  removeMember(id: number): Promise<void>;
  /** Promotes a learner that is in sync with the leader to a voter. */
  promoteMember(id: number): Promise<void>;
  /** Replaces a member's peer URLs. */
  updateMember(id: number, peerUrls: string[]): Promise<void>;
  /** Transfers leadership to `targetId`; only the leader accepts it (else NotLeader). */
  moveLeader(targetId: number): Promise<void>;
  /**
   * Calls `listener` whenever the locally known leader changes (`leaderId` 0: none known) and
   * returns a function that unsubscribes. It is not called at subscription: read {@link status} for
   * the current leader. The lessor uses it to run lease expiry on the leader only.
   */
  onLeaderChange(listener: (leaderId: number, isLocalLeader: boolean) => void): () => void;
}

/** A point-in-time image of a {@link StateMachine}, taken at `index`. */
export interface StateMachineSnapshot {
  /** Applied index the image reflects (the Raft snapshot's metadata index). */
  index: number;
  /** Opaque bytes; only {@link StateMachine.restore} of the same kind reads them. */
  data: Uint8Array;
}

/**
 * The replicated application. Implemented by the API side (MVCC); driven by the Raft side.
 *
 * Invariants the driver relies on:
 * - `apply` is deterministic: the same entries in the same order give the same state and results
 *   on every member (no clock, no randomness inside).
 * - `apply` is synchronous and in memory; the state machine writes its changes and its applied
 *   index atomically to its part of the member's LevelDB database in the background.
 * - {@link flush} makes everything applied so far durable (synced). The driver calls it before it
 *   compacts its Raft log below `appliedIndex()`, so that after a crash the entries after the
 *   durable applied index are still in the log and are applied again.
 * - After a restart, `appliedIndex()` is the durable applied index; the driver re-applies entries
 *   after it. Entries at or below it are never passed again.
 */
export interface StateMachine {
  /**
   * Applies the committed entry at `index` and returns the result for the proposer (the bytes
   * {@link Consensus.propose} resolves with). `request` is null for entries that carry no request
   * for this state machine (the leader's empty entry, configuration changes): the state machine
   * only records the index. `index` must be `appliedIndex() + 1`.
   *
   * `wantResult` is true only when a caller waits for this entry's result (a proposal made on this
   * member that is still pending); otherwise the state machine applies the entry just the same but
   * may skip encoding the result and return an empty array. It must not change what is applied.
   */
  apply(index: number, request: Uint8Array | null, wantResult: boolean): Uint8Array;
  /** Index of the last applied entry (0 when none). */
  appliedIndex(): number;
  /** Resolves when all state applied so far is synced to disk; returns the durable applied index. */
  flush(): Promise<number>;
  /** A consistent image of the whole state at `appliedIndex()`, taken synchronously. */
  snapshot(): StateMachineSnapshot;
  /** Replaces the whole state with `snapshot` (durably) before resolving; `appliedIndex()` becomes `snapshot.index`. */
  restore(snapshot: StateMachineSnapshot): Promise<void>;
}
