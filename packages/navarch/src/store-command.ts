import * as store from '@navarch/store';
import { StoreError, StoreErrorCode, type StoreMemberConfig } from '@navarch/store';
import { type Command, type CommanderError, InvalidArgumentError } from 'commander';
import pino from 'pino';

/** Exit code for bad flags or a data dir that does not belong to these flags (nothing was written). */
const EXIT_USAGE = 2;

function integerFlag(flag: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value))
      throw new InvalidArgumentError(`--${flag} takes a non-negative integer, got "${value}"`);
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`--${flag} value ${value} is too large`);
    return n;
  };
}

function urlList(value: string): string[] {
  return value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}

interface StoreFlags {
  name: string;
  dataDir?: string;
  listenClientUrls: string[];
  advertiseClientUrls?: string[];
  listenPeerUrls: string[];
  initialAdvertisePeerUrls?: string[];
  initialCluster?: string;
  initialClusterState: string;
  initialClusterToken: string;
  heartbeatInterval: number;
  electionTimeout: number;
  snapshotCount: number;
  quotaBackendBytes: number;
  maxRequestBytes: number;
  listenMetricsUrls?: string[];
  forceNewCluster: boolean;
  logLevel: string;
}

/** Maps flags to the member configuration (validation happens in resolveMemberConfig). */
export function storeFlagsToConfig(flags: StoreFlags): StoreMemberConfig {
  const config: StoreMemberConfig = {
    name: flags.name,
    listenClientUrls: flags.listenClientUrls,
    listenPeerUrls: flags.listenPeerUrls,
    initialClusterState: flags.initialClusterState as 'new' | 'existing',
    initialClusterToken: flags.initialClusterToken,
    heartbeatIntervalMs: flags.heartbeatInterval,
    electionTimeoutMs: flags.electionTimeout,
    snapshotCount: flags.snapshotCount,
    quotaBackendBytes: flags.quotaBackendBytes,
    maxRequestBytes: flags.maxRequestBytes,
    forceNewCluster: flags.forceNewCluster,
  };
  if (flags.dataDir !== undefined) config.dataDir = flags.dataDir;
  if (flags.advertiseClientUrls !== undefined) config.advertiseClientUrls = flags.advertiseClientUrls;
  if (flags.initialAdvertisePeerUrls !== undefined)
    config.initialAdvertisePeerUrls = flags.initialAdvertisePeerUrls;
  if (flags.initialCluster !== undefined) config.initialCluster = flags.initialCluster;
  if (flags.listenMetricsUrls !== undefined) config.listenMetricsUrls = flags.listenMetricsUrls;
  return config;
}

function usageError(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(EXIT_USAGE);
}

/**
 * Adds `navarch store`: one store member, with etcd's flag names and defaults. A bad flag or a
 * data dir from another cluster prints one error line and exits 2 having written nothing; SIGINT
 * and SIGTERM stop the member cleanly.
 */
export function registerStoreCommand(program: Command): void {
  program
    .command('store')
    .description(
      'run one member of the Navarch store (an etcd v3 compatible, Raft-replicated key-value store)',
    )
    .option('--name <name>', 'human-readable name for this member', 'default')
    .option('--data-dir <path>', 'path to the data directory (default "<name>.etcd")')
    .option('--listen-client-urls <urls>', 'URLs to listen on for client traffic', urlList, [
      'http://localhost:2379',
    ])
    .option('--advertise-client-urls <urls>', 'client URLs to advertise to the cluster', urlList)
    .option('--listen-peer-urls <urls>', 'URLs to listen on for peer traffic', urlList, [
      'http://localhost:2380',
    ])
    .option('--initial-advertise-peer-urls <urls>', "this member's peer URLs to advertise", urlList)
    .option('--initial-cluster <members>', 'initial cluster configuration for bootstrapping (name=url,...)')
    .option('--initial-cluster-state <state>', 'new (all members start together) or existing (join)', 'new')
    .option(
      '--initial-cluster-token <token>',
      'initial cluster token, kept distinct between clusters',
      'etcd-cluster',
    )
    .option(
      '--heartbeat-interval <ms>',
      'time (in milliseconds) of a heartbeat interval',
      integerFlag('heartbeat-interval'),
      100,
    )
    .option(
      '--election-timeout <ms>',
      'time (in milliseconds) for an election to timeout',
      integerFlag('election-timeout'),
      1000,
    )
    .option(
      '--snapshot-count <n>',
      'number of committed transactions to trigger a snapshot',
      integerFlag('snapshot-count'),
      10_000,
    )
    .option(
      '--quota-backend-bytes <n>',
      'raise the NOSPACE alarm when the backend exceeds this size',
      integerFlag('quota-backend-bytes'),
      2 * 1024 ** 3,
    )
    .option(
      '--max-request-bytes <n>',
      'maximum client request size in bytes',
      integerFlag('max-request-bytes'),
      1.5 * 1024 * 1024,
    )
    .option('--listen-metrics-urls <urls>', 'URLs to serve /metrics and /health on', urlList)
    .option('--force-new-cluster', 'force to create a new one member cluster (quorum-loss recovery)', false)
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .showHelpAfterError(false)
    .exitOverride((err: CommanderError) => {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.help' ||
        err.code === 'commander.version'
      )
        process.exit(0);
      process.exit(EXIT_USAGE);
    })
    .action(async (flags: StoreFlags) => {
      if (!['debug', 'info', 'warn', 'error'].includes(flags.logLevel))
        usageError(`--log-level must be debug, info, warn or error, got "${flags.logLevel}"`);
      const config = storeFlagsToConfig(flags);
      try {
        store.resolveMemberConfig(config);
      } catch (err) {
        usageError((err as Error).message);
      }
      const logger = pino({ level: flags.logLevel, base: { component: 'store' } }, pino.destination(2));
      let member: store.StoreMember;
      try {
        member = await store.startStoreMember({
          ...config,
          logger,
          onFatal: (err) => {
            logger.fatal({ err }, 'store member failed');
            process.exit(1);
          },
        });
      } catch (err) {
        if (
          err instanceof StoreError &&
          (err.code === StoreErrorCode.InvalidConfig || err.code === StoreErrorCode.DataDirMismatch)
        ) {
          usageError(err.message);
        }
        // A data dir in a format this binary does not read: refused before anything was written.
        if (err instanceof store.DataFormatError) usageError(err.message);
        throw err;
      }
      let stopping = false;
      const shutdown = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping store member');
        member.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      await member.ready;
      logger.info({ clientUrls: member.clientUrls }, 'ready to serve client requests');
    });
}
