/**
 * The default application of a store member: the MVCC state machine on the member's LevelDB
 * (sublevel "mvcc") and the etcd v3 API over the member's Consensus.
 */
import type { GrpcServer } from '../grpc/server.js';
import type { StoreApplication, StoreApplicationContext } from '../member/application.js';
import type { MvccDatabase } from '../mvcc/persistence.js';
import { MvccStore } from '../mvcc/store.js';
import { directBatch } from '../storage/direct-batch.js';
import { EtcdApi } from './server.js';

/** Name of the LevelDB sublevel the MVCC store owns. */
export const MVCC_SUBLEVEL = 'mvcc';

/** Builds the etcd application of a member (a StoreApplicationFactory). */
export async function createEtcdApplication(context: StoreApplicationContext): Promise<StoreApplication> {
  const sublevel = context.db.sublevel<Buffer, Buffer>(MVCC_SUBLEVEL, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  // Writes skip abstract-level's per-operation layer (see direct-batch.ts); reads use the sublevel.
  const write = directBatch<Buffer>(sublevel);
  const db: MvccDatabase = {
    batch: (operations, options) => write(operations, { sync: options?.sync ?? false }),
    iterator: (options) => sublevel.iterator(options ?? {}),
    clear: () => sublevel.clear(),
  };
  const store = new MvccStore({ db });
  await store.open();
  let api: EtcdApi | null = null;
  return {
    stateMachine: store,
    addServices(server: GrpcServer, consensus): void {
      api = new EtcdApi({
        consensus,
        store,
        limits: {
          maxRequestBytes: context.maxRequestBytes,
          quotaBackendBytes: context.quotaBackendBytes,
          // etcd's minimum lease TTL: 1.5 election timeouts, rounded up to whole seconds.
          minLeaseTtlSeconds: Math.max(1, Math.ceil((1.5 * context.electionTimeoutMs) / 1000)),
        },
        logger: context.logger.child({ component: 'etcd-api' }),
        grpcHandled: context.metrics.grpcServerHandled,
        registry: context.metrics.registry,
      });
      api.addTo(server);
    },
    async close(): Promise<void> {
      api?.close();
    },
  };
}
