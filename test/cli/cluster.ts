/**
 * Starts a real control plane for navctl tests: an etcd on free loopback ports and
 * `navarch server` (from packages/navarch/dist) over it. Everything is stopped by pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { removeTrackedDir, trackedTempDir, trackProcess } from '../helpers/registry.js';
import { repoRoot } from './helpers.js';

export { freePort };

/** Resolves when `child` prints a line matching `pattern` (stdout or stderr); rejects if it exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (pattern.test(line)) {
          cleanup();
          resolve(line);
          return;
        }
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`${what} exited (code ${code}) before it was ready`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what} was not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** A running etcd + navarch server. */
export interface TestCluster {
  url: string;
  kubeconfig: string;
  dataDir: string;
  stop: () => Promise<void>;
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.pid === undefined) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    process.kill(child.pid, 'SIGTERM');
    setTimeout(() => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, 5000).unref();
  });
}

/** Starts etcd and `navarch server`; call `stop()` in afterAll. */
export async function startCluster(): Promise<TestCluster> {
  const main = join(repoRoot, 'packages/navarch/dist/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npx tsc -b\` first (npm test does)`);
  const dataDir = trackedTempDir('navctl-cluster-');
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${clientPort}`;
  const etcd = spawn(
    '/usr/bin/etcd',
    [
      '--data-dir',
      join(dataDir, 'etcd'),
      '--listen-client-urls',
      etcdUrl,
      '--advertise-client-urls',
      etcdUrl,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${peerPort}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  trackProcess(etcd, 'etcd');
  const processes: ChildProcess[] = [etcd];
  const stop = async () => {
    for (const p of processes.reverse()) await kill(p);
    removeTrackedDir(dataDir);
  };
  try {
    await waitForLine(etcd, /ready to serve client requests/, 'etcd', 60_000);
    const server = spawn(
      process.execPath,
      [
        main,
        'server',
        '--data-dir',
        join(dataDir, 'server'),
        '--listen',
        '127.0.0.1:0',
        '--datastore-endpoint',
        etcdUrl,
        '--log-level',
        'info',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    trackProcess(server, 'navarch server');
    processes.push(server);
    const line = await waitForLine(server, /navarch server ready/, 'navarch server', 120_000);
    const ready = JSON.parse(line) as { url: string; kubeconfig: string };
    // Keep draining output so a chatty server never blocks on a full pipe.
    server.stdout?.resume();
    server.stderr?.resume();
    etcd.stdout?.resume();
    etcd.stderr?.resume();
    return { url: ready.url, kubeconfig: ready.kubeconfig, dataDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
