/**
 * The cleaning side of "nothing left behind": reads the registry (see proc.ts and registry.ts) and,
 * for every record whose owner (the test worker or benchmark that made it) no longer runs, stops
 * the recorded process and removes the recorded dir. Records of running owners are never touched:
 * several engineers' runs share the machine, and a live run cleans up after itself.
 *
 * A process is signalled only while /proc shows the same pid with the same start time as recorded,
 * so a pid the kernel has given to an unrelated process since is never killed. Processes get
 * SIGTERM, then SIGKILL after a grace period; dirs are removed after every process is gone, and
 * only dirs directly inside the temp dir (where trackedTempDir() makes them).
 */
import { readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import {
  bootId,
  isRunning,
  ownerFromFileName,
  type ProcessIdentity,
  type RegistryRecord,
  registryDir,
} from './proc.js';

/** Options of one reaper run. */
export interface ReapOptions {
  /** Registry directory; default registryDir(). */
  readonly registry?: string;
  /** How long a process gets to end after SIGTERM before it is SIGKILLed (ms). */
  readonly graceMs?: number;
}

/** What one reaper run did. */
export interface ReapReport {
  /** Processes of dead owners that were running and were signalled. */
  readonly stopped: { readonly pid: number; readonly command: string }[];
  /** Of those, the ones still running when the run gave up (should stay empty). */
  readonly survivors: number[];
  /** Dirs of dead owners that were removed. */
  readonly removedDirs: string[];
  /** Dirs refused because they are not directly inside a temp dir (a damaged record). */
  readonly refusedDirs: string[];
  /** Records left alone because their owner still runs. */
  readonly liveRecords: number;
  /** Records of dead owners that were deleted. */
  readonly deletedRecords: number;
}

const DEFAULT_GRACE_MS = 5000;
/** Bound on waiting for SIGKILLed processes to disappear. */
const KILL_WAIT_MS = 5000;
/** /proc offers no event for the exit of a process that is not our child: poll, bounded. */
const POLL_MS = 50;

function readRecord(file: string): RegistryRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<RegistryRecord>;
    return parsed.version === 1 && parsed.owner !== undefined ? (parsed as RegistryRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** True when `identity`, recorded during boot `recordBoot`, is still the process running under its pid. */
function stillRuns(identity: ProcessIdentity, recordBoot: string, currentBoot: string): boolean {
  return recordBoot === currentBoot && isRunning(identity);
}

function signal(identity: ProcessIdentity, name: NodeJS.Signals): void {
  // Checked right before the kill: the pid must still name the recorded process.
  if (!isRunning(identity)) return;
  try {
    process.kill(identity.pid, name);
  } catch {
    // exited in between
  }
}

async function waitGone(
  identities: readonly ProcessIdentity[],
  timeoutMs: number,
): Promise<ProcessIdentity[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const left = identities.filter(isRunning);
    if (left.length === 0 || performance.now() >= deadline) return left;
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

/** A dir the reaper may remove: absolute, normalized, directly inside this or the default temp dir. */
function removable(dir: string): boolean {
  if (!dir.startsWith('/') || normalize(dir) !== dir || dir.endsWith('/')) return false;
  const parent = dirname(dir);
  return parent === tmpdir() || parent === '/tmp';
}

/**
 * Stops the processes and removes the dirs of every registry record whose owner is gone, then
 * deletes those records. Safe to run while other runs are live and concurrently with another reaper.
 */
export async function reap(options: ReapOptions = {}): Promise<ReapReport> {
  const directory = options.registry ?? registryDir();
  const report: { -readonly [K in keyof ReapReport]: ReapReport[K] } = {
    stopped: [],
    survivors: [],
    removedDirs: [],
    refusedDirs: [],
    liveRecords: 0,
    deletedRecords: 0,
  };
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return report; // no registry yet: nothing was ever recorded
  }
  const currentBoot = bootId();
  const orphans: { file: string; record: RegistryRecord | undefined }[] = [];
  for (const name of names) {
    const fromName = ownerFromFileName(name);
    if (fromName === undefined) continue; // not a record
    const file = join(directory, name);
    const record = readRecord(file);
    const ownerRuns =
      record === undefined ? isRunning(fromName) : stillRuns(record.owner, record.bootId, currentBoot);
    if (ownerRuns) report.liveRecords++;
    else orphans.push({ file, record });
  }

  const victims: (ProcessIdentity & { command: string })[] = [];
  for (const { record } of orphans) {
    const recorded = record?.process;
    if (record !== undefined && recorded !== undefined && stillRuns(recorded, record.bootId, currentBoot))
      victims.push(recorded);
  }
  for (const victim of victims) {
    signal(victim, 'SIGTERM');
    report.stopped.push({ pid: victim.pid, command: victim.command });
  }
  const stubborn = await waitGone(victims, options.graceMs ?? DEFAULT_GRACE_MS);
  for (const victim of stubborn) signal(victim, 'SIGKILL');
  report.survivors.push(...(await waitGone(stubborn, KILL_WAIT_MS)).map((v) => v.pid));

  for (const { file, record } of orphans) {
    const dir = record?.dir;
    if (dir !== undefined) {
      if (removable(dir)) {
        rmSync(dir, { recursive: true, force: true });
        report.removedDirs.push(dir);
      } else report.refusedDirs.push(dir);
    }
    // A survivor keeps its record, so that the next run tries again.
    const survivor = record?.process !== undefined && report.survivors.includes(record.process.pid);
    if (survivor) continue;
    try {
      unlinkSync(file);
      report.deletedRecords++;
    } catch {
      // another reaper deleted it first
    }
  }
  return report;
}

/** One line per action, for the scripts that run the reaper. */
export function describeReport(report: ReapReport): string[] {
  const lines = [
    ...report.stopped.map((p) => `stopped pid ${p.pid} (${p.command}) left by a runner that died`),
    ...report.survivors.map((pid) => `pid ${pid} survived SIGKILL; its record is kept`),
    ...report.removedDirs.map((dir) => `removed ${dir}`),
    ...report.refusedDirs.map((dir) => `refused to remove ${dir}: not directly inside a temp dir`),
  ];
  return lines;
}
