/**
 * Inflights: the bounded window of AppendEntries messages sent to one follower in replicate state
 * and not yet acknowledged. It is what keeps a leader from flooding a slow follower.
 */
import { invariant } from './errors.js';

/** A FIFO of the last entry index of each in-flight message. Invariant: indexes increase; size ≤ capacity. */
export class Inflights {
  private readonly capacity: number;
  /** Ring buffer of last indexes; `start` is the oldest. */
  private readonly buffer: number[];
  private start = 0;
  private countValue = 0;

  constructor(capacity: number) {
    invariant(
      Number.isSafeInteger(capacity) && capacity > 0,
      () => `inflight capacity must be positive, got ${capacity}`,
    );
    this.capacity = capacity;
    this.buffer = new Array<number>(capacity).fill(0);
  }

  /** Number of messages in flight. */
  get count(): number {
    return this.countValue;
  }

  /** True when no more messages may be sent. */
  full(): boolean {
    return this.countValue === this.capacity;
  }

  /** Records a message whose last entry is `index`. */
  add(index: number): void {
    invariant(!this.full(), 'cannot add into a full inflights window');
    if (this.countValue > 0) {
      const last = this.buffer[(this.start + this.countValue - 1) % this.capacity]!;
      invariant(index > last, () => `inflight index ${index} not above the previous ${last}`);
    }
    this.buffer[(this.start + this.countValue) % this.capacity] = index;
    this.countValue++;
  }

  /** Frees every message whose last index is ≤ `to` (they were acknowledged). */
  freeLE(to: number): void {
    while (this.countValue > 0 && this.buffer[this.start]! <= to) {
      this.start = (this.start + 1) % this.capacity;
      this.countValue--;
    }
    if (this.countValue === 0) this.start = 0;
  }

  /** Frees the oldest message (a heartbeat answered: the follower is alive, let one more through). */
  freeFirstOne(): void {
    if (this.countValue === 0) return;
    this.freeLE(this.buffer[this.start]!);
  }

  /** Empties the window. */
  reset(): void {
    this.start = 0;
    this.countValue = 0;
  }
}
