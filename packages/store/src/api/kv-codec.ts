/**
 * Hand-written protobuf codecs of the etcd KV methods the store serves most (Range, Put,
 * DeleteRange, Txn): requests decode straight into the MVCC store's shapes, responses encode
 * straight from its results, with no intermediate protobufjs objects (see grpc/protobuf.ts for why).
 * Field numbers follow proto/etcd/rpc.proto and kv.proto; the mapping is the one convert.ts applies
 * to proto-loader's objects, so a client sees exactly what it saw through protobufjs:
 * - every field is optional; unknown fields are skipped; a field sent twice keeps its last value;
 * - int64 revisions and limits become numbers, lease ids canonical signed decimal strings;
 * - enum values outside the .proto stay numbers (as proto-loader leaves them), for the store to refuse;
 * - a RequestOp with several members set is read as range, then put, then delete, then txn; an
 *   empty one is a range of the empty key (which finds nothing), as etcd does.
 * Responses omit proto3 defaults (as etcd's Go encoder does) but always write the header, every
 * ResponseOp member (even empty) and each nested response's header (holding only the revision).
 *
 * Encoders return the gRPC-framed message (5-byte prefix included), so the call sends it as is.
 */

import { MESSAGE_PREFIX_BYTES } from '../grpc/framing.js';
import {
  bigVarintSize,
  int64Size,
  lengthDelimitedSize,
  MAX_NESTING_DEPTH,
  ProtobufDecodeError,
  ProtoReader,
  ProtoWriter,
  parseInt64Decimal,
  tagSize,
  varintSize,
  WIRE_BYTES,
  WIRE_VARINT,
  wrongWireType,
} from '../grpc/protobuf.js';
import {
  type Compare,
  type CompareResult,
  type CompareTarget,
  type DeleteRangeRequest,
  type DeleteRangeResult,
  type KeyValue,
  type PutRequest,
  type PutResult,
  type RangeRequest,
  type RangeResult,
  type RequestOp,
  type ResponseOp,
  rangeRequest,
  type SortOrder,
  type SortTarget,
  type TxnRequest,
  type TxnResult,
} from '../mvcc/types.js';
import type { WireHeader } from './context.js';

const EMPTY = Buffer.alloc(0);
const SORT_ORDERS: readonly SortOrder[] = ['NONE', 'ASCEND', 'DESCEND'];
const SORT_TARGETS: readonly SortTarget[] = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'];
const COMPARE_RESULTS: readonly CompareResult[] = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'];
const COMPARE_TARGETS: readonly CompareTarget[] = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'];

/** An enum value by number; a number outside the table stays a number, as proto-loader leaves it. */
function enumName<T extends string>(table: readonly T[], value: number): T {
  return table[value] ?? (value as unknown as T);
}

/** True when the field of `tag` has `wireType`; throws otherwise (the message cannot be read as declared). */
function expect(tag: number, wireType: number): boolean {
  if ((tag & 7) === wireType) return true;
  throw wrongWireType(tag >>> 3, tag & 7);
}

// ---------------------------------------------------------------- requests

function readRange(reader: ProtoReader): RangeRequest {
  const request = rangeRequest(EMPTY, EMPTY);
  while (reader.more) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        if (expect(tag, WIRE_BYTES)) request.key = reader.bytes();
        break;
      case 2:
        if (expect(tag, WIRE_BYTES)) request.rangeEnd = reader.bytes();
        break;
      case 3:
        if (expect(tag, WIRE_VARINT)) request.limit = reader.int64();
        break;
      case 4:
        if (expect(tag, WIRE_VARINT)) request.revision = reader.int64();
        break;
      case 5:
        if (expect(tag, WIRE_VARINT)) request.sortOrder = enumName(SORT_ORDERS, reader.enumValue());
        break;
      case 6:
        if (expect(tag, WIRE_VARINT)) request.sortTarget = enumName(SORT_TARGETS, reader.enumValue());
        break;
      case 7:
        if (expect(tag, WIRE_VARINT)) request.serializable = reader.bool();
        break;
      case 8:
        if (expect(tag, WIRE_VARINT)) request.keysOnly = reader.bool();
        break;
      case 9:
        if (expect(tag, WIRE_VARINT)) request.countOnly = reader.bool();
        break;
      case 10:
        if (expect(tag, WIRE_VARINT)) request.minModRevision = reader.int64();
        break;
      case 11:
        if (expect(tag, WIRE_VARINT)) request.maxModRevision = reader.int64();
        break;
      case 12:
        if (expect(tag, WIRE_VARINT)) request.minCreateRevision = reader.int64();
        break;
      case 13:
        if (expect(tag, WIRE_VARINT)) request.maxCreateRevision = reader.int64();
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return request;
}

function readPut(reader: ProtoReader): PutRequest {
  const request: PutRequest = {
    key: EMPTY,
    value: EMPTY,
    lease: '0',
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
  };
  while (reader.more) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        if (expect(tag, WIRE_BYTES)) request.key = reader.bytes();
        break;
      case 2:
        if (expect(tag, WIRE_BYTES)) request.value = reader.bytes();
        break;
      case 3:
        if (expect(tag, WIRE_VARINT)) request.lease = reader.int64String();
        break;
      case 4:
        if (expect(tag, WIRE_VARINT)) request.prevKv = reader.bool();
        break;
      case 5:
        if (expect(tag, WIRE_VARINT)) request.ignoreValue = reader.bool();
        break;
      case 6:
        if (expect(tag, WIRE_VARINT)) request.ignoreLease = reader.bool();
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return request;
}

function readDeleteRange(reader: ProtoReader): DeleteRangeRequest {
  const request: DeleteRangeRequest = { key: EMPTY, rangeEnd: EMPTY, prevKv: false };
  while (reader.more) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        if (expect(tag, WIRE_BYTES)) request.key = reader.bytes();
        break;
      case 2:
        if (expect(tag, WIRE_BYTES)) request.rangeEnd = reader.bytes();
        break;
      case 3:
        if (expect(tag, WIRE_VARINT)) request.prevKv = reader.bool();
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return request;
}

function readCompare(reader: ProtoReader): Compare {
  const compare: Compare = {
    result: 'EQUAL',
    target: 'VERSION',
    key: EMPTY,
    rangeEnd: EMPTY,
    version: 0,
    createRevision: 0,
    modRevision: 0,
    value: EMPTY,
    lease: '0',
  };
  while (reader.more) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        if (expect(tag, WIRE_VARINT)) compare.result = enumName(COMPARE_RESULTS, reader.enumValue());
        break;
      case 2:
        if (expect(tag, WIRE_VARINT)) compare.target = enumName(COMPARE_TARGETS, reader.enumValue());
        break;
      case 3:
        if (expect(tag, WIRE_BYTES)) compare.key = reader.bytes();
        break;
      case 4:
        if (expect(tag, WIRE_VARINT)) compare.version = reader.int64();
        break;
      case 5:
        if (expect(tag, WIRE_VARINT)) compare.createRevision = reader.int64();
        break;
      case 6:
        if (expect(tag, WIRE_VARINT)) compare.modRevision = reader.int64();
        break;
      case 7:
        if (expect(tag, WIRE_BYTES)) compare.value = reader.bytes();
        break;
      case 8:
        if (expect(tag, WIRE_VARINT)) compare.lease = reader.int64String();
        break;
      case 64:
        if (expect(tag, WIRE_BYTES)) compare.rangeEnd = reader.bytes();
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return compare;
}

function readRequestOp(reader: ProtoReader, depth: number): RequestOp {
  let range: RangeRequest | null = null;
  let put: PutRequest | null = null;
  let deleteRange: DeleteRangeRequest | null = null;
  let txn: TxnRequest | null = null;
  while (reader.more) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        if (expect(tag, WIRE_BYTES)) range = readRange(reader.message());
        break;
      case 2:
        if (expect(tag, WIRE_BYTES)) put = readPut(reader.message());
        break;
      case 3:
        if (expect(tag, WIRE_BYTES)) deleteRange = readDeleteRange(reader.message());
        break;
      case 4:
        if (expect(tag, WIRE_BYTES)) txn = readTxn(reader.message(), depth + 1);
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  if (range !== null) return { type: 'range', range };
  if (put !== null) return { type: 'put', put };
  if (deleteRange !== null) return { type: 'deleteRange', deleteRange };
  if (txn !== null) return { type: 'txn', txn };
  return { type: 'range', range: rangeRequest(EMPTY, EMPTY) };
}

function readTxn(reader: ProtoReader, depth: number): TxnRequest {
  if (depth > MAX_NESTING_DEPTH) throw new ProtobufDecodeError('protobuf: maximum nesting depth exceeded');
  const txn: TxnRequest = { compare: [], success: [], failure: [] };
  while (reader.more) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        if (expect(tag, WIRE_BYTES)) txn.compare.push(readCompare(reader.message()));
        break;
      case 2:
        if (expect(tag, WIRE_BYTES)) txn.success.push(readRequestOp(reader.message(), depth));
        break;
      case 3:
        if (expect(tag, WIRE_BYTES)) txn.failure.push(readRequestOp(reader.message(), depth));
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return txn;
}

/** Decodes an etcdserverpb.RangeRequest. */
export function decodeRangeRequest(bytes: Buffer): RangeRequest {
  return readRange(new ProtoReader(bytes));
}

/** Decodes an etcdserverpb.PutRequest. */
export function decodePutRequest(bytes: Buffer): PutRequest {
  return readPut(new ProtoReader(bytes));
}

/** Decodes an etcdserverpb.DeleteRangeRequest. */
export function decodeDeleteRangeRequest(bytes: Buffer): DeleteRangeRequest {
  return readDeleteRange(new ProtoReader(bytes));
}

/** Decodes an etcdserverpb.TxnRequest. */
export function decodeTxnRequest(bytes: Buffer): TxnRequest {
  return readTxn(new ProtoReader(bytes), 0);
}

// ---------------------------------------------------------------- responses

/** A response header; nested responses of a txn carry only the revision (as etcd's). */
export type HeaderFields = WireHeader | { revision: number };

/** A RangeResponse to encode. */
export interface RangeResponseFields {
  header: HeaderFields;
  result: RangeResult;
}

/** A PutResponse to encode. */
export interface PutResponseFields {
  header: HeaderFields;
  result: PutResult;
}

/** A DeleteRangeResponse to encode. */
export interface DeleteRangeResponseFields {
  header: HeaderFields;
  result: DeleteRangeResult;
}

/** A TxnResponse to encode; nested responses get a header with `header.revision` only. */
export interface TxnResponseFields {
  header: HeaderFields;
  result: TxnResult;
}

function uintFieldSize(field: number, value: number): number {
  return value === 0 ? 0 : tagSize(field) + int64Size(value);
}

function bytesFieldSize(field: number, value: Uint8Array): number {
  return value.length === 0 ? 0 : lengthDelimitedSize(field, value.length);
}

function writeUint(writer: ProtoWriter, field: number, value: number): void {
  if (value === 0) return;
  writer.tag(field, WIRE_VARINT);
  writer.int64(value);
}

function writeBytes(writer: ProtoWriter, field: number, value: Uint8Array): void {
  if (value.length !== 0) writer.bytes(field, value);
}

/** Writes `field` = true; false is the proto3 default and is left out. */
export function writeBool(writer: ProtoWriter, field: number, value: boolean): void {
  if (!value) return;
  writer.tag(field, WIRE_VARINT);
  writer.varint(1);
}

function headerSize(header: HeaderFields): number {
  if (!('cluster_id' in header)) return uintFieldSize(3, header.revision);
  return (
    uintFieldSize(1, header.cluster_id) +
    uintFieldSize(2, header.member_id) +
    uintFieldSize(3, header.revision) +
    uintFieldSize(4, header.raft_term)
  );
}

function writeHeader(writer: ProtoWriter, field: number, header: HeaderFields, size: number): void {
  writer.tag(field, WIRE_BYTES);
  writer.varint(size);
  if ('cluster_id' in header) {
    writeUint(writer, 1, header.cluster_id);
    writeUint(writer, 2, header.member_id);
    writeUint(writer, 3, header.revision);
    writeUint(writer, 4, header.raft_term);
  } else {
    writeUint(writer, 3, header.revision);
  }
}

function leaseFieldSize(field: number, lease: string): number {
  const value = parseInt64Decimal(lease);
  if (value === null) return 0;
  return tagSize(field) + (typeof value === 'number' ? varintSize(value) : bigVarintSize(value));
}

function writeLease(writer: ProtoWriter, field: number, lease: string): void {
  const value = parseInt64Decimal(lease);
  if (value === null) return;
  writer.tag(field, WIRE_VARINT);
  if (typeof value === 'number') writer.varint(value);
  else writer.bigVarint(value);
}

/** Bytes of an mvccpb.KeyValue message (without its tag and length). */
export function keyValueSize(kv: KeyValue): number {
  return (
    bytesFieldSize(1, kv.key) +
    uintFieldSize(2, kv.createRevision) +
    uintFieldSize(3, kv.modRevision) +
    uintFieldSize(4, kv.version) +
    bytesFieldSize(5, kv.value) +
    leaseFieldSize(6, kv.lease)
  );
}

/** Writes an mvccpb.KeyValue as field `field` (tag, length `size`, fields). */
export function writeKeyValue(writer: ProtoWriter, field: number, kv: KeyValue, size: number): void {
  writer.tag(field, WIRE_BYTES);
  writer.varint(size);
  writeBytes(writer, 1, kv.key);
  writeUint(writer, 2, kv.createRevision);
  writeUint(writer, 3, kv.modRevision);
  writeUint(writer, 4, kv.version);
  writeBytes(writer, 5, kv.value);
  writeLease(writer, 6, kv.lease);
}

function kvsSize(field: number, kvs: readonly KeyValue[]): number {
  let size = 0;
  for (const kv of kvs) size += lengthDelimitedSize(field, keyValueSize(kv));
  return size;
}

function writeKvs(writer: ProtoWriter, field: number, kvs: readonly KeyValue[]): void {
  for (const kv of kvs) writeKeyValue(writer, field, kv, keyValueSize(kv));
}

function rangeBodySize(result: RangeResult): number {
  return kvsSize(2, result.kvs) + (result.more ? 2 : 0) + uintFieldSize(4, result.count);
}

function writeRangeBody(writer: ProtoWriter, result: RangeResult): void {
  writeKvs(writer, 2, result.kvs);
  writeBool(writer, 3, result.more);
  writeUint(writer, 4, result.count);
}

function putBodySize(result: PutResult): number {
  return result.prevKv === null ? 0 : lengthDelimitedSize(2, keyValueSize(result.prevKv));
}

function writePutBody(writer: ProtoWriter, result: PutResult): void {
  if (result.prevKv !== null) writeKeyValue(writer, 2, result.prevKv, keyValueSize(result.prevKv));
}

function deleteRangeBodySize(result: DeleteRangeResult): number {
  return uintFieldSize(2, result.deleted) + kvsSize(3, result.prevKvs);
}

function writeDeleteRangeBody(writer: ProtoWriter, result: DeleteRangeResult): void {
  writeUint(writer, 2, result.deleted);
  writeKvs(writer, 3, result.prevKvs);
}

/** Size of a nested response (header with `revision` only, then its body). */
function responseOpBodySize(op: ResponseOp, nestedHeaderSize: number, revision: number): number {
  const header = lengthDelimitedSize(1, nestedHeaderSize);
  switch (op.type) {
    case 'range':
      return header + rangeBodySize(op.range);
    case 'put':
      return header + putBodySize(op.put);
    case 'deleteRange':
      return header + deleteRangeBodySize(op.deleteRange);
    case 'txn':
      return header + txnBodySize(op.txn, nestedHeaderSize, revision);
  }
}

const RESPONSE_OP_FIELD: Record<ResponseOp['type'], number> = { range: 1, put: 2, deleteRange: 3, txn: 4 };

function txnBodySize(result: TxnResult, nestedHeaderSize: number, revision: number): number {
  let size = result.succeeded ? 2 : 0;
  for (const op of result.responses) {
    const body = responseOpBodySize(op, nestedHeaderSize, revision);
    // ResponseOp { <member> = body } inside TxnResponse.responses (field 3).
    size += lengthDelimitedSize(3, lengthDelimitedSize(RESPONSE_OP_FIELD[op.type], body));
  }
  return size;
}

function writeTxnBody(
  writer: ProtoWriter,
  result: TxnResult,
  nestedHeaderSize: number,
  revision: number,
): void {
  writeBool(writer, 2, result.succeeded);
  const nestedHeader = { revision };
  for (const op of result.responses) {
    const body = responseOpBodySize(op, nestedHeaderSize, revision);
    const field = RESPONSE_OP_FIELD[op.type];
    writer.tag(3, WIRE_BYTES);
    writer.varint(lengthDelimitedSize(field, body));
    writer.tag(field, WIRE_BYTES);
    writer.varint(body);
    writeHeader(writer, 1, nestedHeader, nestedHeaderSize);
    switch (op.type) {
      case 'range':
        writeRangeBody(writer, op.range);
        break;
      case 'put':
        writePutBody(writer, op.put);
        break;
      case 'deleteRange':
        writeDeleteRangeBody(writer, op.deleteRange);
        break;
      case 'txn':
        writeTxnBody(writer, op.txn, nestedHeaderSize, revision);
        break;
    }
  }
}

/**
 * Allocates a framed message (header field 1 plus `bodySize` bytes) and writes its gRPC prefix and
 * header; the caller writes the body, then checks the size with {@link finished}.
 */
export function startFramed(header: HeaderFields, bodySize: number): { writer: ProtoWriter; framed: Buffer } {
  const size = headerSize(header);
  const messageSize = lengthDelimitedSize(1, size) + bodySize;
  const framed = Buffer.allocUnsafe(MESSAGE_PREFIX_BYTES + messageSize);
  framed[0] = 0;
  framed.writeUInt32BE(messageSize, 1);
  const writer = new ProtoWriter(framed, MESSAGE_PREFIX_BYTES);
  writeHeader(writer, 1, header, size);
  return { writer, framed };
}

/** Returns `framed` once the writer has filled it exactly (a size computed wrong throws). */
export function finished(writer: ProtoWriter, framed: Buffer): Buffer {
  if (writer.pos !== framed.length)
    throw new Error(`protobuf: encoded ${writer.pos} bytes into a ${framed.length}-byte message`);
  return framed;
}

/** Encodes a framed etcdserverpb.RangeResponse. */
export function encodeRangeResponse(response: RangeResponseFields): Buffer {
  const { writer, framed } = startFramed(response.header, rangeBodySize(response.result));
  writeRangeBody(writer, response.result);
  return finished(writer, framed);
}

/** Encodes a framed etcdserverpb.PutResponse. */
export function encodePutResponse(response: PutResponseFields): Buffer {
  const { writer, framed } = startFramed(response.header, putBodySize(response.result));
  writePutBody(writer, response.result);
  return finished(writer, framed);
}

/** Encodes a framed etcdserverpb.DeleteRangeResponse. */
export function encodeDeleteRangeResponse(response: DeleteRangeResponseFields): Buffer {
  const { writer, framed } = startFramed(response.header, deleteRangeBodySize(response.result));
  writeDeleteRangeBody(writer, response.result);
  return finished(writer, framed);
}

/** Encodes a framed etcdserverpb.TxnResponse. */
export function encodeTxnResponse(response: TxnResponseFields): Buffer {
  const revision = response.header.revision;
  const nestedHeaderSize = uintFieldSize(3, revision);
  const { writer, framed } = startFramed(
    response.header,
    txnBodySize(response.result, nestedHeaderSize, revision),
  );
  writeTxnBody(writer, response.result, nestedHeaderSize, revision);
  return finished(writer, framed);
}
