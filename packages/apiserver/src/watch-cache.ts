/**
 * The watch cache: one store watch per resource fans out to every HTTP watcher. It keeps the
 * current objects (for `watch` without a resourceVersion) and a bounded history of recent
 * events (for resuming); a resume from before that history is served by a direct store watch,
 * which answers 410 Gone when the store has compacted the revision.
 */
import type { Logger } from 'pino';
import type { KubeObject } from './objects.js';
import { type KvStore, prefixEnd, type StoreEvent, type StoreWatch } from './storage.js';

/** One event as a watcher sees it. */
export interface CacheEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly key: string;
  /** The object after the change (for DELETED, its last state with the deletion revision). */
  readonly object: KubeObject;
  /** The object before the change, for selector transitions. */
  readonly prev: KubeObject | undefined;
  readonly revision: number;
  /**
   * The `{type, object}` JSON line framed as one HTTP/1.1 chunk (`size CRLF line CRLF`): built
   * once per event and type and written as is to every watcher, so a fan-out to a thousand
   * watchers serialises and encodes the object once.
   */
  chunk(type: CacheEvent['type']): Buffer;
}

const crlf = Buffer.from('\r\n');

/** `body` framed as one HTTP/1.1 chunk of a `Transfer-Encoding: chunked` response. */
export function httpChunk(body: Buffer): Buffer {
  const head = Buffer.from(`${body.length.toString(16)}\r\n`, 'latin1');
  return Buffer.concat([head, body, crlf], head.length + body.length + crlf.length);
}

/** The JSON line inside a chunk built by {@link httpChunk}. */
export function chunkBody(chunk: Buffer): Buffer {
  return chunk.subarray(chunk.indexOf(0x0a) + 1, chunk.length - crlf.length);
}

/** Where a watcher's events go. `deliver` returns false when the watcher can take no more. */
export interface WatchSink {
  /** `replay`: the initial objects or history, exempt from the slow-watcher bound. */
  deliver(events: readonly CacheEvent[], replay?: boolean): boolean;
  /** Ends the watch because of a store failure (a 410 when `gone`). */
  fail(err: Error, gone: boolean): void;
}

/** Handle to stop a subscription. */
export interface Subscription {
  cancel(): void;
}

/** Tunables; every buffer is bounded. */
export interface WatchCacheOptions {
  /** Events kept for resuming watches. */
  readonly historySize: number;
  readonly log: Logger;
}

/** A CacheEvent that builds its chunk for each type on first use. */
class Event implements CacheEvent {
  /** Chunks by type; usually only this event's own type is ever asked for. */
  private chunks: Partial<Record<CacheEvent['type'], Buffer>> | undefined;

  constructor(
    readonly type: CacheEvent['type'],
    readonly key: string,
    readonly object: KubeObject,
    readonly prev: KubeObject | undefined,
    readonly revision: number,
  ) {}

  chunk(type: CacheEvent['type']): Buffer {
    this.chunks ??= {};
    let c = this.chunks[type];
    if (c === undefined) {
      c = httpChunk(Buffer.from(`${JSON.stringify({ type, object: this.object })}\n`));
      this.chunks[type] = c;
    }
    return c;
  }
}

function makeEvent(
  type: CacheEvent['type'],
  key: string,
  object: KubeObject,
  prev: KubeObject | undefined,
  revision: number,
): CacheEvent {
  return new Event(type, key, object, prev, revision);
}

/** Parses a stored value and stamps its resourceVersion. */
export function decodeObject(value: Buffer, revision: number): KubeObject {
  const obj = JSON.parse(value.toString('utf8')) as KubeObject;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

/**
 * Converts one raw store event into a watch event (undefined for a delete without its last
 * value). `knownPrev` is the object before the change when the caller already has it: the
 * previous value is decoded only when it does not.
 */
function toCacheEvent(e: StoreEvent, knownPrev: KubeObject | undefined): CacheEvent | undefined {
  if (e.type === 'delete' && e.value.length === 0) return undefined;
  const prev =
    knownPrev ??
    (e.prevValue && e.prevValue.length > 0 ? decodeObject(e.prevValue, e.modRevision) : undefined);
  const object = decodeObject(e.value, e.modRevision);
  if (e.type === 'delete') return makeEvent('DELETED', e.key, object, prev, e.modRevision);
  const type = e.createRevision === e.modRevision ? 'ADDED' : 'MODIFIED';
  return makeEvent(type, e.key, object, prev, e.modRevision);
}

/** Converts raw store events into watch events. */
export function toCacheEvents(events: readonly StoreEvent[]): CacheEvent[] {
  const out: CacheEvent[] = [];
  for (const e of events) {
    const ev = toCacheEvent(e, undefined);
    if (ev) out.push(ev);
  }
  return out;
}

/** Keys per range read while loading: bounds one response (objects are at most 3 MiB each). */
const loadPageSize = 250;

/** The cache for one storage prefix. */
export class WatchCache {
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: CacheEvent[] = [];
  private readonly subscribers = new Set<WatchSink>();
  private storeWatch: StoreWatch | undefined;
  private stopped = false;
  /** Latest store revision this cache reflects. */
  revision = 0;
  /** Every event with a revision above this is in `history` (or later). */
  windowStartRevision = 0;
  /** Resolves once the initial list is loaded and the store watch runs. */
  readonly ready: Promise<void>;
  private resolveReady!: () => void;

  constructor(
    private readonly kv: KvStore,
    readonly prefix: string,
    private readonly options: WatchCacheOptions,
  ) {
    this.ready = new Promise((resolve) => {
      this.resolveReady = resolve;
    });
  }

  /** Number of objects currently stored under the prefix. */
  get size(): number {
    return this.objects.size;
  }

  /** Number of events retained for resumption. */
  get historyLength(): number {
    return this.history.length;
  }

  /** Number of fan-out subscribers. */
  get watcherCount(): number {
    return this.subscribers.size;
  }

  /** Loads the current objects and starts the store watch; retries until stopped. */
  async start(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.load();
        this.resolveReady();
        return;
      } catch (err) {
        this.options.log.warn({ err, prefix: this.prefix }, 'watch cache load failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async load(): Promise<void> {
    const end = prefixEnd(this.prefix);
    let start = this.prefix;
    let revision = 0;
    const objects = new Map<string, KubeObject>();
    for (;;) {
      const page = await this.kv.range(start, end, loadPageSize, revision);
      revision = page.revision;
      for (const kv of page.kvs) objects.set(kv.key, decodeObject(kv.value, kv.modRevision));
      if (!page.more || page.kvs.length === 0) break;
      start = `${page.kvs[page.kvs.length - 1]!.key}\0`;
    }
    this.objects.clear();
    for (const [k, v] of objects) this.objects.set(k, v);
    this.history.length = 0;
    this.revision = revision;
    this.windowStartRevision = revision;
    this.storeWatch = await this.kv.watch(
      this.prefix,
      revision + 1,
      (events) => this.apply(events),
      (err) => void this.restart(err),
    );
  }

  private async restart(err: Error): Promise<void> {
    if (this.stopped) return;
    this.options.log.warn({ err, prefix: this.prefix }, 'store watch ended; reloading the watch cache');
    for (const s of this.subscribers) s.fail(err, false);
    this.subscribers.clear();
    // The store already ended this watch: there is nothing left to cancel.
    this.storeWatch = undefined;
    await this.start();
  }

  private apply(storeEvents: StoreEvent[]): void {
    const events: CacheEvent[] = [];
    const from = this.revision;
    for (const e of storeEvents) {
      if (e.modRevision <= from) continue;
      // The cached object is the previous one: the store's copy of it is not decoded again.
      const ev = toCacheEvent(e, this.objects.get(e.key));
      if (!ev) continue;
      if (ev.type === 'DELETED') this.objects.delete(ev.key);
      else this.objects.set(ev.key, ev.object);
      events.push(ev);
    }
    const last = storeEvents[storeEvents.length - 1];
    if (last && last.modRevision > this.revision) this.revision = last.modRevision;
    if (events.length === 0) return;
    for (const ev of events) this.history.push(ev);
    const excess = this.history.length - this.options.historySize;
    if (excess > 0) {
      const dropped = this.history.splice(0, excess);
      this.windowStartRevision = dropped[dropped.length - 1]!.revision;
    }
    for (const s of this.subscribers) {
      if (!s.deliver(events)) this.subscribers.delete(s);
    }
  }

  /**
   * Subscribes from `fromRevision`: undefined starts with ADDED events for every current object;
   * a revision inside the history window replays what followed it; an older one is served by a
   * direct store watch (410 Gone when compacted).
   */
  async subscribe(fromRevision: number | undefined, sink: WatchSink): Promise<Subscription> {
    await this.ready;
    if (fromRevision === undefined) {
      const initial: CacheEvent[] = [];
      for (const [key, obj] of this.objects) {
        initial.push(makeEvent('ADDED', key, obj, undefined, Number(obj.metadata.resourceVersion)));
      }
      if (!sink.deliver(initial, true)) return { cancel: () => undefined };
      this.subscribers.add(sink);
      return { cancel: () => this.subscribers.delete(sink) };
    }
    if (fromRevision >= this.windowStartRevision) {
      const replay = this.history.filter((e) => e.revision > fromRevision);
      if (replay.length > 0 && !sink.deliver(replay, true)) return { cancel: () => undefined };
      this.subscribers.add(sink);
      return { cancel: () => this.subscribers.delete(sink) };
    }
    return this.subscribeFromStore(fromRevision, sink);
  }

  private async subscribeFromStore(fromRevision: number, sink: WatchSink): Promise<Subscription> {
    let watch: StoreWatch | undefined;
    let cancelled = false;
    const cancel = () => {
      if (cancelled) return;
      cancelled = true;
      void watch?.cancel().catch(() => undefined);
    };
    try {
      // A read at the revision fails exactly when the store has compacted it away; this gives
      // a clean 410 rather than relying on how the client library reports a cancelled watch.
      await this.kv.range(this.prefix, prefixEnd(this.prefix), 1, fromRevision);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      sink.fail(e, e.name === 'CompactedError');
      return { cancel: () => undefined };
    }
    try {
      watch = await this.kv.watch(
        this.prefix,
        fromRevision + 1,
        (events) => {
          if (!cancelled && !sink.deliver(toCacheEvents(events))) cancel();
        },
        (err) => {
          if (cancelled) return;
          // The store ended the watch itself: do not cancel it again (see restart()).
          cancelled = true;
          sink.fail(err, err.name === 'CompactedError' || /Watcher canceled/.test(err.message));
        },
      );
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      sink.fail(e, /compacted/i.test(e.message));
      return { cancel };
    }
    return { cancel };
  }

  /** The cached object under `key`, if any. */
  lookup(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  /** A snapshot of the current objects (used for deletecollection and the namespace loop). */
  snapshot(): KubeObject[] {
    return [...this.objects.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.resolveReady();
    this.subscribers.clear();
    await this.storeWatch?.cancel().catch(() => undefined);
  }
}
