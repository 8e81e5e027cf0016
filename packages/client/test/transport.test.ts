/**
 * The transport's failure paths against servers that misbehave on purpose: no answer, no TLS
 * handshake, a body that stalls or breaks off, and an aborted watch. Each ends in the error a
 * caller maps (ConnectionError kinds, AbortError), never in a hang.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import {
  ConnectionError,
  KubeClient,
  type ResourceInfo,
  type RestClientOptions,
  type RestConfig,
  WELL_KNOWN_RESOURCES,
} from '@navarch/client';
import { afterEach, describe, expect, test } from 'vitest';

const configmaps = WELL_KNOWN_RESOURCES.find((r) => r.resource === 'configmaps') as ResourceInfo;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Listens on a free loopback port; sockets are destroyed and the server closed after the test. */
async function listen(server: HttpServer | NetServer): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

function client(server: string, options: RestClientOptions): KubeClient {
  const config: RestConfig = {
    server,
    insecureSkipTlsVerify: false,
    namespace: 'default',
    namespaceExplicit: false,
    contextName: 'test',
  };
  const kube = new KubeClient(config, options);
  cleanups.push(() => kube.close());
  return kube;
}

describe('time limits', () => {
  test('no response headers within the request timeout: an i/o timeout', async () => {
    const port = await listen(createHttpServer(() => {}));
    const err = await client(`http://127.0.0.1:${port}`, { requestTimeoutMs: 200 })
      .list(configmaps, 'default')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({
      kind: 'timeout',
      message: `Unable to connect to the server: dial tcp 127.0.0.1:${port}: i/o timeout`,
    });
  });

  test('a TCP connection that never completes the TLS handshake: an i/o timeout', async () => {
    const port = await listen(createNetServer(() => {}));
    const err = await client(`https://127.0.0.1:${port}`, { connectTimeoutMs: 200 })
      .list(configmaps, 'default')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'timeout' });
  });

  test('a body that stalls half-way: an i/o timeout', async () => {
    const port = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"items": [');
      }),
    );
    const err = await client(`http://127.0.0.1:${port}`, { requestTimeoutMs: 200 })
      .list(configmaps, 'default')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'timeout' });
  });
});

describe('broken connections', () => {
  test('a body cut off by the server is a connection error, not a JSON error', async () => {
    const port = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"items": [', () => res.socket?.destroy());
      }),
    );
    const err = await client(`http://127.0.0.1:${port}`, {})
      .list(configmaps, 'default')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ kind: 'other' });
  });

  test('aborting a watch ends its stream with an AbortError', async () => {
    const port = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a"}}}\n');
      }),
    );
    const controller = new AbortController();
    const stream = await client(`http://127.0.0.1:${port}`, {}).watch(configmaps, 'default', {
      signal: controller.signal,
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const event of stream) {
        seen.push(`${event.type} ${event.object.metadata?.name}`);
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['ADDED a']);
    expect(err).toMatchObject({ name: 'AbortError' });
  });
});
