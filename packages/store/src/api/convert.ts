/**
 * Conversions between etcd's wire messages (as @grpc/proto-loader decodes them, see proto.ts) and
 * the MVCC store's internal shapes. Revisions become numbers; lease ids become canonical decimal
 * strings (any int64 is kept exactly).
 *
 * The KV methods and watch responses are served by the hand-written codecs of kv-codec.ts and
 * watch-codec.ts; the KV conversions here stay the reference mapping those codecs must reproduce
 * (test/kv-codec.test.ts checks them against protobufjs through these functions).
 */
import type {
  Compare,
  CompareResult,
  CompareTarget,
  DeleteRangeRequest,
  DeleteRangeResult,
  KeyValue,
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
} from '../mvcc/types.js';

/** int64 as decoded (decimal string), or as a client library may pass it. */
export type WireLong = string | number;

/** etcdserverpb.RangeRequest as decoded. */
export interface WireRangeRequest {
  key?: Buffer;
  range_end?: Buffer;
  limit?: WireLong;
  revision?: WireLong;
  sort_order?: string;
  sort_target?: string;
  serializable?: boolean;
  keys_only?: boolean;
  count_only?: boolean;
  min_mod_revision?: WireLong;
  max_mod_revision?: WireLong;
  min_create_revision?: WireLong;
  max_create_revision?: WireLong;
}

/** etcdserverpb.PutRequest as decoded. */
export interface WirePutRequest {
  key?: Buffer;
  value?: Buffer;
  lease?: WireLong;
  prev_kv?: boolean;
  ignore_value?: boolean;
  ignore_lease?: boolean;
}

/** etcdserverpb.DeleteRangeRequest as decoded. */
export interface WireDeleteRangeRequest {
  key?: Buffer;
  range_end?: Buffer;
  prev_kv?: boolean;
}

/** etcdserverpb.RequestOp as decoded. */
export interface WireRequestOp {
  request?: string;
  request_range?: WireRangeRequest | null;
  request_put?: WirePutRequest | null;
  request_delete_range?: WireDeleteRangeRequest | null;
  request_txn?: WireTxnRequest | null;
}

/** etcdserverpb.Compare as decoded. */
export interface WireCompare {
  result?: string;
  target?: string;
  key?: Buffer;
  range_end?: Buffer;
  version?: WireLong;
  create_revision?: WireLong;
  mod_revision?: WireLong;
  value?: Buffer;
  lease?: WireLong;
}

/** etcdserverpb.TxnRequest as decoded. */
export interface WireTxnRequest {
  compare?: WireCompare[];
  success?: WireRequestOp[];
  failure?: WireRequestOp[];
}

/** mvccpb.KeyValue as sent. */
export interface WireKeyValue {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
  lease: string;
}

const EMPTY = Buffer.alloc(0);

/** A decoded int64 as a number (revisions, limits, TTLs: all far below 2^53 in practice). */
export function toNumber(value: WireLong | undefined | null): number {
  if (value === undefined || value === null || value === '') return 0;
  return typeof value === 'number' ? value : Number(value);
}

/** A decoded int64 lease id in canonical decimal form ("0" for none). */
export function toLeaseId(value: WireLong | undefined | null): string {
  if (value === undefined || value === null || value === '') return '0';
  return BigInt(value).toString();
}

function bytes(value: Buffer | undefined | null): Buffer {
  return value ?? EMPTY;
}

/** Converts a RangeRequest. */
export function fromWireRange(wire: WireRangeRequest): RangeRequest {
  return {
    key: bytes(wire.key),
    rangeEnd: bytes(wire.range_end),
    limit: toNumber(wire.limit),
    revision: toNumber(wire.revision),
    sortOrder: (wire.sort_order ?? 'NONE') as SortOrder,
    sortTarget: (wire.sort_target ?? 'KEY') as SortTarget,
    serializable: wire.serializable ?? false,
    keysOnly: wire.keys_only ?? false,
    countOnly: wire.count_only ?? false,
    minModRevision: toNumber(wire.min_mod_revision),
    maxModRevision: toNumber(wire.max_mod_revision),
    minCreateRevision: toNumber(wire.min_create_revision),
    maxCreateRevision: toNumber(wire.max_create_revision),
  };
}

/** Converts a PutRequest. */
export function fromWirePut(wire: WirePutRequest): PutRequest {
  return {
    key: bytes(wire.key),
    value: bytes(wire.value),
    lease: toLeaseId(wire.lease),
    prevKv: wire.prev_kv ?? false,
    ignoreValue: wire.ignore_value ?? false,
    ignoreLease: wire.ignore_lease ?? false,
  };
}

/** Converts a DeleteRangeRequest. */
export function fromWireDeleteRange(wire: WireDeleteRangeRequest): DeleteRangeRequest {
  return { key: bytes(wire.key), rangeEnd: bytes(wire.range_end), prevKv: wire.prev_kv ?? false };
}

function fromWireOp(wire: WireRequestOp): RequestOp {
  if (wire.request_range) return { type: 'range', range: fromWireRange(wire.request_range) };
  if (wire.request_put) return { type: 'put', put: fromWirePut(wire.request_put) };
  if (wire.request_delete_range) {
    return { type: 'deleteRange', deleteRange: fromWireDeleteRange(wire.request_delete_range) };
  }
  if (wire.request_txn) return { type: 'txn', txn: fromWireTxn(wire.request_txn) };
  // An empty RequestOp: etcd treats it as a range of the empty key, which finds nothing.
  return { type: 'range', range: fromWireRange({}) };
}

function fromWireCompare(wire: WireCompare): Compare {
  return {
    result: (wire.result ?? 'EQUAL') as CompareResult,
    target: (wire.target ?? 'VERSION') as CompareTarget,
    key: bytes(wire.key),
    rangeEnd: bytes(wire.range_end),
    version: toNumber(wire.version),
    createRevision: toNumber(wire.create_revision),
    modRevision: toNumber(wire.mod_revision),
    value: bytes(wire.value),
    lease: toLeaseId(wire.lease),
  };
}

/** Converts a TxnRequest. */
export function fromWireTxn(wire: WireTxnRequest): TxnRequest {
  return {
    compare: (wire.compare ?? []).map(fromWireCompare),
    success: (wire.success ?? []).map(fromWireOp),
    failure: (wire.failure ?? []).map(fromWireOp),
  };
}

/** Converts a KeyValue for the wire. */
export function toWireKeyValue(kv: KeyValue): WireKeyValue {
  return {
    key: kv.key,
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    value: kv.value,
    lease: kv.lease,
  };
}

/** The RangeResponse body (without header). */
export function toWireRange(result: RangeResult): { kvs: WireKeyValue[]; more: boolean; count: number } {
  return { kvs: result.kvs.map(toWireKeyValue), more: result.more, count: result.count };
}

/** The PutResponse body (without header). */
export function toWirePut(result: PutResult): { prev_kv: WireKeyValue | null } {
  return { prev_kv: result.prevKv === null ? null : toWireKeyValue(result.prevKv) };
}

/** The DeleteRangeResponse body (without header). */
export function toWireDeleteRange(result: DeleteRangeResult): { deleted: number; prev_kvs: WireKeyValue[] } {
  return { deleted: result.deleted, prev_kvs: result.prevKvs.map(toWireKeyValue) };
}

/** The TxnResponse body; nested responses carry `header` (etcd puts only the revision there). */
export function toWireTxn(result: TxnResult, header: object): { succeeded: boolean; responses: object[] } {
  const op = (response: ResponseOp): object => {
    switch (response.type) {
      case 'range':
        return { response_range: { header, ...toWireRange(response.range) } };
      case 'put':
        return { response_put: { header, ...toWirePut(response.put) } };
      case 'deleteRange':
        return { response_delete_range: { header, ...toWireDeleteRange(response.deleteRange) } };
      case 'txn':
        return { response_txn: { header, ...toWireTxn(response.txn, header) } };
    }
  };
  return { succeeded: result.succeeded, responses: result.responses.map(op) };
}
