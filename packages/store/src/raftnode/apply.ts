/**
 * Applying committed entries on this member: client requests go to the state machine (and their
 * result to the proposal waiting here, if any), member attributes and peer-URL updates to the
 * membership, configuration changes to Raft itself, the membership and the peer transport.
 *
 * Invariants:
 * - Entries are applied in index order, each once: an entry at or below the applied index is
 *   skipped (Raft re-delivers every committed entry after the log's snapshot on restart), and the
 *   state machine skips what it already has (index <= its applied index).
 * - Which entries may be applied before the Ready's write is durable is the Ready loop's decision
 *   (raft-node.ts); {@link EntryApplier.applyDurable} only applies those already on disk here.
 * - A configuration change is never applied ahead of the write: it changes Raft's own state.
 */
import { decodeConfChange, type Entry, type RawNode } from '@navarch/raft';
import type { Logger } from 'pino';
import type { StateMachine } from '../consensus.js';
import type { MemberContext, Membership } from '../member/membership.js';
import { memberIdHex, type StoreMetrics } from '../member/metrics.js';
import type { RaftLogStorage } from '../storage/raft-log.js';
import type { PeerTransport } from '../transport/peer-transport.js';
import { decodeEnvelope, proposalKey } from './envelope.js';
import { syncPeers } from './membership-ops.js';
import type { ProposalTracker } from './proposals.js';
import type { ConfStateHistory } from './snapshots.js';

/** What applying needs from its driver; objects are shared, not copied. */
export interface ApplyDependencies {
  memberId: number;
  storage: RaftLogStorage;
  stateMachine: StateMachine;
  membership: Membership;
  metrics: StoreMetrics;
  logger: Logger;
  rawNode: RawNode;
  transport: PeerTransport;
  proposals: ProposalTracker;
  confs: ConfStateHistory;
  /** The index applied at start: the log's snapshot index. */
  appliedIndex: number;
  /** Called (on a later tick) when this member has been removed from the cluster. */
  onRemoved: (() => void) | undefined;
}

/** Applies committed entries (see the module comment). */
export class EntryApplier {
  private readonly memberId: number;
  private readonly storage: RaftLogStorage;
  private readonly stateMachine: StateMachine;
  private readonly membership: Membership;
  private readonly metrics: StoreMetrics;
  private readonly logger: Logger;
  private readonly rawNode: RawNode;
  private readonly transport: PeerTransport;
  private readonly proposals: ProposalTracker;
  private readonly confs: ConfStateHistory;
  private readonly onRemoved: (() => void) | undefined;
  private applied: number;
  private wasRemoved = false;

  constructor(deps: ApplyDependencies) {
    this.memberId = deps.memberId;
    this.storage = deps.storage;
    this.stateMachine = deps.stateMachine;
    this.membership = deps.membership;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    this.rawNode = deps.rawNode;
    this.transport = deps.transport;
    this.proposals = deps.proposals;
    this.confs = deps.confs;
    this.onRemoved = deps.onRemoved;
    this.applied = deps.appliedIndex;
  }

  /** The index of the last entry applied here. */
  get appliedIndex(): number {
    return this.applied;
  }

  /** True once this member has applied its own removal from the cluster. */
  get removed(): boolean {
    return this.wasRemoved;
  }

  /** A snapshot at `index` replaced the state machine: continue applying after it. */
  restoredTo(index: number): void {
    this.applied = index;
    this.metrics.proposalsApplied.set(index);
  }

  /**
   * Applies the leading committed entries that are durable in this member's log: below the first
   * entry `writing` puts there, and before any configuration change (which changes Raft's own
   * state, so it keeps the strict order). Returns the entries left for after the write.
   */
  applyDurable(committed: Entry[], writing: Entry[]): Entry[] {
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

  /** Applies `entries` and records the time taken in backend_commit_duration_seconds. */
  applyTimed(entries: Entry[]): void {
    const applyStarted = performance.now();
    this.applyEntries(entries);
    this.metrics.backendCommitDurationSeconds.observe((performance.now() - applyStarted) / 1000);
  }

  private applyEntries(entries: Entry[]): void {
    for (const entry of entries) {
      if (entry.index <= this.applied) continue;
      if (entry.type === 'confChange') this.applyConfChangeEntry(entry);
      else this.applyNormalEntry(entry);
      this.applied = entry.index;
    }
    this.metrics.proposalsApplied.set(this.applied);
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
        const waited = key !== '' && this.proposals.has(key);
        const result = this.applyToStateMachine(entry.index, envelope.request, waited);
        if (waited) this.proposals.settle(key, result ?? new Uint8Array(0));
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
        syncPeers(this.memberId, this.membership, this.transport);
        if (envelope.proposer === this.memberId)
          this.proposals.settle(proposalKey(envelope.proposer, envelope.requestId), new Uint8Array(0));
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
    this.confs.record(entry.index, confState);
    this.membership.applyConfChange(change, context, confState);
    void this.membership.persist();
    this.applyToStateMachine(entry.index, null);
    syncPeers(this.memberId, this.membership, this.transport);
    this.logger.info(
      { change: change.type, node: memberIdHex(change.nodeId), index: entry.index },
      'applied membership change',
    );
    if (context && context.proposer === this.memberId) {
      this.proposals.settle(proposalKey(context.proposer, context.requestId), new Uint8Array(0));
    }
    if (change.type === 'removeNode' && change.nodeId === this.memberId && !this.wasRemoved) {
      this.wasRemoved = true;
      this.logger.warn({}, 'this member was removed from the cluster');
      setImmediate(() => this.onRemoved?.());
    }
  }
}
