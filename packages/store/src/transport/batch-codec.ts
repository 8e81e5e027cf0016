/**
 * Hand-written protobuf codec of navarch.peer.v1.MessageBatch (proto/peer/raft.proto), the message
 * every Raft batch between members travels in:
 *
 *   uint64 cluster_id = 1; uint64 from = 2; uint64 to = 3; repeated bytes messages = 4;
 *
 * The generic codec (protobufjs through proto-loader) builds and converts a plain object per batch
 * on both sides; this one writes the bytes directly, with the gRPC message prefix (compressed flag
 * and length) in front so a sender writes one buffer, and decodes `messages` as views of the
 * received bytes (the Raft message decoder copies what it keeps). Ids are below 2^53.
 */
import type { MessageBatch } from './peer-proto.js';

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const WIRE_FIXED64 = 1;
const WIRE_FIXED32 = 5;

/** Size of the gRPC length prefix written before each message. */
export const GRPC_PREFIX_BYTES = 5;

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size += 1;
  }
  return size;
}

function writeVarint(out: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[offset++] = value;
  return offset;
}

function checkId(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`MessageBatch.${name} ${value} is not a safe uint64`);
}

/** Encodes `batch` as one gRPC message: 5-byte prefix (uncompressed, length) then the protobuf bytes. */
export function encodeFramedMessageBatch(batch: MessageBatch): Buffer {
  checkId('cluster_id', batch.cluster_id);
  checkId('from', batch.from);
  checkId('to', batch.to);
  let size = 0;
  // proto3: zero-valued scalars are not written.
  if (batch.cluster_id !== 0) size += 1 + varintSize(batch.cluster_id);
  if (batch.from !== 0) size += 1 + varintSize(batch.from);
  if (batch.to !== 0) size += 1 + varintSize(batch.to);
  for (const message of batch.messages) size += 1 + varintSize(message.byteLength) + message.byteLength;
  const out = Buffer.allocUnsafe(GRPC_PREFIX_BYTES + size);
  out[0] = 0;
  out.writeUInt32BE(size, 1);
  let offset = GRPC_PREFIX_BYTES;
  if (batch.cluster_id !== 0) {
    out[offset++] = (1 << 3) | WIRE_VARINT;
    offset = writeVarint(out, offset, batch.cluster_id);
  }
  if (batch.from !== 0) {
    out[offset++] = (2 << 3) | WIRE_VARINT;
    offset = writeVarint(out, offset, batch.from);
  }
  if (batch.to !== 0) {
    out[offset++] = (3 << 3) | WIRE_VARINT;
    offset = writeVarint(out, offset, batch.to);
  }
  for (const message of batch.messages) {
    out[offset++] = (4 << 3) | WIRE_BYTES;
    offset = writeVarint(out, offset, message.byteLength);
    out.set(message, offset);
    offset += message.byteLength;
  }
  return out;
}

/** The protobuf bytes of `batch` without the gRPC prefix (what a generic gRPC serializer returns). */
export function encodeMessageBatch(batch: MessageBatch): Buffer {
  return encodeFramedMessageBatch(batch).subarray(GRPC_PREFIX_BYTES);
}

/**
 * Read position of the decoder below. Module state instead of closures per call: a follower
 * decodes every batch it receives, and two closures per batch showed in its profile. Safe because
 * decoding is synchronous and never re-entered.
 */
let position = 0;

function readVarint(buffer: Uint8Array): number {
  let value = 0;
  let factor = 1;
  for (;;) {
    if (position >= buffer.length) throw new Error('MessageBatch: truncated varint');
    const byte = buffer[position++] as number;
    value += (byte & 0x7f) * factor;
    if (byte < 0x80) return value;
    factor *= 0x80;
    if (factor > 2 ** 63) throw new Error('MessageBatch: varint too long');
  }
}

function skipBytes(buffer: Uint8Array, bytes: number): void {
  if (position + bytes > buffer.length) throw new Error('MessageBatch: truncated field');
  position += bytes;
}

/**
 * Decodes MessageBatch protobuf bytes; unknown fields are skipped; malformed input throws. The
 * messages are views of `bytes` (the Raft message decoder copies what it keeps).
 */
export function decodeMessageBatch(bytes: Uint8Array): MessageBatch {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const batch: MessageBatch = { cluster_id: 0, from: 0, to: 0, messages: [] };
  position = 0;
  while (position < buffer.length) {
    const tag = readVarint(buffer);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === WIRE_VARINT) {
      const value = readVarint(buffer);
      if (field === 1) batch.cluster_id = value;
      else if (field === 2) batch.from = value;
      else if (field === 3) batch.to = value;
    } else if (wire === WIRE_BYTES) {
      const length = readVarint(buffer);
      if (position + length > buffer.length) throw new Error('MessageBatch: truncated bytes field');
      if (field === 4) batch.messages.push(buffer.subarray(position, position + length));
      position += length;
    } else if (wire === WIRE_FIXED64) skipBytes(buffer, 8);
    else if (wire === WIRE_FIXED32) skipBytes(buffer, 4);
    else throw new Error(`MessageBatch: unsupported wire type ${wire}`);
  }
  return batch;
}
