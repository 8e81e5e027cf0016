/**
 * The storage seam of `navarch server`: where the API server's etcd v3 endpoint comes from.
 * With `--datastore-endpoint` it is a remote Navarch store or a real etcd; without it, the
 * embedded store member (from @navarch/store's `startStoreMember()`, wired here once it exists).
 */
import { EtcdKvStore, type KvStore } from '@navarch/apiserver';
import type { Logger } from 'pino';

/** A datastore connection and how to close it. */
export interface Datastore {
  readonly kv: KvStore;
  /** Human-readable description for the log. */
  readonly description: string;
  close(): Promise<void>;
}

/** Options that pick the datastore. */
export interface DatastoreOptions {
  /** Comma-separated etcd v3 URLs; empty for the embedded store. */
  readonly endpoint: string | undefined;
  readonly dataDir: string;
  readonly log: Logger;
}

/** Opens the datastore the flags ask for. */
export async function openDatastore(options: DatastoreOptions): Promise<Datastore> {
  if (options.endpoint !== undefined && options.endpoint !== '') {
    const endpoints = options.endpoint
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    const kv = new EtcdKvStore(endpoints);
    await kv.currentRevision();
    return {
      kv,
      description: `etcd v3 at ${endpoints.join(',')}`,
      close: async () => kv.close(),
    };
  }
  // The embedded store member is not available yet: @navarch/store does not export
  // startStoreMember(). Once it does, start it under options.dataDir here and connect an
  // EtcdKvStore to its client URL.
  throw new Error('the embedded store is not available yet; pass --datastore-endpoint http://HOST:PORT (etcd v3)');
}
