/**
 * The storage seam of `navarch server`: where the API server's storage comes from. With
 * `--datastore-endpoint` it is a remote Navarch store or a real etcd, over etcd v3 gRPC; without
 * it, an embedded store member (@navarch/store's `startStoreMember()`) under DATA_DIR/store: alone,
 * or one of several servers' members given by --initial-cluster. The API server uses it in process
 * (local-kv.ts: writes go through Raft, reads are linearizable, so every server sees one state)
 * while the member still serves etcd v3 on its client URL for etcdctl.
 */
import { join } from 'node:path';
import { EtcdKvStore, type KvStore } from '@navarch/apiserver';
import {
  createEtcdApplication,
  MvccStore,
  type ProposalLimits,
  resolveMemberConfig,
  type StoreApplicationContext,
  type StoreMember,
  type StoreMemberConfig,
  startStoreMember,
} from '@navarch/store';
import type { Logger } from 'pino';
import { LocalKvStore } from './local-kv.js';

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
  /** The embedded member's name and the members that bootstrap the store together (etcd's flags). */
  readonly name: string;
  readonly initialCluster: string;
  readonly initialClusterToken: string;
  /** Aborts waiting for the datastore (Ctrl-C during start). */
  readonly signal: AbortSignal;
}

type EmbeddedMemberFlags = Pick<
  DatastoreOptions,
  'dataDir' | 'storeClientUrl' | 'storePeerUrl' | 'name' | 'initialCluster' | 'initialClusterToken'
>;

/** The embedded member's configuration, in etcd's terms. */
function embeddedMemberConfig(options: EmbeddedMemberFlags): StoreMemberConfig {
  return {
    name: options.name,
    dataDir: join(options.dataDir, 'store'),
    listenClientUrls: [options.storeClientUrl],
    listenPeerUrls: [options.storePeerUrl],
    initialCluster: options.initialCluster,
    initialClusterToken: options.initialClusterToken,
  };
}

/**
 * Checks the embedded store's flags (names, URLs, --initial-cluster) without touching anything,
 * so a bad flag fails before the server writes its data dir. Throws etcd's flag errors.
 */
export function checkEmbeddedStoreFlags(options: EmbeddedMemberFlags): void {
  resolveMemberConfig(embeddedMemberConfig(options));
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
  // The embedded store: one local member of the Navarch store. The default application,
  // with a hand on its MVCC store and on the limits its etcd service enforces.
  let local: { store: MvccStore; limits: ProposalLimits } | undefined;
  const member = await startStoreMember({
    ...embeddedMemberConfig(options),
    logger: options.log,
    application: async (context: StoreApplicationContext) => {
      const application = await createEtcdApplication(context);
      if (application.stateMachine instanceof MvccStore) {
        local = {
          store: application.stateMachine,
          limits: { maxRequestBytes: context.maxRequestBytes, quotaBackendBytes: context.quotaBackendBytes },
        };
      }
      return application;
    },
  });
  try {
    await member.ready;
    if (!local) throw new Error('the embedded store did not expose its MVCC store');
    const kv = new LocalKvStore(member.consensus, local.store, local.limits);
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
