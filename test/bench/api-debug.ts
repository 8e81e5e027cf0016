/**
 * What `npm run bench:api` prints with BENCH_DEBUG to explain where create latency goes: the
 * event-loop delay of every Node.js process (loop-delay.mjs, preloaded), latency histograms from
 * the servers' and store members' /metrics, and a probe writing straight to the store.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdKvStore } from '@navarch/apiserver';
import type { NavarchServer } from '../api/harness.js';
import { removeTrackedDir, trackedTempDir } from '../helpers/registry.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The event-loop delay probe and the directory it reports into (set by enableLoopDelayProbe). */
const loopDelayProbe = fileURLToPath(new URL('./loop-delay.mjs', import.meta.url));
let loopDelayDir: string | undefined;

/**
 * Preloads the event-loop delay probe (loop-delay.mjs) into every process started from now on:
 * into servers through `nodeArgs`, into `navarch store` members through NAVARCH_COMPAT_NODE_ARGS.
 * Returns the cleanup of its report directory.
 */
export function enableLoopDelayProbe(nodeArgs: string[]): () => void {
  const dir = trackedTempDir('navarch-bench-loop-');
  loopDelayDir = dir;
  process.env.NAVARCH_LOOP_DELAY_DIR = dir;
  nodeArgs.push(`--import=${loopDelayProbe}`);
  process.env.NAVARCH_COMPAT_NODE_ARGS = [
    process.env.NAVARCH_COMPAT_NODE_ARGS ?? '',
    `--import=${loopDelayProbe}`,
  ]
    .join(' ')
    .trim();
  return () => removeTrackedDir(dir);
}

/** Event-loop delay of each process since the last call (a window per call); none without the probe. */
export async function loopDelays(pids: readonly number[]): Promise<string[]> {
  const dir = loopDelayDir;
  if (dir === undefined) return [];
  for (const pid of pids) rmSync(join(dir, `${pid}.json`), { force: true });
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  const deadline = performance.now() + 5000;
  const out: string[] = [];
  for (const pid of pids) {
    const file = join(dir, `${pid}.json`);
    while (!existsSync(file) && performance.now() < deadline) await sleep(20);
    if (!existsSync(file)) {
      out.push('n/a');
      continue;
    }
    const d = JSON.parse(readFileSync(file, 'utf8')) as { p50Ms: number; p99Ms: number; maxMs: number };
    out.push(`p50 ${d.p50Ms.toFixed(1)} / p99 ${d.p99Ms.toFixed(1)} / max ${d.maxMs.toFixed(0)} ms`);
  }
  return out;
}

/** Cumulative buckets (upper bound in seconds -> count), sum and count of one histogram. */
export interface Histogram {
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

/**
 * Reads histograms from a server's /metrics (Prometheus text), summed over the label sets that
 * contain every string of `labelFilter`.
 */
export async function scrapeHistograms(
  source: NavarchServer | string,
  names: readonly string[],
  labelFilter: Record<string, readonly string[]>,
): Promise<Map<string, Histogram>> {
  let text = '';
  if (typeof source === 'string') text = await (await fetch(source)).text();
  else {
    const res = await source.client.get<string>('/metrics', { accept: 'text/plain' });
    if (typeof res.body === 'string') text = res.body;
  }
  const out = new Map<string, Histogram>();
  for (const name of names) out.set(name, { buckets: new Map(), sum: 0, count: 0 });
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+?)(_bucket|_sum|_count)(\{[^}]*\})? ([0-9.e+-]+|\+Inf|NaN)$/.exec(line);
    if (!match) continue;
    const h = out.get(match[1]!);
    if (!h) continue;
    const labels = match[3] ?? '';
    if (!(labelFilter[match[1]!] ?? []).every((f) => labels.includes(f))) continue;
    const value = Number(match[4]);
    if (match[2] === '_sum') h.sum += value;
    else if (match[2] === '_count') h.count += value;
    else {
      const le = /le="([^"]+)"/.exec(labels)?.[1] ?? '+Inf';
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      h.buckets.set(bound, (h.buckets.get(bound) ?? 0) + value);
    }
  }
  return out;
}

/** `after - before` summarised: count, mean and bucket-bound p50/p99, in ms. */
export function histogramDelta(before: Histogram, after: Histogram): string {
  const count = after.count - before.count;
  if (count <= 0) return 'none';
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  const quantile = (q: number) => {
    for (const bound of bounds) {
      if ((after.buckets.get(bound) ?? 0) - (before.buckets.get(bound) ?? 0) >= q * count)
        return bound === Number.POSITIVE_INFINITY ? 'inf' : `<=${(bound * 1000).toFixed(0)}`;
    }
    return '?';
  };
  return `${count} (mean ${(((after.sum - before.sum) / count) * 1000).toFixed(1)} ms, p50 ${quantile(0.5)}, p99 ${quantile(0.99)} ms)`;
}

/** Server-side histograms the create phase explains its latency with (BENCH_DEBUG). */
export const createHistograms = [
  'apiserver_request_duration_seconds',
  'navarch_store_wal_fsync_duration_seconds',
  'navarch_store_backend_commit_duration_seconds',
] as const;
export const createHistogramFilter = {
  apiserver_request_duration_seconds: ['verb="POST"', 'resource="pods"'],
};

/**
 * Writes one small key straight to the store every `intervalMs` until stopped, from this process,
 * and reports the latencies (and the endpoint written to last): the store's own commit latency
 * under the benchmark's load.
 */
export function probeStore(
  endpoints: readonly string[],
  intervalMs: number,
): { stop(): Promise<{ endpoint: string; figures: string }> } {
  const kv = new EtcdKvStore(endpoints);
  const latencies: number[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const start = performance.now();
      await kv.txn([], [{ put: `/bench-probe/${i % 100}`, value: Buffer.from(String(i)) }]);
      latencies.push(performance.now() - start);
      await sleep(intervalMs);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      const endpoint = kv.preferredEndpoint;
      await loop.finally(() => kv.close());
      const sorted = latencies.sort((a, b) => a - b);
      return {
        endpoint,
        figures: `${sorted.length} sequential writes, p50 ${percentile(sorted, 50).toFixed(1)} / p99 ${percentile(sorted, 99).toFixed(1)} ms`,
      };
    },
  };
}

/**
 * Established TCP connections to the server at `url` (from `ss`). The benchmark's client opens
 * one more whenever all are busy, so the count tells how far concurrency rose: a latency spike
 * costs TLS handshakes on top, on both sides.
 */
export function serverConnections(url: string): number {
  const port = new URL(url).port;
  const out = execFileSync('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`], {
    encoding: 'utf8',
  });
  return out.split('\n').filter((line) => line.trim() !== '').length;
}
