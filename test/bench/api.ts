/**
 * API server benchmark: `npm run bench:api` (builds first; it spawns packages/navarch/dist).
 *
 * For each backend it starts a real `navarch server` and measures create (at a fixed 200/s and
 * at full speed), get, update, paged list and watch fan-out to 1,000 watchers, then fills the
 * store to 10,000 pods and reads the server's RSS. It prints one table per backend and checks
 * the floors of issue 5: create p99 <= 50 ms at 200 creates/s; every one of 1,000 watchers
 * receives an event p99 <= 100 ms after the write was sent. Exit code 1 when a floor fails.
 * Both floors are measured in steady state: 10 s of creates at the same rate, and 5 events to
 * the watchers, go first unmeasured (a fresh server compiles its code paths and accepts the
 * client's TLS connections then).
 *
 * BENCH_ROUNDS=N runs the backends N times, interleaved (all of them once, then again), each
 * round on fresh processes, and ends with a summary of every round's floor figures per backend:
 * on a shared machine one run of a p99 says little, and interleaving exposes every backend to the
 * same spells of load. With etcd among the backends, the summary gives each Navarch backend's
 * median against etcd's.
 *
 * Backends (BENCH_BACKEND, comma-separated; default `embedded,store,cluster,cluster-follower`;
 * `--etcd` adds etcd):
 *   embedded          the single-member store embedded in the server process (`navarch server` alone)
 *   store             a 3-member Navarch store (three `navarch store` processes) that the server
 *                     reaches with --datastore-endpoint (the store run apart from the API servers)
 *   cluster           three `navarch server --initial-cluster` processes, each embedding a member
 *                     of one store (Navarch's intended deployment); the benchmark drives the server
 *                     whose member is the Raft leader
 *   cluster-follower  the same, driving a server whose member is a follower (its writes are
 *                     forwarded to the leader)
 *   etcd              a 3-member etcd 3.4 (/usr/bin/etcd) behind --datastore-endpoint, for comparison
 * Each backend gets fresh processes; every process is stopped on success, failure and Ctrl-C.
 * Other knobs: BENCH_CREATE_RATE (200), BENCH_WARMUP_SECONDS (10), BENCH_PODS (10000),
 * BENCH_WATCHERS (1000), BENCH_WATCH_EVENTS (100), BENCH_ONLY (phases: create, createmax, get,
 * list, update, watch, rss), BENCH_SERVER_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
 * to profile the server, every server of `cluster`), NAVARCH_COMPAT_NODE_ARGS (the same for the
 * `navarch store` members of `store`), BENCH_DEBUG (per-second create latencies, CPU and
 * event-loop delay per process during the measured creates, per-event watch delivery spread),
 * BENCH_JSON (file to write the figures to).
 *
 * The machine's load average is printed with every table: on a shared machine the figures mean
 * little without it. Server CPU per request (from /proc) depends on that load much less.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { ApiClient, NavarchServer } from '../api/harness.js';
import { cpuMs, rssMiB } from '../helpers/proc.js';
import { backendsByName, type Target } from './api-backends.js';
import {
  createHistogramFilter,
  createHistograms,
  enableLoopDelayProbe,
  histogramDelta,
  loopDelays,
  probeStore,
  scrapeHistograms,
  serverConnections,
} from './api-debug.js';

/** Floors of issue 5. */
const createP99LimitMs = 50;
const watchP99LimitMs = 100;

/** One row of a table. */
interface Row {
  operation: string;
  count: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Everything measured on one backend. */
interface BackendResult {
  /** BENCH_BACKEND name (`store`), the key of the rounds' summary. */
  name: string;
  /** The table's title: the backend and, with a store, which member leads. */
  backend: string;
  loadBefore: string;
  loadAfter: string;
  rows: Row[];
  notes: string[];
  floors: { name: string; measuredMs: number; limitMs: number; pass: boolean; detail: string }[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function row(operation: string, latenciesMs: number[], elapsedMs: number): Row {
  const s = [...latenciesMs].sort((a, b) => a - b);
  return {
    operation,
    count: s.length,
    perSecond: (s.length / elapsedMs) * 1000,
    p50Ms: percentile(s, 50),
    p99Ms: percentile(s, 99),
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

/** Runs `total` calls with at most `concurrency` in flight; returns the elapsed ms. */
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

/** Starts one call every 1000/ratePerSecond ms (open loop): latency at a fixed offered load. */
async function openLoop(
  ratePerSecond: number,
  total: number,
  call: (i: number) => Promise<void>,
): Promise<number> {
  const start = performance.now();
  const intervalMs = 1000 / ratePerSecond;
  const inflight: Promise<void>[] = [];
  // A failed call stops the loop and is thrown at the end; caught at once, so that it is never
  // an unhandled rejection (which would end the process before the backend's processes stop).
  let failure: { error: unknown } | undefined;
  for (let i = 0; i < total && failure === undefined; i++) {
    const wait = start + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      call(i).catch((error: unknown) => {
        failure ??= { error };
      }),
    );
  }
  await Promise.all(inflight);
  if (failure !== undefined) throw failure.error;
  return performance.now() - start;
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A watch over a bare TLS connection: one HTTP/1.1 request, then the chunked body decoded by hand
 * and every event's object name reported with the time its bytes arrived. The benchmark opens a
 * thousand of these; undici's per-chunk stream and promise machinery would make the measuring
 * client, not the server, the bottleneck of the fan-out figure.
 */
function openRawWatch(
  server: NavarchServer,
  path: string,
  onEvent: (name: string, atMs: number) => void,
): Promise<TLSSocket> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ca: server.ca });
    let buffer: Buffer = Buffer.alloc(0);
    let headerDone = false;
    let pendingLine = '';
    socket.on('error', reject);
    socket.once('secureConnect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${server.token}\r\nAccept: application/json\r\n\r\n`,
      );
    });
    socket.on('data', (data: Buffer) => {
      const at = performance.now();
      buffer = buffer.length === 0 ? data : Buffer.concat([buffer, data]);
      if (!headerDone) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 200') || !/transfer-encoding: chunked/i.test(head)) {
          reject(new Error(`watch answered: ${head.split('\r\n')[0]}`));
          socket.destroy();
          return;
        }
        headerDone = true;
        buffer = buffer.subarray(end + 4);
        resolve(socket);
      }
      // Chunks: size in hex, CRLF, data, CRLF. Lines may span chunks.
      for (;;) {
        const sizeEnd = buffer.indexOf('\r\n');
        if (sizeEnd < 0) break;
        const size = Number.parseInt(buffer.subarray(0, sizeEnd).toString('latin1'), 16);
        if (size === 0) {
          socket.end();
          break;
        }
        if (buffer.length < sizeEnd + 2 + size + 2) break;
        pendingLine += buffer.subarray(sizeEnd + 2, sizeEnd + 2 + size).toString('utf8');
        buffer = buffer.subarray(sizeEnd + 2 + size + 2);
        let newline = pendingLine.indexOf('\n');
        while (newline >= 0) {
          const event = JSON.parse(pendingLine.slice(0, newline)) as {
            object: { metadata: { name: string } };
          };
          onEvent(event.object.metadata.name, at);
          pendingLine = pendingLine.slice(newline + 1);
          newline = pendingLine.indexOf('\n');
        }
      }
    });
  });
}

/**
 * Opens `watchers` watches on one namespace's configmaps, then writes `writes` configmaps 50 ms
 * apart; the delay of an event is from the moment its create was sent to the moment a watcher
 * read it, for every watcher and every event.
 */
async function watchFanOut(
  server: NavarchServer,
  api: ApiClient,
  watchers: number,
  writes: number,
): Promise<{ row: Row; missing: number; serverCpuUsPerDelivery: number; clientCpuUsPerDelivery: number }> {
  await api.post('/api/v1/namespaces', { metadata: { name: 'bench-watch' } });
  const list = await api.get<{ metadata: { resourceVersion: string } }>(
    '/api/v1/namespaces/bench-watch/configmaps',
  );
  const path = `/api/v1/namespaces/bench-watch/configmaps?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`;
  const streams: Map<string, number>[] = [];
  const sockets: TLSSocket[] = [];
  try {
    // Open in batches: a thousand TLS handshakes at once would time out on a loaded machine.
    for (let opened = 0; opened < watchers; opened += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, watchers - opened) }, async () => {
          const received = new Map<string, number>();
          streams.push(received);
          sockets.push(await openRawWatch(server, path, (name, at) => received.set(name, at)));
        }),
      );
    }
    // Unmeasured first events: the first writes to a thousand fresh connections and the first
    // runs of the fan-out code are not the steady state either.
    for (let i = 0; i < 5; i++) {
      const res = await api.post('/api/v1/namespaces/bench-watch/configmaps', {
        metadata: { name: `warm${i}` },
      });
      if (res.status !== 201) throw new Error(`configmap create answered ${res.status}`);
      await sleep(50);
    }
    const sent = new Map<string, number>();
    const acked = new Map<string, number>();
    const serverCpuBefore = cpuMs(server.pid);
    const clientCpuBefore = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < writes; i++) {
      const name = `w${i}`;
      sent.set(name, performance.now());
      const res = await api.post('/api/v1/namespaces/bench-watch/configmaps', {
        metadata: { name },
        data: { i: String(i) },
      });
      if (res.status !== 201) throw new Error(`configmap create answered ${res.status}`);
      acked.set(name, performance.now());
      await sleep(50);
    }
    const deadline = performance.now() + 10_000;
    // Each watch delivers in revision order: the last event arrived means all did.
    const lastName = `w${writes - 1}`;
    while (performance.now() < deadline && streams.some((s) => !s.has(lastName))) await sleep(20);
    const serverCpu = cpuMs(server.pid) - serverCpuBefore;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    let last = start;
    const delays: number[] = [];
    let missing = 0;
    for (const received of streams) {
      for (const [name, at] of sent) {
        const got = received.get(name);
        if (got === undefined) missing++;
        else {
          delays.push(got - at);
          if (got > last) last = got;
        }
      }
    }
    if (process.env.BENCH_DEBUG) {
      for (const [name, at] of sent) {
        const got = streams.map((s) => (s.get(name) ?? Number.NaN) - at).sort((a, b) => a - b);
        process.stderr.write(
          `    ${name}: ack ${((acked.get(name) ?? 0) - at).toFixed(1)} ms, first ${got[0]!.toFixed(1)}, median ${got[got.length >> 1]!.toFixed(1)}, last ${got[got.length - 1]!.toFixed(1)}\n`,
        );
      }
    }
    return {
      row: row(`watch fan-out (${watchers} watchers x ${writes} events, 5 warm-up)`, delays, last - start),
      missing,
      serverCpuUsPerDelivery: (serverCpu * 1000) / delays.length,
      clientCpuUsPerDelivery: (clientCpu.user + clientCpu.system) / delays.length,
    };
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

/** Runs every phase on one started server; returns the figures. */
async function measure(name: string, target: Target, only: Set<string> | undefined): Promise<BackendResult> {
  const { server, otherPids, othersRole } = target;
  /** Processes the event-loop probe runs in. */
  const probed = [server.pid, ...(target.othersRunNode ? otherPids : [])];
  const api = server.client;
  const createRate = Number(process.env.BENCH_CREATE_RATE ?? 200);
  const podsTotal = Number(process.env.BENCH_PODS ?? 10_000);
  const watchers = Number(process.env.BENCH_WATCHERS ?? 1000);
  const runs = (phase: string) => only === undefined || only.has(phase);
  const progress = (what: string) => process.stderr.write(`  ${what} (load ${loadAverage()})\n`);
  const result: BackendResult = {
    name,
    backend: target.title,
    loadBefore: loadAverage(),
    loadAfter: '',
    rows: [],
    notes: [],
    floors: [],
  };
  const create = await api.post('/api/v1/namespaces', { metadata: { name: 'bench' } });
  if (create.status !== 201) throw new Error(`namespace create answered ${create.status}`);
  const rssIdle = rssMiB(server.pid);
  let podsCreated = 0;
  const cpuPerRequest: string[] = [];

  // Creates at the offered rate first, so that get/update/list find their pods. Ten seconds at
  // the same rate come first, unmeasured: processes just started compile their hot paths, size
  // their heaps and open the client's connections (TLS handshakes on both sides) then, which is
  // not their steady state. With 3 s, the first seconds measured still had p50 2-5 times the
  // later ones on every Navarch backend (BENCH_DEBUG's per-second lines).
  const createCount = createRate * 10;
  const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
  if (runs('create') || runs('get') || runs('update') || runs('list')) {
    progress(`warm-up: create at ${createRate}/s for ${warmupSeconds} s`);
    await openLoop(createRate, createRate * warmupSeconds, async (i) => {
      const res = await api.post('/api/v1/namespaces/bench/pods', pod(`warm${i}`));
      if (res.status !== 201) throw new Error(`pod create answered ${res.status}`);
    });
    podsCreated += createRate * warmupSeconds;
    progress(`create at ${createRate}/s`);
    const latencies: number[] = [];
    const cpuBefore = cpuMs(server.pid);
    const othersCpuBefore = otherPids.map(cpuMs);
    await loopDelays(probed);
    const metricsSources: { what: string; source: NavarchServer | string }[] = [
      ...target.servers.map((s, i) => ({
        what: i === 0 ? 'the driven server' : `other server ${i}`,
        source: s,
      })),
      ...target.storeMetricsUrls.map((url, i) => ({ what: `store member ${i + 1}`, source: url })),
    ];
    const scrape = () =>
      Promise.all(
        metricsSources.map((m) => scrapeHistograms(m.source, createHistograms, createHistogramFilter)),
      );
    const metricsBefore = process.env.BENCH_DEBUG ? await scrape() : [];
    const probe =
      process.env.BENCH_DEBUG && target.storeEndpoints !== undefined
        ? probeStore(target.storeEndpoints, 50)
        : undefined;
    const connectionsBefore = process.env.BENCH_DEBUG ? serverConnections(server.url) : 0;
    const benchCpuBefore = process.cpuUsage();
    const phaseStart = performance.now();
    const timeline: { startMs: number; latencyMs: number }[] = [];
    const elapsed = await openLoop(createRate, createCount, async (i) => {
      const startMs = performance.now() - phaseStart;
      await timed(() => api.post('/api/v1/namespaces/bench/pods', pod(`p${i}`)), 201, latencies);
      timeline.push({ startMs, latencyMs: performance.now() - phaseStart - startMs });
    });
    const probeFigures = await probe?.stop();
    if (process.env.BENCH_DEBUG) {
      if (probeFigures !== undefined)
        process.stderr.write(
          `    store probe (${probeFigures.endpoint}, one write per 50 ms): ${probeFigures.figures}\n`,
        );
      const busy = (before: number, pid: number) =>
        `${(((cpuMs(pid) - before) / elapsed) * 100).toFixed(0)}%`;
      const benchCpu = process.cpuUsage(benchCpuBefore);
      process.stderr.write(
        `    CPU busy: server ${busy(cpuBefore, server.pid)}${otherPids.length > 0 ? `, ${othersRole} ${otherPids.map((pid, i) => busy(othersCpuBefore[i]!, pid)).join(' ')}` : ''}, benchmark ${(((benchCpu.user + benchCpu.system) / 1000 / elapsed) * 100).toFixed(0)}%\n`,
      );
      const delays = await loopDelays(probed);
      if (delays.length > 0)
        process.stderr.write(
          `    event-loop delay: server ${delays[0]}${delays.length > 1 ? `; ${othersRole} ${delays.slice(1).join('; ')}` : ''}\n`,
        );
      const metricsAfter = await scrape();
      metricsAfter.forEach((after, i) => {
        const before = metricsBefore[i]!;
        const lines = createHistograms.map(
          (name) => `${name.replace(/_seconds$/, '')} ${histogramDelta(before.get(name)!, after.get(name)!)}`,
        );
        process.stderr.write(`    /metrics of ${metricsSources[i]!.what}: ${lines.join('; ')}\n`);
      });
      process.stderr.write(
        `    client connections to the server: ${connectionsBefore} before, ${serverConnections(server.url)} after (each new one is a TLS handshake on both sides)\n`,
      );
      for (let second = 0; second * 1000 < elapsed; second++) {
        const inSecond = timeline
          .filter((t) => t.startMs >= second * 1000 && t.startMs < (second + 1) * 1000)
          .map((t) => t.latencyMs)
          .sort((a, b) => a - b);
        process.stderr.write(
          `    second ${second}: ${inSecond.length} sent, p50 ${percentile(inSecond, 50).toFixed(1)} ms, p99 ${percentile(inSecond, 99).toFixed(1)} ms\n`,
        );
      }
    }
    podsCreated += createCount;
    const r = row(`create @${createRate}/s (open loop, ${warmupSeconds} s warm-up)`, latencies, elapsed);
    result.rows.push(r);
    cpuPerRequest.push(`create ${((cpuMs(server.pid) - cpuBefore) / createCount).toFixed(2)} ms`);
    result.floors.push({
      name: `create p99 at ${createRate}/s`,
      measuredMs: r.p99Ms,
      limitMs: createP99LimitMs,
      pass: createRate >= 200 && r.p99Ms <= createP99LimitMs,
      detail: createRate >= 200 ? '' : ` (offered ${createRate}/s < 200/s: not a verdict)`,
    });
  }

  if (runs('createmax')) {
    progress('create at full speed, 64 in flight');
    const latencies: number[] = [];
    const elapsed = await closedLoop(2000, 64, (i) =>
      timed(() => api.post('/api/v1/namespaces/bench/pods', pod(`t${i}`)), 201, latencies),
    );
    podsCreated += 2000;
    result.rows.push(row('create max (64 in flight)', latencies, elapsed));
  }

  if (runs('get')) {
    progress('get, 16 in flight');
    const latencies: number[] = [];
    const cpuBefore = cpuMs(server.pid);
    const elapsed = await closedLoop(2000, 16, (i) =>
      timed(() => api.get(`/api/v1/namespaces/bench/pods/p${i % createCount}`), 200, latencies),
    );
    result.rows.push(row('get (16 in flight)', latencies, elapsed));
    cpuPerRequest.push(`get ${((cpuMs(server.pid) - cpuBefore) / 2000).toFixed(2)} ms`);
  }

  if (runs('list')) {
    progress(`list ${podsCreated} pods in pages of 500`);
    const latencies: number[] = [];
    const elapsed = await closedLoop(10, 2, () =>
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
        latencies,
      ),
    );
    result.rows.push(row(`list ${podsCreated} pods (pages of 500, 2 in flight)`, latencies, elapsed));
  }

  if (runs('update')) {
    progress('update (merge patch), 16 in flight');
    const latencies: number[] = [];
    const cpuBefore = cpuMs(server.pid);
    const elapsed = await closedLoop(1000, 16, (i) =>
      timed(
        () =>
          api.patch(
            `/api/v1/namespaces/bench/pods/p${i % createCount}`,
            { metadata: { labels: { touched: String(i) } } },
            'application/merge-patch+json',
          ),
        200,
        latencies,
      ),
    );
    result.rows.push(row('update, merge patch (16 in flight)', latencies, elapsed));
    cpuPerRequest.push(`update ${((cpuMs(server.pid) - cpuBefore) / 1000).toFixed(2)} ms`);
  }

  if (runs('watch')) {
    progress(`watch fan-out to ${watchers} watchers`);
    const fanOut = await watchFanOut(server, api, watchers, Number(process.env.BENCH_WATCH_EVENTS ?? 100));
    const { row: r, missing } = fanOut;
    result.rows.push(r);
    result.notes.push(
      `watch: ${missing} deliveries missing; CPU per delivery: server ${fanOut.serverCpuUsPerDelivery.toFixed(0)} us, benchmark's watch clients ${fanOut.clientCpuUsPerDelivery.toFixed(0)} us`,
    );
    result.floors.push({
      name: `watch delivery p99 to ${watchers} watchers`,
      measuredMs: r.p99Ms,
      limitMs: watchP99LimitMs,
      pass: watchers >= 1000 && r.p99Ms <= watchP99LimitMs && missing === 0,
      detail: `${missing === 0 ? '' : `, ${missing} missing`}${watchers >= 1000 ? '' : ` (${watchers} < 1,000 watchers: not a verdict)`}`,
    });
  }
  if (cpuPerRequest.length > 0) result.notes.push(`server CPU per request: ${cpuPerRequest.join(', ')}`);

  if (runs('rss')) {
    progress(`filling to ${podsTotal} pods`);
    await closedLoop(Math.max(0, podsTotal - podsCreated), 64, async (i) => {
      const res = await api.post('/api/v1/namespaces/bench/pods', pod(`f${i}`));
      if (res.status !== 201) throw new Error(`pod create answered ${res.status}`);
    });
    const count = await api.get<{ items: unknown[] }>('/api/v1/namespaces/bench/pods');
    const othersRss = otherPids.map((pid) => `${rssMiB(pid).toFixed(0)}`);
    result.notes.push(
      `server RSS: ${rssIdle.toFixed(0)} MiB idle, ${rssMiB(server.pid).toFixed(0)} MiB with ${count.body.items.length} pods stored` +
        (othersRss.length > 0 ? ` (${othersRole}: ${othersRss.join(', ')} MiB)` : ' (store included)'),
    );
  }
  const afterwards = await target.afterwards?.();
  if (afterwards !== undefined) result.notes.push(afterwards);
  result.loadAfter = loadAverage();
  return result;
}

function printTable(result: BackendResult): void {
  const cores = cpus().length;
  const lines = [
    '',
    `${result.backend}   load average ${result.loadBefore} -> ${result.loadAfter} (${cores} cores)`,
  ];
  const width = Math.max(24, ...result.rows.map((r) => r.operation.length));
  lines.push(
    `  ${'operation'.padEnd(width)} ${'count'.padStart(7)} ${'per second'.padStart(11)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)}`,
  );
  for (const r of result.rows) {
    lines.push(
      `  ${r.operation.padEnd(width)} ${String(r.count).padStart(7)} ${r.perSecond.toFixed(1).padStart(11)} ${r.p50Ms.toFixed(1).padStart(9)} ${r.p99Ms.toFixed(1).padStart(9)}`,
    );
  }
  for (const n of result.notes) lines.push(`  ${n}`);
  for (const f of result.floors) {
    lines.push(
      `  floor ${f.name} <= ${f.limitMs} ms: ${f.measuredMs.toFixed(1)} ms ${f.pass ? 'PASS' : 'FAIL'}${f.detail}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The median of a list of figures. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * With BENCH_ROUNDS: each floor's figure in every round, per backend, with the median and how
 * many rounds met it; and each Navarch backend's median against etcd's when etcd ran too.
 */
function printRounds(results: readonly BackendResult[]): void {
  const byName = new Map<string, BackendResult[]>();
  for (const r of results) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const floorNames = [...new Set(results.flatMap((r) => r.floors.map((f) => f.name)))];
  const lines = ['', `Floors over ${results.length / byName.size} rounds (figures in ms, round by round)`];
  for (const floor of floorNames) {
    const medians = new Map<string, number>();
    lines.push(`  ${floor}:`);
    for (const [name, runs] of byName) {
      const figures = runs.flatMap((r) => r.floors.filter((f) => f.name === floor));
      if (figures.length === 0) continue;
      const m = median(figures.map((f) => f.measuredMs));
      medians.set(name, m);
      const passed = figures.filter((f) => f.pass).length;
      lines.push(
        `    ${name.padEnd(17)} ${figures.map((f) => f.measuredMs.toFixed(1).padStart(6)).join(' ')}   median ${m.toFixed(1)}, met in ${passed} of ${figures.length}`,
      );
    }
    const etcd = medians.get('etcd');
    if (etcd !== undefined)
      for (const [name, m] of medians)
        if (name !== 'etcd') lines.push(`    ${name}: median / etcd's median = ${(m / etcd).toFixed(2)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Set by SIGINT/SIGTERM: the failures that follow are the interruption's, not the run's. */
let interrupted = false;

async function main(): Promise<void> {
  const names = (process.env.BENCH_BACKEND ?? 'embedded,store,cluster,cluster-follower')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (process.argv.includes('--etcd') && !names.includes('etcd')) names.push('etcd');
  const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`BENCH_ROUNDS must be a whole number >= 1, not "${process.env.BENCH_ROUNDS}"`);
  for (const n of names) {
    if (!backendsByName[n])
      throw new Error(
        `unknown backend "${n}" (BENCH_BACKEND takes ${Object.keys(backendsByName).join(', ')})`,
      );
  }
  const only = process.env.BENCH_ONLY
    ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim()))
    : undefined;
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // Every process the backends spawn inherits the probe and the metrics switch.
  let cleanupProbe: (() => void) | undefined;
  if (process.env.BENCH_DEBUG) {
    process.env.NAVARCH_COMPAT_METRICS = '1';
    cleanupProbe = enableLoopDelayProbe(nodeArgs);
  }

  const results: BackendResult[] = [];
  // Stops for every process the current backend started; run newest first.
  const stops: (() => Promise<unknown>)[] = [];
  // One stop at a time: a signal and the failure it causes both wait for the same one, so the
  // process never exits halfway through (a server killed but its data dir left behind).
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> => {
    stopping ??= (async () => {
      for (let stop = stops.pop(); stop !== undefined; stop = stops.pop())
        await stop().catch(() => undefined);
    })().finally(() => {
      stopping = undefined;
    });
    return stopping;
  };
  // An interrupted run (Ctrl-C, a timeout) must not leave a store or a server behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      // Requests in flight fail as the processes stop: that is expected now, not a crash.
      process.on('unhandledRejection', () => undefined);
      void stopAll().finally(() => process.exit(130));
    });
  }
  try {
    for (const [round, name] of Array.from({ length: rounds }, () => names)
      .flat()
      .entries()) {
      const backend = backendsByName[name]!;
      const roundNote = rounds > 1 ? ` (round ${Math.floor(round / names.length) + 1} of ${rounds})` : '';
      process.stderr.write(`${backend.name}${roundNote}: starting\n`);
      try {
        const target = await backend.start(nodeArgs, (stop) => stops.push(stop));
        const result = await measure(name, target, only);
        results.push(result);
        printTable(result);
      } finally {
        await stopAll();
        // The next backend starts on a quiet disk: without this, the kernel writes this one's
        // dirty pages back (up to 30 s later) during the next one's measured phase.
        execFileSync('sync');
      }
    }
  } finally {
    cleanupProbe?.();
  }
  if (rounds > 1) printRounds(results);
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, `${JSON.stringify(results, null, 2)}\n`);
  if (results.some((r) => r.floors.some((f) => !f.pass))) process.exitCode = 1;
}

void main().catch((err: unknown) => {
  // Interrupted: the signal handler exits (130) once every process is stopped.
  if (interrupted) return;
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
