/**
 * Real `navarch store` processes on loopback for the durability and fault suites: free ports,
 * restart from the same data dir, kill -9 / SIGSTOP / SIGCONT by pid, and member isolation with
 * iptables rules that carry a unique comment and are always removed.
 *
 * Each member runs under its own uid (61000 + index) so that an iptables `owner` match can cut a
 * member's outgoing peer traffic as well as its incoming one (all members share 127.0.0.1).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../helpers/ports.js';
import { removeTrackedDir, trackedTempDir, trackProcess } from '../../helpers/registry.js';

export { freePort };

const repositoryRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** The binary under test (built by `tsc -b`). */
export const NAVARCH_MAIN = join(repositoryRoot, 'packages/navarch/dist/main.js');

/** Polls `condition` until true or `timeoutMs` elapses. */
export async function waitFor(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One member's fixed addresses and files. */
export interface StoreMemberSlot {
  index: number;
  name: string;
  uid: number;
  clientPort: number;
  peerPort: number;
  metricsPort: number;
  clientUrl: string;
  dataDir: string;
  logFile: string;
  child?: ChildProcess;
  exited?: Promise<void>;
}

/** Options of {@link StoreCluster.create}. */
export interface StoreClusterOptions {
  size?: number;
  heartbeatIntervalMs?: number;
  electionTimeoutMs?: number;
  snapshotCount?: number;
}

/** A cluster of real store processes. Call {@link StoreCluster.destroy} in finally/afterAll. */
export class StoreCluster {
  readonly slots: StoreMemberSlot[];
  private readonly base: string;
  private readonly options: Required<StoreClusterOptions>;
  private readonly ruleComments = new Set<string>();

  private constructor(base: string, slots: StoreMemberSlot[], options: Required<StoreClusterOptions>) {
    this.base = base;
    this.slots = slots;
    this.options = options;
  }

  static async create(options: StoreClusterOptions = {}): Promise<StoreCluster> {
    const resolved: Required<StoreClusterOptions> = {
      size: options.size ?? 3,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 50,
      electionTimeoutMs: options.electionTimeoutMs ?? 500,
      snapshotCount: options.snapshotCount ?? 10_000,
    };
    // NAVARCH_TEST_KEEP=1 keeps the files for a post-mortem: a tracked dir would go at exit.
    const base = process.env.NAVARCH_TEST_KEEP
      ? mkdtempSync(join(tmpdir(), 'navarch-store-test-'))
      : trackedTempDir('navarch-store-test-');
    const slots: StoreMemberSlot[] = [];
    for (let i = 0; i < resolved.size; i++) {
      const clientPort = await freePort();
      const peerPort = await freePort();
      const metricsPort = await freePort();
      const uid = 61000 + i;
      const dataDir = join(base, `s${i}`);
      mkdirSync(dataDir, { recursive: true });
      chownSync(dataDir, uid, uid);
      slots.push({
        index: i,
        name: `s${i}`,
        uid,
        clientPort,
        peerPort,
        metricsPort,
        clientUrl: `http://127.0.0.1:${clientPort}`,
        dataDir,
        logFile: join(base, `s${i}.log`),
      });
    }
    // Members run under their own uids: they must be able to reach their data dirs.
    chmodSync(base, 0o755);
    return new StoreCluster(base, slots, resolved);
  }

  private initialCluster(): string {
    return this.slots.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',');
  }

  /** Starts (or restarts, from its data dir) member `i`. */
  start(i: number): void {
    const slot = this.slots[i]!;
    if (slot.child && slot.child.exitCode === null && slot.child.signalCode === null)
      throw new Error(`${slot.name} is running`);
    const log = openSync(slot.logFile, 'a');
    const child = spawn(
      process.execPath,
      [
        NAVARCH_MAIN,
        'store',
        '--name',
        slot.name,
        '--data-dir',
        slot.dataDir,
        '--listen-client-urls',
        slot.clientUrl,
        '--advertise-client-urls',
        slot.clientUrl,
        '--listen-peer-urls',
        `http://127.0.0.1:${slot.peerPort}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${slot.peerPort}`,
        '--initial-cluster',
        this.initialCluster(),
        '--listen-metrics-urls',
        `http://127.0.0.1:${slot.metricsPort}`,
        '--heartbeat-interval',
        String(this.options.heartbeatIntervalMs),
        '--election-timeout',
        String(this.options.electionTimeoutMs),
        '--snapshot-count',
        String(this.options.snapshotCount),
      ],
      // A clean environment: no NODE_OPTIONS loaders inherited from the test runner.
      {
        stdio: ['ignore', log, log],
        uid: slot.uid,
        gid: slot.uid,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: slot.dataDir },
      },
    );
    closeSync(log);
    trackProcess(child, `navarch store ${slot.name}`);
    slot.child = child;
    slot.exited = new Promise((r) => child.once('exit', () => r()));
  }

  startAll(): void {
    for (let i = 0; i < this.slots.length; i++) this.start(i);
  }

  isRunning(i: number): boolean {
    const child = this.slots[i]!.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  /** Sends `signal` to member `i` by pid; for SIGKILL waits for the exit. */
  async signal(i: number, signal: NodeJS.Signals): Promise<void> {
    const slot = this.slots[i]!;
    if (!slot.child?.pid || !this.isRunning(i)) return;
    process.kill(slot.child.pid, signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await slot.exited;
  }

  /** Reads member `i`'s Prometheus text, or undefined if it does not answer. */
  async metrics(i: number): Promise<string | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.slots[i]!.metricsPort}/metrics`, {
        signal: AbortSignal.timeout(1000),
      });
      return response.ok ? await response.text() : undefined;
    } catch {
      return undefined;
    }
  }

  /** Index of the member that reports itself leader, if exactly one running member does. */
  async leader(candidates: number[] = this.slots.map((s) => s.index)): Promise<number | undefined> {
    const leaders: number[] = [];
    for (const i of candidates) {
      if (!this.isRunning(i)) continue;
      const text = await this.metrics(i);
      if (text && /^navarch_store_is_leader 1$/m.test(text)) leaders.push(i);
    }
    return leaders.length === 1 ? leaders[0] : undefined;
  }

  /** Waits until one of `candidates` leads and every one of them knows a leader. */
  async waitForLeader(
    candidates: number[] = this.slots.map((s) => s.index),
    timeoutMs = 30_000,
  ): Promise<number> {
    let found: number | undefined;
    await waitFor(
      `a leader among ${candidates.map((i) => this.slots[i]!.name).join(',')}`,
      async () => {
        found = await this.leader(candidates);
        if (found === undefined) return false;
        for (const i of candidates) {
          const text = await this.metrics(i);
          if (!text || !/^navarch_store_has_leader 1$/m.test(text)) return false;
        }
        return true;
      },
      timeoutMs,
    );
    return found!;
  }

  /**
   * Cuts member `i` off from its peers (both directions) with iptables DROP rules in OUTPUT
   * (loopback traffic is locally generated): its outgoing packets to the other peer ports, matched
   * by its uid, and every packet to its own peer port. Returns the rule comment.
   */
  isolate(i: number): string {
    const slot = this.slots[i]!;
    const comment = `navarch-test-${randomUUID()}`;
    const others = this.slots.filter((s) => s.index !== i).map((s) => String(s.peerPort));
    const rules = [
      [
        '-p',
        'tcp',
        '-m',
        'owner',
        '--uid-owner',
        String(slot.uid),
        '-m',
        'multiport',
        '--dports',
        others.join(','),
      ],
      ['-p', 'tcp', '--dport', String(slot.peerPort)],
    ];
    this.ruleComments.add(comment);
    for (const rule of rules) {
      execFileSync('iptables', [
        '-w',
        '-I',
        'OUTPUT',
        '-o',
        'lo',
        ...rule,
        '-m',
        'comment',
        '--comment',
        comment,
        '-j',
        'DROP',
      ]);
    }
    return comment;
  }

  /** Removes every rule carrying `comment`. */
  heal(comment: string): void {
    const listing = execFileSync('iptables', ['-w', '-S', 'OUTPUT'], { encoding: 'utf8' });
    for (const line of listing.split('\n')) {
      if (!line.includes(comment) || !line.startsWith('-A ')) continue;
      const args = line
        .slice(3)
        .match(/"[^"]*"|\S+/g)!
        .map((a) => a.replace(/^"|"$/g, ''));
      execFileSync('iptables', ['-w', '-D', ...args]);
    }
    this.ruleComments.delete(comment);
  }

  /** Log of member `i` (for failure messages). */
  log(i: number): string {
    try {
      return readFileSync(this.slots[i]!.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Kills every process by pid (resuming stopped ones), removes every rule and every data dir. */
  async destroy(): Promise<void> {
    for (const comment of [...this.ruleComments]) {
      try {
        this.heal(comment);
      } catch {
        // Keep cleaning up the rest.
      }
    }
    for (const slot of this.slots) {
      if (slot.child?.pid && this.isRunning(slot.index)) {
        try {
          process.kill(slot.child.pid, 'SIGCONT');
          process.kill(slot.child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
        await slot.exited;
      }
    }
    // NAVARCH_TEST_KEEP=1 keeps data dirs and logs for a post-mortem.
    if (process.env.NAVARCH_TEST_KEEP) console.log(`kept store test files in ${this.base}`);
    else removeTrackedDir(this.base);
  }
}
