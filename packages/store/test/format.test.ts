import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { newMessage } from '@navarch/raft';
import {
  decodeMvccResult,
  encodeMvccRequest,
  type MvccRequest,
  RaftLogStorage,
  rangeRequest,
  type StoreDatabase,
  StoreErrorCode,
  type StoreMember,
  startStoreMember,
} from '@navarch/store';
import { ClassicLevel } from 'classic-level';
import pino, { type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTrackedDir, trackedTempDir, trackProcess } from '../../../test/helpers/registry.js';
import { encodeLegacyJson } from '../src/mvcc/legacy-json.js';
import { decodeMessage, encodeMessage } from '../src/raftnode/codec.js';
import { encodeRequestEnvelope } from '../src/raftnode/envelope.js';
import {
  DATA_FORMAT_CURRENT,
  DATA_FORMAT_FILE,
  DataFormatError,
  DataFormatErrorCode,
  detectDataFormat,
  readDataFormat,
  recordDataFormat,
} from '../src/storage/data-format.js';
import { freePort, quietLogger } from './raftnode-harness.js';

const NAVARCH_MAIN = join(
  resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..'),
  'packages/navarch/dist/main.js',
);

const dirs: string[] = [];
const members: StoreMember[] = [];
const databases: StoreDatabase[] = [];

function tempDir(): string {
  const dir = trackedTempDir('navarch-format-');
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const member of members.splice(0)) await member.stop();
  for (const db of databases.splice(0)) await db.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) removeTrackedDir(dir);
});

/** A logger that keeps every line it writes, parsed. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { logger, lines };
}

/** Every file under `dir` with a hash of its content: equal before and after means nothing changed. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (path: string, name: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      const relative = name === '' ? entry.name : `${name}/${entry.name}`;
      if (entry.isDirectory()) {
        out[`${relative}/`] = 'dir';
        walk(child, relative);
      } else {
        out[relative] = createHash('sha256').update(readFileSync(child)).digest('hex');
      }
    }
  };
  walk(dir, '');
  return out;
}

function stampOf(dataDir: string): unknown {
  return JSON.parse(readFileSync(join(dataDir, 'member', DATA_FORMAT_FILE), 'utf8'));
}

function writeStamp(dataDir: string, format: number): void {
  writeFileSync(join(dataDir, 'member', DATA_FORMAT_FILE), `${JSON.stringify({ dataFormat: format })}\n`);
}

function put(key: string, value: string): MvccRequest {
  return {
    type: 'put',
    put: {
      key: Buffer.from(key),
      value: Buffer.from(value),
      lease: '0',
      prevKv: false,
      ignoreValue: false,
      ignoreLease: false,
    },
  };
}

/** The member id comes from the peer URLs: a data dir keeps its port across restarts. */
const peerPorts = new Map<string, number>();
async function peerPortOf(dataDir: string): Promise<number> {
  let port = peerPorts.get(dataDir);
  if (port === undefined) {
    port = await freePort();
    peerPorts.set(dataDir, port);
  }
  return port;
}

/** A one-member store with the real etcd application (the MVCC store) on `dataDir`. */
async function startOne(dataDir: string, logger: Logger = quietLogger): Promise<StoreMember> {
  const peerPort = await peerPortOf(dataDir);
  const member = await startStoreMember({
    name: 'a',
    dataDir,
    listenClientUrls: ['http://127.0.0.1:0'],
    listenPeerUrls: [`http://127.0.0.1:${peerPort}`],
    initialAdvertisePeerUrls: [`http://127.0.0.1:${peerPort}`],
    initialCluster: `a=http://127.0.0.1:${peerPort}`,
    heartbeatIntervalMs: 20,
    electionTimeoutMs: 200,
    logger,
  });
  members.push(member);
  await member.ready;
  return member;
}

async function stopOne(member: StoreMember): Promise<void> {
  members.splice(members.indexOf(member), 1);
  await member.stop();
}

/** Reads one key through Raft (a transaction with a range), as every member would apply it. */
async function read(member: StoreMember, key: string): Promise<string | undefined> {
  const request: MvccRequest = {
    type: 'txn',
    txn: {
      compare: [],
      success: [{ type: 'range', range: rangeRequest(Buffer.from(key), Buffer.alloc(0)) }],
      failure: [],
    },
  };
  const result = decodeMvccResult(await member.consensus.propose(encodeMvccRequest(request)));
  const response = result.txn?.responses[0];
  if (response?.type !== 'range') throw new Error('expected a range response');
  return response.range.kvs[0]?.value.toString('utf8');
}

async function openDatabase(path: string): Promise<StoreDatabase> {
  const db = new ClassicLevel<string, Uint8Array>(path, { valueEncoding: 'view' });
  await db.open();
  databases.push(db);
  return db;
}

describe('data format stamp (unit)', () => {
  it('records the current format in a new dir, atomically, and reads it back', async () => {
    const memberDir = join(tempDir(), 'member');
    mkdirSync(memberDir);
    const stamp = await readDataFormat(memberDir);
    expect(stamp.format).toBeUndefined();
    const { logger, lines } = capturingLogger();
    expect(await recordDataFormat(stamp, undefined, logger)).toBe(DATA_FORMAT_CURRENT);
    expect(readdirSync(memberDir)).toEqual([DATA_FORMAT_FILE]); // no temporary file left behind
    expect((await readDataFormat(memberDir)).format).toBe(DATA_FORMAT_CURRENT);
    expect(lines.map((line) => line.msg)).toEqual(['new data dir: data format recorded']);
  });

  it('refuses a format newer than it reads, naming both formats and the file', async () => {
    const memberDir = join(tempDir(), 'member');
    mkdirSync(memberDir);
    writeFileSync(join(memberDir, DATA_FORMAT_FILE), '{"dataFormat": 7}');
    const error = await readDataFormat(memberDir).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DataFormatError);
    const formatError = error as DataFormatError;
    expect(formatError.code).toBe(DataFormatErrorCode.TooNew);
    expect(formatError.found).toBe(7);
    expect(formatError.path).toBe(join(memberDir, DATA_FORMAT_FILE));
    expect(formatError.message).toContain('data format 7');
    expect(formatError.message).toContain(`data formats 1 to ${DATA_FORMAT_CURRENT}`);
    expect(formatError.message).toContain(join(memberDir, DATA_FORMAT_FILE));
  });

  it('refuses a format older than it still reads (a future binary that dropped format 1)', async () => {
    const memberDir = join(tempDir(), 'member');
    mkdirSync(memberDir);
    writeFileSync(join(memberDir, DATA_FORMAT_FILE), '{"dataFormat": 1}');
    const error = await readDataFormat(memberDir, { oldestReadable: 2, current: 3 }).catch(
      (err: unknown) => err,
    );
    expect((error as DataFormatError).code).toBe(DataFormatErrorCode.TooOld);
    expect((error as DataFormatError).message).toContain('data formats 2 to 3');
  });

  it.each([
    ['not JSON', 'dataFormat=2'],
    ['no number', '{"dataFormat": "2"}'],
    ['zero', '{"dataFormat": 0}'],
    ['a fraction', '{"dataFormat": 1.5}'],
    ['empty', ''],
  ])('refuses a stamp that is %s', async (_what, content) => {
    const memberDir = join(tempDir(), 'member');
    mkdirSync(memberDir);
    writeFileSync(join(memberDir, DATA_FORMAT_FILE), content);
    const error = await readDataFormat(memberDir).catch((err: unknown) => err);
    expect((error as DataFormatError).code).toBe(DataFormatErrorCode.Unreadable);
  });

  it('raises an older stamp to the current format and says so', async () => {
    const memberDir = join(tempDir(), 'member');
    mkdirSync(memberDir);
    writeFileSync(join(memberDir, DATA_FORMAT_FILE), '{"dataFormat": 1}');
    const { logger, lines } = capturingLogger();
    await recordDataFormat(await readDataFormat(memberDir), undefined, logger);
    expect((await readDataFormat(memberDir)).format).toBe(DATA_FORMAT_CURRENT);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ previousDataFormat: 1, dataFormat: DATA_FORMAT_CURRENT });
  });

  it('works out the format of an unstamped log from the encoding of its MVCC requests', async () => {
    const db = await openDatabase(tempDir());
    const storage = await RaftLogStorage.open(db, { voters: [1], learners: [] });
    expect(await detectDataFormat(db)).toEqual({ format: 1, binaryRequests: 0, jsonRequests: 0 });
    const entry = (index: number, request: Uint8Array) => ({
      index,
      term: 1,
      type: 'normal' as const,
      data: encodeRequestEnvelope(1, index, request),
    });
    await storage.save(
      {
        entries: [
          { index: 1, term: 1, type: 'normal', data: new Uint8Array(0) },
          entry(2, encodeLegacyJson(put('k', 'v'))),
        ],
      },
      true,
    );
    expect(await detectDataFormat(db)).toEqual({ format: 1, binaryRequests: 0, jsonRequests: 1 });
    await storage.save({ entries: [entry(3, encodeMvccRequest(put('k', 'w')))] }, true);
    expect(await detectDataFormat(db)).toEqual({ format: 2, binaryRequests: 1, jsonRequests: 1 });
  });

  it('refuses an unstamped dir whose contents are older than it still reads, writing nothing', async () => {
    const memberDir = join(tempDir(), 'member');
    mkdirSync(memberDir);
    const db = await openDatabase(join(memberDir, 'db'));
    const storage = await RaftLogStorage.open(db, { voters: [1], learners: [] });
    const json = encodeRequestEnvelope(1, 1, encodeLegacyJson(put('k', 'v')));
    await storage.save({ entries: [{ index: 1, term: 1, type: 'normal', data: json }] }, true);
    const stamp = await readDataFormat(memberDir, { oldestReadable: 2, current: 3 });
    const error = await recordDataFormat(stamp, db, quietLogger).catch((err: unknown) => err);
    expect((error as DataFormatError).code).toBe(DataFormatErrorCode.TooOld);
    expect((error as DataFormatError).found).toBe(1);
    expect(existsSync(join(memberDir, DATA_FORMAT_FILE))).toBe(false);
  });

  it('does not stamp an unstamped dir whose log it cannot read', async () => {
    const dataDir = tempDir();
    const memberDir = join(dataDir, 'member');
    mkdirSync(memberDir);
    const db = await openDatabase(join(memberDir, 'db'));
    await db.put('!raft!e:00000000000001', Buffer.from('not a sealed record'));
    const error = await recordDataFormat(await readDataFormat(memberDir), db, quietLogger).catch(
      (err: unknown) => err,
    );
    expect((error as { code?: string }).code).toBe(StoreErrorCode.Corrupt);
    expect(existsSync(join(memberDir, DATA_FORMAT_FILE))).toBe(false);
  });
});

describe('raft message format between members', () => {
  it('names both formats when a peer sends a message format this member does not read', () => {
    const bytes = Buffer.from(encodeMessage(newMessage({ type: 'MsgHeartbeat', from: 1, to: 2, term: 3 })));
    expect(decodeMessage(bytes)).toMatchObject({ type: 'MsgHeartbeat', from: 1, to: 2, term: 3 });
    bytes[0] = 2; // the format byte of a future release
    let error: unknown;
    try {
      decodeMessage(bytes);
    } catch (err) {
      error = err;
    }
    expect((error as { code?: string }).code).toBe(StoreErrorCode.Corrupt);
    expect((error as Error).message).toContain('message format 2, but this member reads format 1');
  });
});

describe('data format gate on a store member', () => {
  it('stamps a new data dir, and a reopened one keeps its data and its stamp', async () => {
    const dataDir = join(tempDir(), 'a.etcd');
    const { logger, lines } = capturingLogger();
    let member = await startOne(dataDir, logger);
    expect(stampOf(dataDir)).toEqual({ dataFormat: DATA_FORMAT_CURRENT });
    expect(lines.some((line) => line.msg === 'new data dir: data format recorded')).toBe(true);
    await member.consensus.propose(encodeMvccRequest(put('/k', 'v1')));
    await stopOne(member);

    const again = capturingLogger();
    member = await startOne(dataDir, again.logger);
    expect(await read(member, '/k')).toBe('v1');
    expect(stampOf(dataDir)).toEqual({ dataFormat: DATA_FORMAT_CURRENT });
    expect(again.lines.some((line) => line.dataFormat !== undefined)).toBe(false); // nothing to record
  });

  it('refuses a data dir stamped by a newer release and changes nothing on disk', async () => {
    const dataDir = join(tempDir(), 'a.etcd');
    const member = await startOne(dataDir);
    await member.consensus.propose(encodeMvccRequest(put('/k', 'v1')));
    await stopOne(member);
    writeStamp(dataDir, DATA_FORMAT_CURRENT + 1);
    const before = fingerprint(dataDir);

    const error = await startOne(dataDir).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DataFormatError);
    expect((error as DataFormatError).code).toBe(DataFormatErrorCode.TooNew);
    expect((error as DataFormatError).message).toContain(dataDir);
    expect(fingerprint(dataDir)).toEqual(before);
  });

  it('opens a data dir written before the gate (binary requests), stamps it and logs it', async () => {
    const dataDir = join(tempDir(), 'a.etcd');
    let member = await startOne(dataDir);
    await member.consensus.propose(encodeMvccRequest(put('/k', 'binary')));
    await stopOne(member);
    // What this code wrote before the gate existed: the same data dir, without the stamp.
    rmSync(join(dataDir, 'member', DATA_FORMAT_FILE));

    const { logger, lines } = capturingLogger();
    member = await startOne(dataDir, logger);
    expect(await read(member, '/k')).toBe('binary');
    expect(stampOf(dataDir)).toEqual({ dataFormat: DATA_FORMAT_CURRENT });
    const recorded = lines.find((line) => line.detectedDataFormat !== undefined);
    expect(recorded).toMatchObject({ level: 40, detectedDataFormat: 2, dataFormat: DATA_FORMAT_CURRENT });
  });

  it('opens a format-1 data dir (JSON requests, before the binary codec), stamps it and logs it', async () => {
    const dataDir = join(tempDir(), 'a.etcd');
    let member = await startOne(dataDir);
    // A format-1 binary proposed its requests as JSON; this member still applies them.
    await member.consensus.propose(encodeLegacyJson(put('/k', 'json')));
    await stopOne(member);
    rmSync(join(dataDir, 'member', DATA_FORMAT_FILE));

    const { logger, lines } = capturingLogger();
    member = await startOne(dataDir, logger);
    expect(await read(member, '/k')).toBe('json');
    expect(stampOf(dataDir)).toEqual({ dataFormat: DATA_FORMAT_CURRENT });
    expect(lines.find((line) => line.detectedDataFormat !== undefined)).toMatchObject({
      detectedDataFormat: 1,
      jsonRequests: 1,
      binaryRequests: 0,
    });
  });
});

describe('data format gate through the navarch binary', () => {
  it('`navarch store` on a data dir stamped too new exits non-zero with the error on stderr, changing nothing', async () => {
    expect(existsSync(NAVARCH_MAIN)).toBe(true);
    const dataDir = join(tempDir(), 'a.etcd');
    const member = await startOne(dataDir);
    await member.consensus.propose(encodeMvccRequest(put('/k', 'v1')));
    await stopOne(member);
    writeStamp(dataDir, DATA_FORMAT_CURRENT + 1);
    const before = fingerprint(dataDir);

    const peerPort = await peerPortOf(dataDir);
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const child = spawn(
      process.execPath,
      [
        NAVARCH_MAIN,
        'store',
        '--name',
        'a',
        '--data-dir',
        dataDir,
        '--listen-client-urls',
        'http://127.0.0.1:0',
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        `a=${peerUrl}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    trackProcess(child, 'navarch store a');
    try {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      child.stdout.resume();
      // Either it exits, or it starts serving (the gate failed): never wait on a clock.
      const outcome = await new Promise<{ code: number | null } | 'started'>((resolveOutcome) => {
        child.once('exit', (code) => resolveOutcome({ code }));
        child.stderr.on('data', () => {
          if (stderr.includes('store member started')) resolveOutcome('started');
        });
      });
      expect(outcome).not.toBe('started');
      expect((outcome as { code: number | null }).code).not.toBe(0);
      expect(stderr).toContain(DataFormatErrorCode.TooNew);
      expect(stderr).toContain(`data format ${DATA_FORMAT_CURRENT + 1}`);
      expect(stderr).toContain(join(dataDir, 'member', DATA_FORMAT_FILE));
      expect(fingerprint(dataDir)).toEqual(before);
    } finally {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
        process.kill(child.pid, 'SIGKILL');
    }
  });
});
