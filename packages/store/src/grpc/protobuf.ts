/**
 * Protocol Buffers wire primitives for hand-written message codecs (api/kv-codec.ts,
 * api/watch-codec.ts): a bounds-checked reader of varints, int64s, bools and length-delimited
 * fields that skips unknown fields as protobuf requires, and an exact-size writer (callers compute
 * a message's size first, so encoding allocates once and never copies a buffer twice).
 *
 * Why by hand: protobufjs (through @grpc/proto-loader) decodes into a message object, then converts
 * it into a second plain object with every default filled in and every int64 through `Long`, and
 * encodes through the reverse two steps; on the store's hot path that costs as much CPU as the
 * MVCC apply itself. Representation matches proto-loader with the etcd options (proto.ts): int64
 * revisions as numbers (exact below 2^53, rounded like `Number(decimal)` above), int64 lease ids as
 * canonical signed decimal strings, enums as numbers (the caller maps them), bytes as Buffer views
 * of the request (no copy, like protobufjs).
 */

/** Wire type of varint fields (int32, int64, uint64, bool, enum). */
export const WIRE_VARINT = 0;
/** Wire type of 64-bit fixed fields. */
export const WIRE_FIXED64 = 1;
/** Wire type of length-delimited fields (bytes, string, messages, packed repeated). */
export const WIRE_BYTES = 2;
/** Wire type of a group start (deprecated; skipped). */
export const WIRE_START_GROUP = 3;
/** Wire type of a group end. */
export const WIRE_END_GROUP = 4;
/** Wire type of 32-bit fixed fields. */
export const WIRE_FIXED32 = 5;

/** Deepest nesting of messages (or groups) a reader accepts, as protobufjs's recursion limit. */
export const MAX_NESTING_DEPTH = 100;

const TWO_POW_32 = 0x1_0000_0000;
/** High 32 bits below which a varint is a safe integer (hi * 2^32 + lo < 2^53). */
const SAFE_HIGH_LIMIT = 0x20_0000;
const EMPTY = Buffer.alloc(0);

/** Malformed protobuf input (truncated, bad wire type, nesting too deep). */
export class ProtobufDecodeError extends Error {
  /** Stable code. */
  readonly code = 'NAVARCH_ERR_PROTOBUF_MALFORMED';

  constructor(message: string) {
    super(message);
    this.name = 'ProtobufDecodeError';
  }
}

/** A cursor over one message (or a nested message's bytes) of a protobuf buffer. */
export class ProtoReader {
  /** Position of the next byte to read. */
  pos: number;
  /** High 32 bits of the last varint read (varint64 returns the low 32). */
  private high = 0;

  constructor(
    readonly buf: Buffer,
    start = 0,
    /** End (exclusive) of the bytes this reader may read. */
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** True when bytes remain. */
  get more(): boolean {
    return this.pos < this.end;
  }

  private truncated(): ProtobufDecodeError {
    return new ProtobufDecodeError(`protobuf: truncated message at offset ${this.pos}`);
  }

  /**
   * Reads a varint of up to 10 bytes; returns its low 32 bits (unsigned) and keeps its high 32
   * bits for the int64 readers.
   */
  varint64(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    if (pos >= end) throw this.truncated();
    let byte = buf[pos++] as number;
    if (byte < 0x80) {
      this.pos = pos;
      this.high = 0;
      return byte;
    }
    let low = byte & 0x7f;
    let high = 0;
    for (let shift = 7; shift < 28; shift += 7) {
      if (pos >= end) throw this.truncated();
      byte = buf[pos++] as number;
      low |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = pos;
        this.high = 0;
        return low >>> 0;
      }
    }
    // Byte 5 holds bits 28..34: 4 low bits, 3 high bits.
    if (pos >= end) throw this.truncated();
    byte = buf[pos++] as number;
    low |= (byte & 0x0f) << 28;
    high = (byte & 0x7f) >> 4;
    if (byte >= 0x80) {
      for (let shift = 3; shift < 32; shift += 7) {
        if (pos >= end) throw this.truncated();
        byte = buf[pos++] as number;
        high |= (byte & 0x7f) << shift;
        if (byte < 0x80) break;
        if (shift + 7 >= 32) throw new ProtobufDecodeError(`protobuf: varint too long at offset ${pos}`);
      }
    }
    this.pos = pos;
    this.high = high >>> 0;
    return low >>> 0;
  }

  /** A tag: field number << 3 | wire type. */
  tag(): number {
    return this.varint64();
  }

  /** An enum value (int32; negative values are sent as 10-byte varints). */
  enumValue(): number {
    return this.varint64() | 0;
  }

  /** A bool: any non-zero varint is true. */
  bool(): boolean {
    return (this.varint64() | this.high) !== 0;
  }

  /** An int64 (or uint64 below 2^63) as a number: exact below 2^53, rounded above like Number("..."). */
  int64(): number {
    const low = this.varint64();
    const high = this.high;
    if (high < SAFE_HIGH_LIMIT) return high * TWO_POW_32 + low;
    return Number(BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low)));
  }

  /** An int64 as a canonical signed decimal string ("0", "-1", "9223372036854775807"). */
  int64String(): string {
    const low = this.varint64();
    const high = this.high;
    if (high === 0) return String(low);
    if (high < SAFE_HIGH_LIMIT) return String(high * TWO_POW_32 + low);
    return BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low)).toString();
  }

  /** A length-delimited field's bytes, as a view of the buffer. */
  bytes(): Buffer {
    const length = this.varint64();
    if (this.high !== 0 || length > this.end - this.pos) throw this.truncated();
    if (length === 0) return EMPTY;
    const start = this.pos;
    this.pos = start + length;
    return this.buf.subarray(start, this.pos);
  }

  /** A nested message: a reader over its bytes (this reader moves past them). */
  message(): ProtoReader {
    const length = this.varint64();
    if (this.high !== 0 || length > this.end - this.pos) throw this.truncated();
    const start = this.pos;
    this.pos = start + length;
    return new ProtoReader(this.buf, start, this.pos);
  }

  /** Skips a field of `wireType` (after its tag). */
  skip(wireType: number, depth = 0): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_BYTES: {
        const length = this.varint64();
        if (this.high !== 0) throw this.truncated();
        this.advance(length);
        return;
      }
      case WIRE_START_GROUP: {
        if (depth >= MAX_NESTING_DEPTH)
          throw new ProtobufDecodeError('protobuf: maximum nesting depth exceeded');
        for (;;) {
          const wire = this.tag() & 7;
          if (wire === WIRE_END_GROUP) return;
          this.skip(wire, depth + 1);
        }
      }
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw new ProtobufDecodeError(`protobuf: invalid wire type ${wireType} at offset ${this.pos}`);
    }
  }

  private advance(bytes: number): void {
    if (bytes > this.end - this.pos) throw this.truncated();
    this.pos += bytes;
  }
}

/** Throws for a known field sent with the wrong wire type (the message cannot be read as declared). */
export function wrongWireType(field: number, wireType: number): ProtobufDecodeError {
  return new ProtobufDecodeError(`protobuf: field ${field} has wire type ${wireType}`);
}

// ---------------------------------------------------------------- sizes

/** Bytes of a varint holding the non-negative safe integer `value`. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x20_0000) return 3;
  if (value < 0x1000_0000) return 4;
  if (value < 0x8_0000_0000) return 5;
  if (value < 0x400_0000_0000) return 6;
  if (value < 0x2_0000_0000_0000) return 7;
  return 8;
}

/** Bytes of an int64 field's value (negative numbers take 10 bytes, as two's complement). */
export function int64Size(value: number): number {
  return value < 0 ? 10 : varintSize(value);
}

/** Bytes of a tag (field numbers below 2^28). */
export function tagSize(field: number): number {
  return varintSize(field << 3);
}

/** Bytes of a length-delimited field holding `length` bytes, tag included. */
export function lengthDelimitedSize(field: number, length: number): number {
  return tagSize(field) + varintSize(length) + length;
}

/** The unsigned 64-bit two's complement of a decimal int64 string, or null for "0". */
export function parseInt64Decimal(value: string): bigint | number | null {
  if (value === '0' || value === '') return null;
  // Short non-negative decimals are safe integers: no BigInt needed.
  if (value.length < 16 && value.charCodeAt(0) !== 45 /* - */) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n === 0 ? null : n;
  }
  const big = BigInt.asUintN(64, BigInt(value));
  return big === 0n ? null : big;
}

/** Bytes of a varint holding an unsigned 64-bit bigint. */
export function bigVarintSize(value: bigint): number {
  let size = 1;
  let v = value >> 7n;
  while (v > 0n) {
    size += 1;
    v >>= 7n;
  }
  return size;
}

// ---------------------------------------------------------------- writer

/** Writes fields into a buffer whose size the caller computed exactly. */
export class ProtoWriter {
  /** Position of the next byte written. */
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
  ) {
    this.pos = start;
  }

  /** A varint holding a non-negative safe integer. */
  varint(value: number): void {
    const buf = this.buf;
    let pos = this.pos;
    let v = value;
    while (v >= TWO_POW_32) {
      buf[pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  /** An int64 value: non-negative as a varint, negative as 10 bytes of two's complement. */
  int64(value: number): void {
    if (value >= 0) this.varint(value);
    else this.bigVarint(BigInt.asUintN(64, BigInt(value)));
  }

  /** A varint holding an unsigned 64-bit bigint. */
  bigVarint(value: bigint): void {
    const buf = this.buf;
    let v = value;
    while (v > 0x7fn) {
      buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[this.pos++] = Number(v);
  }

  /** A tag. */
  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** A length-delimited field of raw bytes. */
  bytes(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_BYTES);
    this.varint(value.length);
    this.raw(value);
  }

  /** Raw bytes, no tag or length. */
  raw(value: Uint8Array): void {
    const length = value.length;
    if (length < 32) {
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < length; i++) buf[pos++] = value[i] as number;
      this.pos = pos;
    } else {
      this.buf.set(value, this.pos);
      this.pos += length;
    }
  }

  /** A UTF-8 string field (`byteLength` from Buffer.byteLength, computed with the size). */
  string(field: number, value: string, byteLength: number): void {
    this.tag(field, WIRE_BYTES);
    this.varint(byteLength);
    this.pos += this.buf.write(value, this.pos, byteLength, 'utf8');
  }
}
