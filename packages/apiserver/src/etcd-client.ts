/**
 * A lean etcd v3 gRPC client on node:http2, for the API server's storage (storage.ts): unary
 * calls (Range, Txn, Compact) and watch streams, nothing else. It replaces the etcd3 library,
 * whose layers (grpc-js call stacks and metadata, protobufjs objects, a retry policy and a
 * circuit breaker per call) cost the API server about 1 ms more CPU per create (bench:api,
 * Navarch store backend at 200 creates/s: 2.7 ms per create with etcd3, 1.6 ms with this).
 *
 * gRPC over HTTP/2 as the spec gives it: POST to /<service>/<method>, `content-type:
 * application/grpc`, `te: trailers`, each message framed as a compressed flag (0) and a 4-byte
 * big-endian length; the status arrives in `grpc-status`/`grpc-message` trailers (or headers, for
 * a trailers-only answer).
 *
 * Leader first: with several endpoints, unary calls go to the Raft leader's endpoint when the
 * client knows it. A write sent to a follower is forwarded to the leader, and the follower answers
 * only once the leader has told it of the commit and it has applied the write: two more trips
 * between members than on the leader, each one a turn of two busy processes. A linearizable read
 * on a follower likewise asks the leader first. The client learns the leader from
 * Maintenance.Status on every endpoint (the answering member's id and the leader it knows), at the
 * first call, then again once `leaderCheckMs` has passed or a call failed; until it knows, and
 * whenever the leader's endpoint is not among `endpoints`, it uses the endpoint that answered last.
 * A leader that moves costs only speed until the next check: the old one forwards. A new watch
 * starts on a follower's endpoint when the leader is known (see watchEndpoint).
 *
 * Failover: one HTTP/2 session per endpoint, opened on first use; calls stick to the endpoint
 * that answered last. A call that could not be sent (no connection) moves on to the next endpoint;
 * a read also moves on after a broken stream or UNAVAILABLE; a write that may have reached the
 * store is never sent twice (a retried create could report AlreadyExists for its own write).
 * A watch whose stream breaks resumes on the next endpoint from the revision after the last event
 * it delivered, as the etcd3 library's watcher did; only the store cancelling it ends it.
 */
import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { decodeStatusResponse, decodeWatchResponse, type WireEvent } from './etcd-wire.js';

/** gRPC status UNAVAILABLE: the store (or the connection to it) is not there now. */
export const grpcUnavailable = 14;

/** An etcd v3 call failed: the store's gRPC status and message, or a broken connection. */
export class EtcdRpcError extends Error {
  readonly code = 'NAVARCH_ERR_DATASTORE';

  constructor(
    /** gRPC status code (14 UNAVAILABLE for a connection that broke or never opened). */
    readonly grpcStatus: number,
    message: string,
    /** True when the connection failed, false when the store answered with this status. */
    readonly transport: boolean,
    /** True when the request certainly never reached the store (so resending it is safe). */
    readonly unsent = false,
  ) {
    super(message);
    this.name = 'EtcdRpcError';
  }
}

/** The store ended a watch: `compactRevision` > 0 when its start revision was compacted away. */
export class EtcdWatchCanceledError extends Error {
  readonly code = 'NAVARCH_ERR_WATCH_CANCELED';

  constructor(
    readonly compactRevision: number,
    readonly reason: string,
  ) {
    super(`Watcher canceled: ${reason || (compactRevision > 0 ? 'compacted' : 'by the store')}`);
    this.name = 'EtcdWatchCanceledError';
  }
}

/** Limits of the client. */
export interface EtcdClientOptions {
  /** How long opening a connection to one endpoint may take. */
  readonly connectTimeoutMs: number;
  /** Largest response message accepted (a range page of many large objects). */
  readonly maxReceiveBytes: number;
  /** How often, while calls are made, the client asks the endpoints again which one leads. */
  readonly leaderCheckMs: number;
}

/** How long an endpoint may take to answer a leader check before it counts as not answering. */
const statusTimeoutMs = 2000;

/** Whether a failed call may be sent again to another endpoint. */
export type RetryPolicy = 'read' | 'write';

/** Callbacks of one watch. */
export interface WatchHandlers {
  /** Events in revision order; never called after `onError` or `cancel()`. */
  onEvents(events: WireEvent[]): void;
  /** The store cancelled the watch (an `EtcdWatchCanceledError`); the watch is over. */
  onError(err: Error): void;
}

/** A running watch. */
export interface EtcdWatch {
  cancel(): void;
}

const watchResumeFirstDelayMs = 100;
const watchResumeMaxDelayMs = 5000;
/** HTTP/2 flow-control window: a range page of hundreds of objects arrives without stalling. */
const windowBytes = 16 * 1024 * 1024;

function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

function grpcMessage(value: string | string[] | undefined): string {
  const raw = Array.isArray(value) ? value.join(',') : (value ?? '');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function brokenConnection(err: unknown, endpoint: string, unsent = false): EtcdRpcError {
  const message = err instanceof Error ? err.message : String(err);
  return new EtcdRpcError(grpcUnavailable, `etcd endpoint ${endpoint}: ${message}`, true, unsent);
}

/** Splits a byte stream into gRPC messages. */
class MessageReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {}

  /** Adds bytes; returns the messages they complete. Throws on a compressed or oversized message. */
  push(data: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    const out: Buffer[] = [];
    while (this.buffer.length >= 5) {
      if (this.buffer[0] !== 0) throw new Error('compressed gRPC messages are not supported');
      const length = this.buffer.readUInt32BE(1);
      if (length > this.maxBytes) throw new Error(`gRPC message of ${length} bytes exceeds ${this.maxBytes}`);
      if (this.buffer.length < 5 + length) break;
      out.push(this.buffer.subarray(5, 5 + length));
      this.buffer = this.buffer.subarray(5 + length);
    }
    return out;
  }

  get pendingBytes(): number {
    return this.buffer.length;
  }
}

/** etcd v3 over HTTP/2 to a list of endpoints (`http://host:port`). */
export class EtcdClient {
  private readonly sessions = new Map<number, Promise<ClientHttp2Session>>();
  private readonly watches = new Set<EtcdWatch>();
  /** Index of the endpoint that answered last. */
  private current = 0;
  /** Index of the leader's endpoint, as the last leader check found it (undefined: not known). */
  private leader: number | undefined;
  /** When the last leader check started (performance.now()); -Infinity: check at the next call. */
  private leaderCheckedAt = Number.NEGATIVE_INFINITY;
  private leaderCheck: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly endpoints: readonly string[],
    private readonly options: EtcdClientOptions,
  ) {
    if (endpoints.length === 0) throw new Error('no etcd endpoint given');
  }

  /** One unary call; `path` is `/etcdserverpb.KV/Range` and so on. Resolves with the response message. */
  async unary(path: string, request: Buffer, retry: RetryPolicy): Promise<Buffer> {
    this.checkLeaderWhenDue();
    let lastError: unknown;
    const start = this.leader ?? this.current;
    for (let attempt = 0; attempt < this.endpoints.length; attempt++) {
      const index = (start + attempt) % this.endpoints.length;
      let session: ClientHttp2Session;
      try {
        session = await this.session(index);
      } catch (err) {
        lastError = err; // no connection, nothing sent: any call may try the next endpoint
        continue;
      }
      try {
        const response = await this.call(session, index, path, request);
        this.current = index;
        return response;
      } catch (err) {
        lastError = err;
        // An endpoint gone, "leader changed", no leader: who leads may have changed, so ask
        // again at the next call (and until then, the leader's endpoint is not preferred).
        if (
          err instanceof EtcdRpcError &&
          (err.transport || err.grpcStatus === grpcUnavailable || /leader/i.test(err.message))
        ) {
          this.leaderCheckedAt = Number.NEGATIVE_INFINITY;
          if (index === this.leader) this.leader = undefined;
        }
        const retryable =
          err instanceof EtcdRpcError &&
          (err.unsent || (retry === 'read' && err.grpcStatus === grpcUnavailable));
        if (!retryable) throw err;
      }
    }
    throw lastError;
  }

  /** The endpoint unary calls go to first: the leader's when known (for logs and tests). */
  get preferredEndpoint(): string {
    return this.endpoints[this.leader ?? this.current]!;
  }

  /**
   * Where a new watch starts: on a follower when the leader is known, else where calls go. Every
   * write's path runs through the leader's event loop (it proposes, replicates, applies and
   * answers), and a watch adds the encoding and sending of each event to the member that serves
   * it; on a follower that work stays off the path. Waits for a leader check in progress (a
   * server opens its watches right after its first call, which starts one).
   */
  private async watchEndpoint(): Promise<number> {
    this.checkLeaderWhenDue();
    await this.leaderCheck;
    const leader = this.leader;
    return leader === undefined ? this.current : (leader + 1) % this.endpoints.length;
  }

  /** Starts a leader check when one is due and none runs; the call that triggered it does not wait. */
  private checkLeaderWhenDue(): void {
    if (this.endpoints.length === 1 || this.leaderCheck !== undefined) return;
    const now = performance.now();
    if (now - this.leaderCheckedAt < this.options.leaderCheckMs) return;
    this.leaderCheckedAt = now;
    this.leaderCheck = this.checkLeader().finally(() => {
      this.leaderCheck = undefined;
    });
  }

  /**
   * Asks every endpoint for its Status and keeps the index of the one whose member is the leader,
   * as told by the answer of the highest Raft term that names one. Never rejects, and takes at
   * most statusTimeoutMs: an endpoint still connecting then (a host that drops packets takes the
   * whole connect timeout) counts as not answering, and new watches wait for this check.
   */
  private async checkLeader(): Promise<void> {
    const empty = Buffer.alloc(0);
    const ask = async (index: number) => {
      const session = await this.session(index);
      const response = await this.call(
        session,
        index,
        '/etcdserverpb.Maintenance/Status',
        empty,
        statusTimeoutMs,
      );
      return { index, ...decodeStatusResponse(response) };
    };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), statusTimeoutMs);
    });
    const answers = await Promise.all(
      // An endpoint that does not answer (in time) is not the one to send to.
      this.endpoints.map((_, index) => Promise.race([ask(index).catch(() => undefined), late])),
    );
    clearTimeout(timer);
    if (this.closed) return;
    let newest: { leader: bigint; raftTerm: bigint } | undefined;
    for (const a of answers)
      if (a !== undefined && a.leader !== 0n && (newest === undefined || a.raftTerm > newest.raftTerm))
        newest = a;
    const leader = answers.find(
      (a) => a !== undefined && newest !== undefined && a.memberId === newest.leader,
    );
    this.leader = leader?.index;
  }

  /**
   * Opens a watch; `createRequest(startRevision)` encodes its WatchRequest. Resolves once the
   * store confirmed it; rejects when the first attempt fails (no connection, or cancelled by the
   * store). Afterwards a broken stream is resumed, and only a cancellation by the store ends it.
   */
  watch(
    fromRevision: number,
    createRequest: (startRevision: number) => Buffer,
    handlers: WatchHandlers,
  ): Promise<EtcdWatch> {
    let nextRevision = fromRevision;
    let stream: ClientHttp2Stream | undefined;
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    let resumeDelayMs = watchResumeFirstDelayMs;
    // Set by the first attempt: a follower's endpoint when the leader is known (see watchEndpoint).
    let endpoint = this.current;
    let first = true;
    const watch: EtcdWatch = {
      cancel: () => {
        if (ended) return;
        ended = true;
        this.watches.delete(watch);
        clearTimeout(timer);
        stream?.close(constants.NGHTTP2_CANCEL);
      },
    };
    const finish = (err: Error) => {
      if (ended) return;
      watch.cancel();
      handlers.onError(err);
    };
    return new Promise<EtcdWatch>((resolve, reject) => {
      let confirmed = false;
      let initialFailures = 0;
      const attempt = async () => {
        timer = undefined;
        if (ended) return;
        if (first) {
          first = false;
          endpoint = await this.watchEndpoint();
          if (ended) return;
        }
        let opened: ClientHttp2Stream;
        try {
          const session = await this.session(endpoint);
          if (ended) return;
          opened = session.request({
            ':method': 'POST',
            ':path': '/etcdserverpb.Watch/Watch',
            'content-type': 'application/grpc',
            te: 'trailers',
          });
        } catch (err) {
          broken(err);
          return;
        }
        stream = opened;
        const reader = new MessageReader(this.options.maxReceiveBytes);
        opened.on('data', (data: Buffer) => {
          if (ended || stream !== opened) return;
          let messages: Buffer[];
          try {
            messages = reader.push(data);
          } catch (err) {
            opened.close(constants.NGHTTP2_PROTOCOL_ERROR);
            broken(err);
            return;
          }
          for (const message of messages) {
            if (ended) return;
            const response = decodeWatchResponse(message);
            if (response.canceled || response.compactRevision > 0) {
              const err = new EtcdWatchCanceledError(response.compactRevision, response.cancelReason);
              if (!confirmed) {
                ended = true;
                this.watches.delete(watch);
                opened.close(constants.NGHTTP2_CANCEL);
                reject(err);
              } else finish(err);
              return;
            }
            if (response.created && !confirmed) {
              confirmed = true;
              this.watches.add(watch);
              resolve(watch);
            }
            resumeDelayMs = watchResumeFirstDelayMs;
            const events = response.events;
            if (events.length > 0) {
              nextRevision = events[events.length - 1]!.kv.modRevision + 1;
              handlers.onEvents(events);
            }
          }
        });
        // Only the current stream's end counts: 'close' follows 'error', and a resumed watch has
        // a new stream by the time the old one's events arrive.
        opened.on('error', (err) => {
          if (stream === opened) broken(err);
        });
        opened.on('close', () => {
          if (stream === opened)
            broken(new Error(`watch stream closed (HTTP/2 code ${opened.rstCode ?? 0})`));
        });
        // The request side stays open: etcd ends the whole watch stream when the client half-closes.
        opened.write(frame(createRequest(nextRevision)));
      };
      const broken = (err: unknown) => {
        if (ended) return;
        stream = undefined;
        if (!confirmed) {
          // Before the store confirmed the watch: each endpoint once, then give up.
          initialFailures++;
          if (initialFailures >= this.endpoints.length) {
            ended = true;
            reject(brokenConnection(err, this.endpoints[endpoint]!));
            return;
          }
          endpoint = (endpoint + 1) % this.endpoints.length;
          void attempt();
          return;
        }
        if (timer !== undefined) return;
        endpoint = (endpoint + 1) % this.endpoints.length;
        timer = setTimeout(() => void attempt(), resumeDelayMs);
        resumeDelayMs = Math.min(resumeDelayMs * 2, watchResumeMaxDelayMs);
      };
      void attempt();
    });
  }

  /** Cancels every watch and closes every connection; calls in flight may still complete. */
  close(): void {
    this.closed = true;
    for (const watch of [...this.watches]) watch.cancel();
    for (const pending of this.sessions.values()) {
      void pending.then(
        (session) => session.close(),
        () => undefined,
      );
    }
    this.sessions.clear();
  }

  /** The open session to endpoint `index`, connecting when there is none. */
  private session(index: number): Promise<ClientHttp2Session> {
    if (this.closed) return Promise.reject(new EtcdRpcError(grpcUnavailable, 'etcd client closed', true));
    const existing = this.sessions.get(index);
    if (existing) return existing;
    const endpoint = this.endpoints[index]!;
    const pending = new Promise<ClientHttp2Session>((resolve, reject) => {
      const target = new URL(endpoint);
      const session = connect(endpoint, {
        settings: { initialWindowSize: windowBytes },
        // Requests go out at once: with Nagle's algorithm a pipelined request waits for the
        // previous one's ACK, which the store delays (40 ms on Linux). grpc-js does the same.
        createConnection: () =>
          netConnect({
            host: target.hostname.replace(/^\[|\]$/g, ''),
            port: Number(target.port || 80),
            noDelay: true,
          }),
      });
      const forget = () => {
        if (this.sessions.get(index) === pending) this.sessions.delete(index);
      };
      const timer = setTimeout(() => {
        session.destroy();
        reject(
          brokenConnection(
            new Error(`no connection after ${this.options.connectTimeoutMs} ms`),
            endpoint,
            true,
          ),
        );
      }, this.options.connectTimeoutMs);
      session.once('connect', () => {
        clearTimeout(timer);
        session.setLocalWindowSize(windowBytes);
        resolve(session);
      });
      session.on('error', (err) => {
        clearTimeout(timer);
        forget();
        reject(brokenConnection(err, endpoint, true));
      });
      session.on('goaway', forget);
      session.on('close', () => {
        clearTimeout(timer);
        forget();
        reject(brokenConnection(new Error('connection closed'), endpoint, true));
      });
    });
    // A failed connection is forgotten at once (above); the rejection is the caller's to handle.
    pending.catch(() => undefined);
    this.sessions.set(index, pending);
    return pending;
  }

  /** One unary call on `session`; with `timeoutMs`, a call not answered by then is cancelled and fails. */
  private call(
    session: ClientHttp2Session,
    index: number,
    path: string,
    request: Buffer,
    timeoutMs?: number,
  ): Promise<Buffer> {
    const endpoint = this.endpoints[index]!;
    return new Promise<Buffer>((resolve, reject) => {
      let stream: ClientHttp2Stream;
      try {
        stream = session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
        });
      } catch (err) {
        reject(brokenConnection(err, endpoint, true));
        return;
      }
      const reader = new MessageReader(this.options.maxReceiveBytes);
      const messages: Buffer[] = [];
      let status: number | undefined;
      let message = '';
      let failure: Error | undefined;
      const readStatus = (headers: Record<string, string | string[] | undefined>) => {
        const value = headers['grpc-status'];
        if (value === undefined) return;
        status = Number(value);
        message = grpcMessage(headers['grpc-message']);
      };
      stream.on('response', (headers) => {
        const http = Number(headers[':status']);
        if (http !== 200) failure = brokenConnection(new Error(`HTTP status ${http}`), endpoint);
        readStatus(headers);
      });
      stream.on('trailers', readStatus);
      stream.on('data', (data: Buffer) => {
        try {
          for (const m of reader.push(data)) messages.push(m);
        } catch (err) {
          failure = err instanceof Error ? err : new Error(String(err));
          stream.close(constants.NGHTTP2_CANCEL);
        }
      });
      stream.on('error', (err) => {
        failure ??= brokenConnection(err, endpoint);
      });
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              failure ??= new EtcdRpcError(4, `${path}: no answer from ${endpoint} in ${timeoutMs} ms`, true);
              stream.close(constants.NGHTTP2_CANCEL);
            }, timeoutMs);
      stream.on('close', () => {
        clearTimeout(timer);
        if (failure) reject(failure);
        else if (status === undefined)
          reject(
            brokenConnection(
              new Error(`stream closed (HTTP/2 code ${stream.rstCode ?? 0})`),
              endpoint,
              // REFUSED_STREAM: the server took none of it (RFC 9113 8.7), so it may be sent again.
              stream.rstCode === constants.NGHTTP2_REFUSED_STREAM,
            ),
          );
        else if (status !== 0) reject(new EtcdRpcError(status, message, false));
        else if (messages.length !== 1 || reader.pendingBytes !== 0)
          reject(
            new EtcdRpcError(13, `${path}: expected one response message, got ${messages.length}`, false),
          );
        else resolve(messages[0]!);
      });
      stream.end(frame(request));
    });
  }
}
