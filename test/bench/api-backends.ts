/**
 * The backends of `npm run bench:api` (test/bench/api.ts): how each one starts its processes and
 * which `navarch server` the benchmark drives.
 */
import {
  allBackends,
  type Backend,
  type NavarchServer,
  navarchStoreCluster,
  serverOptions,
  startServer,
  startServerCluster,
} from '../api/harness.js';
import { etcdctl } from '../compat/helpers/cluster.js';

/** The processes of one started backend: the server the benchmark drives, and the rest. */
export interface Target {
  /** Which server is driven and what it stores into, for the table's title. */
  readonly title: string;
  readonly server: NavarchServer;
  /** What `otherPids` are (`store members`, `other servers`), for CPU and RSS figures. */
  readonly othersRole: string;
  readonly otherPids: readonly number[];
  /** Every `navarch server` of the backend, the driven one first: their /metrics are read with BENCH_DEBUG. */
  readonly servers: readonly NavarchServer[];
  /** /metrics URLs of separate `navarch store` members (read with BENCH_DEBUG). */
  readonly storeMetricsUrls: readonly string[];
  /**
   * etcd v3 URLs that BENCH_DEBUG's probe writes to directly, the way the driven server does, so
   * the store's own write latency shows beside the API's: a remote store's endpoints (the client
   * sends to the leader's, as the server's does), or the driven server's own member in a cluster.
   */
  readonly storeEndpoints: readonly string[] | undefined;
  /** False when the other processes are not Node.js (etcd): no event-loop delay for them. */
  readonly othersRunNode: boolean;
  /** A line for the table once the phases ran (e.g. where the Raft leader is now). */
  afterwards?(): Promise<string | undefined>;
}

/**
 * A backend. `start` hands `onStop` a stop for each group of processes as soon as they run, so
 * that a failure or a signal later in the start still stops them.
 */
export interface BenchBackend {
  readonly name: string;
  start(nodeArgs: readonly string[], onStop: (stop: () => Promise<unknown>) => void): Promise<Target>;
}

/**
 * Which of a remote store's members leads, as "m<i>" in the order of `endpoints`, for the table's
 * title. The server's client sends its calls to the leader's endpoint once it has found it.
 */
async function storeLeader(endpoints: readonly string[]): Promise<string> {
  const hosts = endpoints.map((e) => new URL(e).host).join(',');
  const statuses = JSON.parse(await etcdctl(hosts, ['endpoint', 'status', '-w', 'json'])) as {
    Endpoint: string;
    Status: { header: { member_id: number | string }; leader: number | string };
  }[];
  const leader = statuses.findIndex((s) => String(s.Status.header.member_id) === String(s.Status.leader));
  return leader < 0 ? 'none' : `m${leader + 1}`;
}

/** A server started with --datastore-endpoint (or alone, embedded) on one of the harness's backends. */
function serverOn(backend: Backend, title: string, othersRunNode = true): BenchBackend {
  return {
    name: backend.name,
    start: async (nodeArgs, onStop) => {
      const store = await backend.start();
      onStop(() => store.stop());
      const server = await startServer({ ...serverOptions(store), nodeArgs });
      onStop(() => server.stop());
      const leader = store.remote ? await storeLeader(store.endpoints) : undefined;
      return {
        title: leader === undefined ? title : `${title}: the leader is ${leader}`,
        server,
        servers: [server],
        othersRole: 'store members',
        otherPids: store.pids ?? [],
        storeEndpoints: store.remote ? store.endpoints : undefined,
        // test/compat/helpers/cluster.ts serves a `navarch store` member's metrics on its client
        // port + 5000 when NAVARCH_COMPAT_METRICS=1 (set with BENCH_DEBUG).
        storeMetricsUrls:
          othersRunNode && store.remote && process.env.NAVARCH_COMPAT_METRICS === '1'
            ? store.endpoints.map((e) => {
                const url = new URL(e);
                return `http://${url.hostname}:${Number(url.port) + 5000}/metrics`;
              })
            : [],
        othersRunNode,
      };
    },
  };
}

/** Three `navarch server --initial-cluster` processes; the benchmark drives the leader's or a follower's. */
function serverCluster(drive: 'leader' | 'follower'): BenchBackend {
  return {
    name: `3 navarch servers (--initial-cluster), driving the ${drive}'s server`,
    start: async (nodeArgs, onStop) => {
      const cluster = await startServerCluster(3, { nodeArgs });
      onStop(() => cluster.stop());
      const leader = await cluster.leaderIndex();
      const driven = drive === 'leader' ? leader : (leader + 1) % cluster.servers.length;
      const name = (i: number) => `s${i + 1}`;
      return {
        title: `3 navarch servers (--initial-cluster): driving ${name(driven)}, the ${drive}'s server (leader ${name(leader)})`,
        server: cluster.servers[driven]!,
        servers: [cluster.servers[driven]!, ...cluster.servers.filter((_, i) => i !== driven)],
        othersRole: 'other servers',
        otherPids: cluster.servers.filter((_, i) => i !== driven).map((s) => s.pid),
        storeMetricsUrls: [],
        storeEndpoints: [cluster.storeEndpoints[driven]!],
        othersRunNode: true,
        afterwards: async () => {
          const now = await cluster.leaderIndex().catch(() => -1);
          return now === leader
            ? undefined
            : `the Raft leader moved during the run: now ${now < 0 ? 'none' : name(now)}`;
        },
      };
    },
  };
}

/** The backends BENCH_BACKEND names. */
export const backendsByName: Record<string, BenchBackend> = {
  embedded: serverOn(allBackends[1]!, 'embedded Navarch store (1 member, in the server process)'),
  store: serverOn(
    navarchStoreCluster,
    'Navarch store (3 `navarch store` members) behind --datastore-endpoint',
  ),
  cluster: serverCluster('leader'),
  'cluster-follower': serverCluster('follower'),
  etcd: serverOn(allBackends[0]!, 'etcd 3.4 (3 members) behind --datastore-endpoint', false),
};
