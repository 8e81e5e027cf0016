/**
 * Process identity and the format of the test-process registry, shared by the side that records
 * processes and temp dirs (registry.ts, loaded by the harnesses) and the side that cleans up after
 * a runner that died (reaper.ts, run by `npm test`, `npm run bench:*` and vitest's globalSetup).
 *
 * A pid alone does not name a process: the kernel reuses pids. A process is named by its pid and
 * its start time (field 22 of /proc/<pid>/stat, clock ticks since boot), and a start time only
 * means something within one boot, so each record also carries the boot id.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A process, named so that a pid the kernel has since reused never matches. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot), kept as the decimal text the kernel prints. */
  readonly startTime: string;
}

/** What /proc says about a pid: gone, a zombie (dead, not yet waited for), or running since `startTime`. */
export type ProcessStatus =
  | { readonly state: 'absent' }
  | { readonly state: 'zombie'; readonly startTime: string }
  | { readonly state: 'running'; readonly startTime: string };

/**
 * Parses the state and start time out of one /proc/<pid>/stat line. The command name (field 2)
 * may contain spaces and parentheses, so fields are counted from its last `)`.
 */
export function parseStat(stat: string): { state: string; startTime: string } | undefined {
  const fields = statFields(stat);
  if (fields === undefined) return undefined;
  // Fields after the name start at field 3 (state); starttime is field 22.
  const state = fields[0];
  const startTime = fields[22 - 3];
  if (state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) return undefined;
  return { state, startTime };
}

/** The fields of a /proc/<pid>/stat line after the command name: index 0 is field 3 (state). */
function statFields(stat: string): string[] | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  return stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
}

/** User + system CPU time a process has used so far, in ms (clock ticks of 10 ms); NaN once it is gone. */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  let fields: string[] | undefined;
  try {
    fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return Number.NaN;
  }
  // utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
  return fields === undefined ? Number.NaN : (Number(fields[14 - 3]) + Number(fields[15 - 3])) * 10;
}

/** Resident memory of a process in MiB (VmRSS); NaN once it is gone. */
export function rssMiB(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Reads /proc/<pid>/stat. */
export function processStatus(pid: number): ProcessStatus {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return { state: 'absent' };
  }
  const parsed = parseStat(stat);
  if (parsed === undefined) return { state: 'absent' };
  // Z: exited, waiting for its parent; X: being torn down. Neither runs code again.
  if (parsed.state === 'Z' || parsed.state === 'X') return { state: 'zombie', startTime: parsed.startTime };
  return { state: 'running', startTime: parsed.startTime };
}

/** The identity of a running process, or undefined when it is gone (or a zombie). */
export function identityOf(pid: number): ProcessIdentity | undefined {
  const status = processStatus(pid);
  return status.state === 'running' ? { pid, startTime: status.startTime } : undefined;
}

/** True when the very process `identity` names still runs (same pid and same start time, not a zombie). */
export function isRunning(identity: ProcessIdentity): boolean {
  const status = processStatus(identity.pid);
  return status.state === 'running' && status.startTime === identity.startTime;
}

/** The kernel's id of this boot: start times from another boot name nothing. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** Environment variable that moves the registry (the reaper's own tests use a private one). */
export const REGISTRY_ENV = 'NAVARCH_TEST_REGISTRY';

/** The registry directory: $NAVARCH_TEST_REGISTRY, else <tmpdir>/navarch-test-registry. */
export function registryDir(): string {
  return process.env[REGISTRY_ENV] || join(tmpdir(), 'navarch-test-registry');
}

/**
 * One record: a process or a temp dir that `owner` (the test worker or benchmark that made it)
 * must stop or remove. The owner deletes the record once it has; a record whose owner is no
 * longer running is the reaper's to act on. File name: `<owner pid>-<owner start time>-<n>.json`,
 * written to a `.tmp` name first and renamed, so a reader never sees half a record.
 */
export interface RegistryRecord {
  readonly version: 1;
  readonly bootId: string;
  readonly owner: ProcessIdentity;
  /** A process the owner started (its direct child). */
  readonly process?: ProcessIdentity & { readonly command: string };
  /** A directory the owner created and removes when done. */
  readonly dir?: string;
}

/** File name prefix of every record `owner` writes. */
export function recordPrefix(owner: ProcessIdentity): string {
  return `${owner.pid}-${owner.startTime}-`;
}

/** The owner named by a record's file name (also a leftover `.tmp`), or undefined for a foreign file. */
export function ownerFromFileName(name: string): ProcessIdentity | undefined {
  const match = /^(\d+)-(\d+)-\d+\.json(?:\.tmp)?$/.exec(name);
  if (match === null) return undefined;
  return { pid: Number(match[1]), startTime: match[2]! };
}
