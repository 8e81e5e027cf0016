import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants } from 'node:http2';
import { connect as netConnect } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { memberIdHex, type StoreMetrics } from '../member/metrics.js';
import { decodeMessageBatch, encodeFramedMessageBatch, encodeMessageBatch } from './batch-codec.js';
import {
  type ClusterInfoResponse,
  type MessageBatch,
  raftPeerService,
  type SendResponse,
  type SnapshotChunk,
  urlToTarget,
} from './peer-proto.js';

/** The gRPC method every Raft batch travels on (a client stream of MessageBatch). */
const SEND_PATH = '/navarch.peer.v1.RaftPeer/Send';

/** What the transport delivers to, implemented by the Raft driver. */
export interface TransportHandler {
  /** Encoded Raft messages received from member `from`. Called synchronously per batch. */
  onMessages(from: number, messages: Uint8Array[]): void;
  /** A whole snapshot: the encoded MsgSnap without data, and the data. Resolves once stepped into Raft. */
  onSnapshot(from: number, header: Uint8Array, data: Uint8Array): Promise<void>;
  /** Answer for ClusterInfo. */
  clusterInfo(): ClusterInfoResponse;
  /** False for a member id the local member refuses messages from (removed, unknown cluster). */
  acceptsFrom(from: number): boolean;
}

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
  /** Called when a peer could not be reached (Raft's reportUnreachable). */
  onUnreachable?: (peerId: number) => void;
}

/**
 * One outbound, long-lived gRPC client stream (RaftPeer/Send) per peer with a bounded queue,
 * written directly on node:http2: the sender is on every Raft message's path, and grpc-js's call
 * stack cost more per batch than the batch itself. Messages are batched while a previous write is
 * in flight (pipelining: many batches in flight on one HTTP/2 stream; HTTP/2 flow control pushes
 * back through `write()` returning false). A ping every keepalive interval that goes unanswered
 * drops the connection (a silent peer: partition, SIGSTOP). On any end of the stream it reconnects
 * with exponential backoff; while disconnected messages stay queued up to capacity and further
 * ones are dropped and counted (Raft retransmits what matters).
 */
class PeerSender {
  private readonly queue: Uint8Array[] = [];
  private session: ClientHttp2Session | undefined;
  private stream: ClientHttp2Stream | undefined;
  private waitingForDrain = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private flushScheduled = false;
  private stopped = false;
  /** The grpc-js channel for the rare calls (snapshots, cluster info), dialled on first use. */
  private client: grpc.Client | undefined;
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
      const target = new URL(`http://${urlToTarget(url)}`);
      session = connect(target.origin, {
        settings: { enablePush: false },
        // Small frames go out at once: with Nagle's algorithm a pipelined batch waits for the
        // previous one's ACK, which the peer delays (40 ms on Linux). grpc-js does the same.
        createConnection: () =>
          netConnect({
            host: target.hostname.replace(/^\[|\]$/g, ''),
            port: Number(target.port || 80),
            noDelay: true,
          }),
      });
      const opened = session;
      // Failures surface as the stream's close; the listener keeps Node from throwing.
      opened.on('error', () => {});
      opened.on('goaway', () => {
        if (this.session === opened) this.session = undefined;
      });
      this.session = opened;
      this.startKeepalive(opened);
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
    stream.on('response', (headers) => {
      if (this.stream !== stream) return;
      // A trailers-only answer (an error before any message) carries grpc-status in the headers.
      if (headers['grpc-status'] !== undefined) {
        status = `${headers['grpc-status']} ${decodeURIComponent(String(headers['grpc-message'] ?? ''))}`;
        return;
      }
      this.connected = true;
      this.backoffMs = this.transport.initialBackoffMs;
    });
    stream.on('trailers', (trailers) => {
      status = `${trailers['grpc-status']} ${decodeURIComponent(String(trailers['grpc-message'] ?? ''))}`;
    });
    stream.on('drain', () => {
      if (this.stream !== stream) return;
      this.waitingForDrain = false;
      this.flush();
    });
    // The server's SendResponse only comes at the end; nothing to read before.
    stream.resume();
    stream.on('error', () => {});
    stream.on('close', () =>
      this.onStreamEnd(stream, status || `stream closed (code ${stream.rstCode ?? 0})`),
    );
    this.stream = stream;
    this.waitingForDrain = false;
  }

  /** Pings `session` every keepalive interval; a ping not answered in time drops the connection. */
  private startKeepalive(session: ClientHttp2Session): void {
    const { keepaliveTimeMs, keepaliveTimeoutMs } = this.transport;
    const tick = (): void => {
      if (this.session !== session || session.destroyed) return;
      const deadline = setTimeout(() => session.destroy(), keepaliveTimeoutMs).unref();
      const sent = session.ping((err) => {
        clearTimeout(deadline);
        if (err) session.destroy();
        else this.keepaliveTimer = setTimeout(tick, keepaliveTimeMs).unref();
      });
      if (!sent) {
        clearTimeout(deadline);
        session.destroy();
      }
    };
    clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = setTimeout(tick, keepaliveTimeMs).unref();
  }

  private onStreamEnd(stream: ClientHttp2Stream, reason: string): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.connected = false;
    if (this.stopped) return;
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
    this.queue.length = 0;
  }

  /** Drops the connections so the next send dials the (possibly new) URLs. */
  reset(urls: string[]): void {
    this.urls = urls;
    this.closeConnections();
  }

  private closeConnections(): void {
    clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    this.connected = false;
    stream?.close(constants.NGHTTP2_CANCEL);
    this.session?.close();
    this.session = undefined;
    this.client?.close();
    this.client = undefined;
  }

  /** The grpc-js channel to this peer for snapshots, dialled on first use. */
  channel(): grpc.Client {
    if (!this.client) {
      this.client = new this.transport.service(
        urlToTarget(this.urls[0] ?? ''),
        grpc.credentials.createInsecure(),
        this.transport.channelOptions,
      );
    }
    return this.client;
  }
}

/**
 * The gRPC peer transport (service navarch.peer.v1.RaftPeer): a server that receives batches and
 * snapshots from peers, and one {@link PeerSender} per peer for the way out.
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
  readonly keepaliveTimeMs = 2000;
  readonly keepaliveTimeoutMs = 2000;
  readonly service: grpc.ServiceClientConstructor = raftPeerService();
  readonly channelOptions: grpc.ChannelOptions;
  private readonly handler: TransportHandler;
  private readonly senders = new Map<number, PeerSender>();
  private readonly receivedSeries = new Map<number, Counter.Internal>();
  private server: grpc.Server | undefined;
  private readonly listenPeerUrls: string[];
  /** URLs actually bound (port 0 resolved), in the order of listenPeerUrls. */
  boundUrls: string[] = [];

  constructor(options: TransportOptions) {
    this.memberId = options.memberId;
    this.clusterId = options.clusterId;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.handler = options.handler;
    this.listenPeerUrls = options.listenPeerUrls;
    this.queueCapacity = options.queueCapacity ?? 4096;
    this.maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
    this.maxMessageBytes = options.maxMessageBytes ?? 32 * 1024 * 1024;
    this.snapshotChunkBytes = options.snapshotChunkBytes ?? 1024 * 1024;
    this.initialBackoffMs = options.initialBackoffMs ?? 50;
    this.maxBackoffMs = options.maxBackoffMs ?? 2000;
    this.onUnreachable = options.onUnreachable;
    this.channelOptions = {
      'grpc.max_send_message_length': this.maxMessageBytes,
      'grpc.max_receive_message_length': this.maxMessageBytes,
      // Detect a silent peer (partition, SIGSTOP) within a few seconds.
      'grpc.keepalive_time_ms': this.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': this.keepaliveTimeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': this.initialBackoffMs,
      'grpc.max_reconnect_backoff_ms': this.maxBackoffMs,
    };
  }

  /** Binds every listen URL; resolves with the bound URLs (free ports resolved). */
  async start(): Promise<string[]> {
    const server = new grpc.Server({
      'grpc.max_receive_message_length': this.maxMessageBytes,
      'grpc.max_send_message_length': this.maxMessageBytes,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 1000,
    });
    // Batches are decoded by hand (batch-codec.ts); the rest keeps proto-loader's codec.
    const definition: grpc.ServiceDefinition = {
      ...this.service.service,
      Send: {
        ...this.service.service.Send!,
        requestDeserialize: decodeMessageBatch,
        requestSerialize: encodeMessageBatch,
      },
    };
    server.addService(definition, {
      Send: (
        call: grpc.ServerReadableStream<MessageBatch, SendResponse>,
        callback: grpc.sendUnaryData<SendResponse>,
      ) => this.serveSend(call, callback),
      SendSnapshot: (
        call: grpc.ServerReadableStream<SnapshotChunk, SendResponse>,
        callback: grpc.sendUnaryData<SendResponse>,
      ) => this.serveSnapshot(call, callback),
      ClusterInfo: (_call: unknown, callback: grpc.sendUnaryData<ClusterInfoResponse>) =>
        callback(null, this.handler.clusterInfo()),
    });
    this.server = server;
    const bound: string[] = [];
    for (const url of this.listenPeerUrls) {
      const parsed = new URL(url);
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync(urlToTarget(url), grpc.ServerCredentials.createInsecure(), (err, p) =>
          err ? reject(err) : resolve(p),
        ),
      );
      parsed.port = String(port);
      bound.push(parsed.origin);
    }
    this.boundUrls = bound;
    return bound;
  }

  /** The received-bytes series of member `from`, looked up once per peer. */
  private receivedBytes(from: number): Counter.Internal {
    let series = this.receivedSeries.get(from);
    if (series === undefined) {
      series = this.metrics.peerReceivedBytes.labels({ From: memberIdHex(from) });
      this.receivedSeries.set(from, series);
    }
    return series;
  }

  private refuse(from: number, clusterId: number): string | undefined {
    if (clusterId !== this.clusterId())
      return `cluster ID mismatch: local ${memberIdHex(this.clusterId())}, remote ${memberIdHex(clusterId)}`;
    if (!this.handler.acceptsFrom(from))
      return `member ${memberIdHex(from)} is not part of the cluster (removed?)`;
    return undefined;
  }

  private serveSend(
    call: grpc.ServerReadableStream<MessageBatch, SendResponse>,
    callback: grpc.sendUnaryData<SendResponse>,
  ): void {
    // Headers right away, so the sender knows the stream is up and resets its backoff.
    call.sendMetadata(new grpc.Metadata());
    let batches = 0;
    let finished = false;
    const finish = (err: grpc.ServiceError | null): void => {
      if (finished) return;
      finished = true;
      callback(err, { received_batches: batches });
    };
    call.on('data', (batch: MessageBatch) => {
      if (finished) return;
      const refusal = this.refuse(batch.from, batch.cluster_id);
      if (refusal) {
        this.logger.warn({ from: memberIdHex(batch.from), reason: refusal }, 'refusing peer stream');
        finish({
          code: grpc.status.FAILED_PRECONDITION,
          details: refusal,
          message: refusal,
          name: 'Error',
          metadata: new grpc.Metadata(),
        });
        return;
      }
      batches += 1;
      let bytes = 0;
      for (const m of batch.messages) bytes += m.byteLength;
      this.receivedBytes(batch.from).inc(bytes);
      this.handler.onMessages(batch.from, batch.messages);
    });
    call.on('end', () => finish(null));
    call.on('error', () => finish(null));
  }

  private serveSnapshot(
    call: grpc.ServerReadableStream<SnapshotChunk, SendResponse>,
    callback: grpc.sendUnaryData<SendResponse>,
  ): void {
    let header: Uint8Array | undefined;
    let from = 0;
    const chunks: Uint8Array[] = [];
    let finished = false;
    const fail = (code: grpc.status, details: string): void => {
      if (finished) return;
      finished = true;
      callback({ code, details, message: details, name: 'Error', metadata: new grpc.Metadata() });
    };
    call.on('data', (chunk: SnapshotChunk) => {
      if (finished) return;
      const refusal = this.refuse(chunk.from, chunk.cluster_id);
      if (refusal) return fail(grpc.status.FAILED_PRECONDITION, refusal);
      from = chunk.from;
      if (header === undefined) header = chunk.header;
      if (chunk.data.byteLength > 0) chunks.push(chunk.data);
      this.metrics.peerReceivedBytes.inc(
        { From: memberIdHex(chunk.from) },
        chunk.data.byteLength + chunk.header.byteLength,
      );
      if (chunk.last) {
        finished = true;
        const data = Buffer.concat(chunks);
        if (header === undefined || header.byteLength === 0) {
          callback({
            code: grpc.status.INVALID_ARGUMENT,
            details: 'snapshot without header',
            name: 'Error',
            message: 'snapshot without header',
            metadata: new grpc.Metadata(),
          });
          return;
        }
        this.handler.onSnapshot(from, header, data).then(
          () => callback(null, { received_batches: 1 }),
          (err: unknown) => {
            const details = err instanceof Error ? err.message : String(err);
            callback({
              code: grpc.status.INTERNAL,
              details,
              message: details,
              name: 'Error',
              metadata: new grpc.Metadata(),
            });
          },
        );
      }
    });
    call.on('end', () => fail(grpc.status.INVALID_ARGUMENT, 'snapshot stream ended before its last chunk'));
    call.on('error', () => fail(grpc.status.CANCELLED, 'snapshot stream broken'));
  }

  /** Adds or updates a peer. Messages to unknown peers are dropped. */
  setPeer(peerId: number, urls: string[]): void {
    if (peerId === this.memberId) return;
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
    const sender = this.senders.get(to);
    if (!sender) return false;
    return sender.enqueue(message);
  }

  /**
   * Streams a snapshot to `to` in chunks on its own call (so it never blocks the message stream)
   * and resolves once the peer has stepped it; rejects on any failure.
   */
  async sendSnapshot(to: number, header: Uint8Array, data: Uint8Array, deadlineMs = 300_000): Promise<void> {
    const sender = this.senders.get(to);
    if (!sender) throw new Error(`unknown peer ${memberIdHex(to)}`);
    const client = sender.channel() as unknown as {
      SendSnapshot(
        options: grpc.CallOptions,
        callback: (err: grpc.ServiceError | null, response?: SendResponse) => void,
      ): grpc.ClientWritableStream<SnapshotChunk>;
    };
    await new Promise<void>((resolve, reject) => {
      const call = client.SendSnapshot({ deadline: Date.now() + deadlineMs }, (err) =>
        err ? reject(err) : resolve(),
      );
      call.on('error', () => {});
      const base = { cluster_id: this.clusterId(), from: this.memberId, to };
      const chunkBytes = this.snapshotChunkBytes;
      let offset = 0;
      let first = true;
      const pump = (): void => {
        while (true) {
          const end = Math.min(offset + chunkBytes, data.byteLength);
          const last = end >= data.byteLength;
          const chunk: SnapshotChunk = {
            ...base,
            header: first ? header : new Uint8Array(0),
            data: data.subarray(offset, end),
            last,
          };
          this.metrics.peerSentBytes.inc(
            { To: memberIdHex(to) },
            end - offset + (first ? header.byteLength : 0),
          );
          first = false;
          offset = end;
          const ok = call.write(chunk);
          if (last) {
            call.end();
            return;
          }
          if (!ok) {
            call.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  }

  /** Closes every stream and the server. */
  async stop(): Promise<void> {
    for (const sender of this.senders.values()) sender.stop();
    this.senders.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 1000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Asks the member at `peerUrl` which cluster it belongs to (used when joining an existing cluster). */
export async function fetchClusterInfo(peerUrl: string, timeoutMs = 5000): Promise<ClusterInfoResponse> {
  const Service = raftPeerService();
  const client = new Service(urlToTarget(peerUrl), grpc.credentials.createInsecure());
  try {
    return await new Promise<ClusterInfoResponse>((resolve, reject) => {
      (
        client as unknown as {
          ClusterInfo(
            request: object,
            options: grpc.CallOptions,
            callback: (err: grpc.ServiceError | null, response?: ClusterInfoResponse) => void,
          ): void;
        }
      ).ClusterInfo({}, { deadline: Date.now() + timeoutMs }, (err, response) =>
        err || !response ? reject(err ?? new Error('empty ClusterInfo response')) : resolve(response),
      );
    });
  } finally {
    client.close();
  }
}
