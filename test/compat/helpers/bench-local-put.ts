/**
 * Measures unary Put throughput of the etcd API over LocalConsensus (no Raft): the cost of the API
 * and MVCC layers alone. A command, not a test: `npx tsx test/compat/helpers/bench-local-put.ts`.
 * Bounded: a fixed number of puts per phase.
 */
import * as grpc from '@grpc/grpc-js';
import { EtcdApi, LocalConsensus, listenEtcdApi, loadEtcdServices, MvccStore } from '@navarch/store';
import { ClassicLevel } from 'classic-level';
import { removeTrackedDir, trackedTempDir } from '../../helpers/registry.js';

const directory = trackedTempDir('navarch-bench-put-');
const db = new ClassicLevel<Buffer, Buffer>(directory, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
await db.open();
const store = new MvccStore({
  db: db.sublevel<Buffer, Buffer>('mvcc', { keyEncoding: 'buffer', valueEncoding: 'buffer' }),
});
await store.open();
const api = new EtcdApi({ consensus: new LocalConsensus(store), store });
const server = await listenEtcdApi(api);
const KV = loadEtcdServices().clients.KV;
const client = new KV(
  `127.0.0.1:${server.port}`,
  grpc.credentials.createInsecure(),
) as unknown as grpc.Client & {
  Put(request: object, callback: (error: grpc.ServiceError | null) => void): void;
};
const value = Buffer.alloc(256, 0x61);
const put = (key: string) =>
  new Promise<number>((resolve, reject) => {
    const started = performance.now();
    client.Put({ key: Buffer.from(key), value }, (error) =>
      error ? reject(error) : resolve(performance.now() - started),
    );
  });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function phase(name: string, total: number, inFlight: number): Promise<void> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      latencies.push(await put(`bench/${name}/${i % 10_000}`));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  // CPU per put (client and server share this process) does not depend on other load on the machine.
  const cpuPerPutMicros = (cpu.user + cpu.system) / total;
  latencies.sort((a, b) => a - b);
  process.stdout.write(
    `${name.padEnd(12)} ${String(total).padStart(6)} puts  ${(total / seconds).toFixed(0).padStart(6)} puts/s  p50 ${percentile(latencies, 50).toFixed(2)} ms  p99 ${percentile(latencies, 99).toFixed(2)} ms  cpu ${cpuPerPutMicros.toFixed(0)} us/put\n`,
  );
}

try {
  await phase('warmup', 2_000, 16);
  await phase('sequential', 10_000, 1);
  await phase('inflight-64', 30_000, 64);
} finally {
  client.close();
  await server.stop(200);
  await store.flush();
  await db.close();
  removeTrackedDir(directory);
}
