/**
 * A small gRPC server on node:http2 (gRPC over HTTP/2, protobuf messages, no TLS), serving the
 * unary, server-streaming, client-streaming and bidirectional methods of service definitions loaded by
 * @grpc/proto-loader (their own (de)serializers, so the field mapping is the loader's), or of
 * definitions whose hot methods carry hand-written codecs (`responseSerializeFramed`).
 *
 * Why not grpc-js's Server: per call it builds interceptor chains, metadata objects and deadline
 * machinery that cost about as much CPU as the etcd handlers themselves; a CPU-bound store pays
 * for that on every request. This server does only what the protocol needs:
 * - POST /<package>.<Service>/<Method>, content-type application/grpc(+proto), else HTTP 415;
 *   unknown method -> UNIMPLEMENTED; responses `:status 200` and trailers grpc-status/grpc-message
 *   (percent-encoded); an error before any message is a trailers-only response.
 * - length-prefixed messages up to maxReceiveMessageBytes (else RESOURCE_EXHAUSTED); compressed
 *   messages with grpc-encoding gzip or deflate; other encodings -> UNIMPLEMENTED.
 * - grpc-timeout -> DEADLINE_EXCEEDED and the handler aborted; a client reset or a lost connection
 *   cancels the call; stream.write() backpressure reaches streaming handlers ('drain').
 * - client streams: messages delivered as they complete, across DATA frames; a handler that
 *   pauses holds the client back through HTTP/2 flow control; an answer before the client finished
 *   sending is followed by RST_STREAM(NO_ERROR) so the client stops (as grpc-go does).
 * - keeps idle connections, answers pings however often they come (node does; the Raft peers ping
 *   every 2 s with or without calls, so there is no ping-rate policing as in grpc-go/grpc-js),
 *   pings idle peers every keepaliveTimeMs;
 *   shutdown sends GOAWAY, lets calls finish for a grace period, then destroys the connections.
 */

import { lookup } from 'node:dns/promises';
import {
  constants,
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { type AddressInfo, isIP, type Socket } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { Logger } from 'pino';
import {
  CallStream,
  ClientStreamCall,
  type ClientStreamHandler,
  type GrpcHandler,
  type Serialize,
  type SerializeFramed,
  type ServerStreamHandler,
  type ServiceImplementation,
  StreamCall,
  UnaryCall,
  type UnaryHandler,
} from './call.js';
import { frameMessage, type MessageListener, MessageReader } from './framing.js';
import {
  encodeGrpcMessage,
  GrpcServerError,
  GrpcServerErrorCode,
  GrpcStatusCode,
  parseGrpcTimeoutMs,
} from './status.js';

/** One method of a service definition (the part of proto-loader's MethodDefinition used here). */
export interface GrpcMethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: never): Buffer;
  /**
   * Optional: serializes and frames a response in one go (5-byte gRPC prefix included), sparing
   * the copy that framing `responseSerialize`'s output costs. Used instead of it when present.
   */
  responseSerializeFramed?: (value: never) => Buffer;
}

/** A service definition: its methods by name (grpc-js / proto-loader service definitions fit). */
export type GrpcServiceDefinition = Readonly<Record<string, GrpcMethodDefinition>>;

/** Options of {@link GrpcServer}. */
export interface GrpcServerOptions {
  /** Largest request message accepted, after decompression (grpc max_receive_message_length). */
  maxReceiveMessageBytes: number;
  /** Interval of the server's pings on each connection; 0 disables them. Default 2 hours (etcd's). */
  keepaliveTimeMs?: number;
  /** A connection whose ping is not answered within this is closed. Default 20 s (etcd's). */
  keepaliveTimeoutMs?: number;
  /** Per-stream receive window announced to clients. Default 1 MiB. */
  streamWindowBytes?: number;
  /** Connection receive window. Default 16 MiB. */
  connectionWindowBytes?: number;
  /** Streams one connection may have open at once. Default 2^32-1 (as etcd). */
  maxConcurrentStreams?: number;
  logger?: Logger;
}

/** Encodings whose compressed messages the server can read. */
const DECOMPRESSORS: Record<string, (data: Buffer, maxOutputLength: number) => Buffer> = {
  gzip: (data, maxOutputLength) => gunzipSync(data, { maxOutputLength }),
  deflate: (data, maxOutputLength) => inflateSync(data, { maxOutputLength }),
};
const ACCEPT_ENCODING = ['identity', ...Object.keys(DECOMPRESSORS)].join(',');

const KIND_UNARY = 0;
const KIND_SERVER_STREAM = 1;
const KIND_BIDI = 2;
const KIND_CLIENT_STREAM = 3;

/** The calling convention of a method, from its definition's requestStream/responseStream. */
function methodKind(
  method: GrpcMethodDefinition,
): typeof KIND_UNARY | typeof KIND_SERVER_STREAM | typeof KIND_BIDI | typeof KIND_CLIENT_STREAM {
  if (method.requestStream) return method.responseStream ? KIND_BIDI : KIND_CLIENT_STREAM;
  return method.responseStream ? KIND_SERVER_STREAM : KIND_UNARY;
}

interface RegisteredMethod {
  kind: ReturnType<typeof methodKind>;
  handler: GrpcHandler;
  deserialize: (bytes: Buffer) => unknown;
  serializeFramed: SerializeFramed;
}

/** Sends a status as the only response (trailers-only), with a non-200 HTTP status if given. */
function respondStatus(
  stream: ServerHttp2Stream,
  code: number,
  message: string,
  httpStatus = 200,
  extra: Record<string, string> = {},
): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond(
    {
      [constants.HTTP2_HEADER_STATUS]: httpStatus,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      'grpc-status': String(code),
      'grpc-message': encodeGrpcMessage(message),
      ...extra,
    },
    { endStream: true },
  );
  // Discard whatever the client still sends (it stops once it reads the status).
  stream.resume();
}

function isGrpcContentType(value: string | string[] | undefined): boolean {
  if (value === 'application/grpc') return true;
  if (typeof value !== 'string') return false;
  const semicolon = value.indexOf(';');
  const type = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/grpc' || type === 'application/grpc+proto';
}

/** The method's framed serializer, or one that frames the output of its plain serializer. */
function framedSerializer(method: GrpcMethodDefinition): SerializeFramed {
  const framed = method.responseSerializeFramed as SerializeFramed | undefined;
  if (framed !== undefined) return framed;
  const serialize = method.responseSerialize as Serialize;
  return (message) => frameMessage(serialize(message));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function ignore(): void {}

/** What decode() returns for a message it could not decode (the call has ended). */
const NOT_DECODED: unique symbol = Symbol('not decoded');

/** A gRPC server on node:http2; see the file comment for what it implements. */
export class GrpcServer {
  private readonly methods = new Map<string, RegisteredMethod>();
  private readonly services = new Set<string>();
  private readonly servers: Http2Server[] = [];
  private readonly sessions = new Set<ServerHttp2Session>();
  private readonly maxReceiveMessageBytes: number;
  private readonly keepaliveTimeMs: number;
  private readonly keepaliveTimeoutMs: number;
  private readonly streamWindowBytes: number;
  private readonly connectionWindowBytes: number;
  private readonly maxConcurrentStreams: number;
  private readonly logger: Logger | undefined;
  private shutdownPromise: Promise<void> | null = null;

  constructor(options: GrpcServerOptions) {
    this.maxReceiveMessageBytes = options.maxReceiveMessageBytes;
    this.keepaliveTimeMs = options.keepaliveTimeMs ?? 2 * 60 * 60 * 1000;
    this.keepaliveTimeoutMs = options.keepaliveTimeoutMs ?? 20 * 1000;
    this.streamWindowBytes = options.streamWindowBytes ?? 1024 * 1024;
    this.connectionWindowBytes = options.connectionWindowBytes ?? 16 * 1024 * 1024;
    this.maxConcurrentStreams = options.maxConcurrentStreams ?? 2 ** 32 - 1;
    this.logger = options.logger?.child({ component: 'grpc-server' });
  }

  /**
   * Registers the methods of `service` with their handlers from `implementation` (by method name).
   * Throws for a missing handler or a path registered twice.
   */
  addService(service: GrpcServiceDefinition, implementation: ServiceImplementation): void {
    for (const [name, method] of Object.entries(service)) {
      const handler = implementation[name];
      if (handler === undefined)
        throw new GrpcServerError(
          GrpcServerErrorCode.BadService,
          `no handler for gRPC method ${method.path}`,
        );
      if (this.methods.has(method.path))
        throw new GrpcServerError(
          GrpcServerErrorCode.BadService,
          `gRPC method ${method.path} is registered twice`,
        );
      this.methods.set(method.path, {
        kind: methodKind(method),
        handler,
        deserialize: (bytes) => method.requestDeserialize(bytes),
        serializeFramed: framedSerializer(method),
      });
      this.services.add(method.path.slice(1, method.path.lastIndexOf('/')));
    }
  }

  /**
   * Listens on `host:port` without TLS and returns the bound port (port 0: a free one). A host
   * name is bound on every address it resolves to (`localhost`: ::1 and 127.0.0.1), on one port,
   * as grpc-js does; it fails only when no address can be bound. May be called for several hosts.
   */
  async listen(host: string, port: number): Promise<number> {
    if (this.shutdownPromise !== null)
      throw new GrpcServerError(GrpcServerErrorCode.ShutDown, 'the gRPC server is shut down');
    const addresses = isIP(host) === 0 ? (await lookup(host, { all: true })).map((a) => a.address) : [host];
    const before = this.servers.length;
    let bound = port;
    let unavailable: unknown;
    try {
      for (const address of addresses) {
        try {
          bound = await this.listenOne(address, bound);
        } catch (error) {
          // An address family the machine lacks (no IPv6) is skipped; a port in use is an error.
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'EADDRNOTAVAIL' && code !== 'EAFNOSUPPORT') throw error;
          unavailable ??= error;
          this.logger?.warn({ err: error, address, port: bound }, 'cannot listen on one address of the host');
        }
      }
      if (this.servers.length === before) throw unavailable;
    } catch (error) {
      for (const server of this.servers.splice(before)) server.close();
      throw error;
    }
    return bound;
  }

  private async listenOne(host: string, port: number): Promise<number> {
    const server = createServer({
      settings: {
        initialWindowSize: this.streamWindowBytes,
        maxConcurrentStreams: this.maxConcurrentStreams,
      },
      // Megabytes of outbound data and headers a session may hold before new streams are refused.
      maxSessionMemory: 64,
    });
    // Responses go out at once: with Nagle's algorithm a pipelined response waits for the previous
    // one's ACK, which the client delays (40 ms on Linux). grpc-js sets this too.
    server.on('connection', (socket: Socket) => socket.setNoDelay(true));
    server.on('session', (session) => this.onSession(session));
    server.on('stream', (stream, headers) => this.onStream(stream, headers));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.logger?.warn({ err: error }, 'gRPC listener failed'));
    this.servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  /**
   * Stops accepting connections, sends GOAWAY on every connection so clients open no new calls,
   * lets calls in flight finish for `graceMs`, then destroys the connections left (their calls are
   * cancelled). Idempotent; resolves when every connection is closed.
   */
  shutdown(graceMs: number): Promise<void> {
    this.shutdownPromise ??= (async () => {
      const closed = Promise.all(
        this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
      for (const session of this.sessions) session.close();
      const timer = setTimeout(() => {
        for (const session of this.sessions) session.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    })();
    return this.shutdownPromise;
  }

  private onSession(session: ServerHttp2Session): void {
    if (this.shutdownPromise !== null) {
      session.close();
      return;
    }
    this.sessions.add(session);
    session.on('error', (error) => this.logger?.debug({ err: error }, 'gRPC connection error'));
    try {
      session.setLocalWindowSize(this.connectionWindowBytes);
    } catch (error) {
      this.logger?.debug({ err: error }, 'cannot raise the connection window');
    }
    let keepalive: NodeJS.Timeout | undefined;
    if (this.keepaliveTimeMs > 0) {
      keepalive = setInterval(() => this.ping(session), this.keepaliveTimeMs);
      keepalive.unref();
    }
    session.once('close', () => {
      if (keepalive !== undefined) clearInterval(keepalive);
      this.sessions.delete(session);
    });
  }

  /** Pings a connection and closes it when the peer does not answer in time (a dead peer). */
  private ping(session: ServerHttp2Session): void {
    if (session.destroyed || session.closed) return;
    const timeout = setTimeout(() => {
      this.logger?.info({ timeoutMs: this.keepaliveTimeoutMs }, 'gRPC keepalive ping not answered; closing');
      session.destroy();
    }, this.keepaliveTimeoutMs);
    timeout.unref();
    const sent = session.ping((error) => {
      clearTimeout(timeout);
      if (error !== null && !session.destroyed) session.destroy();
    });
    if (!sent) clearTimeout(timeout);
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    // A reset stream reports an error; its 'close' handling (cancellation) is all that is needed.
    stream.on('error', ignore);
    if (headers[constants.HTTP2_HEADER_METHOD] !== 'POST') {
      respondStatus(stream, GrpcStatusCode.INTERNAL, 'gRPC requests must use POST', 405);
      return;
    }
    const contentType = headers[constants.HTTP2_HEADER_CONTENT_TYPE];
    if (!isGrpcContentType(contentType)) {
      respondStatus(
        stream,
        GrpcStatusCode.INVALID_ARGUMENT,
        `unexpected content-type "${String(contentType ?? '')}"`,
        415,
      );
      return;
    }
    const path = String(headers[constants.HTTP2_HEADER_PATH] ?? '');
    const method = this.methods.get(path);
    if (method === undefined) {
      respondStatus(stream, GrpcStatusCode.UNIMPLEMENTED, this.unknownMethodMessage(path));
      return;
    }
    const encoding = headers['grpc-encoding'];
    let decompress: ((data: Buffer, maxOutputLength: number) => Buffer) | null = null;
    if (encoding !== undefined && encoding !== 'identity') {
      decompress = (typeof encoding === 'string' && DECOMPRESSORS[encoding]) || null;
      if (decompress === null) {
        respondStatus(
          stream,
          GrpcStatusCode.UNIMPLEMENTED,
          `grpc: Decompressor is not installed for grpc-encoding "${String(encoding)}"`,
          200,
          { 'grpc-accept-encoding': ACCEPT_ENCODING },
        );
        return;
      }
    }
    const timeoutMs = parseGrpcTimeoutMs(headers['grpc-timeout']);
    if (timeoutMs === null) {
      respondStatus(
        stream,
        GrpcStatusCode.INTERNAL,
        `malformed grpc-timeout "${String(headers['grpc-timeout'])}"`,
      );
      return;
    }
    this.serve(stream, headers, method, decompress, timeoutMs);
  }

  private unknownMethodMessage(path: string): string {
    const slash = path.lastIndexOf('/');
    const service = path.slice(1, Math.max(slash, 1));
    if (slash <= 0 || !this.services.has(service)) return `unknown service ${service || path}`;
    return `unknown method ${path.slice(slash + 1)} for service ${service}`;
  }

  private serve(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    method: RegisteredMethod,
    decompress: ((data: Buffer, maxOutputLength: number) => Buffer) | null,
    timeoutMs: number | undefined,
  ): void {
    const call = new CallStream(stream, method.serializeFramed, timeoutMs);
    call.onHandlerError = (error) =>
      this.logger?.error({ err: error, path: headers[constants.HTTP2_HEADER_PATH] }, 'gRPC handler threw');
    if (method.kind === KIND_CLIENT_STREAM) {
      this.serveClientStream(stream, headers, method, call, decompress);
      return;
    }
    let streamCall: StreamCall<unknown, unknown> | null = null;
    let received = false;

    const start = (request: unknown): void => {
      try {
        if (method.kind === KIND_UNARY) {
          const unary = new UnaryCall(request, headers, call);
          (method.handler as UnaryHandler<unknown, unknown>)(unary, (error, response) => {
            if (error !== null) call.sendStatus(error.code, error.details ?? '');
            else call.sendResponse(response);
          });
        } else {
          streamCall = new StreamCall(request, headers, call);
          (method.handler as ServerStreamHandler<unknown, unknown>)(streamCall);
        }
      } catch (error) {
        call.handlerFailed(error);
      }
    };

    const onMessage = (data: Buffer, compressed: boolean): void => {
      if (call.isEnded) return;
      const request = this.decode(call, method, decompress, data, compressed);
      if (request === NOT_DECODED) return;
      if (method.kind === KIND_BIDI) {
        (streamCall as StreamCall<unknown, unknown> | null)?.deliver('data', request);
        return;
      }
      if (received) {
        call.cancel(
          GrpcStatusCode.INTERNAL,
          'grpc: more than one request message for a non-client-streaming method',
        );
        return;
      }
      received = true;
      start(request);
    };

    const reader = this.readMessages(stream, call, onMessage);
    stream.on('end', () => {
      if (call.isEnded) return;
      if (reader.partial) call.cancel(GrpcStatusCode.INTERNAL, 'grpc: the request ended inside a message');
      else if (method.kind === KIND_BIDI) (streamCall as StreamCall<unknown, unknown> | null)?.deliver('end');
      else if (!received) call.cancel(GrpcStatusCode.INTERNAL, 'grpc: received no request message');
    });
    if (method.kind === KIND_BIDI) start(undefined);
  }

  /**
   * A client-streaming call: the handler starts at once and gets each message as it completes,
   * then 'end'; its callback answers (response or status) whenever it likes, even before 'end'.
   */
  private serveClientStream(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    method: RegisteredMethod,
    call: CallStream,
    decompress: ((data: Buffer, maxOutputLength: number) => Buffer) | null,
  ): void {
    call.expectInput();
    const clientStream = new ClientStreamCall<unknown>(headers, call);
    const reader = this.readMessages(stream, call, (data, compressed) => {
      if (call.isEnded) return;
      const request = this.decode(call, method, decompress, data, compressed);
      if (request !== NOT_DECODED) clientStream.receive(request);
    });
    stream.on('end', () => {
      call.inputEnded();
      if (call.isEnded) return;
      if (reader.partial) call.cancel(GrpcStatusCode.INTERNAL, 'grpc: the request ended inside a message');
      else clientStream.receiveEnd();
    });
    try {
      (method.handler as ClientStreamHandler<unknown, unknown>)(clientStream, (error, response) => {
        if (error !== null) call.sendStatus(error.code, error.details ?? '');
        else call.sendResponse(response);
      });
    } catch (error) {
      call.handlerFailed(error);
    }
  }

  /** Feeds the stream's DATA to a message reader; a message over the limit ends the call. */
  private readMessages(
    stream: ServerHttp2Stream,
    call: CallStream,
    onMessage: MessageListener,
  ): MessageReader {
    const max = this.maxReceiveMessageBytes;
    const reader = new MessageReader(max, onMessage);
    stream.on('data', (chunk: Buffer) => {
      if (call.isEnded) return;
      const tooLarge = reader.push(chunk);
      if (tooLarge >= 0)
        call.cancel(
          GrpcStatusCode.RESOURCE_EXHAUSTED,
          `grpc: received message larger than max (${tooLarge} vs. ${max})`,
        );
    });
    return reader;
  }

  /**
   * Decompresses (if flagged) and deserializes one request message; on failure ends the call with
   * the status grpc-go gives and returns NOT_DECODED.
   */
  private decode(
    call: CallStream,
    method: RegisteredMethod,
    decompress: ((data: Buffer, maxOutputLength: number) => Buffer) | null,
    data: Buffer,
    compressed: boolean,
  ): unknown {
    const max = this.maxReceiveMessageBytes;
    let bytes = data;
    if (compressed) {
      if (decompress === null) {
        call.cancel(GrpcStatusCode.INTERNAL, 'grpc: compressed flag set with identity or empty encoding');
        return NOT_DECODED;
      }
      try {
        bytes = decompress(data, max + 1);
      } catch (error) {
        const tooLarge = (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
        call.cancel(
          tooLarge ? GrpcStatusCode.RESOURCE_EXHAUSTED : GrpcStatusCode.INTERNAL,
          tooLarge
            ? `grpc: received message after decompression larger than max (${max})`
            : `grpc: failed to decompress the received message: ${errorText(error)}`,
        );
        return NOT_DECODED;
      }
      if (bytes.length > max) {
        call.cancel(
          GrpcStatusCode.RESOURCE_EXHAUSTED,
          `grpc: received message after decompression larger than max (${bytes.length} vs. ${max})`,
        );
        return NOT_DECODED;
      }
    }
    try {
      return method.deserialize(bytes);
    } catch (error) {
      call.cancel(GrpcStatusCode.INTERNAL, `grpc: error unmarshalling request: ${errorText(error)}`);
      return NOT_DECODED;
    }
  }
}
