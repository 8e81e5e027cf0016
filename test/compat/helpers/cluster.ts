/**
 * Starts a multi-member etcd-compatible cluster of real processes on free loopback ports: either a
 * real etcd 3.4 (/usr/bin/etcd) or Navarch's store (`node packages/navarch/dist/main.js store`), with
 * the same etcd flag names, so that one test suite can run against both. Every process is killed by
 * pid and every data dir removed by `stop()`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../helpers/ports.js';
import { removeTrackedDir, trackedTempDir, trackProcess } from '../../helpers/registry.js';

export { freePort };

/** Which implementation a cluster runs. */
export type ClusterKind = 'etcd' | 'navarch';

const repositoryRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** Path of the navarch binary the tests spawn (built by `tsc -b`). */
export const NAVARCH_MAIN = join(repositoryRoot, 'packages/navarch/dist/main.js');

/** One running member process. */
export interface MemberProcess {
  name: string;
  clientUrl: string;
  peerUrl: string;
  /** host:port for etcdctl --endpoints. */
  endpoint: string;
  dataDir: string;
  logFile: string;
  child: ChildProcess;
}

/** A running cluster. */
export interface Cluster {
  kind: ClusterKind;
  members: MemberProcess[];
  /** Comma-separated endpoints of all members for etcdctl. */
  endpoints(): string;
  /**
   * Starts a member that joins with --initial-cluster-state existing; the caller must have added it
   * (etcdctl member add) with `peerUrl` first.
   */
  startJoining(name: string, peerUrl: string, clientPort: number): Promise<MemberProcess>;
  /** Kills one member (SIGKILL) and waits for its exit. */
  kill(member: MemberProcess): Promise<void>;
  /** Kills every process and removes every data dir. */
  stop(): Promise<void>;
  /** The last lines of every member's log (for failure messages). */
  logs(): string;
}

function command(kind: ClusterKind): { file: string; prefix: string[] } {
  return kind === 'etcd'
    ? { file: '/usr/bin/etcd', prefix: [] }
    : {
        file: process.execPath,
        // Extra node flags for investigations, e.g. NAVARCH_COMPAT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p".
        prefix: [
          ...(process.env.NAVARCH_COMPAT_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
          NAVARCH_MAIN,
          'store',
        ],
      };
}

/**
 * Runs etcdctl (API v3) and returns stdout (stdout then stderr with `withStderr`: some commands,
 * like `endpoint health`, print their result on stderr); rejects with stderr on a non-zero exit.
 */
export function etcdctl(
  endpoints: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; withStderr?: boolean } = {},
): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = execFile(
      '/usr/bin/etcdctl',
      [`--endpoints=${endpoints}`, ...args],
      {
        env: { ...process.env, ETCDCTL_API: '3' },
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          const output = `${stdout.slice(-2000)}\n${stderr.slice(-2000)}`;
          reject(new Error(`etcdctl ${args.join(' ')} failed: ${error.message}\n${output}`));
        } else resolveRun(options.withStderr ? stdout + stderr : stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

async function waitHealthy(endpoint: string, member: MemberProcess, deadlineMs: number): Promise<void> {
  const started = performance.now();
  let lastError = '';
  while (performance.now() - started < deadlineMs) {
    if (member.child.exitCode !== null) {
      throw new Error(`${member.name} exited with ${member.child.exitCode}: ${tail(member.logFile)}`);
    }
    try {
      await etcdctl(endpoint, ['--command-timeout=2s', 'endpoint', 'health'], { timeoutMs: 5000 });
      return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`${member.name} did not become healthy: ${lastError}\n${tail(member.logFile)}`);
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Starts a `size`-member cluster of `kind` and waits until every member is healthy. */
export async function startCluster(kind: ClusterKind, size = 3): Promise<Cluster> {
  const root = trackedTempDir(`navarch-compat-${kind}-`);
  const token = `compat-${kind}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  const members: MemberProcess[] = [];
  const all: MemberProcess[] = [];
  const plan: Array<{ name: string; clientPort: number; peerPort: number }> = [];
  for (let i = 1; i <= size; i++)
    plan.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort() });
  const initialCluster = plan.map((p) => `${p.name}=http://127.0.0.1:${p.peerPort}`);

  const spawnMember = (
    name: string,
    clientPort: number,
    peerUrl: string,
    cluster: string[],
    state: 'new' | 'existing',
  ) => {
    const dataDir = join(root, name);
    const logFile = join(root, `${name}.log`);
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    const { file, prefix } = command(kind);
    const args = [
      ...prefix,
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${cluster.join(',')}`,
      `--initial-cluster-state=${state}`,
      `--initial-cluster-token=${token}`,
      // For investigations: metrics on the client port + 5000 (NAVARCH_COMPAT_METRICS=1).
      ...(process.env.NAVARCH_COMPAT_METRICS === '1' && kind === 'navarch'
        ? [`--listen-metrics-urls=http://127.0.0.1:${clientPort + 5000}`]
        : []),
    ];
    const log = openSync(logFile, 'a');
    const child = spawn(file, args, { stdio: ['ignore', log, log], env: { ...process.env } });
    closeSync(log);
    trackProcess(child, `${kind === 'etcd' ? 'etcd' : 'navarch store'} ${name}`);
    const member: MemberProcess = {
      name,
      clientUrl,
      peerUrl,
      endpoint: `127.0.0.1:${clientPort}`,
      dataDir,
      logFile,
      child,
    };
    all.push(member);
    return member;
  };

  const kill = async (member: MemberProcess) => {
    if (member.child.exitCode !== null || member.child.signalCode !== null) return;
    const exited = new Promise((done) => member.child.once('exit', done));
    member.child.kill('SIGKILL');
    await exited;
  };

  const cluster: Cluster = {
    kind,
    members,
    endpoints: () => members.map((m) => m.endpoint).join(','),
    startJoining: async (name, peerUrl, clientPort) => {
      const existing = members.map((m) => `${m.name}=${m.peerUrl}`);
      const member = spawnMember(name, clientPort, peerUrl, [...existing, `${name}=${peerUrl}`], 'existing');
      members.push(member);
      return member;
    },
    kill,
    stop: async () => {
      await Promise.all(all.map(kill));
      removeTrackedDir(root);
    },
    logs: () => all.map((m) => `--- ${m.name}\n${tail(m.logFile)}`).join('\n'),
  };

  try {
    for (const p of plan) {
      members.push(
        spawnMember(p.name, p.clientPort, `http://127.0.0.1:${p.peerPort}`, initialCluster, 'new'),
      );
    }
    for (const member of members) await waitHealthy(member.endpoint, member, 90_000);
  } catch (error) {
    const logs = cluster.logs();
    await cluster.stop();
    throw new Error(`${(error as Error).message}\nall member logs:\n${logs}`);
  }
  return cluster;
}

/** Waits until `check` resolves true, polling every `intervalMs`, or throws after `deadlineMs`. */
export async function eventually(
  check: () => Promise<boolean>,
  deadlineMs = 30_000,
  intervalMs = 200,
): Promise<void> {
  const started = performance.now();
  let lastError: unknown = null;
  while (performance.now() - started < deadlineMs) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((done) => setTimeout(done, intervalMs));
  }
  throw new Error(
    `condition not met within ${deadlineMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`,
  );
}
