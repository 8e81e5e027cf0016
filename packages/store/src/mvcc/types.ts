/**
 * Internal shapes of the MVCC key-value store: the requests it applies, the results it returns and
 * the errors it raises. They mirror etcd's etcdserverpb messages with camelCase names; the gRPC edge
 * (packages/store/src/api) converts. Keys and values are Buffers; revisions are safe integers; lease
 * ids are int64 values kept as canonical decimal strings ("0" means no lease) because clients may
 * pick any int64.
 */

/** One key's value at one revision, as etcd's mvccpb.KeyValue. */
export interface KeyValue {
  key: Buffer;
  /** Revision of the key's latest creation. */
  createRevision: number;
  /** Revision of the key's latest modification. */
  modRevision: number;
  /** Number of modifications since creation (1 after creation). */
  version: number;
  value: Buffer;
  /** Lease id (decimal string), "0" for none. */
  lease: string;
}

/** Sort order of a range; `NONE` keeps key order. */
export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
/** Field a range is sorted by. */
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

/**
 * A range read. `rangeEnd` empty: the single key; `rangeEnd` = [0]: every key >= key; otherwise
 * [key, rangeEnd). `revision` <= 0 reads the current revision.
 */
export interface RangeRequest {
  key: Buffer;
  rangeEnd: Buffer;
  limit: number;
  revision: number;
  sortOrder: SortOrder;
  sortTarget: SortTarget;
  serializable: boolean;
  keysOnly: boolean;
  countOnly: boolean;
  minModRevision: number;
  maxModRevision: number;
  minCreateRevision: number;
  maxCreateRevision: number;
}

/**
 * A {@link RangeRequest} for [key, rangeEnd) with etcd's defaults for every field not given: no
 * limit, the current revision, key order, linearizable, whole key-values, no revision filters.
 */
export function rangeRequest(
  key: Buffer,
  rangeEnd: Buffer,
  fields: Partial<RangeRequest> = {},
): RangeRequest {
  return {
    key,
    rangeEnd,
    limit: 0,
    revision: 0,
    sortOrder: 'NONE',
    sortTarget: 'KEY',
    serializable: false,
    keysOnly: false,
    countOnly: false,
    minModRevision: 0,
    maxModRevision: 0,
    minCreateRevision: 0,
    maxCreateRevision: 0,
    ...fields,
  };
}

/** Result of a {@link RangeRequest}. `count` is the number of keys in the range, before `limit`. */
export interface RangeResult {
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

/** A put; `lease` "0" detaches the key from any lease unless `ignoreLease`. */
export interface PutRequest {
  key: Buffer;
  value: Buffer;
  lease: string;
  prevKv: boolean;
  ignoreValue: boolean;
  ignoreLease: boolean;
}

/** Result of a {@link PutRequest}; `prevKv` is set only when asked for and the key existed. */
export interface PutResult {
  prevKv: KeyValue | null;
}

/** A delete of one key or a range (same `rangeEnd` rules as {@link RangeRequest}). */
export interface DeleteRangeRequest {
  key: Buffer;
  rangeEnd: Buffer;
  prevKv: boolean;
}

/** Result of a {@link DeleteRangeRequest}. */
export interface DeleteRangeResult {
  deleted: number;
  prevKvs: KeyValue[];
}

/** One operation inside a transaction. */
export type RequestOp =
  | { type: 'range'; range: RangeRequest }
  | { type: 'put'; put: PutRequest }
  | { type: 'deleteRange'; deleteRange: DeleteRangeRequest }
  | { type: 'txn'; txn: TxnRequest };

/** The result of one {@link RequestOp}, same position as the request. */
export type ResponseOp =
  | { type: 'range'; range: RangeResult }
  | { type: 'put'; put: PutResult }
  | { type: 'deleteRange'; deleteRange: DeleteRangeResult }
  | { type: 'txn'; txn: TxnResult };

/** How a {@link Compare} relates the key's field to the given value. */
export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
/** Which field of the key a {@link Compare} looks at. */
export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

/** A transaction guard, as etcd's Compare; only the field named by `target` is read. */
export interface Compare {
  result: CompareResult;
  target: CompareTarget;
  key: Buffer;
  rangeEnd: Buffer;
  version: number;
  createRevision: number;
  modRevision: number;
  value: Buffer;
  lease: string;
}

/** If every compare holds, run `success`, else `failure`. */
export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

/** Result of a {@link TxnRequest}. */
export interface TxnResult {
  succeeded: boolean;
  responses: ResponseOp[];
}

/** Alarm kinds, as etcd's AlarmType. */
export type AlarmType = 'NONE' | 'NOSPACE' | 'CORRUPT';

/** One raised alarm. */
export interface AlarmMember {
  memberId: number;
  alarm: AlarmType;
}

/** A request replicated through Raft and applied by the MVCC state machine. */
export type MvccRequest =
  | { type: 'put'; put: PutRequest }
  | { type: 'deleteRange'; deleteRange: DeleteRangeRequest }
  | { type: 'txn'; txn: TxnRequest }
  | { type: 'compact'; revision: number }
  | { type: 'leaseGrant'; id: string; ttlSeconds: number }
  | { type: 'leaseRevoke'; id: string }
  /** A keep-alive: replicated so that every member's lessor (in particular the leader's) sees it. */
  | { type: 'leaseRenew'; id: string }
  | { type: 'alarm'; action: 'ACTIVATE' | 'DEACTIVATE'; memberId: number; alarm: AlarmType };

/** What applying one {@link MvccRequest} returned. `revision` is the store revision after it. */
export interface MvccResult {
  revision: number;
  /** Set when the request was rejected (nothing changed); see {@link MvccErrorCode}. */
  error?: MvccErrorCode;
  put?: PutResult;
  deleteRange?: DeleteRangeResult;
  txn?: TxnResult;
  /** For leaseGrant / leaseRenew: the lease and its granted TTL. */
  lease?: { id: string; ttlSeconds: number };
  /** For alarm: the alarms after the change. */
  alarms?: AlarmMember[];
}

/** Stable codes of {@link MvccError}. */
export const MvccErrorCode = {
  Compacted: 'NAVARCH_ERR_COMPACTED',
  FutureRevision: 'NAVARCH_ERR_FUTURE_REVISION',
  LeaseNotFound: 'NAVARCH_ERR_LEASE_NOT_FOUND',
  LeaseExists: 'NAVARCH_ERR_LEASE_EXISTS',
  LeaseTtlTooLarge: 'NAVARCH_ERR_LEASE_TTL_TOO_LARGE',
  KeyNotFound: 'NAVARCH_ERR_KEY_NOT_FOUND',
  NoSpace: 'NAVARCH_ERR_NO_SPACE',
} as const;
/** One of the {@link MvccErrorCode} values. */
export type MvccErrorCode = (typeof MvccErrorCode)[keyof typeof MvccErrorCode];

/** A request the MVCC store rejects; `code` is stable. */
export class MvccError extends Error {
  readonly code: MvccErrorCode;

  constructor(code: MvccErrorCode, message: string) {
    super(message);
    this.name = 'MvccError';
    this.code = code;
  }
}

/** A change, as delivered to watchers: the key after it (a delete carries only key and modRevision). */
export interface MvccEvent {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  /** The key before the change, when it existed and its revision is not compacted. */
  prevKv: KeyValue | null;
}
