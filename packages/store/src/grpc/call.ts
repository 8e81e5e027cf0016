/**
 * One gRPC call on one HTTP/2 stream, and what handlers see of it: the subset of grpc-js's server
 * call API that the etcd and peer services use (request, request stream, cancellation, write with
 * backpressure, end, fail),
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
  /**
   * True while the client may still send request messages on a call whose handler reads a request
   * stream: ending such a call then also asks the client to stop sending (see stopInput).
   */
  private inputOpen = false;
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

  /**
   * Marks the call as one that reads a request stream until the client half-closes it
   * ({@link inputEnded}); a status sent before that is followed by RST_STREAM(NO_ERROR).
   */
  expectInput(): void {
    this.inputOpen = true;
  }

  /** The client half-closed its side: nothing more to stop after the status. */
  inputEnded(): void {
    this.inputOpen = false;
  }

  /**
   * Sends the response headers now, before any message (a long-lived client stream tells its
   * client that the call is accepted this way). A status sent later goes in trailers.
   */
  sendHeaders(): void {
    if (this.ended || this.headersSent || this.stream.destroyed) return;
    this.headersSent = true;
    this.stream.respond(RESPONSE_HEADERS, RESPOND_WITH_TRAILERS);
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
    if (this.inputOpen) stream.on('wantTrailers', () => this.sendTrailersAndStopInput(OK_TRAILERS));
    else stream.on('wantTrailers', sendOkTrailers);
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
      this.stopInput();
      return;
    }
    stream.once('wantTrailers', () => this.sendTrailersAndStopInput(trailers));
    stream.end();
  }

  private sendTrailersAndStopInput(trailers: Readonly<Record<string, string>>): void {
    if (this.stream.destroyed) return;
    this.stream.sendTrailers(trailers);
    this.stopInput();
  }

  /**
   * The call ended while the client may still be sending: RST_STREAM(NO_ERROR) after the status
   * tells it to stop (RFC 9113 section 8.1; grpc-go does the same), or a client that does not close
   * its side on the status (node:http2 senders) would stay half-open with its messages discarded.
   *
   * The reset must reach nghttp2 only after the status frame went out: nghttp2 marks a stream
   * closing as soon as a RST_STREAM is queued and then drops its queued trailers. node:http2 sends
   * what was submitted from a native immediate, which runs before the JavaScript immediates of the
   * same loop turn, so a reset submitted from setImmediate follows the status on the wire.
   */
  private stopInput(): void {
    if (!this.inputOpen || this.stream.destroyed) return;
    this.inputOpen = false;
    // Whatever arrives until the reset is read and dropped, so flow control never stalls.
    this.stream.resume();
    setImmediate(resetFinishedStream, this.stream);
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

function resetFinishedStream(stream: ServerHttp2Stream): void {
  if (!stream.destroyed && !stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
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
 * What a client-streaming handler sees of its call: the request messages as 'data' events, then
 * 'end' when the client has sent them all; it answers once through its callback (a response, or an
 * error status), which may come before 'end' (a refusal: the client is then told to stop sending).
 *
 * Events: 'data' (one request message), 'end' (the client finished sending), 'cancelled' (the
 * client went away, the deadline passed, the request was malformed or the server shut down; the
 * callback is then ignored). pause() stops reading: HTTP/2 flow control then stops the client once
 * the stream window is full, so a slow handler bounds what is buffered for it.
 */
export class ClientStreamCall<Request> extends EventEmitter {
  private paused = false;
  /** Messages decoded while paused, delivered in order by resume(). */
  private readonly pending: Request[] = [];
  /** The client half-closed; 'end' is delivered once `pending` is empty and the call not paused. */
  private inputDone = false;
  private endDelivered = false;

  constructor(
    /** The request headers (custom metadata included). */
    readonly metadata: IncomingHttpHeaders,
    private readonly transport: CallStream,
  ) {
    super();
    transport.onAbort = () => this.deliver('cancelled');
  }

  /** True once the call has ended (answered, cancelled or past its deadline). */
  get cancelled(): boolean {
    return this.transport.isEnded;
  }

  /** Sends the response headers at once (the client then knows the call was accepted). */
  sendHeaders(): void {
    this.transport.sendHeaders();
  }

  /** Stops delivering messages; the client is held back by flow control until resume(). */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.transport.stream.pause();
  }

  /** Delivers the messages held while paused, then reads on. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    while (!this.paused && this.pending.length > 0 && !this.transport.isEnded)
      this.deliver('data', this.pending.shift());
    if (this.paused) return;
    if (this.inputDone) this.deliverEnd();
    else this.transport.stream.resume();
  }

  /** Server side: one decoded request message. */
  receive(message: Request): void {
    if (this.paused || this.pending.length > 0) this.pending.push(message);
    else this.deliver('data', message);
  }

  /** Server side: the client half-closed the request stream. */
  receiveEnd(): void {
    this.inputDone = true;
    if (!this.paused && this.pending.length === 0) this.deliverEnd();
  }

  private deliverEnd(): void {
    if (this.endDelivered || this.transport.isEnded) return;
    this.endDelivered = true;
    this.deliver('end');
  }

  /** Emits an event; a listener that throws ends the call with UNKNOWN (see StreamCall.deliver). */
  private deliver(event: 'data' | 'end' | 'cancelled', message?: unknown): void {
    try {
      if (event === 'data') this.emit(event, message);
      else this.emit(event);
    } catch (error) {
      this.transport.handlerFailed(error);
    }
  }
}

/** A client-streaming method's handler: answers once through `callback`. */
export type ClientStreamHandler<Request = unknown, Response = unknown> = (
  call: ClientStreamCall<Request>,
  callback: UnaryCallback<Response>,
) => void;

/**
 * Any handler: the server picks the calling convention from the method definition. (`never`
 * requests and `unknown` responses make every typed handler assignable without `any`.)
 */
export type GrpcHandler =
  | UnaryHandler<never, unknown>
  | ServerStreamHandler<never, unknown>
  | ClientStreamHandler<never, unknown>;

/** Handlers of one service, by method name (as in the .proto). */
export type ServiceImplementation = Record<string, GrpcHandler>;
