import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createEtcdApplication } from '../api/application.js';
import { etcdGrpcServerOptions } from '../api/server.js';
import type { Consensus, MemberInfo } from '../consensus.js';
import { GrpcServer } from '../grpc/server.js';
import { StoreError, StoreErrorCode } from '../raftnode/errors.js';
import { RaftNode } from '../raftnode/raft-node.js';
import { readDataFormat, recordDataFormat } from '../storage/data-format.js';
import { RaftLogStorage, type StoreDatabase } from '../storage/raft-log.js';
import type { ClusterInfoResponse } from '../transport/peer-proto.js';
import { urlToTarget } from '../transport/peer-proto.js';
import { maxSnapshotBytesForQuota } from '../transport/peer-server.js';
import { fetchClusterInfo } from '../transport/peer-transport.js';
import type { StoreApplication, StoreApplicationFactory } from './application.js';
import { type ResolvedMemberConfig, resolveMemberConfig, type StoreMemberConfig } from './config.js';
import { type DataDirIdentity, Membership } from './membership.js';
import { memberIdHex, StoreMetrics } from './metrics.js';

/** Options of {@link startStoreMember}: etcd-style configuration plus how to build the application. */
export interface StoreMemberOptions extends StoreMemberConfig {
  /** Builds the replicated application (state machine + client services). Default: the etcd v3 API on MVCC. */
  application?: StoreApplicationFactory;
  /** pino logger; default: JSON to stderr at info. */
  logger?: Logger;
  /** Called if the member fails after start (disk error, corruption, removal); it has stopped. */
  onFatal?: (err: unknown) => void;
}

/** A running store member. */
export interface StoreMember {
  /** Client URLs actually bound (port 0 resolved). */
  clientUrls: string[];
  /** Peer URLs this member advertises. */
  peerUrls: string[];
  /** Metrics URLs actually bound. */
  metricsUrls: string[];
  memberId: number;
  clusterId: number;
  /** The consensus the client services run on. */
  consensus: Consensus;
  /** Resolves once a leader is known and this member has published itself to the cluster. */
  ready: Promise<void>;
  /** Stops serving and closes the database; idempotent. */
  stop(): Promise<void>;
  /** prom-client registry with every store metric (served on --listen-metrics-urls). */
  metrics: Registry;
}

function dirSizeBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) {
      try {
        total += statSync(join(dir, name)).size;
      } catch {
        // A file LevelDB just removed: skip it.
      }
    }
  } catch {
    return 0;
  }
  return total;
}

function configError(message: string): StoreError {
  return new StoreError(StoreErrorCode.InvalidConfig, message);
}

/** How long a joining member keeps asking its peers for a cluster that lists it. */
const JOIN_DISCOVERY_MS = 5000;
/** Pause between two rounds of asking. */
const JOIN_RETRY_MS = 250;

/**
 * Finds the cluster a joining member belongs to by asking the other members of --initial-cluster.
 * It does not watch for the member being stopped meanwhile: it runs before anything else starts,
 * for at most JOIN_DISCOVERY_MS plus one ClusterInfo deadline (3 s) per peer.
 */
async function discoverExistingCluster(
  config: ResolvedMemberConfig,
  logger: Logger,
): Promise<{ clusterId: number; memberId: number; members: MemberInfo[] }> {
  const others = config.initialCluster.filter((m) => m.name !== config.name).flatMap((m) => m.peerUrls);
  if (others.length === 0)
    throw configError(
      '--initial-cluster-state existing needs at least one other member in --initial-cluster',
    );
  const mine = [...config.initialAdvertisePeerUrls].sort().join(',');
  // `member add` returns once the member it was sent to applied the change; the others may not
  // have yet. So a peer that does not list this member, or cannot be reached, is not the final
  // word: the others are asked, and the round is repeated for a few seconds.
  const deadline = performance.now() + JOIN_DISCOVERY_MS;
  for (let round = 0; ; round++) {
    const errors: string[] = [];
    let notListedBy: string | undefined;
    for (const url of others) {
      let info: ClusterInfoResponse;
      try {
        info = await fetchClusterInfo(url, 3000);
      } catch (err) {
        errors.push(`${url}: ${(err as Error).message}`);
        continue;
      }
      const self = info.members.find((m) => [...m.peer_urls].sort().join(',') === mine);
      if (!self) {
        notListedBy ??= url;
        continue;
      }
      logger.info(
        { cluster: memberIdHex(info.cluster_id), member: memberIdHex(self.id), via: url },
        'joining existing cluster',
      );
      const members = info.members.map((m) => ({
        id: m.id,
        name: m.name,
        peerUrls: m.peer_urls,
        clientUrls: m.client_urls,
        isLearner: m.is_learner,
      }));
      return { clusterId: info.cluster_id, memberId: self.id, members };
    }
    if (round === 0 && notListedBy !== undefined)
      logger.info(
        { via: notListedBy, peerUrls: mine },
        'no peer lists this member yet (member add not applied there?): asking again',
      );
    if (performance.now() >= deadline) {
      if (notListedBy !== undefined)
        throw configError(
          `member with peer URLs ${mine} is not in the cluster that ${notListedBy} belongs to; add it first (etcdctl member add)`,
        );
      throw configError(`cannot reach any member of the existing cluster (${errors.join('; ')})`);
    }
    await new Promise((resolve) => setTimeout(resolve, JOIN_RETRY_MS));
  }
}

/**
 * Starts one store member: validates the configuration (nothing is written if it is wrong),
 * opens or creates the data dir (refusing one that belongs to another cluster or member),
 * builds the application on the member's LevelDB, starts the Raft driver and peer transport,
 * then serves the client gRPC services and /metrics.
 */
export async function startStoreMember(options: StoreMemberOptions): Promise<StoreMember> {
  const config = resolveMemberConfig(options);
  const logger = (options.logger ?? pino({ level: 'info' }, pino.destination(2))).child({
    component: 'store',
    name: config.name,
  });
  const memberDir = join(config.dataDir, 'member');
  const dbPath = join(memberDir, 'db');
  // The data format before anything else: a data dir written by a newer release is refused
  // before the database is opened (opening it writes), so the refusal changes nothing.
  const dataFormat = await readDataFormat(memberDir);
  const existed = existsSync(join(dbPath, 'CURRENT'));

  // Identity first, before creating or changing anything.
  let identity: DataDirIdentity | undefined;
  let db: StoreDatabase | undefined;
  if (existed) {
    db = new ClassicLevel<string, Uint8Array>(dbPath, { valueEncoding: 'view' });
    try {
      await db.open();
    } catch (err) {
      throw configError(
        `cannot open data dir ${config.dataDir}: ${(err as Error).message} (is another member using it?)`,
      );
    }
    identity = await Membership.readIdentity(db);
    if (identity) {
      const mismatch =
        identity.memberId !== config.memberId && config.initialClusterState === 'new'
          ? `member ${memberIdHex(identity.memberId)} (${identity.name})`
          : identity.clusterId !== config.clusterId &&
              config.initialClusterState === 'new' &&
              !config.forceNewCluster
            ? `cluster ${memberIdHex(identity.clusterId)}`
            : undefined;
      if (mismatch !== undefined || identity.name !== config.name) {
        await db.close();
        throw new StoreError(
          StoreErrorCode.DataDirMismatch,
          `data dir ${config.dataDir} belongs to ${mismatch ?? `member "${identity.name}"`} of cluster ${memberIdHex(identity.clusterId)}, ` +
            `but the flags describe member ${memberIdHex(config.memberId)} ("${config.name}") of cluster ${memberIdHex(config.clusterId)}; refusing to start`,
        );
      }
    }
  }
  if (!identity && config.forceNewCluster) {
    await db?.close();
    throw configError(
      `--force-new-cluster needs an existing data dir; ${config.dataDir} holds no member data`,
    );
  }

  let memberId = identity?.memberId ?? config.memberId;
  let clusterId = identity?.clusterId ?? config.clusterId;
  let existingMembers: MemberInfo[] = [];
  if (!identity && config.initialClusterState === 'existing') {
    try {
      ({ clusterId, memberId, members: existingMembers } = await discoverExistingCluster(config, logger));
    } catch (err) {
      await db?.close();
      throw err;
    }
  }

  if (!db) {
    mkdirSync(memberDir, { recursive: true, mode: 0o700 });
    // Recorded before the database exists, so that no data is ever there without it.
    await recordDataFormat(dataFormat, undefined, logger);
    db = new ClassicLevel<string, Uint8Array>(dbPath, { valueEncoding: 'view' });
    await db.open();
  }
  const database = db;
  const metrics = new StoreMetrics();
  let application: StoreApplication | undefined;
  let node: RaftNode | undefined;
  let clientServer: GrpcServer | undefined;
  const httpServers: HttpServer[] = [];
  let sizeTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (sizeTimer) clearInterval(sizeTimer);
      for (const server of httpServers) server.close();
      // GOAWAY, 500 ms for calls in flight, then the connections (and watch streams) are cut.
      await clientServer?.shutdown(500);
      await node?.stop();
      await application
        ?.close()
        .catch((err: unknown) => logger.warn({ err }, 'closing the application failed'));
      await application?.stateMachine.flush().catch(() => 0);
      await database.close().catch(() => undefined);
    })();
    return stopping;
  };

  try {
    // Every check passed: an existing dir gets this binary's format before its first write.
    if (existed) await recordDataFormat(dataFormat, database, logger);
    const membership = await Membership.open(database);
    const bootstrapNew = !identity && config.initialClusterState === 'new';
    if (bootstrapNew) {
      membership.seed(
        config.initialCluster.map((m) => ({
          id: m.id,
          name: m.name,
          peerUrls: m.peerUrls,
          clientUrls: [],
          isLearner: false,
        })),
      );
      await membership.persist();
    } else if (!identity) {
      // A joining member must know its peers to answer the leader before the log tells it.
      membership.seed(existingMembers);
      await membership.persist();
    }
    const storage = await RaftLogStorage.open(
      database,
      bootstrapNew
        ? { voters: config.initialCluster.map((m) => m.id).sort((a, b) => a - b), learners: [] }
        : undefined,
    );
    if (!identity) {
      // Written last, synced: a data dir without it is treated as new on the next start.
      await Membership.writeIdentity(database, { clusterId, memberId, name: config.name });
    }
    if (config.forceNewCluster) {
      const removed = await storage.forceNewCluster(memberId);
      logger.warn(
        { removed: removed.map(memberIdHex) },
        'forcing a new one-member cluster from this data dir',
      );
    }

    application = await (options.application ?? createEtcdApplication)({
      db: database,
      memberId,
      clusterId,
      metrics,
      logger,
      quotaBackendBytes: config.quotaBackendBytes,
      maxRequestBytes: config.maxRequestBytes,
      electionTimeoutMs: config.electionTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
    });
    const app = application;
    node = new RaftNode({
      memberId,
      clusterId,
      clusterToken: config.initialClusterToken,
      storage,
      membership,
      stateMachine: app.stateMachine,
      metrics,
      logger,
      listenPeerUrls: config.listenPeerUrls,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      electionTimeoutMs: config.electionTimeoutMs,
      snapshotCount: config.snapshotCount,
      maxRequestBytes: config.maxRequestBytes,
      // A snapshot holds the backend, which the quota bounds: a larger one is refused.
      maxSnapshotBytes: maxSnapshotBytesForQuota(config.quotaBackendBytes),
      onFatal: (err) => {
        void stop().finally(() => options.onFatal?.(err));
      },
      onRemoved: () => {
        void stop().finally(() =>
          options.onFatal?.(
            new StoreError(StoreErrorCode.Removed, 'this member was removed from the cluster'),
          ),
        );
      },
    });
    const raft = node;
    await raft.start();

    clientServer = new GrpcServer(etcdGrpcServerOptions({ maxRequestBytes: config.maxRequestBytes }, logger));
    app.addServices(clientServer, raft);
    const server = clientServer;
    const clientUrls: string[] = [];
    for (const url of config.listenClientUrls) {
      urlToTarget(url); // validates the URL (http, a port, no path)
      const parsed = new URL(url);
      const port = await server.listen(parsed.hostname.replace(/^\[|\]$/g, ''), Number(parsed.port));
      parsed.port = String(port);
      clientUrls.push(parsed.origin);
    }
    // Advertise what was bound when the flags asked for a free port.
    const advertised = config.advertiseClientUrls.map((url, i) => {
      const parsed = new URL(url);
      return parsed.port === '0' || url.match(/:0\/?$/) ? (clientUrls[i] ?? url) : parsed.origin;
    });

    const metricsUrls: string[] = [];
    for (const url of config.listenMetricsUrls) {
      const http = createServer((req, res) => {
        if (req.url === '/metrics') {
          metrics.registry.metrics().then(
            (text) => {
              res.writeHead(200, { 'content-type': metrics.registry.contentType });
              res.end(text);
            },
            (err: unknown) => {
              res.writeHead(500);
              res.end(String(err));
            },
          );
        } else if (req.url === '/health') {
          const status = raft.status();
          const healthy = status.leaderId !== 0;
          res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ health: String(healthy), reason: healthy ? '' : 'RAFT NO LEADER' }));
        } else {
          res.writeHead(404);
          res.end();
        }
      });
      const parsed = new URL(url);
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(Number(parsed.port), parsed.hostname.replace(/^\[|\]$/g, ''), () => resolve());
      });
      const address = http.address();
      if (address && typeof address === 'object') parsed.port = String(address.port);
      metricsUrls.push(parsed.origin);
      httpServers.push(http);
    }

    const updateSize = (): void => {
      metrics.dbTotalSizeInBytes.set(dirSizeBytes(dbPath));
    };
    updateSize();
    sizeTimer = setInterval(updateSize, 5000);
    sizeTimer.unref();

    // Publish name and client URLs (etcd's member attributes) until they are visible locally.
    const published = (): boolean => {
      const self = membership.get(memberId);
      return !!self && self.name === config.name && self.clientUrls.join(',') === advertised.join(',');
    };
    const ready = (async () => {
      while (!stopping) {
        if (published()) {
          if (raft.status().leaderId !== 0) return;
        } else {
          try {
            await raft.publishAttributes(config.name, advertised);
            // Give the entry an election timeout to be applied before proposing it again.
            const deadline = Date.now() + config.electionTimeoutMs;
            do {
              await new Promise((resolve) => setTimeout(resolve, config.heartbeatIntervalMs));
            } while (!stopping && Date.now() < deadline && !published());
            continue;
          } catch {
            // No leader yet; retry below.
          }
        }
        await new Promise((resolve) => setTimeout(resolve, config.heartbeatIntervalMs));
      }
      throw new StoreError(StoreErrorCode.Stopped, 'store member stopped before it was ready');
    })();
    ready.catch(() => undefined);

    logger.info(
      {
        member: memberIdHex(memberId),
        cluster: memberIdHex(clusterId),
        clientUrls,
        peerUrls: config.initialAdvertisePeerUrls,
      },
      'store member started',
    );
    return {
      clientUrls,
      peerUrls: config.initialAdvertisePeerUrls,
      metricsUrls,
      memberId,
      clusterId,
      consensus: raft,
      ready,
      stop,
      metrics: metrics.registry,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
