/**
 * Test-only process: one store member over LocalConsensus (no Raft) serving the etcd API on a free
 * loopback port. Prints `{"url": ...}` as one JSON line on stdout once it listens. Argument: data dir.
 * Run with `npx tsx test/compat/helpers/local-store-process.ts <dir>`.
 */

import { EtcdApi, LocalConsensus, listenEtcdApi, MvccStore } from '@navarch/store';
import { ClassicLevel } from 'classic-level';

const directory = process.argv[2];
if (directory === undefined) {
  process.stderr.write('usage: local-store-process.ts <data-dir>\n');
  process.exit(2);
}
const db = new ClassicLevel<Buffer, Buffer>(directory, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
await db.open();
const store = new MvccStore({
  db: db.sublevel<Buffer, Buffer>('mvcc', { keyEncoding: 'buffer', valueEncoding: 'buffer' }),
});
await store.open();
const consensus = new LocalConsensus(store, { name: 'local' });
const api = new EtcdApi({ consensus, store, leaseCheckIntervalMs: 100 });
const server = await listenEtcdApi(api);
consensus.setClientUrls([server.url]);
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
const shutdown = async () => {
  await server.stop(200);
  await store.flush();
  await db.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
