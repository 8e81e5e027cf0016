/**
 * The receive side of the peer transport (RaftPeer on the store's node:http2 GrpcServer) against
 * grpc-js clients, i.e. what any member that speaks navarch.peer.v1 sends: batch streams, refusals
 * (other cluster, removed member), the message limit, snapshot streams and their total size bound,
 * ClusterInfo, the senders' keepalive pings and stop() with streams open. Also the http2 batch sender against a grpc-js
 * server (a member of the previous kind) that refuses it.
 */
import { connect, type IncomingHttpHeaders } from 'node:http2';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import {
  fetchClusterInfo,
  GrpcStatusCode,
  PeerCallError,
  PeerTransport,
  StoreMetrics,
  type TransportHandler,
} from '@navarch/store';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFramedMessageBatch, encodeMessageBatch } from '../src/transport/batch-codec.js';
import { callPeer, dialPeer } from '../src/transport/peer-client.js';
import {
  type ClusterInfoResponse,
  type MessageBatch,
  raftPeerService,
  type SendResponse,
  type SnapshotChunk,
} from '../src/transport/peer-proto.js';
import { statusOf } from './grpc-test-helpers.js';
import { eventually, quietLogger } from './raftnode-harness.js';

interface Received {
  batches: { from: number; messages: string[] }[];
  snapshots: { from: number; header: string; data: Buffer }[];
}

const CLUSTER_ID = 7;
const REMOVED_MEMBER = 99;
const INFO: ClusterInfoResponse = {
  cluster_id: CLUSTER_ID,
  member_id: 2,
  members: [{ id: 2, name: 'two', peer_urls: ['http://127.0.0.1:1'], client_urls: [], is_learner: false }],
};

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A pino logger whose lines the test can read. */
function recordingLogger(): { logger: pino.Logger; lines: Array<{ msg: string; reason?: string }> } {
  const lines: Array<{ msg: string; reason?: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as { msg: string });
      callback();
    },
  });
  return { logger: pino({ level: 'warn' }, destination), lines };
}

/** Starts a receiving member (id 2, cluster 7) on a free port. */
async function receiver(
  options: {
    maxMessageBytes?: number;
    maxSnapshotBytes?: number;
    snapshotFails?: boolean;
    logger?: pino.Logger;
  } = {},
) {
  const received: Received = { batches: [], snapshots: [] };
  const handler: TransportHandler = {
    onMessages: (from, messages) =>
      received.batches.push({ from, messages: messages.map((m) => Buffer.from(m).toString()) }),
    onSnapshot: async (from, header, data) => {
      if (options.snapshotFails) throw new Error('disk full');
      received.snapshots.push({ from, header: Buffer.from(header).toString(), data: Buffer.from(data) });
    },
    clusterInfo: () => INFO,
    acceptsFrom: (from) => from !== REMOVED_MEMBER,
  };
  const metrics = new StoreMetrics();
  const transport = new PeerTransport({
    memberId: 2,
    clusterId: () => CLUSTER_ID,
    listenPeerUrls: ['http://127.0.0.1:0'],
    handler,
    metrics,
    logger: options.logger ?? quietLogger,
    ...(options.maxMessageBytes !== undefined ? { maxMessageBytes: options.maxMessageBytes } : {}),
    ...(options.maxSnapshotBytes !== undefined ? { maxSnapshotBytes: options.maxSnapshotBytes } : {}),
  });
  const [url] = await transport.start();
  cleanups.push(() => transport.stop());
  return { transport, url: url as string, received, metrics };
}

/** The RaftPeer client methods used here (grpc-js generates them at run time). */
interface RaftPeerClient extends grpc.Client {
  Send(
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: SendResponse) => void,
  ): grpc.ClientWritableStream<MessageBatch>;
  SendSnapshot(
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: SendResponse) => void,
  ): grpc.ClientWritableStream<SnapshotChunk>;
}

function client(url: string): RaftPeerClient {
  const Client = raftPeerService();
  const peer = new Client(new URL(url).host, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
  }) as unknown as RaftPeerClient;
  cleanups.push(() => peer.close());
  return peer;
}

/** Opens a client stream; `result` settles with the response or the status error. */
function open<T>(
  start: (
    callback: (error: grpc.ServiceError | null, response?: SendResponse) => void,
  ) => grpc.ClientWritableStream<T>,
) {
  let call: grpc.ClientWritableStream<T> | undefined;
  const result = new Promise<SendResponse>((resolve, reject) => {
    call = start((error, response) => (error ? reject(error) : resolve(response as SendResponse)));
  });
  result.catch(() => undefined);
  return { call: call as unknown as grpc.ClientWritableStream<T>, result };
}

/** Sender (member 1) of cluster `clusterId` with fast reconnects. */
async function sender(
  clusterId: number,
  snapshotChunkBytes = 64 * 1024,
  backoff = { initialMs: 10, maxMs: 50 },
): Promise<PeerTransport> {
  const transport = new PeerTransport({
    memberId: 1,
    clusterId: () => clusterId,
    listenPeerUrls: ['http://127.0.0.1:0'],
    handler: {
      onMessages: () => undefined,
      onSnapshot: async () => undefined,
      clusterInfo: () => INFO,
      acceptsFrom: () => true,
    },
    metrics: new StoreMetrics(),
    logger: quietLogger,
    initialBackoffMs: backoff.initialMs,
    maxBackoffMs: backoff.maxMs,
    snapshotChunkBytes,
  });
  await transport.start();
  cleanups.push(() => transport.stop());
  return transport;
}

type ServerHandlers = {
  Send?: (
    call: grpc.ServerReadableStream<MessageBatch, SendResponse>,
    callback: grpc.sendUnaryData<SendResponse>,
  ) => void;
  SendSnapshot?: (
    call: grpc.ServerReadableStream<SnapshotChunk, SendResponse>,
    callback: grpc.sendUnaryData<SendResponse>,
  ) => void;
};

/** A RaftPeer server on grpc-js, as members of the previous kind ran; returns its port. */
async function grpcJsPeer(handlers: ServerHandlers): Promise<number> {
  const server = new grpc.Server();
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<SendResponse>) =>
    callback({ code: grpc.status.UNIMPLEMENTED });
  server.addService(raftPeerService().service, {
    Send: handlers.Send ?? unimplemented,
    SendSnapshot: handlers.SendSnapshot ?? unimplemented,
    ClusterInfo: (_call: unknown, callback: grpc.sendUnaryData<ClusterInfoResponse>) => callback(null, INFO),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  cleanups.push(() => {
    server.forceShutdown();
  });
  return port;
}

const batch = (from: number, texts: string[], clusterId = CLUSTER_ID): MessageBatch => ({
  cluster_id: clusterId,
  from,
  to: 2,
  messages: texts.map((text) => Buffer.from(text)),
});

const chunk = (fields: Partial<SnapshotChunk>): SnapshotChunk => ({
  cluster_id: CLUSTER_ID,
  from: 1,
  to: 2,
  header: new Uint8Array(0),
  data: new Uint8Array(0),
  last: false,
  ...fields,
});

describe('the peer server (RaftPeer on GrpcServer) with grpc-js clients', () => {
  it('hands over every batch of a client stream in order, counts the bytes, and answers the count', async () => {
    const { url, received, metrics } = await receiver();
    const { call, result } = open<MessageBatch>((callback) => client(url).Send({}, callback));
    for (let i = 0; i < 50; i++) call.write(batch(1, [`a${i}`, `b${i}`, 'x'.repeat(i * 100)]));
    call.end();
    expect(Number((await result).received_batches)).toBe(50);
    expect(received.batches).toHaveLength(50);
    expect(received.batches.every((b) => b.from === 1)).toBe(true);
    expect(received.batches.map((b) => b.messages[0])).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
    expect(received.batches[49]?.messages[2]).toBe('x'.repeat(4900));
    const bytes = received.batches.reduce((sum, b) => sum + b.messages.join('').length, 0);
    expect(
      await metrics.registry.getSingleMetricAsString('navarch_store_network_peer_received_bytes_total'),
    ).toContain(`From="1"} ${bytes}`);
  });

  it('refuses a stream from another cluster and from a removed member with FAILED_PRECONDITION', async () => {
    const { url, received } = await receiver();
    const peer = client(url);
    const other = open<MessageBatch>((callback) => peer.Send({}, callback));
    other.call.write(batch(1, ['hello'], 8));
    // The sender never ends its long-lived stream: the refusal alone ends the call.
    expect(await statusOf(other.result)).toEqual({
      code: grpc.status.FAILED_PRECONDITION,
      details: 'cluster ID mismatch: local 7, remote 8',
    });
    const removed = open<MessageBatch>((callback) => peer.Send({}, callback));
    removed.call.write(batch(REMOVED_MEMBER, ['hello']));
    expect(await statusOf(removed.result)).toEqual({
      code: grpc.status.FAILED_PRECONDITION,
      details: 'member 63 is not part of the cluster (removed?)',
    });
    // A good stream on the same connection still works.
    const good = open<MessageBatch>((callback) => peer.Send({}, callback));
    good.call.write(batch(1, ['fine']));
    good.call.end();
    expect(Number((await good.result).received_batches)).toBe(1);
    expect(received.batches.map((b) => b.messages)).toEqual([['fine']]);
  });

  it('refuses a batch over the message limit with RESOURCE_EXHAUSTED', async () => {
    const { url, received } = await receiver({ maxMessageBytes: 64 * 1024 });
    const { call, result } = open<MessageBatch>((callback) => client(url).Send({}, callback));
    call.write(batch(1, ['small']));
    call.write(batch(1, ['y'.repeat(100 * 1024)]));
    const status = await statusOf(result);
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toMatch(/larger than max \(\d+ vs\. 65536\)/);
    expect(received.batches.map((b) => b.messages)).toEqual([['small']]);
  });

  it('assembles a snapshot stream, hands it over once and answers after Raft has it', async () => {
    const { url, received } = await receiver();
    const peer = client(url);
    const data = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const { call, result } = open<SnapshotChunk>((callback) => peer.SendSnapshot({}, callback));
    const size = 1024 * 1024;
    for (let offset = 0; offset < data.length; offset += size) {
      call.write(
        chunk({
          header: offset === 0 ? Buffer.from('snap-header') : new Uint8Array(0),
          data: data.subarray(offset, offset + size),
          last: offset + size >= data.length,
        }),
      );
    }
    call.end();
    expect(Number((await result).received_batches)).toBe(1);
    expect(received.snapshots).toHaveLength(1);
    expect(received.snapshots[0]?.header).toBe('snap-header');
    expect(received.snapshots[0]?.data.equals(data)).toBe(true);

    const cut = open<SnapshotChunk>((callback) => peer.SendSnapshot({}, callback));
    cut.call.write(chunk({ header: Buffer.from('h'), data: Buffer.from('part') }));
    cut.call.end();
    expect(await statusOf(cut.result)).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'snapshot stream ended before its last chunk',
    });
    const headless = open<SnapshotChunk>((callback) => peer.SendSnapshot({}, callback));
    headless.call.write(chunk({ data: Buffer.from('all'), last: true }));
    expect((await statusOf(headless.result)).code).toBe(grpc.status.INVALID_ARGUMENT);
    const foreign = open<SnapshotChunk>((callback) => peer.SendSnapshot({}, callback));
    foreign.call.write(chunk({ cluster_id: 8, header: Buffer.from('h'), last: true }));
    expect((await statusOf(foreign.result)).code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(received.snapshots).toHaveLength(1);
  });

  it('answers INTERNAL with the reason when Raft cannot take the snapshot', async () => {
    const { url } = await receiver({ snapshotFails: true });
    const { call, result } = open<SnapshotChunk>((callback) => client(url).SendSnapshot({}, callback));
    call.write(chunk({ header: Buffer.from('h'), data: Buffer.from('d'), last: true }));
    call.end();
    expect(await statusOf(result)).toEqual({ code: grpc.status.INTERNAL, details: 'disk full' });
  });

  it('answers ClusterInfo', async () => {
    const { url } = await receiver();
    const info = await fetchClusterInfo(url);
    expect(Number(info.cluster_id)).toBe(CLUSTER_ID);
    expect(Number(info.member_id)).toBe(2);
    expect(info.members.map((m) => [Number(m.id), m.name, m.peer_urls])).toEqual([
      [2, 'two', ['http://127.0.0.1:1']],
    ]);
  });

  it('answers keepalive pings however often they come, with or without a call, and keeps the connection', async () => {
    const { url, received } = await receiver();
    const session = connect(url);
    cleanups.push(() => session.destroy());
    let goaway = false;
    session.on('goaway', () => {
      goaway = true;
    });
    await new Promise((resolve) => session.once('connect', resolve));
    // The batch sender pings every 2 s even when idle; grpc-go/grpc-js servers police ping rates
    // (ENHANCE_YOUR_CALM) and this one must not. 30 pings back to back, no call open.
    for (let i = 0; i < 30; i++) {
      const ok = await new Promise<boolean>((resolve) => session.ping((error) => resolve(error === null)));
      expect(ok).toBe(true);
    }
    const stream = session.request({
      ':method': 'POST',
      ':path': '/navarch.peer.v1.RaftPeer/Send',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const headers = new Promise<IncomingHttpHeaders>((resolve) => stream.once('response', resolve));
    stream.write(encodeFramedMessageBatch(batch(1, ['after pings'])));
    expect((await headers)[':status']).toBe(200);
    await eventually('batch delivered', () => received.batches.length === 1);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => session.ping(resolve));
    expect(goaway).toBe(false);
    stream.close();
  });

  it('ends open batch streams with UNAVAILABLE on stop, drops a half-sent snapshot, and closes the port', async () => {
    const { transport, url, received } = await receiver();
    const peer = client(url);
    const send = open<MessageBatch>((callback) => peer.Send({}, callback));
    send.call.write(batch(1, ['before stop']));
    await eventually('batch delivered', () => received.batches.length === 1);
    const snapshot = open<SnapshotChunk>((callback) => peer.SendSnapshot({}, callback));
    snapshot.call.write(chunk({ header: Buffer.from('h'), data: Buffer.alloc(1000) }));
    await transport.stop();
    expect(await statusOf(send.result)).toEqual({
      code: grpc.status.UNAVAILABLE,
      details: 'member is stopping',
    });
    expect((await statusOf(snapshot.result)).code).not.toBe(grpc.status.OK);
    await expect(fetchClusterInfo(url, 2000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });
});

describe('the http2 batch sender against a refusing server', () => {
  it('closes a refused stream and dials again after a backoff, on this server', async () => {
    const { logger, lines } = recordingLogger();
    const { url, received } = await receiver({ logger });
    const batches = await sender(8);
    batches.setPeer(2, [url]);
    // Each refusal ends the sender's stream; a sender left half-open would be refused only once.
    await eventually('refused three times', () => {
      batches.send(2, Buffer.from('hello'));
      return lines.filter((line) => line.msg === 'refusing peer stream').length >= 3;
    });
    expect(lines[0]?.reason).toBe('cluster ID mismatch: local 7, remote 8');
    expect(received.batches).toEqual([]);
  });

  it('closes a stream that a grpc-js server (a member of the previous kind) refuses without resetting it', async () => {
    let streams = 0;
    const port = await grpcJsPeer({
      Send: (call, callback) => {
        streams += 1;
        call.sendMetadata(new grpc.Metadata());
        call.once('data', () => callback({ code: grpc.status.FAILED_PRECONDITION, details: 'refused' }));
      },
    });
    const batches = await sender(7);
    batches.setPeer(2, [`http://127.0.0.1:${port}`]);
    await eventually('a new stream after each refusal', () => {
      batches.send(2, Buffer.from('hello'));
      return streams >= 3;
    });
  });
});

describe("the sender's reconnect backoff", () => {
  it('keeps growing when every stream is answered with headers and then ended by an error at once', async () => {
    let streams = 0;
    const port = await grpcJsPeer({
      Send: (call, callback) => {
        streams += 1;
        call.sendMetadata(new grpc.Metadata());
        call.once('data', () => callback({ code: grpc.status.INTERNAL, details: 'rejects every batch' }));
      },
    });
    const transport = await sender(CLUSTER_ID, 64 * 1024, { initialMs: 10, maxMs: 400 });
    transport.setPeer(2, [`http://127.0.0.1:${port}`]);
    // 600 ms of batches: a backoff that started over on each stream's headers would redial every
    // ~10 ms (40 streams or more); growing 10, 20, 40 ... 400 ms it fits about 6.
    for (let elapsedMs = 0; elapsedMs < 600; elapsedMs += 5) {
      transport.send(2, Buffer.from('hello'));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(streams).toBeGreaterThanOrEqual(2);
    expect(streams).toBeLessThanOrEqual(10);
  });
});

describe('MessageBatch wire compatibility', () => {
  it('decodes what proto-loader encodes and the other way round', () => {
    const service = raftPeerService().service;
    const send = service.Send as unknown as {
      requestSerialize(value: MessageBatch): Buffer;
      requestDeserialize(bytes: Buffer): MessageBatch;
    };
    const value = batch(3, ['one', '', 'three']);
    const ours = encodeMessageBatch(value);
    const decoded = send.requestDeserialize(ours);
    expect(Number(decoded.from)).toBe(3);
    expect(decoded.messages.map((m) => Buffer.from(m).toString())).toEqual(['one', '', 'three']);
    expect(send.requestSerialize(value).equals(ours)).toBe(true);
  });
});

describe('the snapshot client on node:http2, and ClusterInfo', () => {
  const image = (bytes: number): Buffer => {
    const data = Buffer.alloc(bytes);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 253;
    return data;
  };

  it('streams a snapshot larger than the flow-control windows to this server', async () => {
    const { url, received } = await receiver();
    const transport = await sender(CLUSTER_ID);
    transport.setPeer(2, [url]);
    const data = image(5 * 1024 * 1024 + 3);
    await transport.sendSnapshot(2, Buffer.from('header'), data);
    expect(received.snapshots).toHaveLength(1);
    expect(received.snapshots[0]?.header).toBe('header');
    expect(received.snapshots[0]?.data.equals(data)).toBe(true);
    await transport.sendSnapshot(2, Buffer.from('empty'), new Uint8Array(0));
    expect(received.snapshots[1]).toMatchObject({ header: 'empty', data: Buffer.alloc(0) });
  });

  it('streams a snapshot to a grpc-js server (a member of the previous kind)', async () => {
    const chunks: SnapshotChunk[] = [];
    const port = await grpcJsPeer({
      SendSnapshot: (call, callback) => {
        call.on('data', (chunk: SnapshotChunk) => {
          chunks.push(chunk);
          if (chunk.last) callback(null, { received_batches: 1 });
        });
      },
    });
    const transport = await sender(CLUSTER_ID);
    transport.setPeer(2, [`http://127.0.0.1:${port}`]);
    const data = image(200 * 1024);
    await transport.sendSnapshot(2, Buffer.from('header'), data);
    expect(chunks.map((c) => c.last)).toEqual([false, false, false, true]);
    expect(Buffer.from(chunks[0]?.header ?? []).toString()).toBe('header');
    expect(chunks.slice(1).every((c) => c.header.length === 0)).toBe(true);
    expect(Buffer.concat(chunks.map((c) => c.data)).equals(data)).toBe(true);
    expect(chunks.every((c) => Number(c.cluster_id) === CLUSTER_ID && Number(c.from) === 1)).toBe(true);
  });

  it('fails a snapshot with the status of a refusing peer, of a gone peer, and at its deadline', async () => {
    const { url } = await receiver();
    const foreign = await sender(8);
    foreign.setPeer(2, [url]);
    await expect(foreign.sendSnapshot(2, Buffer.from('h'), image(1000))).rejects.toMatchObject({
      code: GrpcStatusCode.FAILED_PRECONDITION,
      details: 'cluster ID mismatch: local 7, remote 8',
    });

    const { url: goneUrl, transport: gone } = await receiver();
    await gone.stop();
    const transport = await sender(CLUSTER_ID);
    transport.setPeer(2, [goneUrl]);
    await expect(transport.sendSnapshot(2, Buffer.from('h'), image(1000))).rejects.toMatchObject({
      code: GrpcStatusCode.UNAVAILABLE,
      details: expect.stringContaining('ECONNREFUSED'),
    });

    const port = await grpcJsPeer({ SendSnapshot: () => undefined });
    transport.setPeer(3, [`http://127.0.0.1:${port}`]);
    await expect(transport.sendSnapshot(3, Buffer.from('h'), image(1000), 200)).rejects.toMatchObject({
      code: GrpcStatusCode.DEADLINE_EXCEEDED,
    });
  });

  it('refuses a snapshot over maxSnapshotBytes with RESOURCE_EXHAUSTED and logs it; one at the bound passes', async () => {
    const { logger, lines } = recordingLogger();
    const { url, received } = await receiver({ maxSnapshotBytes: 100_000, logger });
    const transport = await sender(CLUSTER_ID, 16 * 1024);
    transport.setPeer(2, [url]);
    await expect(transport.sendSnapshot(2, Buffer.from('header'), image(100_000))).rejects.toMatchObject({
      code: GrpcStatusCode.RESOURCE_EXHAUSTED,
      details: expect.stringMatching(
        /^snapshot larger than the limit of 100000 bytes \(\d+ bytes received so far\)$/,
      ),
    });
    expect(received.snapshots).toEqual([]);
    expect(lines.map((line) => line.msg)).toContain('refusing snapshot over the size limit');
    // Header and data count: 6 + 99,994 bytes is exactly the bound.
    await transport.sendSnapshot(2, Buffer.from('header'), image(100_000 - 6));
    expect(received.snapshots).toHaveLength(1);
    expect(received.snapshots[0]?.data.length).toBe(100_000 - 6);
  });

  it('ends a snapshot stream that never ends at the bound, instead of buffering all of it', async () => {
    const { url, received } = await receiver({ maxSnapshotBytes: 1024 * 1024 });
    const serialize = (
      raftPeerService().service.SendSnapshot as unknown as { requestSerialize(chunk: SnapshotChunk): Buffer }
    ).requestSerialize;
    // A sender (buggy or hostile) that never flags a chunk last; 64 MiB here, endless in spirit.
    const offered = 4096;
    let pulled = 0;
    function* endless(): Generator<Uint8Array> {
      while (pulled < offered) {
        pulled += 1;
        yield serialize(
          chunk({ header: pulled === 1 ? Buffer.from('h') : new Uint8Array(0), data: image(16 * 1024) }),
        );
      }
    }
    const { session, lastError } = dialPeer(url);
    cleanups.push(() => session.destroy());
    await expect(
      callPeer(
        session,
        '/navarch.peer.v1.RaftPeer/SendSnapshot',
        endless(),
        { deadlineMs: 30_000, maxResponseBytes: 1024 },
        lastError,
      ),
    ).rejects.toMatchObject({ code: GrpcStatusCode.RESOURCE_EXHAUSTED });
    // The answer stopped the sender: it did not get to push the rest (flow-control windows let a
    // few MiB through before the answer, never the 64 MiB).
    expect(pulled).toBeLessThan(offered);
    expect(received.snapshots).toEqual([]);
  });

  it('fetches ClusterInfo from a grpc-js server and from this one, on node:http2', async () => {
    const port = await grpcJsPeer({});
    const info = await fetchClusterInfo(`http://127.0.0.1:${port}`);
    expect(Number(info.cluster_id)).toBe(CLUSTER_ID);
    expect(info.members.map((m) => m.name)).toEqual(['two']);
    const { url } = await receiver();
    expect(await fetchClusterInfo(url)).toEqual(INFO);
  });

  it('fails ClusterInfo with a PeerCallError: UNAVAILABLE and why where nobody listens, DEADLINE_EXCEEDED on a silent peer', async () => {
    const { url, transport } = await receiver();
    await transport.stop();
    const refused = await fetchClusterInfo(url).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PeerCallError);
    expect(refused).toMatchObject({
      code: GrpcStatusCode.UNAVAILABLE,
      details: expect.stringContaining('ECONNREFUSED'),
    });
    // A peer that accepts the connection and then says nothing (SIGSTOP): the timeout covers it.
    const silent = createServer((socket) => socket.on('error', () => undefined));
    const sockets: Socket[] = [];
    silent.on('connection', (socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const { port } = silent.address() as AddressInfo;
    const late = await fetchClusterInfo(`http://127.0.0.1:${port}`, 200).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(PeerCallError);
    expect(late).toMatchObject({ code: GrpcStatusCode.DEADLINE_EXCEEDED });
  });
});
