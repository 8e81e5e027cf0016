/**
 * Nothing is left behind when a runner dies: children started through the harness registry
 * (test/helpers/registry.ts) of a runner killed with SIGKILL are stopped, and their temp dirs
 * removed, by the reaper (test/helpers/reaper.ts); a live runner's are not touched; a pid whose
 * start time differs from the record is never signalled; a runner's SIGTERM stops its children
 * itself. Each test uses a private registry directory, so other runs on the machine are unaffected.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  identityOf,
  isRunning,
  type ProcessIdentity,
  parseStat,
  processStatus,
  REGISTRY_ENV,
  type RegistryRecord,
} from '../helpers/proc.js';
import { reap } from '../helpers/reaper.js';
import { removeTrackedDir, trackedTempDir, trackProcess } from '../helpers/registry.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const runnerScript = join(repoRoot, 'test/infra/fixtures/runner.ts');

let registry: string;
/** Every process a test learned of: killed (by pid, start time checked) after each test. */
let known: ProcessIdentity[];
let runners: ChildProcess[];

beforeEach(() => {
  registry = trackedTempDir('navarch-reap-registry-');
  known = [];
  runners = [];
});

afterEach(async () => {
  for (const runner of runners) {
    if (runner.exitCode === null && runner.signalCode === null) {
      const exited = new Promise((done) => runner.once('exit', done));
      runner.kill('SIGKILL');
      await exited;
    }
  }
  for (const identity of known) if (isRunning(identity)) process.kill(identity.pid, 'SIGKILL');
  // Whatever a failed test left: the reaper itself is the cleanup (runners are dead by now).
  await reap({ registry, graceMs: 0 });
  removeTrackedDir(registry);
});

/** The records in the private registry. */
function records(): RegistryRecord[] {
  return readdirSync(registry)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(registry, name), 'utf8')) as RegistryRecord);
}

interface StartedRunner {
  /** The runner, or with `viaShell` the `sh -c` that runs it. */
  readonly runner: ChildProcess;
  /** The runner's children, running. */
  readonly children: number[];
  /** Resolves when the runner's stdout closes: the runner has exited. */
  readonly outputClosed: Promise<void>;
}

/**
 * Starts fixtures/runner.ts in `mode` and resolves once its children run. With `viaShell` the
 * runner runs under `sh -c`, as `npm run` runs scripts.
 */
async function startRunner(
  mode: 'sleep' | 'stubborn' | 'etcd' | 'compat',
  viaShell = false,
): Promise<StartedRunner> {
  const node = [process.execPath, '--import', 'tsx', runnerScript, mode];
  // `; exit $?` keeps the shell from replacing itself with the runner.
  const [file, ...args] = viaShell ? ['/bin/sh', '-c', '"$0" "$@"; exit $?', ...node] : node;
  const runner = spawn(file!, args, {
    cwd: repoRoot,
    env: { ...process.env, [REGISTRY_ENV]: registry },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackProcess(runner, `reaper test runner (${mode})`);
  const outputClosed = new Promise<void>((done) => runner.stdout!.once('close', () => done()));
  runners.push(runner);
  let stderr = '';
  runner.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const line = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`runner not ready after 60 s: ${stderr}`)), 60_000);
    createInterface({ input: runner.stdout! }).once('line', (first) => {
      clearTimeout(timer);
      done(first);
    });
    runner.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`runner exited with ${code}: ${stderr}`));
    });
  });
  const { pid, children } = JSON.parse(line) as { pid: number; children: number[] };
  for (const started of [pid, ...children]) {
    const identity = identityOf(started);
    if (identity) known.push(identity);
  }
  return { runner, children, outputClosed };
}

/** Sends `signal` to the runner and resolves once it has exited. */
async function endRunner(runner: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise((done) => runner.once('exit', done));
  runner.kill(signal);
  await exited;
}

const running = (pid: number) => processStatus(pid).state === 'running';

describe('reaper', () => {
  it('stops the child and removes the temp dir of a runner killed with SIGKILL', async () => {
    const { runner, children } = await startRunner('sleep');
    const before = records();
    const dirs = before.flatMap((r) => (r.dir === undefined ? [] : [r.dir]));
    expect(before.map((r) => r.process?.pid).filter((pid) => pid !== undefined)).toEqual(children);
    expect(dirs).toHaveLength(1);
    expect(existsSync(join(dirs[0]!, 'data'))).toBe(true);

    await endRunner(runner, 'SIGKILL');
    // The runner could not clean up: its child runs on as an orphan and its dir stays.
    expect(running(children[0]!)).toBe(true);
    expect(existsSync(dirs[0]!)).toBe(true);

    const report = await reap({ registry });
    expect(report.stopped.map((p) => p.pid)).toEqual(children);
    expect(report.survivors).toEqual([]);
    expect(report.removedDirs).toEqual(dirs);
    expect(running(children[0]!)).toBe(false);
    expect(existsSync(dirs[0]!)).toBe(false);
    expect(records()).toEqual([]);
  });

  it('SIGKILLs, after the grace period, a child that ignores SIGTERM', async () => {
    const { runner, children } = await startRunner('stubborn');
    await endRunner(runner, 'SIGKILL');
    const report = await reap({ registry, graceMs: 200 });
    expect(report.stopped.map((p) => p.pid)).toEqual(children);
    expect(report.survivors).toEqual([]);
    expect(running(children[0]!)).toBe(false);
    expect(records()).toEqual([]);
  });

  it.each([
    ["the API harness's startEtcd", 'etcd'],
    ["the compat suites' startCluster", 'compat'],
  ] as const)(
    'stops the etcd member and removes the data dir that %s started for a dead runner',
    async (_helper, mode) => {
      const { runner, children } = await startRunner(mode);
      const dirs = records().flatMap((r) => (r.dir === undefined ? [] : [r.dir]));
      expect(dirs).toHaveLength(1);
      expect(records().filter((r) => r.process?.command.startsWith('etcd'))).toHaveLength(1);
      await endRunner(runner, 'SIGKILL');
      expect(children.every(running)).toBe(true);

      const report = await reap({ registry });
      expect(report.stopped.map((p) => p.pid)).toEqual(children);
      expect(children.some(running)).toBe(false);
      expect(existsSync(dirs[0]!)).toBe(false);
      expect(records()).toEqual([]);
    },
  );

  it("leaves a live runner's child and dir alone; the runner's SIGTERM then stops them itself", async () => {
    const { runner, children } = await startRunner('sleep');
    const dir = records().find((r) => r.dir !== undefined)?.dir;
    expect(dir).toBeDefined();

    const report = await reap({ registry });
    expect(report.liveRecords).toBe(2);
    expect(report.stopped).toEqual([]);
    expect(report.removedDirs).toEqual([]);
    expect(running(children[0]!)).toBe(true);
    expect(existsSync(dir!)).toBe(true);

    await endRunner(runner, 'SIGTERM');
    // Its handler stopped the child and removed the dir, then ended the runner by the same signal.
    expect(runner.signalCode).toBe('SIGTERM');
    expect(running(children[0]!)).toBe(false);
    expect(existsSync(dir!)).toBe(false);
    expect(records()).toEqual([]);
  });

  it('a runner whose parent dies (as `npm run` leaves it on SIGTERM) stops its children itself', async () => {
    const { runner, children, outputClosed } = await startRunner('sleep', true);
    const dir = records().find((r) => r.dir !== undefined)?.dir;
    expect(dir).toBeDefined();
    // `npm run` passes SIGTERM to its `sh -c`, which dies of it without passing it on.
    await endRunner(runner, 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      outputClosed,
      new Promise((_, fail) => {
        timer = setTimeout(() => fail(new Error('orphaned runner still running after 30 s')), 30_000);
      }),
    ]);
    clearTimeout(timer);
    expect(running(children[0]!)).toBe(false);
    expect(existsSync(dir!)).toBe(false);
    expect(records()).toEqual([]);
  });

  it('never signals a pid whose start time differs from the record, and refuses dirs outside tmp', async () => {
    const sleeper = spawn('/bin/sleep', ['600'], { stdio: 'ignore' });
    trackProcess(sleeper, 'sleep (reaper test)');
    const identity = identityOf(sleeper.pid!)!;
    known.push(identity);
    const nested = trackedTempDir('navarch-reap-nested-');
    const inner = join(nested, 'inner');
    mkdirSync(inner);
    // An owner that is dead (this pid, another start time) and a process whose pid was reused.
    const deadOwner = { pid: process.pid, startTime: `${Number(identityOf(process.pid)!.startTime) + 1}` };
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const write = (n: number, record: Omit<RegistryRecord, 'version' | 'bootId' | 'owner'>) =>
      writeFileSync(
        join(registry, `${deadOwner.pid}-${deadOwner.startTime}-${n}.json`),
        JSON.stringify({ version: 1, bootId, owner: deadOwner, ...record }),
      );
    try {
      write(0, {
        process: { pid: identity.pid, startTime: `${Number(identity.startTime) + 1}`, command: 'x' },
      });
      write(1, { dir: inner });
      const report = await reap({ registry, graceMs: 0 });
      expect(report.stopped).toEqual([]);
      expect(report.refusedDirs).toEqual([inner]);
      expect(isRunning(identity)).toBe(true);
      expect(sleeper.exitCode).toBeNull();
      expect(existsSync(inner)).toBe(true);
      // Both records named a dead owner: they are done with.
      expect(records()).toEqual([]);
    } finally {
      sleeper.kill('SIGKILL');
      removeTrackedDir(nested);
    }
  });

  it('reads the start time past a command name with spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    const stat = `4242 (a (b) c) ${fields.join(' ')}`;
    expect(parseStat(stat)).toEqual({ state: 'S', startTime: '22' });
    expect(parseStat('garbage')).toBeUndefined();
  });
});
