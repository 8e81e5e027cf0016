import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants,
  type IncomingHttpHeaders,
} from 'node:http2';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { GrpcStatusCode } from '../grpc/status.js';
import { memberIdHex, type StoreMetrics } from '../member/metrics.js';
import { encodeFramedMessageBatch } from './batch-codec.js';
import { callPeer, dialPeer, keepAlive, PeerCallError, statusOf } from './peer-client.js';
import { type ClusterInfoResponse, raftPeerService, type SnapshotChunk } from './peer-proto.js';
import { DEFAULT_MAX_SNAPSHOT_BYTES, PeerServer, type TransportHandler } from './peer-server.js';

/** The gRPC method every Raft batch travels on (a client stream of MessageBatch). */
const SEND_PATH = '/navarch.peer.v1.RaftPeer/Send';
/** The gRPC method snapshots travel on (a client stream of SnapshotChunk). */
const SNAPSHOT_PATH = '/navarch.peer.v1.RaftPeer/SendSnapshot';
/** The unary gRPC method a joining member asks for the cluster's identity and membership. */
const CLUSTER_INFO_PATH = '/navarch.peer.v1.RaftPeer/ClusterInfo';
/** Largest ClusterInfo answer accepted (grpc-js's default receive limit, which applied before). */
const MAX_CLUSTER_INFO_BYTES = 4 * 1024 * 1024;
/** How long a stream must have stayed up for its end to start the reconnect backoff over. */
const STABLE_STREAM_MS = 1000;

export type { TransportHandler } from './peer-server.js';

/** Limits and timings of the peer transport. */
export interface TransportOptions {
  /** Local member id. */
  memberId: number;
  /** Cluster id; a function because a joining member learns it from its peers. */
  clusterId: () => number;
  /** Where to listen for peers (http://host:port; port 0 picks a free one). */
  listenPeerUrls: string[];
  handler: TransportHandler;
  metrics: StoreMetrics;
  logger: Logger;
  /** Messages queued per peer before new ones are dropped (Raft retransmits). Default 4096. */
  queueCapacity?: number;
  /** Upper bound on the bytes of one batch frame. Default 1 MiB. */
  maxBatchBytes?: number;
  /** gRPC max message size both ways. Default 32 MiB. */
  maxMessageBytes?: number;
  /** Size of each streamed snapshot chunk. Default 1 MiB. */
  snapshotChunkBytes?: number;
  /** First reconnect delay; doubles up to {@link maxBackoffMs}. Default 50 ms. */
  initialBackoffMs?: number;
  /** Cap on the reconnect delay. Default 2000 ms. */
  maxBackoffMs?: number;
  /** Interval of the pings on each peer connection. Default 2000 ms. */
  keepaliveTimeMs?: number;
  /** A ping not answered within this drops the connection. Default 2000 ms. */
  keepaliveTimeoutMs?: number;
  /**
   * Largest snapshot (header plus data) accepted from a peer; a larger one is refused with
   * RESOURCE_EXHAUSTED. Derive it from the member's quota with {@link maxSnapshotBytesForQuota}.
   * Default: that bound for etcd's default quota of 2 GiB (2.5 GiB).
   */
  maxSnapshotBytes?: number;
  /** Called when a peer could not be reached (Raft's reportUnreachable). */
  onUnreachable?: (peerId: number) => void;
}

/**
 * One outbound, long-lived gRPC client stream (RaftPeer/Send) per peer with a bounded queue,
 * written directly on node:http2: the sender is on every Raft message's path, and grpc-js's call
 * stack cost more per batch than the batch itself. Messages are batched while a previous write is
 * in flight (pipelining: many batches in flight on one HTTP/2 stream; HTTP/2 flow control pushes
 * back through `write()` returning false). Every connection is pinged every keepalive interval and
 * dropped when a ping goes unanswered (a silent peer: partition, SIGSTOP), so a dead peer is
 * noticed within keepaliveTimeMs + keepaliveTimeoutMs. On any end of the stream it reconnects
 * with exponential backoff; while disconnected messages stay queued up to capacity and further
 * ones are dropped and counted (Raft retransmits what matters).
 *
 * Invariant: the stream in use (`stream`) is always on a connection that is being pinged. A
 * GOAWAY breaks that on node:http2 (see {@link onGoaway}), so the sender leaves such a connection.
 */
class PeerSender {
  private readonly queue: Uint8Array[] = [];
  /** The connection new streams are opened on; undefined once it is closing (GOAWAY, reset). */
  private session: ClientHttp2Session | undefined;
  private stream: ClientHttp2Stream | undefined;
  /** The connection `stream` runs on (it may outlive `session` for a moment). */
  private streamSession: ClientHttp2Session | undefined;
  /** Connections left after a GOAWAY whose stream is finishing; destroyed by stop(). */
  private readonly draining = new Set<ClientHttp2Session>();
  private waitingForDrain = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  /** When the current stream's headers came (it is up); undefined while dialling or down. */
  private connectedAtMs: number | undefined;
  private flushScheduled = false;
  private stopped = false;
  /** True once the current stream has seen the server's headers. */
  connected = false;
  /** This peer's metric series, looked up once instead of hashing labels on every batch. */
  private readonly sentBytes: Counter.Internal;
  private readonly dropped: Counter.Internal;

  constructor(
    readonly peerId: number,
    public urls: string[],
    private readonly transport: PeerTransport,
  ) {
    this.backoffMs = transport.initialBackoffMs;
    this.sentBytes = transport.metrics.peerSentBytes.labels({ To: memberIdHex(peerId) });
    this.dropped = transport.metrics.peerDroppedMessages.labels({ To: memberIdHex(peerId) });
  }

  enqueue(message: Uint8Array): boolean {
    if (this.stopped) return false;
    if (this.queue.length >= this.transport.queueCapacity) {
      this.dropped.inc();
      return false;
    }
    this.queue.push(message);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Coalesce everything enqueued in this turn of the event loop into one batch.
      queueMicrotask(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
    return true;
  }

  private open(): void {
    if (this.stream || this.reconnectTimer || this.stopped) return;
    const url = this.urls[0];
    if (url === undefined) return;
    let session = this.session;
    if (session === undefined || session.closed || session.destroyed) {
      // dialPeer: TCP_NODELAY, so small frames go out at once (with Nagle's algorithm a pipelined
      // batch waits for the previous one's ACK, which the peer delays 40 ms on Linux).
      const opened = dialPeer(url).session;
      opened.on('goaway', () => this.onGoaway(opened));
      // Pinged until it closes (reset(), stop(), or a GOAWAY, after which onGoaway moves off it).
      keepAlive(opened, this.transport.keepaliveTimeMs, this.transport.keepaliveTimeoutMs);
      this.session = opened;
      session = opened;
    }
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(
        {
          [constants.HTTP2_HEADER_METHOD]: 'POST',
          [constants.HTTP2_HEADER_PATH]: SEND_PATH,
          [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
          [constants.HTTP2_HEADER_TE]: 'trailers',
        },
        { endStream: false },
      );
    } catch (err) {
      // The session is going away (GOAWAY, closing): drop it and dial again after the backoff.
      session.destroy();
      this.session = undefined;
      this.scheduleReconnect((err as Error).message);
      return;
    }
    let status = '';
    let statusCode = -1;
    // A status ends the call: the stream is closed at once (grpc-js's client does the same), or a
    // server that does not reset it (grpc-js's) would leave it half-open, every batch discarded.
    const onStatus = (headers: IncomingHttpHeaders): void => {
      // statusOf: a peer's malformed percent-encoding must not throw inside this event handler.
      const parsed = statusOf(headers);
      statusCode = parsed.code;
      status = `${parsed.code} ${parsed.details}`;
      if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    };
    stream.on('response', (headers) => {
      // A trailers-only answer (an error before any message) carries grpc-status in the headers.
      if (headers['grpc-status'] !== undefined) {
        onStatus(headers);
        return;
      }
      if (this.stream !== stream) return;
      this.connected = true;
      this.connectedAtMs = performance.now();
    });
    stream.on('trailers', onStatus);
    stream.on('drain', () => {
      if (this.stream !== stream) return;
      this.waitingForDrain = false;
      this.flush();
    });
    // The server's SendResponse only comes at the end; nothing to read before.
    stream.resume();
    stream.on('error', () => {});
    stream.on('close', () =>
      this.onStreamEnd(
        stream,
        status || `stream closed (code ${stream.rstCode ?? 0})`,
        statusCode === GrpcStatusCode.FAILED_PRECONDITION,
      ),
    );
    this.stream = stream;
    this.streamSession = session;
    this.waitingForDrain = false;
  }

  /**
   * The peer sent GOAWAY on `session` (it is shutting down or draining connections). node:http2
   * then closes the session, and from that moment cancels every ping on it without sending one
   * (Http2Session.ping on a closed session, Node 20), so a stream left there would no longer be
   * watched: if the peer then vanished, nothing would notice before TCP gave up, many minutes later.
   * So the sender leaves: it half-closes the stream (batches already written still arrive, and the
   * peer answers and ends the call), treats it as ended (reconnect with the usual backoff, on a new
   * connection that is pinged), and gives the old connection keepaliveTimeMs + keepaliveTimeoutMs
   * to finish before destroying it, the bound a ping would have given.
   */
  private onGoaway(session: ClientHttp2Session): void {
    if (this.session === session) this.session = undefined;
    const stream = this.stream;
    if (stream === undefined || this.streamSession !== session) return;
    const { keepaliveTimeMs, keepaliveTimeoutMs } = this.transport;
    const drainDeadline = setTimeout(() => session.destroy(), keepaliveTimeMs + keepaliveTimeoutMs).unref();
    this.draining.add(session);
    session.once('close', () => {
      clearTimeout(drainDeadline);
      this.draining.delete(session);
    });
    if (!stream.closed) stream.end();
    this.onStreamEnd(stream, 'peer sent GOAWAY', false);
  }

  /**
   * The stream ended: dial again after the backoff. A refusal (other cluster, removed member) is
   * not going to change within milliseconds, so it waits the longest backoff, not the first.
   */
  private onStreamEnd(stream: ClientHttp2Stream, reason: string, refused: boolean): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.streamSession = undefined;
    this.connected = false;
    // The backoff starts over only after a stream that stayed up: the server answers with headers
    // at once, so a status that ends every stream right away (a batch it rejects, a limit) would
    // otherwise redial some 20 times a second.
    if (this.connectedAtMs !== undefined && performance.now() - this.connectedAtMs >= STABLE_STREAM_MS)
      this.backoffMs = this.transport.initialBackoffMs;
    this.connectedAtMs = undefined;
    if (this.stopped) return;
    if (refused) this.backoffMs = this.transport.maxBackoffMs;
    this.scheduleReconnect(reason);
  }

  /** Reports the peer unreachable to Raft and dials again after the current backoff. */
  private scheduleReconnect(reason: string): void {
    this.transport.logger.debug({ peer: memberIdHex(this.peerId), reason }, 'peer stream ended');
    this.transport.onUnreachable?.(this.peerId);
    const delayMs = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.transport.maxBackoffMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.flush();
    }, delayMs);
  }

  flush(): void {
    if (this.stopped || this.queue.length === 0) return;
    this.open();
    const stream = this.stream;
    if (!stream) return;
    while (this.queue.length > 0 && !this.waitingForDrain) {
      const messages: Uint8Array[] = [];
      let bytes = 0;
      while (this.queue.length > 0) {
        const next = this.queue[0]!;
        if (messages.length > 0 && bytes + next.byteLength > this.transport.maxBatchBytes) break;
        this.queue.shift();
        if (next.byteLength > this.transport.maxMessageBytes - 1024) {
          this.dropped.inc();
          this.transport.logger.warn(
            { peer: memberIdHex(this.peerId), bytes: next.byteLength },
            'raft message over the size limit dropped',
          );
          continue;
        }
        messages.push(next);
        bytes += next.byteLength;
      }
      if (messages.length === 0) continue;
      this.sentBytes.inc(bytes);
      const frame = encodeFramedMessageBatch({
        cluster_id: this.transport.clusterId(),
        from: this.transport.memberId,
        to: this.peerId,
        messages,
      });
      if (!stream.write(frame)) this.waitingForDrain = true;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.closeConnections();
    for (const session of this.draining) session.destroy();
    this.queue.length = 0;
  }

  /** Drops the connections so the next send dials the (possibly new) URLs. */
  reset(urls: string[]): void {
    this.urls = urls;
    this.closeConnections();
  }

  private closeConnections(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.streamSession = undefined;
    this.connected = false;
    stream?.close(constants.NGHTTP2_CANCEL);
    this.session?.close();
    this.session = undefined;
  }
}

/**
 * The gRPC peer transport (service navarch.peer.v1.RaftPeer): a {@link PeerServer} that receives
 * batches and snapshots from peers, one {@link PeerSender} per peer for the batches out, and a
 * call on a connection of its own for each snapshot out. Everything runs on node:http2.
 */
export class PeerTransport {
  readonly memberId: number;
  readonly clusterId: () => number;
  readonly metrics: StoreMetrics;
  readonly logger: Logger;
  readonly queueCapacity: number;
  readonly maxBatchBytes: number;
  readonly maxMessageBytes: number;
  readonly snapshotChunkBytes: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly onUnreachable: ((peerId: number) => void) | undefined;
  /** Interval of the pings on each peer connection, and how long an answer may take. */
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly service: grpc.ServiceClientConstructor = raftPeerService();
  private readonly senders = new Map<number, PeerSender>();
  /** Set by stop(): later setPeer/send/sendSnapshot do nothing (no sender dials after stop). */
  private stopped = false;
  /** The receive side: batches, snapshots and ClusterInfo from peers. */
  private readonly server: PeerServer;
  /** Connections of snapshot calls in flight, dropped by stop(). */
  private readonly callSessions = new Set<ClientHttp2Session>();
  private readonly listenPeerUrls: string[];
  /** URLs actually bound (port 0 resolved), in the order of listenPeerUrls. */
  boundUrls: string[] = [];

  constructor(options: TransportOptions) {
    this.memberId = options.memberId;
    this.clusterId = options.clusterId;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.listenPeerUrls = options.listenPeerUrls;
    this.queueCapacity = options.queueCapacity ?? 4096;
    this.maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
    this.maxMessageBytes = options.maxMessageBytes ?? 32 * 1024 * 1024;
    this.snapshotChunkBytes = options.snapshotChunkBytes ?? 1024 * 1024;
    this.initialBackoffMs = options.initialBackoffMs ?? 50;
    this.maxBackoffMs = options.maxBackoffMs ?? 2000;
    this.keepaliveTimeMs = options.keepaliveTimeMs ?? 2000;
    this.keepaliveTimeoutMs = options.keepaliveTimeoutMs ?? 2000;
    this.onUnreachable = options.onUnreachable;
    this.server = new PeerServer({
      clusterId: options.clusterId,
      handler: options.handler,
      metrics: options.metrics,
      logger: options.logger,
      maxMessageBytes: this.maxMessageBytes,
      maxSnapshotBytes: options.maxSnapshotBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES,
      service: this.service,
    });
  }

  /** Binds every listen URL; resolves with the bound URLs (free ports resolved). */
  async start(): Promise<string[]> {
    this.boundUrls = await this.server.start(this.listenPeerUrls);
    return this.boundUrls;
  }

  /** Adds or updates a peer. Messages to unknown peers are dropped. Nothing once stopped. */
  setPeer(peerId: number, urls: string[]): void {
    // A Ready still running while the member stops may apply a configuration change: a sender
    // created now would dial and redial after stop().
    if (peerId === this.memberId || this.stopped) return;
    const existing = this.senders.get(peerId);
    if (existing) {
      if (existing.urls.join(',') !== urls.join(',')) existing.reset(urls);
      return;
    }
    this.senders.set(peerId, new PeerSender(peerId, urls, this));
  }

  /** Forgets a peer (removed member): closes its stream and drops its queue. */
  removePeer(peerId: number): void {
    this.senders.get(peerId)?.stop();
    this.senders.delete(peerId);
  }

  /** Known peer ids. */
  peers(): number[] {
    return [...this.senders.keys()];
  }

  /** True when the stream to `peerId` is established. */
  isConnected(peerId: number): boolean {
    return this.senders.get(peerId)?.connected ?? false;
  }

  /** Queues an encoded message for `to`; false when it was dropped (unknown peer or queue full). */
  send(to: number, message: Uint8Array): boolean {
    if (this.stopped) return false;
    const sender = this.senders.get(to);
    if (!sender) return false;
    return sender.enqueue(message);
  }

  /**
   * Streams a snapshot to `to` in chunks on a call and connection of its own (so it never holds up
   * the batch stream) and resolves once the peer has stepped it; rejects on any failure (a
   * {@link PeerCallError} with the peer's status, or the deadline).
   */
  async sendSnapshot(to: number, header: Uint8Array, data: Uint8Array, deadlineMs = 300_000): Promise<void> {
    if (this.stopped) throw new Error('peer transport stopped');
    const sender = this.senders.get(to);
    if (!sender) throw new Error(`unknown peer ${memberIdHex(to)}`);
    const url = sender.urls[0];
    if (url === undefined) throw new Error(`peer ${memberIdHex(to)} has no URL`);
    const { session, lastError } = dialPeer(url);
    keepAlive(session, this.keepaliveTimeMs, this.keepaliveTimeoutMs);
    this.callSessions.add(session);
    try {
      await callPeer(
        session,
        SNAPSHOT_PATH,
        this.snapshotChunks(to, header, data),
        { deadlineMs, maxResponseBytes: this.maxMessageBytes },
        lastError,
      );
    } finally {
      this.callSessions.delete(session);
      session.close();
    }
  }

  /** The serialized chunks of one snapshot, produced as the connection takes them. */
  private *snapshotChunks(to: number, header: Uint8Array, data: Uint8Array): Generator<Uint8Array> {
    const serialize = (
      this.service.service.SendSnapshot as unknown as { requestSerialize: (chunk: SnapshotChunk) => Buffer }
    ).requestSerialize;
    const base = { cluster_id: this.clusterId(), from: this.memberId, to };
    const sent = this.metrics.peerSentBytes.labels({ To: memberIdHex(to) });
    let offset = 0;
    let first = true;
    for (;;) {
      const end = Math.min(offset + this.snapshotChunkBytes, data.byteLength);
      const last = end >= data.byteLength;
      sent.inc(end - offset + (first ? header.byteLength : 0));
      yield serialize({
        ...base,
        header: first ? header : new Uint8Array(0),
        data: data.subarray(offset, end),
        last,
      });
      if (last) return;
      first = false;
      offset = end;
    }
  }

  /**
   * Closes every outbound stream, ends the inbound batch streams (UNAVAILABLE: their senders
   * reconnect elsewhere or later), then shuts the server down: GOAWAY on every connection, and a
   * snapshot being received gets a short grace period before its connection is dropped.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const sender of this.senders.values()) sender.stop();
    this.senders.clear();
    for (const session of this.callSessions) session.destroy();
    this.callSessions.clear();
    await this.server.stop();
  }
}

/**
 * Asks the member at `peerUrl` which cluster it belongs to (used when joining an existing cluster):
 * one unary RaftPeer/ClusterInfo call on a connection of its own (node:http2, as the other peer
 * calls), closed afterwards. Rejects with a {@link PeerCallError}: the peer's status,
 * DEADLINE_EXCEEDED after `timeoutMs` (connecting included), or UNAVAILABLE with the connection's
 * error (ECONNREFUSED...) when it could not be reached.
 */
export async function fetchClusterInfo(peerUrl: string, timeoutMs = 5000): Promise<ClusterInfoResponse> {
  const method = raftPeerService().service.ClusterInfo as unknown as {
    requestSerialize(request: object): Buffer;
    responseDeserialize(bytes: Buffer): ClusterInfoResponse;
  };
  const { session, lastError } = dialPeer(peerUrl);
  let answered = false;
  try {
    const response = await callPeer(
      session,
      CLUSTER_INFO_PATH,
      [method.requestSerialize({})][Symbol.iterator](),
      { deadlineMs: timeoutMs, maxResponseBytes: MAX_CLUSTER_INFO_BYTES },
      lastError,
    );
    answered = true;
    try {
      return method.responseDeserialize(response);
    } catch (error) {
      throw new PeerCallError(
        GrpcStatusCode.INTERNAL,
        `malformed ClusterInfo response: ${(error as Error).message}`,
      );
    }
  } finally {
    // A peer that answered gets a graceful close; one that did not (unreachable, too slow) may
    // never finish the handshake a graceful close would wait for.
    if (answered) session.close();
    else session.destroy();
  }
}
