import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTrackedDir, trackedTempDir } from '../../../test/helpers/registry.js';
import { directBatch, type PrefixedSublevel } from '../src/storage/direct-batch.js';

const dirs: string[] = [];
const databases: ClassicLevel<string, Uint8Array>[] = [];

async function database(): Promise<ClassicLevel<string, Uint8Array>> {
  const dir = trackedTempDir('navarch-direct-batch-');
  dirs.push(dir);
  const db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
  await db.open();
  databases.push(db);
  return db;
}

afterEach(async () => {
  for (const db of databases.splice(0)) await db.close();
  for (const dir of dirs.splice(0)) removeTrackedDir(dir);
});

describe('directBatch', () => {
  it('writes what the sublevel reads back, for string and byte keys, puts and deletes', async () => {
    const db = await database();
    const raft = db.sublevel<string, Uint8Array>('raft', { valueEncoding: 'view' });
    const mvcc = db.sublevel<Buffer, Buffer>('mvcc', { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const writeRaft = directBatch<string>(raft);
    const writeMvcc = directBatch<Buffer>(mvcc);
    await writeRaft(
      [
        { type: 'put', key: 'e:1', value: Buffer.from('one') },
        { type: 'put', key: 'e:2', value: new Uint8Array([1, 2, 3]) },
        { type: 'put', key: 'hardstate', value: Buffer.from('hs') },
      ],
      { sync: true },
    );
    await writeMvcc(
      [
        { type: 'put', key: Buffer.from([0x72, 0x00, 0xff]), value: Buffer.from('rev') },
        { type: 'put', key: Buffer.from([0x6b]), value: Buffer.from('index') },
      ],
      { sync: false },
    );
    await writeRaft([{ type: 'del', key: 'e:1' }], { sync: false });

    expect(await raft.keys().all()).toEqual(['e:2', 'hardstate']);
    expect([...((await raft.get('e:2')) ?? [])]).toEqual([1, 2, 3]);
    const mvccEntries = await mvcc.iterator().all();
    expect(mvccEntries.map(([key, value]) => [key.toString('hex'), value.toString()])).toEqual([
      ['6b', 'index'],
      ['7200ff', 'rev'],
    ]);
    // Nothing leaked outside the two sublevels' prefixes.
    const rootKeys = await db.keys<Buffer>({ keyEncoding: 'buffer' }).all();
    const hex = (text: string, tail = '') => Buffer.from(text).toString('hex') + tail;
    expect(rootKeys.map((key) => key.toString('hex'))).toEqual([
      hex('!mvcc!k'),
      hex('!mvcc!', '7200ff'),
      hex('!raft!e:2'),
      hex('!raft!hardstate'),
    ]);
  });

  it('raises abstract-level’s own error when the database is not open, and writes nothing', async () => {
    const db = await database();
    const raft = db.sublevel<string, Uint8Array>('raft', { valueEncoding: 'view' });
    const write = directBatch<string>(raft);
    await db.close();
    await expect(
      write([{ type: 'put', key: 'k', value: Buffer.from('v') }], { sync: true }),
    ).rejects.toMatchObject({
      code: 'LEVEL_DATABASE_NOT_OPEN',
    });
    await db.open();
    expect(await db.keys().all()).toEqual([]);
  });

  it('falls back to the sublevel’s batch for a database without the native method', async () => {
    const seen: unknown[] = [];
    const sublevel: PrefixedSublevel<string> = {
      prefix: '!x!',
      db: {},
      batch: async (operations, options) => {
        seen.push({ operations, options });
      },
    };
    await directBatch<string>(sublevel)([{ type: 'put', key: 'a', value: Buffer.from('b') }], { sync: true });
    expect(seen).toEqual([
      { operations: [{ type: 'put', key: 'a', value: Buffer.from('b') }], options: { sync: true } },
    ]);
  });
});
