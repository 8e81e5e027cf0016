/**
 * Protocol Buffers encoding of the few etcd v3 messages the API server sends and receives
 * (proto/etcd/rpc.proto and kv.proto: Range, Txn, Compact, Watch, and Status's leader fields), written by hand. A generic
 * codec (protobufjs, as the etcd3 library uses through grpc-js) builds plain objects with every
 * default filled in and converts 64-bit fields through `Long` on every call; the API server pays
 * that on each create and each watch event. Field numbers and types follow the .proto files;
 * unknown fields are skipped, as protobuf requires, so newer servers stay readable.
 *
 * Revisions are int64 on the wire and `number` here: etcd revisions stay far below 2^53.
 * Decoded `bytes` fields are views into the response buffer (no copy).
 */

/** A decoded mvccpb.KeyValue (the fields the API server reads). */
export interface WireKeyValue {
  readonly key: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly value: Buffer;
}

/** A decoded RangeResponse. */
export interface WireRangeResponse {
  readonly revision: number;
  readonly kvs: WireKeyValue[];
  readonly more: boolean;
}

/** A decoded TxnResponse; `responses` holds the kvs of each range response (empty for other ops). */
export interface WireTxnResponse {
  readonly revision: number;
  readonly succeeded: boolean;
  readonly responses: WireKeyValue[][];
}

/** A decoded mvccpb.Event. */
export interface WireEvent {
  readonly type: 'put' | 'delete';
  readonly kv: WireKeyValue;
  readonly prevKv: WireKeyValue | undefined;
}

/** A decoded WatchResponse. */
export interface WireWatchResponse {
  readonly revision: number;
  readonly watchId: number;
  readonly created: boolean;
  readonly canceled: boolean;
  readonly compactRevision: number;
  readonly cancelReason: string;
  readonly events: WireEvent[];
}

/** A compare of a TxnRequest (EQUAL only: all the API server needs). */
export type WireCompare =
  | { readonly key: Buffer; readonly target: 'mod'; readonly equals: number }
  | { readonly key: Buffer; readonly target: 'value'; readonly equals: Buffer };

/** A request op of a TxnRequest. */
export type WireRequestOp =
  | { readonly range: Buffer }
  | { readonly put: Buffer; readonly value: Buffer }
  | { readonly delete: Buffer };

// ---- encoding ---------------------------------------------------------------------------------

const wireVarint = 0;
const wireBytes = 2;

/** Accumulates one message; nested messages are encoded first and written as bytes. */
class Writer {
  private readonly parts: Buffer[] = [];
  /** Tag and length bytes not yet in `parts`. */
  private scratch: number[] = [];

  private flushScratch(): void {
    if (this.scratch.length === 0) return;
    this.parts.push(Buffer.from(this.scratch));
    this.scratch = [];
  }

  private varint(value: number): void {
    // Non-negative integers up to 2^53 (revisions, lengths, tags, enums, booleans).
    let v = value;
    while (v > 0x7f) {
      this.scratch.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.scratch.push(v);
  }

  /** A varint field; zero is skipped (proto3 default) unless `always` (a oneof member). */
  uint(field: number, value: number, always = false): this {
    if (value === 0 && !always) return this;
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value} as a varint`);
    this.varint((field << 3) | wireVarint);
    this.varint(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    return value ? this.uint(field, 1) : this;
  }

  /** A length-delimited field; empty is skipped unless `always` (a oneof member or a set message). */
  bytes(field: number, value: Buffer, always = false): this {
    if (value.length === 0 && !always) return this;
    this.varint((field << 3) | wireBytes);
    this.varint(value.length);
    this.flushScratch();
    this.parts.push(value);
    return this;
  }

  finish(): Buffer {
    this.flushScratch();
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
  }
}

/** RangeRequest: keys in [key, rangeEnd) (rangeEnd empty: the one key), at `revision` (0 = latest). */
export function encodeRangeRequest(
  key: Buffer,
  rangeEnd: Buffer,
  limit: number,
  revision: number,
  keysOnly = false,
): Buffer {
  return new Writer()
    .bytes(1, key, true)
    .bytes(2, rangeEnd)
    .uint(3, limit)
    .uint(4, revision)
    .bool(8, keysOnly)
    .finish();
}

function encodeCompare(c: WireCompare): Buffer {
  const w = new Writer().uint(1, 0); // EQUAL
  if (c.target === 'mod') return w.uint(2, 2).bytes(3, c.key, true).uint(6, c.equals, true).finish();
  return w.uint(2, 3).bytes(3, c.key, true).bytes(7, c.equals, true).finish();
}

function encodeRequestOp(op: WireRequestOp): Buffer {
  if ('range' in op)
    return new Writer().bytes(1, encodeRangeRequest(op.range, Buffer.alloc(0), 0, 0), true).finish();
  if ('put' in op) {
    const put = new Writer().bytes(1, op.put, true).bytes(2, op.value).finish();
    return new Writer().bytes(2, put, true).finish();
  }
  return new Writer().bytes(3, new Writer().bytes(1, op.delete, true).finish(), true).finish();
}

/** TxnRequest. */
export function encodeTxnRequest(
  compares: readonly WireCompare[],
  success: readonly WireRequestOp[],
  failure: readonly WireRequestOp[],
): Buffer {
  const w = new Writer();
  for (const c of compares) w.bytes(1, encodeCompare(c), true);
  for (const op of success) w.bytes(2, encodeRequestOp(op), true);
  for (const op of failure) w.bytes(3, encodeRequestOp(op), true);
  return w.finish();
}

/** CompactionRequest. */
export function encodeCompactionRequest(revision: number, physical: boolean): Buffer {
  return new Writer().uint(1, revision).bool(2, physical).finish();
}

/** WatchRequest with a create_request for keys in [key, rangeEnd) from `startRevision`. */
export function encodeWatchCreate(
  key: Buffer,
  rangeEnd: Buffer,
  startRevision: number,
  prevKv: boolean,
): Buffer {
  const create = new Writer()
    .bytes(1, key, true)
    .bytes(2, rangeEnd)
    .uint(3, startRevision)
    .bool(6, prevKv)
    .finish();
  return new Writer().bytes(1, create, true).finish();
}

// ---- decoding ---------------------------------------------------------------------------------

/** Reads fields of one message in `buf[start, end)`. */
class Reader {
  pos: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let factor = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('etcd response: truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * factor;
      if (b < 0x80) return result;
      factor *= 0x80;
      if (factor > 2 ** 70) throw new Error('etcd response: varint too long');
    }
  }

  /** A varint of up to 64 bits, exactly (member ids are random 64-bit numbers). */
  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('etcd response: truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('etcd response: varint too long');
    }
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const t = this.varint();
    return { field: Math.floor(t / 8), wire: t % 8 };
  }

  /** A length-delimited field's [start, end) in the buffer, advancing past it. */
  span(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.end) throw new Error('etcd response: truncated field');
    return [start, this.pos];
  }

  bytes(): Buffer {
    const [start, end] = this.span();
    return this.buf.subarray(start, end);
  }

  sub(): Reader {
    const [start, end] = this.span();
    return new Reader(this.buf, start, end);
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2:
        this.span();
        return;
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`etcd response: unsupported wire type ${wire}`);
    }
  }
}

const empty: Buffer = Buffer.alloc(0);

/** ResponseHeader: the revision (the only field the API server reads). */
function decodeHeaderRevision(r: Reader): number {
  let revision = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 3 && wire === wireVarint) revision = r.varint();
    else r.skip(wire);
  }
  return revision;
}

function decodeKeyValue(r: Reader): WireKeyValue {
  let key = empty;
  let value = empty;
  let createRevision = 0;
  let modRevision = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === wireBytes) key = r.bytes();
    else if (field === 2 && wire === wireVarint) createRevision = r.varint();
    else if (field === 3 && wire === wireVarint) modRevision = r.varint();
    else if (field === 5 && wire === wireBytes) value = r.bytes();
    else r.skip(wire);
  }
  return { key, createRevision, modRevision, value };
}

function decodeRange(r: Reader): WireRangeResponse {
  let revision = 0;
  let more = false;
  const kvs: WireKeyValue[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === wireBytes) revision = decodeHeaderRevision(r.sub());
    else if (field === 2 && wire === wireBytes) kvs.push(decodeKeyValue(r.sub()));
    else if (field === 3 && wire === wireVarint) more = r.varint() !== 0;
    else r.skip(wire);
  }
  return { revision, kvs, more };
}

/** RangeResponse. */
export function decodeRangeResponse(buf: Buffer): WireRangeResponse {
  return decodeRange(new Reader(buf));
}

/** TxnResponse. */
export function decodeTxnResponse(buf: Buffer): WireTxnResponse {
  const r = new Reader(buf);
  let revision = 0;
  let succeeded = false;
  const responses: WireKeyValue[][] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === wireBytes) revision = decodeHeaderRevision(r.sub());
    else if (field === 2 && wire === wireVarint) succeeded = r.varint() !== 0;
    else if (field === 3 && wire === wireBytes) {
      const op = r.sub();
      let kvs: WireKeyValue[] = [];
      while (!op.done) {
        const t = op.tag();
        if (t.field === 1 && t.wire === wireBytes) kvs = decodeRange(op.sub()).kvs;
        else op.skip(t.wire);
      }
      responses.push(kvs);
    } else r.skip(wire);
  }
  return { revision, succeeded, responses };
}

function decodeEvent(r: Reader): WireEvent {
  let type: WireEvent['type'] = 'put';
  let kv: WireKeyValue = { key: empty, createRevision: 0, modRevision: 0, value: empty };
  let prevKv: WireKeyValue | undefined;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === wireVarint) type = r.varint() === 1 ? 'delete' : 'put';
    else if (field === 2 && wire === wireBytes) kv = decodeKeyValue(r.sub());
    else if (field === 3 && wire === wireBytes) prevKv = decodeKeyValue(r.sub());
    else r.skip(wire);
  }
  return { type, kv, prevKv };
}

/** WatchResponse. */
export function decodeWatchResponse(buf: Buffer): WireWatchResponse {
  const r = new Reader(buf);
  let revision = 0;
  let watchId = 0;
  let created = false;
  let canceled = false;
  let compactRevision = 0;
  let cancelReason = '';
  const events: WireEvent[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === wireBytes) revision = decodeHeaderRevision(r.sub());
    else if (field === 2 && wire === wireVarint) watchId = r.varint();
    else if (field === 3 && wire === wireVarint) created = r.varint() !== 0;
    else if (field === 4 && wire === wireVarint) canceled = r.varint() !== 0;
    else if (field === 5 && wire === wireVarint) compactRevision = r.varint();
    else if (field === 6 && wire === wireBytes) cancelReason = r.bytes().toString('utf8');
    else if (field === 11 && wire === wireBytes) events.push(decodeEvent(r.sub()));
    else r.skip(wire);
  }
  return { revision, watchId, created, canceled, compactRevision, cancelReason, events };
}

/** The fields of a Maintenance StatusResponse that say who leads. */
export interface WireStatusResponse {
  /** The answering member's id (ResponseHeader.member_id). */
  readonly memberId: bigint;
  /** The id of the leader the member knows of; 0 when it knows none. */
  readonly leader: bigint;
  readonly raftTerm: bigint;
}

/** StatusResponse (Maintenance.Status): who answered, and whom it takes for the leader. */
export function decodeStatusResponse(buf: Buffer): WireStatusResponse {
  const r = new Reader(buf);
  let memberId = 0n;
  let leader = 0n;
  let raftTerm = 0n;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === wireBytes) {
      const header = r.sub();
      while (!header.done) {
        const t = header.tag();
        if (t.field === 2 && t.wire === wireVarint) memberId = header.varint64();
        else header.skip(t.wire);
      }
    } else if (field === 4 && wire === wireVarint) leader = r.varint64();
    else if (field === 6 && wire === wireVarint) raftTerm = r.varint64();
    else r.skip(wire);
  }
  return { memberId, leader, raftTerm };
}
