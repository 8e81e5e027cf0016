/**
 * Encoding of the requests the MVCC store replicates through Raft ({@link MvccRequest}) and of the
 * results its apply returns ({@link MvccResult}).
 *
 * Every member decodes every committed request, so this sits on the hot path of each write. The
 * format is a compact hand-written binary one (etcd uses protobuf for the same reason):
 *
 *   request  = 0x01 kind body          result = 0x02 int(revision) u8(presence) parts...
 *   uvarint  = LEB128, 7 bits a byte, low group first, at most 8 bytes, <= 2^53 - 1
 *   int      = sign-magnitude varint: first byte = continue(0x80) | negative(0x40) | 6 low bits,
 *              then, if continued, the rest of the magnitude as a uvarint. The byte 0x40 alone
 *              ("negative zero") is an escape: an IEEE-754 float64 (big-endian) follows, so that any
 *              number round-trips exactly (-0, fractions and int64 values beyond 2^53 that reach us
 *              through `Number(int64 string)` at the gRPC edge).
 *   bytes    = uvarint length, bytes            string = uvarint length, UTF-8 bytes
 *   enums    = one byte, the position in the tables below; booleans are bits of one flags byte.
 *
 * The format byte can never be `{`: entries written before this format existed are JSON objects
 * (Buffers as `{"$b": base64}`) and still sit in Raft logs and data directories, so input whose
 * first byte is `{` is decoded as that legacy JSON. Decoding checks every length against the
 * input and rejects unknown tags, unknown flag bits and trailing bytes with an
 * {@link MvccCodecError}: corrupt bytes never turn into a plausible request. The reverse does not
 * hold: a member built before this format cannot read it, so a cluster is upgraded all at once.
 * A data dir records the format it was written in (storage/data-format.ts: format 2 is this
 * one), so a binary that cannot read it refuses to start; between running members there is no
 * version negotiation yet, unlike etcd's cluster version.
 *
 * The byte-level reader and writer live in binary-io.ts, the legacy JSON in legacy-json.ts.
 *
 * Decoded Buffers are views of the input (no copy): the store copies what it keeps, and a result
 * is read once by the proposer. Inputs must not be mutated while a decoded value is in use.
 */
import { asBuffer, enumCode, MvccCodecError, malformed, Reader, unencodable, Writer } from './binary-io.js';
import { decodeLegacyJson } from './legacy-json.js';
import type {
  AlarmMember,
  AlarmType,
  Compare,
  CompareResult,
  CompareTarget,
  DeleteRangeRequest,
  DeleteRangeResult,
  KeyValue,
  MvccErrorCode,
  MvccRequest,
  MvccResult,
  PutRequest,
  PutResult,
  RangeRequest,
  RangeResult,
  RequestOp,
  ResponseOp,
  SortOrder,
  SortTarget,
  TxnRequest,
  TxnResult,
} from './types.js';

export { MvccCodecError, MvccCodecErrorCode } from './binary-io.js';
export { encodeLegacyJson } from './legacy-json.js';

/** First byte of a binary request. */
export const REQUEST_FORMAT_V1 = 0x01;
/** First byte of a binary result. */
export const RESULT_FORMAT_V1 = 0x02;
/** First byte of the legacy JSON encoding (`{`). */
const LEGACY_JSON = 0x7b;

/**
 * Deepest transaction nesting accepted (a txn inside a txn inside ... counts one per level). etcd has
 * no such limit, but the store applies transactions recursively; no real client nests more than a
 * level or two, and the limit keeps a hostile request from overflowing the stack on every member.
 */
export const MAX_TXN_DEPTH = 64;

const SORT_ORDERS: readonly SortOrder[] = ['NONE', 'ASCEND', 'DESCEND'];
const SORT_TARGETS: readonly SortTarget[] = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'];
const COMPARE_RESULTS: readonly CompareResult[] = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'];
const COMPARE_TARGETS: readonly CompareTarget[] = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'];
const ALARM_TYPES: readonly AlarmType[] = ['NONE', 'NOSPACE', 'CORRUPT'];
const ALARM_ACTIONS: readonly ('ACTIVATE' | 'DEACTIVATE')[] = ['ACTIVATE', 'DEACTIVATE'];

// Tags of requests (top level) and of transaction operations (request and response alike).
const REQUEST_PUT = 1;
const REQUEST_DELETE_RANGE = 2;
const REQUEST_TXN = 3;
const REQUEST_COMPACT = 4;
const REQUEST_LEASE_GRANT = 5;
const REQUEST_LEASE_REVOKE = 6;
const REQUEST_LEASE_RENEW = 7;
const REQUEST_ALARM = 8;
const OP_RANGE = 1;
const OP_PUT = 2;
const OP_DELETE_RANGE = 3;
const OP_TXN = 4;

// Flag bits.
const PUT_PREV_KV = 1;
const PUT_IGNORE_VALUE = 2;
const PUT_IGNORE_LEASE = 4;
const RANGE_SERIALIZABLE = 1;
const RANGE_KEYS_ONLY = 2;
const RANGE_COUNT_ONLY = 4;
const RESULT_ERROR = 1;
const RESULT_PUT = 2;
const RESULT_DELETE_RANGE = 4;
const RESULT_TXN = 8;
const RESULT_LEASE = 16;
const RESULT_ALARMS = 32;

// ---------------------------------------------------------------- requests

function writeRange(w: Writer, range: RangeRequest): void {
  w.byte(
    (range.serializable ? RANGE_SERIALIZABLE : 0) |
      (range.keysOnly ? RANGE_KEYS_ONLY : 0) |
      (range.countOnly ? RANGE_COUNT_ONLY : 0),
  );
  w.byte(enumCode(SORT_ORDERS, range.sortOrder, 'sort order'));
  w.byte(enumCode(SORT_TARGETS, range.sortTarget, 'sort target'));
  w.bytes(range.key);
  w.bytes(range.rangeEnd);
  w.int(range.limit);
  w.int(range.revision);
  w.int(range.minModRevision);
  w.int(range.maxModRevision);
  w.int(range.minCreateRevision);
  w.int(range.maxCreateRevision);
}

function readRange(r: Reader): RangeRequest {
  const flags = r.flags(RANGE_SERIALIZABLE | RANGE_KEYS_ONLY | RANGE_COUNT_ONLY, 'range flags');
  const sortOrder = r.enumValue(SORT_ORDERS, 'sort order');
  const sortTarget = r.enumValue(SORT_TARGETS, 'sort target');
  return {
    key: r.bytes('range key'),
    rangeEnd: r.bytes('range end'),
    limit: r.int('range limit'),
    revision: r.int('range revision'),
    sortOrder,
    sortTarget,
    serializable: (flags & RANGE_SERIALIZABLE) !== 0,
    keysOnly: (flags & RANGE_KEYS_ONLY) !== 0,
    countOnly: (flags & RANGE_COUNT_ONLY) !== 0,
    minModRevision: r.int('range min mod revision'),
    maxModRevision: r.int('range max mod revision'),
    minCreateRevision: r.int('range min create revision'),
    maxCreateRevision: r.int('range max create revision'),
  };
}

function writePut(w: Writer, put: PutRequest): void {
  w.byte(
    (put.prevKv ? PUT_PREV_KV : 0) |
      (put.ignoreValue ? PUT_IGNORE_VALUE : 0) |
      (put.ignoreLease ? PUT_IGNORE_LEASE : 0),
  );
  w.bytes(put.key);
  w.bytes(put.value);
  w.string(put.lease);
}

function readPut(r: Reader): PutRequest {
  const flags = r.flags(PUT_PREV_KV | PUT_IGNORE_VALUE | PUT_IGNORE_LEASE, 'put flags');
  return {
    key: r.bytes('put key'),
    value: r.bytes('put value'),
    lease: r.string('put lease'),
    prevKv: (flags & PUT_PREV_KV) !== 0,
    ignoreValue: (flags & PUT_IGNORE_VALUE) !== 0,
    ignoreLease: (flags & PUT_IGNORE_LEASE) !== 0,
  };
}

function writeDeleteRange(w: Writer, request: DeleteRangeRequest): void {
  w.byte(request.prevKv ? 1 : 0);
  w.bytes(request.key);
  w.bytes(request.rangeEnd);
}

function readDeleteRange(r: Reader): DeleteRangeRequest {
  const prevKv = r.bool('delete prevKv');
  return { key: r.bytes('delete key'), rangeEnd: r.bytes('delete range end'), prevKv };
}

function writeCompare(w: Writer, compare: Compare): void {
  w.byte(enumCode(COMPARE_RESULTS, compare.result, 'compare result'));
  w.byte(enumCode(COMPARE_TARGETS, compare.target, 'compare target'));
  w.bytes(compare.key);
  w.bytes(compare.rangeEnd);
  w.int(compare.version);
  w.int(compare.createRevision);
  w.int(compare.modRevision);
  w.bytes(compare.value);
  w.string(compare.lease);
}

function readCompare(r: Reader): Compare {
  return {
    result: r.enumValue(COMPARE_RESULTS, 'compare result'),
    target: r.enumValue(COMPARE_TARGETS, 'compare target'),
    key: r.bytes('compare key'),
    rangeEnd: r.bytes('compare range end'),
    version: r.int('compare version'),
    createRevision: r.int('compare create revision'),
    modRevision: r.int('compare mod revision'),
    value: r.bytes('compare value'),
    lease: r.string('compare lease'),
  };
}

function writeOps(w: Writer, ops: RequestOp[], depth: number): void {
  w.uvarint(ops.length);
  for (const op of ops) {
    switch (op.type) {
      case 'range':
        w.byte(OP_RANGE);
        writeRange(w, op.range);
        break;
      case 'put':
        w.byte(OP_PUT);
        writePut(w, op.put);
        break;
      case 'deleteRange':
        w.byte(OP_DELETE_RANGE);
        writeDeleteRange(w, op.deleteRange);
        break;
      case 'txn':
        w.byte(OP_TXN);
        writeTxn(w, op.txn, depth + 1);
        break;
      default:
        throw unencodable(`unknown transaction operation ${JSON.stringify((op as { type: unknown }).type)}`);
    }
  }
}

function readOps(r: Reader, depth: number): RequestOp[] {
  const count = r.count('operation count');
  const ops: RequestOp[] = [];
  for (let i = 0; i < count; i++) {
    const tag = r.byte('operation tag');
    switch (tag) {
      case OP_RANGE:
        ops.push({ type: 'range', range: readRange(r) });
        break;
      case OP_PUT:
        ops.push({ type: 'put', put: readPut(r) });
        break;
      case OP_DELETE_RANGE:
        ops.push({ type: 'deleteRange', deleteRange: readDeleteRange(r) });
        break;
      case OP_TXN:
        ops.push({ type: 'txn', txn: readTxn(r, depth + 1) });
        break;
      default:
        throw malformed(`unknown operation tag ${tag}`);
    }
  }
  return ops;
}

function writeTxn(w: Writer, txn: TxnRequest, depth: number): void {
  if (depth > MAX_TXN_DEPTH) throw unencodable(`transactions nested deeper than ${MAX_TXN_DEPTH}`);
  w.uvarint(txn.compare.length);
  for (const compare of txn.compare) writeCompare(w, compare);
  writeOps(w, txn.success, depth);
  writeOps(w, txn.failure, depth);
}

function readTxn(r: Reader, depth: number): TxnRequest {
  if (depth > MAX_TXN_DEPTH) throw malformed(`transactions nested deeper than ${MAX_TXN_DEPTH}`);
  const count = r.count('compare count');
  const compare: Compare[] = [];
  for (let i = 0; i < count; i++) compare.push(readCompare(r));
  const success = readOps(r, depth);
  const failure = readOps(r, depth);
  return { compare, success, failure };
}

/** Bytes to start the writer with: the large fields of the request plus room for the small ones. */
function estimateOpsBytes(ops: RequestOp[]): number {
  let bytes = 0;
  for (const op of ops) {
    if (op.type === 'put') bytes += 24 + op.put.key.length + op.put.value.length;
    else if (op.type === 'txn') bytes += estimateTxnBytes(op.txn);
    else bytes += 64;
  }
  return bytes;
}

function estimateTxnBytes(txn: TxnRequest): number {
  let bytes = 8;
  for (const compare of txn.compare) bytes += 24 + compare.key.length + compare.value.length;
  return bytes + estimateOpsBytes(txn.success) + estimateOpsBytes(txn.failure);
}

function estimateRequestBytes(request: MvccRequest): number {
  switch (request.type) {
    case 'put':
      return 32 + request.put.key.length + request.put.value.length;
    case 'txn':
      return 8 + estimateTxnBytes(request.txn);
    default:
      return 64;
  }
}

/** Encodes a request for {@link Consensus.propose} in the binary format; throws {@link MvccCodecError}. */
export function encodeRequest(request: MvccRequest): Uint8Array {
  const w = new Writer(estimateRequestBytes(request));
  w.byte(REQUEST_FORMAT_V1);
  switch (request.type) {
    case 'put':
      w.byte(REQUEST_PUT);
      writePut(w, request.put);
      break;
    case 'deleteRange':
      w.byte(REQUEST_DELETE_RANGE);
      writeDeleteRange(w, request.deleteRange);
      break;
    case 'txn':
      w.byte(REQUEST_TXN);
      writeTxn(w, request.txn, 1);
      break;
    case 'compact':
      w.byte(REQUEST_COMPACT);
      w.int(request.revision);
      break;
    case 'leaseGrant':
      w.byte(REQUEST_LEASE_GRANT);
      w.string(request.id);
      w.int(request.ttlSeconds);
      break;
    case 'leaseRevoke':
      w.byte(REQUEST_LEASE_REVOKE);
      w.string(request.id);
      break;
    case 'leaseRenew':
      w.byte(REQUEST_LEASE_RENEW);
      w.string(request.id);
      break;
    case 'alarm':
      w.byte(REQUEST_ALARM);
      w.byte(enumCode(ALARM_ACTIONS, request.action, 'alarm action'));
      w.int(request.memberId);
      w.byte(enumCode(ALARM_TYPES, request.alarm, 'alarm type'));
      break;
    default:
      throw unencodable(`unknown request type ${JSON.stringify((request as { type: unknown }).type)}`);
  }
  return w.finish();
}

function readRequest(r: Reader): MvccRequest {
  const kind = r.byte('request kind');
  switch (kind) {
    case REQUEST_PUT:
      return { type: 'put', put: readPut(r) };
    case REQUEST_DELETE_RANGE:
      return { type: 'deleteRange', deleteRange: readDeleteRange(r) };
    case REQUEST_TXN:
      return { type: 'txn', txn: readTxn(r, 1) };
    case REQUEST_COMPACT:
      return { type: 'compact', revision: r.int('compact revision') };
    case REQUEST_LEASE_GRANT: {
      const id = r.string('lease id');
      return { type: 'leaseGrant', id, ttlSeconds: r.int('lease TTL') };
    }
    case REQUEST_LEASE_REVOKE:
      return { type: 'leaseRevoke', id: r.string('lease id') };
    case REQUEST_LEASE_RENEW:
      return { type: 'leaseRenew', id: r.string('lease id') };
    case REQUEST_ALARM: {
      const action = r.enumValue(ALARM_ACTIONS, 'alarm action');
      const memberId = r.int('alarm member id');
      return { type: 'alarm', action, memberId, alarm: r.enumValue(ALARM_TYPES, 'alarm type') };
    }
    default:
      throw malformed(`unknown request kind ${kind}`);
  }
}

/** Decodes a proposed request: the binary format, or legacy JSON; throws {@link MvccCodecError}. */
export function decodeRequest(bytes: Uint8Array): MvccRequest {
  if (bytes.length === 0) throw malformed('empty request');
  const first = bytes[0];
  if (first === LEGACY_JSON) return decodeLegacyJson<MvccRequest>(bytes);
  if (first !== REQUEST_FORMAT_V1) throw malformed(`unknown request format byte 0x${first?.toString(16)}`);
  const r = new Reader(asBuffer(bytes));
  r.pos = 1;
  const request = readRequest(r);
  r.done('request');
  return request;
}

// ---------------------------------------------------------------- results

function writeKeyValue(w: Writer, kv: KeyValue): void {
  w.bytes(kv.key);
  w.int(kv.createRevision);
  w.int(kv.modRevision);
  w.int(kv.version);
  w.bytes(kv.value);
  w.string(kv.lease);
}

function readKeyValue(r: Reader): KeyValue {
  return {
    key: r.bytes('kv key'),
    createRevision: r.int('kv create revision'),
    modRevision: r.int('kv mod revision'),
    version: r.int('kv version'),
    value: r.bytes('kv value'),
    lease: r.string('kv lease'),
  };
}

function writeKeyValues(w: Writer, kvs: KeyValue[]): void {
  w.uvarint(kvs.length);
  for (const kv of kvs) writeKeyValue(w, kv);
}

function readKeyValues(r: Reader): KeyValue[] {
  const count = r.count('kv count');
  const kvs: KeyValue[] = [];
  for (let i = 0; i < count; i++) kvs.push(readKeyValue(r));
  return kvs;
}

function writePutResult(w: Writer, put: PutResult): void {
  if (put.prevKv === null) {
    w.byte(0);
  } else {
    w.byte(1);
    writeKeyValue(w, put.prevKv);
  }
}

function readPutResult(r: Reader): PutResult {
  return { prevKv: r.bool('put result prevKv') ? readKeyValue(r) : null };
}

function writeDeleteRangeResult(w: Writer, result: DeleteRangeResult): void {
  w.int(result.deleted);
  writeKeyValues(w, result.prevKvs);
}

function readDeleteRangeResult(r: Reader): DeleteRangeResult {
  const deleted = r.int('deleted count');
  return { deleted, prevKvs: readKeyValues(r) };
}

function writeRangeResult(w: Writer, result: RangeResult): void {
  writeKeyValues(w, result.kvs);
  w.byte(result.more ? 1 : 0);
  w.int(result.count);
}

function readRangeResult(r: Reader): RangeResult {
  const kvs = readKeyValues(r);
  const more = r.bool('range more');
  return { kvs, more, count: r.int('range count') };
}

function writeTxnResult(w: Writer, txn: TxnResult, depth: number): void {
  if (depth > MAX_TXN_DEPTH) throw unencodable(`transaction results nested deeper than ${MAX_TXN_DEPTH}`);
  w.byte(txn.succeeded ? 1 : 0);
  w.uvarint(txn.responses.length);
  for (const response of txn.responses) {
    switch (response.type) {
      case 'range':
        w.byte(OP_RANGE);
        writeRangeResult(w, response.range);
        break;
      case 'put':
        w.byte(OP_PUT);
        writePutResult(w, response.put);
        break;
      case 'deleteRange':
        w.byte(OP_DELETE_RANGE);
        writeDeleteRangeResult(w, response.deleteRange);
        break;
      case 'txn':
        w.byte(OP_TXN);
        writeTxnResult(w, response.txn, depth + 1);
        break;
      default:
        throw unencodable(`unknown response type ${JSON.stringify((response as { type: unknown }).type)}`);
    }
  }
}

function readTxnResult(r: Reader, depth: number): TxnResult {
  if (depth > MAX_TXN_DEPTH) throw malformed(`transaction results nested deeper than ${MAX_TXN_DEPTH}`);
  const succeeded = r.bool('txn succeeded');
  const count = r.count('response count');
  const responses: ResponseOp[] = [];
  for (let i = 0; i < count; i++) {
    const tag = r.byte('response tag');
    switch (tag) {
      case OP_RANGE:
        responses.push({ type: 'range', range: readRangeResult(r) });
        break;
      case OP_PUT:
        responses.push({ type: 'put', put: readPutResult(r) });
        break;
      case OP_DELETE_RANGE:
        responses.push({ type: 'deleteRange', deleteRange: readDeleteRangeResult(r) });
        break;
      case OP_TXN:
        responses.push({ type: 'txn', txn: readTxnResult(r, depth + 1) });
        break;
      default:
        throw malformed(`unknown response tag ${tag}`);
    }
  }
  return { succeeded, responses };
}

/** Encodes an apply result in the binary format; throws {@link MvccCodecError}. */
export function encodeResult(result: MvccResult): Uint8Array {
  const w = new Writer(64);
  w.byte(RESULT_FORMAT_V1);
  w.int(result.revision);
  w.byte(
    (result.error !== undefined ? RESULT_ERROR : 0) |
      (result.put !== undefined ? RESULT_PUT : 0) |
      (result.deleteRange !== undefined ? RESULT_DELETE_RANGE : 0) |
      (result.txn !== undefined ? RESULT_TXN : 0) |
      (result.lease !== undefined ? RESULT_LEASE : 0) |
      (result.alarms !== undefined ? RESULT_ALARMS : 0),
  );
  if (result.error !== undefined) w.string(result.error);
  if (result.put !== undefined) writePutResult(w, result.put);
  if (result.deleteRange !== undefined) writeDeleteRangeResult(w, result.deleteRange);
  if (result.txn !== undefined) writeTxnResult(w, result.txn, 1);
  if (result.lease !== undefined) {
    w.string(result.lease.id);
    w.int(result.lease.ttlSeconds);
  }
  if (result.alarms !== undefined) {
    w.uvarint(result.alarms.length);
    for (const alarm of result.alarms) {
      w.int(alarm.memberId);
      w.byte(enumCode(ALARM_TYPES, alarm.alarm, 'alarm type'));
    }
  }
  return w.finish();
}

function readAlarms(r: Reader): AlarmMember[] {
  const count = r.count('alarm count');
  const alarms: AlarmMember[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = r.int('alarm member id');
    alarms.push({ memberId, alarm: r.enumValue(ALARM_TYPES, 'alarm type') });
  }
  return alarms;
}

/** Decodes an apply result: the binary format, or legacy JSON; throws {@link MvccCodecError}. */
export function decodeResult(bytes: Uint8Array): MvccResult {
  if (bytes.length === 0) throw malformed('empty result');
  const first = bytes[0];
  if (first === LEGACY_JSON) return decodeLegacyJson<MvccResult>(bytes);
  if (first !== RESULT_FORMAT_V1) throw malformed(`unknown result format byte 0x${first?.toString(16)}`);
  const r = new Reader(asBuffer(bytes));
  r.pos = 1;
  const result: MvccResult = { revision: r.int('result revision') };
  const present = r.flags(
    RESULT_ERROR | RESULT_PUT | RESULT_DELETE_RANGE | RESULT_TXN | RESULT_LEASE | RESULT_ALARMS,
    'result presence',
  );
  // The error code is kept as sent: a newer member may know codes this one does not.
  if (present & RESULT_ERROR) result.error = r.string('result error') as MvccErrorCode;
  if (present & RESULT_PUT) result.put = readPutResult(r);
  if (present & RESULT_DELETE_RANGE) result.deleteRange = readDeleteRangeResult(r);
  if (present & RESULT_TXN) result.txn = readTxnResult(r, 1);
  if (present & RESULT_LEASE) {
    const id = r.string('lease id');
    result.lease = { id, ttlSeconds: r.int('lease TTL') };
  }
  if (present & RESULT_ALARMS) result.alarms = readAlarms(r);
  r.done('result');
  return result;
}
