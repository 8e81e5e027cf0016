import { randomInt } from 'node:crypto';
import {
  type ConfChange,
  type ConfState,
  decodeConfChange,
  type Entry,
  ErrProposalDropped,
  encodeConfChange,
  type Message,
  MessageType,
  NONE,
  RaftError,
  RaftErrorCode,
  RawNode,
  type Ready,
  type Snapshot,
} from '@navarch/raft';
import type { Logger } from 'pino';
import {
  type Consensus,
  ConsensusError,
  ConsensusErrorCode,
  type ConsensusStatus,
  type MemberInfo,
  type StateMachine,
} from '../consensus.js';
import { computeMemberId, type MemberContext, type Membership } from '../member/membership.js';
import { memberIdHex, type StoreMetrics } from '../member/metrics.js';
import type { RaftLogStorage } from '../storage/raft-log.js';
import type { ClusterInfoResponse } from '../transport/peer-proto.js';
import { PeerTransport } from '../transport/peer-transport.js';
import { decodeMessage, encodeMessage } from './codec.js';
import {
  decodeEnvelope,
  EnvelopeKind,
  encodeJsonEnvelope,
  encodeRequestEnvelope,
  proposalKey,
} from './envelope.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { ReadIndexBatcher } from './read-index.js';
import { decodeSnapshotImage, encodeSnapshotImage } from './snapshot-image.js';

/** Settings of the Raft driver; every limit has a unit in its name. */
export interface RaftNodeOptions {
  memberId: number;
  clusterId: number;
  /** Cluster token used to derive ids of members added later. */
  clusterToken: string;
  storage: RaftLogStorage;
  membership: Membership;
  stateMachine: StateMachine;
  metrics: StoreMetrics;
  logger: Logger;
  listenPeerUrls: string[];
  /** Leader heartbeat period (one Raft tick). */
  heartbeatIntervalMs: number;
  /** Election timeout; rounded to a whole number of heartbeats. */
  electionTimeoutMs: number;
  /** Compact the log every this many applied entries. */
  snapshotCount: number;
  /** Entries kept after a compaction so slow followers catch up without a snapshot. */
  snapshotCatchUpEntries?: number;
  /** Largest request accepted by propose(), in bytes. Default 1.5 MiB. */
  maxRequestBytes?: number;
  /** How long propose() and readIndex() wait before "request timed out". Default 5 s + 2 election timeouts. */
  requestTimeoutMs?: number;
  /** Called once if the driver hits an unrecoverable error (disk, corruption); the member must stop. */
  onFatal?: (err: unknown) => void;
  /** Called when this member has been removed from the cluster. */
  onRemoved?: () => void;
}

interface PendingProposal {
  resolve(result: Uint8Array): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Messages a member sends to ask the leader for something (not acknowledging any state of its own). */
function isRequestToLeader(message: Message): boolean {
  return message.type === MessageType.Prop || message.type === MessageType.ReadIndex;
}

function consensusError(code: ConsensusErrorCode, message: string): ConsensusError {
  return new ConsensusError(code, message);
}

/**
 * The Raft driver: runs the pure RawNode with real timers and I/O and implements {@link Consensus}.
 *
 * The loop handles one Ready at a time, in the order the Ready contract requires:
 * persist (one synced LevelDB batch: hard state + entries [+ snapshot metadata]) → send messages
 * (a leader sends first, in parallel with its fsync) →
 * apply snapshot and committed entries (those already durable here during the fsync) → advance. While a batch is being fsynced, proposals and
 * messages keep arriving and are stepped into Raft, so the next Ready carries all of them: one
 * fsync serves many proposals (group commit).
 */
export class RaftNode implements Consensus {
  readonly memberId: number;
  readonly clusterId: number;
  readonly transport: PeerTransport;
  private readonly options: RaftNodeOptions;
  private readonly storage: RaftLogStorage;
  private readonly membership: Membership;
  private readonly stateMachine: StateMachine;
  private readonly metrics: StoreMetrics;
  private readonly logger: Logger;
  private readonly rawNode: RawNode;
  private readonly maxRequestBytes: number;
  private readonly requestTimeoutMs: number;
  private readonly snapshotCatchUpEntries: number;

  private tickTimer: NodeJS.Timeout | undefined;
  private processing = false;
  /** Resolves when no Ready is being handled (stop() waits on it before the database closes). */
  private idle: Promise<void> = Promise.resolve();
  private scheduled = false;
  private stopped = false;
  private fatalError: unknown;

  private leaderId = NONE;
  private term = 0;
  private commitIndex = 0;
  private appliedIndex = 0;
  /** Membership as of the applied index (what snapshots carry). */
  private confState: ConfState;
  /** (index, confState) from the last compaction on, to know the membership at a compaction point. */
  private confHistory: { index: number; confState: ConfState }[];

  private nextRequestId: number;
  private readonly pending = new Map<string, PendingProposal>();
  private readonly leaderListeners = new Set<(leaderId: number, isLocalLeader: boolean) => void>();
  private readonly leaderWaiters = new Set<() => void>();

  /** Linearizable reads, batched into ReadIndex rounds. */
  private readonly reads: ReadIndexBatcher;
  private removed = false;
  /** Client proposals waiting to be stepped into Raft together (see flushProposals). */
  private proposalQueue: { key: string; data: Uint8Array }[] = [];
  /** The log compaction running in the background, if any (see maybeCompact). */
  private compaction: Promise<void> | null = null;

  constructor(options: RaftNodeOptions) {
    this.options = options;
    this.memberId = options.memberId;
    this.clusterId = options.clusterId;
    this.storage = options.storage;
    this.membership = options.membership;
    this.stateMachine = options.stateMachine;
    this.metrics = options.metrics;
    this.logger = options.logger.child({ component: 'raft', member: memberIdHex(options.memberId) });
    this.maxRequestBytes = options.maxRequestBytes ?? 1.5 * 1024 * 1024;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000 + 2 * options.electionTimeoutMs;
    this.snapshotCatchUpEntries =
      options.snapshotCatchUpEntries ?? Math.min(5000, Math.floor(options.snapshotCount / 2));
    // Starting far from 0 keeps (proposer, requestId) unique across restarts of this member.
    this.nextRequestId = Date.now() * 1000;

    const snapshotIndex = this.storage.firstIndex() - 1;
    const initial = this.storage.initialState();
    this.confState = initial.confState;
    this.confHistory = [{ index: snapshotIndex, confState: initial.confState }];
    // Raft re-delivers every committed entry after the snapshot index: conf changes must be
    // re-applied to Raft; the state machine skips what it already has (index <= its applied).
    this.appliedIndex = snapshotIndex;
    this.term = initial.hardState.term;
    this.commitIndex = initial.hardState.commit;
    const heartbeatTicks = 1;
    const electionTicks = Math.max(2, Math.round(options.electionTimeoutMs / options.heartbeatIntervalMs));
    this.rawNode = new RawNode({
      id: options.memberId,
      electionTicks,
      heartbeatTicks,
      storage: this.storage,
      random: () => randomInt(0, 2 ** 47) / 2 ** 47,
      applied: snapshotIndex,
      maxSizePerMsgBytes: 1024 * 1024,
      maxInflightMsgs: 256,
      maxUncommittedEntriesBytes: 1024 * 1024 * 1024,
      preVote: true,
      checkQuorum: true,
      logger: (level, message, fields) => this.logger[level]({ ...fields }, message),
    });
    this.reads = new ReadIndexBatcher(
      {
        requestReadIndex: (context) => {
          try {
            this.rawNode.readIndex(context);
          } catch (err) {
            if (!(err instanceof ErrProposalDropped)) throw err;
          }
          this.schedule();
        },
        appliedIndex: () => this.appliedIndex,
        timeoutError: () => consensusError(ConsensusErrorCode.Timeout, 'etcdserver: request timed out'),
      },
      String(options.memberId),
      this.requestTimeoutMs,
    );

    this.transport = new PeerTransport({
      memberId: options.memberId,
      clusterId: () => this.clusterId,
      listenPeerUrls: options.listenPeerUrls,
      handler: {
        onMessages: (from, messages) => this.onPeerMessages(from, messages),
        onSnapshot: (from, header, data) => this.onPeerSnapshot(from, header, data),
        clusterInfo: () => this.clusterInfo(),
        acceptsFrom: (from) => !this.membership.isRemoved(from),
      },
      metrics: this.metrics,
      logger: this.logger,
      onUnreachable: (peerId) => {
        if (this.stopped) return;
        this.rawNode.reportUnreachable(peerId);
        this.schedule();
      },
    });
    this.syncPeers();
  }

  /** Binds the peer listener and starts ticking. Resolves with the bound peer URLs. */
  async start(): Promise<string[]> {
    const urls = await this.transport.start();
    this.tickTimer = setInterval(() => {
      if (this.stopped) return;
      this.rawNode.tick();
      this.schedule();
    }, this.options.heartbeatIntervalMs);
    this.schedule();
    return urls;
  }

  /** Stops ticking and the transport; pending calls fail with Stopped. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    const err = consensusError(ConsensusErrorCode.Stopped, 'etcdserver: server stopped');
    this.failEverything(err);
    await this.transport.stop();
    // Let an in-flight Ready and compaction finish their disk writes before the caller closes the
    // database.
    await this.idle;
    await this.compaction;
    // A commit index the last Readies deferred (see RaftLogStorage.save): a restart resumes there.
    if (this.fatalError === undefined)
      await this.storage.flushHardState().catch((err: unknown) => {
        this.logger.warn({ err }, 'could not write the last commit index; a restart relearns it');
      });
  }

  private failEverything(err: Error): void {
    for (const [key, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(key);
    }
    this.metrics.proposalsPending.set(0);
    this.reads.stop(err);
  }

  // ---------------------------------------------------------------- the loop

  private schedule(): void {
    if (this.scheduled || this.processing || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.processReadies();
    });
  }

  private async processReadies(): Promise<void> {
    if (this.processing || this.stopped) return;
    this.processing = true;
    let done!: () => void;
    this.idle = new Promise((resolve) => {
      done = resolve;
    });
    try {
      while (!this.stopped) {
        this.flushProposals();
        if (!this.rawNode.hasReady()) break;
        await this.handleReady(this.rawNode.ready());
      }
      if (!this.stopped) this.maybeCompact();
    } catch (err) {
      this.fatal(err);
    } finally {
      this.processing = false;
      done();
    }
    if (!this.stopped && (this.rawNode.hasReady() || this.proposalQueue.length > 0)) this.schedule();
  }

  /**
   * Steps every proposal queued since the last call into Raft as one message: one append and one
   * AppendEntries per follower for the lot, instead of one per request (a follower forwards the
   * lot to the leader in one message, too).
   */
  private flushProposals(): void {
    if (this.proposalQueue.length === 0) return;
    const batch = this.proposalQueue;
    this.proposalQueue = [];
    try {
      this.rawNode.proposeBatch(batch.map((p) => p.data));
    } catch (err) {
      const error = this.mapProposeError(err);
      for (const { key } of batch) {
        const waiter = this.pending.get(key);
        if (waiter === undefined) continue;
        this.pending.delete(key);
        clearTimeout(waiter.timer);
        this.metrics.proposalsFailed.inc();
        waiter.reject(error);
      }
      this.metrics.proposalsPending.set(this.pending.size);
    }
  }

  private fatal(err: unknown): void {
    if (this.fatalError !== undefined) return;
    this.fatalError = err;
    this.logger.fatal({ err }, 'raft driver failed; the member must stop');
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.failEverything(consensusError(ConsensusErrorCode.Stopped, 'etcdserver: server stopped'));
    void this.transport.stop();
    this.options.onFatal?.(err);
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) this.onSoftState(rd.softState.leaderId);
    if (rd.hardState) {
      this.term = rd.hardState.term;
      this.commitIndex = rd.hardState.commit;
      this.metrics.proposalsCommitted.set(rd.hardState.commit);
    }
    // A snapshot replaces the log a compaction would trim: let a running one finish first.
    if (rd.snapshot && this.compaction) await this.compaction;
    if (rd.snapshot) await this.installSnapshot(rd.snapshot);

    // A leader sends before its own fsync, so followers write in parallel with it (Raft thesis
    // 10.2.1; etcd's leader does the same). Raft counts the leader's entries as its own ack at
    // append time, so a quorum of followers alone can commit them. Anyone else must persist
    // first: a vote or an append acknowledgement promises state that has to be on disk.
    // Except when this Ready commits entries it is only now writing (a single voter's quorum is
    // itself): its messages would announce to learners a commit a crash before the fsync undoes.
    const sendFirst =
      this.leaderId === this.memberId &&
      (rd.hardState === undefined || rd.hardState.commit <= this.storage.lastIndex());
    // A leader's Ready that writes no entries mostly commits: its clients wait for the apply,
    // while the messages only tell followers the new commit index. Apply first, then send.
    let applyLater: Entry[] | undefined;
    if (sendFirst && rd.entries.length === 0 && !rd.snapshot)
      applyLater = this.applyDurable(rd.committedEntries, rd.entries);
    if (sendFirst) {
      for (const message of rd.messages) this.sendMessage(message);
      // Node writes HTTP/2 frames in a native immediate, after the current callback: yield once
      // so the appends leave before this member's own write, whose hand-off to LevelDB's thread
      // blocks the event loop for ~0.1 ms on this kind of machine. The followers' round trip, not
      // the leader's write, is what a client waits for.
      if (rd.entries.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    } else {
      // A follower's forwarded proposals and read requests ask for something and promise nothing
      // about its own state: they need not wait for its fsync (a write through a follower would
      // otherwise queue behind an unrelated sync).
      for (const message of rd.messages) if (isRequestToLeader(message)) this.sendMessage(message);
    }

    const started = performance.now();
    const persist: Parameters<RaftLogStorage['save']>[0] = { entries: rd.entries };
    if (rd.hardState) persist.hardState = rd.hardState;
    if (rd.snapshot) persist.snapshot = rd.snapshot;
    const saved = this.storage.save(persist, rd.mustSync);

    // While the fsync runs, apply the committed entries that are already durable here (as etcd
    // applies in parallel with its WAL write): they are committed, so on a quorum's disks, and
    // below this Ready's writes, so nothing in them is being replaced. The rest wait for the fsync.
    applyLater ??= rd.snapshot ? rd.committedEntries : this.applyDurable(rd.committedEntries, rd.entries);

    await saved;
    if (rd.mustSync) this.metrics.walFsyncDurationSeconds.observe((performance.now() - started) / 1000);

    // Only now that the state above is durable may anything that promises it leave.
    if (!sendFirst)
      for (const message of rd.messages) if (!isRequestToLeader(message)) this.sendMessage(message);

    for (const readState of rd.readStates) this.reads.onReadState(readState.index, readState.context);

    if (applyLater.length > 0) this.applyTimed(applyLater);
    this.rawNode.advance(rd);
    this.reads.release();
  }

  private onSoftState(leaderId: number): void {
    if (leaderId === this.leaderId) return;
    const previous = this.leaderId;
    this.leaderId = leaderId;
    this.metrics.hasLeader.set(leaderId === NONE ? 0 : 1);
    this.metrics.isLeader.set(leaderId === this.memberId ? 1 : 0);
    if (leaderId !== NONE) this.metrics.leaderChangesSeen.inc();
    this.logger.info(
      { leader: memberIdHex(leaderId), previous: memberIdHex(previous), term: this.term },
      'leader changed',
    );
    for (const listener of this.leaderListeners) {
      try {
        listener(leaderId, leaderId === this.memberId);
      } catch (err) {
        this.logger.error({ err }, 'leader change listener threw');
      }
    }
    if (leaderId !== NONE) {
      for (const wake of this.leaderWaiters) wake();
      this.leaderWaiters.clear();
      this.reads.onLeaderChange();
    }
  }

  private sendMessage(message: Message): void {
    if (message.type === MessageType.Snap) {
      void this.sendSnapshot(message);
      return;
    }
    const sent = this.transport.send(message.to, encodeMessage(message));
    if (!sent && message.type === MessageType.App) this.rawNode.reportUnreachable(message.to);
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * Raft asked to send its stored snapshot; like etcd, send a fresh image of the state machine at
   * the applied index instead (the stored one is metadata only).
   */
  private async sendSnapshot(message: Message): Promise<void> {
    const to = message.to;
    try {
      const image = this.stateMachine.snapshot();
      const index = image.index;
      const snapshot: Snapshot = {
        metadata: { index, term: this.storage.term(index), confState: this.confStateAt(index) },
        data: new Uint8Array(0),
      };
      const data = encodeSnapshotImage(this.membership.image(), image.data);
      const header = encodeMessage({ ...message, snapshot }, true);
      this.logger.info({ to: memberIdHex(to), index, bytes: data.byteLength }, 'sending snapshot');
      await this.transport.sendSnapshot(to, header, data);
      this.metrics.snapshotsSent.inc({ To: memberIdHex(to), outcome: 'success' });
      if (!this.stopped) this.rawNode.reportSnapshot(to, 'finish');
    } catch (err) {
      this.metrics.snapshotsSent.inc({ To: memberIdHex(to), outcome: 'failure' });
      this.logger.warn({ to: memberIdHex(to), err: (err as Error).message }, 'sending snapshot failed');
      if (!this.stopped) {
        this.rawNode.reportUnreachable(to);
        this.rawNode.reportSnapshot(to, 'failure');
      }
    }
    this.schedule();
  }

  private async onPeerSnapshot(from: number, header: Uint8Array, data: Uint8Array): Promise<void> {
    if (this.stopped) throw new Error('member stopped');
    const message = decodeMessage(header);
    if (!message.snapshot) throw new Error('snapshot header without snapshot metadata');
    message.snapshot = { metadata: message.snapshot.metadata, data };
    this.logger.info(
      { from: memberIdHex(from), index: message.snapshot.metadata.index },
      'received snapshot',
    );
    this.step(message);
  }

  /**
   * Installs a snapshot the leader sent, before the Raft log records it: membership and state
   * machine first (restore is durable), so that on a crash in between the log still describes a
   * state the state machine can reach (it only skips entries it already has).
   */
  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    const { membership, stateMachineData } = decodeSnapshotImage(snapshot.data);
    const index = snapshot.metadata.index;
    await this.stateMachine.restore({ index, data: stateMachineData });
    this.membership.restore(membership);
    await this.membership.persist();
    this.confState = snapshot.metadata.confState;
    this.confHistory = [{ index, confState: snapshot.metadata.confState }];
    this.appliedIndex = index;
    this.metrics.proposalsApplied.set(index);
    this.syncPeers();
    this.logger.info({ index, term: snapshot.metadata.term }, 'installed snapshot');
  }

  private confStateAt(index: number): ConfState {
    let result = this.confHistory[0]!.confState;
    for (const item of this.confHistory) {
      if (item.index <= index) result = item.confState;
    }
    return result;
  }

  /**
   * Every `snapshotCount` applied entries: make the state machine durable, then drop the log up
   * to `applied - snapshotCatchUpEntries` (the state machine itself is the snapshot).
   */
  /**
   * Every --snapshot-count applied entries, makes the state machine durable and drops the log below
   * it. Runs in the background: Readys keep flowing meanwhile (the storage keeps its in-memory log
   * consistent when a compaction and a save overlap), so the flush and the large delete batch add
   * no pause to client requests. At most one runs at a time.
   */
  private maybeCompact(): void {
    if (this.compaction !== null) return;
    const snapshotIndex = this.storage.firstIndex() - 1;
    if (this.appliedIndex - snapshotIndex < this.options.snapshotCount) return;
    this.compaction = this.compact(snapshotIndex)
      .catch((err: unknown) => this.fatal(err))
      .finally(() => {
        this.compaction = null;
      });
  }

  private async compact(snapshotIndex: number): Promise<void> {
    const durable = await this.stateMachine.flush();
    if (this.stopped) return;
    const compactIndex = Math.min(durable, this.appliedIndex) - this.snapshotCatchUpEntries;
    if (compactIndex <= snapshotIndex || compactIndex <= this.storage.firstIndex() - 1) return;
    const confState = this.confStateAt(compactIndex);
    await this.storage.compact(compactIndex, confState);
    this.confHistory = [
      { index: compactIndex, confState },
      ...this.confHistory.filter((item) => item.index > compactIndex),
    ];
    this.metrics.snapshotsTaken.inc();
    this.logger.info({ compactIndex, applied: this.appliedIndex }, 'compacted raft log');
  }

  // ---------------------------------------------------------------- apply

  /**
   * Applies the leading committed entries that are durable in this member's log: below the first
   * entry `writing` puts there, and before any configuration change (which changes Raft's own
   * state, so it keeps the strict order). Returns the entries left for after the write.
   */
  private applyDurable(committed: Entry[], writing: Entry[]): Entry[] {
    const firstWritten = writing[0]?.index ?? Number.POSITIVE_INFINITY;
    const durableLast = Math.min(this.storage.lastIndex(), firstWritten - 1);
    let n = 0;
    while (n < committed.length) {
      const entry = committed[n]!;
      if (entry.index > durableLast || entry.type === 'confChange') break;
      n += 1;
    }
    if (n === 0) return committed;
    this.applyTimed(n === committed.length ? committed : committed.slice(0, n));
    return committed.slice(n);
  }

  private applyTimed(entries: Entry[]): void {
    const applyStarted = performance.now();
    this.applyEntries(entries);
    this.metrics.backendCommitDurationSeconds.observe((performance.now() - applyStarted) / 1000);
  }

  private applyEntries(entries: Entry[]): void {
    for (const entry of entries) {
      if (entry.index <= this.appliedIndex) continue;
      if (entry.type === 'confChange') this.applyConfChangeEntry(entry);
      else this.applyNormalEntry(entry);
      this.appliedIndex = entry.index;
    }
    this.metrics.proposalsApplied.set(this.appliedIndex);
  }

  private applyToStateMachine(
    index: number,
    request: Uint8Array | null,
    wantResult = false,
  ): Uint8Array | undefined {
    if (index <= this.stateMachine.appliedIndex()) return undefined;
    return this.stateMachine.apply(index, request, wantResult);
  }

  private applyNormalEntry(entry: Entry): void {
    const envelope = decodeEnvelope(entry.data);
    switch (envelope.kind) {
      case 'noop':
        this.applyToStateMachine(entry.index, null);
        return;
      case 'request': {
        // Only a proposal still waiting here reads the result: skip encoding it everywhere else.
        const key =
          envelope.proposer === this.memberId ? proposalKey(envelope.proposer, envelope.requestId) : '';
        const waited = key !== '' && this.pending.has(key);
        const result = this.applyToStateMachine(entry.index, envelope.request, waited);
        if (waited) this.settle(key, result ?? new Uint8Array(0));
        return;
      }
      case 'memberAttributes':
        this.applyToStateMachine(entry.index, null);
        this.membership.setAttributes(envelope.id, envelope.name, envelope.clientUrls);
        void this.membership.persist();
        return;
      case 'memberUpdate':
        this.applyToStateMachine(entry.index, null);
        this.membership.setPeerUrls(envelope.id, envelope.peerUrls);
        void this.membership.persist();
        this.syncPeers();
        if (envelope.proposer === this.memberId)
          this.settle(proposalKey(envelope.proposer, envelope.requestId), new Uint8Array(0));
        return;
    }
  }

  private applyConfChangeEntry(entry: Entry): void {
    const change = decodeConfChange(entry.data);
    let context: MemberContext | undefined;
    if (change.context && change.context.byteLength > 0) {
      context = JSON.parse(Buffer.from(change.context).toString('utf8')) as MemberContext;
    }
    const confState = this.rawNode.applyConfChange(change);
    this.confState = confState;
    this.confHistory.push({ index: entry.index, confState });
    this.membership.applyConfChange(change, context, confState);
    void this.membership.persist();
    this.applyToStateMachine(entry.index, null);
    this.syncPeers();
    this.logger.info(
      { change: change.type, node: memberIdHex(change.nodeId), index: entry.index },
      'applied membership change',
    );
    if (context && context.proposer === this.memberId) {
      this.settle(proposalKey(context.proposer, context.requestId), new Uint8Array(0));
    }
    if (change.type === 'removeNode' && change.nodeId === this.memberId && !this.removed) {
      this.removed = true;
      this.logger.warn({}, 'this member was removed from the cluster');
      setImmediate(() => this.options.onRemoved?.());
    }
  }

  private syncPeers(): void {
    const members = this.membership.list();
    const known = new Set<number>();
    for (const m of members) {
      if (m.id === this.memberId) continue;
      known.add(m.id);
      if (m.peerUrls.length > 0) this.transport.setPeer(m.id, m.peerUrls);
    }
    for (const id of this.transport.peers()) if (!known.has(id)) this.transport.removePeer(id);
  }

  private settle(key: string, result: Uint8Array): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    this.metrics.proposalsPending.set(this.pending.size);
    p.resolve(result);
  }

  // ---------------------------------------------------------------- input

  private onPeerMessages(from: number, messages: Uint8Array[]): void {
    if (this.stopped) return;
    for (const bytes of messages) {
      let message: Message;
      try {
        message = decodeMessage(bytes);
      } catch (err) {
        this.logger.warn(
          { from: memberIdHex(from), err: (err as Error).message },
          'dropping undecodable raft message',
        );
        continue;
      }
      this.step(message);
    }
  }

  private step(message: Message): void {
    try {
      this.rawNode.step(message);
    } catch (err) {
      // A message Raft refuses (a response from an unknown peer, a stale kind) is dropped; a
      // broken invariant means corrupted state and stops the member.
      if (err instanceof RaftError && err.code !== RaftErrorCode.Invariant) {
        this.logger.debug({ err: err.message, type: message.type }, 'raft refused a message');
      } else {
        this.fatal(err);
        return;
      }
    }
    this.schedule();
  }

  private async waitForLeader(signal: AbortSignal | undefined): Promise<void> {
    if (this.leaderId !== NONE) return;
    const waitMs = Math.min(this.requestTimeoutMs, 3 * this.options.electionTimeoutMs);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.leaderWaiters.delete(wake);
        reject(consensusError(ConsensusErrorCode.NoLeader, 'etcdserver: no leader'));
      }, waitMs);
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.leaderWaiters.add(wake);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        this.leaderWaiters.delete(wake);
        reject(signal.reason ?? new Error('aborted'));
      });
    });
  }

  private checkUsable(): void {
    if (this.stopped || this.removed)
      throw consensusError(ConsensusErrorCode.Stopped, 'etcdserver: server stopped');
  }

  /** Proposes already-enveloped entry data and waits for it to be applied here. */
  private async proposeEnvelope(
    key: string,
    propose: () => void,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    this.checkUsable();
    await this.waitForLeader(signal);
    this.checkUsable();
    return await new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(key)) return;
        this.metrics.proposalsPending.set(this.pending.size);
        this.metrics.proposalsFailed.inc();
        reject(consensusError(ConsensusErrorCode.Timeout, 'etcdserver: request timed out'));
      }, this.requestTimeoutMs);
      this.pending.set(key, { resolve, reject, timer });
      this.metrics.proposalsPending.set(this.pending.size);
      signal?.addEventListener('abort', () => {
        if (!this.pending.delete(key)) return;
        clearTimeout(timer);
        this.metrics.proposalsPending.set(this.pending.size);
        reject(signal.reason ?? new Error('aborted'));
      });
      try {
        propose();
      } catch (err) {
        this.pending.delete(key);
        clearTimeout(timer);
        this.metrics.proposalsPending.set(this.pending.size);
        this.metrics.proposalsFailed.inc();
        reject(this.mapProposeError(err));
        return;
      }
      this.schedule();
    });
  }

  private mapProposeError(err: unknown): Error {
    if (err instanceof ErrProposalDropped) {
      switch (err.reason) {
        case 'noLeader':
          return consensusError(ConsensusErrorCode.NoLeader, 'etcdserver: no leader');
        case 'notMember':
          return consensusError(ConsensusErrorCode.Stopped, 'etcdserver: server stopped');
        case 'pendingConfChange':
          return consensusError(ConsensusErrorCode.Timeout, 'etcdserver: request timed out');
        default:
          return consensusError(ConsensusErrorCode.LeaderChanged, 'etcdserver: leader changed');
      }
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  private newRequestId(): number {
    this.nextRequestId += 1;
    return this.nextRequestId;
  }

  // ---------------------------------------------------------------- Consensus

  async propose(request: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    if (request.byteLength > this.maxRequestBytes)
      throw consensusError(ConsensusErrorCode.RequestTooLarge, 'etcdserver: request is too large');
    const requestId = this.newRequestId();
    const data = encodeRequestEnvelope(this.memberId, requestId, request);
    const key = proposalKey(this.memberId, requestId);
    return await this.proposeEnvelope(key, () => this.proposalQueue.push({ key, data }), signal);
  }

  async readIndex(signal?: AbortSignal): Promise<void> {
    this.checkUsable();
    await this.waitForLeader(signal);
    this.checkUsable();
    await this.reads.wait(signal);
  }

  status(): ConsensusStatus {
    const self = this.membership.get(this.memberId);
    return {
      memberId: this.memberId,
      clusterId: this.clusterId,
      leaderId: this.leaderId,
      raftTerm: this.term,
      raftIndex: Math.max(this.storage.lastIndex(), this.commitIndex),
      raftAppliedIndex: this.appliedIndex,
      isLearner: self?.isLearner ?? this.confState.learners.includes(this.memberId),
    };
  }

  members(): MemberInfo[] {
    return this.membership.list();
  }

  private clusterInfo(): ClusterInfoResponse {
    return {
      cluster_id: this.clusterId,
      member_id: this.memberId,
      members: this.membership.list().map((m) => ({
        id: m.id,
        name: m.name,
        peer_urls: m.peerUrls,
        client_urls: m.clientUrls,
        is_learner: m.isLearner,
      })),
    };
  }

  private validateUrls(peerUrls: string[]): void {
    const ok =
      peerUrls.length > 0 &&
      peerUrls.every((url) => {
        try {
          const u = new URL(url);
          return (u.protocol === 'http:' || u.protocol === 'https:') && u.port !== '';
        } catch {
          return false;
        }
      });
    if (!ok)
      throw consensusError(ConsensusErrorCode.MemberBadUrls, 'etcdserver: given member URLs are invalid');
  }

  private async proposeConfChange(
    change: Omit<ConfChange, 'context'>,
    context: Omit<MemberContext, 'proposer' | 'requestId'>,
  ): Promise<void> {
    const requestId = this.newRequestId();
    const full: MemberContext = { ...context, proposer: this.memberId, requestId };
    const cc: ConfChange = { ...change, context: Buffer.from(JSON.stringify(full), 'utf8') };
    encodeConfChange(cc); // validates the change before it is proposed
    await this.proposeEnvelope(
      proposalKey(this.memberId, requestId),
      () => this.rawNode.proposeConfChange(cc),
      undefined,
    );
  }

  async addMember(peerUrls: string[], isLearner: boolean): Promise<MemberInfo> {
    this.validateUrls(peerUrls);
    const members = this.membership.list();
    const taken = new Set(members.flatMap((m) => m.peerUrls));
    if (peerUrls.some((url) => taken.has(url)))
      throw consensusError(ConsensusErrorCode.PeerUrlExists, 'etcdserver: Peer URLs already exists');
    if (isLearner && members.filter((m) => m.isLearner).length >= 1)
      throw consensusError(
        ConsensusErrorCode.TooManyLearners,
        'etcdserver: too many learner members in cluster',
      );
    const id = computeMemberId(peerUrls, this.options.clusterToken, String(Date.now()));
    await this.proposeConfChange(
      { type: isLearner ? 'addLearnerNode' : 'addNode', nodeId: id },
      { name: '', peerUrls, clientUrls: [] },
    );
    const added = this.membership.get(id);
    return added ? { ...added } : { id, name: '', peerUrls, clientUrls: [], isLearner };
  }

  async removeMember(id: number): Promise<void> {
    const member = this.membership.get(id);
    if (!member) throw consensusError(ConsensusErrorCode.MemberNotFound, 'etcdserver: member not found');
    if (!member.isLearner && this.leaderId === this.memberId) {
      // Strict reconfiguration check (etcd's default): removing a voter must leave a quorum of
      // the remaining voters connected to the leader.
      const voters = this.membership.list().filter((m) => !m.isLearner && m.id !== id);
      const active = voters.filter((m) => m.id === this.memberId || this.transport.isConnected(m.id)).length;
      if (active < Math.floor(voters.length / 2) + 1)
        throw consensusError(ConsensusErrorCode.Unhealthy, 'etcdserver: unhealthy cluster');
    }
    await this.proposeConfChange(
      { type: 'removeNode', nodeId: id },
      { name: member.name, peerUrls: member.peerUrls, clientUrls: member.clientUrls },
    );
  }

  async promoteMember(id: number): Promise<void> {
    const member = this.membership.get(id);
    if (!member) throw consensusError(ConsensusErrorCode.MemberNotFound, 'etcdserver: member not found');
    if (!member.isLearner)
      throw consensusError(
        ConsensusErrorCode.MemberNotLearner,
        'etcdserver: can only promote a learner member',
      );
    if (this.leaderId === this.memberId) {
      // etcd's rule: the learner's match index must be within 90% of the leader's.
      const progress = this.rawNode.status().progress.find((p) => p.id === id);
      const leaderMatch = this.storage.lastIndex();
      if (!progress || progress.match < leaderMatch * 0.9)
        throw consensusError(
          ConsensusErrorCode.LearnerNotReady,
          'etcdserver: can only promote a learner member which is in sync with leader',
        );
    } else if (this.leaderId === NONE) {
      throw consensusError(ConsensusErrorCode.NoLeader, 'etcdserver: no leader');
    }
    await this.proposeConfChange(
      { type: 'addNode', nodeId: id },
      { name: member.name, peerUrls: member.peerUrls, clientUrls: member.clientUrls },
    );
  }

  async updateMember(id: number, peerUrls: string[]): Promise<void> {
    this.validateUrls(peerUrls);
    if (!this.membership.get(id))
      throw consensusError(ConsensusErrorCode.MemberNotFound, 'etcdserver: member not found');
    const taken = new Set(
      this.membership
        .list()
        .filter((m) => m.id !== id)
        .flatMap((m) => m.peerUrls),
    );
    if (peerUrls.some((url) => taken.has(url)))
      throw consensusError(ConsensusErrorCode.PeerUrlExists, 'etcdserver: Peer URLs already exists');
    const requestId = this.newRequestId();
    const data = encodeJsonEnvelope(EnvelopeKind.MemberUpdate, {
      id,
      peerUrls,
      proposer: this.memberId,
      requestId,
    });
    await this.proposeEnvelope(
      proposalKey(this.memberId, requestId),
      () => this.rawNode.propose(data),
      undefined,
    );
  }

  /** Publishes this member's name and client URLs to the cluster (etcd does this right after start). */
  async publishAttributes(name: string, clientUrls: string[]): Promise<void> {
    const data = encodeJsonEnvelope(EnvelopeKind.MemberAttributes, { id: this.memberId, name, clientUrls });
    this.checkUsable();
    await this.waitForLeader(undefined);
    this.rawNode.propose(data);
    this.schedule();
  }

  async moveLeader(targetId: number): Promise<void> {
    if (this.leaderId !== this.memberId)
      throw consensusError(ConsensusErrorCode.NotLeader, 'etcdserver: not leader');
    const target = this.membership.get(targetId);
    if (!target || target.isLearner)
      throw consensusError(ConsensusErrorCode.BadLeaderTransferee, 'etcdserver: bad leader transferee');
    if (targetId === this.memberId) return;
    try {
      this.rawNode.transferLeader(targetId);
    } catch (err) {
      throw this.mapProposeError(err);
    }
    this.schedule();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(
          consensusError(
            ConsensusErrorCode.Timeout,
            'etcdserver: request timed out, leader transfer took too long',
          ),
        );
      }, this.requestTimeoutMs);
      const unsubscribe = this.onLeaderChange((leaderId) => {
        if (leaderId !== targetId) return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
    });
  }

  onLeaderChange(listener: (leaderId: number, isLocalLeader: boolean) => void): () => void {
    this.leaderListeners.add(listener);
    return () => this.leaderListeners.delete(listener);
  }

  /** True once this member has seen itself removed from the cluster. */
  isRemoved(): boolean {
    return this.removed;
  }
}

export { StoreError, StoreErrorCode };
