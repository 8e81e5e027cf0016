/**
 * Snapshots of the Raft driver: sending a fresh state-machine image to a lagging member, reading
 * one a leader sent, installing it, and compacting the Raft log once the state machine is durable;
 * plus the history of membership (ConfState) that a snapshot or a compaction point must carry.
 *
 * Invariants:
 * - The state machine itself is the snapshot: the stored Raft snapshot is metadata only, and a
 *   sent image is taken at the state machine's applied index, with the ConfState at that index.
 * - An installed snapshot reaches the state machine and membership (durably) before the Raft log
 *   records it (the Ready loop saves it afterwards), so a crash in between leaves a log the state
 *   machine can catch up with.
 * - At most one compaction runs at a time; it only drops entries the state machine has flushed,
 *   and keeps `snapshotCatchUpEntries` of them for slow followers.
 */
import type { ConfState, Message, RawNode, Snapshot } from '@navarch/raft';
import type { Logger } from 'pino';
import type { StateMachine } from '../consensus.js';
import type { Membership } from '../member/membership.js';
import { memberIdHex, type StoreMetrics } from '../member/metrics.js';
import type { RaftLogStorage } from '../storage/raft-log.js';
import type { PeerTransport } from '../transport/peer-transport.js';
import type { EntryApplier } from './apply.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { syncPeers } from './membership-ops.js';
import { decodeSnapshotImage, encodeSnapshotImage } from './snapshot-image.js';

/**
 * Membership as of the applied index, and as of every index from the last compaction (or
 * installed snapshot) on: a snapshot sent or a compaction made at index i must carry the
 * ConfState at i, not the current one. Entries are in increasing index order.
 */
export class ConfStateHistory {
  /** Membership as of the applied index (what snapshots carry). */
  current: ConfState;
  /** (index, confState) from the last compaction on, to know the membership at a compaction point. */
  private history: { index: number; confState: ConfState }[];

  /** Starts from the ConfState of the log's snapshot at `index`. */
  constructor(index: number, confState: ConfState) {
    this.current = confState;
    this.history = [{ index, confState }];
  }

  /** The membership in force at `index` (the oldest known one for an index before the history). */
  at(index: number): ConfState {
    let result = this.history[0]!.confState;
    for (const item of this.history) {
      if (item.index <= index) result = item.confState;
    }
    return result;
  }

  /** A configuration change applied at `index`. */
  record(index: number, confState: ConfState): void {
    this.current = confState;
    this.history.push({ index, confState });
  }

  /** A snapshot installed at `index`: nothing before it is known any more. */
  reset(index: number, confState: ConfState): void {
    this.current = confState;
    this.history = [{ index, confState }];
  }

  /** The log was compacted at `index`, whose membership was `confState`: forget what precedes it. */
  compactedAt(index: number, confState: ConfState): void {
    this.history = [{ index, confState }, ...this.history.filter((item) => item.index > index)];
  }
}

/** What the snapshot code needs from its driver; objects are shared, not copied. */
export interface SnapshotDependencies {
  memberId: number;
  storage: RaftLogStorage;
  stateMachine: StateMachine;
  membership: Membership;
  metrics: StoreMetrics;
  logger: Logger;
  transport: PeerTransport;
  rawNode: RawNode;
  confs: ConfStateHistory;
  applier: EntryApplier;
  /** Compact the log every this many applied entries. */
  snapshotCount: number;
  /** Entries kept after a compaction; default min(5000, snapshotCount / 2). */
  snapshotCatchUpEntries: number | undefined;
  /** True once the driver stopped (Raft must not be called any more). */
  isStopped(): boolean;
  /** Gets the Ready loop running. */
  schedule(): void;
  /** Stops the member after an unrecoverable error. */
  fatal(err: unknown): void;
}

/** Sends, receives, installs snapshots and compacts the log (see the module comment). */
export class SnapshotManager {
  private readonly deps: SnapshotDependencies;
  private readonly snapshotCatchUpEntries: number;
  /** The log compaction running in the background, if any (see maybeCompact). */
  private running: Promise<void> | null = null;

  constructor(deps: SnapshotDependencies) {
    this.deps = deps;
    this.snapshotCatchUpEntries =
      deps.snapshotCatchUpEntries ?? Math.min(5000, Math.floor(deps.snapshotCount / 2));
  }

  /** The compaction in progress, or null; settles (never rejects) when its disk writes are done. */
  get compaction(): Promise<void> | null {
    return this.running;
  }

  /**
   * Raft asked to send its stored snapshot; like etcd, send a fresh image of the state machine at
   * the applied index instead (the stored one is metadata only).
   */
  async send(message: Message): Promise<void> {
    const { storage, stateMachine, membership, metrics, logger, transport, rawNode } = this.deps;
    const to = message.to;
    try {
      const image = stateMachine.snapshot();
      const index = image.index;
      const snapshot: Snapshot = {
        metadata: { index, term: storage.term(index), confState: this.deps.confs.at(index) },
        data: new Uint8Array(0),
      };
      const data = encodeSnapshotImage(membership.image(), image.data);
      const header = encodeMessage({ ...message, snapshot }, true);
      logger.info({ to: memberIdHex(to), index, bytes: data.byteLength }, 'sending snapshot');
      await transport.sendSnapshot(to, header, data);
      metrics.snapshotsSent.inc({ To: memberIdHex(to), outcome: 'success' });
      if (!this.deps.isStopped()) rawNode.reportSnapshot(to, 'finish');
    } catch (err) {
      metrics.snapshotsSent.inc({ To: memberIdHex(to), outcome: 'failure' });
      logger.warn({ to: memberIdHex(to), err: (err as Error).message }, 'sending snapshot failed');
      if (!this.deps.isStopped()) {
        rawNode.reportUnreachable(to);
        rawNode.reportSnapshot(to, 'failure');
      }
    }
    this.deps.schedule();
  }

  /** Turns a snapshot received from a peer (header message + image) into the message to step. */
  received(from: number, header: Uint8Array, data: Uint8Array): Message {
    const message = decodeMessage(header);
    if (!message.snapshot) throw new Error('snapshot header without snapshot metadata');
    message.snapshot = { metadata: message.snapshot.metadata, data };
    this.deps.logger.info(
      { from: memberIdHex(from), index: message.snapshot.metadata.index },
      'received snapshot',
    );
    return message;
  }

  /**
   * Installs a snapshot the leader sent, before the Raft log records it: membership and state
   * machine first (restore is durable), so that on a crash in between the log still describes a
   * state the state machine can reach (it only skips entries it already has).
   */
  async install(snapshot: Snapshot): Promise<void> {
    const { stateMachine, membership, logger } = this.deps;
    const { membership: membershipImage, stateMachineData } = decodeSnapshotImage(snapshot.data);
    const index = snapshot.metadata.index;
    await stateMachine.restore({ index, data: stateMachineData });
    membership.restore(membershipImage);
    await membership.persist();
    this.deps.confs.reset(index, snapshot.metadata.confState);
    this.deps.applier.restoredTo(index);
    syncPeers(this.deps.memberId, membership, this.deps.transport);
    logger.info({ index, term: snapshot.metadata.term }, 'installed snapshot');
  }

  /**
   * Every --snapshot-count applied entries, makes the state machine durable and drops the log below
   * it (the state machine itself is the snapshot), keeping `snapshotCatchUpEntries` entries so slow
   * followers catch up without a snapshot. Runs in the background: Readys keep flowing meanwhile
   * (the storage keeps its in-memory log consistent when a compaction and a save overlap), so the
   * flush and the large delete batch add no pause to client requests. At most one runs at a time.
   */
  maybeCompact(): void {
    if (this.running !== null) return;
    const snapshotIndex = this.deps.storage.firstIndex() - 1;
    if (this.deps.applier.appliedIndex - snapshotIndex < this.deps.snapshotCount) return;
    this.running = this.compact(snapshotIndex)
      .catch((err: unknown) => this.deps.fatal(err))
      .finally(() => {
        this.running = null;
      });
  }

  private async compact(snapshotIndex: number): Promise<void> {
    const { storage, stateMachine, applier, confs } = this.deps;
    const durable = await stateMachine.flush();
    if (this.deps.isStopped()) return;
    const compactIndex = Math.min(durable, applier.appliedIndex) - this.snapshotCatchUpEntries;
    if (compactIndex <= snapshotIndex || compactIndex <= storage.firstIndex() - 1) return;
    const confState = confs.at(compactIndex);
    await storage.compact(compactIndex, confState);
    confs.compactedAt(compactIndex, confState);
    this.deps.metrics.snapshotsTaken.inc();
    this.deps.logger.info({ compactIndex, applied: applier.appliedIndex }, 'compacted raft log');
  }
}
