/**
 * The leader as this member knows it, and who waits on it: leader-change listeners (the API
 * server's election hooks, moveLeader) and callers waiting for any leader before they propose.
 *
 * Invariants: `id` changes only through {@link LeaderWatch.update}, fed by the soft state of a
 * Ready; listeners run synchronously in that Ready, in subscription order, and one that throws
 * is logged and does not stop the others; waiters are woken once, when a leader becomes known.
 */
import { NONE } from '@navarch/raft';
import type { Logger } from 'pino';
import { ConsensusError, ConsensusErrorCode } from '../consensus.js';
import { memberIdHex, type StoreMetrics } from '../member/metrics.js';

/** Called with the new leader (NONE while there is none) and whether it is this member. */
export type LeaderListener = (leaderId: number, isLocalLeader: boolean) => void;

/** Tracks the known leader for the driver (see the module comment). */
export class LeaderWatch {
  /** The leader's member id, NONE while no leader is known. */
  id = NONE;
  private readonly listeners = new Set<LeaderListener>();
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly memberId: number,
    private readonly metrics: StoreMetrics,
    private readonly logger: Logger,
    /** How long {@link wait} waits before "no leader". */
    private readonly waitMs: number,
  ) {}

  /**
   * Records the leader of a Ready's soft state: metrics, a log line, listeners, and waiters once
   * there is a leader. `term` is the term known before this Ready (it is only logged). Returns
   * false if the leader did not change.
   */
  update(leaderId: number, term: number): boolean {
    if (leaderId === this.id) return false;
    const previous = this.id;
    this.id = leaderId;
    this.metrics.hasLeader.set(leaderId === NONE ? 0 : 1);
    this.metrics.isLeader.set(leaderId === this.memberId ? 1 : 0);
    if (leaderId !== NONE) this.metrics.leaderChangesSeen.inc();
    this.logger.info(
      { leader: memberIdHex(leaderId), previous: memberIdHex(previous), term },
      'leader changed',
    );
    for (const listener of this.listeners) {
      try {
        listener(leaderId, leaderId === this.memberId);
      } catch (err) {
        this.logger.error({ err }, 'leader change listener threw');
      }
    }
    if (leaderId !== NONE) {
      for (const wake of this.waiters) wake();
      this.waiters.clear();
    }
    return true;
  }

  /** Resolves at once if a leader is known, else when one is, or fails with "no leader" after waitMs. */
  async wait(signal: AbortSignal | undefined): Promise<void> {
    if (this.id !== NONE) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new ConsensusError(ConsensusErrorCode.NoLeader, 'etcdserver: no leader'));
      }, this.waitMs);
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.add(wake);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        reject(signal.reason ?? new Error('aborted'));
      });
    });
  }

  /** Adds a leader-change listener; returns the function that removes it. */
  subscribe(listener: LeaderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
