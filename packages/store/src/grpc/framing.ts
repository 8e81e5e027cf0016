/**
 * gRPC message framing: every message on a stream is a 5-byte prefix (1 byte compressed flag, 4
 * bytes big-endian length) and the message bytes. HTTP/2 DATA frames split and join messages
 * arbitrarily, so the reader reassembles them; it never buffers more than one message plus the
 * chunk being parsed, and refuses a message over the receive limit as soon as its prefix arrives.
 */

/** Bytes of the length prefix before each message. */
export const MESSAGE_PREFIX_BYTES = 5;

/** Frames one serialized message (never compressed). */
export function frameMessage(message: Buffer | Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(MESSAGE_PREFIX_BYTES + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, MESSAGE_PREFIX_BYTES);
  return framed;
}

/** Called with each complete message a {@link MessageReader} reassembles. */
export type MessageListener = (data: Buffer, compressed: boolean) => void;

/** Reassembles length-prefixed messages from the chunks of one request stream. */
export class MessageReader {
  private readonly chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** Length of the message being read, or -1 while its prefix is incomplete. */
  private expectedBytes = -1;
  private compressed = false;

  constructor(
    /** Largest message accepted (grpc max_receive_message_length). */
    private readonly maxMessageBytes: number,
    private readonly onMessage: MessageListener,
  ) {}

  /** True when part of a message (or of its prefix) is still missing. */
  get partial(): boolean {
    return this.bufferedBytes > 0 || this.expectedBytes >= 0;
  }

  /**
   * Feeds one chunk; calls the listener for every message it completes. Returns -1, or the length
   * of a message over the limit (the reader then stops: the call must end).
   */
  push(chunk: Buffer): number {
    if (this.bufferedBytes === 0 && this.expectedBytes < 0) {
      // Fast path: the chunk starts at a message boundary (the common case for small messages).
      let offset = 0;
      while (chunk.length - offset >= MESSAGE_PREFIX_BYTES) {
        const length = chunk.readUInt32BE(offset + 1);
        if (length > this.maxMessageBytes) return length;
        const end = offset + MESSAGE_PREFIX_BYTES + length;
        if (end > chunk.length) break;
        this.onMessage(chunk.subarray(offset + MESSAGE_PREFIX_BYTES, end), chunk[offset] === 1);
        offset = end;
      }
      if (offset === chunk.length) return -1;
      chunk = chunk.subarray(offset);
    }
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    for (;;) {
      if (this.expectedBytes < 0) {
        if (this.bufferedBytes < MESSAGE_PREFIX_BYTES) return -1;
        const prefix = this.take(MESSAGE_PREFIX_BYTES);
        const length = prefix.readUInt32BE(1);
        if (length > this.maxMessageBytes) return length;
        this.compressed = prefix[0] === 1;
        this.expectedBytes = length;
      }
      if (this.bufferedBytes < this.expectedBytes) return -1;
      const message = this.take(this.expectedBytes);
      this.expectedBytes = -1;
      this.onMessage(message, this.compressed);
    }
  }

  /** Removes and returns the first `bytes` buffered bytes (a view when they lie in one chunk). */
  private take(bytes: number): Buffer {
    this.bufferedBytes -= bytes;
    const first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length > bytes) {
      this.chunks[0] = first.subarray(bytes);
      return first.subarray(0, bytes);
    }
    if (first.length === bytes) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(bytes);
    let filled = 0;
    while (filled < bytes) {
      const chunk = this.chunks[0] as Buffer;
      const needed = bytes - filled;
      if (chunk.length <= needed) {
        out.set(chunk, filled);
        filled += chunk.length;
        this.chunks.shift();
      } else {
        out.set(chunk.subarray(0, needed), filled);
        this.chunks[0] = chunk.subarray(needed);
        filled += needed;
      }
    }
    return out;
  }
}
