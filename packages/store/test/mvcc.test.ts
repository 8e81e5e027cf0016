import {
  decodeMvccResult,
  encodeMvccRequest,
  type MvccDatabase,
  type MvccRequest,
  MvccStore,
  type PutRequest,
  type RangeRequest,
  rangeRequest,
} from '@navarch/store';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTrackedDir, trackedTempDir } from '../../../test/helpers/registry.js';

const directories: string[] = [];
const databases: ClassicLevel<Buffer, Buffer>[] = [];

async function openDatabase(
  directory?: string,
): Promise<{ db: MvccDatabase; directory: string; root: ClassicLevel<Buffer, Buffer> }> {
  const dir = directory ?? trackedTempDir('navarch-mvcc-');
  if (directory === undefined) directories.push(dir);
  const root = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await root.open();
  databases.push(root);
  const db: MvccDatabase = root.sublevel<Buffer, Buffer>('mvcc', {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  return { db, directory: dir, root };
}

afterEach(async () => {
  for (const db of databases.splice(0)) await db.close();
  for (const dir of directories.splice(0)) removeTrackedDir(dir);
});

function range(key: string, rangeEnd = '', extra: Partial<RangeRequest> = {}): RangeRequest {
  return rangeRequest(Buffer.from(key), Buffer.from(rangeEnd), extra);
}

function putRequest(key: string, value: string, lease = '0'): PutRequest {
  return {
    key: Buffer.from(key),
    value: Buffer.from(value),
    lease,
    prevKv: true,
    ignoreValue: false,
    ignoreLease: false,
  };
}

function put(key: string, value: string, lease = '0'): MvccRequest {
  return { type: 'put', put: putRequest(key, value, lease) };
}

class Driver {
  index = 0;
  constructor(readonly store: MvccStore) {}
  apply(request: MvccRequest) {
    this.index += 1;
    return decodeMvccResult(this.store.apply(this.index, encodeMvccRequest(request), true));
  }
}

describe('MvccStore', () => {
  it('numbers revisions like etcd: empty store at 1, one revision per write, versions per key', async () => {
    const { db } = await openDatabase();
    const store = new MvccStore({ db });
    await store.open();
    const driver = new Driver(store);
    expect(store.currentRevision()).toBe(1);
    expect(driver.apply(put('a', '1')).revision).toBe(2);
    const second = driver.apply(put('a', '2'));
    expect(second.revision).toBe(3);
    expect(second.put?.prevKv?.value.toString()).toBe('1');
    const kv = store.range(range('a')).kvs[0];
    expect(kv).toMatchObject({ createRevision: 2, modRevision: 3, version: 2 });
    expect(kv?.value.toString()).toBe('2');
    expect(store.range(range('a', '', { revision: 2 })).kvs[0]?.value.toString()).toBe('1');
    const deleted = driver.apply({
      type: 'deleteRange',
      deleteRange: { key: Buffer.from('a'), rangeEnd: Buffer.alloc(0), prevKv: true },
    });
    expect(deleted).toMatchObject({ revision: 4, deleteRange: { deleted: 1 } });
    // A delete of nothing does not move the revision.
    const none = driver.apply({
      type: 'deleteRange',
      deleteRange: { key: Buffer.from('a'), rangeEnd: Buffer.alloc(0), prevKv: false },
    });
    expect(none.revision).toBe(4);
    driver.apply(put('a', '3'));
    expect(store.range(range('a')).kvs[0]).toMatchObject({ createRevision: 5, modRevision: 5, version: 1 });
  });

  it('ranges with prefix, limit, count, sort and keys-only', async () => {
    const { db } = await openDatabase();
    const store = new MvccStore({ db });
    await store.open();
    const driver = new Driver(store);
    for (const key of ['p/c', 'p/a', 'p/b', 'q']) driver.apply(put(key, `v-${key}`));
    const prefix = store.range(range('p/', 'p0'));
    expect(prefix.kvs.map((kv) => kv.key.toString())).toEqual(['p/a', 'p/b', 'p/c']);
    expect(prefix.count).toBe(3);
    const limited = store.range(range('p/', 'p0', { limit: 2 }));
    expect(limited).toMatchObject({ more: true, count: 3 });
    expect(limited.kvs).toHaveLength(2);
    const byMod = store.range(range('p/', 'p0', { sortOrder: 'DESCEND', sortTarget: 'MOD' }));
    expect(byMod.kvs.map((kv) => kv.key.toString())).toEqual(['p/b', 'p/a', 'p/c']);
    const all = store.range(range('\0', '\0', { keysOnly: true }));
    expect(all.kvs.map((kv) => kv.value.length)).toEqual([0, 0, 0, 0]);
    expect(store.range(range('p/', 'p0', { countOnly: true }))).toMatchObject({ kvs: [], count: 3 });
  });

  it('runs transactions with compares and rejects writes with unknown leases', async () => {
    const { db } = await openDatabase();
    const store = new MvccStore({ db });
    await store.open();
    const driver = new Driver(store);
    driver.apply(put('k', 'v1'));
    const txn = (expectedValue: string): MvccRequest => ({
      type: 'txn',
      txn: {
        compare: [
          {
            result: 'EQUAL',
            target: 'VALUE',
            key: Buffer.from('k'),
            rangeEnd: Buffer.alloc(0),
            version: 0,
            createRevision: 0,
            modRevision: 0,
            value: Buffer.from(expectedValue),
            lease: '0',
          },
        ],
        success: [
          { type: 'put', put: putRequest('k', 'v2') },
          { type: 'range', range: range('k') },
        ],
        failure: [{ type: 'range', range: range('k') }],
      },
    });
    const miss = driver.apply(txn('nope'));
    expect(miss.txn?.succeeded).toBe(false);
    expect(miss.revision).toBe(2);
    const hit = driver.apply(txn('v1'));
    expect(hit.txn?.succeeded).toBe(true);
    expect(hit.revision).toBe(3);
    const read = hit.txn?.responses[1];
    expect(read?.type === 'range' && read.range.kvs[0]?.value.toString()).toBe('v2');
    const bad = driver.apply(put('x', 'y', '12345'));
    expect(bad.error).toBe('NAVARCH_ERR_LEASE_NOT_FOUND');
    expect(store.currentRevision()).toBe(3);
  });

  it('compacts history and refuses reads below the compact revision', async () => {
    const { db } = await openDatabase();
    const store = new MvccStore({ db });
    await store.open();
    const driver = new Driver(store);
    for (let i = 0; i < 5; i++) driver.apply(put('c', String(i)));
    expect(driver.apply({ type: 'compact', revision: 4 }).error).toBeUndefined();
    expect(() => store.range(range('c', '', { revision: 3 }))).toThrow(/compacted/);
    expect(store.range(range('c', '', { revision: 4 })).kvs[0]?.value.toString()).toBe('2');
    expect(driver.apply({ type: 'compact', revision: 4 }).error).toBe('NAVARCH_ERR_COMPACTED');
    expect(driver.apply({ type: 'compact', revision: 99 }).error).toBe('NAVARCH_ERR_FUTURE_REVISION');
    expect(() => store.range(range('c', '', { revision: 99 }))).toThrow(/future/);
  });

  it('revokes a lease with its keys in one revision', async () => {
    const { db } = await openDatabase();
    const store = new MvccStore({ db });
    await store.open();
    const driver = new Driver(store);
    // A TTL below the replicated minimum (default 1 s) is raised to it.
    expect(driver.apply({ type: 'leaseGrant', id: '7', ttlSeconds: 0 }).lease).toEqual({
      id: '7',
      ttlSeconds: 1,
    });
    driver.apply(put('l1', 'a', '7'));
    driver.apply(put('l2', 'b', '7'));
    expect(store.lease('7')?.keys.map(String)).toEqual(['l1', 'l2']);
    const revoked = driver.apply({ type: 'leaseRevoke', id: '7' });
    expect(revoked.revision).toBe(4);
    expect(store.range(range('l', 'm')).count).toBe(0);
    expect(store.lease('7')).toBeNull();
    expect(driver.apply({ type: 'leaseRevoke', id: '7' }).error).toBe('NAVARCH_ERR_LEASE_NOT_FOUND');
  });

  it('persists state with its applied index and reloads it after a restart', async () => {
    const first = await openDatabase();
    const store = new MvccStore({ db: first.db });
    await store.open();
    const driver = new Driver(store);
    driver.apply({ type: 'leaseGrant', id: '9', ttlSeconds: 60 });
    driver.apply(put('a', '1', '9'));
    driver.apply(put('b', '2'));
    driver.apply(put('a', '3', '9'));
    driver.apply({ type: 'compact', revision: 3 });
    expect(await store.flush()).toBe(5);
    const hash = store.hashKv(0);
    await first.root.close();
    const second = await openDatabase(first.directory);
    const reopened = new MvccStore({ db: second.db });
    await reopened.open();
    expect(reopened.appliedIndex()).toBe(5);
    expect(reopened.currentRevision()).toBe(4);
    expect(reopened.compactRevision()).toBe(3);
    expect(reopened.lease('9')?.keys.map(String)).toEqual(['a']);
    expect(reopened.hashKv(0)).toEqual(hash);
    expect(reopened.range(range('a')).kvs[0]?.value.toString()).toBe('3');
  });

  it('restores from a snapshot of another store', async () => {
    const source = new MvccStore({ db: (await openDatabase()).db });
    await source.open();
    const driver = new Driver(source);
    for (let i = 0; i < 10; i++) driver.apply(put(`k${i % 3}`, String(i)));
    const target = new MvccStore({ db: (await openDatabase()).db });
    await target.open();
    new Driver(target).apply(put('stale', 'x'));
    let restored = 0;
    target.onRestore(() => {
      restored += 1;
    });
    await target.restore(source.snapshot());
    expect(restored).toBe(1);
    expect(target.appliedIndex()).toBe(10);
    expect(target.hashKv(0)).toEqual(source.hashKv(0));
    expect(target.range(range('stale')).count).toBe(0);
  });

  it('reports events with previous values for watch catch-up', async () => {
    const store = new MvccStore({ db: (await openDatabase()).db });
    await store.open();
    const driver = new Driver(store);
    const seen: number[] = [];
    store.onChange((revision) => seen.push(revision));
    driver.apply(put('w', '1'));
    driver.apply(put('w', '2'));
    driver.apply({
      type: 'deleteRange',
      deleteRange: { key: Buffer.from('w'), rangeEnd: Buffer.alloc(0), prevKv: false },
    });
    expect(seen).toEqual([2, 3, 4]);
    const events = store.eventsSince(Buffer.from('w'), Buffer.alloc(0), 3);
    expect(events.map((e) => [e.revision, e.event.type, e.event.prevKv?.value.toString()])).toEqual([
      [3, 'PUT', '1'],
      [4, 'DELETE', '2'],
    ]);
  });

  it('after a crash, replaying the log from the durable applied index rebuilds the same state', async () => {
    const first = await openDatabase();
    const store = new MvccStore({ db: first.db });
    await store.open();
    const log: MvccRequest[] = [];
    for (let i = 0; i < 1500; i++) {
      log.push(
        i % 7 === 6
          ? {
              type: 'deleteRange',
              deleteRange: { key: Buffer.from(`k${i % 50}`), rangeEnd: Buffer.alloc(0), prevKv: false },
            }
          : put(`k${i % 50}`, String(i)),
      );
    }
    for (const [i, request] of log.entries()) store.apply(i + 1, encodeMvccRequest(request), false);
    const expected = store.hashKv(0);
    await store.flush();
    // More entries applied but never flushed, then the process dies (the database is closed as is).
    for (let i = 0; i < 300; i++) log.push(put(`late${i % 10}`, String(i)));
    for (let i = 1500; i < log.length; i++)
      store.apply(i + 1, encodeMvccRequest(log[i] as MvccRequest), false);
    const expectedAfter = store.hashKv(0);
    expect(expectedAfter).not.toEqual(expected);
    await first.root.close();
    const second = await openDatabase(first.directory);
    const reopened = new MvccStore({ db: second.db });
    await reopened.open();
    const durable = reopened.appliedIndex();
    expect(durable).toBeGreaterThanOrEqual(1500);
    expect(durable).toBeLessThanOrEqual(log.length);
    for (let i = durable; i < log.length; i++)
      reopened.apply(i + 1, encodeMvccRequest(log[i] as MvccRequest), false);
    expect(reopened.hashKv(0)).toEqual(expectedAfter);
  });
});
