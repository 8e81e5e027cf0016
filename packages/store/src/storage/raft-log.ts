import {
  applyChange,
  type ConfState,
  decodeConfChange,
  type Entry,
  ErrCompacted,
  ErrSnapOutOfDate,
  ErrUnavailable,
  emptyHardState,
  encodeConfChange,
  type HardState,
  limitSize,
  type Snapshot,
  type SnapshotMetadata,
  type Storage,
} from '@navarch/raft';
import type { ClassicLevel } from 'classic-level';
import { StoreError, StoreErrorCode } from '../raftnode/errors.js';
import { decodeEntryRecord, decodeJsonRecord, encodeEntryRecord, encodeJsonRecord } from './codec.js';
import { directBatch } from './direct-batch.js';

/** The ClassicLevel database a member opens once; sublevels of it hold each part's data. */
export type StoreDatabase = ClassicLevel<string, Uint8Array>;

type RaftSublevel = ReturnType<StoreDatabase['sublevel']> & {
  batch(operations: BatchOperation[], options?: { sync?: boolean }): Promise<void>;
};
type BatchOperation = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

/** Name of the sublevel of the member's database that holds the Raft log. */
const RAFT_SUBLEVEL = 'raft';
const HARD_STATE_KEY = 'hardstate';
const SNAPSHOT_KEY = 'snapshot';
const ENTRY_PREFIX = 'e:';

/** Key of entry `index`: fixed-width hex so LevelDB's byte order is index order. */
function entryKey(index: number): string {
  return ENTRY_PREFIX + index.toString(16).padStart(14, '0');
}

function corrupt(message: string): StoreError {
  return new StoreError(StoreErrorCode.Corrupt, `raft log is corrupt: ${message}`);
}

function isSafeIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseHardState(value: unknown): HardState {
  const v = value as Partial<HardState> | null;
  if (!v || !isSafeIndex(v.term) || !isSafeIndex(v.vote) || !isSafeIndex(v.commit))
    throw corrupt('hard state has a bad shape');
  return { term: v.term, vote: v.vote, commit: v.commit };
}

function parseConfState(value: unknown): ConfState {
  const v = value as Partial<ConfState> | null;
  if (!v || !Array.isArray(v.voters) || !Array.isArray(v.learners))
    throw corrupt('conf state has a bad shape');
  if (![...v.voters, ...v.learners].every(isSafeIndex)) throw corrupt('conf state holds a bad member id');
  return { voters: [...v.voters], learners: [...v.learners] };
}

function parseSnapshotMetadata(value: unknown): SnapshotMetadata {
  const v = value as Partial<SnapshotMetadata> | null;
  if (!v || !isSafeIndex(v.index) || !isSafeIndex(v.term)) throw corrupt('snapshot metadata has a bad shape');
  return { index: v.index, term: v.term, confState: parseConfState(v.confState) };
}

/**
 * Reads the log entries stored in `db`, in index order, each checked (checksum, key), without
 * loading the log. For tools that inspect a data dir (the data-format check reads which encodings
 * its entries use); it may include leftovers at or below the snapshot index.
 */
export async function* readStoredEntries(db: StoreDatabase): AsyncGenerator<Entry> {
  const sublevel = db.sublevel<string, Uint8Array>(RAFT_SUBLEVEL, { valueEncoding: 'view' });
  for await (const [key, value] of sublevel.iterator({ gt: ENTRY_PREFIX, lt: `${ENTRY_PREFIX}~` })) {
    const entry = decodeEntryRecord(value as Uint8Array);
    if (key !== entryKey(entry.index)) throw corrupt(`record under ${key} holds entry ${entry.index}`);
    yield entry;
  }
}

/** What one Ready asks to persist; written by {@link RaftLogStorage.save} in one synced batch. */
export interface PersistRequest {
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
}

/**
 * Raft's {@link Storage} on LevelDB: hard state, log entries and the snapshot metadata live in the
 * `raft` sublevel of the member's one database.
 *
 * The log since the last compaction is also kept in memory (Raft's Storage is synchronous, and the
 * tail is what replication reads); LevelDB is the durable copy. Invariants, asserted when loading:
 * entries are contiguous from snapshot index + 1, terms never decrease, every record passes its
 * checksum and names its own index. `ents[0]` is a dummy holding the snapshot's index and term.
 *
 * Snapshot data is never stored here: the state machine lives in the same database and produces
 * its image on demand, so the stored snapshot is metadata only.
 */
export class RaftLogStorage implements Storage {
  private hardState: HardState = emptyHardState();
  /**
   * The hard state last put into a batch. A Ready that only moves the commit index does not write
   * (see {@link save}): {@link hardState} then runs ahead of it until the next batch carries it.
   */
  private writtenHardState: HardState = this.hardState;
  private snapshotMetadata: SnapshotMetadata = { index: 0, term: 0, confState: { voters: [], learners: [] } };
  private ents: Entry[] = [{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }];

  /** The hot write path (every Ready): straight to LevelDB's native batch, see direct-batch.ts. */
  private readonly write: (operations: BatchOperation[], options: { sync: boolean }) => Promise<void>;

  private constructor(private readonly sublevel: RaftSublevel) {
    this.write = directBatch<string>(sublevel);
  }

  /**
   * Opens the raft log in `db`, reading back and checking everything persisted. A brand new log
   * starts from `bootstrapConfState` (the initial cluster's voters), recorded durably at once.
   */
  static async open(db: StoreDatabase, bootstrapConfState?: ConfState): Promise<RaftLogStorage> {
    const sublevel = db.sublevel<string, Uint8Array>(RAFT_SUBLEVEL, {
      valueEncoding: 'view',
    }) as unknown as RaftSublevel;
    const storage = new RaftLogStorage(sublevel);
    await storage.load(bootstrapConfState);
    return storage;
  }

  private async load(bootstrapConfState: ConfState | undefined): Promise<void> {
    const hardStateRecord = await this.sublevel.get(HARD_STATE_KEY);
    const snapshotRecord = await this.sublevel.get(SNAPSHOT_KEY);
    if (snapshotRecord === undefined) {
      if (bootstrapConfState !== undefined) {
        this.snapshotMetadata = { index: 0, term: 0, confState: parseConfState(bootstrapConfState) };
        await this.sublevel.batch(
          [{ type: 'put', key: SNAPSHOT_KEY, value: encodeJsonRecord(this.snapshotMetadata) }],
          {
            sync: true,
          },
        );
      }
    } else {
      this.snapshotMetadata = parseSnapshotMetadata(decodeJsonRecord(snapshotRecord as Uint8Array));
    }
    if (hardStateRecord !== undefined)
      this.hardState = parseHardState(decodeJsonRecord(hardStateRecord as Uint8Array));
    this.writtenHardState = this.hardState;
    const { index, term } = this.snapshotMetadata;
    this.ents = [{ term, index, type: 'normal', data: new Uint8Array(0) }];
    let expected = index + 1;
    let lastTerm = term;
    for await (const [key, value] of this.sublevel.iterator({ gt: ENTRY_PREFIX, lt: `${ENTRY_PREFIX}~` })) {
      const entry = decodeEntryRecord(value as Uint8Array);
      if (key !== entryKey(entry.index)) throw corrupt(`record under ${key} holds entry ${entry.index}`);
      // Entries at or below the snapshot are leftovers of a compaction that was not synced; harmless.
      if (entry.index <= index) continue;
      if (entry.index !== expected)
        throw corrupt(`gap in the log: expected entry ${expected}, found ${entry.index}`);
      if (entry.term < lastTerm)
        throw corrupt(`entry ${entry.index} has term ${entry.term} below ${lastTerm}`);
      this.ents.push(entry);
      lastTerm = entry.term;
      expected += 1;
    }
    if (this.hardState.commit > this.lastIndex())
      throw corrupt(`commit index ${this.hardState.commit} is beyond the last entry ${this.lastIndex()}`);
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    const cs = this.snapshotMetadata.confState;
    return {
      hardState: { ...this.hardState },
      confState: { voters: [...cs.voters], learners: [...cs.learners] },
    };
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new ErrCompacted();
    if (hi > this.lastIndex() + 1)
      throw new ErrUnavailable(`entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    if (this.ents.length === 1) throw new ErrUnavailable();
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSizeBytes);
  }

  term(index: number): number {
    const offset = this.ents[0]!.index;
    if (index < offset) throw new ErrCompacted();
    if (index - offset >= this.ents.length) throw new ErrUnavailable();
    return this.ents[index - offset]!.term;
  }

  firstIndex(): number {
    return this.ents[0]!.index + 1;
  }

  lastIndex(): number {
    return this.ents[0]!.index + this.ents.length - 1;
  }

  /** Metadata of the last snapshot; data is empty (the driver fills it from the state machine). */
  snapshot(): Snapshot {
    return { metadata: this.snapshotMetadata, data: new Uint8Array(0) };
  }

  /** The hard state last saved. */
  getHardState(): HardState {
    return { ...this.hardState };
  }

  /**
   * Persists what a Ready carries in ONE LevelDB batch, fsync'd when `sync` is true, then updates
   * the in-memory view. Returns only once the batch is durable, so messages may be sent after.
   *
   * A Ready that only moves the commit index (no entries, no snapshot, same term and vote: Raft
   * does not ask to sync it) writes nothing: the commit index rides on the next batch, which every
   * later save or compaction writes. Etcd does not sync it either; here it also skips a round trip
   * to LevelDB's thread per write. A commit index found lagging after a crash is safe: Raft
   * relearns it from the leader, and the state machine skips entries it has already applied.
   */
  async save(request: PersistRequest, sync: boolean): Promise<void> {
    if (
      !sync &&
      request.entries.length === 0 &&
      request.snapshot === undefined &&
      request.hardState !== undefined &&
      request.hardState.term === this.writtenHardState.term &&
      request.hardState.vote === this.writtenHardState.vote
    ) {
      this.hardState = { ...request.hardState };
      return;
    }
    const operations: BatchOperation[] = [];
    let nextSnapshot: SnapshotMetadata | undefined;
    if (request.snapshot !== undefined && request.snapshot.metadata.index > 0) {
      const metadata = request.snapshot.metadata;
      if (metadata.index <= this.snapshotMetadata.index) throw new ErrSnapOutOfDate();
      nextSnapshot = {
        index: metadata.index,
        term: metadata.term,
        confState: { voters: [...metadata.confState.voters], learners: [...metadata.confState.learners] },
      };
      operations.push({ type: 'put', key: SNAPSHOT_KEY, value: encodeJsonRecord(nextSnapshot) });
      for (let i = this.firstIndex(); i <= this.lastIndex(); i++)
        operations.push({ type: 'del', key: entryKey(i) });
    }
    // The log the entries append to: the current one, or just the new snapshot's dummy.
    const offsetIndex = nextSnapshot?.index ?? this.ents[0]!.index;
    const oldLast = nextSnapshot !== undefined ? nextSnapshot.index : this.lastIndex();
    let entries = request.entries;
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.index !== entries[i - 1]!.index + 1)
        throw corrupt('appended entries must be contiguous');
    }
    // Entries at or below the snapshot are already covered by it.
    if (entries.length > 0 && entries[0]!.index <= offsetIndex)
      entries = entries.slice(offsetIndex + 1 - entries[0]!.index);
    let position = 0;
    if (entries.length > 0) {
      position = entries[0]!.index - offsetIndex;
      if (entries[0]!.index > oldLast + 1)
        throw corrupt(`missing log entry [last: ${oldLast}, append at: ${entries[0]!.index}]`);
      const newLast = entries[entries.length - 1]!.index;
      for (const entry of entries) {
        operations.push({ type: 'put', key: entryKey(entry.index), value: encodeEntryRecord(entry) });
      }
      // A conflicting suffix beyond the new last entry must go, or it would reappear on restart.
      for (let i = newLast + 1; i <= oldLast; i++) operations.push({ type: 'del', key: entryKey(i) });
    }
    const deferred =
      request.hardState === undefined && operations.length > 0 ? this.unwrittenHardState() : undefined;
    const hardState = request.hardState ?? deferred;
    if (hardState !== undefined)
      operations.push({ type: 'put', key: HARD_STATE_KEY, value: encodeJsonRecord(hardState) });
    if (deferred !== undefined) this.writtenHardState = deferred;
    if (operations.length > 0) await this.write(operations, { sync });
    // Only once durable does the in-memory view change.
    if (nextSnapshot !== undefined) {
      this.snapshotMetadata = nextSnapshot;
      this.ents = [
        { term: nextSnapshot.term, index: nextSnapshot.index, type: 'normal', data: new Uint8Array(0) },
      ];
    }
    if (entries.length > 0) {
      // A compaction may have trimmed the front of the log during the write: place the entries
      // by index against the log as it is now.
      position = entries[0]!.index - this.ents[0]!.index;
      if (position < 1) throw corrupt(`appended entry ${entries[0]!.index} is below the compacted log`);
      this.ents.length = position;
      for (const entry of entries) this.ents.push(entry);
    }
    if (request.hardState !== undefined) {
      this.hardState = { ...request.hardState };
      this.writtenHardState = this.hardState;
    }
  }

  /** The in-memory hard state if no batch has carried it yet (a commit index {@link save} deferred). */
  private unwrittenHardState(): HardState | undefined {
    return this.hardState === this.writtenHardState ? undefined : this.hardState;
  }

  /** Writes a deferred commit index, synced (on a clean stop, so a restart resumes from it). */
  async flushHardState(): Promise<void> {
    const hardState = this.unwrittenHardState();
    if (hardState === undefined) return;
    this.writtenHardState = hardState;
    await this.sublevel.batch([{ type: 'put', key: HARD_STATE_KEY, value: encodeJsonRecord(hardState) }], {
      sync: true,
    });
  }

  /**
   * Records a local snapshot at `index` (≤ applied, with `confState` as of that index) and drops
   * the log up to and including `index`. Not synced: losing it on a crash only leaves more log,
   * and LevelDB keeps write order, so it never becomes durable before the state it summarizes.
   */
  async compact(index: number, confState: ConfState): Promise<void> {
    const offset = this.ents[0]!.index;
    if (index <= offset) throw new ErrSnapOutOfDate();
    if (index > this.lastIndex())
      throw new ErrUnavailable(`compact ${index} is beyond the last entry ${this.lastIndex()}`);
    const metadata: SnapshotMetadata = {
      index,
      term: this.term(index),
      confState: { voters: [...confState.voters], learners: [...confState.learners] },
    };
    // The metadata first, then the entries it covers go as one range delete, which LevelDB runs
    // on its own thread: a batch of one delete per entry (--snapshot-count of them) would be
    // built on the event loop and stall every request for tens of milliseconds. A crash between
    // the two leaves entries at or below the snapshot, which load() skips.
    // A deferred commit index goes with it: on a restart Raft requires commit >= snapshot index.
    const operations: BatchOperation[] = [
      { type: 'put', key: SNAPSHOT_KEY, value: encodeJsonRecord(metadata) },
    ];
    const hardState = this.unwrittenHardState();
    if (hardState !== undefined) {
      operations.push({ type: 'put', key: HARD_STATE_KEY, value: encodeJsonRecord(hardState) });
      this.writtenHardState = hardState;
    }
    await this.sublevel.batch(operations, { sync: false });
    await this.sublevel.clear({ gt: ENTRY_PREFIX, lte: entryKey(index) });
    // Saves may have appended meanwhile (never below `index`: it is applied, so committed), so
    // trim by index against the log as it is now.
    const current = this.ents[0]!.index;
    if (current >= index) return; // a snapshot installed meanwhile already covers it
    this.ents = [
      { term: metadata.term, index, type: 'normal', data: new Uint8Array(0) },
      ...this.ents.slice(index - current + 1),
    ];
    this.snapshotMetadata = metadata;
  }

  /**
   * --force-new-cluster (etcd's quorum-loss recovery): drops uncommitted entries, then appends,
   * as committed entries of the current term, the removal of every member but `memberId`. Once
   * applied, this member is the only voter and elects itself; the data it had committed is kept.
   * Returns the ids removed. One synced batch.
   */
  async forceNewCluster(memberId: number): Promise<number[]> {
    const commit = Math.max(this.hardState.commit, this.firstIndex() - 1);
    let confState = this.snapshotMetadata.confState;
    for (const entry of this.ents.slice(1)) {
      if (entry.index > commit) break;
      if (entry.type === 'confChange') confState = applyChange(confState, decodeConfChange(entry.data));
    }
    const others = [...confState.voters, ...confState.learners].filter((id) => id !== memberId);
    const term = Math.max(this.hardState.term, this.term(commit));
    const entries: Entry[] = others.map((id, i) => ({
      term,
      index: commit + 1 + i,
      type: 'confChange',
      data: encodeConfChange({ type: 'removeNode', nodeId: id }),
    }));
    if (!confState.voters.includes(memberId)) {
      entries.push({
        term,
        index: commit + 1 + entries.length,
        type: 'confChange',
        data: encodeConfChange({ type: 'addNode', nodeId: memberId }),
      });
    }
    const last = commit + entries.length;
    // Keep the vote only if the term did not move; commit everything we append.
    await this.save({ entries, hardState: { term, vote: this.hardState.vote, commit: last } }, true);
    // save() only truncates a conflicting suffix when it writes over it; drop any tail left.
    const operations: BatchOperation[] = [];
    const stale = this.lastIndex();
    for (let i = last + 1; i <= stale; i++) operations.push({ type: 'del', key: entryKey(i) });
    if (operations.length > 0) {
      await this.sublevel.batch(operations, { sync: true });
      this.ents.length = last - this.ents[0]!.index + 1;
    }
    return others;
  }
}
