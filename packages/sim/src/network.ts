/**
 * Simulated network between numbered nodes. Every message gets a delivery tick drawn from its
 * link's latency range, so messages reorder naturally; links can also drop, duplicate and delay
 * messages, and partitions block links in one direction (asymmetric) or both (symmetric).
 * Deterministic: all randomness comes from the Prng given to the constructor, and messages due at
 * the same tick are delivered in the order they were sent.
 */
import type { Prng } from './prng.js';

/** Fault and latency settings of one directed link. */
export interface LinkFaults {
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message is delivered twice (the copy gets its own latency). */
  duplicateRate: number;
  /** Probability that a message is held back by up to `reorderDelayTicks` extra ticks. */
  reorderRate: number;
  /** Upper bound of the extra delay of a held-back message. */
  reorderDelayTicks: number;
  /** Latency bounds in ticks, both inclusive; minLatencyTicks >= 1 so nothing arrives in the tick it was sent. */
  minLatencyTicks: number;
  maxLatencyTicks: number;
}

/** A fault-free link with one tick of latency. */
export function perfectLink(): LinkFaults {
  return {
    dropRate: 0,
    duplicateRate: 0,
    reorderRate: 0,
    reorderDelayTicks: 0,
    minLatencyTicks: 1,
    maxLatencyTicks: 1,
  };
}

/** A message in flight or being delivered. */
export interface Envelope<T> {
  from: number;
  to: number;
  payload: T;
  /** Tick at which it was sent. */
  sentAt: number;
  /** Tick at which it is delivered. */
  deliverAt: number;
}

/** Counters of what the network did, by kind; the simulator reports them as "faults injected". */
export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  /** Messages dropped because a partition blocked their link (at send or delivery time). */
  partitionDropped: number;
}

interface Scheduled<T> {
  envelope: Envelope<T>;
  /** Send order; breaks ties between messages due in the same tick. */
  seq: number;
}

/** Binary min-heap on (deliverAt, seq): O(log n) per message, deterministic order. */
class DeliveryQueue<T> {
  private readonly items: Scheduled<T>[] = [];

  get size(): number {
    return this.items.length;
  }

  private less(a: Scheduled<T>, b: Scheduled<T>): boolean {
    return (
      a.envelope.deliverAt < b.envelope.deliverAt ||
      (a.envelope.deliverAt === b.envelope.deliverAt && a.seq < b.seq)
    );
  }

  push(item: Scheduled<T>): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i] as Scheduled<T>, items[parent] as Scheduled<T>)) break;
      [items[i], items[parent]] = [items[parent] as Scheduled<T>, items[i] as Scheduled<T>];
      i = parent;
    }
  }

  peek(): Scheduled<T> | undefined {
    return this.items[0];
  }

  pop(): Scheduled<T> | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && this.less(items[left] as Scheduled<T>, items[smallest] as Scheduled<T>))
          smallest = left;
        if (right < items.length && this.less(items[right] as Scheduled<T>, items[smallest] as Scheduled<T>))
          smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest] as Scheduled<T>, items[i] as Scheduled<T>];
        i = smallest;
      }
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}

function linkKey(from: number, to: number): string {
  return `${from}>${to}`;
}

/** The simulated network. `T` is the payload type (Raft messages in the simulator). */
export class Network<T> {
  private readonly queue = new DeliveryQueue<T>();
  private readonly links = new Map<string, LinkFaults>();
  /** Directed links that a partition currently blocks. */
  private readonly blocked = new Set<string>();
  private seq = 0;
  private defaults: LinkFaults;
  /** Called for every message the network loses (drop or partition), e.g. to report a failed snapshot. */
  onLost: (envelope: Envelope<T>) => void = () => {};
  /** Running totals; never reset. */
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    partitionDropped: 0,
  };

  /**
   * @param prng the network's own random stream
   * @param defaults faults of every link without its own setting
   * @param clone copies a payload for each delivery, so that a receiver can never alias the
   *   sender's objects (and a duplicate never aliases the original)
   */
  constructor(
    private readonly prng: Prng,
    defaults: LinkFaults,
    private readonly clone: (payload: T) => T = (p) => p,
  ) {
    validateLink(defaults);
    this.defaults = { ...defaults };
  }

  /** Replaces the default link settings (links with their own setting keep it). */
  setDefaults(faults: LinkFaults): void {
    validateLink(faults);
    this.defaults = { ...faults };
  }

  /** Gives one directed link its own settings (e.g. a slow or lossy link). */
  setLink(from: number, to: number, faults: LinkFaults): void {
    validateLink(faults);
    this.links.set(linkKey(from, to), { ...faults });
  }

  /** Settings that apply to the directed link from -> to. */
  link(from: number, to: number): LinkFaults {
    return this.links.get(linkKey(from, to)) ?? this.defaults;
  }

  /** Removes every per-link setting: all links use the defaults again. */
  clearLinks(): void {
    this.links.clear();
  }

  /** Blocks from -> to only (an asymmetric partition: `to` still reaches `from`). */
  blockOneWay(from: number, to: number): void {
    this.blocked.add(linkKey(from, to));
  }

  /** Cuts the cluster into groups; nodes in different groups cannot talk in either direction. */
  partition(groups: readonly (readonly number[])[]): void {
    for (let a = 0; a < groups.length; a++) {
      for (let b = 0; b < groups.length; b++) {
        if (a === b) continue;
        for (const from of groups[a] ?? []) {
          for (const to of groups[b] ?? []) this.blocked.add(linkKey(from, to));
        }
      }
    }
  }

  /** Removes every partition. */
  heal(): void {
    this.blocked.clear();
  }

  /** True while a partition blocks from -> to. */
  isBlocked(from: number, to: number): boolean {
    return this.blocked.has(linkKey(from, to));
  }

  /** Number of directed links currently blocked. */
  get blockedLinkCount(): number {
    return this.blocked.size;
  }

  /** Messages in flight. */
  get inFlight(): number {
    return this.queue.size;
  }

  /** Sends a message at tick `now`; it may be dropped, duplicated or delayed by the link's faults. */
  send(from: number, to: number, payload: T, now: number): void {
    this.stats.sent++;
    if (this.isBlocked(from, to)) {
      this.stats.partitionDropped++;
      this.onLost({ from, to, payload, sentAt: now, deliverAt: now });
      return;
    }
    const faults = this.link(from, to);
    if (this.prng.chance(faults.dropRate)) {
      this.stats.dropped++;
      this.onLost({ from, to, payload, sentAt: now, deliverAt: now });
      return;
    }
    this.schedule(from, to, payload, now, faults);
    if (this.prng.chance(faults.duplicateRate)) {
      this.stats.duplicated++;
      this.schedule(from, to, payload, now, faults);
    }
  }

  private schedule(from: number, to: number, payload: T, now: number, faults: LinkFaults): void {
    let latency = this.prng.range(faults.minLatencyTicks, faults.maxLatencyTicks);
    if (faults.reorderDelayTicks > 0 && this.prng.chance(faults.reorderRate)) {
      this.stats.reordered++;
      latency += this.prng.range(1, faults.reorderDelayTicks);
    }
    const envelope: Envelope<T> = {
      from,
      to,
      payload: this.clone(payload),
      sentAt: now,
      deliverAt: now + latency,
    };
    this.queue.push({ envelope, seq: this.seq++ });
  }

  /**
   * Removes and returns every message due at or before `now`, in delivery order. A message whose
   * link became blocked while it was in flight is dropped (a partition cuts the wire, not just
   * new sends).
   */
  deliverDue(now: number): Envelope<T>[] {
    const out: Envelope<T>[] = [];
    for (;;) {
      const head = this.queue.peek();
      if (head === undefined || head.envelope.deliverAt > now) break;
      this.queue.pop();
      const { envelope } = head;
      if (this.isBlocked(envelope.from, envelope.to)) {
        this.stats.partitionDropped++;
        this.onLost(envelope);
        continue;
      }
      this.stats.delivered++;
      out.push(envelope);
    }
    return out;
  }

  /** Drops every message in flight (e.g. to start a phase from a clean wire). */
  clearInFlight(): void {
    this.queue.clear();
  }
}

function validateLink(f: LinkFaults): void {
  const rates = [f.dropRate, f.duplicateRate, f.reorderRate];
  if (rates.some((r) => !(r >= 0 && r <= 1))) throw new RangeError('link rates must be in [0, 1]');
  if (!Number.isInteger(f.minLatencyTicks) || f.minLatencyTicks < 1) {
    throw new RangeError('minLatencyTicks must be an integer >= 1');
  }
  if (!Number.isInteger(f.maxLatencyTicks) || f.maxLatencyTicks < f.minLatencyTicks) {
    throw new RangeError('maxLatencyTicks must be an integer >= minLatencyTicks');
  }
  if (!Number.isInteger(f.reorderDelayTicks) || f.reorderDelayTicks < 0) {
    throw new RangeError('reorderDelayTicks must be a non-negative integer');
  }
}
