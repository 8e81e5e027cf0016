/**
 * Pure helpers of the MVCC store: transaction compares, range post-processing (filters, sort,
 * limit) and request checks that do not depend on state, all following etcd 3.4's rules.
 */
import type { Compare, KeyValue, RangeRequest, RequestOp, TxnRequest } from './types.js';

function compareNumbers(left: bigint, right: bigint): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Whether `kv` satisfies `compare` (etcd's compareKV); a missing key is passed as zero values. */
export function compareKeyValue(compare: Compare, kv: KeyValue | null): boolean {
  let order: number;
  switch (compare.target) {
    case 'VALUE':
      order = Buffer.compare(kv?.value ?? Buffer.alloc(0), compare.value);
      break;
    case 'VERSION':
      order = compareNumbers(BigInt(kv?.version ?? 0), BigInt(compare.version));
      break;
    case 'CREATE':
      order = compareNumbers(BigInt(kv?.createRevision ?? 0), BigInt(compare.createRevision));
      break;
    case 'MOD':
      order = compareNumbers(BigInt(kv?.modRevision ?? 0), BigInt(compare.modRevision));
      break;
    case 'LEASE':
      order = compareNumbers(BigInt(kv?.lease ?? '0'), BigInt(compare.lease));
      break;
  }
  switch (compare.result) {
    case 'EQUAL':
      return order === 0;
    case 'NOT_EQUAL':
      return order !== 0;
    case 'GREATER':
      return order > 0;
    case 'LESS':
      return order < 0;
  }
}

/**
 * Applies a range's revision filters, sort and limit to the key-ordered `kvs` (etcd's applyRange
 * after the read). `count` stays the number of keys in the range.
 */
export function shapeRange(request: RangeRequest, kvs: KeyValue[]): { kvs: KeyValue[]; more: boolean } {
  let out = kvs;
  if (request.minModRevision > 0) out = out.filter((kv) => kv.modRevision >= request.minModRevision);
  if (request.maxModRevision > 0) out = out.filter((kv) => kv.modRevision <= request.maxModRevision);
  if (request.minCreateRevision > 0) out = out.filter((kv) => kv.createRevision >= request.minCreateRevision);
  if (request.maxCreateRevision > 0) out = out.filter((kv) => kv.createRevision <= request.maxCreateRevision);
  let order = request.sortOrder;
  if (request.sortTarget !== 'KEY' && order === 'NONE') order = 'ASCEND';
  if (order !== 'NONE' && !(request.sortTarget === 'KEY' && order === 'ASCEND')) {
    const field = (kv: KeyValue): number => {
      switch (request.sortTarget) {
        case 'VERSION':
          return kv.version;
        case 'CREATE':
          return kv.createRevision;
        case 'MOD':
          return kv.modRevision;
        default:
          return 0;
      }
    };
    const ascending =
      request.sortTarget === 'KEY'
        ? (a: KeyValue, b: KeyValue) => Buffer.compare(a.key, b.key)
        : request.sortTarget === 'VALUE'
          ? (a: KeyValue, b: KeyValue) => Buffer.compare(a.value, b.value)
          : (a: KeyValue, b: KeyValue) => field(a) - field(b);
    out = [...out].sort(order === 'DESCEND' ? (a, b) => ascending(b, a) : ascending);
  }
  let more = false;
  if (request.limit > 0 && out.length > request.limit) {
    out = out.slice(0, request.limit);
    more = true;
  }
  return { kvs: out, more };
}

/** Why a transaction is refused before it is proposed (etcd's checkTxnRequest / checkIntervals). */
export type TxnCheckFailure = 'tooManyOps' | 'duplicateKey';

interface WriteSet {
  puts: Set<string>;
  deletes: Array<{ start: string; end: string | null; toEnd: boolean }>;
}

function rangeOf(key: Buffer, rangeEnd: Buffer): { start: string; end: string | null; toEnd: boolean } {
  const start = key.toString('latin1');
  if (rangeEnd.length === 0) return { start, end: null, toEnd: false };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: null, toEnd: true };
  return { start, end: rangeEnd.toString('latin1'), toEnd: false };
}

function covers(range: { start: string; end: string | null; toEnd: boolean }, key: string): boolean {
  if (range.toEnd) return key >= range.start;
  if (range.end === null) return key === range.start;
  return key >= range.start && key < range.end;
}

function writeSet(ops: readonly RequestOp[], maxOps: number): WriteSet | TxnCheckFailure {
  const puts = new Set<string>();
  const deletes: WriteSet['deletes'] = [];
  for (const op of ops) {
    if (op.type === 'put') {
      const key = op.put.key.toString('latin1');
      if (puts.has(key)) return 'duplicateKey';
      puts.add(key);
    } else if (op.type === 'deleteRange') {
      deletes.push(rangeOf(op.deleteRange.key, op.deleteRange.rangeEnd));
    } else if (op.type === 'txn') {
      const nested = checkTxnShape(op.txn, maxOps);
      if (typeof nested === 'string') return nested;
      const nestedPuts = new Set<string>();
      for (const branch of nested) {
        for (const key of branch.puts) {
          if (puts.has(key)) return 'duplicateKey';
          nestedPuts.add(key);
        }
        deletes.push(...branch.deletes);
      }
      for (const key of nestedPuts) puts.add(key);
    }
  }
  for (const key of puts) {
    if (deletes.some((range) => covers(range, key))) return 'duplicateKey';
  }
  return { puts, deletes };
}

function checkTxnShape(txn: TxnRequest, maxOps: number): WriteSet[] | TxnCheckFailure {
  if (txn.compare.length > maxOps || txn.success.length > maxOps || txn.failure.length > maxOps) {
    return 'tooManyOps';
  }
  const success = writeSet(txn.success, maxOps);
  if (typeof success === 'string') return success;
  const failure = writeSet(txn.failure, maxOps);
  if (typeof failure === 'string') return failure;
  return [success, failure];
}

/** Checks a transaction's size and that no branch writes a key twice; null when it is acceptable. */
export function checkTxn(txn: TxnRequest, maxOps: number): TxnCheckFailure | null {
  const result = checkTxnShape(txn, maxOps);
  return typeof result === 'string' ? result : null;
}

/** True when the transaction (with nested ones) writes nothing in either branch. */
export function isReadOnlyTxn(txn: TxnRequest): boolean {
  const readOnly = (ops: readonly RequestOp[]): boolean =>
    ops.every((op) => op.type === 'range' || (op.type === 'txn' && isReadOnlyTxn(op.txn)));
  return readOnly(txn.success) && readOnly(txn.failure);
}

/** True when the transaction (with nested ones) contains a put in either branch. */
export function txnHasPut(txn: TxnRequest): boolean {
  const hasPut = (ops: readonly RequestOp[]): boolean =>
    ops.some((op) => op.type === 'put' || (op.type === 'txn' && txnHasPut(op.txn)));
  return hasPut(txn.success) || hasPut(txn.failure);
}
