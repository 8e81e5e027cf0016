import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMessageBatch,
  encodeFramedMessageBatch,
  encodeMessageBatch,
  GRPC_PREFIX_BYTES,
} from '../src/transport/batch-codec.js';
import { type MessageBatch, raftPeerService } from '../src/transport/peer-proto.js';

// proto-loader's (protobufjs) codec of the same message: the reference the hand-written one must match.
const send = raftPeerService().service.Send!;
const referenceEncode = (batch: MessageBatch): Buffer => send.requestSerialize(batch);
const referenceDecode = (bytes: Buffer): MessageBatch => send.requestDeserialize(bytes) as MessageBatch;

const id = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 2 ** 32 }),
  fc.constant(Number.MAX_SAFE_INTEGER),
);
const batches = fc.record({
  cluster_id: id,
  from: id,
  to: id,
  messages: fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
});

const plain = (batch: MessageBatch) => ({ ...batch, messages: batch.messages.map((m) => [...m]) });

describe('MessageBatch codec', () => {
  it('reads what protobufjs writes, and protobufjs reads what it writes', () => {
    fc.assert(
      fc.property(batches, (batch) => {
        const ours = encodeMessageBatch(batch);
        expect(plain(decodeMessageBatch(referenceEncode(batch)))).toEqual(plain(batch));
        expect(plain(referenceDecode(ours))).toEqual(plain(batch));
      }),
    );
  });

  it('frames a batch as one gRPC message: uncompressed flag and big-endian length first', () => {
    const batch = { cluster_id: 7, from: 1, to: 2, messages: [Buffer.from('raft')] };
    const framed = encodeFramedMessageBatch(batch);
    expect(framed[0]).toBe(0);
    expect(framed.readUInt32BE(1)).toBe(framed.length - GRPC_PREFIX_BYTES);
    expect(plain(decodeMessageBatch(framed.subarray(GRPC_PREFIX_BYTES)))).toEqual(plain(batch));
  });

  it('skips unknown fields and rejects truncated input instead of misreading it', () => {
    const batch = { cluster_id: 7, from: 1, to: 2, messages: [Buffer.from('abc')] };
    const bytes = encodeMessageBatch(batch);
    // field 9, varint 5; field 10, fixed32; then the real fields.
    const withUnknown = Buffer.concat([Buffer.from([9 << 3, 5, (10 << 3) | 5, 1, 2, 3, 4]), bytes]);
    expect(plain(decodeMessageBatch(withUnknown))).toEqual(plain(batch));
    for (let cut = 1; cut < bytes.length; cut++) {
      const truncated = bytes.subarray(0, cut);
      let decoded: MessageBatch | undefined;
      try {
        decoded = decodeMessageBatch(truncated);
      } catch (err) {
        expect((err as Error).message).toMatch(/^MessageBatch: /);
        continue;
      }
      // A cut at a field boundary is a valid, shorter message: never the original one.
      expect(plain(decoded)).not.toEqual(plain(batch));
    }
    expect(() => encodeMessageBatch({ ...batch, from: -1 })).toThrow(RangeError);
  });
});
