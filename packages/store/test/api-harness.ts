/**
 * Test harness: the etcd API over LocalConsensus on a free loopback port, with grpc-js clients of
 * the five services. Not a test file; the api/watch/lease tests use it.
 */
import * as grpc from '@grpc/grpc-js';
import {
  EtcdApi,
  type EtcdApiLimits,
  type EtcdGrpcServer,
  LocalConsensus,
  listenEtcdApi,
  loadEtcdServices,
  MvccStore,
} from '@navarch/store';
import { ClassicLevel } from 'classic-level';
import { Registry } from 'prom-client';
import { removeTrackedDir, trackedTempDir } from '../../../test/helpers/registry.js';

/** A decoded response: field values as proto-loader gives them (int64 as decimal strings). */
export type Message = Record<string, unknown>;

/** Reads a dotted path (`header.revision`, `kvs.0.value`) of a decoded message. */
export function pick(message: unknown, path: string): unknown {
  let value: unknown = message;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

type UnaryMethod = (
  request: object,
  callback: (error: grpc.ServiceError | null, response: Message) => void,
) => void;

/** A running API and its clients. */
export interface Harness {
  url: string;
  store: MvccStore;
  consensus: LocalConsensus;
  api: EtcdApi;
  server: EtcdGrpcServer;
  /** The API's metrics registry. */
  registry: Registry;
  /** Calls a unary method of a service. */
  call(
    service: 'KV' | 'Lease' | 'Cluster' | 'Maintenance',
    method: string,
    request?: object,
  ): Promise<Message>;
  /** Opens a bidirectional stream (Watch.Watch or Lease.LeaseKeepAlive). */
  stream(
    service: 'Watch' | 'Lease',
    method: 'Watch' | 'LeaseKeepAlive',
  ): grpc.ClientDuplexStream<object, Message>;
  /** Opens a server stream (Maintenance.Snapshot). */
  serverStream(
    service: 'Maintenance',
    method: 'Snapshot',
    request?: object,
  ): grpc.ClientReadableStream<Message>;
  /** Closes clients and server, removes the data dir. */
  close(): Promise<void>;
}

/** Starts a harness; `limits` override the API's. */
export async function startHarness(
  limits: Partial<EtcdApiLimits> = {},
  leaseCheckIntervalMs = 100,
): Promise<Harness> {
  const directory = trackedTempDir('navarch-api-');
  const db = new ClassicLevel<Buffer, Buffer>(directory, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const store = new MvccStore({
    db: db.sublevel<Buffer, Buffer>('mvcc', { keyEncoding: 'buffer', valueEncoding: 'buffer' }),
  });
  await store.open();
  const consensus = new LocalConsensus(store);
  const registry = new Registry();
  const api = new EtcdApi({ consensus, store, limits, leaseCheckIntervalMs, registry });
  const server = await listenEtcdApi(api, '127.0.0.1', 0, limits);
  consensus.setClientUrls([server.url]);
  const services = loadEtcdServices();
  const target = `127.0.0.1:${server.port}`;
  const clients = new Map<string, grpc.Client>();
  const client = (service: keyof typeof services.clients): grpc.Client => {
    let existing = clients.get(service);
    if (existing === undefined) {
      existing = new services.clients[service](target, grpc.credentials.createInsecure(), {
        'grpc.max_receive_message_length': -1,
        'grpc.max_send_message_length': -1,
      });
      clients.set(service, existing);
    }
    return existing;
  };
  const method = (service: keyof typeof services.clients, name: string): UnaryMethod => {
    const instance = client(service) as unknown as Record<string, UnaryMethod>;
    const fn = instance[name];
    if (fn === undefined) throw new Error(`no method ${service}.${name}`);
    return fn.bind(instance);
  };
  return {
    url: server.url,
    store,
    consensus,
    api,
    server,
    registry,
    call: (service, name, request = {}) =>
      new Promise((resolve, reject) => {
        method(service, name)(request, (error, response) => (error ? reject(error) : resolve(response)));
      }),
    stream: (service, name) =>
      (client(service) as unknown as Record<string, () => grpc.ClientDuplexStream<object, Message>>)[
        name
      ]!.call(client(service)),
    serverStream: (service, name, request = {}) =>
      (client(service) as unknown as Record<string, (r: object) => grpc.ClientReadableStream<Message>>)[
        name
      ]!.call(client(service), request),
    close: async () => {
      for (const c of clients.values()) c.close();
      await server.stop(100);
      await store.flush();
      await db.close();
      removeTrackedDir(directory);
    },
  };
}

/** Collects the messages of a stream and lets a test await the next ones. */
export class StreamReader {
  readonly messages: Message[] = [];
  private readonly waiters: Array<() => void> = [];
  private ended: Error | null = null;

  constructor(stream: grpc.ClientDuplexStream<object, Message> | grpc.ClientReadableStream<Message>) {
    stream.on('data', (message: Message) => {
      this.messages.push(message);
      for (const waiter of this.waiters.splice(0)) waiter();
    });
    stream.on('error', (error: Error) => {
      this.ended = error;
      for (const waiter of this.waiters.splice(0)) waiter();
    });
    stream.on('end', () => {
      this.ended = this.ended ?? new Error('stream ended');
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  /** Resolves once `condition` holds, checking it after every message. */
  async waitUntil(condition: () => boolean): Promise<void> {
    for (;;) {
      if (condition()) return;
      if (this.ended !== null) throw this.ended;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Resolves with the first message from index `from` on that satisfies `predicate`. */
  async waitFor(predicate: (message: Message) => boolean, from = 0): Promise<Message> {
    for (;;) {
      const found = this.messages.slice(from).find(predicate);
      if (found !== undefined) return found;
      if (this.ended !== null) throw this.ended;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}
