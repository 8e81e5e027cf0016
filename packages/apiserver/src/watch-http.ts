/**
 * One HTTP watch: filters cache events for its namespace and selectors, writes them as
 * newline-delimited JSON, and keeps at most `bufferMax` events queued while the socket is
 * full. A watcher that exceeds its buffer is closed (the client re-watches from its last
 * resourceVersion), so a slow client never holds back the others.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ApiError, gone } from './errors.js';
import type { ApiServerMetrics } from './metrics.js';
import type { KubeObject } from './objects.js';
import type { ResourceInfo } from './resources.js';
import { apiVersionOf } from './resources.js';
import { type FieldRequirement, type LabelSelector, matchFields, matchLabels } from './selectors.js';
import { eventTable, type IncludeObject } from './tables.js';
import type { CacheEvent, Subscription, WatchCache, WatchSink } from './watch-cache.js';

/** What one watcher asked for. */
export interface WatchRequest {
  readonly resource: ResourceInfo;
  readonly namespace: string | undefined;
  readonly labels: LabelSelector;
  readonly fields: readonly FieldRequirement[];
  /** undefined: start with the current objects; a number: events after that revision. */
  readonly fromRevision: number | undefined;
  readonly allowBookmarks: boolean;
  readonly timeoutMs: number;
  /** Render objects as Table rows (kubectl get --watch). */
  readonly table: IncludeObject | undefined;
  readonly bookmarkIntervalMs: number;
  readonly bufferMax: number;
}

/** Serves one watch until the client goes away, the timeout passes, or it falls behind. */
export class HttpWatcher implements WatchSink {
  private readonly queue: string[] = [];
  private waitingForDrain = false;
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
    this.res.on('drain', () => this.flush());
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
    return matchLabels(this.request.labels, obj.metadata.labels) && matchFields(this.request.fields, obj);
  }

  deliver(events: readonly CacheEvent[]): boolean {
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
      this.enqueue(this.render(type, ev));
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
    this.enqueue(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
  }

  private enqueue(line: string): void {
    if (this.closed) return;
    if (this.waitingForDrain) {
      if (this.queue.length >= this.request.bufferMax) {
        this.metrics.slowWatchersClosed.inc();
        this.log.warn(
          { resource: this.request.resource.plural, queued: this.queue.length },
          'closing a slow watcher',
        );
        this.close();
        return;
      }
      this.queue.push(line);
      this.metrics.watchBufferedEvents.inc();
      return;
    }
    if (!this.res.write(line)) this.waitingForDrain = true;
  }

  private flush(): void {
    this.waitingForDrain = false;
    while (this.queue.length > 0 && !this.closed) {
      const line = this.queue.shift()!;
      this.metrics.watchBufferedEvents.dec();
      if (!this.res.write(line)) {
        this.waitingForDrain = true;
        return;
      }
    }
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

  /** Ends the watch and releases everything it holds. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.subscription?.cancel();
    this.metrics.watchBufferedEvents.dec(this.queue.length);
    this.queue.length = 0;
    const r = this.request.resource;
    this.metrics.watchers.dec({ group: r.group, version: r.version, kind: r.kind });
    if (!this.res.writableEnded) this.res.end();
    this.resolveDone();
  }
}
