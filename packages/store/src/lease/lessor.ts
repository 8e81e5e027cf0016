/**
 * The lessor: tracks when each lease expires, on every member, from the grants and keep-alives the
 * state machine applies, and on the leader only, revokes expired leases by proposing LeaseRevoke
 * (expiry is never decided inside apply, which must not read a clock). Like etcd, a member that
 * becomes leader first extends every lease by its full TTL, so that no lease expires because the
 * cluster had no leader for a while.
 */
import type { Logger } from 'pino';
import type { Consensus } from '../consensus.js';
import type { MvccStore } from '../mvcc/store.js';

/** Options of {@link Lessor}. */
export interface LessorOptions {
  store: MvccStore;
  consensus: Consensus;
  /** Proposes the revocation of one lease; failures are retried on a later check. */
  revoke: (id: string) => Promise<void>;
  /** How often the leader looks for expired leases. Default 500 ms (etcd's expiry check is as coarse). */
  checkIntervalMs?: number;
  /** Revocations in flight at once (etcd rate-limits them too). Default 64. */
  maxRevokesInFlight?: number;
  logger?: Logger;
  /** Monotonic clock in milliseconds. Default performance.now. */
  now?: () => number;
}

/** Lease expiry bookkeeping and leader-driven revocation. */
export class Lessor {
  private readonly expiries = new Map<string, number>();
  private readonly revoking = new Set<string>();
  private readonly now: () => number;
  private readonly checkIntervalMs: number;
  private readonly maxRevokesInFlight: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly unsubscribes: Array<() => void> = [];

  constructor(private readonly options: LessorOptions) {
    this.now = options.now ?? (() => performance.now());
    this.checkIntervalMs = options.checkIntervalMs ?? 500;
    this.maxRevokesInFlight = options.maxRevokesInFlight ?? 64;
    this.resetFromStore();
    this.unsubscribes.push(
      options.store.onLease((change) => {
        if (change.type === 'revoke') {
          this.expiries.delete(change.id);
          this.revoking.delete(change.id);
        } else {
          this.expiries.set(change.id, this.now() + change.ttlSeconds * 1000);
        }
      }),
      options.store.onRestore(() => this.resetFromStore()),
      options.consensus.onLeaderChange((_leaderId, isLocalLeader) => this.setLeader(isLocalLeader)),
    );
    const status = options.consensus.status();
    this.setLeader(status.leaderId !== 0 && status.leaderId === status.memberId);
  }

  private resetFromStore(): void {
    const now = this.now();
    this.expiries.clear();
    for (const id of this.options.store.leaseIds()) {
      const lease = this.options.store.lease(id);
      if (lease !== null) this.expiries.set(id, now + lease.ttlSeconds * 1000);
    }
  }

  private setLeader(isLeader: boolean): void {
    if (isLeader && this.timer === null) {
      const now = this.now();
      for (const [id, expiry] of this.expiries) {
        const lease = this.options.store.lease(id);
        if (lease !== null) this.expiries.set(id, Math.max(expiry, now + lease.ttlSeconds * 1000));
      }
      this.timer = setInterval(() => this.revokeExpired(), this.checkIntervalMs);
      this.timer.unref();
    } else if (!isLeader && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Seconds left before the lease expires (etcd truncates), -1 when unknown. */
  remainingSeconds(id: string): number {
    const expiry = this.expiries.get(id);
    if (expiry === undefined) return -1;
    return Math.max(0, Math.trunc((expiry - this.now()) / 1000));
  }

  /** On the leader, proposes the revocation of every expired lease (its timer calls it; tests may too). */
  revokeExpired(): void {
    if (this.timer === null) return;
    const now = this.now();
    for (const [id, expiry] of this.expiries) {
      if (this.revoking.size >= this.maxRevokesInFlight) return;
      if (expiry > now || this.revoking.has(id)) continue;
      if (this.options.store.lease(id) === null) {
        this.expiries.delete(id);
        continue;
      }
      this.revoking.add(id);
      this.options.logger?.info({ component: 'lessor', lease: id }, 'lease expired, revoking');
      this.options.revoke(id).then(
        () => this.revoking.delete(id),
        (error: unknown) => {
          this.revoking.delete(id);
          this.options.logger?.warn({ component: 'lessor', lease: id, err: error }, 'lease revoke failed');
        },
      );
    }
  }

  /** Stops the timer and the subscriptions. */
  close(): void {
    this.setLeader(false);
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }
}
