import type { Entry, Message, MessageType, Snapshot } from '@navarch/raft';
import { StoreError, StoreErrorCode } from './errors.js';

/*
 * Wire encoding of Raft messages between store members (carried as opaque bytes by
 * proto/peer/raft.proto). Binary and versioned: a format byte first, then fixed fields, then
 * entries and the optional snapshot and context. Ids, terms and indexes are safe integers written
 * as two big-endian u32 halves.
 *
 *   message  = format u8 (1) | type u8 | flags u8 (1 reject, 2 snapshot, 4 context)
 *              | from | to | term | logTerm | index | commit | rejectHint     (u64 each)
 *              | entryCount u32 | entry*  | [snapshot] | [context: len u32 | bytes]
 *   entry    = term u64 | index u64 | type u8 | len u32 | data
 *   snapshot = index u64 | term u64 | voters: n u32 | u64* | learners: n u32 | u64* | len u32 | data
 */

const FORMAT = 1;
const TYPE_CODES: Record<MessageType, number> = {
  MsgHup: 1,
  MsgBeat: 2,
  MsgProp: 3,
  MsgApp: 4,
  MsgAppResp: 5,
  MsgVote: 6,
  MsgVoteResp: 7,
  MsgPreVote: 8,
  MsgPreVoteResp: 9,
  MsgSnap: 10,
  MsgHeartbeat: 11,
  MsgHeartbeatResp: 12,
  MsgUnreachable: 13,
  MsgSnapStatus: 14,
  MsgCheckQuorum: 15,
  MsgTransferLeader: 16,
  MsgTimeoutNow: 17,
  MsgReadIndex: 18,
  MsgReadIndexResp: 19,
};
const CODE_TYPES = new Map<number, MessageType>(
  Object.entries(TYPE_CODES).map(([type, code]) => [code, type as MessageType]),
);
const FLAG_REJECT = 1;
const FLAG_SNAPSHOT = 2;
const FLAG_CONTEXT = 4;

function bad(message: string): StoreError {
  return new StoreError(StoreErrorCode.Corrupt, `bad raft message on the wire: ${message}`);
}

class Writer {
  private buffer: Buffer;
  private offset = 0;
  constructor(sizeHint: number) {
    this.buffer = Buffer.allocUnsafe(sizeHint);
  }
  private ensure(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(next, 0, 0, this.offset);
    this.buffer = next;
  }
  u8(value: number): void {
    this.ensure(1);
    this.buffer.writeUInt8(value, this.offset);
    this.offset += 1;
  }
  u32(value: number): void {
    this.ensure(4);
    this.buffer.writeUInt32BE(value, this.offset);
    this.offset += 4;
  }
  u64(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0)
      throw bad(`field value ${value} is not a safe unsigned integer`);
    this.ensure(8);
    this.buffer.writeUInt32BE(Math.floor(value / 0x1_0000_0000), this.offset);
    this.buffer.writeUInt32BE(value % 0x1_0000_0000, this.offset + 4);
    this.offset += 8;
  }
  bytes(value: Uint8Array): void {
    this.u32(value.byteLength);
    this.ensure(value.byteLength);
    this.buffer.set(value, this.offset);
    this.offset += value.byteLength;
  }
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.offset);
  }
}

class Reader {
  private offset = 0;
  private readonly buffer: Buffer;
  constructor(data: Uint8Array) {
    this.buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
  private need(bytes: number): void {
    if (this.offset + bytes > this.buffer.length) throw bad('truncated');
  }
  u8(): number {
    this.need(1);
    const value = this.buffer.readUInt8(this.offset);
    this.offset += 1;
    return value;
  }
  u32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  u64(): number {
    this.need(8);
    const value =
      this.buffer.readUInt32BE(this.offset) * 0x1_0000_0000 + this.buffer.readUInt32BE(this.offset + 4);
    this.offset += 8;
    if (!Number.isSafeInteger(value)) throw bad('integer beyond 2^53');
    return value;
  }
  bytes(): Uint8Array {
    const length = this.u32();
    this.need(length);
    // Copy: the receive buffer is reused by gRPC and entries outlive it in the Raft log.
    const value = Uint8Array.prototype.slice.call(this.buffer, this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  done(): void {
    if (this.offset !== this.buffer.length) throw bad(`${this.buffer.length - this.offset} trailing bytes`);
  }
}

/** Approximate encoded size of a message without its snapshot data, for batching decisions. */
export function messageSizeBytes(message: Message): number {
  let size = 64;
  for (const entry of message.entries) size += 21 + entry.data.byteLength;
  if (message.context) size += 4 + message.context.byteLength;
  return size;
}

/** Encodes a Raft message for the peer transport. `withoutSnapshotData` leaves the snapshot's data out (streamed apart). */
export function encodeMessage(message: Message, withoutSnapshotData = false): Uint8Array {
  const writer = new Writer(messageSizeBytes(message) + (message.snapshot ? 64 : 0));
  writer.u8(FORMAT);
  writer.u8(TYPE_CODES[message.type]);
  writer.u8(
    (message.reject ? FLAG_REJECT : 0) |
      (message.snapshot ? FLAG_SNAPSHOT : 0) |
      (message.context !== undefined ? FLAG_CONTEXT : 0),
  );
  writer.u64(message.from);
  writer.u64(message.to);
  writer.u64(message.term);
  writer.u64(message.logTerm);
  writer.u64(message.index);
  writer.u64(message.commit);
  writer.u64(message.rejectHint);
  writer.u32(message.entries.length);
  for (const entry of message.entries) {
    writer.u64(entry.term);
    writer.u64(entry.index);
    writer.u8(entry.type === 'confChange' ? 1 : 0);
    writer.bytes(entry.data);
  }
  if (message.snapshot) {
    const { metadata } = message.snapshot;
    writer.u64(metadata.index);
    writer.u64(metadata.term);
    writer.u32(metadata.confState.voters.length);
    for (const id of metadata.confState.voters) writer.u64(id);
    writer.u32(metadata.confState.learners.length);
    for (const id of metadata.confState.learners) writer.u64(id);
    writer.bytes(withoutSnapshotData ? new Uint8Array(0) : message.snapshot.data);
  }
  if (message.context !== undefined) writer.bytes(message.context);
  return writer.finish();
}

/** Decodes bytes from {@link encodeMessage}; throws NAVARCH_ERR_STORE_CORRUPT on anything malformed. */
export function decodeMessage(data: Uint8Array): Message {
  const reader = new Reader(data);
  const format = reader.u8();
  // A peer of another release: say so, rather than leave a bare decode error in the logs.
  if (format !== FORMAT)
    throw bad(
      `message format ${format}, but this member reads format ${FORMAT} (is the sender another release? upgrade every member together)`,
    );
  const typeCode = reader.u8();
  const type = CODE_TYPES.get(typeCode);
  if (type === undefined) throw bad(`unknown message type ${typeCode}`);
  const flags = reader.u8();
  const message: Message = {
    type,
    reject: (flags & FLAG_REJECT) !== 0,
    from: reader.u64(),
    to: reader.u64(),
    term: reader.u64(),
    logTerm: reader.u64(),
    index: reader.u64(),
    commit: reader.u64(),
    rejectHint: reader.u64(),
    entries: [],
  };
  const entryCount = reader.u32();
  const entries: Entry[] = [];
  for (let i = 0; i < entryCount; i++) {
    const term = reader.u64();
    const index = reader.u64();
    const typeByte = reader.u8();
    if (typeByte > 1) throw bad(`unknown entry type ${typeByte}`);
    entries.push({ term, index, type: typeByte === 1 ? 'confChange' : 'normal', data: reader.bytes() });
  }
  message.entries = entries;
  if ((flags & FLAG_SNAPSHOT) !== 0) {
    const index = reader.u64();
    const term = reader.u64();
    const voters: number[] = [];
    for (let n = reader.u32(); n > 0; n--) voters.push(reader.u64());
    const learners: number[] = [];
    for (let n = reader.u32(); n > 0; n--) learners.push(reader.u64());
    const snapshot: Snapshot = {
      metadata: { index, term, confState: { voters, learners } },
      data: reader.bytes(),
    };
    message.snapshot = snapshot;
  }
  if ((flags & FLAG_CONTEXT) !== 0) message.context = reader.bytes();
  reader.done();
  return message;
}
