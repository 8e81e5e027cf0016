/**
 * A recording etcd KV workload for real-process tests: each worker sends one request at a time
 * over plain gRPC (no client retries, so one invocation is at most one proposal), to a member of
 * its choice, and records every operation for @navarch/sim's linearizability checker.
 *
 * Outcomes: a put that fails or times out has an UNKNOWN outcome (no completeTime: it may or may
 * not have been applied); a get that fails is left out (it changed nothing).
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { checkLinearizable, type KvOperation, kvModel } from '@navarch/sim';
import { loadEtcdServices } from '@navarch/store';

interface RangeResponse {
  kvs: { key: Buffer; value: Buffer }[];
}

/** A minimal etcd KV client on one endpoint, one attempt per call, with a deadline. */
export class KvClient {
  private readonly client: grpc.Client;
  constructor(readonly url: string) {
    const { clients } = loadEtcdServices();
    this.client = new clients.KV(new URL(url).host, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 500,
    });
  }

  private call<T>(method: string, request: object, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      type Unary = (
        request: object,
        options: grpc.CallOptions,
        callback: (err: grpc.ServiceError | null, response: T) => void,
      ) => void;
      const fn = (this.client as unknown as Record<string, Unary>)[method]!.bind(this.client);
      fn(request, { deadline: Date.now() + timeoutMs }, (err, response) =>
        err ? reject(err) : resolve(response),
      );
    });
  }

  async put(key: string, value: string, timeoutMs = 3000): Promise<void> {
    await this.call('Put', { key: Buffer.from(key), value: Buffer.from(value) }, timeoutMs);
  }

  /** Linearizable get; null when the key is absent. */
  async get(key: string, timeoutMs = 3000): Promise<string | null> {
    const response = await this.call<RangeResponse>('Range', { key: Buffer.from(key) }, timeoutMs);
    const kv = response.kvs[0];
    return kv ? kv.value.toString('utf8') : null;
  }

  close(): void {
    this.client.close();
  }
}

/** Options of {@link runWorkload}. */
export interface WorkloadOptions {
  /** Client URLs to spread requests over (re-read on every request: members come and go). */
  urls: () => string[];
  workers: number;
  keys: number;
  /** Stop when this resolves (the fault script finished) ... */
  until: Promise<void>;
  /** ... or after this many operations in total. */
  maxOperations?: number;
  timeoutMs?: number;
  /** Live counters the fault script can wait on. */
  stats?: WorkloadStats;
}

/** Live counts of a running workload. */
export interface WorkloadStats {
  ok: number;
  failed: number;
}

/** Resolves once `stats.ok` has grown by `count` (progress under the current fault). */
export async function progress(stats: WorkloadStats, count: number, timeoutMs = 30_000): Promise<void> {
  const target = stats.ok + count;
  const deadline = Date.now() + timeoutMs;
  while (stats.ok < target) {
    if (Date.now() > deadline)
      throw new Error(`no progress: ${stats.ok}/${target} ok operations after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What a workload recorded. */
export interface WorkloadResult {
  history: KvOperation[];
  /** Puts acknowledged by the store: key → values (every one must survive crashes). */
  acknowledged: Map<string, string[]>;
  ok: number;
  failed: number;
}

/** Runs a read/write workload until `until` resolves; every worker stops after its in-flight request. */
export async function runWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const history: KvOperation[] = [];
  const acknowledged = new Map<string, string[]>();
  const clients = new Map<string, KvClient>();
  const clientFor = (url: string): KvClient => {
    let c = clients.get(url);
    if (!c) {
      c = new KvClient(url);
      clients.set(url, c);
    }
    return c;
  };
  let done = false;
  void options.until.then(() => {
    done = true;
  });
  const stats = options.stats ?? { ok: 0, failed: 0 };
  // Fresh keys per workload: the checker's model starts from empty keys.
  const prefix = `${randomUUID().slice(0, 8)}/`;
  let sequence = 0;
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxOperations = options.maxOperations ?? 100_000;
  const worker = async (workerId: number): Promise<void> => {
    let n = 0;
    while (!done && history.length < maxOperations) {
      n += 1;
      const urls = options.urls();
      if (urls.length === 0) {
        // Every member is down right now (the fault script restarts them).
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const url = urls[(workerId + n) % urls.length]!;
      const client = clientFor(url);
      const key = `${prefix}k${(workerId * 7 + n) % options.keys}`;
      const isPut = n % 2 === 0;
      const invokeTime = performance.now();
      if (isPut) {
        const value = `w${workerId}-${++sequence}`;
        const op: KvOperation = { clientId: workerId, op: { kind: 'put', key, value }, invokeTime };
        history.push(op);
        try {
          await client.put(key, value, timeoutMs);
          op.completeTime = performance.now();
          op.result = { ok: true };
          acknowledged.set(key, [...(acknowledged.get(key) ?? []), value]);
          stats.ok += 1;
        } catch {
          stats.failed += 1;
          // Unknown outcome: leave completeTime unset. Back off a little: the member may be down.
          await new Promise((r) => setTimeout(r, 50));
        }
      } else {
        try {
          const value = await client.get(key, timeoutMs);
          history.push({
            clientId: workerId,
            op: { kind: 'get', key },
            invokeTime,
            completeTime: performance.now(),
            result: { value },
          });
          stats.ok += 1;
        } catch {
          stats.failed += 1;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.workers }, (_, i) => worker(i)));
  for (const c of clients.values()) c.close();
  return { history, acknowledged, ok: stats.ok, failed: stats.failed };
}

/** Checks a recorded history; returns a message describing the violation, or undefined. */
export function linearizabilityViolation(history: KvOperation[]): string | undefined {
  const result = checkLinearizable(history, kvModel, { maxStatesPerPartition: 2_000_000 });
  if (result.outcome === 'ok') return undefined;
  const ops = (result.failure?.operations ?? [])
    .map(
      (o) =>
        `  c${o.clientId} ${o.op.kind} ${o.op.value ?? ''} -> ${o.completeTime === undefined ? '?' : JSON.stringify(o.result)} [${o.invokeTime.toFixed(1)}, ${o.completeTime?.toFixed(1) ?? 'inf'}]`,
    )
    .slice(-60)
    .join('\n');
  return `${result.outcome}: ${result.failure?.partition}: ${result.failure?.message}\n${ops}`;
}

/** The last acknowledged value of every key must be readable, or a later unknown write's value. */
export async function checkAcknowledgedWrites(url: string, result: WorkloadResult): Promise<string[]> {
  const client = new KvClient(url);
  const problems: string[] = [];
  try {
    for (const [key, values] of result.acknowledged) {
      const current = await client.get(key, 5000);
      const written = result.history
        .filter((o) => o.op.kind === 'put' && o.op.key === key)
        .map((o) => o.op.value);
      const lastAcknowledged = values[values.length - 1]!;
      // The value read must be the last acknowledged one or a write issued after it (acknowledged or unknown).
      const position = written.indexOf(current ?? '');
      if (current === null || position < written.indexOf(lastAcknowledged)) {
        problems.push(`${key}: read ${current}, last acknowledged ${lastAcknowledged}`);
      }
    }
  } finally {
    client.close();
  }
  return problems;
}
