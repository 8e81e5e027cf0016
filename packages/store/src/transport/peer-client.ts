/**
 * The client side of the peer service's snapshot and ClusterInfo calls on node:http2, as the batch
 * stream already is: one gRPC call on a connection of its own, messages framed by hand, the single
 * response and the status read back. It replaces a grpc-js channel per peer that was kept open
 * (and pinged every 2 s) after its first snapshot, and grpc-js's machinery, for calls that need
 * none of it: no retries, no name resolution, no load balancing.
 *
 * A snapshot gets its own TCP connection (as etcd's snapshot sender does), so megabytes of
 * snapshot data never queue in front of the Raft messages of the batch stream.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  type IncomingHttpHeaders,
} from 'node:http2';
import { connect as netConnect } from 'node:net';
import { frameMessage, MessageReader } from '../grpc/framing.js';
import { GrpcStatusCode } from '../grpc/status.js';
import { urlToTarget } from './peer-proto.js';

/** A peer call that did not end with status OK; `code` is the gRPC status (as grpc-js's errors). */
export class PeerCallError extends Error {
  constructor(
    /** gRPC status code. */
    readonly code: number,
    /** The status message (grpc-message). */
    readonly details: string,
  ) {
    super(`${code} ${details}`);
    this.name = 'PeerCallError';
  }
}

/** Limits of one {@link callPeer}. */
export interface PeerCallOptions {
  /** The call is cancelled after this (and the server told so with grpc-timeout). */
  deadlineMs: number;
  /** Largest response message accepted. */
  maxResponseBytes: number;
}

/**
 * Dials `url` (http://host:port) for peer calls: TCP_NODELAY (small frames go out at once), no
 * push. The session's errors surface as its calls' failures; `lastError` keeps the first one so a
 * call can say why (connection refused) rather than only that its stream closed.
 */
export function dialPeer(url: string): { session: ClientHttp2Session; lastError: () => Error | undefined } {
  const target = new URL(`http://${urlToTarget(url)}`);
  let lastError: Error | undefined;
  const session = connect(target.origin, {
    settings: { enablePush: false },
    createConnection: () =>
      netConnect({
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: Number(target.port || 80),
        noDelay: true,
      }),
  });
  session.on('error', (error: Error) => {
    lastError ??= error;
  });
  return { session, lastError: () => lastError };
}

/**
 * Pings `session` every `intervalMs`; a ping not answered within `timeoutMs` destroys it (a peer
 * that went silent: partition, SIGSTOP), which fails its calls at once instead of at their deadline.
 * Stops when the session closes: node:http2 cancels pings on a closed session, which a GOAWAY from
 * the peer makes it (calls still running on it then rely on their deadline; the batch sender
 * leaves such a session, see PeerSender.onGoaway).
 */
export function keepAlive(session: ClientHttp2Session, intervalMs: number, timeoutMs: number): void {
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (session.destroyed || session.closed) return;
    const deadline = setTimeout(() => session.destroy(), timeoutMs).unref();
    const sent = session.ping((error) => {
      clearTimeout(deadline);
      if (error !== null) session.destroy();
      else timer = setTimeout(tick, intervalMs).unref();
    });
    if (!sent) {
      clearTimeout(deadline);
      session.destroy();
    }
  };
  timer = setTimeout(tick, intervalMs).unref();
  session.once('close', () => clearTimeout(timer));
}

/** A call's status from its trailers (or trailers-only headers); a malformed grpc-message is kept as sent. */
export function statusOf(headers: IncomingHttpHeaders): { code: number; details: string } {
  const raw = String(headers['grpc-message'] ?? '');
  let details = raw;
  try {
    details = decodeURIComponent(raw);
  } catch {
    // A malformed percent-encoding: keep the text as sent.
  }
  return { code: Number(headers['grpc-status']), details };
}

/** A grpc-timeout header value: at most 8 digits, so long deadlines go in seconds. */
function grpcTimeout(deadlineMs: number): string {
  const ms = Math.max(1, Math.ceil(deadlineMs));
  return ms < 100_000_000 ? `${ms}m` : `${Math.min(99_999_999, Math.ceil(ms / 1000))}S`;
}

/**
 * One gRPC call on `session`: sends the serialized request messages `requests` yields (pulled as
 * HTTP/2 flow control allows, so a large snapshot is never all queued at once), half-closes, and
 * resolves with the serialized response once the status is OK. Rejects with a
 * {@link PeerCallError}: the server's status, DEADLINE_EXCEEDED, or UNAVAILABLE when the stream or
 * connection broke without one.
 */
export function callPeer(
  session: ClientHttp2Session,
  path: string,
  requests: Iterator<Uint8Array>,
  options: PeerCallOptions,
  lastError: () => Error | undefined = () => undefined,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let stream: ClientHttp2Stream;
    try {
      stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: path,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        [constants.HTTP2_HEADER_TE]: 'trailers',
        'grpc-timeout': grpcTimeout(options.deadlineMs),
      });
    } catch (error) {
      reject(new PeerCallError(GrpcStatusCode.UNAVAILABLE, (error as Error).message));
      return;
    }
    let status: { code: number; details: string } | undefined;
    let response: Buffer | undefined;
    // A status ends the call even while requests are still being written (a refusal).
    const finish = (final: { code: number; details: string }): void => {
      status ??= final;
      if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    };
    const timer = setTimeout(
      () => finish({ code: GrpcStatusCode.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }),
      options.deadlineMs,
    );
    const reader = new MessageReader(options.maxResponseBytes, (data) => {
      response ??= Buffer.from(data);
    });
    stream.on('response', (headers) => {
      if (headers['grpc-status'] !== undefined) finish(statusOf(headers));
      else if (Number(headers[constants.HTTP2_HEADER_STATUS]) !== 200)
        finish({
          code: GrpcStatusCode.UNKNOWN,
          details: `HTTP status ${headers[constants.HTTP2_HEADER_STATUS]}`,
        });
    });
    stream.on('trailers', (trailers) => finish(statusOf(trailers)));
    stream.on('data', (chunk: Buffer) => {
      const tooLarge = reader.push(chunk);
      if (tooLarge >= 0)
        finish({
          code: GrpcStatusCode.RESOURCE_EXHAUSTED,
          details: `response larger than max (${tooLarge} vs. ${options.maxResponseBytes})`,
        });
    });
    stream.on('error', () => undefined);
    stream.on('close', () => {
      clearTimeout(timer);
      if (status?.code === GrpcStatusCode.OK && response !== undefined) resolve(response);
      else if (status !== undefined && status.code !== GrpcStatusCode.OK)
        reject(new PeerCallError(status.code, status.details));
      // The connection's own error (ECONNREFUSED...) is emitted after its streams closed.
      else
        setImmediate(() =>
          reject(
            new PeerCallError(
              GrpcStatusCode.UNAVAILABLE,
              lastError()?.message ?? `stream closed without a response (code ${stream.rstCode ?? 0})`,
            ),
          ),
        );
    });
    const pump = (): void => {
      while (!stream.closed && !stream.destroyed) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = requests.next();
        } catch (error) {
          // Runs as a 'drain' listener too, where a throw would end the process.
          finish({ code: GrpcStatusCode.INTERNAL, details: (error as Error).message });
          return;
        }
        if (next.done === true) {
          stream.end();
          return;
        }
        if (!stream.write(frameMessage(next.value))) {
          stream.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}
