/**
 * The receive side of the peer transport: service navarch.peer.v1.RaftPeer (Send, SendSnapshot,
 * ClusterInfo) on the store's own {@link GrpcServer} over node:http2.
 *
 * Not grpc-js's server: every Raft message a follower gets crosses this path, and grpc-js's
 * per-call and per-message machinery (listener chains, metadata objects, its stream wrappers)
 * cost about 2.5 times what this server does per batch. The wire is unchanged (same service,
 * paths, messages and statuses), so members of either kind, and grpc-js clients, talk to it as
 * before. Refusals (another cluster, a removed member) end a stream with FAILED_PRECONDITION.
 */
import { constants as bufferConstants } from 'node:buffer';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { ClientStreamCall, UnaryCall, UnaryCallback } from '../grpc/call.js';
import { GrpcServer, type GrpcServiceDefinition } from '../grpc/server.js';
import { type GrpcStatus, GrpcStatusCode } from '../grpc/status.js';
import { memberIdHex, type StoreMetrics } from '../member/metrics.js';
import { decodeMessageBatch } from './batch-codec.js';
import {
  type ClusterInfoResponse,
  type MessageBatch,
  type SendResponse,
  type SnapshotChunk,
  urlToTarget,
} from './peer-proto.js';

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

/** What a {@link PeerServer} needs. */
export interface PeerServerOptions {
  /** Cluster id; a function because a joining member learns it from its peers. */
  clusterId: () => number;
  handler: TransportHandler;
  metrics: StoreMetrics;
  logger: Logger;
  /** Largest message accepted (a batch or a snapshot chunk); larger ones: RESOURCE_EXHAUSTED. */
  maxMessageBytes: number;
  /**
   * Largest snapshot accepted, header plus data, in bytes; a stream that goes past it is answered
   * RESOURCE_EXHAUSTED and what it sent is dropped. See {@link maxSnapshotBytesForQuota}.
   */
  maxSnapshotBytes: number;
  /** The RaftPeer service as proto-loader loads it (its codecs for everything but batches). */
  service: grpc.ServiceClientConstructor;
}

/** How long stop() lets a snapshot being received finish before it drops the connections. */
const STOP_GRACE_MS = 1000;

/** What a snapshot may exceed the backend quota by, at least (see {@link maxSnapshotBytesForQuota}). */
const MIN_SNAPSHOT_MARGIN_BYTES = 64 * 1024 * 1024;

/**
 * The largest snapshot a member with backend quota `quotaBackendBytes` (--quota-backend-bytes)
 * accepts from a peer: the quota plus a quarter of it (at least 64 MiB), capped at the largest
 * Buffer this Node.js can build (a snapshot is assembled in one). The state machine refuses writes
 * beyond the quota, so a genuine snapshot stays near it; the margin covers what the quota does not
 * count: the image's framing (4 bytes per record, records being 56 bytes or more), the lease table
 * and the membership, and a write or two that crossed the quota.
 */
export function maxSnapshotBytesForQuota(quotaBackendBytes: number): number {
  const margin = Math.max(Math.floor(quotaBackendBytes / 4), MIN_SNAPSHOT_MARGIN_BYTES);
  return Math.min(quotaBackendBytes + margin, bufferConstants.MAX_LENGTH);
}

/**
 * The snapshot bound when the member's quota is not passed down: the one for etcd's default
 * quota, 2 GiB (so 2.5 GiB). A member whose quota is larger must pass its own bound.
 */
export const DEFAULT_MAX_SNAPSHOT_BYTES = maxSnapshotBytesForQuota(2 * 1024 * 1024 * 1024);

/** Serves RaftPeer to the other members; see the file comment. */
export class PeerServer {
  private server: GrpcServer | undefined;
  /** Ends each Send stream being served (with a status); used by stop(). */
  private readonly openSends = new Set<(status: GrpcStatus) => void>();
  /** Per-member received-bytes series, looked up once instead of hashing labels per batch. */
  private readonly receivedSeries = new Map<number, Counter.Internal>();

  constructor(private readonly options: PeerServerOptions) {}

  /** Binds every URL (http://host:port; port 0 picks a free one); resolves with the bound URLs. */
  async start(listenPeerUrls: readonly string[]): Promise<string[]> {
    const server = new GrpcServer({
      maxReceiveMessageBytes: this.options.maxMessageBytes,
      logger: this.options.logger,
    });
    // Batches are decoded by hand (batch-codec.ts); the rest keeps proto-loader's codec.
    const service = this.options.service.service as unknown as GrpcServiceDefinition;
    const send = service.Send;
    if (send === undefined) throw new Error('raft.proto lacks RaftPeer.Send');
    server.addService(
      { ...service, Send: { ...send, requestDeserialize: decodeMessageBatch } },
      {
        Send: (call: ClientStreamCall<MessageBatch>, callback: UnaryCallback<SendResponse>) =>
          this.serveSend(call, callback),
        SendSnapshot: (call: ClientStreamCall<SnapshotChunk>, callback: UnaryCallback<SendResponse>) =>
          this.serveSnapshot(call, callback),
        ClusterInfo: (_call: UnaryCall<unknown>, callback: UnaryCallback<ClusterInfoResponse>) =>
          callback(null, this.options.handler.clusterInfo()),
      },
    );
    const bound: string[] = [];
    try {
      for (const url of listenPeerUrls) {
        urlToTarget(url);
        const parsed = new URL(url);
        const port = await server.listen(parsed.hostname.replace(/^\[|\]$/g, ''), Number(parsed.port));
        parsed.port = String(port);
        bound.push(parsed.origin);
      }
    } catch (error) {
      // One URL could not be bound: release the others, the member cannot start.
      await server.shutdown(0);
      throw error;
    }
    this.server = server;
    return bound;
  }

  /** The received-bytes series of member `from`, looked up once per peer. */
  private receivedBytes(from: number): Counter.Internal {
    let series = this.receivedSeries.get(from);
    if (series === undefined) {
      series = this.options.metrics.peerReceivedBytes.labels({ From: memberIdHex(from) });
      this.receivedSeries.set(from, series);
    }
    return series;
  }

  private refuse(from: number, clusterId: number): string | undefined {
    if (clusterId !== this.options.clusterId())
      return `cluster ID mismatch: local ${memberIdHex(this.options.clusterId())}, remote ${memberIdHex(clusterId)}`;
    if (!this.options.handler.acceptsFrom(from))
      return `member ${memberIdHex(from)} is not part of the cluster (removed?)`;
    return undefined;
  }

  /**
   * One peer's long-lived batch stream: headers at once (the sender then knows it is connected),
   * each batch handed to Raft synchronously, a refused batch (other cluster, removed member) ends
   * the stream with FAILED_PRECONDITION.
   */
  private serveSend(call: ClientStreamCall<MessageBatch>, callback: UnaryCallback<SendResponse>): void {
    call.sendHeaders();
    let batches = 0;
    let finished = false;
    const finish = (status: GrpcStatus | null): void => {
      if (finished) return;
      finished = true;
      this.openSends.delete(finish);
      if (status !== null) callback(status);
      else callback(null, { received_batches: batches });
    };
    this.openSends.add(finish);
    call.on('data', (batch: MessageBatch) => {
      if (finished) return;
      const refusal = this.refuse(batch.from, batch.cluster_id);
      if (refusal) {
        this.options.logger.warn({ from: memberIdHex(batch.from), reason: refusal }, 'refusing peer stream');
        finish({ code: GrpcStatusCode.FAILED_PRECONDITION, details: refusal });
        return;
      }
      batches += 1;
      let bytes = 0;
      for (const m of batch.messages) bytes += m.byteLength;
      this.receivedBytes(batch.from).inc(bytes);
      this.options.handler.onMessages(batch.from, batch.messages);
    });
    call.on('end', () => finish(null));
    call.on('cancelled', () => {
      finished = true;
      this.openSends.delete(finish);
    });
  }

  /**
   * One snapshot, streamed in chunks: the first carries the header, all carry data, the last is
   * flagged; the assembled snapshot goes to Raft and the answer waits until Raft has it.
   *
   * The chunks are kept in memory until the last one (then copied into one buffer for Raft, so the
   * peak is twice the snapshot), hence the bound on the total: a stream that goes past
   * maxSnapshotBytes is answered RESOURCE_EXHAUSTED at once and its chunks are dropped.
   */
  private serveSnapshot(call: ClientStreamCall<SnapshotChunk>, callback: UnaryCallback<SendResponse>): void {
    let header: Uint8Array | undefined;
    let from = 0;
    const chunks: Uint8Array[] = [];
    /** Header and data bytes received so far (what maxSnapshotBytes bounds). */
    let totalBytes = 0;
    let finished = false;
    const fail = (code: number, details: string): void => {
      if (finished) return;
      finished = true;
      chunks.length = 0;
      callback({ code, details });
    };
    call.on('data', (chunk: SnapshotChunk) => {
      if (finished) return;
      const refusal = this.refuse(chunk.from, chunk.cluster_id);
      if (refusal) return fail(GrpcStatusCode.FAILED_PRECONDITION, refusal);
      from = chunk.from;
      const chunkBytes = chunk.data.byteLength + chunk.header.byteLength;
      this.receivedBytes(chunk.from).inc(chunkBytes);
      totalBytes += chunkBytes;
      if (totalBytes > this.options.maxSnapshotBytes) {
        this.options.logger.warn(
          {
            from: memberIdHex(from),
            receivedBytes: totalBytes,
            maxSnapshotBytes: this.options.maxSnapshotBytes,
          },
          'refusing snapshot over the size limit',
        );
        return fail(
          GrpcStatusCode.RESOURCE_EXHAUSTED,
          `snapshot larger than the limit of ${this.options.maxSnapshotBytes} bytes (${totalBytes} bytes received so far)`,
        );
      }
      if (header === undefined) header = chunk.header;
      if (chunk.data.byteLength > 0) chunks.push(chunk.data);
      if (!chunk.last) return;
      finished = true;
      if (header === undefined || header.byteLength === 0) {
        chunks.length = 0;
        callback({ code: GrpcStatusCode.INVALID_ARGUMENT, details: 'snapshot without header' });
        return;
      }
      const data = Buffer.concat(chunks);
      chunks.length = 0;
      this.options.handler.onSnapshot(from, header, data).then(
        () => callback(null, { received_batches: 1 }),
        (err: unknown) =>
          callback({
            code: GrpcStatusCode.INTERNAL,
            details: err instanceof Error ? err.message : String(err),
          }),
      );
    });
    call.on('end', () =>
      fail(GrpcStatusCode.INVALID_ARGUMENT, 'snapshot stream ended before its last chunk'),
    );
    call.on('cancelled', () => {
      finished = true;
      chunks.length = 0;
    });
  }

  /**
   * Ends the inbound batch streams (UNAVAILABLE: their senders reconnect later or elsewhere), then
   * shuts the server down: GOAWAY on every connection, and a snapshot being received gets a short
   * grace period before its connection is dropped.
   */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const finish of [...this.openSends])
      finish({ code: GrpcStatusCode.UNAVAILABLE, details: 'member is stopping' });
    await server.shutdown(STOP_GRACE_MS);
  }
}
