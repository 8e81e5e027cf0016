/** The etcd KV service: Range, Put, DeleteRange, Txn, Compact. */
import type { ServiceImplementation } from '../grpc/call.js';
import { checkTxn, isReadOnlyTxn } from '../mvcc/compare.js';
import type { RequestOp, TxnRequest } from '../mvcc/types.js';
import type { ApiContext, CallSignal } from './context.js';
import {
  fromWireDeleteRange,
  fromWirePut,
  fromWireRange,
  fromWireTxn,
  toNumber,
  toWireDeleteRange,
  toWirePut,
  toWireRange,
  toWireTxn,
  type WireDeleteRangeRequest,
  type WireLong,
  type WirePutRequest,
  type WireRangeRequest,
  type WireTxnRequest,
} from './convert.js';
import { EtcdErrors } from './errors.js';

function checkOps(ops: readonly RequestOp[]): void {
  for (const op of ops) {
    if (op.type === 'range' && op.range.key.length === 0) throw EtcdErrors.emptyKey();
    if (op.type === 'put') {
      if (op.put.key.length === 0) throw EtcdErrors.emptyKey();
      if (op.put.ignoreValue && op.put.value.length > 0) throw EtcdErrors.valueProvided();
      if (op.put.ignoreLease && op.put.lease !== '0') throw EtcdErrors.leaseProvided();
    }
    if (op.type === 'deleteRange' && op.deleteRange.key.length === 0) throw EtcdErrors.emptyKey();
    if (op.type === 'txn') checkTxnRequest(op.txn, Number.POSITIVE_INFINITY);
  }
}

function checkTxnRequest(txn: TxnRequest, maxOps: number): void {
  const failure = checkTxn(txn, maxOps);
  if (failure === 'tooManyOps') throw EtcdErrors.tooManyOps();
  checkOps(txn.success);
  checkOps(txn.failure);
  if (failure === 'duplicateKey') throw EtcdErrors.duplicateKey();
}

function isSerializableTxn(txn: TxnRequest): boolean {
  const ops = [...txn.success, ...txn.failure];
  return ops.every(
    (op) =>
      (op.type === 'range' && op.range.serializable) || (op.type === 'txn' && isSerializableTxn(op.txn)),
  );
}

/** The KV service implementation. */
export function kvService(context: ApiContext): ServiceImplementation {
  const unary = <Request, Response>(
    method: string,
    handler: (request: Request, call: CallSignal) => Promise<Response>,
  ) => context.unary('KV', method, handler);
  return {
    Range: unary('Range', async (wire: WireRangeRequest, call) => {
      const request = fromWireRange(wire);
      if (request.key.length === 0) throw EtcdErrors.emptyKey();
      await context.readBarrier(request.serializable, call);
      const result = context.store.range(request);
      return { header: context.header(), ...toWireRange(result) };
    }),
    Put: unary('Put', async (wire: WirePutRequest, call) => {
      const put = fromWirePut(wire);
      checkOps([{ type: 'put', put }]);
      const result = await context.propose({ type: 'put', put }, call.signal);
      return { header: context.header(result.revision), ...toWirePut(result.put ?? { prevKv: null }) };
    }),
    DeleteRange: unary('DeleteRange', async (wire: WireDeleteRangeRequest, call) => {
      const deleteRange = fromWireDeleteRange(wire);
      if (deleteRange.key.length === 0) throw EtcdErrors.emptyKey();
      const result = await context.propose({ type: 'deleteRange', deleteRange }, call.signal);
      return {
        header: context.header(result.revision),
        ...toWireDeleteRange(result.deleteRange ?? { deleted: 0, prevKvs: [] }),
      };
    }),
    Txn: unary('Txn', async (wire: WireTxnRequest, call) => {
      const txn = fromWireTxn(wire);
      checkTxnRequest(txn, context.limits.maxTxnOps);
      if (isReadOnlyTxn(txn)) {
        await context.readBarrier(isSerializableTxn(txn), call);
        const header = context.header();
        return { header, ...toWireTxn(context.store.readOnlyTxn(txn), { revision: header.revision }) };
      }
      const result = await context.propose({ type: 'txn', txn }, call.signal);
      const header = context.header(result.revision);
      const txnResult = result.txn ?? { succeeded: false, responses: [] };
      return { header, ...toWireTxn(txnResult, { revision: result.revision }) };
    }),
    Compact: unary('Compact', async (wire: { revision?: WireLong; physical?: boolean }, call) => {
      const result = await context.propose(
        { type: 'compact', revision: toNumber(wire.revision) },
        call.signal,
      );
      return { header: context.header(result.revision) };
    }),
  };
}
