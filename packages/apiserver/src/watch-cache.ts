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

/**
 * A stored value that is parsed on first use. The cache applies every event of its resource,
 * but most of them are read by nobody (no watcher, or none whose selectors need the object),
 * so parsing the JSON of each at once would be work thrown away. The bytes are copied out of
 * the store's response, which they would otherwise keep alive.
 */
class StoredObject {
  private value: Buffer | undefined;
  private decoded: KubeObject | undefined;

  constructor(
    value: Buffer,
    /** Stamped as metadata.resourceVersion (for a delete, the deletion's revision). */
    readonly revision: number,
  ) {
    this.value = Buffer.from(value);
  }

  get object(): KubeObject {
    if (this.decoded === undefined) {
      this.decoded = decodeObject(this.value!, this.revision);
      this.value = undefined;
    }
    return this.decoded;
  }
}

/** A CacheEvent that parses its objects and builds its chunk for each type on first use. */
class Event implements CacheEvent {
  /** Chunks by type; usually only this event's own type is ever asked for. */
  private chunks: Partial<Record<CacheEvent['type'], Buffer>> | undefined;

  constructor(
    readonly type: CacheEvent['type'],
    readonly key: string,
    private readonly stored: StoredObject,
    private readonly previous: StoredObject | undefined,
    readonly revision: number,
  ) {}

  get object(): KubeObject {
    return this.stored.object;
  }

  get prev(): KubeObject | undefined {
    return this.previous?.object;
  }

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

/** Parses a stored value and stamps its resourceVersion. */
export function decodeObject(value: Buffer, revision: number): KubeObject {
  const obj = JSON.parse(value.toString('utf8')) as KubeObject;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

/** The stored values of one raw store event: the value after it and the one before. */
interface StoredChange {
  readonly event: Event;
  /** What the key holds after the change; undefined when it was deleted. */
  readonly current: StoredObject | undefined;
}

/**
 * Converts one raw store event into a watch event (undefined for a delete without its last
 * value). `knownPrev` is the stored value before the change when the caller already has it:
 * the store's copy of the previous value is not kept then.
 */
function toStoredChange(e: StoreEvent, knownPrev: StoredObject | undefined): StoredChange | undefined {
  if (e.type === 'delete' && e.value.length === 0) return undefined;
  const prev =
    knownPrev ??
    (e.prevValue && e.prevValue.length > 0 ? new StoredObject(e.prevValue, e.modRevision) : undefined);
  const stored = new StoredObject(e.value, e.modRevision);
  if (e.type === 'delete')
    return { event: new Event('DELETED', e.key, stored, prev, e.modRevision), current: undefined };
  const type = e.createRevision === e.modRevision ? 'ADDED' : 'MODIFIED';
  return { event: new Event(type, e.key, stored, prev, e.modRevision), current: stored };
}

/** Converts raw store events into watch events. */
export function toCacheEvents(events: readonly StoreEvent[]): CacheEvent[] {
  const out: CacheEvent[] = [];
  for (const e of events) {
    const change = toStoredChange(e, undefined);
    if (change) out.push(change.event);
  }
  return out;
}

/**
 * The last `capacity` events, oldest first. Once full it is a ring: each new event overwrites
 * the oldest in place. Dropping from the front of a plain array (splice, or shift on one too
 * large to trim in place) copies the whole window on every event: about 0.2 ms per event at
 * the default 10,000, paid by every write to a resource once its history is full.
 */
class EventHistory {
  /** Grows to `capacity` as events arrive, then is reused. */
  private readonly slots: CacheEvent[] = [];
  /** Index of the oldest event once the ring is full (0 until then). */
  private oldest = 0;

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.slots.length;
  }

  /** Appends `ev`; returns the event dropped to make room (`ev` itself when capacity is 0). */
  push(ev: CacheEvent): CacheEvent | undefined {
    if (this.capacity <= 0) return ev;
    if (this.slots.length < this.capacity) {
      this.slots.push(ev);
      return undefined;
    }
    const dropped = this.slots[this.oldest];
    this.slots[this.oldest] = ev;
    this.oldest = (this.oldest + 1) % this.capacity;
    return dropped;
  }

  /** The events with a revision above `revision`, oldest first. */
  after(revision: number): CacheEvent[] {
    const out: CacheEvent[] = [];
    // Revisions ascend from the oldest: walk back from the newest while they are above.
    for (let i = this.slots.length - 1; i >= 0; i--) {
      const ev = this.slots[(this.oldest + i) % this.slots.length]!;
      if (ev.revision <= revision) break;
      out.push(ev);
    }
    return out.reverse();
  }

  clear(): void {
    this.slots.length = 0;
    this.oldest = 0;
  }
}

/** Keys per range read while loading: bounds one response (objects are at most 3 MiB each). */
const loadPageSize = 250;

/** The cache for one storage prefix. */
export class WatchCache {
  private readonly objects = new Map<string, StoredObject>();
  private readonly history: EventHistory;
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
    this.history = new EventHistory(options.historySize);
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
    const objects = new Map<string, StoredObject>();
    for (;;) {
      const page = await this.kv.range(start, end, loadPageSize, revision);
      revision = page.revision;
      for (const kv of page.kvs) objects.set(kv.key, new StoredObject(kv.value, kv.modRevision));
      if (!page.more || page.kvs.length === 0) break;
      start = `${page.kvs[page.kvs.length - 1]!.key}\0`;
    }
    this.objects.clear();
    for (const [k, v] of objects) this.objects.set(k, v);
    this.history.clear();
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
      const change = toStoredChange(e, this.objects.get(e.key));
      if (!change) continue;
      if (change.current === undefined) this.objects.delete(e.key);
      else this.objects.set(e.key, change.current);
      events.push(change.event);
    }
    const last = storeEvents[storeEvents.length - 1];
    if (last && last.modRevision > this.revision) this.revision = last.modRevision;
    if (events.length === 0) return;
    for (const ev of events) {
      const dropped = this.history.push(ev);
      if (dropped !== undefined) this.windowStartRevision = dropped.revision;
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
      for (const [key, stored] of this.objects) {
        initial.push(new Event('ADDED', key, stored, undefined, stored.revision));
      }
      if (!sink.deliver(initial, true)) return { cancel: () => undefined };
      this.subscribers.add(sink);
      return { cancel: () => this.subscribers.delete(sink) };
    }
    if (fromRevision >= this.windowStartRevision) {
      const replay = this.history.after(fromRevision);
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
    return this.objects.get(key)?.object;
  }

  /** A snapshot of the current objects (used for deletecollection and the namespace loop). */
  snapshot(): KubeObject[] {
    return Array.from(this.objects.values(), (stored) => stored.object);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.resolveReady();
    this.subscribers.clear();
    await this.storeWatch?.cancel().catch(() => undefined);
  }
}
