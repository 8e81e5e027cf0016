import * as grpc from '@grpc/grpc-js';
import { loadEtcdServices } from '../../packages/store/src/index.ts';
import { startCluster } from '../compat/helpers/cluster.ts';
const kind = (process.argv[2] ?? 'navarch') as 'navarch' | 'etcd';
const cluster = await startCluster(kind, 3);
const { clients } = loadEtcdServices();
const kvs = cluster.members.map((m) => new clients.KV(m.endpoint, grpc.credentials.createInsecure()));
const call = (c: grpc.Client, m: string, r: object) => new Promise((res, rej) => (c as any)[m](r, (e: any, v: any) => (e ? rej(e) : res(v))));
await call(kvs[0]!, 'Put', { key: Buffer.from('a'), value: Buffer.from('b') });
for (const serializable of [true, false]) {
  let n = 0; const t = performance.now();
  await Promise.all(Array.from({ length: 64 }, async (_, w) => { while (performance.now() - t < 5000) { await call(kvs[w % 3]!, 'Range', { key: Buffer.from('a'), serializable }); n++; } }));
  console.log(kind, serializable ? 'serializable' : 'linearizable', (n / (performance.now() - t)) * 1000);
}
{ let n = 0; const t = performance.now();
  await Promise.all(Array.from({ length: 64 }, async (_, w) => { while (performance.now() - t < 5000) { await call(kvs[w % 3]!, 'Put', { key: Buffer.from(`k${w}`), value: Buffer.alloc(256) }); n++; } }));
  console.log(kind, 'put', (n / (performance.now() - t)) * 1000); }
await cluster.stop();
process.exit(0);
