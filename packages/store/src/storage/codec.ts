import { crc32 } from 'node:zlib';
import type { Entry, EntryType } from '@navarch/raft';
import { StoreError, StoreErrorCode } from '../raftnode/errors.js';

/*
 * On-disk layout of Raft log records. Every record is sealed with a CRC-32 of its body and the
 * body starts with a format byte; records are checked on the way in and again when read back
 * (a torn or bit-flipped record is a typed error, never silently a different entry).
 *
 *   record = crc32(body) u32be | body
 *   entry body = format u8 (1) | type u8 (0 normal, 1 confChange) | term u64be | index u64be | data
 *   json body  = format u8 (2) | utf8 JSON
 */

const ENTRY_FORMAT = 1;
const JSON_FORMAT = 2;
const HEADER_BYTES = 4;
const ENTRY_FIXED_BYTES = 1 + 1 + 8 + 8;

function corrupt(message: string): StoreError {
  return new StoreError(StoreErrorCode.Corrupt, `raft log record is corrupt: ${message}`);
}

function seal(body: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.writeUInt32BE(crc32(body), 0);
  out.set(body, HEADER_BYTES);
  return out;
}

function unseal(record: Uint8Array): Buffer {
  if (record.length < HEADER_BYTES + 1) throw corrupt(`record of ${record.length} bytes is too short`);
  const buffer = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
  const body = buffer.subarray(HEADER_BYTES);
  const expected = buffer.readUInt32BE(0);
  const actual = crc32(body);
  if (expected !== actual) throw corrupt(`checksum mismatch (stored ${expected}, computed ${actual})`);
  return body;
}

function writeUint53(buffer: Buffer, value: number, offset: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw corrupt(`value ${value} is not a safe unsigned integer`);
  buffer.writeUInt32BE(Math.floor(value / 0x1_0000_0000), offset);
  buffer.writeUInt32BE(value % 0x1_0000_0000, offset + 4);
}

function readUint53(buffer: Buffer, offset: number): number {
  const high = buffer.readUInt32BE(offset);
  const low = buffer.readUInt32BE(offset + 4);
  const value = high * 0x1_0000_0000 + low;
  if (!Number.isSafeInteger(value)) throw corrupt(`value at ${offset} exceeds 2^53`);
  return value;
}

/** Encodes one entry as a sealed record (checksum first, then the body). */
export function encodeEntryRecord(entry: Entry): Uint8Array {
  const body = Buffer.allocUnsafe(ENTRY_FIXED_BYTES + entry.data.length);
  body.writeUInt8(ENTRY_FORMAT, 0);
  body.writeUInt8(entry.type === 'confChange' ? 1 : 0, 1);
  writeUint53(body, entry.term, 2);
  writeUint53(body, entry.index, 10);
  body.set(entry.data, ENTRY_FIXED_BYTES);
  return seal(body);
}

/** Decodes a record written by {@link encodeEntryRecord}; throws NAVARCH_ERR_STORE_CORRUPT if it does not check out. */
export function decodeEntryRecord(record: Uint8Array): Entry {
  const body = unseal(record);
  if (body.length < ENTRY_FIXED_BYTES || body.readUInt8(0) !== ENTRY_FORMAT)
    throw corrupt('not an entry record');
  const typeByte = body.readUInt8(1);
  if (typeByte > 1) throw corrupt(`unknown entry type ${typeByte}`);
  const type: EntryType = typeByte === 1 ? 'confChange' : 'normal';
  // Copy the payload out so the entry does not pin LevelDB's read buffer.
  return {
    type,
    term: readUint53(body, 2),
    index: readUint53(body, 10),
    data: Uint8Array.from(body.subarray(ENTRY_FIXED_BYTES)),
  };
}

/** Encodes a small JSON document (hard state, snapshot metadata, identity) as a sealed record. */
export function encodeJsonRecord(value: unknown): Uint8Array {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  const body = Buffer.allocUnsafe(1 + json.length);
  body.writeUInt8(JSON_FORMAT, 0);
  body.set(json, 1);
  return seal(body);
}

/** Decodes a record written by {@link encodeJsonRecord}; the caller validates the shape. */
export function decodeJsonRecord(record: Uint8Array): unknown {
  const body = unseal(record);
  if (body.readUInt8(0) !== JSON_FORMAT) throw corrupt('not a JSON record');
  try {
    return JSON.parse(body.subarray(1).toString('utf8')) as unknown;
  } catch (err) {
    throw corrupt(`bad JSON: ${(err as Error).message}`);
  }
}
