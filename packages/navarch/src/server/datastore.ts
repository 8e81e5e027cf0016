/**
 * The storage seam of `navarch server`: where the API server's etcd v3 endpoint comes from.
 * With `--datastore-endpoint` it is a remote Navarch store or a real etcd; without it, an
 * embedded single store member (@navarch/store's `startStoreMember()`) under DATA_DIR/store.
 */
import { join } from 'node:path';
import { EtcdKvStore, type KvStore } from '@navarch/apiserver';
import { type StoreMember, startStoreMember } from '@navarch/store';
import type { Logger } from 'pino';

/** How long a start waits for the datastore to answer. */
const datastoreWaitMs = 60_000;

/** A datastore connection and how to close it. */
export interface Datastore {
  readonly kv: KvStore;
  /** Human-readable description for the log. */
  readonly description: string;
  /** The embedded store's metrics, served on the API server's /metrics too. */
  readonly metrics?: StoreMember['metrics'];
  close(): Promise<void>;
}

/** Options that pick the datastore. */
export interface DatastoreOptions {
  /** Comma-separated etcd v3 URLs; empty for the embedded store. */
  readonly endpoint: string | undefined;
  readonly dataDir: string;
  readonly log: Logger;
  /** Client URL of the embedded store (etcd v3, loopback). */
  readonly storeClientUrl: string;
  /** Peer URL of the embedded store; part of the member's identity, so keep it stable. */
  readonly storePeerUrl: string;
  /** Aborts waiting for the datastore (Ctrl-C during start). */
  readonly signal: AbortSignal;
}

/** Opens the datastore the flags ask for. */
export async function openDatastore(options: DatastoreOptions): Promise<Datastore> {
  if (options.endpoint !== undefined && options.endpoint !== '') {
    const endpoints = options.endpoint
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    const kv = new EtcdKvStore(endpoints);
    // The datastore may still be starting (same host, same boot): retry for a while.
    const deadline = Date.now() + datastoreWaitMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await kv.currentRevision();
        break;
      } catch (err) {
        if (Date.now() > deadline || options.signal.aborted) {
          kv.close();
          throw err;
        }
        options.log.warn(
          { err: err instanceof Error ? err.message : String(err), attempt },
          'datastore not reachable yet; retrying',
        );
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    return {
      kv,
      description: `etcd v3 at ${endpoints.join(',')}`,
      close: async () => kv.close(),
    };
  }
  // The embedded store: one local member of the Navarch store, speaking etcd v3 on loopback.
  const member = await startStoreMember({
    name: 'default',
    dataDir: join(options.dataDir, 'store'),
    listenClientUrls: [options.storeClientUrl],
    listenPeerUrls: [options.storePeerUrl],
    initialCluster: `default=${options.storePeerUrl}`,
    logger: options.log,
  });
  try {
    await member.ready;
    const kv = new EtcdKvStore(member.clientUrls);
    await kv.currentRevision();
    return {
      kv,
      description: `embedded store at ${member.clientUrls.join(',')} (data in ${join(options.dataDir, 'store')})`,
      metrics: member.metrics,
      close: async () => {
        kv.close();
        await member.stop();
      },
    };
  } catch (err) {
    await member.stop();
    throw err;
  }
}
