/**
 * RawNode: the API the caller drives. No I/O, no clock, no threads: the caller calls tick() on a
 * timer, step() for each received message, propose()/readIndex()/... for requests, and then
 * handles ready()/advance() as described on {@link Ready}.
 */
import { encodeConfChange } from './confchange.js';
import { ErrInvariant, ErrReadyContract, ErrStepLocalMessage, invariant } from './errors.js';
import { Raft } from './raft.js';
import {
  type ConfChange,
  type Config,
  type ConfState,
  type Entry,
  emptyHardState,
  type HardState,
  isEmptyHardState,
  type Message,
  MessageType,
  newMessage,
  type Ready,
  type SnapshotStatus,
  type SoftState,
  type Status,
} from './types.js';

const LOCAL_MESSAGE_TYPES: ReadonlySet<MessageType> = new Set([
  MessageType.Hup,
  MessageType.Beat,
  MessageType.Unreachable,
  MessageType.SnapStatus,
  MessageType.CheckQuorum,
]);

const RESPONSE_MESSAGE_TYPES: ReadonlySet<MessageType> = new Set([
  MessageType.AppResp,
  MessageType.VoteResp,
  MessageType.HeartbeatResp,
  MessageType.PreVoteResp,
]);

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * A Raft node driven by the caller (see {@link Ready} for the contract).
 *
 * Starting a node: the state comes from `config.storage`. A brand-new member of a brand-new
 * cluster is given storage whose ConfState lists the initial voters (and learners) with an empty
 * log and hard state; the node then bootstraps: its log starts with one committed `confChange`
 * entry per initial member (term 1), identical on every initial member, so that members added
 * later learn the initial membership from the log. Those entries come out of the first Ready like
 * any other committed conf change (apply them with applyConfChange; it is idempotent). A member
 * joining an existing cluster starts with an empty ConfState and waits for the leader. A restarting
 * member passes `config.applied`.
 */
export class RawNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** The Ready handed out and not yet advanced. */
  private pendingReady: Ready | undefined;

  /** Creates a node from its config; state is restored from (or bootstrapped into) `config.storage`. */
  constructor(config: Config) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
    const storage = config.storage;
    const { hardState, confState } = storage.initialState();
    if (
      storage.firstIndex() === 1 &&
      storage.lastIndex() === 0 &&
      isEmptyHardState(hardState) &&
      confState.voters.length > 0
    ) {
      this.bootstrap(confState);
    }
  }

  private bootstrap(cs: ConfState): void {
    const r = this.raft;
    const changes: ConfChange[] = [
      ...[...cs.voters].sort((a, b) => a - b).map((nodeId): ConfChange => ({ type: 'addNode', nodeId })),
      ...[...cs.learners]
        .sort((a, b) => a - b)
        .map((nodeId): ConfChange => ({ type: 'addLearnerNode', nodeId })),
    ];
    r.becomeFollower(1, 0);
    const ents: Entry[] = changes.map((cc, i) => ({
      term: 1,
      index: i + 1,
      type: 'confChange',
      data: encodeConfChange(cc),
    }));
    r.raftLog.append(ents);
    // Every initial member has these entries: they are committed by construction.
    r.raftLog.committed = ents.length;
    this.prevHardState = emptyHardState();
  }

  /** Advances logical time by one tick (election and heartbeat timeouts count ticks). */
  tick(): void {
    this.raft.tick();
  }

  /**
   * Starts an election now (as if the election timeout fired). Ignored when this node is not a
   * voter, is already leader, or has committed conf changes not applied yet (e.g. before the
   * first Ready of a bootstrapped node is handled).
   */
  campaign(): void {
    this.raft.step(newMessage({ type: MessageType.Hup, from: this.raft.id }));
  }

  /**
   * Feeds a message received from a peer. Throws ErrStepLocalMessage for kinds only a node makes
   * itself. Responses from nodes outside the configuration and messages addressed to another
   * node are dropped.
   */
  step(message: Message): void {
    if (LOCAL_MESSAGE_TYPES.has(message.type)) throw new ErrStepLocalMessage();
    if (message.to !== this.raft.id) {
      this.raft.log('warn', 'dropped a message addressed to another node', {
        to: message.to,
        type: message.type,
      });
      return;
    }
    if (RESPONSE_MESSAGE_TYPES.has(message.type) && !this.raft.trk.progress.has(message.from)) {
      this.raft.log('debug', 'dropped a response from a node outside the configuration', {
        from: message.from,
        type: message.type,
      });
      return;
    }
    this.raft.step(message);
  }

  /**
   * Proposes data to be appended to the log. On a follower it is forwarded to the leader (and may
   * still be lost: the caller retries on timeout). Throws ErrProposalDropped when it is known at
   * once that it cannot be accepted (no leader, leader transfer in progress, uncommitted size limit).
   */
  propose(data: Uint8Array): void {
    this.proposeBatch([data]);
  }

  /**
   * Proposes several entries in one message: they are appended together and replicated in one
   * AppendEntries per follower (and a follower forwards them to the leader as one message). All
   * are accepted or all are dropped (ErrProposalDropped).
   */
  proposeBatch(data: Uint8Array[]): void {
    if (data.length === 0) return;
    this.raft.stepLocalRequest(
      newMessage({
        type: MessageType.Prop,
        from: this.raft.id,
        entries: data.map((d) => ({ term: 0, index: 0, type: 'normal' as const, data: d })),
      }),
    );
  }

  /**
   * Proposes a membership change. Only one may be pending: while a conf change entry is not yet
   * applied on the leader, another throws ErrProposalDropped('pendingConfChange').
   */
  proposeConfChange(change: ConfChange): void {
    this.raft.stepLocalRequest(
      newMessage({
        type: MessageType.Prop,
        from: this.raft.id,
        entries: [{ term: 0, index: 0, type: 'confChange', data: encodeConfChange(change) }],
      }),
    );
  }

  /**
   * Applies a committed conf change entry (call it when the entry comes out of
   * Ready.committedEntries); returns the new membership, which the caller persists with its
   * applied index. Removing the leader makes it step down.
   */
  applyConfChange(change: ConfChange): ConfState {
    return this.raft.applyConfChange(change);
  }

  /**
   * Requests a linearizable read. The answer arrives in a later Ready as a ReadState carrying
   * `context` (use a unique context per request): once the application has applied
   * ReadState.index, reading local state is linearizable. Throws ErrProposalDropped if there is no
   * leader to ask.
   */
  readIndex(context: Uint8Array): void {
    this.raft.stepLocalRequest(newMessage({ type: MessageType.ReadIndex, from: this.raft.id, context }));
  }

  /**
   * Asks the leader to hand leadership to `target`: the leader stops accepting proposals, brings
   * the target up to date and sends it MsgTimeoutNow; the transfer is abandoned after an election
   * timeout. Ignored without a known leader.
   */
  transferLeader(target: number): void {
    this.raft.step(newMessage({ type: MessageType.TransferLeader, from: target }));
  }

  /** Tells the leader that `id` could not be reached (it goes back to probing). */
  reportUnreachable(id: number): void {
    this.raft.step(newMessage({ type: MessageType.Unreachable, from: id }));
  }

  /** Tells the leader how sending a snapshot to `id` ended. */
  reportSnapshot(id: number, status: SnapshotStatus): void {
    this.raft.step(newMessage({ type: MessageType.SnapStatus, from: id, reject: status === 'failure' }));
  }

  /** True if ready() has something to return. False while a Ready awaits advance(). */
  hasReady(): boolean {
    if (this.pendingReady !== undefined) return false;
    const r = this.raft;
    const soft = r.softState();
    if (soft.leaderId !== this.prevSoftState.leaderId || soft.role !== this.prevSoftState.role) return true;
    const hard = r.hardState();
    if (!isEmptyHardState(hard) && !sameHardState(hard, this.prevHardState)) return true;
    if (r.raftLog.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.raftLog.unstable.entries.length > 0) return true;
    return r.raftLog.hasNextCommittedEntries();
  }

  /**
   * Returns the next batch of work (see {@link Ready}). Throws ErrReadyContract if the previous
   * Ready was not advanced.
   */
  ready(): Ready {
    if (this.pendingReady !== undefined)
      throw new ErrReadyContract('ready() called again before advance() of the previous Ready');
    const r = this.raft;
    const rd: Ready = {
      readStates: r.readStates,
      entries: r.raftLog.unstableEntries(),
      committedEntries: r.raftLog.nextCommittedEntries(),
      messages: r.msgs,
      mustSync: false,
    };
    const soft = r.softState();
    if (soft.leaderId !== this.prevSoftState.leaderId || soft.role !== this.prevSoftState.role) {
      rd.softState = soft;
      this.prevSoftState = soft;
    }
    const hard = r.hardState();
    if (!isEmptyHardState(hard) && !sameHardState(hard, this.prevHardState)) {
      invariant(
        hard.term >= this.prevHardState.term,
        () => `term went backwards: ${this.prevHardState.term} -> ${hard.term}`,
      );
      invariant(
        hard.commit >= this.prevHardState.commit,
        () => `commit went backwards: ${this.prevHardState.commit} -> ${hard.commit}`,
      );
      invariant(
        hard.commit <= r.raftLog.lastIndex(),
        () => `commit ${hard.commit} beyond last index ${r.raftLog.lastIndex()}`,
      );
      rd.hardState = hard;
    }
    const snapshot = r.raftLog.unstable.snapshot;
    if (snapshot !== undefined && r.raftLog.hasPendingSnapshot()) rd.snapshot = snapshot;
    rd.mustSync =
      rd.entries.length > 0 ||
      rd.snapshot !== undefined ||
      (rd.hardState !== undefined &&
        (rd.hardState.term !== this.prevHardState.term || rd.hardState.vote !== this.prevHardState.vote));
    r.msgs = [];
    r.readStates = [];
    r.reduceUncommittedSize(rd.committedEntries);
    this.pendingReady = rd;
    return rd;
  }

  /**
   * Acknowledges that `ready` was handled per the contract: persisted, sent and applied. Throws
   * ErrReadyContract if it is not the Ready last returned by ready().
   */
  advance(ready: Ready): void {
    if (this.pendingReady === undefined)
      throw new ErrReadyContract('advance() called without a pending Ready');
    if (ready !== this.pendingReady)
      throw new ErrReadyContract('advance() called with a Ready that is not the last one returned');
    this.pendingReady = undefined;
    if (ready.hardState !== undefined) this.prevHardState = ready.hardState;
    const log = this.raft.raftLog;
    let appliedIndex = 0;
    const committed = ready.committedEntries;
    if (committed.length > 0) {
      const first = committed[0]!.index;
      const expected = Math.max(log.applied, ready.snapshot?.metadata.index ?? 0) + 1;
      if (first !== expected)
        throw new ErrInvariant(`committed entries start at ${first}, expected ${expected}`);
      for (let i = 1; i < committed.length; i++) {
        invariant(
          committed[i]!.index === committed[i - 1]!.index + 1,
          'committed entries must be contiguous',
        );
      }
      appliedIndex = committed[committed.length - 1]!.index;
    }
    this.raft.advance(appliedIndex, ready.entries[ready.entries.length - 1], ready.snapshot?.metadata.index);
  }

  /** Current state for inspection (metrics, logs, tests). Progress is filled on the leader only. */
  status(): Status {
    const r = this.raft;
    const progress =
      r.state === 'leader'
        ? [...r.trk.progress.entries()].sort((a, b) => a[0] - b[0]).map(([id, pr]) => pr.toStatus(id))
        : [];
    return {
      id: r.id,
      hardState: { term: r.term, vote: r.vote, commit: r.raftLog.committed },
      softState: r.softState(),
      applied: r.raftLog.applied,
      lastIndex: r.raftLog.lastIndex(),
      confState: r.trk.confState(),
      leadTransferee: r.leadTransferee,
      progress,
    };
  }
}
