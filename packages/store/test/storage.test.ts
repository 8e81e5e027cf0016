import { decodeConfChange, type Entry, ErrCompacted } from '@navarch/raft';
import { RaftLogStorage, type StoreDatabase, StoreErrorCode } from '@navarch/store';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTrackedDir, trackedTempDir } from '../../../test/helpers/registry.js';

const dirs: string[] = [];
const open: StoreDatabase[] = [];

async function database(dir?: string): Promise<{ db: StoreDatabase; dir: string }> {
  const path = dir ?? trackedTempDir('navarch-raftlog-');
  if (!dir) dirs.push(path);
  const db = new ClassicLevel<string, Uint8Array>(path, { valueEncoding: 'view' });
  await db.open();
  open.push(db);
  return { db, dir: path };
}

async function reopen(db: StoreDatabase, dir: string): Promise<RaftLogStorage> {
  await db.close();
  const again = await database(dir);
  return await RaftLogStorage.open(again.db);
}

function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++)
    out.push({ index: i, term, type: 'normal', data: Buffer.from(`e${i}t${term}`) });
  return out;
}

afterEach(async () => {
  for (const db of open.splice(0)) await db.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) removeTrackedDir(dir);
});

describe('RaftLogStorage (LevelDB raft log)', () => {
  it('persists hard state and entries in one batch and reads them back after a reopen', async () => {
    const { db, dir } = await database();
    const storage = await RaftLogStorage.open(db, { voters: [1, 2, 3], learners: [] });
    await storage.save({ entries: entries(1, 5, 1), hardState: { term: 1, vote: 2, commit: 3 } }, true);
    const again = await reopen(db, dir);
    expect(again.initialState()).toEqual({
      hardState: { term: 1, vote: 2, commit: 3 },
      confState: { voters: [1, 2, 3], learners: [] },
    });
    expect(again.firstIndex()).toBe(1);
    expect(again.lastIndex()).toBe(5);
    expect(Buffer.from(again.entries(2, 4, Number.MAX_SAFE_INTEGER)[1]!.data).toString()).toBe('e3t1');
    expect(again.entries(1, 6, 1)).toHaveLength(1);
  });

  it('truncates a conflicting suffix durably', async () => {
    const { db, dir } = await database();
    const storage = await RaftLogStorage.open(db, { voters: [1], learners: [] });
    await storage.save({ entries: entries(1, 6, 1) }, true);
    await storage.save({ entries: entries(4, 4, 2) }, true);
    expect(storage.lastIndex()).toBe(4);
    const again = await reopen(db, dir);
    expect(again.lastIndex()).toBe(4);
    expect(again.term(4)).toBe(2);
    expect(again.term(3)).toBe(1);
  });

  it('compacts up to an index and remembers the snapshot point', async () => {
    const { db, dir } = await database();
    const storage = await RaftLogStorage.open(db, { voters: [1], learners: [] });
    await storage.save({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 10 } }, true);
    await storage.compact(6, { voters: [1, 2], learners: [] });
    expect(storage.firstIndex()).toBe(7);
    expect(() => storage.entries(5, 8, 1000)).toThrow(ErrCompacted);
    // The compacted records are gone from LevelDB itself, not only skipped on load.
    const stored: string[] = [];
    for await (const key of db.sublevel<string, Uint8Array>('raft', { valueEncoding: 'view' }).keys())
      if (key.startsWith('e:')) stored.push(key);
    expect(stored.map((key) => Number.parseInt(key.slice(2), 16))).toEqual([7, 8, 9, 10]);
    const again = await reopen(db, dir);
    expect(again.firstIndex()).toBe(7);
    expect(again.term(6)).toBe(1);
    expect(again.snapshot().metadata).toEqual({
      index: 6,
      term: 1,
      confState: { voters: [1, 2], learners: [] },
    });
    expect(again.initialState().confState).toEqual({ voters: [1, 2], learners: [] });
  });

  it('defers a commit-only hard state to the next batch, a compaction, or flushHardState', async () => {
    const { db, dir } = await database();
    const storage = await RaftLogStorage.open(db, { voters: [1], learners: [] });
    await storage.save({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 2 } }, true);
    // Commit only, not synced: nothing written, but the in-memory view moves.
    await storage.save({ entries: [], hardState: { term: 1, vote: 1, commit: 4 } }, false);
    expect(storage.getHardState().commit).toBe(4);
    let again = await reopen(db, dir);
    expect(again.initialState().hardState.commit).toBe(2);

    // The next batch (entries, no hard state of its own) carries it.
    await again.save({ entries: [], hardState: { term: 1, vote: 1, commit: 5 } }, false);
    await again.save({ entries: entries(11, 11, 1) }, true);
    again = await reopen(open.at(-1)!, dir);
    expect(again.initialState().hardState.commit).toBe(5);

    // A compaction carries it: the snapshot index may not pass the stored commit.
    await again.save({ entries: [], hardState: { term: 1, vote: 1, commit: 9 } }, false);
    await again.compact(8, { voters: [1], learners: [] });
    again = await reopen(open.at(-1)!, dir);
    expect(again.firstIndex()).toBe(9);
    expect(again.initialState().hardState.commit).toBe(9);

    // A clean stop writes what is left.
    await again.save({ entries: [], hardState: { term: 1, vote: 1, commit: 11 } }, false);
    await again.flushHardState();
    again = await reopen(open.at(-1)!, dir);
    expect(again.initialState().hardState.commit).toBe(11);

    // A new term or vote is never deferred.
    await again.save({ entries: [], hardState: { term: 2, vote: 0, commit: 11 } }, false);
    again = await reopen(open.at(-1)!, dir);
    expect(again.initialState().hardState).toEqual({ term: 2, vote: 0, commit: 11 });
  });

  it('keeps the log whole when a save overlaps a compaction (whichever the caller awaits first)', async () => {
    for (const compactFirst of [true, false]) {
      const { db, dir } = await database();
      const storage = await RaftLogStorage.open(db, { voters: [1], learners: [] });
      await storage.save({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 10 } }, true);
      const compaction = storage.compact(6, { voters: [1], learners: [] });
      const save = storage.save({ entries: entries(11, 14, 1) }, true);
      if (compactFirst) {
        await compaction;
        await save;
      } else {
        await save;
        await compaction;
      }
      expect(storage.firstIndex()).toBe(7);
      expect(storage.lastIndex()).toBe(14);
      const data = storage.entries(7, 15, Number.MAX_SAFE_INTEGER).map((e) => Buffer.from(e.data).toString());
      expect(data).toEqual(['e7t1', 'e8t1', 'e9t1', 'e10t1', 'e11t1', 'e12t1', 'e13t1', 'e14t1']);
      const again = await reopen(db, dir);
      expect([again.firstIndex(), again.lastIndex()]).toEqual([7, 14]);
    }
  });

  it('replaces the log with an installed snapshot', async () => {
    const { db, dir } = await database();
    const storage = await RaftLogStorage.open(db);
    await storage.save({ entries: entries(1, 3, 1) }, true);
    await storage.save(
      {
        entries: entries(21, 22, 3),
        hardState: { term: 3, vote: 0, commit: 20 },
        snapshot: {
          metadata: { index: 20, term: 3, confState: { voters: [1, 2, 3], learners: [4] } },
          data: new Uint8Array(0),
        },
      },
      true,
    );
    const again = await reopen(db, dir);
    expect(again.firstIndex()).toBe(21);
    expect(again.lastIndex()).toBe(22);
    expect(again.initialState().confState.learners).toEqual([4]);
  });

  it('detects a corrupted record when reading back (checksum)', async () => {
    const { db, dir } = await database();
    const storage = await RaftLogStorage.open(db, { voters: [1], learners: [] });
    await storage.save({ entries: entries(1, 3, 1) }, true);
    const raw = db.sublevel<string, Uint8Array>('raft', { valueEncoding: 'view' });
    const key = `e:${(2).toString(16).padStart(14, '0')}`;
    const record = Buffer.from((await raw.get(key))!);
    record.writeUInt8(record.readUInt8(record.length - 1) ^ 0xff, record.length - 1);
    await raw.put(key, record);
    await db.close();
    const again = await database(dir);
    await expect(RaftLogStorage.open(again.db)).rejects.toMatchObject({ code: StoreErrorCode.Corrupt });
  });

  it('--force-new-cluster drops uncommitted entries and commits the removal of every other member', async () => {
    const { db, dir } = await database();
    const storage = await RaftLogStorage.open(db, { voters: [1, 2, 3], learners: [] });
    await storage.save({ entries: entries(1, 7, 2), hardState: { term: 2, vote: 1, commit: 5 } }, true);
    const removed = await storage.forceNewCluster(1);
    expect(removed.sort()).toEqual([2, 3]);
    const again = await reopen(db, dir);
    expect(again.lastIndex()).toBe(7);
    expect(again.initialState().hardState.commit).toBe(7);
    const tail = again.entries(6, 8, Number.MAX_SAFE_INTEGER);
    expect(tail.map((e) => e.type)).toEqual(['confChange', 'confChange']);
    expect(tail.map((e) => decodeConfChange(e.data))).toEqual([
      { type: 'removeNode', nodeId: 2 },
      { type: 'removeNode', nodeId: 3 },
    ]);
  });
});
