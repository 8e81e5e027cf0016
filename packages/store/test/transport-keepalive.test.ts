/**
 * The batch sender's keepalive against a peer that goes silent (partition, SIGSTOP) without
 * closing its connections, with and without a GOAWAY before: the stream in use must always be on
 * a pinged connection, so the silent peer is reported unreachable within keepaliveTimeMs +
 * keepaliveTimeoutMs and the sender reconnects once it is back.
 *
 * The peer is a bare node:http2 server (it can send a GOAWAY and keep the stream, as a grpc-go
 * server does when a connection reaches its maximum age), behind a TCP proxy that can swallow
 * everything in both directions while keeping the connections open.
 */
import { constants, createServer as createHttp2Server, type ServerHttp2Stream } from 'node:http2';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { PeerTransport, StoreMetrics } from '@navarch/store';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, quietLogger } from './raftnode-harness.js';

const SEND_PATH = '/navarch.peer.v1.RaftPeer/Send';
/**
 * Short pings, so that a test waits half a second for what takes 4 s in production; not so short
 * that a loaded machine's event-loop lag passes for a silent peer (that would only add reconnects).
 */
const FAST_KEEPALIVE = { timeMs: 250, timeoutMs: 250 };
/** The production timings, where a spurious ping timeout must not cut the stream under test. */
const DEFAULT_KEEPALIVE = { timeMs: 2000, timeoutMs: 2000 };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One Send stream as the fake peer saw it. */
interface PeerStream {
  stream: ServerHttp2Stream;
  receivedBytes: number;
}

/** A RaftPeer/Send server that keeps every stream open and counts what arrives on each. */
async function fakePeer(): Promise<{ port: number; streams: PeerStream[] }> {
  const streams: PeerStream[] = [];
  const server = createHttp2Server();
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    if (headers[constants.HTTP2_HEADER_PATH] !== SEND_PATH) {
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const seen: PeerStream = { stream, receivedBytes: 0 };
    streams.push(seen);
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.on('data', (chunk: Buffer) => {
      seen.receivedBytes += chunk.length;
    });
    // The sender half-closed (it leaves the stream): answer and end the call, as a member does.
    stream.on('end', () => stream.end());
  });
  server.on('sessionError', () => undefined);
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    }),
  );
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const { stream } of streams) stream.session?.destroy();
        server.close(() => resolve());
      }),
  );
  return { port, streams };
}

/**
 * A TCP proxy to `targetPort`. `silence()` makes the peer go silent: every connection stays open,
 * new ones are accepted, and nothing gets through either way (no FIN, no RST: only a ping can tell).
 * `restore()` is the peer coming back: the connections it had are gone, new ones get through.
 */
async function silenceableProxy(targetPort: number): Promise<{
  url: string;
  silence(): void;
  restore(): void;
}> {
  let silent = false;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    track(client);
    if (silent) {
      client.resume(); // read and drop: the sender never feels TCP back-pressure either
      return;
    }
    const upstream = tcpConnect({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    client.on('data', (data: Buffer) => {
      if (!silent) upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => {
      if (!silent) client.write(data);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    }),
  );
  const destroyAll = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        destroyAll();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    silence: () => {
      silent = true;
    },
    restore: () => {
      silent = false;
      destroyAll();
    },
  };
}

/** Member 1's transport, sending to member 2 at `url`, recording each unreachable report. */
async function sender(
  url: string,
  keepalive = FAST_KEEPALIVE,
): Promise<{ transport: PeerTransport; unreachable: number[] }> {
  const unreachable: number[] = [];
  const transport = new PeerTransport({
    memberId: 1,
    clusterId: () => 7,
    listenPeerUrls: ['http://127.0.0.1:0'],
    handler: {
      onMessages: () => undefined,
      onSnapshot: async () => undefined,
      clusterInfo: () => ({ cluster_id: 7, member_id: 1, members: [] }),
      acceptsFrom: () => true,
    },
    metrics: new StoreMetrics(),
    logger: quietLogger,
    initialBackoffMs: 20,
    maxBackoffMs: 200,
    keepaliveTimeMs: keepalive.timeMs,
    keepaliveTimeoutMs: keepalive.timeoutMs,
    onUnreachable: (peerId) => unreachable.push(peerId),
  });
  await transport.start();
  cleanups.push(() => transport.stop());
  transport.setPeer(2, [url]);
  return { transport, unreachable };
}

/** Sends until the sender is connected and the peer's first stream has received a batch. */
async function firstBatchDelivered(transport: PeerTransport, peer: { streams: PeerStream[] }): Promise<void> {
  await eventually('connected, first batch delivered', () => {
    transport.send(2, Buffer.from('hello'));
    return transport.isConnected(2) && (peer.streams[0]?.receivedBytes ?? 0) > 0;
  });
}

/**
 * The peer goes silent; the sender, still sending (a leader's heartbeats), must report it
 * unreachable, then get back to it once it returns. The bound waited for is generous (a loaded
 * machine); the keepalive's own bound is 500 ms here, and without a ping nothing would ever fire.
 */
async function expectSilenceDetectedThenRecovery(
  peer: { streams: PeerStream[] },
  proxy: { silence(): void; restore(): void },
  transport: PeerTransport,
  unreachable: number[],
): Promise<void> {
  const reportsBefore = unreachable.length;
  proxy.silence();
  await eventually(
    'the silent peer reported unreachable',
    () => {
      transport.send(2, Buffer.from('heartbeat'));
      return unreachable.length > reportsBefore && !transport.isConnected(2);
    },
    10_000,
  );
  expect(unreachable.slice(reportsBefore).every((peerId) => peerId === 2)).toBe(true);

  const streamsBefore = peer.streams.length;
  proxy.restore();
  await eventually('a new stream to the returned peer carries batches', () => {
    transport.send(2, Buffer.from('after'));
    return transport.isConnected(2) && peer.streams.slice(streamsBefore).some((s) => s.receivedBytes > 0);
  });
}

describe("the batch sender's keepalive", () => {
  it('reports a peer that goes silent with the stream open, and reconnects when it is back', async () => {
    const peer = await fakePeer();
    const proxy = await silenceableProxy(peer.port);
    const { transport, unreachable } = await sender(proxy.url);
    await firstBatchDelivered(transport, peer);
    await expectSilenceDetectedThenRecovery(peer, proxy, transport, unreachable);
  });

  it('reports a peer that sends GOAWAY, keeps the stream, then goes silent', async () => {
    const peer = await fakePeer();
    const proxy = await silenceableProxy(peer.port);
    const { transport, unreachable } = await sender(proxy.url);
    await firstBatchDelivered(transport, peer);
    const first = peer.streams[0]!.stream;
    const session = first.session;
    if (session === undefined) throw new Error('the first stream lost its connection');
    // GOAWAY(NO_ERROR) naming the open stream as the last one processed: the stream may go on,
    // no new stream on this connection. node:http2 closes such a client session and will not
    // ping it any more. A ping from the peer after the GOAWAY, once answered, proves the sender
    // has read the GOAWAY (frames are read in order).
    session.goaway(constants.NGHTTP2_NO_ERROR, first.id ?? 0);
    await new Promise<void>((resolve, reject) =>
      session.ping((error) => (error ? reject(error) : resolve())),
    );
    await expectSilenceDetectedThenRecovery(peer, proxy, transport, unreachable);
  });

  it('finishes the stream a GOAWAY named, on a live peer: what was written arrives and the call ends', async () => {
    const peer = await fakePeer();
    const { transport } = await sender(`http://127.0.0.1:${peer.port}`, DEFAULT_KEEPALIVE);
    await firstBatchDelivered(transport, peer);
    const first = peer.streams[0]!;
    const firstSession = first.stream.session;
    if (firstSession === undefined) throw new Error('the first stream lost its connection');
    firstSession.goaway(constants.NGHTTP2_NO_ERROR, first.stream.id ?? 0);
    // The sender half-closes the old stream (the peer answers it), and opens the next one on a
    // new connection, where batches keep going.
    await eventually('the stream the GOAWAY named ended', () => first.stream.closed, 10_000);
    expect(first.stream.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
    await eventually('batches flow on a stream of a new connection', () => {
      transport.send(2, Buffer.from('after goaway'));
      return peer.streams.slice(1).some((s) => s.receivedBytes > 0 && s.stream.session !== firstSession);
    });
  });
});
