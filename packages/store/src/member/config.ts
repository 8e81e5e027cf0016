import { StoreError, StoreErrorCode } from '../raftnode/errors.js';
import { computeClusterId, computeMemberId } from './membership.js';

/**
 * Configuration of one store member, named after etcd's flags (`--heartbeat-interval` becomes
 * `heartbeatIntervalMs`). {@link resolveMemberConfig} fills defaults like etcd does and rejects
 * anything inconsistent before a single byte is written.
 */
export interface StoreMemberConfig {
  /** --name. Default "default". */
  name?: string;
  /** --data-dir. Default "<name>.etcd". */
  dataDir?: string;
  /** --listen-client-urls (gRPC; port 0 picks a free port). Default http://localhost:2379. */
  listenClientUrls?: string[];
  /** --advertise-client-urls. Default: the listen client URLs. */
  advertiseClientUrls?: string[];
  /** --listen-peer-urls. Default http://localhost:2380. */
  listenPeerUrls?: string[];
  /** --initial-advertise-peer-urls. Default: the listen peer URLs. */
  initialAdvertisePeerUrls?: string[];
  /** --initial-cluster "name=url,name=url". Default "<name>=<initial advertise peer urls>". */
  initialCluster?: string;
  /** --initial-cluster-state. Default "new". */
  initialClusterState?: 'new' | 'existing';
  /** --initial-cluster-token. Default "etcd-cluster". */
  initialClusterToken?: string;
  /** --heartbeat-interval in ms. Default 100. */
  heartbeatIntervalMs?: number;
  /** --election-timeout in ms. Default 1000. */
  electionTimeoutMs?: number;
  /** --snapshot-count: applied entries between log compactions. Default 10000. */
  snapshotCount?: number;
  /** --quota-backend-bytes. Default 2 GiB. */
  quotaBackendBytes?: number;
  /** --listen-metrics-urls (HTTP /metrics and /health). Default none. */
  listenMetricsUrls?: string[];
  /** --force-new-cluster: restart as a one-member cluster from this data dir (quorum-loss recovery). */
  forceNewCluster?: boolean;
  /** --max-request-bytes. Default 1.5 MiB. */
  maxRequestBytes?: number;
}

/** One member of --initial-cluster. */
export interface InitialMember {
  name: string;
  peerUrls: string[];
  id: number;
}

/** A validated, complete configuration. */
export interface ResolvedMemberConfig {
  name: string;
  dataDir: string;
  listenClientUrls: string[];
  advertiseClientUrls: string[];
  listenPeerUrls: string[];
  initialAdvertisePeerUrls: string[];
  initialCluster: InitialMember[];
  initialClusterState: 'new' | 'existing';
  initialClusterToken: string;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  snapshotCount: number;
  quotaBackendBytes: number;
  listenMetricsUrls: string[];
  forceNewCluster: boolean;
  maxRequestBytes: number;
  /** This member's id as derived from its peer URLs and the cluster token. */
  memberId: number;
  /** The cluster id of a NEW cluster described by --initial-cluster (existing: learned from peers). */
  clusterId: number;
}

function invalid(message: string): StoreError {
  return new StoreError(StoreErrorCode.InvalidConfig, message);
}

/** Checks one URL the way etcd does for client/peer URLs: http, a host, a port, no path. */
export function checkUrl(flag: string, url: string, allowPortZero: boolean): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(`--${flag}: "${url}" is not a valid URL`);
  }
  if (parsed.protocol === 'https:')
    throw invalid(`--${flag}: "${url}": TLS (https) is not supported by navarch store yet`);
  if (parsed.protocol !== 'http:') throw invalid(`--${flag}: "${url}": scheme must be http`);
  if (parsed.hostname === '') throw invalid(`--${flag}: "${url}" has no host`);
  if (parsed.port === '' && !url.match(/:\d+\/?$/)) throw invalid(`--${flag}: "${url}" has no port`);
  if (parsed.port === '0' || url.match(/:0\/?$/)) {
    if (!allowPortZero) throw invalid(`--${flag}: "${url}": port 0 is not allowed here`);
  }
  if (parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '')
    throw invalid(`--${flag}: "${url}" must not have a path, query or fragment`);
  return url.replace(/\/$/, '');
}

function checkUrls(flag: string, urls: string[], allowPortZero: boolean): string[] {
  if (urls.length === 0) throw invalid(`--${flag} must not be empty`);
  return urls.map((url) => checkUrl(flag, url, allowPortZero));
}

function positiveInteger(flag: string, value: number, min = 1): number {
  if (!Number.isSafeInteger(value) || value < min)
    throw invalid(`--${flag} must be an integer >= ${min}, got ${value}`);
  return value;
}

/** Parses etcd's --initial-cluster syntax ("a=http://h:1,a=http://h:2,b=http://h:3"). */
export function parseInitialCluster(value: string, token: string): InitialMember[] {
  const byName = new Map<string, string[]>();
  for (const part of value.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw invalid(`--initial-cluster: "${trimmed}" is not name=url`);
    const name = trimmed.slice(0, eq);
    const url = checkUrl('initial-cluster', trimmed.slice(eq + 1), false);
    byName.set(name, [...(byName.get(name) ?? []), url]);
  }
  if (byName.size === 0) throw invalid('--initial-cluster must name at least one member');
  const seen = new Map<string, string>();
  const members: InitialMember[] = [];
  for (const [name, peerUrls] of byName) {
    for (const url of peerUrls) {
      const other = seen.get(url);
      if (other !== undefined)
        throw invalid(`--initial-cluster: peer URL ${url} is given to both ${other} and ${name}`);
      seen.set(url, name);
    }
    members.push({ name, peerUrls, id: computeMemberId(peerUrls, token) });
  }
  return members;
}

/** Fills defaults and validates; throws NAVARCH_ERR_STORE_INVALID_CONFIG with one clear sentence. */
export function resolveMemberConfig(config: StoreMemberConfig): ResolvedMemberConfig {
  const name = config.name ?? 'default';
  if (name === '' || /[=,\s]/.test(name))
    throw invalid(`--name "${name}" must be non-empty without '=', ',' or spaces`);
  const listenClientUrls = checkUrls(
    'listen-client-urls',
    config.listenClientUrls ?? ['http://localhost:2379'],
    true,
  );
  const advertiseClientUrls = checkUrls(
    'advertise-client-urls',
    config.advertiseClientUrls ?? listenClientUrls,
    true,
  );
  const listenPeerUrls = checkUrls(
    'listen-peer-urls',
    config.listenPeerUrls ?? ['http://localhost:2380'],
    false,
  );
  const initialAdvertisePeerUrls = checkUrls(
    'initial-advertise-peer-urls',
    config.initialAdvertisePeerUrls ?? listenPeerUrls,
    false,
  );
  const initialClusterState = config.initialClusterState ?? 'new';
  if (initialClusterState !== 'new' && initialClusterState !== 'existing')
    throw invalid(
      `--initial-cluster-state must be "new" or "existing", got "${String(initialClusterState)}"`,
    );
  const initialClusterToken = config.initialClusterToken ?? 'etcd-cluster';
  const initialCluster = parseInitialCluster(
    config.initialCluster ?? initialAdvertisePeerUrls.map((url) => `${name}=${url}`).join(','),
    initialClusterToken,
  );
  const self = initialCluster.find((m) => m.name === name);
  if (!self) throw invalid(`--initial-cluster has no member named "${name}" (--name)`);
  const advertised = [...initialAdvertisePeerUrls].sort().join(',');
  if ([...self.peerUrls].sort().join(',') !== advertised)
    throw invalid(
      `--initial-cluster gives ${name} the peer URLs ${self.peerUrls.join(',')} but --initial-advertise-peer-urls is ${initialAdvertisePeerUrls.join(',')}`,
    );
  const heartbeatIntervalMs = positiveInteger('heartbeat-interval', config.heartbeatIntervalMs ?? 100);
  const electionTimeoutMs = positiveInteger('election-timeout', config.electionTimeoutMs ?? 1000);
  if (electionTimeoutMs < 5 * heartbeatIntervalMs)
    throw invalid(
      `--election-timeout (${electionTimeoutMs} ms) must be at least 5 times --heartbeat-interval (${heartbeatIntervalMs} ms)`,
    );
  if (electionTimeoutMs > 50_000)
    throw invalid(`--election-timeout (${electionTimeoutMs} ms) must be at most 50000 ms`);
  const snapshotCount = positiveInteger('snapshot-count', config.snapshotCount ?? 10_000);
  const quotaBackendBytes = positiveInteger('quota-backend-bytes', config.quotaBackendBytes ?? 2 * 1024 ** 3);
  const maxRequestBytes = positiveInteger('max-request-bytes', config.maxRequestBytes ?? 1.5 * 1024 * 1024);
  const listenMetricsUrls = (config.listenMetricsUrls ?? []).map((url) =>
    checkUrl('listen-metrics-urls', url, true),
  );
  return {
    name,
    dataDir: config.dataDir ?? `${name}.etcd`,
    listenClientUrls,
    advertiseClientUrls,
    listenPeerUrls,
    initialAdvertisePeerUrls,
    initialCluster,
    initialClusterState,
    initialClusterToken,
    heartbeatIntervalMs,
    electionTimeoutMs,
    snapshotCount,
    quotaBackendBytes,
    listenMetricsUrls,
    forceNewCluster: config.forceNewCluster ?? false,
    maxRequestBytes,
    memberId: self.id,
    clusterId: computeClusterId(initialCluster.map((m) => m.id)),
  };
}
