/**
 * ReadOnly: pending linearizable reads on the leader (ReadIndex, Raft thesis §6.4). Each request
 * remembers the commit index at arrival; it is answered once a quorum acknowledged a heartbeat
 * carrying its context, which proves the leader was still leader when the request arrived.
 */
import { invariant } from './errors.js';
import type { Message } from './types.js';

/** A read waiting for heartbeat acknowledgements. */
export interface ReadIndexStatus {
  /** The original request (from NONE/leader for local reads, or the follower that forwarded it). */
  request: Message;
  /** Commit index when the request arrived: the read index. */
  index: number;
  /** Voters (and possibly learners) that acknowledged the heartbeat carrying this context. */
  acks: Set<number>;
}

/** Stable map key for a request context. */
export function contextKey(context: Uint8Array | undefined): string {
  if (context === undefined) return '';
  let key = '';
  for (const b of context) key += b.toString(16).padStart(2, '0');
  return key;
}

/** Queue of pending reads, in arrival order. Invariant: queue and map hold the same keys. */
export class ReadOnly {
  private readonly pendingByKey = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** Adds a read request that arrived when the commit index was `index`. Duplicate contexts are ignored. */
  addRequest(index: number, request: Message): void {
    const key = contextKey(request.context);
    if (this.pendingByKey.has(key)) return;
    this.pendingByKey.set(key, { request, index, acks: new Set() });
    this.queue.push(key);
  }

  /** Records that `id` acknowledged the heartbeat with `context`; returns the acks so far (undefined if unknown). */
  recvAck(id: number, context: Uint8Array | undefined): ReadonlySet<number> | undefined {
    const status = this.pendingByKey.get(contextKey(context));
    if (status === undefined) return undefined;
    status.acks.add(id);
    return status.acks;
  }

  /**
   * Removes and returns every request up to and including the one with `context`: a quorum
   * acknowledged a heartbeat sent after all of them arrived.
   */
  advance(context: Uint8Array | undefined): ReadIndexStatus[] {
    const key = contextKey(context);
    const position = this.queue.indexOf(key);
    if (position < 0) return [];
    const done = this.queue.slice(0, position + 1);
    this.queue = this.queue.slice(position + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const status = this.pendingByKey.get(k);
      invariant(status !== undefined, 'cannot find the corresponding read state from the pending map');
      this.pendingByKey.delete(k);
      out.push(status);
    }
    return out;
  }

  /** Context of the newest pending request (sent with heartbeats), if any. */
  lastPendingRequestContext(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pendingByKey.get(key)!.request.context;
  }

  /** Pending requests in arrival order. */
  pending(): ReadIndexStatus[] {
    return this.queue.map((k) => this.pendingByKey.get(k)!);
  }

  /** Number of pending requests. */
  get size(): number {
    return this.queue.length;
  }
}
