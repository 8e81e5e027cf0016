import { status } from '@grpc/grpc-js';
import {
  type AlarmType,
  type Compare,
  type DeleteRangeRequest,
  EtcdStatusError,
  type KeyValue,
  LocalConsensus,
  type MvccDatabase,
  type MvccRequest,
  type MvccResult,
  MvccStore,
  type PutRequest,
  proposeMvccRequest,
  type RangeRequest,
  type RequestOp,
  type ResponseOp,
  rangeRequest,
  type TxnRequest,
  type TxnResult,
} from '@navarch/store';
import { ClassicLevel } from 'classic-level';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTrackedDir, trackedTempDir } from '../../../test/helpers/registry.js';
import {
  decodeRequest,
  decodeResult,
  encodeLegacyJson,
  encodeRequest,
  encodeResult,
  MAX_TXN_DEPTH,
  MvccCodecError,
  MvccCodecErrorCode,
  REQUEST_FORMAT_V1,
  RESULT_FORMAT_V1,
} from '../src/mvcc/request-codec.js';

const INT64_MAX = '9223372036854775807';
const INT64_MIN = '-9223372036854775808';

function bytes(...values: number[]): Buffer {
  return Buffer.from(values);
}

function putRequest(overrides: Partial<PutRequest> = {}): PutRequest {
  return {
    key: Buffer.from('/registry/pods/default/web-0'),
    value: Buffer.from('{"kind":"Pod"}'),
    lease: '0',
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
    ...overrides,
  };
}

function kubernetesRange(overrides: Partial<RangeRequest> = {}): RangeRequest {
  return rangeRequest(Buffer.from('/registry/'), Buffer.from('/registry0'), { limit: 500, ...overrides });
}

function compare(overrides: Partial<Compare> = {}): Compare {
  return {
    result: 'EQUAL',
    target: 'MOD',
    key: Buffer.from('/registry/pods/default/web-0'),
    rangeEnd: Buffer.alloc(0),
    version: 0,
    createRevision: 0,
    modRevision: 41,
    value: Buffer.alloc(0),
    lease: '0',
    ...overrides,
  };
}

function keyValue(overrides: Partial<KeyValue> = {}): KeyValue {
  return {
    key: Buffer.from('a'),
    createRevision: 2,
    modRevision: 9,
    version: 3,
    value: Buffer.from('v'),
    lease: '0',
    ...overrides,
  };
}

/** A transaction the way the Kubernetes API server writes: compare mod_revision, then put or get. */
function kubernetesTxn(valueBytes: number): MvccRequest {
  const key = Buffer.from('/registry/deployments/default/web');
  return {
    type: 'txn',
    txn: {
      compare: [compare({ key, modRevision: 1234 })],
      success: [{ type: 'put', put: putRequest({ key, value: Buffer.alloc(valueBytes, 0x61) }) }],
      failure: [{ type: 'range', range: kubernetesRange({ key, rangeEnd: Buffer.alloc(0), limit: 0 }) }],
    },
  };
}

const SAMPLE_REQUESTS: Array<[string, MvccRequest]> = [
  ['put', { type: 'put', put: putRequest({ prevKv: true, lease: '7587' }) }],
  ['put with an empty key and value', { type: 'put', put: putRequest({ key: bytes(), value: bytes() }) }],
  [
    'put with binary key and value',
    { type: 'put', put: putRequest({ key: bytes(0x00, 0xff, 0x00), value: bytes(0xff, 0x00, 0x7b) }) },
  ],
  ['put of 1 MiB', { type: 'put', put: putRequest({ value: Buffer.alloc(1024 * 1024, 0xab) }) }],
  [
    'put with ignore flags',
    { type: 'put', put: putRequest({ ignoreValue: true, ignoreLease: true, lease: INT64_MIN }) },
  ],
  [
    'deleteRange',
    { type: 'deleteRange', deleteRange: { key: bytes(0x00), rangeEnd: bytes(0xff), prevKv: true } },
  ],
  ['txn', kubernetesTxn(2048)],
  [
    'nested txn with every operation and compare target',
    {
      type: 'txn',
      txn: {
        compare: [
          compare({ target: 'VERSION', result: 'GREATER', version: -1 }),
          compare({ target: 'CREATE', result: 'LESS', createRevision: 2 ** 53 - 1 }),
          compare({ target: 'VALUE', result: 'NOT_EQUAL', value: bytes(0, 255) }),
          compare({ target: 'LEASE', lease: INT64_MAX, rangeEnd: bytes(0) }),
        ],
        success: [
          {
            type: 'range',
            range: kubernetesRange({
              sortOrder: 'DESCEND',
              sortTarget: 'VALUE',
              serializable: true,
              keysOnly: true,
              countOnly: true,
              revision: -5,
              minModRevision: 1,
              maxModRevision: 2,
              minCreateRevision: 3,
              maxCreateRevision: 4,
            }),
          },
          {
            type: 'txn',
            txn: {
              compare: [],
              success: [
                { type: 'deleteRange', deleteRange: { key: bytes(1), rangeEnd: bytes(), prevKv: false } },
              ],
              failure: [{ type: 'txn', txn: { compare: [], success: [], failure: [] } }],
            },
          },
        ],
        failure: [{ type: 'put', put: putRequest() }],
      },
    },
  ],
  ['compact', { type: 'compact', revision: 123_456_789 }],
  ['leaseGrant', { type: 'leaseGrant', id: INT64_MAX, ttlSeconds: 9_000_000_000 }],
  ['leaseGrant of lease -1', { type: 'leaseGrant', id: '-1', ttlSeconds: 0 }],
  ['leaseRevoke', { type: 'leaseRevoke', id: '-1' }],
  ['leaseRenew', { type: 'leaseRenew', id: INT64_MIN }],
  ['alarm activate', { type: 'alarm', action: 'ACTIVATE', memberId: 0x1234_5678_9abc, alarm: 'NOSPACE' }],
  ['alarm deactivate', { type: 'alarm', action: 'DEACTIVATE', memberId: 0, alarm: 'CORRUPT' }],
  // Numbers the gRPC edge can produce from int64 strings: beyond 2^53, and uint64 member ids.
  ['compact beyond 2^53', { type: 'compact', revision: Number(INT64_MAX) }],
  [
    'alarm of a uint64 member',
    { type: 'alarm', action: 'ACTIVATE', memberId: 2 ** 64 - 2 ** 12, alarm: 'NONE' },
  ],
];

const SAMPLE_RESULTS: Array<[string, MvccResult]> = [
  ['revision only', { revision: 1 }],
  ['error', { revision: 77, error: 'NAVARCH_ERR_COMPACTED' }],
  ['put without prevKv', { revision: 3, put: { prevKv: null } }],
  ['put with prevKv', { revision: 3, put: { prevKv: keyValue({ key: bytes(0x00), value: bytes(0xff) }) } }],
  [
    'deleteRange',
    { revision: 4, deleteRange: { deleted: 2, prevKvs: [keyValue(), keyValue({ lease: INT64_MAX })] } },
  ],
  [
    'nested txn',
    {
      revision: 9,
      txn: {
        succeeded: true,
        responses: [
          {
            type: 'range',
            range: { kvs: [keyValue({ value: Buffer.alloc(1024 * 1024, 1) })], more: true, count: 9 },
          },
          { type: 'put', put: { prevKv: null } },
          { type: 'deleteRange', deleteRange: { deleted: 0, prevKvs: [] } },
          {
            type: 'txn',
            txn: { succeeded: false, responses: [{ type: 'put', put: { prevKv: keyValue() } }] },
          },
        ],
      },
    },
  ],
  ['lease', { revision: 1, lease: { id: '-1', ttlSeconds: 60 } }],
  [
    'alarms',
    {
      revision: 1,
      alarms: [
        { memberId: 1, alarm: 'NOSPACE' },
        { memberId: 2 ** 53 + 2, alarm: 'CORRUPT' },
      ],
    },
  ],
  ['no alarms', { revision: 1, alarms: [] }],
];

/**
 * `value` with every byte array replaced by a string of its bytes, so that toEqual compares large
 * values at once instead of byte by byte (numbers keep their exact identity, -0 included).
 */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('base64')}`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, plain(field)]));
  }
  return value;
}

function expectMalformed(decode: () => unknown): void {
  let caught: unknown;
  try {
    decode();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MvccCodecError);
  expect((caught as MvccCodecError).code).toBe(MvccCodecErrorCode.Malformed);
}

function nestTxn(depth: number): TxnRequest {
  let txn: TxnRequest = { compare: [], success: [], failure: [] };
  for (let level = 1; level < depth; level++) {
    txn = { compare: [], success: [{ type: 'txn', txn }], failure: [] };
  }
  return txn;
}

// ---------------------------------------------------------------- arbitraries

const bufferArb = fc
  .oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.constantFrom(new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(0xff), Uint8Array.of(0x7b)),
    fc.uint8Array({ minLength: 100, maxLength: 3000 }),
  )
  .map((array) => Buffer.from(array));
/** Every number the gRPC edge or a caller may put in a numeric field, incl. -0, NaN and fractions. */
const numberArb = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.maxSafeInteger(),
  fc.double(),
  fc.constantFrom(2 ** 53, 2 ** 63, -(2 ** 63), 2 ** 64, -0, 2 ** 32, 2 ** 32 - 1, 2 ** 31, 63, 64, -64, -65),
);
const leaseArb = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.constantFrom('0', '-1', INT64_MAX, INT64_MIN),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
);
const booleanArb = fc.boolean();

const putArb: fc.Arbitrary<PutRequest> = fc.record({
  key: bufferArb,
  value: bufferArb,
  lease: leaseArb,
  prevKv: booleanArb,
  ignoreValue: booleanArb,
  ignoreLease: booleanArb,
});
const deleteRangeArb: fc.Arbitrary<DeleteRangeRequest> = fc.record({
  key: bufferArb,
  rangeEnd: bufferArb,
  prevKv: booleanArb,
});
const rangeArb: fc.Arbitrary<RangeRequest> = fc.record({
  key: bufferArb,
  rangeEnd: bufferArb,
  limit: numberArb,
  revision: numberArb,
  sortOrder: fc.constantFrom('NONE', 'ASCEND', 'DESCEND'),
  sortTarget: fc.constantFrom('KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'),
  serializable: booleanArb,
  keysOnly: booleanArb,
  countOnly: booleanArb,
  minModRevision: numberArb,
  maxModRevision: numberArb,
  minCreateRevision: numberArb,
  maxCreateRevision: numberArb,
});
const compareArb: fc.Arbitrary<Compare> = fc.record({
  result: fc.constantFrom('EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'),
  target: fc.constantFrom('VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'),
  key: bufferArb,
  rangeEnd: bufferArb,
  version: numberArb,
  createRevision: numberArb,
  modRevision: numberArb,
  value: bufferArb,
  lease: leaseArb,
});
const txnArb: fc.Arbitrary<TxnRequest> = fc.letrec<{ txn: TxnRequest; op: RequestOp }>((tie) => ({
  txn: fc.record({
    compare: fc.array(compareArb, { maxLength: 3 }),
    success: fc.array(tie('op'), { maxLength: 3 }),
    failure: fc.array(tie('op'), { maxLength: 3 }),
  }),
  op: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'txn' },
    rangeArb.map((range): RequestOp => ({ type: 'range', range })),
    putArb.map((put): RequestOp => ({ type: 'put', put })),
    deleteRangeArb.map((deleteRange): RequestOp => ({ type: 'deleteRange', deleteRange })),
    tie('txn').map((txn): RequestOp => ({ type: 'txn', txn })),
  ),
})).txn;
const alarmTypeArb = fc.constantFrom<AlarmType>('NONE', 'NOSPACE', 'CORRUPT');
const requestArb: fc.Arbitrary<MvccRequest> = fc.oneof(
  putArb.map((put): MvccRequest => ({ type: 'put', put })),
  deleteRangeArb.map((deleteRange): MvccRequest => ({ type: 'deleteRange', deleteRange })),
  txnArb.map((txn): MvccRequest => ({ type: 'txn', txn })),
  numberArb.map((revision): MvccRequest => ({ type: 'compact', revision })),
  fc
    .record({ id: leaseArb, ttlSeconds: numberArb })
    .map(({ id, ttlSeconds }): MvccRequest => ({ type: 'leaseGrant', id, ttlSeconds })),
  leaseArb.map((id): MvccRequest => ({ type: 'leaseRevoke', id })),
  leaseArb.map((id): MvccRequest => ({ type: 'leaseRenew', id })),
  fc
    .record({
      action: fc.constantFrom<'ACTIVATE' | 'DEACTIVATE'>('ACTIVATE', 'DEACTIVATE'),
      memberId: numberArb,
      alarm: alarmTypeArb,
    })
    .map((alarm): MvccRequest => ({ type: 'alarm', ...alarm })),
);

const keyValueArb: fc.Arbitrary<KeyValue> = fc.record({
  key: bufferArb,
  createRevision: numberArb,
  modRevision: numberArb,
  version: numberArb,
  value: bufferArb,
  lease: leaseArb,
});
const txnResultArb: fc.Arbitrary<TxnResult> = fc.letrec<{ txn: TxnResult; response: ResponseOp }>((tie) => ({
  txn: fc.record({ succeeded: booleanArb, responses: fc.array(tie('response'), { maxLength: 3 }) }),
  response: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'txnResult' },
    fc
      .record({ kvs: fc.array(keyValueArb, { maxLength: 3 }), more: booleanArb, count: numberArb })
      .map((range): ResponseOp => ({ type: 'range', range })),
    fc.option(keyValueArb).map((prevKv): ResponseOp => ({ type: 'put', put: { prevKv } })),
    fc
      .record({ deleted: numberArb, prevKvs: fc.array(keyValueArb, { maxLength: 3 }) })
      .map((deleteRange): ResponseOp => ({ type: 'deleteRange', deleteRange })),
    tie('txn').map((txn): ResponseOp => ({ type: 'txn', txn })),
  ),
})).txn;
const resultArb: fc.Arbitrary<MvccResult> = fc.record(
  {
    revision: numberArb,
    error: fc.constantFrom('NAVARCH_ERR_COMPACTED', 'NAVARCH_ERR_NO_SPACE', 'NAVARCH_ERR_LEASE_NOT_FOUND'),
    put: fc.option(keyValueArb).map((prevKv) => ({ prevKv })),
    deleteRange: fc.record({ deleted: numberArb, prevKvs: fc.array(keyValueArb, { maxLength: 3 }) }),
    txn: txnResultArb,
    lease: fc.record({ id: leaseArb, ttlSeconds: numberArb }),
    alarms: fc.array(fc.record({ memberId: numberArb, alarm: alarmTypeArb }), { maxLength: 3 }),
  },
  { requiredKeys: ['revision'] },
);

// ---------------------------------------------------------------- tests

describe('request codec', () => {
  it.each(SAMPLE_REQUESTS)('round-trips a request: %s', (_name, request) => {
    const encoded = encodeRequest(request);
    expect(encoded[0]).toBe(REQUEST_FORMAT_V1);
    expect(Buffer.isBuffer(encoded)).toBe(true);
    expect(plain(decodeRequest(encoded))).toEqual(plain(request));
  });

  it('round-trips random requests exactly', () => {
    fc.assert(
      fc.property(requestArb, (request) => {
        expect(plain(decodeRequest(encodeRequest(request)))).toEqual(plain(request));
      }),
      { numRuns: 300 },
    );
  });

  it('is smaller than the JSON encoding for binary values', () => {
    const request = kubernetesTxn(2048);
    expect(encodeRequest(request).length).toBeLessThan(encodeLegacyJson(request).length * 0.8);
  });

  it('decodes legacy JSON requests written before the binary format', () => {
    // Exactly what the old encodeRequest wrote for a put (as found in existing Raft logs).
    const onDisk = Buffer.from(
      '{"type":"put","put":{"key":{"$b":"AP8="},"value":{"$b":"aGVsbG8="},"lease":"-1",' +
        '"prevKv":true,"ignoreValue":false,"ignoreLease":false}}',
    );
    const decoded = decodeRequest(onDisk);
    expect(decoded.type === 'put' && Buffer.isBuffer(decoded.put.key)).toBe(true);
    expect(plain(decoded)).toEqual(
      plain({
        type: 'put',
        put: putRequest({ key: bytes(0x00, 0xff), value: Buffer.from('hello'), lease: '-1', prevKv: true }),
      }),
    );
    for (const [, request] of SAMPLE_REQUESTS) {
      // JSON never had -0, NaN or Infinity; the samples have none of those.
      expect(plain(decodeRequest(encodeLegacyJson(request)))).toEqual(plain(request));
    }
  });

  it('throws MvccCodecError on every truncation of a request', () => {
    for (const [, request] of SAMPLE_REQUESTS.filter(([name]) => name !== 'put of 1 MiB')) {
      const encoded = Buffer.from(encodeRequest(request));
      for (let length = 0; length < encoded.length; length++) {
        expectMalformed(() => decodeRequest(encoded.subarray(0, length)));
      }
    }
    const large = Buffer.from(encodeRequest(SAMPLE_REQUESTS[3]?.[1] as MvccRequest));
    expectMalformed(() => decodeRequest(large.subarray(0, large.length - 1)));
    expectMalformed(() => decodeRequest(large.subarray(0, 8)));
  });

  it('throws MvccCodecError on garbage', () => {
    const put = Buffer.from(encodeRequest({ type: 'put', put: putRequest() }));
    expectMalformed(() => decodeRequest(Buffer.concat([put, bytes(0)]))); // trailing byte
    expectMalformed(() => decodeRequest(bytes(0x00, 1))); // unknown format byte
    expectMalformed(() => decodeRequest(bytes(RESULT_FORMAT_V1, 0, 0))); // a result is not a request
    expectMalformed(() => decodeRequest(bytes(REQUEST_FORMAT_V1, 99))); // unknown kind
    expectMalformed(() => decodeRequest(bytes(REQUEST_FORMAT_V1, 1, 0x08, 0, 0, 1, 0x30))); // unknown put flag
    expectMalformed(() => decodeRequest(bytes(REQUEST_FORMAT_V1, 1, 0, 0x05, 0x61))); // key longer than input
    expectMalformed(() => decodeRequest(bytes(REQUEST_FORMAT_V1, 2, 2, 0, 0))); // boolean that is 2
    expectMalformed(() => decodeRequest(bytes(REQUEST_FORMAT_V1, 8, 0, 0, 7))); // unknown alarm type
    expectMalformed(() => decodeRequest(bytes(REQUEST_FORMAT_V1, 3, 0, 1, 9, 0))); // unknown op tag
    // A uvarint longer than 8 bytes, and one beyond 2^53.
    expectMalformed(() => decodeRequest(bytes(REQUEST_FORMAT_V1, 3, ...Array(9).fill(0xff), 0)));
    expectMalformed(() =>
      decodeRequest(bytes(REQUEST_FORMAT_V1, 4, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)),
    );
    // A count of compares larger than the bytes left.
    expectMalformed(() => decodeRequest(bytes(REQUEST_FORMAT_V1, 3, 0x80, 0x01)));
    expectMalformed(() => decodeRequest(bytes()));
    expectMalformed(() => decodeRequest(Buffer.from('{"type":"put",')));
    expectMalformed(() => decodeRequest(Buffer.from('{}[]')));
  });

  it('rejects transactions nested deeper than MAX_TXN_DEPTH, encoding and decoding', () => {
    const deepest: MvccRequest = { type: 'txn', txn: nestTxn(MAX_TXN_DEPTH) };
    expect(plain(decodeRequest(encodeRequest(deepest)))).toEqual(plain(deepest));
    const tooDeep: MvccRequest = { type: 'txn', txn: nestTxn(MAX_TXN_DEPTH + 1) };
    expect(() => encodeRequest(tooDeep)).toThrow(
      expect.objectContaining({ code: MvccCodecErrorCode.Unencodable }) as Error,
    );
    // Hand-made bytes of the same nesting: each level is "no compares, one success op that is a txn".
    const level = [0, 1, 4];
    const handMade = bytes(
      REQUEST_FORMAT_V1,
      3,
      ...Array.from({ length: MAX_TXN_DEPTH }, () => level).flat(),
      0,
      0,
      0,
      ...Array(MAX_TXN_DEPTH).fill(0),
    );
    expectMalformed(() => decodeRequest(handMade));
  });

  it('fails to encode enum values outside the tables', () => {
    const bad = { type: 'put', put: putRequest() } as MvccRequest;
    const sort = {
      type: 'txn',
      txn: {
        compare: [],
        success: [{ type: 'range', range: kubernetesRange({ sortOrder: 'SIDEWAYS' as 'NONE' }) }],
        failure: [],
      },
    } as MvccRequest;
    expect(() => encodeRequest(sort)).toThrow(MvccCodecError);
    expect(() => encodeRequest({ ...bad, type: 'frobnicate' } as unknown as MvccRequest)).toThrow(
      MvccCodecError,
    );
  });
});

describe('result codec', () => {
  it.each(SAMPLE_RESULTS)('round-trips a result: %s', (_name, result) => {
    const encoded = encodeResult(result);
    expect(encoded[0]).toBe(RESULT_FORMAT_V1);
    expect(plain(decodeResult(encoded))).toEqual(plain(result));
  });

  it('round-trips random results exactly', () => {
    fc.assert(
      fc.property(resultArb, (result) => {
        expect(plain(decodeResult(encodeResult(result)))).toEqual(plain(result));
      }),
      { numRuns: 300 },
    );
  });

  it('decodes legacy JSON results', () => {
    for (const [, result] of SAMPLE_RESULTS)
      expect(plain(decodeResult(encodeLegacyJson(result)))).toEqual(plain(result));
  });

  it('throws MvccCodecError on every truncation and on garbage', () => {
    for (const [name, result] of SAMPLE_RESULTS) {
      if (name === 'nested txn') continue; // 1 MiB: a few cuts below are enough
      const encoded = Buffer.from(encodeResult(result));
      for (let length = 0; length < encoded.length; length++) {
        expectMalformed(() => decodeResult(encoded.subarray(0, length)));
      }
    }
    const large = Buffer.from(encodeResult(SAMPLE_RESULTS[5]?.[1] as MvccResult));
    for (const cut of [1, 2, 100, large.length - 1])
      expectMalformed(() => decodeResult(large.subarray(0, cut)));
    expectMalformed(() => decodeResult(bytes(RESULT_FORMAT_V1, 2, 0x40))); // unknown presence bit
    expectMalformed(() => decodeResult(bytes(REQUEST_FORMAT_V1, 1, 0)));
    expectMalformed(() => decodeResult(bytes(RESULT_FORMAT_V1, 2, 0, 0)));
  });

  it('never throws anything but MvccCodecError on random bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(REQUEST_FORMAT_V1, RESULT_FORMAT_V1),
        fc.uint8Array({ maxLength: 64 }),
        (format, tail) => {
          const input = Buffer.concat([bytes(format), tail]);
          for (const decode of [decodeRequest, decodeResult]) {
            try {
              decode(input);
            } catch (error) {
              expect(error).toBeInstanceOf(MvccCodecError);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('MvccStore.apply with the binary codec', () => {
  const directories: string[] = [];
  const databases: ClassicLevel<Buffer, Buffer>[] = [];

  async function openStore(): Promise<MvccStore> {
    const directory = trackedTempDir('navarch-codec-');
    directories.push(directory);
    const root = new ClassicLevel<Buffer, Buffer>(directory, {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    await root.open();
    databases.push(root);
    const db: MvccDatabase = root.sublevel<Buffer, Buffer>('mvcc', {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    const store = new MvccStore({ db });
    await store.open();
    return store;
  }

  afterEach(async () => {
    for (const db of databases.splice(0)) await db.close();
    for (const directory of directories.splice(0)) removeTrackedDir(directory);
  });

  it('applies the same whether the result is wanted or not, and legacy JSON entries alike', async () => {
    const wanted = await openStore();
    const unwanted = await openStore();
    const log: MvccRequest[] = [
      { type: 'leaseGrant', id: '-1', ttlSeconds: 60 },
      { type: 'put', put: putRequest({ key: bytes(0x00), lease: '-1' }) },
      kubernetesTxn(2048),
      { type: 'put', put: putRequest({ key: Buffer.from('/registry/deployments/default/web') }) },
      { type: 'deleteRange', deleteRange: { key: bytes(0x00), rangeEnd: bytes(), prevKv: true } },
    ];
    log.forEach((request, i) => {
      // The second store reads every other entry in the legacy format, as after an upgrade.
      const result = wanted.apply(i + 1, encodeRequest(request), true);
      expect(decodeResult(result).error).toBeUndefined();
      const legacy = i % 2 === 0 ? encodeLegacyJson(request) : encodeRequest(request);
      expect(unwanted.apply(i + 1, legacy, false)).toHaveLength(0);
    });
    expect(wanted.appliedIndex()).toBe(log.length);
    expect(unwanted.hashKv(0)).toEqual(wanted.hashKv(0));
    expect(wanted.currentRevision()).toBe(4);
  });

  it('answers a client request the codec cannot encode with INVALID_ARGUMENT and applies nothing', async () => {
    const store = await openStore();
    const consensus = new LocalConsensus(store);
    const limits = { maxRequestBytes: 1024 * 1024, quotaBackendBytes: 1024 * 1024 * 1024 };
    const request = {
      type: 'txn',
      txn: { compare: [compare({ result: 'ROUGHLY' as 'EQUAL' })], success: [], failure: [] },
    } as MvccRequest;
    const failure = await proposeMvccRequest(consensus, store, limits, request).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(EtcdStatusError);
    expect((failure as EtcdStatusError).code).toBe(status.INVALID_ARGUMENT);
    expect(store.appliedIndex()).toBe(0);
    const ok = await proposeMvccRequest(consensus, store, limits, kubernetesTxn(16));
    expect(ok).toMatchObject({ revision: 1, txn: { succeeded: false } });
  });
});
