/**
 * Client-streaming calls on the node:http2 gRPC server (GrpcServer): against grpc-js's client (the
 * reference implementation) for messages across DATA frames, early answers, flow control,
 * cancellation and the receive limit, and with a raw node:http2 client for what grpc-js hides
 * (trailers-only errors, the RST_STREAM(NO_ERROR) after an early answer, a request cut mid-message).
 */
import { connect, constants, type IncomingHttpHeaders } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  GrpcServer,
  type GrpcServiceDefinition,
  GrpcStatusCode,
  type ServiceImplementation,
  type UnaryCallback,
} from '@navarch/store';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientStreamCall } from '../src/grpc/call.js';
import { frameMessage } from '../src/grpc/framing.js';
import { signal, statusOf } from './grpc-test-helpers.js';

interface Item {
  text: string;
  payload: Buffer;
  count: number;
}

const definition = protoLoader.fromJSON(
  {
    nested: {
      test: {
        nested: {
          Item: {
            fields: {
              text: { type: 'string', id: 1 },
              payload: { type: 'bytes', id: 2 },
              count: { type: 'int32', id: 3 },
            },
          },
          Collector: {
            methods: {
              Collect: { comment: '', requestType: 'Item', responseType: 'Item', requestStream: true },
            },
          },
        },
      },
    },
  },
  { keepCase: true, defaults: true },
);
const CollectorClient = (
  grpc.loadPackageDefinition(definition) as unknown as { test: { Collector: grpc.ServiceClientConstructor } }
).test.Collector;
const collectorService = CollectorClient.service as unknown as GrpcServiceDefinition;
const encodeItem = (item: Partial<Item>): Buffer =>
  (
    collectorService.Collect as unknown as { requestSerialize(value: Partial<Item>): Buffer }
  ).requestSerialize(item);
const decodeItem = (bytes: Buffer): Item =>
  (collectorService.Collect as unknown as { responseDeserialize(value: Buffer): Item }).responseDeserialize(
    bytes,
  );

interface Collector extends grpc.Client {
  Collect(
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: Item) => void,
  ): grpc.ClientWritableStream<Partial<Item>>;
}

type Handler = (call: ClientStreamCall<Item>, callback: UnaryCallback<Partial<Item>>) => void;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(handler: Handler, maxReceiveMessageBytes = 4 * 1024 * 1024) {
  const server = new GrpcServer({ maxReceiveMessageBytes, streamWindowBytes: 64 * 1024 });
  server.addService(collectorService, { Collect: handler } as ServiceImplementation);
  const port = await server.listen('127.0.0.1', 0);
  const client = new CollectorClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
  }) as unknown as Collector;
  cleanups.push(() => server.shutdown(0));
  cleanups.push(() => client.close());
  return { server, port, client };
}

/** Opens a Collect call; `result` settles with the response or the status error. */
function collect(client: Collector, options: grpc.CallOptions = {}) {
  let call: grpc.ClientWritableStream<Partial<Item>> | undefined;
  const result = new Promise<Item>((resolve, reject) => {
    call = client.Collect(options, (error, response) => (error ? reject(error) : resolve(response as Item)));
  });
  result.catch(() => undefined);
  return { call: call as unknown as grpc.ClientWritableStream<Partial<Item>>, result };
}

/** Sums what it receives and answers at the end. */
const summing: Handler = (call, callback) => {
  let count = 0;
  let bytes = 0;
  const texts: string[] = [];
  call.on('data', (item: Item) => {
    count += item.count;
    bytes += item.payload.length;
    texts.push(item.text);
  });
  call.on('end', () => callback(null, { count, text: `${texts.join(',')}|${bytes}` }));
};

describe('GrpcServer client streaming with a grpc-js client', () => {
  it('delivers every message in order, large ones across many DATA frames, and answers after the end', async () => {
    const { client } = await start(summing);
    const { call, result } = collect(client);
    const big = Buffer.alloc(300_000, 3);
    for (let i = 1; i <= 20; i++)
      call.write({ text: `m${i}`, count: i, payload: i % 5 === 0 ? big : Buffer.alloc(0) });
    call.end();
    const response = await result;
    expect(response.count).toBe(210);
    expect(response.text).toBe(`${Array.from({ length: 20 }, (_, i) => `m${i + 1}`).join(',')}|1200000`);

    const empty = collect(client);
    empty.call.end();
    expect(await empty.result).toMatchObject({ count: 0, text: '|0' });
  });

  it('ends the call with the status the handler answers before the client finished, and the client stops', async () => {
    const { client } = await start((call, callback) => {
      call.sendHeaders();
      call.on('data', (item: Item) => {
        if (item.text === 'bad')
          callback({ code: GrpcStatusCode.FAILED_PRECONDITION, details: 'refused: bad' });
      });
    });
    const { call, result } = collect(client);
    call.write({ text: 'ok' });
    call.write({ text: 'bad' });
    // The client never ends its side: the status alone must finish the call.
    expect(await statusOf(result)).toEqual({
      code: grpc.status.FAILED_PRECONDITION,
      details: 'refused: bad',
    });
  });

  it('refuses a message over the receive limit with RESOURCE_EXHAUSTED and tells the handler', async () => {
    const cancelled = signal();
    const received: string[] = [];
    const { client } = await start((call, callback) => {
      call.on('data', (item: Item) => received.push(item.text));
      call.on('end', () => callback(null, {}));
      call.on('cancelled', () => cancelled.resolve());
    }, 1024);
    const { call, result } = collect(client);
    call.write({ text: 'small' });
    call.write({ text: 'big', payload: Buffer.alloc(4096, 1) });
    const status = await statusOf(result);
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toMatch(/larger than max \(\d+ vs\. 1024\)/);
    await cancelled.promise;
    expect(received).toEqual(['small']);
  });

  it('tells the handler when the client cancels, and ignores its late answer', async () => {
    const cancelled = signal();
    const first = signal();
    let answer: UnaryCallback<Partial<Item>> = () => undefined;
    const { client } = await start((call, callback) => {
      answer = callback;
      call.on('data', () => first.resolve());
      call.on('cancelled', () => cancelled.resolve());
    });
    const { call, result } = collect(client);
    call.write({ text: 'x' });
    await first.promise;
    call.cancel();
    await cancelled.promise;
    answer(null, { text: 'too late' });
    expect((await statusOf(result)).code).toBe(grpc.status.CANCELLED);
  });

  it('ends a call whose listener throws with UNKNOWN', async () => {
    const { client } = await start((call) => {
      call.on('data', () => {
        throw new Error('listener bug');
      });
    });
    const { call, result } = collect(client);
    call.write({ text: 'x' });
    expect(await statusOf(result)).toEqual({ code: grpc.status.UNKNOWN, details: 'listener bug' });
  });
});

/** A raw HTTP/2 client-streaming request: headers, trailers, data and the reset code it ended with. */
async function raw(port: number, body: Buffer[], endRequest: boolean) {
  const session = connect(`http://127.0.0.1:${port}`);
  cleanups.push(() => session.destroy());
  return await new Promise<{
    headers: IncomingHttpHeaders;
    trailers: IncomingHttpHeaders;
    data: Buffer;
    rstCode: number | undefined;
  }>((resolve) => {
    const request = session.request({
      ':method': 'POST',
      ':path': '/test.Collector/Collect',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const data: Buffer[] = [];
    request.on('response', (h) => {
      headers = h;
    });
    request.on('trailers', (t) => {
      trailers = t;
    });
    request.on('data', (d: Buffer) => data.push(d));
    request.on('error', () => undefined);
    request.on('close', () =>
      resolve({ headers, trailers, data: Buffer.concat(data), rstCode: request.rstCode }),
    );
    for (const part of body) request.write(part);
    if (endRequest) request.end();
  });
}

describe('GrpcServer client streaming protocol details (raw HTTP/2)', () => {
  it('answers an early error as trailers-only, then resets the still-open request with NO_ERROR', async () => {
    const { port } = await start((call, callback) => {
      call.on('data', () => callback({ code: GrpcStatusCode.FAILED_PRECONDITION, details: 'no' }));
    });
    const answer = await raw(port, [frameMessage(encodeItem({ text: 'x' }))], false);
    expect(answer.headers[':status']).toBe(200);
    expect(answer.headers['grpc-status']).toBe(String(GrpcStatusCode.FAILED_PRECONDITION));
    expect(answer.headers['grpc-message']).toBe('no');
    expect(answer.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
  });

  it('sends headers early on request, then the response and the status in trailers', async () => {
    const { port } = await start((call, callback) => {
      call.sendHeaders();
      call.on('data', (item: Item) => callback(null, { text: `got ${item.text}` }));
    });
    const answer = await raw(port, [frameMessage(encodeItem({ text: 'x' }))], false);
    expect(answer.headers['grpc-status']).toBeUndefined();
    expect(answer.trailers['grpc-status']).toBe('0');
    expect(decodeItem(answer.data.subarray(5)).text).toBe('got x');
    expect(answer.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
  });

  it('holds the client back by flow control while the handler is paused, then delivers all in order', async () => {
    const paused = signal();
    let resume: () => void = () => undefined;
    const seen: number[] = [];
    const { port } = await start((call, callback) => {
      call.on('data', (item: Item) => {
        seen.push(item.count);
        if (item.count === 1) {
          call.pause();
          resume = () => call.resume();
          paused.resolve();
        }
      });
      call.on('end', () => callback(null, { count: seen.length }));
    });
    const session = connect(`http://127.0.0.1:${port}`);
    cleanups.push(() => session.destroy());
    const request = session.request({
      ':method': 'POST',
      ':path': '/test.Collector/Collect',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const trailers = new Promise<IncomingHttpHeaders>((resolve) => request.on('trailers', resolve));
    request.resume();
    const messages = 64;
    const payload = Buffer.alloc(32 * 1024, 1);
    let sentBytes = 0;
    let queuedBytes = 0;
    for (let i = 1; i <= messages; i++) {
      const framed = frameMessage(encodeItem({ count: i, payload }));
      queuedBytes += framed.length;
      // The callback runs once node:http2 has handed the bytes to the socket, within the window.
      request.write(framed, () => {
        sentBytes += framed.length;
      });
    }
    request.end();
    await paused.promise;
    // A few round trips: what the server would read without flow control would have been sent.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => session.ping(resolve));
    // The stream window is 64 KiB; 2 MiB are queued. Bounded by the window and node's read buffer.
    expect(sentBytes).toBeLessThan(512 * 1024);
    expect(seen).toEqual([1]);
    resume();
    expect((await trailers)['grpc-status']).toBe('0');
    expect(seen).toEqual(Array.from({ length: messages }, (_, i) => i + 1));
    expect(sentBytes).toBe(queuedBytes);
  });

  it('reassembles messages split at every byte, and refuses a request that ends inside a message', async () => {
    const { port } = await start(summing);
    const wire = Buffer.concat([
      frameMessage(encodeItem({ text: 'a', count: 1 })),
      frameMessage(encodeItem({ text: 'b', count: 2 })),
    ]);
    const split = await raw(
      port,
      [...wire].map((byte) => Buffer.from([byte])),
      true,
    );
    expect(split.trailers['grpc-status']).toBe('0');
    expect(decodeItem(split.data.subarray(5))).toMatchObject({ count: 3, text: 'a,b|0' });

    const cut = await raw(port, [wire.subarray(0, wire.length - 2)], true);
    expect(cut.headers['grpc-status']).toBe(String(GrpcStatusCode.INTERNAL));
    expect(cut.headers['grpc-message']).toBe('grpc: the request ended inside a message');
  });
});
