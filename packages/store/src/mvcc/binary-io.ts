/**
 * Byte-level building blocks of the MVCC request codec (request-codec.ts, where the format is
 * described): a growable writer and a bounds-checked reader of unsigned varints, sign-magnitude
 * varints with a float64 escape, length-prefixed bytes and strings, flags and enums, and the typed
 * error both sides raise.
 */

/** Stable codes of {@link MvccCodecError}. */
export const MvccCodecErrorCode = {
  /** The bytes are not a valid encoding (truncated, unknown tag, trailing garbage, bad JSON). */
  Malformed: 'NAVARCH_ERR_MVCC_MALFORMED',
  /** The value cannot be encoded (an enum value outside the tables, transactions nested too deep). */
  Unencodable: 'NAVARCH_ERR_MVCC_UNENCODABLE',
} as const;
/** One of the {@link MvccCodecErrorCode} values. */
export type MvccCodecErrorCode = (typeof MvccCodecErrorCode)[keyof typeof MvccCodecErrorCode];

/** A request or result that could not be encoded or decoded; `code` is stable. */
export class MvccCodecError extends Error {
  /** Stable code, see {@link MvccCodecErrorCode}. */
  readonly code: MvccCodecErrorCode;

  constructor(code: MvccCodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MvccCodecError';
    this.code = code;
  }
}

const FLOAT_ESCAPE = 0x40;
/** Byte arrays up to this size are copied by a loop rather than TypedArray#set. */
const SMALL_COPY_BYTES = 64;
/** Returned for every empty bytes field; it has no bytes, so sharing it cannot leak a mutation. */
const EMPTY_BUFFER = Buffer.alloc(0);
const TWO_POW_32 = 0x1_0000_0000;
/** Room added on growth so that the short fields after a large value need no second copy. */
const GROW_SLACK_BYTES = 256;

/** The error for a value the codec cannot represent. */
export function unencodable(message: string): MvccCodecError {
  return new MvccCodecError(MvccCodecErrorCode.Unencodable, `mvcc codec: ${message}`);
}

/** The error for bytes that are not a valid encoding. */
export function malformed(message: string): MvccCodecError {
  return new MvccCodecError(MvccCodecErrorCode.Malformed, `mvcc codec: ${message}`);
}

/** The code of `value` in `table` (its position); throws Unencodable for a value outside it. */
export function enumCode<T>(table: readonly T[], value: T, what: string): number {
  const code = table.indexOf(value);
  if (code < 0) throw unencodable(`unknown ${what} ${JSON.stringify(value)}`);
  return code;
}

// ---------------------------------------------------------------- writer

/** An append-only byte buffer that grows; `finish` returns the written bytes (a view). */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(capacityBytes: number) {
    this.buf = Buffer.allocUnsafe(capacityBytes);
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes + GROW_SLACK_BYTES));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  /** A non-negative safe integer (lengths, counts). */
  uvarint(value: number): void {
    this.ensure(8);
    const buf = this.buf;
    let rest = value;
    if (rest < TWO_POW_32) {
      while (rest > 0x7f) {
        buf[this.pos++] = (rest & 0x7f) | 0x80;
        rest >>>= 7;
      }
    } else {
      while (rest > 0x7f) {
        buf[this.pos++] = (rest % 0x80) | 0x80;
        rest = Math.floor(rest / 0x80);
      }
    }
    buf[this.pos++] = rest;
  }

  /** Any number, exactly (see the file comment). */
  int(value: number): void {
    if (!Number.isSafeInteger(value) || Object.is(value, -0)) {
      this.ensure(9);
      this.buf[this.pos] = FLOAT_ESCAPE;
      this.buf.writeDoubleBE(value, this.pos + 1);
      this.pos += 9;
      return;
    }
    const sign = value < 0 ? 0x40 : 0;
    const magnitude = value < 0 ? -value : value;
    if (magnitude < 0x40) {
      this.byte(sign | magnitude);
      return;
    }
    this.byte(0x80 | sign | (magnitude % 0x40));
    this.uvarint(Math.floor(magnitude / 0x40));
  }

  bytes(value: Uint8Array): void {
    const length = value.length;
    this.uvarint(length);
    this.ensure(length);
    if (length <= SMALL_COPY_BYTES) {
      // TypedArray#set goes through the runtime; for keys a plain loop is several times faster.
      const buf = this.buf;
      const start = this.pos;
      for (let i = 0; i < length; i++) buf[start + i] = value[i] as number;
    } else {
      this.buf.set(value, this.pos);
    }
    this.pos += length;
  }

  string(value: string): void {
    // Lease ids and error codes: short ASCII, written without the UTF-8 encoder's overhead.
    if (value.length < 0x80) {
      this.ensure(1 + value.length);
      const buf = this.buf;
      const start = this.pos;
      let ascii = true;
      for (let i = 0; i < value.length; i++) {
        const unit = value.charCodeAt(i);
        if (unit >= 0x80) {
          ascii = false;
          break;
        }
        buf[start + 1 + i] = unit;
      }
      if (ascii) {
        buf[start] = value.length;
        this.pos = start + 1 + value.length;
        return;
      }
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.uvarint(length);
    this.ensure(length);
    this.pos += this.buf.write(value, this.pos, length, 'utf8');
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

// ---------------------------------------------------------------- reader

/** A cursor over input bytes; every read checks the bytes are there. */
export class Reader {
  pos = 0;
  readonly end: number;

  constructor(readonly buf: Buffer) {
    this.end = buf.length;
  }

  private need(bytes: number, what: string): void {
    if (this.end - this.pos < bytes) {
      throw malformed(`truncated ${what} at byte ${this.pos} of ${this.end}`);
    }
  }

  byte(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }

  uvarint(what: string): number {
    const buf = this.buf;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw malformed(`truncated ${what} at byte ${this.pos} of ${this.end}`);
      const byte = buf[this.pos++] as number;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw malformed(`${what} beyond 2^53 at byte ${this.pos}`);
        return result;
      }
      scale *= 0x80;
    }
    throw malformed(`${what} longer than 8 bytes at byte ${this.pos}`);
  }

  int(what: string): number {
    const first = this.byte(what);
    if (first === FLOAT_ESCAPE) {
      this.need(8, what);
      const value = this.buf.readDoubleBE(this.pos);
      this.pos += 8;
      return value;
    }
    let magnitude = first & 0x3f;
    if (first & 0x80) {
      magnitude += this.uvarint(what) * 0x40;
      if (magnitude > Number.MAX_SAFE_INTEGER) throw malformed(`${what} beyond 2^53 at byte ${this.pos}`);
    }
    return first & 0x40 ? -magnitude : magnitude;
  }

  /** A count of items that take at least one byte each: bounded by the bytes left. */
  count(what: string): number {
    const count = this.uvarint(what);
    if (count > this.end - this.pos) throw malformed(`${what} ${count} exceeds the bytes left`);
    return count;
  }

  bytes(what: string): Buffer {
    const length = this.uvarint(what);
    // Empty fields (range ends, compare values) are common; one shared empty Buffer saves a view.
    if (length === 0) return EMPTY_BUFFER;
    this.need(length, what);
    const start = this.pos;
    this.pos += length;
    return this.buf.subarray(start, this.pos);
  }

  string(what: string): string {
    const length = this.uvarint(what);
    this.need(length, what);
    const start = this.pos;
    this.pos += length;
    // Lease id "0" (no lease) is by far the most common string: skip the UTF-8 decoder for it.
    if (length === 1 && this.buf[start] === 0x30) return '0';
    return this.buf.toString('utf8', start, this.pos);
  }

  flags(allowed: number, what: string): number {
    const flags = this.byte(what);
    if ((flags & ~allowed) !== 0) throw malformed(`unknown ${what} bits 0x${flags.toString(16)}`);
    return flags;
  }

  enumValue<T>(table: readonly T[], what: string): T {
    const code = this.byte(what);
    const value = table[code];
    if (value === undefined) throw malformed(`unknown ${what} ${code}`);
    return value;
  }

  bool(what: string): boolean {
    const value = this.byte(what);
    if (value > 1) throw malformed(`${what} is ${value}, not 0 or 1`);
    return value === 1;
  }

  done(what: string): void {
    if (this.pos !== this.end) throw malformed(`${this.end - this.pos} trailing bytes after the ${what}`);
  }
}

/** A Buffer view of `bytes` (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
