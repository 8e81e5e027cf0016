import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { KvStore, RangeResult, StoreEvent, StoreWatch, TxnResult } from '../src/storage.js';
import { type CacheEvent, WatchCache } from '../src/watch-cache.js';

/** A store holding a fixed list and letting the test push watch events. */
class ScriptedStore implements KvStore {
  onEvents: ((events: StoreEvent[]) => void) | undefined;

  constructor(
    private readonly initial: { key: string; value: Buffer; modRevision: number }[],
    private readonly revision: number,
  ) {}

  async get() {
    return undefined;
  }
  async range(): Promise<RangeResult> {
    return {
      kvs: this.initial.map((kv) => ({ ...kv, createRevision: kv.modRevision })),
      more: false,
      revision: this.revision,
    };
  }
  async txn(): Promise<TxnResult> {
    throw new Error('not used');
  }
  async watch(_prefix: string, _from: number, onEvents: (events: StoreEvent[]) => void): Promise<StoreWatch> {
    this.onEvents = onEvents;
    return { cancel: async () => undefined };
  }
  async currentRevision() {
    return this.revision;
  }
  async compact() {}
  close() {}
}

const json = (obj: unknown) => Buffer.from(JSON.stringify(obj));
const cm = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'a' },
  data,
});

function put(
  key: string,
  value: Buffer,
  modRevision: number,
  createRevision: number,
  prev?: Buffer,
): StoreEvent {
  return { type: 'put', key, value, prevValue: prev, modRevision, createRevision };
}

describe('WatchCache', () => {
  it('serves loaded objects and applied events with their resourceVersion, however the store reuses its buffers', async () => {
    const prefix = '/registry/configmaps/';
    const store = new ScriptedStore(
      [{ key: `${prefix}a/one`, value: json(cm('one', { v: '1' })), modRevision: 5 }],
      7,
    );
    const cache = new WatchCache(store, prefix, { historySize: 100, log: pino({ level: 'silent' }) });
    await cache.start();
    expect(cache.lookup(`${prefix}a/one`)?.metadata.resourceVersion).toBe('5');

    // The store's response buffer is reused after the callback: the cache must not keep views into it.
    const buffer = json(cm('two', { v: '2' }));
    const updated = json(cm('one', { v: '3' }));
    store.onEvents?.([put(`${prefix}a/two`, buffer, 8, 8), put(`${prefix}a/one`, updated, 9, 5)]);
    buffer.fill(0x20);
    updated.fill(0x20);

    const seen: CacheEvent[][] = [];
    const sink = {
      deliver: (events: readonly CacheEvent[]) => seen.push([...events]) > 0,
      fail: () => undefined,
    };
    await cache.subscribe(undefined, sink);
    const initial = seen[0]!.map((e) => [
      e.type,
      e.object.metadata.name,
      e.object.metadata.resourceVersion,
      e.object.data,
    ]);
    expect(initial).toEqual([
      ['ADDED', 'one', '9', { v: '3' }],
      ['ADDED', 'two', '8', { v: '2' }],
    ]);

    seen.length = 0;
    await cache.subscribe(7, sink);
    const replay = seen[0]!;
    expect(replay.map((e) => [e.type, e.object.metadata.name, e.revision])).toEqual([
      ['ADDED', 'two', 8],
      ['MODIFIED', 'one', 9],
    ]);
    // The previous object of an update is the cached one, as it was.
    expect(replay[1]!.prev?.data).toEqual({ v: '1' });
    expect(replay[1]!.prev?.metadata.resourceVersion).toBe('5');
    expect(JSON.parse(replay[1]!.chunk('MODIFIED').toString().split('\r\n')[1]!)).toEqual({
      type: 'MODIFIED',
      object: { ...cm('one', { v: '3' }), metadata: { name: 'one', namespace: 'a', resourceVersion: '9' } },
    });

    const deleted = json(cm('two', { v: '2' }));
    store.onEvents?.([
      {
        type: 'delete',
        key: `${prefix}a/two`,
        value: deleted,
        prevValue: deleted,
        modRevision: 10,
        createRevision: 0,
      },
    ]);
    expect(cache.lookup(`${prefix}a/two`)).toBeUndefined();
    const last = seen.at(-1)!;
    expect(last.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion])).toEqual([
      ['DELETED', 'two', '10'],
    ]);
    expect(cache.snapshot().map((o) => o.metadata.name)).toEqual(['one']);
    await cache.stop();
  });

  it('keeps the last historySize events for resuming, however many came before', async () => {
    const prefix = '/registry/configmaps/';
    const store = new ScriptedStore([], 1);
    const cache = new WatchCache(store, prefix, { historySize: 3, log: pino({ level: 'silent' }) });
    await cache.start();
    // Revisions 2..11; the one transaction at revision 6 writes two keys.
    for (let revision = 2; revision <= 11; revision++) {
      const events = [put(`${prefix}a/k${revision}`, json(cm(`k${revision}`, {})), revision, revision)];
      if (revision === 6) events.push(put(`${prefix}a/k6b`, json(cm('k6b', {})), 6, 6));
      store.onEvents?.(events);
      expect(cache.historyLength).toBe(Math.min(3, revision - 1 + (revision >= 6 ? 1 : 0)));
    }
    // Kept: 9, 10, 11; every event above the window start is among them.
    expect(cache.windowStartRevision).toBe(8);
    const seen: CacheEvent[] = [];
    const sink = {
      deliver: (events: readonly CacheEvent[]) => seen.push(...events) >= 0,
      fail: () => undefined,
    };
    await cache.subscribe(8, sink);
    expect(seen.map((e) => e.revision)).toEqual([9, 10, 11]);
    seen.length = 0;
    await cache.subscribe(10, sink);
    expect(seen.map((e) => e.revision)).toEqual([11]);
    seen.length = 0;
    await cache.subscribe(11, sink);
    expect(seen).toEqual([]);
    // The subscriber gets what follows, after the ring has wrapped again.
    store.onEvents?.([put(`${prefix}a/k12`, json(cm('k12', {})), 12, 12)]);
    expect(seen.map((e) => e.revision)).toEqual([12]);
    expect(cache.windowStartRevision).toBe(9);
    await cache.stop();
  });
});
