/**
 * `navarch server`: initialises the data dir on first start (CA, server certificate, admin
 * token, admin kubeconfig), connects the datastore and runs the API server until SIGINT or
 * SIGTERM. Components start in order, each with start(signal) and a ready promise.
 */
import { mkdir } from 'node:fs/promises';
import {
  ApiServer,
  DEFAULT_API_SERVER_LIMITS,
  defaultSans,
  ensurePki,
  ensureTokens,
  TokenAuthenticator,
  writeAdminKubeconfig,
} from '@navarch/apiserver';
import { checkEmbeddedStoreFlags, openDatastore } from './datastore.js';
import { createLogger } from './log.js';

/** Parsed flags of `navarch server`. */
export interface ServerFlags {
  dataDir: string;
  listen: string;
  datastoreEndpoint?: string;
  tlsSan: string[];
  logLevel: string;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  watchCacheSize: string;
  watcherBufferMaxBytes: string;
  bookmarkIntervalMs: string;
  compactionIntervalMs: string;
  storeClientUrl: string;
  storePeerUrl: string;
  name: string;
  initialCluster?: string;
  initialClusterToken: string;
}

function parseListen(listen: string): { host: string; port: number } {
  const idx = listen.lastIndexOf(':');
  if (idx <= 0) throw new Error(`--listen must be HOST:PORT, got "${listen}"`);
  const host = listen.slice(0, idx).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(idx + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid port in --listen "${listen}"`);
  return { host, port };
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return n;
}

function nonNegativeInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

/** Runs the server in the foreground until a signal stops it. */
export async function runServer(flags: ServerFlags): Promise<void> {
  const log = createLogger(flags.logLevel);
  const { host, port } = parseListen(flags.listen);
  const embedded = {
    dataDir: flags.dataDir,
    storeClientUrl: flags.storeClientUrl,
    storePeerUrl: flags.storePeerUrl,
    name: flags.name,
    initialCluster: flags.initialCluster ?? `${flags.name}=${flags.storePeerUrl}`,
    initialClusterToken: flags.initialClusterToken,
  };
  if (!flags.datastoreEndpoint) checkEmbeddedStoreFlags(embedded);
  await mkdir(flags.dataDir, { recursive: true, mode: 0o700 });
  const sans = defaultSans([...flags.tlsSan, ...(host !== '0.0.0.0' && host !== '::' ? [host] : [])]);
  const pki = await ensurePki(flags.dataDir, sans);
  const tokens = await ensureTokens(flags.dataDir);
  const admin = tokens.find((t) => t.user === 'admin') ?? tokens[0];
  if (!admin) throw new Error(`no token in ${flags.dataDir}/tokens.json`);

  const controller = new AbortController();
  const stop = (signal: string) => {
    if (controller.signal.aborted) return;
    log.info({ component: 'server', signal }, 'stopping');
    controller.abort();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));

  const datastore = await openDatastore({
    endpoint: flags.datastoreEndpoint,
    log: log.child({ component: 'datastore' }),
    ...embedded,
    signal: controller.signal,
  });
  log.info({ component: 'server', datastore: datastore.description }, 'datastore connected');
  if (controller.signal.aborted) {
    await datastore.close();
    return;
  }

  const server = new ApiServer({
    kv: datastore.kv,
    log: log.child({ component: 'apiserver' }),
    host,
    port,
    tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem },
    authenticator: new TokenAuthenticator(tokens),
    serviceClusterIpRange: flags.serviceClusterIpRange,
    serviceNodePortRange: flags.serviceNodePortRange,
    watchCacheSize: positiveInt('--watch-cache-size', flags.watchCacheSize),
    watcherBufferMaxBytes: positiveInt('--watcher-buffer-max-bytes', flags.watcherBufferMaxBytes),
    maxRequestBodyBytes: DEFAULT_API_SERVER_LIMITS.maxRequestBodyBytes,
    bookmarkIntervalMs: positiveInt('--bookmark-interval-ms', flags.bookmarkIntervalMs),
    compactionIntervalMs: nonNegativeInt('--compaction-interval-ms', flags.compactionIntervalMs),
    maxWatchTimeoutMs: DEFAULT_API_SERVER_LIMITS.maxWatchTimeoutMs,
    namespaceSyncIntervalMs: DEFAULT_API_SERVER_LIMITS.namespaceSyncIntervalMs,
    extraMetrics: datastore.metrics ? [datastore.metrics] : [],
  });
  try {
    await server.start(controller.signal);
    await server.ready;
  } catch (err) {
    await server.stop();
    await datastore.close();
    if (controller.signal.aborted) return;
    throw err;
  }
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `https://${urlHost}:${server.port}`;
  const kubeconfig = await writeAdminKubeconfig(flags.dataDir, url, pki.caCertPem, admin.token);
  log.info({ component: 'server', url, kubeconfig }, 'navarch server ready');
  process.stdout.isTTY &&
    process.stdout.write(`\nAdmin kubeconfig: ${kubeconfig}\n  export KUBECONFIG=${kubeconfig}\n\n`);

  await new Promise<void>((resolve) =>
    controller.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  await server.stop();
  await datastore.close();
  log.info({ component: 'server' }, 'stopped');
}
