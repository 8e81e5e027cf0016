import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { runServer, type ServerFlags } from './server/run.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter((v) => v.trim() !== '')];
}

/** Adds `navarch server` (one control-plane member: store + API server) to the program. */
export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run a control-plane member: the Kubernetes-compatible API server over the store')
    .option(
      '--data-dir <dir>',
      'state directory (CA, tokens, store, admin.kubeconfig)',
      join(homedir(), '.navarch', 'server'),
    )
    .option('--listen <host:port>', 'HTTPS listen address (port 0 picks a free port)', '127.0.0.1:6443')
    .option(
      '--datastore-endpoint <urls>',
      'etcd v3 endpoints (a remote Navarch store or etcd), comma-separated',
    )
    .option('--tls-san <name>', 'extra DNS name or IP for the server certificate (repeatable)', collect, [])
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .option('--service-cluster-ip-range <cidr>', 'Service ClusterIP range', '10.96.0.0/12')
    .option('--service-node-port-range <range>', 'NodePort range', '30000-32767')
    .option('--watch-cache-size <events>', 'events kept per resource for resuming watches', '10000')
    .option(
      '--watcher-buffer-max-bytes <bytes>',
      'unsent bytes a slow watcher may hold before it is closed',
      String(16 * 1024 * 1024),
    )
    .option('--bookmark-interval-ms <ms>', 'interval of watch BOOKMARK events', '60000')
    .option(
      '--compaction-interval-ms <ms>',
      "compact the store's history to the revision of one interval ago (0: never)",
      '300000',
    )
    .option(
      '--store-client-url <url>',
      'embedded store: etcd v3 client URL (loopback; port 0 picks one)',
      'http://127.0.0.1:0',
    )
    .option(
      '--store-peer-url <url>',
      'embedded store: peer URL (part of the member identity; keep it stable)',
      'http://127.0.0.1:2380',
    )
    .option('--name <name>', "embedded store: this member's name in --initial-cluster", 'default')
    .option(
      '--initial-cluster <members>',
      'embedded store: the servers forming one cluster, name=peer-url,... (default: this server alone)',
    )
    .option(
      '--initial-cluster-token <token>',
      'embedded store: token kept distinct between clusters',
      'navarch-cluster',
    )
    .action(async (opts: ServerFlags) => {
      await runServer(opts);
    });
}
