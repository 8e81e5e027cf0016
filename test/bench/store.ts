/**
 * Store benchmark: a 3-member Navarch store and a 3-member etcd 3.4.23 side by side on loopback,
 * driven by the same grpc-js client code, each measurement on one and then at once on the other. Prints one table (throughput, p50, p99, and the Navarch/etcd ratio
 * per row) and RSS per member. Floors: throughput ratio >= 0.5, p99 <= 2x etcd.
 *
 *   npx tsx test/bench/store.ts            (needs `npx tsc -b` first: it spawns packages/navarch/dist)
 *
 * Bounded: every phase stops at its operation count or its time budget, whichever comes first.
 */
import { loadavg } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdServices } from '../../packages/store/src/index.js';
import { type Cluster, type ClusterKind, etcdctl, startCluster } from '../compat/helpers/cluster.js';
import { cpuMs, rssMiB } from '../helpers/proc.js';

interface Row {
  name: string;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** etcdctl's own verdict, for the check perf row. */
  verdict?: string;
  /** Operations completed (for CPU per operation), when the row counts them. */
  count?: number;
  /** CPU time the three members used during the row, per operation, in ms (filled by the runner). */
  cpuMsPerOp?: number;
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
    count: latencies.length,
    opsPerSecond: (latencies.length / elapsedMs) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** Runs one step on `t` and records the CPU its members used per operation. */
async function runMeasured(step: { run: (t: Target) => Promise<Row> }, t: Target): Promise<Row> {
  const membersCpu = (): number => t.cluster.members.reduce((sum, m) => sum + cpuMs(m.child.pid), 0);
  const before = membersCpu();
  const row = await step.run(t);
  if (row.count) row.cpuMsPerOp = (membersCpu() - before) / row.count;
  return row;
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
  // etcdctl 3.4 prints "PASS: Throughput is N writes/s" or "FAIL: Throughput too low: N writes/s".
  const throughput = Number(output.match(/Throughput (?:is|too low:) (\d+) writes\/s/)?.[1] ?? Number.NaN);
  // etcdctl prints the slowest request and the stddev; report the slowest as the tail.
  const slowest =
    Number(output.match(/Slowest request took(?: too long:)? ([\d.]+)s/)?.[1] ?? Number.NaN) * 1000;
  const failures = [...output.matchAll(/^FAIL: (\w+)/gm)].map((m) => m[1]);
  const verdict = /^PASS: Throughput/m.test(output)
    ? failures.length === 0
      ? 'PASS'
      : `FAIL ${failures.join('+')}`
    : `FAIL ${failures.join('+') || 'no result'}`;
  return {
    name: 'etcdctl check perf --load=l',
    verdict,
    opsPerSecond: throughput,
    p50Ms: Number.NaN,
    p99Ms: slowest,
  };
}

interface Target {
  kind: ClusterKind;
  cluster: Cluster;
  channels: grpc.Client[];
  maintenance: grpc.Client[];
  leader: grpc.Client;
}

async function startTarget(kind: ClusterKind): Promise<Target> {
  console.error(`starting a 3-member ${kind} cluster...`);
  const cluster = await startCluster(kind, 3);
  const { clients: ctors } = loadEtcdServices();
  const channels = cluster.members.map((m) => new ctors.KV(m.endpoint, grpc.credentials.createInsecure()));
  const maintenance = cluster.members.map(
    (m) => new ctors.Maintenance(m.endpoint, grpc.credentials.createInsecure()),
  );
  const statuses = await Promise.all(
    maintenance.map((c) => unary<{ leader: string; header: { member_id: string } }>(c, 'Status', {})),
  );
  const leaderIndex = Math.max(
    0,
    statuses.findIndex((s) => s.leader === s.header.member_id),
  );
  return { kind, cluster, channels, maintenance, leader: channels[leaderIndex]! };
}

async function stopTarget(target: Target): Promise<void> {
  for (const c of [...target.channels, ...target.maintenance]) c.close();
  await target.cluster.stop();
}

const value = Buffer.alloc(256, 'x');

/** The measurements, in order; each runs on one system, then at once on the other. */
const steps: { label: string; run: (t: Target) => Promise<Row> }[] = [
  {
    label: 'sequential put',
    run: (t) =>
      drive('sequential put (1 client, 256 B)', 1, 2000, 15_000, (i) =>
        unary(t.leader, 'Put', { key: Buffer.from(`bench/seq/${i}`), value }),
      ),
  },
  {
    label: 'concurrent put',
    run: (t) =>
      drive('concurrent put (128 in flight)', 128, 20_000, 20_000, (i) =>
        unary(t.channels[i % 3]!, 'Put', { key: Buffer.from(`bench/con/${i % 1000}`), value }),
      ),
  },
  {
    label: 'linearizable get',
    run: (t) =>
      drive('linearizable get (64 in flight)', 64, 20_000, 15_000, (i) =>
        unary(t.channels[i % 3]!, 'Range', { key: Buffer.from(`bench/con/${i % 1000}`) }),
      ),
  },
  {
    label: 'serializable get',
    run: (t) =>
      drive('serializable get (64 in flight)', 64, 40_000, 15_000, (i) =>
        unary(t.channels[i % 3]!, 'Range', { key: Buffer.from(`bench/con/${i % 1000}`), serializable: true }),
      ),
  },
  {
    label: 'watch latency',
    run: (t) =>
      watchLatency(
        t.cluster.members.map((m) => m.endpoint),
        t.leader,
        100,
        200,
      ),
  },
  { label: 'etcdctl check perf --load=l', run: (t) => perfLoad(t.cluster) },
];

/**
 * BENCH_ONLY=label[,label] runs only the steps whose label starts with one of them (e.g.
 * `BENCH_ONLY=sequential npm run bench:store`), to repeat one row without the others' minutes.
 */
const only = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');
const selectedSteps =
  only.length === 0 ? steps : steps.filter((step) => only.some((o) => step.label.startsWith(o)));
if (selectedSteps.length === 0) {
  console.error(
    `BENCH_ONLY=${process.env.BENCH_ONLY} matches no step; the steps are: ${steps.map((s) => s.label).join(', ')}`,
  );
  process.exit(2);
}

/**
 * Both clusters run side by side and each measurement runs on one, then straight away on the
 * other: on a shared machine, background load then falls on both alike (measuring one system
 * for minutes and then the other compared two different machines).
 */
async function benchmarkBoth(): Promise<{ navarch: Row[]; etcd: Row[]; rss: Record<ClusterKind, number[]> }> {
  const targets: Target[] = [];
  try {
    targets.push(await startTarget('navarch'));
    targets.push(await startTarget('etcd'));
    const [nav, etc] = targets as [Target, Target];
    // Warm-up, on both alike: a Node.js member runs its code interpreted until V8 has seen it
    // often enough to compile it, which a server that has run for a minute has long done.
    for (const t of targets) {
      console.error(`${t.kind}: warm-up`);
      await drive('warm-up put', 32, 3000, 5000, (i) =>
        unary(t.channels[i % 3]!, 'Put', { key: Buffer.from(`bench/warm/${i % 100}`), value }),
      );
      await drive('warm-up get', 32, 3000, 5000, (i) =>
        unary(t.channels[i % 3]!, 'Range', { key: Buffer.from(`bench/warm/${i % 100}`) }),
      );
    }
    const navarchRows: Row[] = [];
    const etcdRows: Row[] = [];
    for (const step of selectedSteps) {
      console.error(`navarch: ${step.label}`);
      navarchRows.push(await runMeasured(step, nav));
      console.error(`etcd: ${step.label}`);
      etcdRows.push(await runMeasured(step, etc));
    }
    return {
      navarch: navarchRows,
      etcd: etcdRows,
      rss: {
        navarch: nav.cluster.members.map((m) => rssMiB(m.child.pid)),
        etcd: etc.cluster.members.map((m) => rssMiB(m.child.pid)),
      },
    };
  } finally {
    for (const t of targets) await stopTarget(t);
  }
}

function format(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

const loadBefore = loadavg()[0]!;
const both = await benchmarkBoth();
const navarch = { rows: both.navarch, rss: both.rss.navarch };
const etcd = { rows: both.etcd, rss: both.rss.etcd };
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
    row.verdict === undefined ? row.name : `${row.name} (navarch ${row.verdict}, etcd ${other.verdict})`,
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
console.log(`load average (1 min): ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`);
// CPU per operation depends much less on the machine's other load than latency does.
console.log('\nCPU per operation, the three members together (ms; clock ticks of 10 ms, from /proc):');
for (const [i, row] of navarch.rows.entries()) {
  const other = etcd.rows[i]!;
  if (row.cpuMsPerOp === undefined || other.cpuMsPerOp === undefined) continue;
  console.log(
    `  ${row.name}: navarch ${format(row.cpuMsPerOp, 3)}, etcd ${format(other.cpuMsPerOp, 3)}, ratio ${format(row.cpuMsPerOp / other.cpuMsPerOp, 2)}`,
  );
}
process.exit(0);
