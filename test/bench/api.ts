/**
 * API server benchmark: `npx tsx test/bench/api.ts` (the lead wires `npm run bench:api`).
 * Starts a 3-member etcd 3.4 and a real `navarch server` (build first: `npx tsc -b`), then
 * measures create/get/list/update latency and throughput, watch fan-out latency to 1,000
 * watchers, and the server's RSS with 10,000 pods stored. Prints one JSON summary and checks
 * the floors: create p99 <= 50 ms at 200 creates/s; watch delivery p99 <= 100 ms.
 * BENCH_BACKEND=embedded runs on the store embedded in the server instead of etcd.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import {
  type ApiClient,
  allBackends,
  type NavarchServer,
  serverOptions,
  startServer,
} from '../api/harness.js';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(latenciesMs: number[], elapsedMs: number): Record<string, number> {
  const s = [...latenciesMs].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    count: s.length,
    perSecond: round((s.length / elapsedMs) * 1000),
    p50Ms: round(percentile(s, 50)),
    p90Ms: round(percentile(s, 90)),
    p99Ms: round(percentile(s, 99)),
    maxMs: round(s[s.length - 1] ?? Number.NaN),
  };
}

function pod(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', shard: String(name.length % 4) } },
    spec: {
      containers: [
        { name: 'main', image: 'busybox:1', command: ['sleep', '3600'], ports: [{ containerPort: 8080 }] },
      ],
    },
  };
}

async function timed(fn: () => Promise<{ status: number }>, expect: number, out: number[]): Promise<void> {
  const start = performance.now();
  const res = await fn();
  out.push(performance.now() - start);
  if (res.status !== expect) throw new Error(`unexpected status ${res.status} (wanted ${expect})`);
}

/** Runs `total` calls with at most `concurrency` in flight. */
async function closedLoop(
  total: number,
  concurrency: number,
  call: (i: number) => Promise<void>,
): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await call(next++);
    }),
  );
  return performance.now() - start;
}

/** Starts one call every 1000/ratePerSecond ms (open loop) so latency is measured at a fixed offered load. */
async function openLoop(
  ratePerSecond: number,
  total: number,
  call: (i: number) => Promise<void>,
): Promise<number> {
  const start = performance.now();
  const intervalMs = 1000 / ratePerSecond;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(call(i));
  }
  await Promise.all(inflight);
  return performance.now() - start;
}

/** CPU time (user + system) the process has used, in ms, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

async function watchFanOut(
  server: NavarchServer,
  api: ApiClient,
  watchers: number,
  writes: number,
): Promise<Record<string, number>> {
  await api.post('/api/v1/namespaces', { metadata: { name: 'bench-watch' } });
  const agent = new Agent({ connect: { ca: server.ca }, connections: watchers + 16 });
  const list = await api.get<{ metadata: { resourceVersion: string } }>(
    '/api/v1/namespaces/bench-watch/configmaps',
  );
  const rv = list.body.metadata.resourceVersion;
  const streams: { received: Map<string, number> }[] = [];
  const controllers: AbortController[] = [];
  await Promise.all(
    Array.from({ length: watchers }, async () => {
      const controller = new AbortController();
      controllers.push(controller);
      const res = await request(
        `${server.url}/api/v1/namespaces/bench-watch/configmaps?watch=1&resourceVersion=${rv}`,
        {
          headers: { authorization: `Bearer ${server.token}` },
          dispatcher: agent,
          signal: controller.signal,
        },
      );
      const received = new Map<string, number>();
      streams.push({ received });
      void (async () => {
        let buffer = '';
        try {
          for await (const chunk of res.body) {
            const now = performance.now();
            buffer += chunk.toString();
            let idx = buffer.indexOf('\n');
            while (idx >= 0) {
              const event = JSON.parse(buffer.slice(0, idx)) as { object: { metadata: { name: string } } };
              received.set(event.object.metadata.name, now);
              buffer = buffer.slice(idx + 1);
              idx = buffer.indexOf('\n');
            }
          }
        } catch {
          // aborted at the end
        }
      })();
    }),
  );
  const sent = new Map<string, number>();
  for (let i = 0; i < writes; i++) {
    const name = `w${i}`;
    sent.set(name, performance.now());
    await api.post('/api/v1/namespaces/bench-watch/configmaps', {
      metadata: { name },
      data: { i: String(i) },
    });
    await new Promise((r) => setTimeout(r, 50));
  }
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline && streams.some((s) => s.received.size < writes)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const delays: number[] = [];
  let missing = 0;
  for (const s of streams) {
    for (const [name, at] of sent) {
      const got = s.received.get(name);
      if (got === undefined) missing++;
      else delays.push(got - at);
    }
  }
  for (const c of controllers) c.abort();
  await agent.close().catch(() => undefined);
  return { watchers, writes, missing, ...summary(delays, 1) };
}

async function main(): Promise<void> {
  const backend = process.env.BENCH_BACKEND === 'embedded' ? allBackends[1]! : allBackends[0]!;
  const createRate = Number(process.env.BENCH_CREATE_RATE ?? 200);
  const podsTotal = Number(process.env.BENCH_PODS ?? 10_000);
  const watchers = Number(process.env.BENCH_WATCHERS ?? 1000);
  process.stderr.write(`backend: ${backend.name}\n`);
  const store = await backend.start();
  const server = await startServer(serverOptions(store));
  // An interrupted run (Ctrl-C, a timeout) must not leave etcd or the server behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.allSettled([server.stop(), store.stop()]).then(() => process.exit(130));
    });
  }
  const api = server.client;
  const results: Record<string, unknown> = { backend: backend.name };
  try {
    await api.post('/api/v1/namespaces', { metadata: { name: 'bench' } });
    const rssIdle = rssMiB(server.pid);

    process.stderr.write(`create at ${createRate}/s...\n`);
    const createLatencies: number[] = [];
    const createCount = createRate * 10;
    const createElapsed = await openLoop(createRate, createCount, (i) =>
      timed(() => api.post('/api/v1/namespaces/bench/pods', pod(`p${i}`)), 201, createLatencies),
    );
    results.createOpenLoop = { offeredPerSecond: createRate, ...summary(createLatencies, createElapsed) };
    // Server CPU per request: independent of how busy the rest of the machine is.
    const cpuBeforeCreates = cpuMs(server.pid);

    process.stderr.write('create throughput (64 in flight)...\n');
    const throughput: number[] = [];
    const tpElapsed = await closedLoop(2000, 64, (i) =>
      timed(() => api.post('/api/v1/namespaces/bench/pods', pod(`t${i}`)), 201, throughput),
    );
    results.createThroughput = {
      ...summary(throughput, tpElapsed),
      serverCpuMsPerRequest: (cpuMs(server.pid) - cpuBeforeCreates) / throughput.length,
    };
    const cpuBeforeGets = cpuMs(server.pid);

    process.stderr.write('get...\n');
    const gets: number[] = [];
    const getElapsed = await closedLoop(2000, 16, (i) =>
      timed(() => api.get(`/api/v1/namespaces/bench/pods/p${i % createCount}`), 200, gets),
    );
    results.get = {
      ...summary(gets, getElapsed),
      serverCpuMsPerRequest: (cpuMs(server.pid) - cpuBeforeGets) / gets.length,
    };
    const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    results.machine = { loadAverage, cores: (await import('node:os')).cpus().length };

    process.stderr.write('update (merge patch)...\n');
    const updates: number[] = [];
    const updateElapsed = await closedLoop(1000, 16, (i) =>
      timed(
        () =>
          api.patch(
            `/api/v1/namespaces/bench/pods/p${i % createCount}`,
            { metadata: { labels: { touched: String(i) } } },
            'application/merge-patch+json',
          ),
        200,
        updates,
      ),
    );
    results.update = summary(updates, updateElapsed);

    process.stderr.write('list (4,000 pods, pages of 500)...\n');
    const lists: number[] = [];
    const listElapsed = await closedLoop(10, 2, () =>
      timed(
        async () => {
          let cont: string | undefined;
          let res: { status: number; body: { metadata: { continue?: string } } };
          do {
            res = await api.get(
              `/api/v1/namespaces/bench/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
            );
            cont = res.body.metadata.continue;
          } while (cont);
          return res;
        },
        200,
        lists,
      ),
    );
    results.listAllPaged = summary(lists, listElapsed);

    process.stderr.write(`watch fan-out to ${watchers} watchers...\n`);
    results.watchFanOut = await watchFanOut(server, api, watchers, 20);

    process.stderr.write(`filling to ${podsTotal} pods...\n`);
    const already = createCount + 2000;
    const fill: number[] = [];
    await closedLoop(Math.max(0, podsTotal - already), 64, (i) =>
      timed(() => api.post('/api/v1/namespaces/bench/pods', pod(`f${i}`)), 201, fill),
    );
    const count = await api.get<{ items: unknown[] }>('/api/v1/namespaces/bench/pods');
    results.rssMiB = { idle: rssIdle, withPods: rssMiB(server.pid), podsStored: count.body.items.length };

    const create = results.createOpenLoop as { p99Ms: number };
    const watch = results.watchFanOut as { p99Ms: number; missing: number };
    results.floors = {
      createP99At200PerSecond: { limitMs: 50, measuredMs: create.p99Ms, pass: create.p99Ms <= 50 },
      watchDeliveryP99: {
        limitMs: 100,
        measuredMs: watch.p99Ms,
        pass: watch.p99Ms <= 100 && watch.missing === 0,
      },
    };
  } finally {
    await server.stop();
    await store.stop();
  }
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  const floors = results.floors as Record<string, { pass: boolean }> | undefined;
  if (!floors || Object.values(floors).some((f) => !f.pass)) process.exitCode = 1;
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
