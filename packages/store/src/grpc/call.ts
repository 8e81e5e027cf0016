/**
 * One gRPC call on one HTTP/2 stream, and what handlers see of it: the subset of grpc-js's server
 * call API that the etcd services use (request, cancellation, write with backpressure, end, fail),
 * without grpc-js's per-call machinery (interceptors, metadata objects, listener chains).
 *
 * A call ends exactly once: with a status the handler chooses, with DEADLINE_EXCEEDED when its
 * grpc-timeout passes, or by cancellation when the client resets the stream or the connection
 * goes away. After it ended, writes and statuses are ignored (a late handler cannot corrupt the
 * stream), and the handler has been told through its AbortSignal or its 'cancelled' event.
 */
import { EventEmitter } from 'node:events';
import {
  constants,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
  type ServerStreamResponseOptions,
} from 'node:http2';
import {
  encodeGrpcMessage,
  GrpcCallAbortedError,
  type GrpcStatus,
  GrpcStatusCode,
  type GrpcStatusCodeValue,
} from './status.js';

/** Serializes a response message (proto-loader's responseSerialize). */
export type Serialize = (message: unknown) => Buffer;

/** Serializes a response message and frames it (5-byte gRPC prefix included). */
export type SerializeFramed = (message: unknown) => Buffer;

/** Headers of every response that carries messages. */
const RESPONSE_HEADERS = Object.freeze({
  [constants.HTTP2_HEADER_STATUS]: 200,
  [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
});

/**
 * respond() options. No Date header (node adds one by default, and HPACK re-encodes it every
 * second): gRPC does not use it and grpc-go servers such as etcd's send none. `sendDate` is a
 * real option of node's respond() that @types/node does not declare.
 */
const RESPOND_WITH_TRAILERS: ServerStreamResponseOptions = Object.freeze({
  waitForTrailers: true,
  sendDate: false,
});
const RESPOND_TRAILERS_ONLY: ServerStreamResponseOptions = Object.freeze({
  endStream: true,
  sendDate: false,
});

/**
 * The transport side of one call: sends messages and the final status on its HTTP/2 stream,
 * enforces the deadline, and turns a closed stream into cancellation.
 */
export class CallStream {
  private headersSent = false;
  private ended = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** Told when a handler throws (the server logs it). */
  onHandlerError: ((error: unknown) => void) | null = null;
  /** Told (once) when the call is cancelled or its deadline passes; set by the handler adapter. */
  onAbort: ((reason: GrpcCallAbortedError) => void) | null = null;

  constructor(
    readonly stream: ServerHttp2Stream,
    private readonly serializeFramed: SerializeFramed,
    timeoutMs: number | undefined,
  ) {
    stream.on('close', () => {
      if (!this.ended)
        this.abort(new GrpcCallAbortedError(GrpcStatusCode.CANCELLED, 'client cancelled the call'));
    });
    if (timeoutMs !== undefined) {
      this.deadlineTimer = setTimeout(() => {
        this.deadlineTimer = undefined;
        if (this.ended) return;
        this.sendStatus(GrpcStatusCode.DEADLINE_EXCEEDED, 'Deadline exceeded');
        this.onAbort?.(new GrpcCallAbortedError(GrpcStatusCode.DEADLINE_EXCEEDED, 'Deadline exceeded'));
      }, timeoutMs);
    }
  }

  /** True once the call has ended (status sent, deadline passed or stream closed). */
  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Sends one response message; returns false when the stream's buffer is full (wait for
   * 'drain' before writing more) or the call has ended.
   */
  sendMessage(message: unknown): boolean {
    // A destroyed stream's 'close' (which ends the call) may still be on its way.
    if (this.ended || this.stream.destroyed) return false;
    const framed = this.serializeFramed(message);
    if (!this.headersSent) {
      this.headersSent = true;
      this.stream.respond(RESPONSE_HEADERS, RESPOND_WITH_TRAILERS);
    }
    return this.stream.write(framed);
  }

  /** Sends the unary response and the OK status in one go. */
  sendResponse(message: unknown): void {
    if (this.ended) return;
    let framed: Buffer;
    try {
      framed = this.serializeFramed(message);
    } catch (error) {
      this.sendStatus(GrpcStatusCode.INTERNAL, `grpc: error serializing the response: ${errorText(error)}`);
      return;
    }
    this.finish();
    const stream = this.stream;
    if (stream.destroyed) return;
    if (!this.headersSent) {
      this.headersSent = true;
      stream.respond(RESPONSE_HEADERS, RESPOND_WITH_TRAILERS);
    }
    // 'wantTrailers' comes once per stream: `on` spares the wrapper `once` allocates.
    stream.on('wantTrailers', sendOkTrailers);
    stream.end(framed);
  }

  /**
   * Ends the call with `code` and `details` (grpc-message, percent-encoded). Before any message it
   * is a trailers-only response (one HEADERS frame with END_STREAM).
   */
  sendStatus(code: number, details = ''): void {
    if (this.ended) return;
    this.finish();
    const stream = this.stream;
    if (stream.destroyed) return;
    const trailers: Record<string, string> = { [GRPC_STATUS]: String(code) };
    if (details !== '') trailers[GRPC_MESSAGE] = encodeGrpcMessage(details);
    if (!this.headersSent) {
      this.headersSent = true;
      stream.respond({ ...RESPONSE_HEADERS, ...trailers }, RESPOND_TRAILERS_ONLY);
      return;
    }
    stream.once('wantTrailers', () => {
      if (!stream.destroyed) stream.sendTrailers(trailers);
    });
    stream.end();
  }

  /** A handler threw: reported to the server's hook, and the call ends with UNKNOWN. */
  handlerFailed(error: unknown): void {
    this.onHandlerError?.(error);
    this.cancel(GrpcStatusCode.UNKNOWN, errorText(error));
  }

  /** Ends the call from the server's side (bad request, failed handler): `code` to the client, abort to the handler. */
  cancel(code: GrpcStatusCodeValue, details: string): void {
    if (this.ended) return;
    this.sendStatus(code, details);
    this.onAbort?.(new GrpcCallAbortedError(code, details));
  }

  private abort(reason: GrpcCallAbortedError): void {
    this.finish();
    this.onAbort?.(reason);
  }

  private finish(): void {
    this.ended = true;
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }
}

const GRPC_STATUS = 'grpc-status';
const GRPC_MESSAGE = 'grpc-message';
const OK_TRAILERS = Object.freeze({ [GRPC_STATUS]: '0' });

function sendOkTrailers(this: ServerHttp2Stream): void {
  if (!this.destroyed) this.sendTrailers(OK_TRAILERS);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a unary handler sees of its call. */
export class UnaryCall<Request> {
  private controller: AbortController | null = null;
  private abortedBy: GrpcCallAbortedError | null = null;

  constructor(
    /** The decoded request message. */
    readonly request: Request,
    /** The request headers (custom metadata included). */
    readonly metadata: IncomingHttpHeaders,
    transport: CallStream,
  ) {
    transport.onAbort = (reason) => {
      this.abortedBy = reason;
      this.controller?.abort(reason);
      const listeners = this.abortListeners;
      this.abortListeners = null;
      if (listeners !== null) for (const listener of listeners) listener(reason);
    };
  }

  private abortListeners: Array<(reason: GrpcCallAbortedError) => void> | null = null;

  /**
   * Calls `listener` (once) when the call is aborted, at once if it already was: cancellation
   * without an AbortSignal, for waits that need no signal to pass on (an AbortController and its
   * listeners cost several microseconds per call).
   */
  whenAborted(listener: (reason: GrpcCallAbortedError) => void): void {
    if (this.abortedBy !== null) {
      listener(this.abortedBy);
      return;
    }
    if (this.abortListeners === null) this.abortListeners = [listener];
    else this.abortListeners.push(listener);
  }

  /** Why the call was aborted (cancelled, deadline, shutdown), or null while it is live. */
  get abortReason(): GrpcCallAbortedError | null {
    return this.abortedBy;
  }

  /**
   * Aborted when the client cancels, the deadline passes or the server shuts down; its reason is
   * a {@link GrpcCallAbortedError} with the status code. Created on first use.
   */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.abortedBy !== null) this.controller.abort(this.abortedBy);
    }
    return this.controller.signal;
  }
}

/** Answers a unary call: a status error, or null and the response. */
export type UnaryCallback<Response> = (error: GrpcStatus | null, response?: Response) => void;

/** A unary method's handler. */
export type UnaryHandler<Request = unknown, Response = unknown> = (
  call: UnaryCall<Request>,
  callback: UnaryCallback<Response>,
) => void;

/**
 * What a streaming handler sees of its call (server streaming and bidirectional alike).
 *
 * Events: 'data' (a request message, bidi only), 'end' (the client finished sending, bidi only),
 * 'drain' (write may be called again after it returned false), 'cancelled' (the client went away,
 * the deadline passed or the server shut down; nothing more is sent).
 */
export class StreamCall<Request, Response> extends EventEmitter {
  constructor(
    /** The request message of a server-streaming call (undefined for bidi calls). */
    readonly request: Request,
    /** The request headers (custom metadata included). */
    readonly metadata: IncomingHttpHeaders,
    private readonly transport: CallStream,
  ) {
    super();
    transport.onAbort = () => this.deliver('cancelled');
    transport.stream.on('drain', () => this.deliver('drain'));
  }

  /**
   * Emits a transport event to the handler's listeners. A listener that throws ends the call with
   * UNKNOWN instead of escaping into node:http2's event loop (where it would crash the process).
   */
  deliver(event: 'data' | 'end' | 'drain' | 'cancelled', message?: unknown): void {
    try {
      if (event === 'data') this.emit(event, message);
      else this.emit(event);
    } catch (error) {
      this.transport.handlerFailed(error);
    }
  }

  /** True once the call has ended (by the handler, cancellation or the deadline). */
  get cancelled(): boolean {
    return this.transport.isEnded;
  }

  /**
   * Sends one response message. Returns false when the stream's buffer is full: the writer must
   * wait for 'drain' (or 'cancelled') before writing more, or memory grows with a slow reader.
   */
  write(message: Response): boolean {
    return this.transport.sendMessage(message);
  }

  /** Ends the call with status OK. */
  end(): void {
    this.transport.sendStatus(GrpcStatusCode.OK);
  }

  /** Ends the call with an error status. */
  fail(status: GrpcStatus): void {
    this.transport.sendStatus(status.code, status.details ?? '');
  }
}

/** A server-streaming method's handler. */
export type ServerStreamHandler<Request = unknown, Response = unknown> = (
  call: StreamCall<Request, Response>,
) => void;

/** A bidirectional-streaming method's handler. */
export type BidiStreamHandler<Request = unknown, Response = unknown> = (
  call: StreamCall<Request, Response>,
) => void;

/**
 * Any handler: the server picks the calling convention from the method definition. (`never`
 * requests and `unknown` responses make every typed handler assignable without `any`.)
 */
export type GrpcHandler = UnaryHandler<never, unknown> | ServerStreamHandler<never, unknown>;

/** Handlers of one service, by method name (as in the .proto). */
export type ServiceImplementation = Record<string, GrpcHandler>;
