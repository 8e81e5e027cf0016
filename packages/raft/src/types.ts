/**
 * Public data types of the Raft core. Everything here is plain data so that callers (the store's
 * driver, the simulator) can persist, copy, serialize and inspect it without touching the state
 * machine. Node ids, terms and indexes are safe integers; node id 0 means "none". Payloads are
 * `Uint8Array`. These shapes are a contract: they only ever grow additively.
 */

/** Node id that means "no node" (no leader, no vote). */
export const NONE = 0;

/**
 * Kinds of Raft messages. Values are stable strings (safe to log and to put on a wire).
 * "Local" kinds are produced and consumed inside one node and must never be sent to a peer:
 * Hup, Beat, Unreachable, SnapStatus, CheckQuorum.
 */
export const MessageType = {
  /** Local: start an election (campaign). */
  Hup: 'MsgHup',
  /** Local: the leader should broadcast heartbeats now. */
  Beat: 'MsgBeat',
  /** Proposal of new entries; a follower forwards it to its leader. */
  Prop: 'MsgProp',
  /** AppendEntries: `index`/`logTerm` name the entry preceding `entries`. */
  App: 'MsgApp',
  /**
   * AppendEntries response. On success `index` is the last index the follower now matches.
   * On rejection `index` echoes the rejected probe index, `rejectHint` is the index the leader
   * should probe next and `logTerm` is the follower's term at `rejectHint` (fast backtracking).
   */
  AppResp: 'MsgAppResp',
  /** RequestVote: `index`/`logTerm` are the candidate's last index and term. */
  Vote: 'MsgVote',
  VoteResp: 'MsgVoteResp',
  /** Pre-vote (does not bump terms): `term` is the term the sender would campaign in. */
  PreVote: 'MsgPreVote',
  PreVoteResp: 'MsgPreVoteResp',
  /** InstallSnapshot: `snapshot` is set. */
  Snap: 'MsgSnap',
  Heartbeat: 'MsgHeartbeat',
  HeartbeatResp: 'MsgHeartbeatResp',
  /** Local: the transport could not reach `from` (reportUnreachable). */
  Unreachable: 'MsgUnreachable',
  /** Local: result of sending a snapshot to `from`; `reject` true means failure (reportSnapshot). */
  SnapStatus: 'MsgSnapStatus',
  /** Local: the leader checks that a quorum is still active. */
  CheckQuorum: 'MsgCheckQuorum',
  /** Request that the leader transfer leadership to `from`. */
  TransferLeader: 'MsgTransferLeader',
  /** Sent by the leader to the transfer target: campaign immediately, ignoring leases. */
  TimeoutNow: 'MsgTimeoutNow',
  /** Linearizable read request; `context` identifies it. A follower forwards it to the leader. */
  ReadIndex: 'MsgReadIndex',
  /** Answer to a forwarded ReadIndex: `index` is the read index, `context` echoes the request. */
  ReadIndexResp: 'MsgReadIndexResp',
} as const;
/** One of the {@link MessageType} values. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Kind of a log entry: an application command or an encoded {@link ConfChange}. */
export type EntryType = 'normal' | 'confChange';

/** One Raft log entry. Invariant: within a log, indexes are contiguous and terms never decrease. */
export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Application payload; for `confChange` entries, {@link encodeConfChange} output. Empty for the leader's no-op. */
  data: Uint8Array;
}

/** State that must be on stable storage before any message of the same Ready is sent. */
export interface HardState {
  /** Current term. Never decreases. */
  term: number;
  /** Candidate voted for in `term`, or {@link NONE}. */
  vote: number;
  /** Highest index known committed. Never decreases. */
  commit: number;
}

/** Cluster membership: voters decide elections and commits; learners only receive the log. */
export interface ConfState {
  voters: number[];
  learners: number[];
}

/** Describes the state a snapshot captures. */
export interface SnapshotMetadata {
  /** Index of the last entry included in the snapshot. */
  index: number;
  /** Term of that entry. */
  term: number;
  /** Membership as of `index`. */
  confState: ConfState;
}

/** A point-in-time image of the application state machine. `metadata.index` 0 means "no snapshot". */
export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

/** A message between Raft nodes. Fields a kind does not use are 0 / false / empty. */
export interface Message {
  type: MessageType;
  from: number;
  to: number;
  term: number;
  /** Term of the entry at `index` (meaning depends on `type`, see {@link MessageType}). */
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  reject: boolean;
  /** On a rejected AppResp: the index the leader should probe next. */
  rejectHint: number;
  snapshot?: Snapshot;
  /** Opaque request context (ReadIndex, heartbeats confirming a read, campaign-transfer marker). */
  context?: Uint8Array;
}

/** Kind of membership change. Promoting a learner is `addNode` on an existing learner. */
export type ConfChangeType = 'addNode' | 'addLearnerNode' | 'removeNode';

/** One membership change, proposed with proposeConfChange and applied with applyConfChange. */
export interface ConfChange {
  type: ConfChangeType;
  nodeId: number;
  /** Opaque to Raft (e.g. the new member's peer URLs). */
  context?: Uint8Array;
}

/** Answer to a readIndex() request: reads are linearizable once the app has applied `index`. */
export interface ReadState {
  index: number;
  /** Echoes the context given to readIndex(). */
  context: Uint8Array;
}

/** Role of a node. */
export type StateRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state, useful for logging and for knowing who leads; need not be persisted. */
export interface SoftState {
  leaderId: number;
  role: StateRole;
}

/**
 * Everything the state machine wants the caller to do, produced by `RawNode.ready()`.
 *
 * Contract, in this order:
 * 1. Persist, in this order, `snapshot` (if present: it replaces the log), `entries` (append,
 *    truncating any conflicting suffix; one Ready may carry a snapshot at S and entries from S+1)
 *    and `hardState` (if present) to stable storage — fsync'd when `mustSync` is true — atomically:
 *    a crash may lose a whole Ready, but never keep its entries while losing its hardState
 *    (a node holding two conf change entries above a stale commit could campaign under a
 *    configuration two changes old).
 * 2. Only then send `messages` (a vote or an acknowledgement must never precede the durable state
 *    that it promises).
 * 3. Apply `snapshot` (if present) and then `committedEntries`, in order, to the application
 *    state machine; for a `confChange` entry, call `RawNode.applyConfChange()`.
 * 4. Call `RawNode.advance(ready)` with this very object.
 * `ready()` may not be called again before `advance()`; `advance()` only accepts the last Ready.
 * Both misuses throw ErrReadyContract. `tick()`, `step()` and requests may be called while a
 * Ready is being handled (e.g. during an asynchronous fsync); `hasReady()` is false meanwhile.
 * The transport reports a MsgSnap it could not deliver with `reportSnapshot(to, 'failure')`.
 */
export interface Ready {
  /** Present when leader or role changed since the previous Ready. */
  softState?: SoftState;
  /** Present when it changed since the previous Ready; must be persisted. */
  hardState?: HardState;
  /** Answers to readIndex() calls, in request order. */
  readStates: ReadState[];
  /** New log entries to append to stable storage. */
  entries: Entry[];
  /** A snapshot to persist and install (a leader sent it); present only when non-empty. */
  snapshot?: Snapshot;
  /** Committed entries to apply, contiguous and in order. */
  committedEntries: Entry[];
  /** Messages to send once step 1 is durable. */
  messages: Message[];
  /** True when hardState/entries must be fsync'd before sending (term, vote or log changed). */
  mustSync: boolean;
}

/** Replication state of one follower as seen by the leader. */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** Leader's view of one peer, exposed through Status. */
export interface ProgressStatus {
  id: number;
  /** Highest index known replicated on the peer. */
  match: number;
  /** Next index to send. */
  next: number;
  state: ProgressState;
  isLearner: boolean;
  recentActive: boolean;
  /** In `snapshot` state: the index of the snapshot in flight. */
  pendingSnapshot: number;
  /** Number of AppendEntries messages in flight. */
  inflight: number;
}

/** A read-only picture of a node, for metrics, logs and tests. */
export interface Status {
  id: number;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  lastIndex: number;
  confState: ConfState;
  /** Node a leadership transfer is going to, or NONE. */
  leadTransferee: number;
  /** Per-peer progress; only filled on the leader (empty otherwise). */
  progress: ProgressStatus[];
}

/**
 * Read access to the persisted log that the state machine needs. All methods are synchronous:
 * an implementation backed by disk keeps what is needed (entry terms, the tail of the log) in
 * memory. Indexes below firstIndex() are compacted (ErrCompacted); above lastIndex() unavailable
 * (ErrUnavailable).
 */
export interface Storage {
  /**
   * Persisted hard state, and the membership as of the snapshot (or any later index up to the
   * applied index given in Config.applied: the node replays conf change entries up to `applied`).
   */
  initialState(): { hardState: HardState; confState: ConfState };
  /**
   * Entries in [lo, hi), at most `maxSizeBytes` in total (always at least one entry if lo < hi).
   * Throws ErrCompacted if lo < firstIndex(), ErrUnavailable if hi > lastIndex() + 1.
   */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[];
  /** Term of entry `index`; valid for firstIndex()-1 .. lastIndex(). Throws ErrCompacted / ErrUnavailable. */
  term(index: number): number;
  /** Index of the first entry still available (snapshot index + 1). */
  firstIndex(): number;
  /** Index of the last entry. */
  lastIndex(): number;
  /** The most recent snapshot; may throw ErrSnapshotTemporarilyUnavailable while one is being made. */
  snapshot(): Snapshot;
}

/** Severity of a log line emitted by the core. */
export type RaftLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Pure logging callback: the core calls it synchronously; it must not call back into the node. */
export type RaftLogger = (level: RaftLogLevel, message: string, fields: Record<string, unknown>) => void;

/**
 * Deliberate protocol bugs, FOR TESTS ONLY: the simulator turns one on to prove that its checkers
 * catch real safety violations. Never set in production.
 */
export interface TestingBugs {
  /** Leader commits entries of earlier terms by counting replicas (violates Raft §5.4.2). */
  commitPreviousTermEntries?: boolean;
  /** Grant votes but leave `vote` out of the persisted HardState (vote forgotten on restart). */
  forgetVoteOnRestart?: boolean;
  /** Follower accepts AppendEntries without checking prevLogIndex/prevLogTerm. */
  skipPrevLogCheck?: boolean;
}

/** Configuration of one Raft node. All limits live here, units in the names. */
export interface Config {
  /** This node's id; must not be NONE. */
  id: number;
  /** Base election timeout in ticks; the actual timeout is random in [electionTicks, 2*electionTicks). */
  electionTicks: number;
  /** Ticks between leader heartbeats; must be less than electionTicks. */
  heartbeatTicks: number;
  /** The persisted log. */
  storage: Storage;
  /** Seeded source of randomness, returning numbers in [0, 1). The core has no other source of randomness. */
  random: () => number;
  /**
   * Last index the application has applied (on restart; at least the snapshot index); entries at
   * or below it are not re-delivered, and their conf changes are re-applied to the membership by
   * the node itself. Default 0.
   */
  applied?: number;
  /** Upper bound on the bytes of entries in one AppendEntries message (always at least one entry). Default 1 MiB. */
  maxSizePerMsgBytes?: number;
  /** Upper bound on the bytes of committed entries in one Ready. Default 64 MiB. */
  maxCommittedSizePerReadyBytes?: number;
  /** Upper bound on AppendEntries messages in flight to one follower in replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** Upper bound on the payload bytes of uncommitted entries on a leader; propose then fails. 0 = unlimited (default). */
  maxUncommittedEntriesBytes?: number;
  /** Run a pre-vote round before bumping the term (prevents disruption by partitioned nodes). Default false. */
  preVote?: boolean;
  /** A leader that has not heard from a quorum within an election timeout steps down; enables leader stickiness. Default false. */
  checkQuorum?: boolean;
  /** Optional pure logging callback. */
  logger?: RaftLogger;
  /** FOR TESTS ONLY: see {@link TestingBugs}. */
  testingBugs?: TestingBugs;
}

/** Result of sending a snapshot, reported with `RawNode.reportSnapshot()`. */
export type SnapshotStatus = 'finish' | 'failure';

/** An empty hard state (nothing persisted yet). */
export function emptyHardState(): HardState {
  return { term: 0, vote: NONE, commit: 0 };
}

/** True if `s` carries no state (term, vote and commit all zero). */
export function isEmptyHardState(s: HardState): boolean {
  return s.term === 0 && s.vote === NONE && s.commit === 0;
}

/** An empty snapshot (index 0). */
export function emptySnapshot(): Snapshot {
  return {
    metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } },
    data: new Uint8Array(0),
  };
}

/** True if `s` is the empty snapshot. */
export function isEmptySnapshot(s: Snapshot): boolean {
  return s.metadata.index === 0;
}

/** Builds a message with every field defaulted; used by the core and by tests. */
export function newMessage(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  const m: Message = {
    type: fields.type,
    from: fields.from ?? NONE,
    to: fields.to ?? NONE,
    term: fields.term ?? 0,
    logTerm: fields.logTerm ?? 0,
    index: fields.index ?? 0,
    entries: fields.entries ?? [],
    commit: fields.commit ?? 0,
    reject: fields.reject ?? false,
    rejectHint: fields.rejectHint ?? 0,
  };
  if (fields.snapshot !== undefined) m.snapshot = fields.snapshot;
  if (fields.context !== undefined) m.context = fields.context;
  return m;
}

/** Fixed per-entry overhead counted by the size limits (term, index, type, framing). */
export const ENTRY_OVERHEAD_BYTES = 24;

/** Size of an entry as counted by maxSizePerMsgBytes and Storage.entries' maxSizeBytes. */
export function entrySizeBytes(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}
