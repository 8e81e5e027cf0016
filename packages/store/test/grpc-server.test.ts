/**
 * The node:http2 gRPC server (GrpcServer) against grpc-js's client, the reference implementation:
 * unary, server-streaming and bidi calls, statuses and their messages, unknown methods, the receive
 * limit, deadlines, cancellation, backpressure and shutdown. Protocol details grpc-js's client
 * cannot provoke (content-type, compression flag, grpc-timeout syntax, arbitrary DATA splits) are
 * checked with a raw node:http2 client.
 */
import { lookup } from 'node:dns/promises';
import { connect, type IncomingHttpHeaders } from 'node:http2';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  GrpcCallAbortedError,
  GrpcServer,
  type GrpcServiceDefinition,
  GrpcStatusCode,
  readBackup,
  type ServiceImplementation,
  type StreamCall,
  type UnaryCall,
  type UnaryCallback,
} from '@navarch/store';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { frameMessage, MessageReader } from '../src/grpc/framing.js';
import { startHarness } from './api-harness.js';
import { signal, statusOf } from './grpc-test-helpers.js';

interface Msg {
  text: string;
  payload: Buffer;
  count: number;
}

const definition = protoLoader.fromJSON(
  {
    nested: {
      test: {
        nested: {
          Msg: {
            fields: {
              text: { type: 'string', id: 1 },
              payload: { type: 'bytes', id: 2 },
              count: { type: 'int32', id: 3 },
            },
          },
          Echo: {
            methods: {
              Unary: { comment: '', requestType: 'Msg', responseType: 'Msg' },
              Stream: { comment: '', requestType: 'Msg', responseType: 'Msg', responseStream: true },
              Bidi: {
                comment: '',
                requestType: 'Msg',
                responseType: 'Msg',
                requestStream: true,
                responseStream: true,
              },
            },
          },
        },
      },
    },
  },
  { keepCase: true, defaults: true },
);
const EchoClient = (
  grpc.loadPackageDefinition(definition) as unknown as {
    test: { Echo: grpc.ServiceClientConstructor };
  }
).test.Echo;
const echoService = EchoClient.service as unknown as GrpcServiceDefinition;

/** The client methods used here (grpc-js generates them at run time). */
interface Echo extends grpc.Client {
  Unary(
    request: Partial<Msg>,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: Msg) => void,
  ): grpc.ClientUnaryCall;
  Stream(request: Partial<Msg>, options?: grpc.CallOptions): grpc.ClientReadableStream<Msg>;
  Bidi(options?: grpc.CallOptions): grpc.ClientDuplexStream<Partial<Msg>, Msg>;
}

type Handlers = {
  Unary?: (call: UnaryCall<Msg>, callback: UnaryCallback<Partial<Msg>>) => void;
  Stream?: (call: StreamCall<Msg, Partial<Msg>>) => void;
  Bidi?: (call: StreamCall<undefined, Partial<Msg>>) => void;
};

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts a server with `handlers` (missing ones answer UNIMPLEMENTED) and a grpc-js client. */
async function start(handlers: Handlers, maxReceiveMessageBytes = 4 * 1024 * 1024) {
  const server = new GrpcServer({ maxReceiveMessageBytes });
  const unimplemented = (call: unknown, callback?: UnaryCallback<unknown>) => {
    if (callback) callback({ code: GrpcStatusCode.UNIMPLEMENTED, details: 'not in this test' });
    else (call as StreamCall<unknown, unknown>).fail({ code: GrpcStatusCode.UNIMPLEMENTED });
  };
  const implementation: ServiceImplementation = {
    Unary: handlers.Unary ?? unimplemented,
    Stream: handlers.Stream ?? unimplemented,
    Bidi: handlers.Bidi ?? unimplemented,
  };
  server.addService(echoService, implementation);
  const port = await server.listen('127.0.0.1', 0);
  const client = new EchoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
  }) as unknown as Echo;
  cleanups.push(() => server.shutdown(0));
  cleanups.push(() => client.close());
  return { server, port, client };
}

function unary(client: Echo, request: Partial<Msg>, options: grpc.CallOptions = {}): Promise<Msg> {
  return new Promise((resolve, reject) => {
    client.Unary(request, options, (error, response) => (error ? reject(error) : resolve(response as Msg)));
  });
}

function collect(stream: grpc.ClientReadableStream<Msg> | grpc.ClientDuplexStream<Partial<Msg>, Msg>) {
  return new Promise<Msg[]>((resolve, reject) => {
    const messages: Msg[] = [];
    stream.on('data', (message: Msg) => messages.push(message));
    stream.on('error', reject);
    stream.on('end', () => resolve(messages));
  });
}

describe('GrpcServer with a grpc-js client', () => {
  it('answers unary calls, and ends failed ones with the status and its (non-ASCII) message', async () => {
    const { client } = await start({
      Unary: (call, callback) => {
        if (call.request.text === 'fail') {
          callback({
            code: GrpcStatusCode.FAILED_PRECONDITION,
            details: 'etcdserver: naïve ☃ 100% "no"\tend',
          });
        } else {
          callback(null, { text: `echo ${call.request.text}`, count: call.request.count + 1 });
        }
      },
    });
    const reply = await unary(client, { text: 'héllo', count: 41 });
    expect(reply.text).toBe('echo héllo');
    expect(reply.count).toBe(42);
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => unary(client, { text: `${i}` })));
    expect(many.map((m) => m.text)).toEqual(Array.from({ length: 50 }, (_, i) => `echo ${i}`));
    expect(await statusOf(unary(client, { text: 'fail' }))).toEqual({
      code: grpc.status.FAILED_PRECONDITION,
      details: 'etcdserver: naïve ☃ 100% "no"\tend',
    });
  });

  it('streams server responses and bidi responses, ending with OK or the handler status', async () => {
    const { client } = await start({
      Stream: (call) => {
        for (let i = 0; i < call.request.count; i++) call.write({ text: `${call.request.text}${i}` });
        if (call.request.text === 'fail')
          call.fail({ code: GrpcStatusCode.OUT_OF_RANGE, details: 'too far' });
        else call.end();
      },
      Bidi: (call) => {
        let seen = 0;
        call.on('data', (request: Msg) => {
          seen += 1;
          call.write({ text: request.text.toUpperCase(), count: seen });
        });
        call.on('end', () => call.end());
      },
    });
    const streamed = await collect(client.Stream({ text: 'm', count: 3 }));
    expect(streamed.map((m) => m.text)).toEqual(['m0', 'm1', 'm2']);

    const failing = client.Stream({ text: 'fail', count: 2 });
    const received: string[] = [];
    failing.on('data', (m: Msg) => received.push(m.text));
    const failed = await statusOf(collect(failing));
    expect(failed).toEqual({ code: grpc.status.OUT_OF_RANGE, details: 'too far' });
    expect(received).toEqual(['fail0', 'fail1']);

    const bidi = client.Bidi();
    const replies = collect(bidi);
    for (const text of ['a', 'b', 'c']) bidi.write({ text });
    bidi.end();
    expect((await replies).map((m) => [m.text, m.count])).toEqual([
      ['A', 1],
      ['B', 2],
      ['C', 3],
    ]);
  });

  it('ends a call whose handler throws with UNKNOWN, and keeps serving', async () => {
    const { client } = await start({
      Unary: (call, callback) => {
        if (call.request.text === 'throw') throw new Error('handler bug');
        callback(null, { text: 'fine' });
      },
      Bidi: (call) => {
        call.on('data', () => {
          throw new Error('listener bug');
        });
      },
    });
    expect(await statusOf(unary(client, { text: 'throw' }))).toEqual({
      code: grpc.status.UNKNOWN,
      details: 'handler bug',
    });
    const bidi = client.Bidi();
    bidi.write({ text: 'x' });
    expect(await statusOf(collect(bidi))).toEqual({ code: grpc.status.UNKNOWN, details: 'listener bug' });
    expect((await unary(client, { text: 'ok' })).text).toBe('fine');
  });

  it('listens on every address of a host name (localhost: 127.0.0.1 and ::1 where there is IPv6)', async () => {
    const server = new GrpcServer({ maxReceiveMessageBytes: 1024 });
    server.addService(echoService, {
      Unary: (call: UnaryCall<Msg>, callback: UnaryCallback<Partial<Msg>>) =>
        callback(null, { text: call.request.text }),
      Stream: (call: StreamCall<Msg, Partial<Msg>>) => call.end(),
      Bidi: (call: StreamCall<undefined, Partial<Msg>>) => call.end(),
    });
    cleanups.push(() => server.shutdown(0));
    const port = await server.listen('localhost', 0);
    const addresses = (await lookup('localhost', { all: true })).map((entry) => entry.address);
    for (const address of addresses) {
      const target = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
      const client = new EchoClient(target, grpc.credentials.createInsecure()) as unknown as Echo;
      cleanups.push(() => client.close());
      expect((await unary(client, { text: address })).text).toBe(address);
    }
    expect(addresses).toContain('127.0.0.1');
  });

  it('answers an unknown method or service with UNIMPLEMENTED', async () => {
    const { client } = await start({});
    const call = (path: string) =>
      new Promise((resolve, reject) =>
        client.makeUnaryRequest(
          path,
          (value: Buffer) => value,
          (value: Buffer) => value,
          Buffer.alloc(0),
          (error, response) => (error ? reject(error) : resolve(response)),
        ),
      );
    expect(await statusOf(call('/test.Echo/Nope'))).toEqual({
      code: grpc.status.UNIMPLEMENTED,
      details: 'unknown method Nope for service test.Echo',
    });
    expect(await statusOf(call('/test.Other/Unary'))).toEqual({
      code: grpc.status.UNIMPLEMENTED,
      details: 'unknown service test.Other',
    });
  });

  it('refuses a message over the receive limit with RESOURCE_EXHAUSTED without calling the handler', async () => {
    let handled = 0;
    const { client } = await start(
      {
        Unary: (call, callback) => {
          handled += 1;
          callback(null, { text: call.request.text });
        },
      },
      1024,
    );
    const refused = await statusOf(unary(client, { payload: Buffer.alloc(4096, 1) }));
    expect(refused.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused.details).toMatch(/larger than max \(\d+ vs\. 1024\)/);
    expect(handled).toBe(0);
    // The connection stays usable.
    expect((await unary(client, { text: 'small' })).text).toBe('small');
  });

  it('aborts the handler of a call whose deadline passes, with DEADLINE_EXCEEDED', async () => {
    const aborted = signal<unknown>();
    const { client } = await start({
      Unary: (call) => {
        call.signal.addEventListener('abort', () => aborted.resolve(call.signal.reason));
      },
    });
    const status = await statusOf(unary(client, { text: 'slow' }, { deadline: Date.now() + 200 }));
    expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    const reason = await aborted.promise;
    expect(reason).toBeInstanceOf(GrpcCallAbortedError);
    // grpc-js's client enforces the same deadline and may reset the stream first (CANCELLED); the
    // raw HTTP/2 test below has no client-side deadline and sees the server's own.
    expect([GrpcStatusCode.DEADLINE_EXCEEDED, GrpcStatusCode.CANCELLED]).toContain(
      (reason as GrpcCallAbortedError).code,
    );
  });

  it('tells unary and streaming handlers when the client cancels', async () => {
    const unaryAborted = signal<unknown>();
    const unaryStarted = signal();
    const streamCancelled = signal();
    const { client } = await start({
      Unary: (call) => {
        call.signal.addEventListener('abort', () => unaryAborted.resolve(call.signal.reason));
        unaryStarted.resolve();
      },
      Stream: (call) => {
        call.write({ text: 'first' });
        call.on('cancelled', () => streamCancelled.resolve());
      },
    });
    const pending = client.Unary({ text: 'x' }, {}, () => undefined);
    await unaryStarted.promise;
    pending.cancel();
    expect(((await unaryAborted.promise) as GrpcCallAbortedError).code).toBe(GrpcStatusCode.CANCELLED);

    const stream = client.Stream({ text: 'x' });
    stream.on('error', () => undefined);
    await new Promise((resolve) => stream.once('data', resolve));
    stream.cancel();
    await streamCancelled.promise;
  });

  it('paces a server stream by its reader: write() returns false and the handler waits for drain', async () => {
    const total = 160;
    const chunk = Buffer.alloc(64 * 1024, 7);
    let written = 0;
    let blocked = 0;
    const { client } = await start({
      Stream: (call) => {
        const pump = (): void => {
          while (written < total) {
            written += 1;
            if (!call.write({ count: written, payload: chunk })) {
              blocked += 1;
              call.once('drain', pump);
              return;
            }
          }
          call.end();
        };
        pump();
      },
    });
    const stream = client.Stream({});
    let received = 0;
    let maxAhead = 0;
    for await (const message of stream as AsyncIterable<Msg>) {
      received += 1;
      expect(message.count).toBe(received);
      maxAhead = Math.max(maxAhead, written - received);
    }
    expect(received).toBe(total);
    expect(blocked).toBeGreaterThan(0);
    // Without backpressure the handler would have written all 160 (10 MiB) before the first read.
    expect(maxAhead).toBeLessThan(total / 2);
  });

  it('lets a call in flight finish on shutdown, refuses new calls, and cancels what outlives the grace period', async () => {
    const started = signal();
    let finish: () => void = () => undefined;
    const bidiCancelled = signal();
    const { server, client, port } = await start({
      Unary: (call, callback) => {
        finish = () => callback(null, { text: `done ${call.request.text}` });
        started.resolve();
      },
      Bidi: (call) => {
        call.on('cancelled', () => bidiCancelled.resolve());
        call.write({ text: 'open' });
      },
    });
    const watch = client.Bidi();
    const watchEnded = statusOf(collect(watch));
    await new Promise((resolve) => watch.once('data', resolve));
    const inFlight = unary(client, { text: 'late' });
    await started.promise;
    const stopped = server.shutdown(300);
    finish();
    expect((await inFlight).text).toBe('done late');
    const second = new EchoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Echo;
    cleanups.push(() => second.close());
    expect((await statusOf(unary(second, { text: 'new' }, { deadline: Date.now() + 5000 }))).code).toBe(
      grpc.status.UNAVAILABLE,
    );
    await stopped;
    await bidiCancelled.promise;
    expect((await watchEnded).code).not.toBe(grpc.status.OK);
  });
});

/** A raw HTTP/2 request: what the server answered, headers, trailers and data. */
async function raw(
  port: number,
  headers: Record<string, string>,
  body: Buffer[],
): Promise<{ headers: IncomingHttpHeaders; trailers: IncomingHttpHeaders; data: Buffer }> {
  const session = connect(`http://127.0.0.1:${port}`);
  try {
    return await new Promise((resolve, reject) => {
      const request = session.request({
        ':method': 'POST',
        ':path': '/test.Echo/Unary',
        'content-type': 'application/grpc',
        te: 'trailers',
        ...headers,
      });
      let response: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders = {};
      const data: Buffer[] = [];
      request.on('response', (h) => {
        response = h;
      });
      request.on('trailers', (t) => {
        trailers = t;
      });
      request.on('data', (d: Buffer) => data.push(d));
      request.on('error', reject);
      request.on('close', () => resolve({ headers: response, trailers, data: Buffer.concat(data) }));
      for (const part of body) request.write(part);
      request.end();
    });
  } finally {
    session.close();
  }
}

const encodeMsg = (message: Partial<Msg>): Buffer =>
  (echoService.Unary as unknown as { requestSerialize(value: Partial<Msg>): Buffer }).requestSerialize(
    message,
  );
const decodeMsg = (bytes: Buffer): Msg =>
  (echoService.Unary as unknown as { responseDeserialize(value: Buffer): Msg }).responseDeserialize(bytes);

describe('GrpcServer protocol details (raw HTTP/2)', () => {
  const echo: Handlers = {
    Unary: (call, callback) => callback(null, { text: call.request.text }),
  };

  it('reassembles a message split into one-byte DATA frames and answers with headers, message, trailers', async () => {
    const { port } = await start(echo);
    const framed = frameMessage(encodeMsg({ text: 'split' }));
    const parts = [...framed].map((byte) => Buffer.from([byte]));
    const answer = await raw(port, {}, parts);
    expect(answer.headers[':status']).toBe(200);
    expect(answer.headers['content-type']).toBe('application/grpc');
    expect(answer.trailers['grpc-status']).toBe('0');
    expect(answer.data.readUInt32BE(1)).toBe(answer.data.length - 5);
    expect(decodeMsg(answer.data.subarray(5)).text).toBe('split');
  });

  it("sends a method's pre-framed response as is, and no Date header (as grpc-go)", async () => {
    const server = new GrpcServer({ maxReceiveMessageBytes: 1024 });
    cleanups.push(() => server.shutdown(0));
    const framedBy: string[] = [];
    const unaryMethod = echoService.Unary as GrpcServiceDefinition[string];
    server.addService(
      {
        ...echoService,
        Unary: {
          ...unaryMethod,
          responseSerializeFramed: (response: Partial<Msg>) => {
            framedBy.push(response.text ?? '');
            return frameMessage(encodeMsg({ text: `framed ${response.text}` }));
          },
        },
      },
      {
        Unary: ((call: UnaryCall<Msg>, callback: UnaryCallback<Partial<Msg>>) =>
          callback(null, { text: call.request.text })) as ServiceImplementation[string],
        Stream: (call: StreamCall<Msg, Partial<Msg>>) => call.end(),
        Bidi: (call: StreamCall<undefined, Partial<Msg>>) => call.end(),
      },
    );
    const port = await server.listen('127.0.0.1', 0);
    const answer = await raw(port, {}, [frameMessage(encodeMsg({ text: 'hello' }))]);
    expect(answer.trailers['grpc-status']).toBe('0');
    expect(framedBy).toEqual(['hello']);
    expect(decodeMsg(answer.data.subarray(5)).text).toBe('framed hello');
    expect(answer.headers.date).toBeUndefined();
  });

  it('answers a non-gRPC content-type with HTTP 415 and a grpc-status', async () => {
    const { port } = await start(echo);
    const answer = await raw(port, { 'content-type': 'application/json' }, [Buffer.from('{}')]);
    expect(answer.headers[':status']).toBe(415);
    expect(answer.headers['grpc-status']).toBe(String(GrpcStatusCode.INVALID_ARGUMENT));
  });

  it('reads gzip-compressed messages, refuses unknown encodings and a compressed flag without one', async () => {
    const { port } = await start(echo);
    const compressed = gzipSync(encodeMsg({ text: 'zipped' }));
    const frame = Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), compressed]);
    frame.writeUInt32BE(compressed.length, 1);
    const gzip = await raw(port, { 'grpc-encoding': 'gzip' }, [frame]);
    expect(gzip.trailers['grpc-status']).toBe('0');
    expect(decodeMsg(gzip.data.subarray(5)).text).toBe('zipped');

    const snappy = await raw(port, { 'grpc-encoding': 'snappy' }, [frame]);
    expect(snappy.headers['grpc-status']).toBe(String(GrpcStatusCode.UNIMPLEMENTED));
    expect(snappy.headers['grpc-accept-encoding']).toContain('gzip');

    const flagOnly = await raw(port, {}, [frame]);
    expect(flagOnly.headers['grpc-status']).toBe(String(GrpcStatusCode.INTERNAL));
  });

  it('ends a call at its grpc-timeout with DEADLINE_EXCEEDED, and refuses a malformed one', async () => {
    const reasons: unknown[] = [];
    const { port } = await start({
      Unary: (call) => call.signal.addEventListener('abort', () => reasons.push(call.signal.reason)),
    });
    const body = [frameMessage(encodeMsg({ text: 'x' }))];
    const late = await raw(port, { 'grpc-timeout': '50m' }, body);
    expect(late.headers['grpc-status']).toBe(String(GrpcStatusCode.DEADLINE_EXCEEDED));
    expect(reasons.map((reason) => (reason as GrpcCallAbortedError).code)).toEqual([
      GrpcStatusCode.DEADLINE_EXCEEDED,
    ]);
    const malformed = await raw(port, { 'grpc-timeout': '5x' }, body);
    expect(malformed.headers['grpc-status']).toBe(String(GrpcStatusCode.INTERNAL));
  });

  it('percent-encodes grpc-message bytes outside printable ASCII and the percent sign only', async () => {
    const { port } = await start({
      Unary: (_call, callback) => callback({ code: GrpcStatusCode.ABORTED, details: 'a b%c\né' }),
    });
    const answer = await raw(port, {}, [frameMessage(encodeMsg({}))]);
    expect(answer.headers['grpc-message']).toBe('a b%25c%0A%C3%A9');
  });
});

describe('MessageReader', () => {
  it('yields the same messages however the stream is split into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (messages, sizes) => {
          const wire = Buffer.concat(messages.map((m) => frameMessage(m)));
          const seen: Buffer[] = [];
          const reader = new MessageReader(1000, (data) => seen.push(Buffer.from(data)));
          let offset = 0;
          for (let i = 0; offset < wire.length; i++) {
            const size = sizes[i % sizes.length] as number;
            expect(reader.push(wire.subarray(offset, offset + size))).toBe(-1);
            offset += size;
          }
          expect(reader.partial).toBe(false);
          expect(seen.map((b) => [...b])).toEqual(messages.map((m) => [...m]));
        },
      ),
    );
  });

  it('reports a message over the limit from its prefix alone', () => {
    const reader = new MessageReader(10, () => undefined);
    expect(reader.push(Buffer.from([0, 0, 0]))).toBe(-1);
    expect(reader.push(Buffer.from([0, 11]))).toBe(11);
  });
});

describe('the etcd API on GrpcServer', () => {
  it('streams a snapshot larger than the stream buffers in order, paced by the reader', async () => {
    const h = await startHarness();
    cleanups.push(() => h.close());
    for (let i = 0; i < 24; i++)
      await h.call('KV', 'Put', { key: Buffer.from(`big/${i}`), value: Buffer.alloc(100_000, i) });
    const stream = h.serverStream('Maintenance', 'Snapshot');
    const chunks: Buffer[] = [];
    const remaining: number[] = [];
    for await (const message of stream as AsyncIterable<{ blob: Buffer; remaining_bytes: string }>) {
      chunks.push(message.blob);
      remaining.push(Number(message.remaining_bytes));
    }
    const backup = Buffer.concat(chunks);
    expect(backup.length).toBeGreaterThan(2_400_000);
    expect(remaining.at(-1)).toBe(0);
    expect(remaining.every((left, i) => i === 0 || left < (remaining[i - 1] as number))).toBe(true);
    expect(readBackup(backup).index).toBe(24);
  });
});
