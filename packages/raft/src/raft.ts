/**
 * Raft: the consensus state machine (Ongaro & Ousterhout, "In Search of an Understandable
 * Consensus Algorithm", and the thesis for pre-vote, check-quorum, ReadIndex and leader
 * transfer). Modelled on etcd-io/raft. It does no I/O and reads no clock: time is tick(),
 * randomness comes from Config.random, outputs accumulate in `msgs`/`readStates` and the log's
 * unstable part, and RawNode hands them to the caller through Ready.
 */
import { applyChange, decodeConfChange } from './confchange.js';
import {
  ErrCompacted,
  ErrInvalidConfig,
  ErrInvariant,
  ErrProposalDropped,
  ErrSnapshotTemporarilyUnavailable,
  ErrUnavailable,
  invariant,
  type ProposalDroppedReason,
} from './errors.js';
import { RaftLog } from './log.js';
import { type Progress, ProgressTracker } from './progress.js';
import { voteResult } from './quorum.js';
import { ReadOnly } from './readonly.js';
import {
  type ConfChange,
  type Config,
  type ConfState,
  type Entry,
  type HardState,
  isEmptyHardState,
  isEmptySnapshot,
  type Message,
  MessageType,
  NONE,
  newMessage,
  type RaftLogLevel,
  type ReadState,
  type Snapshot,
  type SoftState,
  type StateRole,
  type TestingBugs,
} from './types.js';

/** Context marking a campaign started by leader transfer: voters ignore their leader lease for it. */
const CAMPAIGN_TRANSFER_CONTEXT = new TextEncoder().encode('CampaignTransfer');

/** Defaults for the optional limits of Config. */
export const DEFAULT_MAX_SIZE_PER_MSG_BYTES = 1024 * 1024;
/** Default bound on the committed entries handed out in one Ready. */
export const DEFAULT_MAX_COMMITTED_SIZE_PER_READY_BYTES = 64 * 1024 * 1024;
/** Default inflight window per follower. */
export const DEFAULT_MAX_INFLIGHT_MSGS = 256;

type CampaignType = 'preElection' | 'election' | 'transfer';

function isTransferContext(context: Uint8Array | undefined): boolean {
  if (context === undefined || context.byteLength !== CAMPAIGN_TRANSFER_CONTEXT.byteLength) return false;
  for (let i = 0; i < context.byteLength; i++) if (context[i] !== CAMPAIGN_TRANSFER_CONTEXT[i]) return false;
  return true;
}

function voteResponseType(t: MessageType): MessageType {
  switch (t) {
    case MessageType.Vote:
      return MessageType.VoteResp;
    case MessageType.PreVote:
      return MessageType.PreVoteResp;
    default:
      throw new ErrInvariant(`not a vote message: ${t}`);
  }
}

/** Payload bytes of entries, as counted by the uncommitted-size limit. */
function payloadBytes(ents: readonly Entry[]): number {
  let s = 0;
  for (const e of ents) s += e.data.byteLength;
  return s;
}

function validateConfig(c: Config): void {
  const check = (ok: boolean, message: string) => {
    if (!ok) throw new ErrInvalidConfig(message);
  };
  check(Number.isSafeInteger(c.id) && c.id > 0, 'id must be a positive safe integer (0 means none)');
  check(
    Number.isSafeInteger(c.heartbeatTicks) && c.heartbeatTicks > 0,
    'heartbeatTicks must be greater than 0',
  );
  check(
    Number.isSafeInteger(c.electionTicks) && c.electionTicks > c.heartbeatTicks,
    'electionTicks must be greater than heartbeatTicks',
  );
  check(typeof c.random === 'function', 'random must be a function returning numbers in [0, 1)');
  if (c.maxInflightMsgs !== undefined)
    check(
      Number.isSafeInteger(c.maxInflightMsgs) && c.maxInflightMsgs > 0,
      'maxInflightMsgs must be greater than 0',
    );
  if (c.maxSizePerMsgBytes !== undefined)
    check(c.maxSizePerMsgBytes > 0, 'maxSizePerMsgBytes must be greater than 0');
  if (c.maxUncommittedEntriesBytes !== undefined)
    check(c.maxUncommittedEntriesBytes >= 0, 'maxUncommittedEntriesBytes must not be negative');
  if (c.maxCommittedSizePerReadyBytes !== undefined)
    check(c.maxCommittedSizePerReadyBytes > 0, 'maxCommittedSizePerReadyBytes must be greater than 0');
  if (c.applied !== undefined)
    check(Number.isSafeInteger(c.applied) && c.applied >= 0, 'applied must be a non-negative safe integer');
}

/** The Raft state machine. Internal: callers use RawNode. */
export class Raft {
  readonly id: number;
  /** Current term. Invariant: never decreases. */
  term = 0;
  /** Whom we voted for in `term`. Invariant: at most one vote per term. */
  vote = NONE;
  readStates: ReadState[] = [];
  readonly raftLog: RaftLog;
  readonly maxMsgSizeBytes: number;
  readonly maxUncommittedSizeBytes: number;
  readonly trk: ProgressTracker;
  state: StateRole = 'follower';
  /** True when this node is a learner in the current configuration. */
  isLearner = false;
  /** Messages to send, drained by RawNode.ready(). */
  msgs: Message[] = [];
  lead = NONE;
  /** Target of a leadership transfer in progress, or NONE. */
  leadTransferee = NONE;
  /**
   * Index of the latest conf change entry in the log (leader only). A new conf change may be
   * proposed only once the applied index reaches it: one change at a time.
   */
  pendingConfIndex = 0;
  /** Payload bytes of uncommitted entries appended by this leader. */
  uncommittedSizeBytes = 0;
  readOnly = new ReadOnly();
  /** Ticks since the last election timeout reset (as leader: since the last check-quorum). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly heartbeatTimeout: number;
  readonly electionTimeout: number;
  /** Random in [electionTimeout, 2*electionTimeout), redrawn on every role change. */
  randomizedElectionTimeout = 0;
  /** A MsgTimeoutNow arrived while conf changes were unapplied: campaign once they are applied. */
  campaignAfterApply = false;
  /** Read requests that arrived before this leader committed an entry of its term. */
  pendingReadIndexMessages: Message[] = [];
  private readonly random: () => number;
  private readonly logger: Config['logger'];
  readonly bugs: TestingBugs;

  constructor(c: Config) {
    validateConfig(c);
    this.id = c.id;
    this.random = c.random;
    this.logger = c.logger;
    this.bugs = c.testingBugs ?? {};
    this.raftLog = new RaftLog(
      c.storage,
      c.maxCommittedSizePerReadyBytes ?? DEFAULT_MAX_COMMITTED_SIZE_PER_READY_BYTES,
    );
    this.maxMsgSizeBytes = c.maxSizePerMsgBytes ?? DEFAULT_MAX_SIZE_PER_MSG_BYTES;
    this.maxUncommittedSizeBytes = c.maxUncommittedEntriesBytes ?? 0;
    this.trk = new ProgressTracker(c.maxInflightMsgs ?? DEFAULT_MAX_INFLIGHT_MSGS);
    this.checkQuorum = c.checkQuorum ?? false;
    this.preVote = c.preVote ?? false;
    this.heartbeatTimeout = c.heartbeatTicks;
    this.electionTimeout = c.electionTicks;

    const { hardState, confState } = c.storage.initialState();
    this.applyConfState(confState);
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (c.applied !== undefined && c.applied > 0) {
      this.raftLog.appliedTo(c.applied);
      this.replayConfChanges(this.raftLog.firstIndex(), c.applied);
    }
    this.becomeFollower(this.term, NONE);
    this.log('info', 'newRaft', {
      voters: [...this.trk.voters],
      learners: [...this.trk.learners],
      commit: this.raftLog.committed,
      applied: this.raftLog.applied,
      lastIndex: this.raftLog.lastIndex(),
      lastTerm: this.raftLog.lastTerm(),
    });
  }

  /**
   * On restart, re-applies the conf change entries in [lo, hi] (at or below the applied index,
   * so the application will not deliver them again) on top of the storage's ConfState, which
   * may be as old as the snapshot. Applying a suffix of conf changes twice gives the same
   * membership, so a storage that already reports the membership as of `applied` is fine too.
   */
  private replayConfChanges(lo: number, hi: number): void {
    while (lo <= hi) {
      const ents = this.raftLog.slice(lo, hi + 1, this.maxMsgSizeBytes);
      if (ents.length === 0) break;
      for (const e of ents) {
        if (e.type === 'confChange')
          this.applyConfState(applyChange(this.trk.confState(), decodeConfChange(e.data)));
      }
      lo = ents[ents.length - 1]!.index + 1;
    }
  }

  log(level: RaftLogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (this.logger !== undefined) this.logger(level, message, { node: this.id, term: this.term, ...fields });
  }

  softState(): SoftState {
    return { leaderId: this.lead, role: this.state };
  }

  /** The hard state to persist. The forgetVoteOnRestart testing bug leaves the vote out. */
  hardState(): HardState {
    return {
      term: this.term,
      vote: this.bugs.forgetVoteOnRestart ? NONE : this.vote,
      commit: this.raftLog.committed,
    };
  }

  private loadState(s: HardState): void {
    invariant(
      s.commit >= this.raftLog.committed && s.commit <= this.raftLog.lastIndex(),
      () =>
        `hard state commit ${s.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
    );
    this.raftLog.committed = s.commit;
    this.term = s.term;
    this.vote = s.vote;
  }

  /** True if this node may campaign: it is a voter in the current configuration. */
  promotable(): boolean {
    return this.trk.voters.has(this.id) && !this.raftLog.hasPendingSnapshot();
  }

  // ---- sending -------------------------------------------------------------------------------

  private send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    if (
      m.type === MessageType.Vote ||
      m.type === MessageType.VoteResp ||
      m.type === MessageType.PreVote ||
      m.type === MessageType.PreVoteResp
    ) {
      // Vote messages carry the term they are about, which may differ from ours (pre-vote).
      invariant(m.term !== 0, () => `term should be set when sending ${m.type}`);
    } else {
      invariant(m.term === 0, () => `term should not be set when sending ${m.type} (was ${m.term})`);
      // Forwarded proposals and reads keep term 0: they are treated as local on arrival.
      if (m.type !== MessageType.Prop && m.type !== MessageType.ReadIndex) m.term = this.term;
    }
    this.msgs.push(m);
  }

  /** Sends an append (or a snapshot) to `to` if there is something to send. */
  private sendAppend(to: number): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends entries from the peer's next index, or a snapshot when they are compacted away.
   * Returns true if a message was sent. `sendIfEmpty` sends an empty append (to probe or to carry
   * the commit index).
   */
  private maybeSendAppend(to: number, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    let prevTerm: number | undefined;
    let ents: Entry[] | undefined;
    try {
      prevTerm = this.raftLog.term(pr.next - 1);
      ents = this.raftLog.entries(pr.next, this.maxMsgSizeBytes);
    } catch (err) {
      if (!(err instanceof ErrCompacted || err instanceof ErrUnavailable)) throw err;
      prevTerm = undefined;
    }
    // term() answers 0 for an index below the log: that also means "compacted".
    if (prevTerm === undefined || ents === undefined) {
      return this.sendSnapshot(to, pr);
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send(
      newMessage({
        type: MessageType.App,
        to,
        index: pr.next - 1,
        logTerm: prevTerm,
        entries: ents,
        commit: this.raftLog.committed,
      }),
    );
    if (ents.length > 0) {
      switch (pr.state) {
        case 'replicate': {
          const last = ents[ents.length - 1]!.index;
          pr.optimisticUpdate(last);
          pr.inflights.add(last);
          break;
        }
        case 'probe':
          pr.probeSent = true;
          break;
        case 'snapshot':
          invariant(false, () => `node ${to} is sending append in unhandled state snapshot`);
      }
    }
    return true;
  }

  private sendSnapshot(to: number, pr: Progress): boolean {
    if (!pr.recentActive) {
      this.log('debug', 'ignore sending snapshot since peer is not recently active', { to });
      return false;
    }
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (err) {
      if (err instanceof ErrSnapshotTemporarilyUnavailable) {
        this.log('debug', 'failed to send snapshot because snapshot is temporarily unavailable', { to });
        return false;
      }
      throw err;
    }
    invariant(!isEmptySnapshot(snapshot), 'need non-empty snapshot');
    this.log('info', 'sending snapshot', {
      to,
      snapshotIndex: snapshot.metadata.index,
      snapshotTerm: snapshot.metadata.term,
    });
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send(newMessage({ type: MessageType.Snap, to, snapshot }));
    return true;
  }

  private sendHeartbeat(to: number, context: Uint8Array | undefined): void {
    const pr = this.trk.progress.get(to)!;
    // A follower may not have all committed entries yet; never tell it to commit beyond its match.
    const commit = Math.min(pr.match, this.raftLog.committed);
    const m = newMessage({ type: MessageType.Heartbeat, to, commit });
    if (context !== undefined) m.context = context;
    this.send(m);
  }

  private bcastAppend(): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  private bcastHeartbeat(): void {
    this.bcastHeartbeatWithContext(this.readOnly.lastPendingRequestContext());
  }

  private bcastHeartbeatWithContext(context: Uint8Array | undefined): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, context);
    });
  }

  private sendTimeoutNow(to: number): void {
    this.send(newMessage({ type: MessageType.TimeoutNow, to }));
    if (this.state === 'leader' && !this.trk.voters.has(this.id)) {
      // A removed leader's successor now has our whole log: even if this message is lost it can
      // win (we still vote), so tell everyone what is committed and step down.
      this.bcastAppend();
      this.log('info', 'removed from the configuration; stepping down', { successor: to });
      this.becomeFollower(this.term, NONE);
    }
  }

  // ---- state transitions ---------------------------------------------------------------------

  private reset(term: number): void {
    invariant(term >= this.term, () => `term must never decrease (${this.term} -> ${term})`);
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const lastIndex = this.raftLog.lastIndex();
    this.trk.visit((id, pr) => {
      pr.match = id === this.id ? lastIndex : 0;
      pr.next = lastIndex + 1;
      pr.state = 'probe';
      pr.probeSent = false;
      pr.pendingSnapshot = 0;
      pr.recentActive = false;
      pr.inflights.reset();
    });
    this.pendingConfIndex = 0;
    this.uncommittedSizeBytes = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
    this.campaignAfterApply = false;
  }

  private resetRandomizedElectionTimeout(): void {
    const r = this.random();
    invariant(r >= 0 && r < 1, () => `Config.random returned ${r}, outside [0, 1)`);
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(r * this.electionTimeout);
  }

  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'follower';
    this.log('info', 'became follower', { lead });
  }

  private becomeCandidate(): void {
    invariant(this.state !== 'leader', 'invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = 'candidate';
    this.log('info', 'became candidate');
  }

  private becomePreCandidate(): void {
    invariant(this.state !== 'leader', 'invalid transition [leader -> pre-candidate]');
    // Pre-vote changes neither term nor vote: a partitioned node cannot inflate terms.
    this.trk.resetVotes();
    this.lead = NONE;
    this.state = 'preCandidate';
    this.log('info', 'became pre-candidate');
  }

  private becomeLeader(): void {
    invariant(this.state !== 'follower', 'invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'leader';
    const self = this.trk.progress.get(this.id)!;
    self.becomeReplicate();
    // The leader is always active; check-quorum preserves this.
    self.recentActive = true;
    // Conservatively assume the log tail may hold a conf change: no new one until it is applied.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // An empty entry of our term: committing it commits everything before it (§5.4.2) and
    // tells us what is committed (ReadIndex waits for it).
    const ok = this.appendEntry([{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }]);
    invariant(ok, 'empty entry was dropped');
    this.log('info', 'became leader');
  }

  /** Starts an election unless we are leader, cannot be elected, or have unapplied conf changes. */
  hup(t: CampaignType): void {
    if (this.state === 'leader') {
      this.log('debug', 'ignoring MsgHup because already leader');
      return;
    }
    if (!this.promotable()) {
      this.log('warn', 'is unpromotable and can not campaign');
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      this.log('warn', 'cannot campaign: pending configuration changes to apply');
      return;
    }
    this.log('info', 'starting a new election');
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.raftLog.applied >= this.raftLog.committed) return false;
    let lo = this.raftLog.applied + 1;
    const hi = this.raftLog.committed + 1;
    while (lo < hi) {
      const ents = this.raftLog.slice(lo, hi, this.maxMsgSizeBytes);
      if (ents.length === 0) break;
      for (const e of ents) if (e.type === 'confChange') return true;
      lo = ents[ents.length - 1]!.index + 1;
    }
    return false;
  }

  private campaign(t: CampaignType): void {
    let voteMsg: MessageType;
    let term: number;
    if (t === 'preElection') {
      this.becomePreCandidate();
      voteMsg = MessageType.PreVote;
      // Pre-vote asks "would you vote for me in the next term", without bumping ours.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.Vote;
      term = this.term;
    }
    if (this.poll(this.id, voteResponseType(voteMsg), true) === 'won') {
      // Single voter: we won right away.
      if (t === 'preElection') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    for (const id of [...this.trk.voters].sort((a, b) => a - b)) {
      if (id === this.id) continue;
      const m = newMessage({
        type: voteMsg,
        to: id,
        term,
        index: this.raftLog.lastIndex(),
        logTerm: this.raftLog.lastTerm(),
      });
      if (t === 'transfer') m.context = CAMPAIGN_TRANSFER_CONTEXT;
      this.log('info', 'sent vote request', {
        type: voteMsg,
        to: id,
        lastIndex: m.index,
        lastTerm: m.logTerm,
      });
      this.send(m);
    }
  }

  private poll(id: number, t: MessageType, granted: boolean): 'won' | 'lost' | 'pending' {
    this.log('info', granted ? 'received vote' : 'received vote rejection', { type: t, from: id });
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  // ---- ticks ---------------------------------------------------------------------------------

  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(newMessage({ type: MessageType.CheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === 'leader' && this.leadTransferee !== NONE) {
        this.log('info', 'aborting leader transfer after an election timeout', {
          transferee: this.leadTransferee,
        });
        this.abortLeaderTransfer();
      }
      if (this.state === 'leader' && !this.trk.voters.has(this.id)) this.transferAfterRemoval();
    }
    if (this.state !== 'leader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(newMessage({ type: MessageType.Beat, from: this.id }));
    }
  }

  // ---- step ----------------------------------------------------------------------------------

  /** Handles one message (local or from a peer). */
  step(m: Message): void {
    if (m.term === 0) {
      // Local message (or a forwarded proposal/read, which carries no term).
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = isTransferContext(m.context);
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          // Leader stickiness: we heard from a live leader within the election timeout, so this
          // candidate is probably partitioned away from it; do not let it disrupt the cluster.
          this.log('info', 'ignoring vote request: lease is not expired', {
            type: m.type,
            from: m.from,
            remainingTicks: this.electionTimeout - this.electionElapsed,
          });
          return;
        }
      }
      if (m.type === MessageType.PreVote) {
        // Never change our term in response to a pre-vote.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // We will bump our term when we get a quorum of these; a rejection carries the newer term.
      } else {
        this.log('info', 'received a message with higher term', {
          type: m.type,
          from: m.from,
          messageTerm: m.term,
        });
        if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
          this.becomeFollower(m.term, m.from);
        } else {
          this.becomeFollower(m.term, NONE);
        }
      }
    } else if (m.term < this.term) {
      if (
        (this.checkQuorum || this.preVote) &&
        (m.type === MessageType.Heartbeat || m.type === MessageType.App)
      ) {
        // A stale leader (e.g. back from a partition) would otherwise never learn the new term:
        // with check-quorum/pre-vote we do not bump terms on its behalf. Tell it.
        this.send(newMessage({ type: MessageType.AppResp, to: m.from }));
      } else if (m.type === MessageType.PreVote) {
        this.log('info', 'rejected stale pre-vote', { from: m.from, messageTerm: m.term });
        this.send(newMessage({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true }));
      } else {
        this.log('debug', 'ignored a message with lower term', {
          type: m.type,
          from: m.from,
          messageTerm: m.term,
        });
      }
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(this.preVote ? 'preElection' : 'election');
        return;
      case MessageType.Vote:
      case MessageType.PreVote: {
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === MessageType.PreVote && m.term > this.term);
        if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
          this.log('info', 'cast vote', {
            type: m.type,
            for: m.from,
            candidateLastIndex: m.index,
            candidateLastTerm: m.logTerm,
          });
          // The response carries the candidate's term: for a pre-vote our own term is lower and
          // the candidate would otherwise ignore it.
          this.send(newMessage({ type: voteResponseType(m.type), to: m.from, term: m.term }));
          if (m.type === MessageType.Vote) {
            invariant(this.vote === NONE || this.vote === m.from, () => `voting twice in term ${this.term}`);
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.log('info', 'rejected vote', {
            type: m.type,
            from: m.from,
            candidateLastIndex: m.index,
            candidateLastTerm: m.logTerm,
          });
          this.send(
            newMessage({ type: voteResponseType(m.type), to: m.from, term: this.term, reject: true }),
          );
        }
        return;
      }
      default:
        break;
    }
    switch (this.state) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  /**
   * Throws for a request made on this node (so the caller learns at once), logs and drops a
   * forwarded one (its origin times out). `from` cannot tell them apart: a forwarded proposal
   * may come back to its origin when leadership moved.
   */
  private dropProposal(m: Message, reason: ProposalDroppedReason): void {
    this.log('info', 'dropping proposal', { reason, from: m.from, local: this.handlingLocalRequest });
    if (this.handlingLocalRequest) throw new ErrProposalDropped(reason);
  }

  /** True while stepping a request made through RawNode on this node (not a message from a peer). */
  private handlingLocalRequest = false;

  /** Steps a request made on this node (propose, readIndex): refusals throw ErrProposalDropped. */
  stepLocalRequest(m: Message): void {
    this.handlingLocalRequest = true;
    try {
      this.step(m);
    } finally {
      this.handlingLocalRequest = false;
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat();
        return;
      case MessageType.CheckQuorum:
        if (!this.trk.quorumActive()) {
          this.log('warn', 'stepped down to follower since quorum is not active');
          this.becomeFollower(this.term, NONE);
        }
        // Start a new round: each peer must prove itself active again.
        this.trk.visit((id, pr) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return;
      case MessageType.Prop: {
        invariant(m.entries.length > 0, 'stepped empty MsgProp');
        if (!this.trk.progress.has(this.id)) {
          // Removed from the configuration while leader: we step down on apply; drop meanwhile.
          this.dropProposal(m, 'notMember');
          return;
        }
        if (this.leadTransferee !== NONE) {
          this.dropProposal(m, 'leaderTransferInProgress');
          return;
        }
        let confIndex = 0;
        for (let i = 0; i < m.entries.length; i++) {
          if (m.entries[i]!.type !== 'confChange') continue;
          if (this.pendingConfIndex > this.raftLog.applied || confIndex !== 0) {
            this.dropProposal(m, 'pendingConfChange');
            return;
          }
          // Only one change is pending at a time, so it applies on top of the current config.
          if (applyChange(this.trk.confState(), decodeConfChange(m.entries[i]!.data)).voters.length === 0) {
            this.dropProposal(m, 'invalidConfChange');
            return;
          }
          confIndex = this.raftLog.lastIndex() + i + 1;
        }
        if (!this.appendEntry(m.entries)) {
          this.dropProposal(m, 'uncommittedSizeLimit');
          return;
        }
        if (confIndex !== 0) this.pendingConfIndex = confIndex;
        this.bcastAppend();
        return;
      }
      case MessageType.ReadIndex:
        if (this.trk.isSingleton()) {
          // Only voter: our commit index is the quorum's.
          const resp = this.responseToReadIndexRequest(m, this.raftLog.committed);
          if (resp !== undefined) this.send(resp);
          return;
        }
        if (!this.committedEntryInCurrentTerm()) {
          // Our commit index may lag the true one until we commit in our term (thesis §6.4).
          this.pendingReadIndexMessages.push(m);
          return;
        }
        this.sendReadIndexConfirmation(m);
        return;
      default:
        break;
    }

    const pr = this.trk.progress.get(m.from);
    if (pr === undefined) {
      this.log('debug', 'no progress available for sender', { from: m.from, type: m.type });
      return;
    }
    switch (m.type) {
      case MessageType.AppResp:
        this.handleAppendResponse(m, pr);
        return;
      case MessageType.HeartbeatResp: {
        pr.recentActive = true;
        pr.probeSent = false;
        // Free one slot so that a full window does not stall a follower that lost a response.
        if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
        if (pr.match < this.raftLog.lastIndex()) this.sendAppend(m.from);
        if (m.context === undefined) return;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (acks === undefined) return;
        const votes = new Map<number, boolean>();
        for (const id of acks) votes.set(id, true);
        if (voteResult(this.trk.voters, votes) !== 'won') return;
        for (const rs of this.readOnly.advance(m.context)) {
          const resp = this.responseToReadIndexRequest(rs.request, rs.index);
          if (resp !== undefined) this.send(resp);
        }
        return;
      }
      case MessageType.SnapStatus:
        if (pr.state !== 'snapshot') return;
        if (!m.reject) {
          this.log('info', 'snapshot succeeded, resumed sending replication messages', { to: m.from });
        } else {
          // The snapshot may have been lost: send a new one if the peer still needs it.
          pr.pendingSnapshot = 0;
          this.log('info', 'snapshot failed, resumed sending replication messages', { to: m.from });
        }
        pr.becomeProbe();
        // Wait for the follower's answer (or a heartbeat) before sending more.
        pr.probeSent = true;
        return;
      case MessageType.Unreachable:
        // An append to the peer was probably lost: stop pipelining, go back to probing.
        if (pr.state === 'replicate') pr.becomeProbe();
        this.log('debug', 'failed to send message because it is unreachable', { to: m.from });
        return;
      case MessageType.TransferLeader: {
        if (pr.isLearner) {
          this.log('info', 'ignored transferring leadership to a learner', { to: m.from });
          return;
        }
        const transferee = m.from;
        const last = this.leadTransferee;
        if (last !== NONE) {
          if (last === transferee) {
            this.log('info', 'transfer to the same node is already in progress; ignored', { transferee });
            return;
          }
          this.abortLeaderTransfer();
        }
        if (transferee === this.id) {
          this.log('debug', 'already leader; ignored transferring leadership to self');
          return;
        }
        this.log('info', 'starts to transfer leadership', { transferee });
        // The transfer must finish within one election timeout.
        this.electionElapsed = 0;
        this.leadTransferee = transferee;
        if (pr.match === this.raftLog.lastIndex()) {
          this.sendTimeoutNow(transferee);
        } else {
          this.sendAppend(transferee);
        }
        return;
      }
      default:
        return;
    }
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      this.log('debug', 'received rejected append', {
        from: m.from,
        index: m.index,
        rejectHint: m.rejectHint,
        hintTerm: m.logTerm,
      });
      let nextProbeIndex = m.rejectHint;
      if (m.logTerm > 0) {
        // The follower's log at rejectHint has term m.logTerm. Skip every index of ours whose term
        // is above it: none of them can match. One round trip per term instead of per entry.
        [nextProbeIndex] = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm);
      }
      if (pr.maybeDecrTo(m.index, nextProbeIndex)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    switch (pr.state) {
      case 'probe':
        pr.becomeReplicate();
        break;
      case 'snapshot':
        if (pr.match >= pr.pendingSnapshot) {
          this.log('debug', 'recovered from needing snapshot, resumed sending replication messages', {
            from: m.from,
          });
          pr.becomeProbe();
          pr.becomeReplicate();
        }
        break;
      case 'replicate':
        pr.inflights.freeLE(m.index);
        break;
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (oldPaused) {
      // The peer was paused and may now be behind: send what it lacks.
      this.sendAppend(m.from);
    }
    // Keep the window full while there is something to send.
    while (this.maybeSendAppend(m.from, false)) {
      /* loop */
    }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.log('info', 'sent MsgTimeoutNow after received MsgAppResp', { to: m.from });
      this.sendTimeoutNow(m.from);
    }
  }

  private stepCandidate(m: Message): void {
    const myVoteResp = this.state === 'preCandidate' ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.Prop:
        this.dropProposal(m, 'noLeader');
        return;
      case MessageType.ReadIndex:
        this.dropProposal(m, 'noLeader');
        return;
      case MessageType.App:
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case myVoteResp: {
        const res = this.poll(m.from, m.type, !m.reject);
        if (res === 'won') {
          if (this.state === 'preCandidate') {
            this.campaign('election');
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (res === 'lost') {
          // (A rejection carrying a higher term already made us a follower in step().)
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
      case MessageType.TimeoutNow:
        this.log('debug', 'ignored MsgTimeoutNow while campaigning', { from: m.from });
        return;
      default:
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.Prop:
        if (this.lead === NONE) {
          this.dropProposal(m, 'noLeader');
          return;
        }
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case MessageType.TransferLeader:
        if (this.lead === NONE) {
          this.log('info', 'no leader; dropping leader transfer request');
          return;
        }
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case MessageType.TimeoutNow:
        this.log('info', 'received MsgTimeoutNow; starting an election to transfer leadership', {
          from: m.from,
        });
        if (this.promotable() && this.hasUnappliedConfChanges()) {
          // Typically the removal of the leader that sent this: campaign as soon as it is applied.
          this.campaignAfterApply = true;
          return;
        }
        // Leader transfer never uses pre-vote: we know the leader asked for it.
        this.hup('transfer');
        return;
      case MessageType.ReadIndex:
        if (this.lead === NONE) {
          this.dropProposal(m, 'noLeader');
          return;
        }
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case MessageType.ReadIndexResp: {
        const rs: ReadState = { index: m.index, context: m.context ?? new Uint8Array(0) };
        this.readStates.push(rs);
        return;
      }
      default:
        return;
    }
  }

  private handleAppendEntries(m: Message): void {
    invariant(this.state !== 'leader', 'a leader never accepts appends: it would truncate its own log');
    if (m.index < this.raftLog.committed) {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed }));
      return;
    }
    const lastNewIndex = this.raftLog.maybeAppend(
      m.index,
      m.logTerm,
      m.commit,
      m.entries,
      this.bugs.skipPrevLogCheck ?? false,
    );
    if (lastNewIndex !== undefined) {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: lastNewIndex }));
      return;
    }
    // Fast backtracking: tell the leader the largest index ≤ the probe whose term ≤ the leader's
    // term at the probe, and that term; the leader skips the whole conflicting term.
    const hintIndex = Math.min(m.index, this.raftLog.lastIndex());
    const [rejectHint, hintTerm] = this.raftLog.findConflictByTerm(hintIndex, m.logTerm);
    this.log('debug', 'rejected append', {
      from: m.from,
      index: m.index,
      logTerm: m.logTerm,
      rejectHint,
      hintTerm,
    });
    this.send(
      newMessage({
        type: MessageType.AppResp,
        to: m.from,
        index: m.index,
        reject: true,
        rejectHint,
        logTerm: hintTerm,
      }),
    );
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    const resp = newMessage({ type: MessageType.HeartbeatResp, to: m.from });
    if (m.context !== undefined) resp.context = m.context;
    this.send(resp);
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    invariant(s !== undefined, 'MsgSnap without snapshot');
    if (this.restore(s)) {
      this.log('info', 'restored snapshot', { index: s.metadata.index, term: s.metadata.term });
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.log('info', 'ignored snapshot', { index: s.metadata.index, term: s.metadata.term });
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed }));
    }
  }

  /** Installs a snapshot from the leader; returns false if it is old or already covered by our log. */
  restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.raftLog.committed) return false;
    if (this.state !== 'follower') {
      // Only a leader of our term sends snapshots and we became its follower before getting here.
      this.log('warn', 'attempted to restore snapshot as non-follower; stepping down');
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    if (this.raftLog.matchTerm(s.metadata.index, s.metadata.term)) {
      // Our log already has the snapshot's last entry: just commit up to it.
      this.log('info', 'fast-forwarded commit to snapshot', {
        index: s.metadata.index,
        term: s.metadata.term,
      });
      this.raftLog.commitTo(s.metadata.index);
      return false;
    }
    this.raftLog.restore(s);
    this.trk.progress.clear();
    this.applyConfState(s.metadata.confState);
    return true;
  }

  // ---- entries, commit, reads, membership ----------------------------------------------------

  /** Leader: appends entries of our term after the log. False if the uncommitted size limit refuses. */
  appendEntry(es: Entry[]): boolean {
    const lastIndex = this.raftLog.lastIndex();
    const ents = es.map((e, i) => ({ ...e, term: this.term, index: lastIndex + 1 + i }));
    if (!this.increaseUncommittedSize(ents)) return false;
    const newLast = this.raftLog.append(ents);
    invariant(newLast === lastIndex + ents.length, 'a leader only appends at the end of its log');
    this.trk.progress.get(this.id)?.maybeUpdate(newLast);
    this.maybeCommit();
    return true;
  }

  /** Leader: advances the commit index to what a quorum has (entries of the current term only). */
  maybeCommit(): boolean {
    const index = this.trk.committed();
    if (index === Number.POSITIVE_INFINITY) return false;
    return this.raftLog.maybeCommit(index, this.term, this.bugs.commitPreviousTermEntries ?? false);
  }

  private increaseUncommittedSize(ents: Entry[]): boolean {
    const s = payloadBytes(ents);
    // Always admit something when nothing is uncommitted, so a large entry cannot block forever.
    if (
      this.maxUncommittedSizeBytes > 0 &&
      this.uncommittedSizeBytes > 0 &&
      s > 0 &&
      this.uncommittedSizeBytes + s > this.maxUncommittedSizeBytes
    ) {
      this.log(
        'debug',
        'appending new entries would exceed the uncommitted entry size limit; dropping proposal',
      );
      return false;
    }
    this.uncommittedSizeBytes += s;
    return true;
  }

  /** Called as committed entries are handed out: they no longer count as uncommitted. */
  reduceUncommittedSize(ents: readonly Entry[]): void {
    if (this.uncommittedSizeBytes === 0) return;
    const s = payloadBytes(ents);
    // Entries of a previous leader may be among them: never go below zero.
    this.uncommittedSizeBytes = s > this.uncommittedSizeBytes ? 0 : this.uncommittedSizeBytes - s;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.zeroTermOnError(this.raftLog.committed) === this.term;
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of pending) this.sendReadIndexConfirmation(m);
  }

  private sendReadIndexConfirmation(m: Message): void {
    this.readOnly.addRequest(this.raftLog.committed, m);
    // We acknowledge our own heartbeat.
    this.readOnly.recvAck(this.id, m.context);
    this.bcastHeartbeatWithContext(m.context);
  }

  private responseToReadIndexRequest(req: Message, readIndex: number): Message | undefined {
    const context = req.context ?? new Uint8Array(0);
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index: readIndex, context });
      return undefined;
    }
    return newMessage({ type: MessageType.ReadIndexResp, to: req.from, index: readIndex, context });
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  /**
   * A leader removed from the configuration hands leadership to the voter with the highest
   * match (MsgTimeoutNow once it has our whole log); retried after every election timeout.
   */
  private transferAfterRemoval(): void {
    let best = NONE;
    let bestMatch = -1;
    for (const id of [...this.trk.voters].sort((a, b) => a - b)) {
      const pr = this.trk.progress.get(id)!;
      if (pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    if (best === NONE) return;
    this.abortLeaderTransfer();
    this.leadTransferee = best;
    this.electionElapsed = 0;
    // Tell everyone what is committed, then hand over (sendTimeoutNow steps down).
    this.bcastAppend();
    if (bestMatch === this.raftLog.lastIndex()) this.sendTimeoutNow(best);
  }

  /** Answers every pending read whose heartbeat acks form a quorum of the current voters. */
  private advanceReadsAckedByQuorum(): void {
    let last: Uint8Array | undefined;
    let found = false;
    for (const status of this.readOnly.pending()) {
      const votes = new Map<number, boolean>();
      for (const id of status.acks) votes.set(id, true);
      if (voteResult(this.trk.voters, votes) === 'won') {
        last = status.request.context;
        found = true;
      }
    }
    if (!found) return;
    for (const rs of this.readOnly.advance(last)) {
      const resp = this.responseToReadIndexRequest(rs.request, rs.index);
      if (resp !== undefined) this.send(resp);
    }
  }

  private applyConfState(cs: ConfState): void {
    this.trk.applyConfState(cs, this.raftLog.lastIndex());
    this.isLearner = this.trk.learners.has(this.id);
  }

  /** Applies a committed membership change; returns the new membership. */
  applyConfChange(cc: ConfChange): ConfState {
    const current = this.trk.confState();
    const cs = applyChange(current, cc);
    if (cs.voters.length === 0) {
      // Leaders refuse such proposals; an entry already in a log must not brick the cluster.
      this.log('warn', 'ignored a conf change that would leave no voters', {
        type: cc.type,
        nodeId: cc.nodeId,
      });
      return current;
    }
    this.applyConfState(cs);
    this.log('info', 'applied conf change', {
      type: cc.type,
      nodeId: cc.nodeId,
      voters: cs.voters,
      learners: cs.learners,
    });
    if (this.state !== 'leader') return cs;
    // Reads waiting for heartbeat acks may already have a quorum of the new voters.
    this.advanceReadsAckedByQuorum();
    if (!this.trk.voters.has(this.id)) {
      // Removed (or demoted). Stepping down at once could strand the others: they may not know
      // yet that the removal is committed, still count us as a voter and, with our longer log,
      // be unable to elect anyone. So keep leading (replicating, heartbeating, refusing
      // proposals) and hand over to the most up-to-date remaining voter; we become a follower
      // when it campaigns.
      this.log('info', 'removed from the configuration; transferring leadership before stepping down');
      this.transferAfterRemoval();
      return cs;
    }
    // A smaller quorum may now commit more; new members need their first append.
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else {
      this.trk.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== NONE && !this.trk.voters.has(this.leadTransferee)) this.abortLeaderTransfer();
    return cs;
  }

  /** Records what the application has applied and persisted (RawNode.advance). */
  advance(appliedIndex: number, stableEntry: Entry | undefined, snapshotIndex: number | undefined): void {
    if (snapshotIndex !== undefined) {
      this.raftLog.stableSnapTo(snapshotIndex);
      this.raftLog.appliedTo(snapshotIndex);
    }
    if (appliedIndex > 0) this.raftLog.appliedTo(appliedIndex);
    if (stableEntry !== undefined) this.raftLog.stableTo(stableEntry.index, stableEntry.term);
    if (this.campaignAfterApply && this.state === 'follower' && !this.hasUnappliedConfChanges()) {
      this.campaignAfterApply = false;
      this.hup('transfer');
    }
  }
}
