/**
 * The Raft driver: runs the pure RawNode with real timers and I/O and implements Consensus.
 *
 * This file owns the Ready loop and its ordering rules (persist, send, apply, advance; see
 * {@link RaftNode}), the driver's lifecycle (start, stop, fatal errors), peer input, and the
 * Consensus entry points. The rest lives beside it, each module with its own invariants:
 * proposals.ts (queued and pending proposals), apply.ts (what applying an entry does),
 * snapshots.ts (snapshot send/receive/install, log compaction, ConfState history),
 * membership-ops.ts (member add/remove/promote/update, moveLeader, ClusterInfo), leader.ts (the
 * known leader, its listeners and waiters), read-index.ts (linearizable reads).
 *
 * Invariants: one Ready is handled at a time, and only that loop (handleReady) writes the Raft log
 * and hard state, sends Raft messages (snapshots excepted: they stream in the background), applies
 * entries, installs snapshots and advances RawNode. The background compaction only drops log
 * entries the state machine has made durable.
 */
import { randomInt } from 'node:crypto';
import {
  type Entry,
  ErrProposalDropped,
  type Message,
  MessageType,
  NONE,
  RaftError,
  RaftErrorCode,
  RawNode,
  type Ready,
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
import type { Membership } from '../member/membership.js';
import { memberIdHex, type StoreMetrics } from '../member/metrics.js';
import type { RaftLogStorage } from '../storage/raft-log.js';
import { PeerTransport } from '../transport/peer-transport.js';
import { EntryApplier } from './apply.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { encodeRequestEnvelope, proposalKey } from './envelope.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { LeaderWatch } from './leader.js';
import { clusterInfo, MembershipOperations, syncPeers } from './membership-ops.js';
import { ProposalTracker } from './proposals.js';
import { ReadIndexBatcher } from './read-index.js';
import { ConfStateHistory, SnapshotManager } from './snapshots.js';

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
  /** Largest snapshot accepted from a peer (see maxSnapshotBytesForQuota). Default: for a 2 GiB quota. */
  maxSnapshotBytes?: number;
  /** How long propose() and readIndex() wait before "request timed out". Default 5 s + 2 election timeouts. */
  requestTimeoutMs?: number;
  /** Called once if the driver hits an unrecoverable error (disk, corruption); the member must stop. */
  onFatal?: (err: unknown) => void;
  /** Called when this member has been removed from the cluster. */
  onRemoved?: () => void;
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

  private tickTimer: NodeJS.Timeout | undefined;
  private processing = false;
  /** Resolves when no Ready is being handled (stop() waits on it before the database closes). */
  private idle: Promise<void> = Promise.resolve();
  private scheduled = false;
  private stopped = false;
  private fatalError: unknown;

  private term = 0;
  private commitIndex = 0;
  /** Membership as of the applied index and from the last compaction on (what snapshots carry). */
  private readonly confs: ConfStateHistory;
  /** The known leader, its listeners and the callers waiting for one. */
  private readonly leader: LeaderWatch;
  /** Client proposals: queued for the next Ready, and waiting for their apply. */
  private readonly proposals: ProposalTracker;
  /** Linearizable reads, batched into ReadIndex rounds. */
  private readonly reads: ReadIndexBatcher;
  /** Applies committed entries; owns the applied index. */
  private readonly applier: EntryApplier;
  /** Snapshot send/receive/install and the background log compaction. */
  private readonly snapshots: SnapshotManager;
  private readonly memberOps: MembershipOperations;

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
    this.leader = new LeaderWatch(
      options.memberId,
      this.metrics,
      this.logger,
      Math.min(this.requestTimeoutMs, 3 * options.electionTimeoutMs),
    );

    const snapshotIndex = this.storage.firstIndex() - 1;
    const initial = this.storage.initialState();
    this.confs = new ConfStateHistory(snapshotIndex, initial.confState);
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
    this.proposals = new ProposalTracker(this.rawNode, this.metrics, this.requestTimeoutMs, () =>
      this.schedule(),
    );
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
        appliedIndex: () => this.applier.appliedIndex,
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
        clusterInfo: () => clusterInfo(this.clusterId, this.memberId, this.membership),
        acceptsFrom: (from) => !this.membership.isRemoved(from),
      },
      metrics: this.metrics,
      logger: this.logger,
      ...(options.maxSnapshotBytes === undefined ? {} : { maxSnapshotBytes: options.maxSnapshotBytes }),
      onUnreachable: (peerId) => {
        if (this.stopped) return;
        this.rawNode.reportUnreachable(peerId);
        this.schedule();
      },
    });

    const shared = {
      memberId: this.memberId,
      storage: this.storage,
      membership: this.membership,
      metrics: this.metrics,
      logger: this.logger,
      rawNode: this.rawNode,
      transport: this.transport,
    };
    // Raft re-delivers every committed entry after the snapshot index: conf changes must be
    // re-applied to Raft; the state machine skips what it already has (index <= its applied).
    this.applier = new EntryApplier({
      ...shared,
      stateMachine: this.stateMachine,
      proposals: this.proposals,
      confs: this.confs,
      appliedIndex: snapshotIndex,
      onRemoved: options.onRemoved,
    });
    this.snapshots = new SnapshotManager({
      ...shared,
      stateMachine: this.stateMachine,
      confs: this.confs,
      applier: this.applier,
      snapshotCount: options.snapshotCount,
      snapshotCatchUpEntries: options.snapshotCatchUpEntries,
      isStopped: () => this.stopped,
      schedule: () => this.schedule(),
      fatal: (err) => this.fatal(err),
    });
    this.memberOps = new MembershipOperations({
      ...shared,
      clusterToken: options.clusterToken,
      requestTimeoutMs: this.requestTimeoutMs,
      proposals: this.proposals,
      leader: this.leader,
      proposeAndWait: (key, propose, signal) => this.proposeEnvelope(key, propose, signal),
      checkUsable: () => this.checkUsable(),
      schedule: () => this.schedule(),
    });
    syncPeers(this.memberId, this.membership, this.transport);
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
    await this.snapshots.compaction;
    // A commit index the last Readies deferred (see RaftLogStorage.save): a restart resumes there.
    if (this.fatalError === undefined)
      await this.storage.flushHardState().catch((err: unknown) => {
        this.logger.warn({ err }, 'could not write the last commit index; a restart relearns it');
      });
  }

  private failEverything(err: Error): void {
    this.proposals.failAll(err);
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
        this.proposals.flush();
        if (!this.rawNode.hasReady()) break;
        await this.handleReady(this.rawNode.ready());
      }
      if (!this.stopped) this.snapshots.maybeCompact();
    } catch (err) {
      this.fatal(err);
    } finally {
      this.processing = false;
      done();
    }
    if (!this.stopped && (this.rawNode.hasReady() || this.proposals.hasQueued())) this.schedule();
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
    if (rd.snapshot && this.snapshots.compaction) await this.snapshots.compaction;
    if (rd.snapshot) await this.snapshots.install(rd.snapshot);

    // A leader sends before its own fsync, so followers write in parallel with it (Raft thesis
    // 10.2.1; etcd's leader does the same). Raft counts the leader's entries as its own ack at
    // append time, so a quorum of followers alone can commit them. Anyone else must persist
    // first: a vote or an append acknowledgement promises state that has to be on disk.
    // Except when this Ready commits entries it is only now writing (a single voter's quorum is
    // itself): its messages would announce to learners a commit a crash before the fsync undoes.
    const sendFirst =
      this.leader.id === this.memberId &&
      (rd.hardState === undefined || rd.hardState.commit <= this.storage.lastIndex());
    // A leader's Ready that writes no entries mostly commits: its clients wait for the apply,
    // while the messages only tell followers the new commit index. Apply first, then send.
    let applyLater: Entry[] | undefined;
    if (sendFirst && rd.entries.length === 0 && !rd.snapshot)
      applyLater = this.applier.applyDurable(rd.committedEntries, rd.entries);
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
    applyLater ??= rd.snapshot
      ? rd.committedEntries
      : this.applier.applyDurable(rd.committedEntries, rd.entries);

    await saved;
    if (rd.mustSync) this.metrics.walFsyncDurationSeconds.observe((performance.now() - started) / 1000);

    // Only now that the state above is durable may anything that promises it leave.
    if (!sendFirst)
      for (const message of rd.messages) if (!isRequestToLeader(message)) this.sendMessage(message);

    for (const readState of rd.readStates) this.reads.onReadState(readState.index, readState.context);

    if (applyLater.length > 0) this.applier.applyTimed(applyLater);
    this.rawNode.advance(rd);
    this.reads.release();
  }

  private onSoftState(leaderId: number): void {
    if (this.leader.update(leaderId, this.term) && leaderId !== NONE) this.reads.onLeaderChange();
  }

  private sendMessage(message: Message): void {
    if (message.type === MessageType.Snap) {
      void this.snapshots.send(message);
      return;
    }
    const sent = this.transport.send(message.to, encodeMessage(message));
    if (!sent && message.type === MessageType.App) this.rawNode.reportUnreachable(message.to);
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

  private async onPeerSnapshot(from: number, header: Uint8Array, data: Uint8Array): Promise<void> {
    if (this.stopped) throw new Error('member stopped');
    this.step(this.snapshots.received(from, header, data));
  }

  private checkUsable(): void {
    if (this.stopped || this.applier.removed)
      throw consensusError(ConsensusErrorCode.Stopped, 'etcdserver: server stopped');
  }

  /** Proposes already-enveloped entry data and waits for it to be applied here. */
  private async proposeEnvelope(
    key: string,
    propose: () => void,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    this.checkUsable();
    await this.leader.wait(signal);
    this.checkUsable();
    return await this.proposals.wait(key, propose, signal);
  }

  // ---------------------------------------------------------------- Consensus

  async propose(request: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    if (request.byteLength > this.maxRequestBytes)
      throw consensusError(ConsensusErrorCode.RequestTooLarge, 'etcdserver: request is too large');
    const requestId = this.proposals.newRequestId();
    const data = encodeRequestEnvelope(this.memberId, requestId, request);
    const key = proposalKey(this.memberId, requestId);
    return await this.proposeEnvelope(key, () => this.proposals.enqueue(key, data), signal);
  }

  async readIndex(signal?: AbortSignal): Promise<void> {
    this.checkUsable();
    await this.leader.wait(signal);
    this.checkUsable();
    await this.reads.wait(signal);
  }

  status(): ConsensusStatus {
    const self = this.membership.get(this.memberId);
    return {
      memberId: this.memberId,
      clusterId: this.clusterId,
      leaderId: this.leader.id,
      raftTerm: this.term,
      raftIndex: Math.max(this.storage.lastIndex(), this.commitIndex),
      raftAppliedIndex: this.applier.appliedIndex,
      isLearner: self?.isLearner ?? this.confs.current.learners.includes(this.memberId),
    };
  }

  members(): MemberInfo[] {
    return this.membership.list();
  }

  addMember(peerUrls: string[], isLearner: boolean): Promise<MemberInfo> {
    return this.memberOps.addMember(peerUrls, isLearner);
  }

  removeMember(id: number): Promise<void> {
    return this.memberOps.removeMember(id);
  }

  promoteMember(id: number): Promise<void> {
    return this.memberOps.promoteMember(id);
  }

  updateMember(id: number, peerUrls: string[]): Promise<void> {
    return this.memberOps.updateMember(id, peerUrls);
  }

  /** Publishes this member's name and client URLs to the cluster (etcd does this right after start). */
  publishAttributes(name: string, clientUrls: string[]): Promise<void> {
    return this.memberOps.publishAttributes(name, clientUrls);
  }

  moveLeader(targetId: number): Promise<void> {
    return this.memberOps.moveLeader(targetId);
  }

  onLeaderChange(listener: (leaderId: number, isLocalLeader: boolean) => void): () => void {
    return this.leader.subscribe(listener);
  }

  /** True once this member has seen itself removed from the cluster. */
  isRemoved(): boolean {
    return this.applier.removed;
  }
}

export { StoreError, StoreErrorCode };
