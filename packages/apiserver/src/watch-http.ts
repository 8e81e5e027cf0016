/**
 * One HTTP watch: filters cache events for its namespace and selectors, writes them as
 * newline-delimited JSON. Writes never wait: what the socket has not taken yet stays in the
 * socket's buffer, and a watcher whose buffer passes `bufferMaxBytes` on a live event is
 * closed (the client re-watches from its last resourceVersion), so a slow client never holds
 * back the others and never holds unbounded memory. The initial replay (current objects or
 * history) is exempt: it is bounded by the cache itself.
 *
 * Events go out as the chunks the cache built once per event (see `CacheEvent.chunk`), written
 * straight to the connection: the response is chunked (set in `start`), so a chunk is exactly
 * what `res.write` would have framed, without encoding and framing it again per watcher.
 */

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FieldSelector, Selector } from '@navarch/api';
import type { Logger } from 'pino';
import { ApiError, gone } from './errors.js';
import type { ApiServerMetrics } from './metrics.js';
import { type KubeObject, selectorsMatch } from './objects.js';
import type { ResourceInfo } from './resources.js';
import { apiVersionOf } from './resources.js';
import { eventTable, type IncludeObject } from './tables.js';
import {
  type CacheEvent,
  chunkBody,
  httpChunk,
  type Subscription,
  type WatchCache,
  type WatchSink,
} from './watch-cache.js';

/** What one watcher asked for. */
export interface WatchRequest {
  readonly resource: ResourceInfo;
  readonly namespace: string | undefined;
  readonly labels: Selector;
  readonly fields: FieldSelector;
  /** undefined: start with the current objects; a number: events after that revision. */
  readonly fromRevision: number | undefined;
  readonly allowBookmarks: boolean;
  readonly timeoutMs: number;
  /** Render objects as Table rows (kubectl get --watch). */
  readonly table: IncludeObject | undefined;
  readonly bookmarkIntervalMs: number;
  /** Bytes a watcher may have unsent before it is closed as slow. */
  readonly bufferMaxBytes: number;
}

/** Serves one watch until the client goes away, the timeout passes, or it falls behind. */
export class HttpWatcher implements WatchSink {
  private closed = false;
  private subscription: Subscription | undefined;
  private timers: NodeJS.Timeout[] = [];
  private lastRevision: number;
  private sentColumns = false;
  /** The connection, when the response is chunked and chunks may be written to it directly. */
  private socket: Socket | undefined;
  /** This watcher's child of apiserver_watch_events_total (labels hashed once, not per event). */
  private readonly sentCounter: { inc(value?: number): void };
  /** Resolves when the watch has ended for any reason. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly request: WatchRequest,
    private readonly cache: WatchCache,
    private readonly metrics: ApiServerMetrics,
    private readonly log: Logger,
  ) {
    this.lastRevision = request.fromRevision ?? 0;
    this.sentCounter = metrics.watchEventsSent.labels({ kind: request.resource.kind });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** Starts streaming; the response headers go out at once so clients see the watch open. */
  async start(): Promise<void> {
    const r = this.request.resource;
    this.res.writeHead(200, {
      'Content-Type': this.request.table
        ? 'application/json;as=Table;v=v1;g=meta.k8s.io'
        : 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    this.res.flushHeaders();
    // Node frames the body as chunks when the header above says chunked (chunkedEncoding); only
    // then is a prebuilt chunk what res.write would send. Otherwise res.write does the framing.
    if (this.res.chunkedEncoding && this.res.socket) this.socket = this.res.socket;
    this.res.on('close', () => this.close());
    this.metrics.watchers.inc({ group: r.group, version: r.version, kind: r.kind });
    this.timers.push(setTimeout(() => this.close(), this.request.timeoutMs));
    if (this.request.allowBookmarks) {
      this.timers.push(setInterval(() => this.bookmark(), this.request.bookmarkIntervalMs));
    }
    this.subscription = await this.cache.subscribe(this.request.fromRevision, this);
    if (this.closed) this.subscription.cancel();
    return this.done;
  }

  private matches(obj: KubeObject | undefined): boolean {
    if (!obj) return false;
    if (this.request.namespace !== undefined && obj.metadata.namespace !== this.request.namespace)
      return false;
    return selectorsMatch(this.request.labels, this.request.fields, obj, this.request.resource.kind);
  }

  deliver(events: readonly CacheEvent[], replay = false): boolean {
    if (this.closed) return false;
    // One write to the connection for the whole batch (a replay can be thousands of events).
    this.socket?.cork();
    let sent = 0;
    try {
      for (const ev of events) {
        if (this.request.fromRevision !== undefined && ev.revision <= this.request.fromRevision) continue;
        let type = ev.type;
        const now = this.matches(ev.object);
        if (ev.type === 'MODIFIED') {
          const before = ev.prev === undefined ? now : this.matches(ev.prev);
          if (now && !before) type = 'ADDED';
          else if (!now && before) type = 'DELETED';
          else if (!now) continue;
        } else if (!now) {
          continue;
        }
        if (ev.revision > this.lastRevision) this.lastRevision = ev.revision;
        this.write(this.render(type, ev), replay);
        sent++;
        if (this.closed) return false;
      }
    } finally {
      if (sent > 0) this.sentCounter.inc(sent);
      if (this.socket && !this.socket.destroyed) this.socket.uncork();
    }
    return true;
  }

  /** The event as a chunk: the cache's shared one unless this watcher needs its own rendering. */
  private render(type: CacheEvent['type'], ev: CacheEvent): Buffer {
    const r = this.request.resource;
    if (this.request.table) {
      const object = { ...ev.object, apiVersion: apiVersionOf(r) };
      const table = eventTable(r.kind, object, this.request.table, !this.sentColumns);
      this.sentColumns = true;
      return line({ type, object: table });
    }
    if (ev.object.apiVersion !== apiVersionOf(r)) {
      return line({ type, object: { ...ev.object, apiVersion: apiVersionOf(r) } });
    }
    return ev.chunk(type);
  }

  private bookmark(): void {
    const revision = Math.max(this.lastRevision, this.cache.revision);
    const r = this.request.resource;
    const object = {
      kind: r.kind,
      apiVersion: apiVersionOf(r),
      metadata: { resourceVersion: String(revision) },
    };
    this.lastRevision = revision;
    this.write(line({ type: 'BOOKMARK', object }), false);
  }

  private write(chunk: Buffer, replay: boolean): void {
    if (this.closed) return;
    if (this.socket) this.socket.write(chunk);
    else this.res.write(chunkBody(chunk));
    const buffered = this.bufferedBytes;
    if (!replay && buffered > this.request.bufferMaxBytes) {
      this.metrics.slowWatchersClosed.inc();
      this.log.warn(
        { resource: this.request.resource.plural, bufferedBytes: buffered },
        'closing a slow watcher',
      );
      this.close(true);
    }
  }

  /** Bytes written to this watch that the client has not taken yet. */
  get bufferedBytes(): number {
    if (this.closed) return 0;
    return this.socket ? this.socket.writableLength : this.res.writableLength;
  }

  fail(err: Error, isGone: boolean): void {
    if (this.closed) return;
    const status = isGone
      ? gone(
          `too old resource version: ${this.request.fromRevision ?? 0} (${this.cache.revision})`,
        ).toStatus()
      : new ApiError(500, 'InternalError', `watch ended: ${err.message}`, 'NAVARCH_ERR_WATCH').toStatus();
    this.write(line({ type: 'ERROR', object: status }), true);
    this.close();
  }

  /** Ends the watch and releases everything it holds; `drop` discards unsent bytes (slow client). */
  close(drop = false): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.subscription?.cancel();
    const r = this.request.resource;
    this.metrics.watchers.dec({ group: r.group, version: r.version, kind: r.kind });
    if (drop) this.res.destroy();
    else if (!this.res.writableEnded) this.res.end();
    this.resolveDone();
  }
}

/** One watch event line for a single watcher, as a chunk. */
function line(event: { type: string; object: unknown }): Buffer {
  return httpChunk(Buffer.from(`${JSON.stringify(event)}\n`));
}
