/**
 * One HTTP watch: filters cache events for its namespace and selectors, writes them as
 * newline-delimited JSON. Writes never wait: what the socket has not taken yet stays in the
 * response's buffer, and a watcher whose buffer passes `bufferMaxBytes` on a live event is
 * closed (the client re-watches from its last resourceVersion), so a slow client never holds
 * back the others and never holds unbounded memory. The initial replay (current objects or
 * history) is exempt: it is bounded by the cache itself.
 */

import type { ServerResponse } from 'node:http';
import type { FieldSelector, Selector } from '@navarch/api';
import type { Logger } from 'pino';
import { ApiError, gone } from './errors.js';
import type { ApiServerMetrics } from './metrics.js';
import { type KubeObject, selectorsMatch } from './objects.js';
import type { ResourceInfo } from './resources.js';
import { apiVersionOf } from './resources.js';
import { eventTable, type IncludeObject } from './tables.js';
import type { CacheEvent, Subscription, WatchCache, WatchSink } from './watch-cache.js';

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
      this.metrics.watchEventsSent.inc({ kind: this.request.resource.kind });
      if (this.closed) return false;
    }
    return true;
  }

  private render(type: CacheEvent['type'], ev: CacheEvent): string {
    const r = this.request.resource;
    if (this.request.table) {
      const object = { ...ev.object, apiVersion: apiVersionOf(r) };
      const table = eventTable(r.kind, object, this.request.table, !this.sentColumns);
      this.sentColumns = true;
      return `${JSON.stringify({ type, object: table })}\n`;
    }
    if (ev.object.apiVersion !== apiVersionOf(r)) {
      return `${JSON.stringify({ type, object: { ...ev.object, apiVersion: apiVersionOf(r) } })}\n`;
    }
    return ev.line(type);
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
    this.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`, false);
  }

  private write(line: string, replay: boolean): void {
    if (this.closed) return;
    this.res.write(line);
    if (!replay && this.res.writableLength > this.request.bufferMaxBytes) {
      this.metrics.slowWatchersClosed.inc();
      this.log.warn(
        { resource: this.request.resource.plural, bufferedBytes: this.res.writableLength },
        'closing a slow watcher',
      );
      this.close(true);
    }
  }

  /** Bytes written to this watch that the client has not taken yet. */
  get bufferedBytes(): number {
    return this.closed ? 0 : this.res.writableLength;
  }

  fail(err: Error, isGone: boolean): void {
    if (this.closed) return;
    const status = isGone
      ? gone(
          `too old resource version: ${this.request.fromRevision ?? 0} (${this.cache.revision})`,
        ).toStatus()
      : new ApiError(500, 'InternalError', `watch ended: ${err.message}`, 'NAVARCH_ERR_WATCH').toStatus();
    this.res.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
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
