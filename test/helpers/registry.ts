/**
 * The recording side of "nothing left behind": every process a test harness or benchmark spawns
 * (etcd members, `navarch server`, `navarch store`, long-running etcdctl) and every temp dir it
 * creates is recorded in the registry directory (see proc.ts) while it exists, so that when the
 * runner dies before its afterAll/finally (SIGKILL, a vitest worker killed on a timeout) the reaper
 * (reaper.ts) can stop those processes and remove those dirs later.
 *
 * Besides the records, this module stops what it tracks when its own process ends:
 * - on SIGINT/SIGTERM it sends SIGTERM to every tracked child at once; when no other handler is
 *   installed for that signal it then waits a short grace period, SIGKILLs what is left, removes
 *   the tracked dirs and re-raises the signal, so the process still ends by that signal. A runner
 *   with a handler of its own (test/bench/api.ts) keeps the job of stopping and exiting;
 * - on process exit (process.exit or the end of the event loop) it SIGKILLs every child still
 *   tracked and removes every tracked dir: a test that forgot to stop something leaks nothing;
 * - when its parent dies it sends itself SIGTERM (so the above applies). `npm run` and `npx` pass a
 *   SIGTERM only to the `sh -c` between them and the runner, which dies of it and leaves the runner
 *   orphaned: `timeout 600 npm run bench:store` would otherwise let the benchmark run on.
 *
 * Its state is kept on globalThis so that a module evaluated twice in one process (vitest without
 * isolation) still installs its handlers once and tracks everything in one place.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bootId,
  identityOf,
  type ProcessIdentity,
  type RegistryRecord,
  recordPrefix,
  registryDir,
} from './proc.js';

/**
 * How long the signal handler lets children end on SIGTERM before it SIGKILLs them. Short: vitest
 * SIGKILLs a worker 500 ms after its SIGTERM, and what this handler leaves undone the reaper does.
 */
const SIGNAL_GRACE_MS = 300;
/** Bound on waiting for SIGKILLed children to be reported gone. */
const KILL_WAIT_MS = 2000;
/** Node.js has no event for the death of the parent (short of an IPC channel): poll it. */
const PARENT_CHECK_MS = 1000;

interface RegistryState {
  owner: ProcessIdentity | undefined;
  sequence: number;
  /** Tracked children → their record file. A child leaves the map when it exits. */
  readonly processes: Map<ChildProcess, string>;
  /** Tracked dirs → their record file. */
  readonly dirs: Map<string, string>;
  stopping: Promise<void> | undefined;
  /** Polls for the parent's death, from the first thing tracked on. */
  parentWatch: NodeJS.Timeout | undefined;
  readonly onSignal: (signal: NodeJS.Signals) => void;
  readonly onExit: () => void;
}

const STATE_KEY = Symbol.for('navarch.test.registry');
const globals = globalThis as typeof globalThis & { [STATE_KEY]?: RegistryState };
const state: RegistryState = globals[STATE_KEY] ?? install();

function install(): RegistryState {
  const created: RegistryState = {
    owner: undefined,
    sequence: 0,
    processes: new Map(),
    dirs: new Map(),
    stopping: undefined,
    parentWatch: undefined,
    onSignal: (signal) => onSignal(signal),
    onExit: () => onExit(),
  };
  globals[STATE_KEY] = created;
  process.on('SIGINT', created.onSignal);
  process.on('SIGTERM', created.onSignal);
  process.on('exit', created.onExit);
  return created;
}

/**
 * Starts watching the parent (once): when it is gone (this process was reparented), the run was
 * abandoned, and this process ends as on SIGTERM. Unref'd: it never keeps the process alive.
 */
function watchParent(): void {
  if (state.parentWatch !== undefined) return;
  const parent = process.ppid;
  state.parentWatch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(state.parentWatch);
    process.kill(process.pid, 'SIGTERM');
  }, PARENT_CHECK_MS).unref();
}

function owner(): ProcessIdentity {
  state.owner ??= identityOf(process.pid);
  if (state.owner === undefined) throw new Error(`cannot read /proc/${process.pid}/stat`);
  return state.owner;
}

function writeRecord(content: Pick<RegistryRecord, 'process' | 'dir'>): string {
  const self = owner();
  const directory = registryDir();
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `${recordPrefix(self)}${state.sequence++}.json`);
  const record: RegistryRecord = { version: 1, bootId: bootId(), owner: self, ...content };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

function removeRecord(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone (a reaper run by a second `npm test` may race us); nothing else to do
  }
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  // A direct child that has not been waited for keeps its pid: no start-time check is needed.
  if (isAlive(child)) child.kill(signal);
}

function exited(child: ChildProcess): Promise<void> {
  return isAlive(child) ? new Promise((done) => child.once('exit', () => done())) : Promise.resolve();
}

/** Resolves when `promise` settles or after `ms`, whichever is first. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((done) => (timer = setTimeout(done, ms)))]);
  clearTimeout(timer);
}

function removeAllDirs(): void {
  for (const [dir, file] of state.dirs) {
    rmSync(dir, { recursive: true, force: true });
    removeRecord(file);
  }
  state.dirs.clear();
}

/**
 * Records `child` (just spawned by the caller) until it exits. Call right after spawn(): the
 * record is what lets a later reaper stop the child if this process dies without stopping it.
 * `command` says what it is, for the reaper's report.
 */
export function trackProcess(child: ChildProcess, command: string): void {
  if (child.pid === undefined) return; // spawn failed; the child's 'error' event reports it
  const identity = identityOf(child.pid);
  if (identity === undefined || !isAlive(child)) return; // already gone
  let file: string;
  try {
    file = writeRecord({ process: { ...identity, command } });
  } catch (error) {
    // Without a record only the in-process handlers protect this child: say so, but go on.
    process.stderr.write(`navarch test registry: cannot record pid ${child.pid}: ${String(error)}\n`);
    file = '';
  }
  state.processes.set(child, file);
  watchParent();
  child.once('exit', () => {
    state.processes.delete(child);
    if (file !== '') removeRecord(file);
  });
}

/**
 * Creates a temp dir `<tmpdir>/<prefix>XXXXXX` and records it until removeTrackedDir(); if this
 * process ends first, its exit handler or the reaper removes it.
 */
export function trackedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    state.dirs.set(dir, writeRecord({ dir }));
    watchParent();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return dir;
}

/** Removes a dir made by trackedTempDir() and its record (a dir it does not track is just removed). */
export function removeTrackedDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  const file = state.dirs.get(dir);
  if (file === undefined) return;
  state.dirs.delete(dir);
  removeRecord(file);
}

/**
 * Stops every tracked child (SIGTERM, then SIGKILL after `graceMs`) and removes every tracked dir.
 * Concurrent calls share one run.
 */
function stopTracked(graceMs = SIGNAL_GRACE_MS): Promise<void> {
  state.stopping ??= (async () => {
    const children = [...state.processes.keys()];
    for (const child of children) signalChild(child, 'SIGTERM');
    await within(Promise.all(children.map(exited)), graceMs);
    for (const child of children) signalChild(child, 'SIGKILL');
    await within(Promise.all(children.map(exited)), KILL_WAIT_MS);
    removeAllDirs();
  })().finally(() => {
    state.stopping = undefined;
  });
  return state.stopping;
}

function onSignal(signal: NodeJS.Signals): void {
  for (const child of state.processes.keys()) signalChild(child, 'SIGTERM');
  // Another handler (a benchmark's graceful stop) owns exiting; ours only made the children stop now.
  if (process.listeners(signal).some((listener) => listener !== state.onSignal)) return;
  // From here on, requests to the stopping children fail (a rejected top-level await surfaces as an
  // uncaught exception): expected, and not a crash worth a stack trace. The signal ends the process.
  process.on('unhandledRejection', () => undefined);
  process.on('uncaughtException', () => undefined);
  void stopTracked().finally(() => {
    process.off(signal, state.onSignal);
    // Nobody else listens: re-raising ends the process by the signal, as if we had never caught it.
    process.kill(process.pid, signal);
  });
}

function onExit(): void {
  // Synchronous: at exit nothing can be awaited, so leftovers get SIGKILL, which cannot be ignored.
  for (const [child, file] of state.processes) {
    signalChild(child, 'SIGKILL');
    if (file !== '') removeRecord(file);
  }
  state.processes.clear();
  removeAllDirs();
}
