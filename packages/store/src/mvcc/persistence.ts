/**
 * How the MVCC store reaches disk: the LevelDB keyspace it needs, the background writer that
 * batches applied changes (one write in flight at a time; everything applied meanwhile goes in the
 * next one, together with the applied index), the snapshot encoding, and the backup file format.
 */
import { createHash } from 'node:crypto';
import type { StateMachineSnapshot } from '../consensus.js';
import { decodeRecord, encodeRecord, type RevisionRecord } from './codec.js';
import type { AlarmMember } from './types.js';

/** One write of a LevelDB batch. */
export type MvccBatchOperation = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/**
 * The part of a LevelDB database the store needs (a classic-level sublevel opened with
 * `keyEncoding: 'buffer', valueEncoding: 'buffer'` fits). The store owns every key in it.
 */
export interface MvccDatabase {
  batch(operations: MvccBatchOperation[], options?: { sync?: boolean }): Promise<void>;
  iterator(options?: { keys?: boolean; values?: boolean }): AsyncIterable<[Buffer, Buffer]>;
  clear(): Promise<void>;
}

/**
 * Writes applied changes in the background, in order, in large batches. Durability does not depend
 * on these writes (the Raft log holds every applied entry until {@link flush}), so small batches are
 * held back until `batchOperations` accumulate: the member's LevelDB then spends its writes on the
 * Raft log's synced batches, which clients wait for.
 */
export class WriteBehind {
  private pending: MvccBatchOperation[] = [];
  private inFlight: Promise<void> | null = null;
  private failure: unknown = null;

  /** `meta` gives the operations that record the applied index; they join every batch. */
  constructor(
    private readonly db: MvccDatabase,
    private readonly meta: () => MvccBatchOperation[],
    private readonly batchOperations = 1024,
  ) {}

  /** Queues one operation for the next batch. */
  push(operation: MvccBatchOperation): void {
    this.pending.push(operation);
  }

  private take(): MvccBatchOperation[] {
    const operations = this.pending;
    this.pending = [];
    operations.push(...this.meta());
    return operations;
  }

  private track(write: Promise<void>): void {
    this.inFlight = write.then(
      () => {
        this.inFlight = null;
        this.kick();
      },
      (error: unknown) => {
        this.inFlight = null;
        this.failure = error;
      },
    );
  }

  /**
   * Starts an unsynced write of the queued operations once there are enough of them, unless one is
   * in flight (which picks them up when done).
   */
  kick(): void {
    if (this.inFlight !== null || this.failure !== null || this.pending.length < this.batchOperations) return;
    this.track(this.db.batch(this.take(), { sync: false }));
  }

  /** Waits for the write in flight; throws if a write failed (the store is then unusable). */
  async idle(): Promise<void> {
    while (this.inFlight !== null) await this.inFlight;
    if (this.failure !== null) throw this.failure;
  }

  /** Writes everything queued in one synced batch (which also makes earlier unsynced writes durable). */
  async flush(): Promise<void> {
    await this.idle();
    const write = this.db.batch(this.take(), { sync: true });
    this.track(write);
    await write;
  }

  /** Drops the queued operations (before a restore replaces everything). */
  discard(): void {
    this.pending = [];
  }
}

/** The non-record part of a snapshot. */
export interface SnapshotMeta {
  format: 1;
  applied: number;
  revision: number;
  compacted: number;
  alarms: AlarmMember[];
  leases: Array<{ id: string; ttlSeconds: number }>;
}

/** Snapshot layout: length-prefixed (4 bytes BE) JSON meta, then length-prefixed records. */
export function encodeSnapshot(meta: SnapshotMeta, records: Iterable<RevisionRecord>): Buffer {
  const parts: Buffer[] = [];
  const push = (bytes: Buffer) => {
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  push(Buffer.from(JSON.stringify(meta), 'utf8'));
  for (const record of records) push(encodeRecord(record));
  return Buffer.concat(parts);
}

/** Inverse of {@link encodeSnapshot}; throws on a truncated or unknown snapshot. */
export function decodeSnapshot(bytes: Uint8Array): { meta: SnapshotMeta; records: RevisionRecord[] } {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const next = (): Buffer => {
    if (offset + 4 > data.length) throw new Error('mvcc: truncated snapshot');
    const length = data.readUInt32BE(offset);
    if (offset + 4 + length > data.length) throw new Error('mvcc: truncated snapshot');
    const out = data.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
    return out;
  };
  const meta = JSON.parse(next().toString('utf8')) as SnapshotMeta;
  if (meta.format !== 1) throw new Error(`mvcc: unknown snapshot format ${String(meta.format)}`);
  const records: RevisionRecord[] = [];
  while (offset < data.length) records.push(decodeRecord(Buffer.from(next())));
  return { meta, records };
}

const BACKUP_MAGIC = Buffer.from('NAVMVCC1', 'latin1');
/** etcdctl accepts a snapshot whose size minus its 32-byte SHA-256 is a multiple of 512 (a bbolt file's page alignment). */
const BACKUP_ALIGNMENT_BYTES = 512;
const SHA256_BYTES = 32;

/**
 * Backup layout: "NAVMVCC1", snapshot length (8 bytes BE), the snapshot, zero padding to a multiple
 * of 512 bytes, then the SHA-256 of everything before it (the trailer etcd appends and etcdctl checks).
 */
export function encodeBackup(data: Uint8Array): Buffer {
  const header = Buffer.alloc(16);
  BACKUP_MAGIC.copy(header, 0);
  header.writeBigUInt64BE(BigInt(data.byteLength), 8);
  const unpadded = header.length + data.byteLength;
  const padding = Buffer.alloc(
    (BACKUP_ALIGNMENT_BYTES - (unpadded % BACKUP_ALIGNMENT_BYTES)) % BACKUP_ALIGNMENT_BYTES,
  );
  const body = Buffer.concat([header, data, padding]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

/** Checks a backup made by MvccStore.backup (magic, checksum) and returns the snapshot inside. */
export function readBackup(backup: Uint8Array): StateMachineSnapshot {
  const buffer = Buffer.from(backup.buffer, backup.byteOffset, backup.byteLength);
  if (buffer.length < 16 + SHA256_BYTES || !buffer.subarray(0, 8).equals(BACKUP_MAGIC)) {
    throw new Error('not a Navarch store backup (bad magic)');
  }
  const body = buffer.subarray(0, buffer.length - SHA256_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(buffer.subarray(buffer.length - SHA256_BYTES))) {
    throw new Error('Navarch store backup is corrupt (SHA-256 mismatch)');
  }
  const length = Number(buffer.readBigUInt64BE(8));
  if (16 + length > body.length) throw new Error('Navarch store backup is truncated');
  const data = Buffer.from(buffer.subarray(16, 16 + length));
  const metaLength = data.readUInt32BE(0);
  const meta = JSON.parse(data.toString('utf8', 4, 4 + metaLength)) as { applied: number };
  return { index: meta.applied, data };
}
