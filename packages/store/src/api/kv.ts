/** The etcd KV service: Range, Put, DeleteRange, Txn, Compact. */
import type { ServiceImplementation } from '../grpc/call.js';
import type { GrpcMethodDefinition, GrpcServiceDefinition } from '../grpc/server.js';
import { checkTxn, isReadOnlyTxn } from '../mvcc/compare.js';
import type {
  DeleteRangeRequest,
  PutRequest,
  PutResult,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '../mvcc/types.js';
import type { ApiContext, CallSignal } from './context.js';
import { toNumber, type WireLong } from './convert.js';
import { EtcdErrors } from './errors.js';
import {
  type DeleteRangeResponseFields,
  decodeDeleteRangeRequest,
  decodePutRequest,
  decodeRangeRequest,
  decodeTxnRequest,
  encodeDeleteRangeResponse,
  encodePutResponse,
  encodeRangeResponse,
  encodeTxnResponse,
  type PutResponseFields,
  type RangeResponseFields,
  type TxnResponseFields,
} from './kv-codec.js';

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

/** The KV service implementation (requests and responses as kv-codec.ts decodes and encodes them). */
export function kvService(context: ApiContext): ServiceImplementation {
  const unary = <Request, Response>(
    method: string,
    handler: (request: Request, call: CallSignal) => Promise<Response>,
  ) => context.unary('KV', method, handler);
  return {
    Range: unary('Range', async (request: RangeRequest, call): Promise<RangeResponseFields> => {
      if (request.key.length === 0) throw EtcdErrors.emptyKey();
      await context.readBarrier(request.serializable, call);
      const result = context.store.range(request);
      return { header: context.header(), result };
    }),
    Put: unary('Put', async (put: PutRequest, call): Promise<PutResponseFields> => {
      checkOps([{ type: 'put', put }]);
      const result = await context.propose({ type: 'put', put }, call);
      return { header: context.header(result.revision), result: result.put ?? NO_PUT_RESULT };
    }),
    DeleteRange: unary(
      'DeleteRange',
      async (deleteRange: DeleteRangeRequest, call): Promise<DeleteRangeResponseFields> => {
        if (deleteRange.key.length === 0) throw EtcdErrors.emptyKey();
        const result = await context.propose({ type: 'deleteRange', deleteRange }, call);
        return {
          header: context.header(result.revision),
          result: result.deleteRange ?? { deleted: 0, prevKvs: [] },
        };
      },
    ),
    Txn: unary('Txn', async (txn: TxnRequest, call): Promise<TxnResponseFields> => {
      checkTxnRequest(txn, context.limits.maxTxnOps);
      if (isReadOnlyTxn(txn)) {
        await context.readBarrier(isSerializableTxn(txn), call);
        return { header: context.header(), result: context.store.readOnlyTxn(txn) };
      }
      const result = await context.propose({ type: 'txn', txn }, call);
      return {
        header: context.header(result.revision),
        result: result.txn ?? { succeeded: false, responses: [] },
      };
    }),
    Compact: unary('Compact', async (wire: { revision?: WireLong; physical?: boolean }, call) => {
      const result = await context.propose({ type: 'compact', revision: toNumber(wire.revision) }, call);
      return { header: context.header(result.revision) };
    }),
  };
}

const NO_PUT_RESULT: PutResult = { prevKv: null };

/**
 * The KV service definition with the hand-written codecs of kv-codec.ts for Range, Put,
 * DeleteRange and Txn (protobufjs for Compact), for {@link kvService}'s handlers.
 */
export function kvServiceDefinition(protobufDefinition: GrpcServiceDefinition): GrpcServiceDefinition {
  const method = (
    name: string,
    requestDeserialize: (bytes: Buffer) => unknown,
    responseSerializeFramed: (response: never) => Buffer,
  ): GrpcMethodDefinition => {
    const base = protobufDefinition[name];
    if (base === undefined) throw new Error(`the KV service definition has no method ${name}`);
    return { ...base, requestDeserialize, responseSerializeFramed };
  };
  return {
    ...protobufDefinition,
    Range: method('Range', decodeRangeRequest, encodeRangeResponse),
    Put: method('Put', decodePutRequest, encodePutResponse),
    DeleteRange: method('DeleteRange', decodeDeleteRangeRequest, encodeDeleteRangeResponse),
    Txn: method('Txn', decodeTxnRequest, encodeTxnResponse),
  };
}
