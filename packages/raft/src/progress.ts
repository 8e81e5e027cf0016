/**
 * Progress: the leader's view of each peer's log (match/next), the replication state machine
 * (probe → replicate, snapshot), and the tracker holding the membership and the votes.
 */
import { invariant } from './errors.js';
import { Inflights } from './inflights.js';
import { committedIndex, type VoteResult, voteResult } from './quorum.js';
import type { ConfState, ProgressState, ProgressStatus } from './types.js';

/**
 * Replication progress of one peer.
 * Invariant: match < next. In `probe` at most one append is in flight (probeSent pauses);
 * in `replicate` up to maxInflightMsgs are pipelined; in `snapshot` nothing is sent until the
 * snapshot is reported.
 */
export class Progress {
  /** Highest index known to be in the peer's log. */
  match: number;
  /** Next index to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive: boolean;
  /** In probe state: an append was sent and is not answered yet. */
  probeSent = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(options: {
    match: number;
    next: number;
    maxInflight: number;
    isLearner: boolean;
    recentActive: boolean;
  }) {
    this.match = options.match;
    this.next = options.next;
    this.inflights = new Inflights(options.maxInflight);
    this.isLearner = options.isLearner;
    this.recentActive = options.recentActive;
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  /** Back to probing, one append at a time, from just after what is known to match. */
  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  /** Pipelines appends optimistically. */
  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  /** Waits for a snapshot at `snapshotIndex` to be installed. */
  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** Records an acknowledgement up to `n`; returns false if it was stale. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** In replicate state: assume entries up to `n` will arrive. */
  optimisticUpdate(n: number): void {
    this.next = n + 1;
  }

  /**
   * Handles a rejection of the append at `rejected`; `matchHint` is where the peer's log may
   * match. Returns false if the rejection is stale (out of order).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), 1);
    this.probeSent = false;
    return true;
  }

  /** True when the leader must not send appends to this peer now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  /** Plain-data picture of this progress. */
  toStatus(id: number): ProgressStatus {
    return {
      id,
      match: this.match,
      next: this.next,
      state: this.state,
      isLearner: this.isLearner,
      recentActive: this.recentActive,
      pendingSnapshot: this.pendingSnapshot,
      inflight: this.inflights.count,
    };
  }
}

/**
 * Membership (voters and learners), the progress of every member, and the votes of the current
 * election. Invariant: a node is never both voter and learner; every member has a Progress.
 */
export class ProgressTracker {
  readonly voters = new Set<number>();
  readonly learners = new Set<number>();
  readonly progress = new Map<number, Progress>();
  readonly votes = new Map<number, boolean>();
  readonly maxInflight: number;

  constructor(maxInflight: number) {
    this.maxInflight = maxInflight;
  }

  /** Current membership, sorted. */
  confState(): ConfState {
    return {
      voters: [...this.voters].sort((a, b) => a - b),
      learners: [...this.learners].sort((a, b) => a - b),
    };
  }

  /**
   * Switches to membership `cs`. New members start probing at `nextIndex` and count as recently
   * active (so that check-quorum does not fire before they had a chance to answer).
   */
  applyConfState(cs: ConfState, nextIndex: number): void {
    const voters = new Set(cs.voters);
    const learners = new Set(cs.learners);
    for (const id of voters) invariant(!learners.has(id), () => `node ${id} is both voter and learner`);
    for (const id of [...this.progress.keys()]) {
      if (!voters.has(id) && !learners.has(id)) this.progress.delete(id);
    }
    this.voters.clear();
    this.learners.clear();
    for (const id of voters) this.voters.add(id);
    for (const id of learners) this.learners.add(id);
    for (const id of [...voters, ...learners]) {
      const isLearner = learners.has(id);
      const pr = this.progress.get(id);
      if (pr === undefined) {
        this.progress.set(
          id,
          new Progress({
            match: 0,
            next: Math.max(nextIndex, 1),
            maxInflight: this.maxInflight,
            isLearner,
            recentActive: true,
          }),
        );
      } else {
        pr.isLearner = isLearner;
      }
    }
  }

  /** Visits every member in increasing id order (deterministic message order). */
  visit(fn: (id: number, pr: Progress) => void): void {
    for (const id of [...this.progress.keys()].sort((a, b) => a - b)) fn(id, this.progress.get(id)!);
  }

  /** True when the only voter is `id` and there is nobody else to replicate to. */
  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  /** The index a majority of voters has. */
  committed(): number {
    return committedIndex(this.voters, (id) => this.progress.get(id)?.match);
  }

  /** True if a majority of voters was recently active. */
  quorumActive(): boolean {
    const votes = new Map<number, boolean>();
    for (const id of this.voters) votes.set(id, this.progress.get(id)?.recentActive ?? false);
    return voteResult(this.voters, votes) === 'won';
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records a vote; only the first vote of a node counts. */
  recordVote(id: number, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  /** Counts the votes recorded so far. */
  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: voteResult(this.voters, this.votes) };
  }
}
