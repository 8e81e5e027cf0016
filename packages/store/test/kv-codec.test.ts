/**
 * The hand-written etcd codecs (kv-codec.ts, watch-codec.ts) against protobufjs (proto-loader with
 * the etcd options) and the conversions the API applied before them (convert.ts): every request a
 * client can encode decodes to the same MVCC request, and every response decodes (by protobufjs) to
 * the same message the protobufjs path produced.
 */
import { loadEtcdServices } from '@navarch/store';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromWireDeleteRange,
  fromWirePut,
  fromWireRange,
  fromWireTxn,
  toWireDeleteRange,
  toWireKeyValue,
  toWirePut,
  toWireRange,
  toWireTxn,
} from '../src/api/convert.js';
import {
  decodeDeleteRangeRequest,
  decodePutRequest,
  decodeRangeRequest,
  decodeTxnRequest,
  encodeDeleteRangeResponse,
  encodePutResponse,
  encodeRangeResponse,
  encodeTxnResponse,
} from '../src/api/kv-codec.js';
import { encodeWatchResponse, type WatchResponseFields } from '../src/api/watch-codec.js';
import { ProtobufDecodeError } from '../src/grpc/protobuf.js';
import type {
  DeleteRangeResult,
  KeyValue,
  MvccEvent,
  PutResult,
  RangeResult,
  ResponseOp,
  TxnResult,
} from '../src/mvcc/types.js';

interface Codec {
  requestSerialize(value: object): Buffer;
  requestDeserialize(bytes: Buffer): never;
  responseSerialize(value: object): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

const services = loadEtcdServices();
const kv = services.KV as unknown as Record<'Range' | 'Put' | 'DeleteRange' | 'Txn', Codec>;
const watch = services.Watch as unknown as Record<'Watch', Codec>;

/** The message inside a gRPC frame. */
function unframe(framed: Buffer): Buffer {
  expect(framed[0]).toBe(0);
  expect(framed.readUInt32BE(1)).toBe(framed.length - 5);
  return framed.subarray(5);
}

// ---------------------------------------------------------------- arbitraries

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const int64Arb = fc.oneof(
  fc.constantFrom('0', '1', '-1', String(INT64_MAX), String(INT64_MIN), String(2 ** 53), String(2 ** 53 + 1)),
  fc.integer({ min: 0, max: 1_000_000 }).map(String),
  fc.maxSafeInteger().map(String),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).map(String),
);
const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  fc.uint8Array({ minLength: 100, maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
);
/** Enum values: the declared ones, and numbers protobufjs would also send (unknown values). */
const enumArb = (names: readonly string[]) =>
  fc.oneof(fc.constantFrom(...names), fc.integer({ min: -3, max: names.length + 3 }));

const wireRangeArb = fc.record(
  {
    key: bytesArb,
    range_end: bytesArb,
    limit: int64Arb,
    revision: int64Arb,
    sort_order: enumArb(['NONE', 'ASCEND', 'DESCEND']),
    sort_target: enumArb(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']),
    serializable: fc.boolean(),
    keys_only: fc.boolean(),
    count_only: fc.boolean(),
    min_mod_revision: int64Arb,
    max_mod_revision: int64Arb,
    min_create_revision: int64Arb,
    max_create_revision: int64Arb,
  },
  { requiredKeys: [] },
);
const wirePutArb = fc.record(
  {
    key: bytesArb,
    value: bytesArb,
    lease: int64Arb,
    prev_kv: fc.boolean(),
    ignore_value: fc.boolean(),
    ignore_lease: fc.boolean(),
  },
  { requiredKeys: [] },
);
const wireDeleteRangeArb = fc.record(
  { key: bytesArb, range_end: bytesArb, prev_kv: fc.boolean() },
  { requiredKeys: [] },
);
const wireCompareArb = fc
  .tuple(
    fc.record(
      {
        result: enumArb(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL']),
        target: enumArb(['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE']),
        key: bytesArb,
        range_end: bytesArb,
      },
      { requiredKeys: [] },
    ),
    fc.oneof(
      fc.constant({}),
      int64Arb.map((version) => ({ version })),
      int64Arb.map((create_revision) => ({ create_revision })),
      int64Arb.map((mod_revision) => ({ mod_revision })),
      bytesArb.map((value) => ({ value })),
      int64Arb.map((lease) => ({ lease })),
    ),
  )
  .map(([fields, target]) => ({ ...fields, ...target }));
const { wireTxn: wireTxnArb } = fc.letrec<{ wireTxn: object; op: object }>((tie) => ({
  wireTxn: fc.record(
    {
      compare: fc.array(wireCompareArb, { maxLength: 3 }),
      success: fc.array(tie('op'), { maxLength: 3 }),
      failure: fc.array(tie('op'), { maxLength: 3 }),
    },
    { requiredKeys: [] },
  ),
  op: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant({}),
    wireRangeArb.map((request_range) => ({ request_range })),
    wirePutArb.map((request_put) => ({ request_put })),
    wireDeleteRangeArb.map((request_delete_range) => ({ request_delete_range })),
    tie('wireTxn').map((request_txn) => ({ request_txn })),
  ),
}));

const safeArb = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const revisionArb = fc.oneof(fc.integer({ min: 0, max: 1000 }), safeArb);
const leaseIdArb = fc.oneof(fc.constant('0'), fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).map(String));
const keyValueArb: fc.Arbitrary<KeyValue> = fc.record({
  key: bytesArb,
  createRevision: revisionArb,
  modRevision: revisionArb,
  version: revisionArb,
  value: bytesArb,
  lease: leaseIdArb,
});
const headerArb = fc.record({
  cluster_id: safeArb,
  member_id: safeArb,
  revision: revisionArb,
  raft_term: fc.integer({ min: 0, max: 2 ** 40 }),
});
const rangeResultArb: fc.Arbitrary<RangeResult> = fc.record({
  kvs: fc.array(keyValueArb, { maxLength: 4 }),
  more: fc.boolean(),
  count: revisionArb,
});
const putResultArb: fc.Arbitrary<PutResult> = fc.record({
  prevKv: fc.option(keyValueArb, { nil: null }),
});
const deleteRangeResultArb: fc.Arbitrary<DeleteRangeResult> = fc.record({
  deleted: revisionArb,
  prevKvs: fc.array(keyValueArb, { maxLength: 3 }),
});
const { txnResult: txnResultArb } = fc.letrec<{ txnResult: TxnResult; op: ResponseOp }>((tie) => ({
  txnResult: fc.record({ succeeded: fc.boolean(), responses: fc.array(tie('op'), { maxLength: 3 }) }),
  op: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    rangeResultArb.map((range): ResponseOp => ({ type: 'range', range })),
    putResultArb.map((put): ResponseOp => ({ type: 'put', put })),
    deleteRangeResultArb.map((deleteRange): ResponseOp => ({ type: 'deleteRange', deleteRange })),
    tie('txnResult').map((txn): ResponseOp => ({ type: 'txn', txn })),
  ),
}));
const eventArb: fc.Arbitrary<MvccEvent> = fc.record({
  type: fc.constantFrom('PUT', 'DELETE'),
  kv: keyValueArb,
  prevKv: fc.option(keyValueArb, { nil: null }),
});

// ---------------------------------------------------------------- requests

describe('KV request decoders', () => {
  it('decode what protobufjs encodes to the same MVCC requests as the protobufjs path', () => {
    fc.assert(
      fc.property(wireRangeArb, (wire) => {
        const bytes = kv.Range.requestSerialize(wire);
        expect(decodeRangeRequest(bytes)).toEqual(fromWireRange(kv.Range.requestDeserialize(bytes)));
      }),
    );
    fc.assert(
      fc.property(wirePutArb, (wire) => {
        const bytes = kv.Put.requestSerialize(wire);
        expect(decodePutRequest(bytes)).toEqual(fromWirePut(kv.Put.requestDeserialize(bytes)));
      }),
    );
    fc.assert(
      fc.property(wireDeleteRangeArb, (wire) => {
        const bytes = kv.DeleteRange.requestSerialize(wire);
        expect(decodeDeleteRangeRequest(bytes)).toEqual(
          fromWireDeleteRange(kv.DeleteRange.requestDeserialize(bytes)),
        );
      }),
    );
    fc.assert(
      fc.property(wireTxnArb, (wire) => {
        const bytes = kv.Txn.requestSerialize(wire);
        expect(decodeTxnRequest(bytes)).toEqual(fromWireTxn(kv.Txn.requestDeserialize(bytes)));
      }),
    );
  });

  it('skip unknown fields of every wire type and keep the last value of a repeated field', () => {
    const known = kv.Put.requestSerialize({ key: Buffer.from('k'), value: Buffer.from('v1'), lease: '7' });
    const unknown = Buffer.from([
      (10 << 3) | 0,
      0x96,
      0x01, // varint
      (11 << 3) | 1,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // fixed64
      (12 << 3) | 2,
      2,
      0xaa,
      0xbb, // bytes
      (13 << 3) | 5,
      1,
      2,
      3,
      4, // fixed32
      (14 << 3) | 3,
      (1 << 3) | 0,
      5,
      (14 << 3) | 4, // group
      0xc0,
      0x0c,
      0x01, // field 200, a two-byte tag
    ]);
    const later = kv.Put.requestSerialize({ value: Buffer.from('v2') });
    const bytes = Buffer.concat([known, unknown, later]);
    expect(decodePutRequest(bytes)).toEqual(fromWirePut(kv.Put.requestDeserialize(bytes)));
    expect(decodePutRequest(bytes).value.toString()).toBe('v2');
  });

  it('refuse truncated messages and known fields of the wrong wire type', () => {
    const bytes = kv.Put.requestSerialize({ key: Buffer.from('key'), value: Buffer.alloc(300, 1) });
    for (const cut of [1, 3, 10, bytes.length - 1])
      expect(() => decodePutRequest(bytes.subarray(0, cut))).toThrow(ProtobufDecodeError);
    expect(() => decodePutRequest(Buffer.from([(1 << 3) | 0, 1]))).toThrow(ProtobufDecodeError);
    expect(() => decodeTxnRequest(Buffer.from([(2 << 3) | 2, 5, 0x12, 0x03]))).toThrow(ProtobufDecodeError);
  });

  it('refuse transactions nested deeper than protobufjs accepts', () => {
    let txn = kv.Txn.requestSerialize({});
    for (let depth = 0; depth < 120; depth++) {
      const op = Buffer.concat([Buffer.from([(4 << 3) | 2]), varint(txn.length), txn]);
      txn = Buffer.concat([Buffer.from([(2 << 3) | 2]), varint(op.length), op]);
    }
    expect(() => decodeTxnRequest(txn)).toThrow(/nesting depth/);
    expect(() => kv.Txn.requestDeserialize(txn)).toThrow();
  });
});

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

// ---------------------------------------------------------------- responses

describe('KV response encoders', () => {
  it('encode what protobufjs decodes to the message the protobufjs path sent', () => {
    const same = (codec: Codec, framed: Buffer, old: object): void => {
      expect(codec.responseDeserialize(unframe(framed))).toEqual(
        codec.responseDeserialize(codec.responseSerialize(old)),
      );
    };
    fc.assert(
      fc.property(headerArb, rangeResultArb, (header, result) =>
        same(kv.Range, encodeRangeResponse({ header, result }), { header, ...toWireRange(result) }),
      ),
    );
    fc.assert(
      fc.property(headerArb, putResultArb, (header, result) =>
        same(kv.Put, encodePutResponse({ header, result }), { header, ...toWirePut(result) }),
      ),
    );
    fc.assert(
      fc.property(headerArb, deleteRangeResultArb, (header, result) =>
        same(kv.DeleteRange, encodeDeleteRangeResponse({ header, result }), {
          header,
          ...toWireDeleteRange(result),
        }),
      ),
    );
    fc.assert(
      fc.property(headerArb, txnResultArb, (header, result) =>
        same(kv.Txn, encodeTxnResponse({ header, result }), {
          header,
          ...toWireTxn(result, { revision: header.revision }),
        }),
      ),
    );
  });

  it('encode a put response with a previous key-value byte for byte as protobufjs', () => {
    const header = { cluster_id: 0x1234, member_id: 0x5678, revision: 42, raft_term: 3 };
    const prevKv: KeyValue = {
      key: Buffer.from('/registry/pods/a'),
      createRevision: 5,
      modRevision: 41,
      version: 2,
      value: Buffer.from('value'),
      lease: '1',
    };
    const framed = encodePutResponse({ header, result: { prevKv } });
    expect(unframe(framed)).toEqual(kv.Put.responseSerialize({ header, prev_kv: toWireKeyValue(prevKv) }));
  });
});

describe('WatchResponse encoder', () => {
  it('encodes what protobufjs decodes to the message the protobufjs path sent', () => {
    const fieldsArb: fc.Arbitrary<WatchResponseFields> = fc.record(
      {
        header: headerArb,
        watchId: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 1000 }), safeArb),
        created: fc.boolean(),
        canceled: fc.boolean(),
        compactRevision: revisionArb,
        cancelReason: fc.string({ unit: 'grapheme', maxLength: 80 }),
        events: fc.array(eventArb, { maxLength: 4 }),
      },
      { requiredKeys: ['header', 'watchId'] },
    );
    fc.assert(
      fc.property(fieldsArb, (fields) => {
        const old = {
          header: fields.header,
          watch_id: fields.watchId,
          created: fields.created ?? false,
          canceled: fields.canceled ?? false,
          compact_revision: fields.compactRevision ?? 0,
          cancel_reason: fields.cancelReason ?? '',
          events: (fields.events ?? []).map((event) => ({
            type: event.type,
            kv: toWireKeyValue(event.kv),
            prev_kv: event.prevKv === null ? null : toWireKeyValue(event.prevKv),
          })),
        };
        expect(watch.Watch.responseDeserialize(unframe(encodeWatchResponse(fields)))).toEqual(
          watch.Watch.responseDeserialize(watch.Watch.responseSerialize(old)),
        );
      }),
    );
  });
});
