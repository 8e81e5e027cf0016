/**
 * Test harness for the API suites: a real etcd 3.4 cluster on free loopback ports, a real
 * `navarch server` process from packages/navarch/dist, and a small HTTPS client with the
 * admin token. Suites run once per backend: real etcd, and the store embedded in the server.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { startCluster } from '../compat/helpers/cluster.js';
import { freePort } from '../helpers/ports.js';
import { removeTrackedDir, trackedTempDir, trackProcess } from '../helpers/registry.js';

export { freePort };

/** The repository root (tests spawn the built binary from here). */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

function killTree(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      done();
      return;
    }
    child.once('exit', () => done());
    child.kill('SIGTERM');
    const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
    hard.unref();
  });
}

/** A running etcd cluster. */
export interface EtcdCluster {
  readonly endpoints: string[];
  readonly pids: number[];
  stop(): Promise<void>;
}

/** Starts `members` etcd 3.4 processes on free loopback ports and waits until they serve. */
export async function startEtcd(members: number): Promise<EtcdCluster> {
  const dir = trackedTempDir('navarch-etcd-');
  const specs: { name: string; client: number; peer: number }[] = [];
  for (let i = 0; i < members; i++)
    specs.push({ name: `e${i}`, client: await freePort(), peer: await freePort() });
  const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peer}`).join(',');
  const children: ChildProcess[] = [];
  for (const s of specs) {
    const child = spawn(
      '/usr/bin/etcd',
      [
        '--name',
        s.name,
        '--data-dir',
        join(dir, s.name),
        '--listen-client-urls',
        `http://127.0.0.1:${s.client}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${s.client}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${s.peer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${s.peer}`,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        `navarch-test-${process.pid}`,
        '--log-level',
        'error',
        '--logger',
        'zap',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    trackProcess(child, `etcd ${s.name}`);
    child.stderr?.resume();
    children.push(child);
  }
  const endpoints = specs.map((s) => `http://127.0.0.1:${s.client}`);
  const stop = async () => {
    await Promise.all(children.map(killTree));
    removeTrackedDir(dir);
  };
  try {
    for (const e of endpoints)
      await waitFor(async () => (await fetch(`${e}/health`)).ok, 30_000, `etcd ${e} healthy`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoints, pids: children.map((c) => c.pid ?? 0), stop };
}

/** Polls `check` until it is true (errors count as false) or the deadline passes. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A running `navarch server` with an HTTPS client for it. */
export interface NavarchServer {
  readonly url: string;
  readonly kubeconfig: string;
  readonly dataDir: string;
  readonly token: string;
  readonly ca: string;
  readonly pid: number;
  readonly logs: string[];
  readonly client: ApiClient;
  /**
   * Stops the process; the data dir is removed unless `keepData` (or it was given by the caller).
   * A kept dir of the harness's own is still removed when the test process exits.
   */
  stop(keepData?: boolean): Promise<void>;
}

/** Options for one server process. */
export interface ServerOptions {
  /** etcd v3 endpoints for --datastore-endpoint; empty runs the embedded store. */
  readonly datastoreEndpoints: readonly string[];
  /** Flags the backend needs (the embedded store's URLs). */
  readonly backendArgs?: readonly string[];
  readonly dataDir?: string;
  readonly extraArgs?: readonly string[];
  /** Node.js flags for the server process (profiling: `--cpu-prof --cpu-prof-dir=DIR`). */
  readonly nodeArgs?: readonly string[];
}

/** Spawns `node packages/navarch/dist/main.js server` and waits for its ready line. */
export async function startServer(options: ServerOptions): Promise<NavarchServer> {
  // A dir of our own stays recorded after stop(true), so that it goes when this process does.
  const dataDir = options.dataDir ?? trackedTempDir('navarch-server-');
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      join(repoRoot, 'packages/navarch/dist/main.js'),
      'server',
      '--data-dir',
      dataDir,
      '--listen',
      '127.0.0.1:0',
      ...(options.datastoreEndpoints.length > 0
        ? ['--datastore-endpoint', options.datastoreEndpoints.join(',')]
        : []),
      ...(options.backendArgs ?? []),
      '--log-level',
      'info',
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  trackProcess(child, 'navarch server');
  const logs: string[] = [];
  child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
  const ready = new Promise<{ url: string; kubeconfig: string }>((resolveReady, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      logs.push(line);
      if (logs.length > 2000) logs.shift();
      try {
        const rec = JSON.parse(line) as { msg?: string; url?: string; kubeconfig?: string };
        if (rec.msg === 'navarch server ready' && rec.url && rec.kubeconfig)
          resolveReady({ url: rec.url, kubeconfig: rec.kubeconfig });
      } catch {
        // not JSON
      }
    });
    child.once('exit', (code) => reject(new Error(`navarch server exited with ${code}: ${logs.join('\n')}`)));
  });
  const stop = async (keepData = false) => {
    await killTree(child);
    if (!options.dataDir && !keepData) removeTrackedDir(dataDir);
  };
  let started: { url: string; kubeconfig: string };
  try {
    started = await Promise.race([
      ready,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`server not ready: ${logs.join('\n')}`)), 60_000).unref(),
      ),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  const tokens = JSON.parse(readFileSync(join(dataDir, 'tokens.json'), 'utf8')) as { token: string }[];
  const token = tokens[0]!.token;
  const ca = readFileSync(join(dataDir, 'pki/ca.crt'), 'utf8');
  return {
    ...started,
    dataDir,
    token,
    ca,
    pid: child.pid!,
    logs,
    client: new ApiClient(started.url, ca, token),
    stop,
  };
}

/** A response as the tests see it. */
export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** One watch event. */
export interface WatchEvent {
  readonly type: string;
  readonly object: Record<string, unknown> & { metadata?: Record<string, unknown> };
}

/** Minimal HTTPS client that trusts the cluster CA. */
export class ApiClient {
  readonly agent: Agent;

  constructor(
    readonly url: string,
    ca: string,
    private readonly token: string | undefined,
  ) {
    // Generous connect timeout: the build machine is shared and TLS handshakes queue under load.
    this.agent = new Agent({ connect: { ca, timeout: 60_000 }, connections: 256 });
  }

  /** A client for the same server without (or with another) token. */
  withToken(token: string | undefined, ca: string): ApiClient {
    return new ApiClient(this.url, ca, token);
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    let payload: string | Buffer | undefined;
    if (body !== undefined) {
      payload = Buffer.isBuffer(body) || typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await request(`${this.url}${path}`, {
      method: method as 'GET',
      headers: h,
      body: payload ?? null,
      dispatcher: this.agent,
    });
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // plain text
    }
    return { status: res.statusCode, body: parsed as T, headers: res.headers };
  }

  get<T = Record<string, unknown>>(path: string, headers?: Record<string, string>) {
    return this.call<T>('GET', path, undefined, headers);
  }
  post<T = Record<string, unknown>>(path: string, body: unknown) {
    return this.call<T>('POST', path, body);
  }
  put<T = Record<string, unknown>>(path: string, body: unknown) {
    return this.call<T>('PUT', path, body);
  }
  patch<T = Record<string, unknown>>(path: string, body: unknown, contentType: string) {
    return this.call<T>('PATCH', path, body, { 'content-type': contentType });
  }
  delete<T = Record<string, unknown>>(path: string, body?: unknown) {
    return this.call<T>('DELETE', path, body);
  }

  /**
   * Opens a watch and collects events; `next(n)` resolves with the first n events (or rejects
   * after timeoutMs), `close()` aborts the stream. `headers` add to or replace the defaults.
   */
  async watch(path: string, headers: Record<string, string> = {}): Promise<WatchStream> {
    const controller = new AbortController();
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    const res = await request(`${this.url}${path}`, {
      method: 'GET',
      headers: h,
      dispatcher: this.agent,
      signal: controller.signal,
    });
    return new WatchStream(res.statusCode, res.body, controller);
  }
}

/** A streaming watch response. */
export class WatchStream {
  readonly events: WatchEvent[] = [];
  ended = false;
  private waiters: (() => void)[] = [];

  constructor(
    readonly status: number,
    body: AsyncIterable<Buffer>,
    private readonly controller: AbortController,
  ) {
    void this.pump(body);
  }

  private async pump(body: AsyncIterable<Buffer>): Promise<void> {
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += chunk.toString('utf8');
        let idx = buffer.indexOf('\n');
        while (idx >= 0) {
          const line = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 1);
          if (line.trim() !== '') this.events.push(JSON.parse(line) as WatchEvent);
          idx = buffer.indexOf('\n');
        }
        this.wake();
      }
    } catch {
      // aborted
    }
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `count` events arrived (or the stream ended); rejects after timeoutMs. */
  async next(count: number, timeoutMs = 15_000): Promise<WatchEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count && !this.ended) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `watch: expected ${count} events, got ${this.events.length}: ${JSON.stringify(this.events.map((e) => e.type))}`,
        );
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.events.slice(0, count);
  }

  /** Resolves when the server ends the stream. */
  async end(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('watch did not end');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): void {
    this.controller.abort();
  }
}

/** What a started backend gives the server. */
export interface BackendInstance {
  /** etcd v3 endpoints the tests may use directly (compaction); passed as --datastore-endpoint when `remote`. */
  readonly endpoints: string[];
  /** True when the server connects to `endpoints`; false when it embeds the store itself. */
  readonly remote: boolean;
  /** Extra server flags. */
  readonly serverArgs: string[];
  /** Processes of a separate store (for RSS and CPU figures); absent when the server embeds it. */
  readonly pids?: readonly number[];
  stop(): Promise<void>;
}

/** A datastore backend the suites run against. */
export interface Backend {
  readonly name: string;
  start(): Promise<BackendInstance>;
}

/** Server options for a backend instance. */
export function serverOptions(
  instance: BackendInstance,
): Pick<ServerOptions, 'datastoreEndpoints' | 'backendArgs'> {
  return { datastoreEndpoints: instance.remote ? instance.endpoints : [], backendArgs: instance.serverArgs };
}

/** A real 3-member etcd 3.4 and the Navarch store embedded in `navarch server`. */
export const allBackends: Backend[] = [
  {
    name: 'etcd 3.4 (3 members)',
    start: async () => {
      const etcd = await startEtcd(3);
      return {
        endpoints: etcd.endpoints,
        remote: true,
        serverArgs: [],
        pids: etcd.pids,
        stop: () => etcd.stop(),
      };
    },
  },
  {
    name: 'embedded Navarch store',
    start: async () => {
      const client = await freePort();
      const peer = await freePort();
      return {
        endpoints: [`http://127.0.0.1:${client}`],
        remote: false,
        serverArgs: [
          '--store-client-url',
          `http://127.0.0.1:${client}`,
          '--store-peer-url',
          `http://127.0.0.1:${peer}`,
        ],
        stop: async () => undefined,
      };
    },
  },
];

/**
 * A 3-member Navarch store (`navarch store` processes, etcd flag names) that the server reaches
 * with --datastore-endpoint: the replicated store as the benchmark measures it. Not in
 * `allBackends`: the suites already cover the store's protocol through the embedded member.
 */
export const navarchStoreCluster: Backend = {
  name: 'Navarch store (3 members)',
  start: async () => {
    const cluster = await startCluster('navarch', 3);
    return {
      endpoints: cluster.members.map((m) => m.clientUrl),
      remote: true,
      serverArgs: [],
      pids: cluster.members.map((m) => m.child.pid ?? 0),
      // SIGTERM first, so that a member run with --cpu-prof (NAVARCH_COMPAT_NODE_ARGS) writes its
      // profile; cluster.stop() then kills whatever is left and removes the data dirs.
      stop: async () => {
        await Promise.all(cluster.members.map((m) => killTree(m.child)));
        await cluster.stop();
      },
    };
  },
};

/** Several `navarch server` processes forming one cluster (--initial-cluster), each embedding a store member. */
export interface ServerCluster {
  /** The servers, in member order (member names s1, s2, ...). */
  readonly servers: NavarchServer[];
  /** Each embedded member's etcd v3 client URL, in the same order. */
  readonly storeEndpoints: string[];
  /** Index of the server whose embedded member is the Raft leader now (asked with etcdctl). */
  leaderIndex(): Promise<number>;
  /** Stops every server (by pid) and removes their data dirs. */
  stop(): Promise<void>;
}

/** The etcd member id and the member id of the leader as one endpoint reports them. */
async function endpointStatus(endpoint: string): Promise<{ memberId: string; leaderId: string }> {
  const stdout = await new Promise<string>((resolveRun, reject) => {
    execFile(
      '/usr/bin/etcdctl',
      // etcdctl 3.4 speaks gRPC to host:port; given a URL it sends a request the server refuses.
      [
        `--endpoints=${endpoint.replace(/^https?:\/\//, '')}`,
        '--command-timeout=5s',
        '--write-out=json',
        'endpoint',
        'status',
      ],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 15_000 },
      (error, out, stderr) => (error ? reject(new Error(`${error.message}: ${stderr}`)) : resolveRun(out)),
    );
  });
  // Member ids are 64-bit: read them as strings, never as JSON numbers (which would round them).
  const memberId = /"member_id":(\d+)/.exec(stdout)?.[1];
  const leaderId = /"leader":(\d+)/.exec(stdout)?.[1];
  if (memberId === undefined || leaderId === undefined)
    throw new Error(`etcdctl endpoint status ${endpoint}: unexpected output ${stdout}`);
  return { memberId, leaderId };
}

/** Index in `endpoints` (etcd v3 URLs of one cluster: etcd or Navarch) of the Raft leader, asked with etcdctl. */
export async function leaderIndexOf(endpoints: readonly string[]): Promise<number> {
  const statuses = await Promise.all(endpoints.map(endpointStatus));
  const leader = statuses.findIndex((s) => s.memberId === s.leaderId);
  if (leader < 0) throw new Error('no member reports itself as the Raft leader');
  return leader;
}

/**
 * Starts `size` `navarch server` processes on loopback that form one cluster with
 * --initial-cluster (each embeds a member of one replicated store), and waits until all serve.
 * On a failed start every process already started is stopped.
 */
export async function startServerCluster(
  size: number,
  options: Pick<ServerOptions, 'extraArgs' | 'nodeArgs'> = {},
): Promise<ServerCluster> {
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({ client: await freePort(), peer: await freePort() })),
  );
  const names = ports.map((_, i) => `s${i + 1}`);
  const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(',');
  const storeEndpoints = ports.map((p) => `http://127.0.0.1:${p.client}`);
  // Started together: each member waits for a quorum of the others before its server is ready.
  const started = await Promise.allSettled(
    names.map((name, i) =>
      startServer({
        datastoreEndpoints: [],
        backendArgs: [
          '--name',
          name,
          '--initial-cluster',
          initialCluster,
          '--initial-cluster-token',
          `navarch-test-${process.pid}-${ports[0]!.peer}`,
          '--store-client-url',
          storeEndpoints[i]!,
          '--store-peer-url',
          `http://127.0.0.1:${ports[i]!.peer}`,
        ],
        ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
        ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
      }),
    ),
  );
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return {
    servers,
    storeEndpoints,
    leaderIndex: () => leaderIndexOf(storeEndpoints),
    stop,
  };
}

/**
 * Backends every API suite runs on: both, unless NAVARCH_TEST_EMBEDDED=0 (etcd only). The
 * embedded store is in active development; when it misbehaves, that switch isolates the API
 * server's own behaviour. NAVARCH_TEST_NAVARCH_STORE=1 adds the 3-member Navarch store behind
 * --datastore-endpoint: the API server's etcd v3 client against the Navarch store.
 */
export const backends: Backend[] = [
  ...allBackends.filter((_backend, i) => i === 0 || process.env.NAVARCH_TEST_EMBEDDED !== '0'),
  ...(process.env.NAVARCH_TEST_NAVARCH_STORE === '1' ? [navarchStoreCluster] : []),
];

/** Makes a unique, valid name for a test object. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
