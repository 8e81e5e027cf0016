/**
 * Proposal bookkeeping of the Raft driver: the client proposals not yet stepped into Raft (the
 * queue), and every proposal this member waits on until it is applied here (the pending map).
 *
 * Invariants:
 * - A key is in the pending map from the moment its caller waits until exactly one of apply
 *   (settle), a refused proposal, its deadline, its abort signal or a stop (failAll) removes it;
 *   whoever removes it clears its timer and updates the `proposals_pending` gauge.
 * - (proposer, requestId) keys are unique cluster-wide: request ids start from the wall clock at
 *   construction (see envelope.ts), so they do not repeat across restarts of this member.
 * - A queued proposal whose caller gave up (deadline, abort) is still proposed: its entry is
 *   applied like any other, only nobody reads its result.
 */
import { ErrProposalDropped, type RawNode } from '@navarch/raft';
import { ConsensusError, ConsensusErrorCode } from '../consensus.js';
import type { StoreMetrics } from '../member/metrics.js';

interface PendingProposal {
  resolve(result: Uint8Array): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Maps a refusal of RawNode.propose* / transferLeader to the etcd error a client expects. */
export function mapProposeError(err: unknown): Error {
  if (err instanceof ErrProposalDropped) {
    switch (err.reason) {
      case 'noLeader':
        return new ConsensusError(ConsensusErrorCode.NoLeader, 'etcdserver: no leader');
      case 'notMember':
        return new ConsensusError(ConsensusErrorCode.Stopped, 'etcdserver: server stopped');
      case 'pendingConfChange':
        return new ConsensusError(ConsensusErrorCode.Timeout, 'etcdserver: request timed out');
      default:
        return new ConsensusError(ConsensusErrorCode.LeaderChanged, 'etcdserver: leader changed');
    }
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** The queue and pending map of proposals (see the module comment for the invariants). */
export class ProposalTracker {
  private readonly pending = new Map<string, PendingProposal>();
  /** Client proposals waiting to be stepped into Raft together (see flush). */
  private queue: { key: string; data: Uint8Array }[] = [];
  private nextRequestId: number;

  constructor(
    private readonly rawNode: RawNode,
    private readonly metrics: StoreMetrics,
    /** How long a caller waits before "request timed out". */
    private readonly timeoutMs: number,
    /** Called once a proposal was handed to Raft, to get the Ready loop running. */
    private readonly onProposed: () => void,
  ) {
    // Starting far from 0 keeps (proposer, requestId) unique across restarts of this member.
    this.nextRequestId = Date.now() * 1000;
  }

  /** A request id never handed out before by this member. */
  newRequestId(): number {
    this.nextRequestId += 1;
    return this.nextRequestId;
  }

  /** Queues a client proposal for the next flush (call inside the `propose` of {@link wait}). */
  enqueue(key: string, data: Uint8Array): void {
    this.queue.push({ key, data });
  }

  /** True while some proposal waits in the queue for the next flush. */
  hasQueued(): boolean {
    return this.queue.length > 0;
  }

  /**
   * Steps every proposal queued since the last call into Raft as one message: one append and one
   * AppendEntries per follower for the lot, instead of one per request (a follower forwards the
   * lot to the leader in one message, too).
   */
  flush(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    try {
      this.rawNode.proposeBatch(batch.map((p) => p.data));
    } catch (err) {
      const error = mapProposeError(err);
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

  /**
   * Registers `key` as pending, runs `propose` (which hands the entry to Raft or to the queue) and
   * resolves with the state machine's result once the entry is applied here (see {@link settle}).
   */
  wait(key: string, propose: () => void, signal: AbortSignal | undefined): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(key)) return;
        this.metrics.proposalsPending.set(this.pending.size);
        this.metrics.proposalsFailed.inc();
        reject(new ConsensusError(ConsensusErrorCode.Timeout, 'etcdserver: request timed out'));
      }, this.timeoutMs);
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
        reject(mapProposeError(err));
        return;
      }
      this.onProposed();
    });
  }

  /** True if a caller on this member still waits for the proposal `key`. */
  has(key: string): boolean {
    return this.pending.has(key);
  }

  /** Resolves the caller waiting for `key` (if any) with the apply result. */
  settle(key: string, result: Uint8Array): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    this.metrics.proposalsPending.set(this.pending.size);
    p.resolve(result);
  }

  /** Rejects every waiting caller with `err` (the driver stops). */
  failAll(err: Error): void {
    for (const [key, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(key);
    }
    this.metrics.proposalsPending.set(0);
  }
}
