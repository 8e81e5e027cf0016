/**
 * Encodings of the MVCC store: the records kept in LevelDB and in snapshots (binary). The requests
 * proposed through Raft and their results are encoded by request-codec.ts.
 */
// The request and result codecs moved to request-codec.ts; these names stay for existing importers.
export { decodeRequest, decodeResult, encodeRequest, encodeResult } from './request-codec.js';

/**
 * One revision of one key as stored: etcd's key bucket entry. `tombstone` marks a delete
 * (then createRevision and version are 0 and value is empty).
 */
export interface RevisionRecord {
  key: Buffer;
  modRevision: number;
  sub: number;
  createRevision: number;
  version: number;
  value: Buffer;
  lease: string;
  tombstone: boolean;
}

const RECORD_HEADER_BYTES = 1 + 8 + 8 + 8 + 8 + 2 + 4;

/** LevelDB key of a revision record: 'r' + main revision (8 bytes BE) + sub revision (8 bytes BE), so keys sort by revision. */
export function revisionKey(modRevision: number, sub: number): Buffer {
  const out = Buffer.allocUnsafe(17);
  out[0] = 0x72;
  out.writeBigUInt64BE(BigInt(modRevision), 1);
  out.writeBigUInt64BE(BigInt(sub), 9);
  return out;
}

/** Binary form of a record: flags, revisions, version, lease, key length, key, value. */
export function encodeRecord(record: RevisionRecord): Buffer {
  const lease = Buffer.from(record.lease, 'latin1');
  const out = Buffer.allocUnsafe(
    RECORD_HEADER_BYTES + lease.length + record.key.length + record.value.length,
  );
  let offset = 0;
  out[offset] = record.tombstone ? 1 : 0;
  offset += 1;
  out.writeBigUInt64BE(BigInt(record.modRevision), offset);
  offset += 8;
  out.writeBigUInt64BE(BigInt(record.sub), offset);
  offset += 8;
  out.writeBigUInt64BE(BigInt(record.createRevision), offset);
  offset += 8;
  out.writeBigUInt64BE(BigInt(record.version), offset);
  offset += 8;
  out.writeUInt16BE(lease.length, offset);
  offset += 2;
  out.writeUInt32BE(record.key.length, offset);
  offset += 4;
  lease.copy(out, offset);
  offset += lease.length;
  record.key.copy(out, offset);
  offset += record.key.length;
  record.value.copy(out, offset);
  return out;
}

/** Inverse of {@link encodeRecord}; throws on a truncated record. */
export function decodeRecord(bytes: Uint8Array): RevisionRecord {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < RECORD_HEADER_BYTES) throw new Error('mvcc: truncated revision record');
  let offset = 0;
  const tombstone = buf[offset] === 1;
  offset += 1;
  const modRevision = Number(buf.readBigUInt64BE(offset));
  offset += 8;
  const sub = Number(buf.readBigUInt64BE(offset));
  offset += 8;
  const createRevision = Number(buf.readBigUInt64BE(offset));
  offset += 8;
  const version = Number(buf.readBigUInt64BE(offset));
  offset += 8;
  const leaseLength = buf.readUInt16BE(offset);
  offset += 2;
  const keyLength = buf.readUInt32BE(offset);
  offset += 4;
  if (buf.length < offset + leaseLength + keyLength) throw new Error('mvcc: truncated revision record');
  const lease = buf.toString('latin1', offset, offset + leaseLength);
  offset += leaseLength;
  const key = Buffer.from(buf.subarray(offset, offset + keyLength));
  offset += keyLength;
  const value = Buffer.from(buf.subarray(offset));
  return { key, modRevision, sub, createRevision, version, value, lease, tombstone };
}

/** Size a record takes on disk (its encoding plus its key), used for the quota and `dbSize`. */
export function recordSizeBytes(record: RevisionRecord): number {
  return RECORD_HEADER_BYTES + 17 + record.lease.length + record.key.length + record.value.length;
}
