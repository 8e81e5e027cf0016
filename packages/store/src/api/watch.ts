/**
 * The etcd Watch service: one bidirectional stream carries many watchers. Every stream has a
 * bounded send buffer: when the client reads too slowly and the buffer fills up, the watchers with
 * events waiting are cancelled with a clear reason (the client can re-watch from its last revision);
 * other streams never wait for a slow one.
 */
import type { ServiceImplementation, StreamCall } from '../grpc/call.js';
import type { GrpcServiceDefinition } from '../grpc/server.js';
import type { WatchBatch, Watcher } from '../watch/hub.js';
import type { ApiContext } from './context.js';
import { toNumber, type WireLong } from './convert.js';
import { encodeWatchResponse, type WatchResponseFields } from './watch-codec.js';

/** etcdserverpb.WatchRequest as decoded. */
interface WireWatchRequest {
  request_union?: string;
  create_request?: {
    key?: Buffer;
    range_end?: Buffer;
    start_revision?: WireLong;
    progress_notify?: boolean;
    filters?: string[];
    prev_kv?: boolean;
    watch_id?: WireLong;
    fragment?: boolean;
  } | null;
  cancel_request?: { watch_id?: WireLong } | null;
  progress_request?: object | null;
}

/** Reason given to a watcher cancelled because its client could not keep up. */
export const SLOW_WATCHER_REASON =
  'etcdserver: watcher cancelled: the client is too slow to keep up (watch stream buffer full)';

interface QueuedResponse {
  watchId: number | null;
  events: number;
  message: WatchResponseFields;
}

interface ActiveWatcher {
  /** Null while the hub delivers catch-up events, before it returns the watcher. */
  watcher: Watcher | null;
  progressNotify: boolean;
  /** True when an event was sent since the last progress tick. */
  sentSinceTick: boolean;
}

class WatchSession {
  private readonly watchers = new Map<number, ActiveWatcher>();
  private nextWatchId = 0;
  private readonly queue: QueuedResponse[] = [];
  private queuedEvents = 0;
  private blocked = false;
  private closed = false;
  private readonly progressTimer: NodeJS.Timeout;

  constructor(
    private readonly context: ApiContext,
    private readonly call: StreamCall<undefined, WatchResponseFields>,
  ) {
    call.on('data', (request: WireWatchRequest) => this.onRequest(request));
    call.on('end', () => {
      this.close();
      call.end();
    });
    call.on('cancelled', () => this.close());
    call.on('drain', () => this.drain());
    this.progressTimer = setInterval(() => this.progressTick(), context.limits.watchProgressNotifyIntervalMs);
    this.progressTimer.unref();
    context.metrics?.watchStreams.inc();
  }

  private onRequest(request: WireWatchRequest): void {
    if (this.closed) return;
    if (request.create_request) this.create(request.create_request);
    else if (request.cancel_request) this.cancel(toNumber(request.cancel_request.watch_id));
    else if (request.progress_request) {
      // Not tied to one watcher: etcd answers with watch_id -1 and the current revision.
      this.send({ watchId: null, events: 0, message: { header: this.context.header(), watchId: -1 } });
    }
  }

  private create(request: NonNullable<WireWatchRequest['create_request']>): void {
    const requestedId = toNumber(request.watch_id);
    let watchId: number;
    if (requestedId > 0) {
      watchId = requestedId;
    } else {
      while (this.watchers.has(this.nextWatchId)) this.nextWatchId += 1;
      watchId = this.nextWatchId;
      this.nextWatchId += 1;
    }
    const header = this.context.header();
    if (this.watchers.has(watchId)) {
      this.send({
        watchId: null,
        events: 0,
        message: {
          header,
          watchId,
          created: true,
          canceled: true,
          cancelReason: 'mvcc: duplicate watch ID provided on the WatchStream',
        },
      });
      return;
    }
    const filters = request.filters ?? [];
    this.send({ watchId: null, events: 0, message: { header, watchId, created: true } });
    const active: ActiveWatcher = {
      watcher: null,
      progressNotify: request.progress_notify ?? false,
      sentSinceTick: false,
    };
    this.watchers.set(watchId, active);
    const result = this.context.hub.watch(
      {
        key: request.key ?? Buffer.alloc(0),
        rangeEnd: request.range_end ?? Buffer.alloc(0),
        startRevision: toNumber(request.start_revision),
        prevKv: request.prev_kv ?? false,
        noPut: filters.includes('NOPUT'),
        noDelete: filters.includes('NODELETE'),
      },
      (batch) => this.deliver(watchId, active, batch),
      (compactRevision) => this.compacted(watchId, compactRevision),
    );
    if (result === 'compacted') {
      this.compacted(watchId, this.context.store.compactRevision());
      return;
    }
    // The buffer may have overflowed during catch-up and cancelled this watcher already.
    if (this.watchers.get(watchId) === active) active.watcher = result;
    else result.cancel();
  }

  private compacted(watchId: number, compactRevision: number): void {
    this.watchers.delete(watchId);
    this.send({
      watchId: null,
      events: 0,
      message: {
        header: this.context.header(),
        watchId,
        compactRevision,
        canceled: true,
      },
    });
  }

  private deliver(watchId: number, active: ActiveWatcher, batch: WatchBatch): void {
    active.sentSinceTick = true;
    this.send({
      watchId,
      events: batch.catchUp ? 0 : batch.events.length,
      message: {
        header: this.context.header(batch.revision),
        watchId,
        events: batch.events,
      },
    });
  }

  private cancel(watchId: number): void {
    const active = this.watchers.get(watchId);
    if (active === undefined) return;
    active.watcher?.cancel();
    this.watchers.delete(watchId);
    this.send({
      watchId: null,
      events: 0,
      message: { header: this.context.header(), watchId, canceled: true },
    });
  }

  private progressTick(): void {
    for (const [watchId, active] of this.watchers) {
      if (active.progressNotify && !active.sentSinceTick) {
        this.send({
          watchId: null,
          events: 0,
          message: { header: this.context.header(), watchId },
        });
      }
      active.sentSinceTick = false;
    }
  }

  private send(response: QueuedResponse): void {
    if (this.closed) return;
    if (this.blocked) {
      this.queue.push(response);
      this.addQueued(response.events);
      if (this.queuedEvents > this.context.limits.watchStreamBufferEvents) this.cancelSlowWatchers();
      return;
    }
    this.write(response.message);
  }

  /** Writes to the stream; a stream that broke under us closes the session (never the caller). */
  private write(message: WatchResponseFields): void {
    try {
      if (!this.call.write(message)) this.blocked = true;
    } catch (error) {
      this.context.logger?.warn({ component: 'etcd-watch', err: error }, 'watch stream write failed');
      this.close();
    }
  }

  private addQueued(events: number): void {
    this.queuedEvents += events;
    if (events > 0) this.context.metrics?.watchQueuedEvents.inc(events);
    else if (events < 0) this.context.metrics?.watchQueuedEvents.dec(-events);
  }

  private drain(): void {
    this.blocked = false;
    while (!this.blocked && !this.closed && this.queue.length > 0) {
      const next = this.queue.shift() as QueuedResponse;
      this.addQueued(-next.events);
      this.write(next.message);
    }
  }

  /** Cancels every watcher that has events waiting in the full buffer and drops those events. */
  private cancelSlowWatchers(): void {
    const slow = new Set<number>();
    for (const response of this.queue)
      if (response.watchId !== null && response.events > 0) slow.add(response.watchId);
    const kept = this.queue.filter((response) => response.watchId === null || !slow.has(response.watchId));
    this.queue.length = 0;
    this.queue.push(...kept);
    this.addQueued(kept.reduce((sum, response) => sum + response.events, 0) - this.queuedEvents);
    for (const watchId of slow) {
      this.watchers.get(watchId)?.watcher?.cancel();
      this.watchers.delete(watchId);
      this.context.logger?.warn({ component: 'etcd-watch', watchId }, 'slow watcher cancelled');
      this.context.metrics?.slowWatchersCancelled.inc();
      this.queue.push({
        watchId: null,
        events: 0,
        message: {
          header: this.context.header(),
          watchId,
          canceled: true,
          cancelReason: SLOW_WATCHER_REASON,
        },
      });
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.progressTimer);
    for (const active of this.watchers.values()) active.watcher?.cancel();
    this.watchers.clear();
    this.queue.length = 0;
    this.addQueued(-this.queuedEvents);
    this.context.metrics?.watchStreams.dec();
    this.context.count('bidi_stream', 'Watch', 'Watch', 0);
  }
}

/** The Watch service implementation. */
export function watchService(context: ApiContext): ServiceImplementation {
  const Watch = (call: StreamCall<undefined, WatchResponseFields>): void => {
    new WatchSession(context, call);
  };
  return { Watch };
}

/** The Watch service definition with the hand-written WatchResponse encoder of watch-codec.ts. */
export function watchServiceDefinition(protobufDefinition: GrpcServiceDefinition): GrpcServiceDefinition {
  const base = protobufDefinition.Watch;
  if (base === undefined) throw new Error('the Watch service definition has no method Watch');
  return { ...protobufDefinition, Watch: { ...base, responseSerializeFramed: encodeWatchResponse } };
}
