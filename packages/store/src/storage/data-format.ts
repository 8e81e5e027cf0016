import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { REQUEST_FORMAT_V1 } from '../mvcc/request-codec.js';
import { EnvelopeKind } from '../raftnode/envelope.js';
import { readStoredEntries, type StoreDatabase } from './raft-log.js';

/*
 * The data-format version of a member's data dir: what keeps a binary from misreading data
 * written by a newer one, and what lets a future format change be introduced safely (etcd
 * records a storage version in its backend for the same reason).
 *
 * Where: `<data-dir>/member/data-format.json`, `{"dataFormat": 2}`. A file beside the database,
 * not a key inside it, because it must be read BEFORE the database is opened: opening LevelDB is
 * not read-only (it replays its write-ahead log into a table, rotates its LOG, writes a new
 * MANIFEST), so a binary that refuses a data dir after opening it would already have changed it;
 * and a future format may change the storage engine itself, which a key inside that engine could
 * not announce. The file is replaced atomically (temporary file, fsync, rename, fsync of the
 * directory): after a crash it holds the old or the new content, never a torn one.
 *
 * Formats (bump DATA_FORMAT_CURRENT whenever a record written to the data dir changes so that the
 * previous release could not read it, and add a line here):
 *   1  LevelDB at member/db with sublevels `raft` (sealed records: entries binary; hard state and
 *      snapshot metadata JSON), `members` (sealed JSON records), `mvcc` (binary revision records
 *      and meta keys). MVCC requests inside Raft entries are JSON, bytes as {"$b": base64}.
 *   2  MVCC requests inside Raft entries are binary (mvcc/request-codec.ts); everything else as
 *      in 1. A format-1 binary cannot decode them. This binary still reads format-1 entries.
 *
 * The stamp is the NEWEST format ever written into the dir: a binary records its own format
 * before its first write (so it only moves up). A binary opens a dir stamped between its
 * DATA_FORMAT_OLDEST_READABLE and DATA_FORMAT_CURRENT and refuses any other, having changed
 * nothing. The stamp says nothing about the oldest records still present (format-1 entries stay in
 * a format-2 dir until the log is compacted past them), so a release that raises
 * DATA_FORMAT_OLDEST_READABLE must first make sure, in the format it introduces, that no record
 * of the dropped format can remain.
 *
 * Binaries built before this gate existed (formats 1 and 2 without a stamp) ignore the file: the
 * gate protects against newer data from this release on, not retroactively.
 */

/** The format this binary writes (see the table above). */
export const DATA_FORMAT_CURRENT = 2;
/** The oldest format this binary still reads. */
export const DATA_FORMAT_OLDEST_READABLE = 1;
/** Name of the stamp file inside `<data-dir>/member`. */
export const DATA_FORMAT_FILE = 'data-format.json';
/** The stamp is a few bytes; anything much larger is not ours. */
const MAX_STAMP_BYTES = 4096;

/** Stable codes of {@link DataFormatError}. */
export const DataFormatErrorCode = {
  /** The data dir was written by a newer release (its format is above what this binary reads). */
  TooNew: 'NAVARCH_ERR_STORE_DATA_FORMAT_TOO_NEW',
  /** The data dir's format is older than the oldest this binary still reads. */
  TooOld: 'NAVARCH_ERR_STORE_DATA_FORMAT_TOO_OLD',
  /** The stamp file exists but cannot be read or parsed. */
  Unreadable: 'NAVARCH_ERR_STORE_DATA_FORMAT_UNREADABLE',
} as const;
/** One of the {@link DataFormatErrorCode} values. */
export type DataFormatErrorCode = (typeof DataFormatErrorCode)[keyof typeof DataFormatErrorCode];

/** Refusal to open a data dir because of its data format; nothing was changed on disk. */
export class DataFormatError extends Error {
  /** Stable machine-readable code. */
  readonly code: DataFormatErrorCode;
  /** The stamp file. */
  readonly path: string;
  /** The format recorded in it, when one could be read. */
  readonly found: number | undefined;
  /** The formats this binary reads. */
  readonly supported: DataFormatSupport;
  constructor(
    code: DataFormatErrorCode,
    message: string,
    details: { path: string; found?: number; supported: DataFormatSupport },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DataFormatError';
    this.code = code;
    this.path = details.path;
    this.found = details.found;
    this.supported = details.supported;
  }
}

/** The range of formats a binary reads; tests pass other ranges to play a newer or older binary. */
export interface DataFormatSupport {
  oldestReadable: number;
  current: number;
}

const SUPPORTED: DataFormatSupport = {
  oldestReadable: DATA_FORMAT_OLDEST_READABLE,
  current: DATA_FORMAT_CURRENT,
};

/** What {@link readDataFormat} found: the stamp file and the format it records, if it exists. */
export interface DataFormatStamp {
  /** `<data-dir>/member`. */
  memberDir: string;
  /** The stamp file. */
  path: string;
  /** The recorded format; undefined when there is no stamp (a new dir, or one from before the gate). */
  format: number | undefined;
  /** The formats of the binary that read it. */
  supported: DataFormatSupport;
}

function describeRange(supported: DataFormatSupport): string {
  return supported.oldestReadable === supported.current
    ? `data format ${supported.current}`
    : `data formats ${supported.oldestReadable} to ${supported.current}`;
}

function parseStamp(bytes: Buffer, path: string, supported: DataFormatSupport): number {
  const unreadable = (reason: string, cause?: unknown): DataFormatError =>
    new DataFormatError(
      DataFormatErrorCode.Unreadable,
      `${DataFormatErrorCode.Unreadable}: data format file ${path} is not valid (${reason}); refusing to start, ` +
        `nothing was changed. It should hold {"dataFormat": <n>}. If this data dir was last used by this ` +
        `release or an older one, removing the file lets this binary work the format out from the data.`,
      { path, supported },
      cause === undefined ? undefined : { cause },
    );
  if (bytes.length > MAX_STAMP_BYTES) throw unreadable(`${bytes.length} bytes, expected a few`);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw unreadable(`not JSON: ${(err as Error).message}`, err);
  }
  const format = (value as { dataFormat?: unknown } | null)?.dataFormat;
  if (typeof format !== 'number' || !Number.isSafeInteger(format) || format < 1)
    throw unreadable('no positive integer "dataFormat"');
  return format;
}

/**
 * Reads and checks the data format of the data dir whose member directory is `memberDir`, before
 * anything in it is opened or created. Reads only. Throws a {@link DataFormatError} when the
 * stamp records a format this binary does not read, or cannot be parsed.
 */
export async function readDataFormat(
  memberDir: string,
  supported: DataFormatSupport = SUPPORTED,
): Promise<DataFormatStamp> {
  const path = join(memberDir, DATA_FORMAT_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { memberDir, path, format: undefined, supported };
    throw new DataFormatError(
      DataFormatErrorCode.Unreadable,
      `${DataFormatErrorCode.Unreadable}: cannot read data format file ${path}: ${(err as Error).message}`,
      { path, supported },
      { cause: err },
    );
  }
  const format = parseStamp(bytes, path, supported);
  const dataDir = join(memberDir, '..');
  if (format > supported.current) {
    throw new DataFormatError(
      DataFormatErrorCode.TooNew,
      `${DataFormatErrorCode.TooNew}: data dir ${dataDir} has data format ${format} (recorded in ${path}), ` +
        `but this binary reads ${describeRange(supported)}: a newer release wrote it. Refusing to start; ` +
        `nothing was changed. Run a release that reads data format ${format}. To go back to this release, ` +
        `remove the member from the cluster, empty its data dir and add it again (etcdctl member remove / add).`,
      { path, found: format, supported },
    );
  }
  if (format < supported.oldestReadable) {
    throw new DataFormatError(
      DataFormatErrorCode.TooOld,
      `${DataFormatErrorCode.TooOld}: data dir ${dataDir} has data format ${format} (recorded in ${path}), ` +
        `but this binary reads ${describeRange(supported)}. Refusing to start; nothing was changed. ` +
        `Run an older release first to upgrade the data dir, or empty it and add the member again.`,
      { path, found: format, supported },
    );
  }
  return { memberDir, path, format, supported };
}

/** Writes the stamp atomically and durably: temporary file, fsync, rename, fsync of the directory. */
async function writeStamp(stamp: DataFormatStamp, format: number): Promise<void> {
  const temporary = `${stamp.path}.tmp`;
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(`${JSON.stringify({ dataFormat: format })}\n`, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, stamp.path);
  const directory = await open(stamp.memberDir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** What {@link detectDataFormat} concluded from a data dir's contents. */
export interface DetectedDataFormat {
  /** The oldest format whose reader reads everything present. */
  format: number;
  /** Stored MVCC requests in the binary encoding (format 2) and in JSON (format 1). */
  binaryRequests: number;
  jsonRequests: number;
}

/** First byte of a legacy JSON request (`{`), see mvcc/legacy-json.ts. */
const LEGACY_JSON_BYTE = 0x7b;
/** Envelope kind byte plus proposer and request id (raftnode/envelope.ts). */
const REQUEST_ENVELOPE_BYTES = 17;

/**
 * Works out the format of a data dir that has no stamp (written before the gate) from what it
 * holds. Formats 1 and 2 differ only in the encoding of MVCC requests inside Raft entries (the
 * other records are the same), so it reads the stored log: any binary request makes it format 2;
 * otherwise a format-1 reader reads everything there, and it is format 1. Every entry record is
 * checked on the way (a corrupt one throws NAVARCH_ERR_STORE_CORRUPT and nothing gets stamped).
 */
export async function detectDataFormat(db: StoreDatabase): Promise<DetectedDataFormat> {
  let binaryRequests = 0;
  let jsonRequests = 0;
  for await (const entry of readStoredEntries(db)) {
    const data = entry.data;
    if (entry.type !== 'normal' || data.byteLength <= REQUEST_ENVELOPE_BYTES) continue;
    if (data[0] !== EnvelopeKind.Request) continue;
    const first = data[REQUEST_ENVELOPE_BYTES];
    if (first === REQUEST_FORMAT_V1) binaryRequests += 1;
    else if (first === LEGACY_JSON_BYTE) jsonRequests += 1;
  }
  return { format: binaryRequests > 0 ? 2 : 1, binaryRequests, jsonRequests };
}

/**
 * Makes the stamp say this binary's format before its first write to the data dir: records it in
 * a new dir (`db` undefined: nothing created yet), raises an older stamp, and stamps a dir from
 * before the gate after working out its format from `db` ({@link detectDataFormat}). Each change
 * is logged. Call it after {@link readDataFormat} accepted the dir and every other check passed.
 * Returns the format now recorded.
 */
export async function recordDataFormat(
  stamp: DataFormatStamp,
  db: StoreDatabase | undefined,
  logger: Logger,
): Promise<number> {
  const current = stamp.supported.current;
  if (stamp.format === current) return current;
  const fields = { path: stamp.path, dataFormat: current };
  if (stamp.format !== undefined) {
    await writeStamp(stamp, current);
    logger.info(
      { ...fields, previousDataFormat: stamp.format },
      `data dir upgraded from data format ${stamp.format} to ${current}; releases that read only format ${stamp.format} can no longer open it`,
    );
  } else if (db === undefined) {
    await writeStamp(stamp, current);
    logger.info(fields, 'new data dir: data format recorded');
  } else {
    const detected = await detectDataFormat(db);
    if (detected.format < stamp.supported.oldestReadable)
      throw new DataFormatError(
        DataFormatErrorCode.TooOld,
        `${DataFormatErrorCode.TooOld}: data dir ${join(stamp.memberDir, '..')} has no data format record and ` +
          `its contents are data format ${detected.format}, but this binary reads ${describeRange(stamp.supported)}. ` +
          `Refusing to start; nothing was changed. Run an older release first to upgrade the data dir, or ` +
          `empty it and add the member again.`,
        { path: stamp.path, found: detected.format, supported: stamp.supported },
      );
    await writeStamp(stamp, current);
    logger.warn(
      {
        ...fields,
        detectedDataFormat: detected.format,
        binaryRequests: detected.binaryRequests,
        jsonRequests: detected.jsonRequests,
      },
      `data dir had no data format record (written before the format gate): its contents read as data format ${detected.format}; recorded data format ${current}`,
    );
  }
  return current;
}
