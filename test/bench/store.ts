/**
 * Store benchmark: a 3-member Navarch store, then a 3-member etcd 3.4.23, each on loopback, driven by
 * the same grpc-js client code. Prints one table (throughput, p50, p99, and the Navarch/etcd ratio
 * per row) and RSS per member. Floors: throughput ratio >= 0.5, p99 <= 2x etcd.
 *
 *   npx tsx test/bench/store.ts            (needs `npx tsc -b` first: it spawns packages/navarch/dist)
 *
 * Bounded: every phase stops at its operation count or its time budget, whichever comes first.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdServices } from '../../packages/store/src/index.js';
import { type Cluster, type ClusterKind, etcdctl, startCluster } from '../compat/helpers/cluster.js';

interface Row {
  name: string;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

type Unary = (
  request: object,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response: never) => void,
) => void;

function unary<T>(client: grpc.Client, method: string, request: object, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Unary>)[method]!.bind(client);
    fn(request, { deadline: Date.now() + timeoutMs }, (err, response) =>
      err ? reject(err) : resolve(response as T),
    );
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `op` with `concurrency` in flight until `count` ops or `budgetMs` elapse; latencies in ms. */
async function drive(
  name: string,
  concurrency: number,
  count: number,
  budgetMs: number,
  op: (i: number) => Promise<void>,
): Promise<Row> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + budgetMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && performance.now() < deadline) {
        const i = next++;
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    name,
    opsPerSecond: (latencies.length / elapsedMs) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

function rssMiB(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function watchLatency(
  endpoints: string[],
  kv: grpc.Client,
  watchers: number,
  events: number,
): Promise<Row> {
  const { clients: ctors } = loadEtcdServices();
  const key = Buffer.from(`bench/watch/${Date.now()}`);
  const latencies: number[] = [];
  const watchClients: { close(): void }[] = [];
  const streams: grpc.ClientDuplexStream<
    object,
    { created: boolean; events: { kv: { value: Buffer } }[] }
  >[] = [];
  let created = 0;
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < watchers; i++) {
      const watch = new ctors.Watch(
        endpoints[i % endpoints.length]!,
        grpc.credentials.createInsecure(),
      ) as unknown as {
        Watch(): grpc.ClientDuplexStream<object, { created: boolean; events: { kv: { value: Buffer } }[] }>;
        close(): void;
      };
      watchClients.push(watch);
      const stream = watch.Watch();
      stream.on('data', (response) => {
        if (response.created && ++created === watchers) resolve();
        for (const event of response.events ?? [])
          latencies.push(performance.now() - Number(event.kv.value.toString()));
      });
      stream.on('error', (err: grpc.ServiceError) => {
        if (err.code !== grpc.status.CANCELLED) reject(err);
      });
      stream.write({ create_request: { key } });
      streams.push(stream);
    }
  });
  const started = performance.now();
  for (let i = 0; i < events; i++) {
    await unary(kv, 'Put', { key, value: Buffer.from(String(performance.now())) });
  }
  const expected = watchers * events;
  const deadline = performance.now() + 10_000;
  while (latencies.length < expected && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  const elapsedMs = performance.now() - started;
  for (const s of streams) s.cancel();
  for (const c of watchClients) c.close();
  latencies.sort((a, b) => a - b);
  return {
    name: `watch latency (${watchers} watchers)`,
    opsPerSecond: (latencies.length / elapsedMs) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

async function perfLoad(cluster: Cluster): Promise<Row> {
  const output = await etcdctl(cluster.endpoints(), ['check', 'perf', '--load=l'], {
    timeoutMs: 180_000,
    withStderr: true,
  }).catch((err: Error) => err.message);
  const throughput = Number(output.match(/Throughput is (\d+) writes\/s/)?.[1] ?? Number.NaN);
  // etcdctl prints the slowest request and the stddev; report the slowest as the tail.
  const slowest =
    Number(output.match(/Slowest request took(?: too long:)? ([\d.]+)s/)?.[1] ?? Number.NaN) * 1000;
  const pass = /PASS: Throughput/.test(output) ? 'PASS' : 'FAIL';
  return {
    name: `etcdctl check perf --load=l (${pass})`,
    opsPerSecond: throughput,
    p50Ms: Number.NaN,
    p99Ms: slowest,
  };
}

async function benchmark(kind: ClusterKind): Promise<{ rows: Row[]; rss: number[] }> {
  console.error(`starting a 3-member ${kind} cluster...`);
  const cluster = await startCluster(kind, 3);
  const { clients: ctors } = loadEtcdServices();
  const channels = cluster.members.map((m) => new ctors.KV(m.endpoint, grpc.credentials.createInsecure()));
  const maintenance = cluster.members.map(
    (m) => new ctors.Maintenance(m.endpoint, grpc.credentials.createInsecure()),
  );
  try {
    const statuses = await Promise.all(
      maintenance.map((c) => unary<{ leader: string; header: { member_id: string } }>(c, 'Status', {})),
    );
    const leaderIndex = Math.max(
      0,
      statuses.findIndex((s) => s.leader === s.header.member_id),
    );
    const leader = channels[leaderIndex]!;
    const value = Buffer.alloc(256, 'x');
    const rows: Row[] = [];
    console.error(`${kind}: sequential put`);
    rows.push(
      await drive('sequential put (1 client, 256 B)', 1, 2000, 15_000, (i) =>
        unary(leader, 'Put', { key: Buffer.from(`bench/seq/${i}`), value }),
      ),
    );
    console.error(`${kind}: concurrent put`);
    rows.push(
      await drive('concurrent put (128 in flight)', 128, 20_000, 20_000, (i) =>
        unary(channels[i % 3]!, 'Put', { key: Buffer.from(`bench/con/${i % 1000}`), value }),
      ),
    );
    console.error(`${kind}: linearizable get`);
    rows.push(
      await drive('linearizable get (64 in flight)', 64, 20_000, 15_000, (i) =>
        unary(channels[i % 3]!, 'Range', { key: Buffer.from(`bench/con/${i % 1000}`) }),
      ),
    );
    console.error(`${kind}: serializable get`);
    rows.push(
      await drive('serializable get (64 in flight)', 64, 40_000, 15_000, (i) =>
        unary(channels[i % 3]!, 'Range', { key: Buffer.from(`bench/con/${i % 1000}`), serializable: true }),
      ),
    );
    console.error(`${kind}: watch latency`);
    rows.push(
      await watchLatency(
        cluster.members.map((m) => m.endpoint),
        leader,
        100,
        200,
      ),
    );
    console.error(`${kind}: etcdctl check perf --load=l`);
    rows.push(await perfLoad(cluster));
    const rss = cluster.members.map((m) => rssMiB(m.child.pid));
    return { rows, rss };
  } finally {
    for (const c of [...channels, ...maintenance]) c.close();
    await cluster.stop();
  }
}

function format(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

const navarch = await benchmark('navarch');
const etcd = await benchmark('etcd');
const header = [
  'benchmark',
  'navarch ops/s',
  'p50 ms',
  'p99 ms',
  'etcd ops/s',
  'p50 ms',
  'p99 ms',
  'ops ratio',
  'p99 ratio',
  'floor',
];
const lines = navarch.rows.map((row, i) => {
  const other = etcd.rows[i]!;
  const opsRatio = row.opsPerSecond / other.opsPerSecond;
  const p99Ratio = row.p99Ms / other.p99Ms;
  const ok = (!Number.isFinite(opsRatio) || opsRatio >= 0.5) && (!Number.isFinite(p99Ratio) || p99Ratio <= 2);
  return [
    row.name,
    format(row.opsPerSecond, 0),
    format(row.p50Ms, 2),
    format(row.p99Ms, 2),
    format(other.opsPerSecond, 0),
    format(other.p50Ms, 2),
    format(other.p99Ms, 2),
    format(opsRatio, 2),
    format(p99Ratio, 2),
    ok ? 'ok' : 'BELOW',
  ];
});
lines.push([
  'RSS per member (MiB)',
  navarch.rss.map((r) => format(r, 0)).join('/'),
  '',
  '',
  etcd.rss.map((r) => format(r, 0)).join('/'),
  '',
  '',
  '',
  '',
  '',
]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
const print = (cells: string[]): void =>
  console.log(`| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`);
print(header);
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const line of lines) print(line);
process.exit(0);
