/**
 * Disk model of one simulated node. Writes become visible to the node at once (its in-memory
 * MemoryStorage) but are durable only after a simulated fsync; a crash keeps what was synced plus,
 * at most, a prefix of the unsynced writes (a disk writes in order but may stop anywhere between
 * writes), and loses the rest. One Ready is one atomic write (snapshot, entries and hard state
 * together, as the Ready contract requires: a crash never keeps a Ready's entries while dropping
 * its hard state). Restart rebuilds the node's storage from exactly that durable state.
 */
import { type ConfState, type Entry, type HardState, MemoryStorage, type Snapshot } from '@navarch/raft';

type DiskWrite =
  | { kind: 'ready'; snapshot?: Snapshot; entries: Entry[]; hardState?: HardState }
  | { kind: 'compact'; index: number; confState: ConfState; data: Uint8Array; compactIndex: number };

/** Counters of what the disk did. */
export interface DiskStats {
  writes: number;
  syncs: number;
  /** Unsynced writes lost in crashes. */
  lostWrites: number;
  /** Unsynced writes that survived a crash anyway (reached the platter before power went). */
  tornSurvivors: number;
}

function cloneConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}

function applyWrite(storage: MemoryStorage, w: DiskWrite): void {
  switch (w.kind) {
    case 'ready':
      // The contract's order: install the snapshot, then append entries, then the hard state.
      if (w.snapshot !== undefined) storage.applySnapshot(w.snapshot);
      if (w.entries.length > 0) storage.append(w.entries);
      if (w.hardState !== undefined) storage.setHardState(w.hardState);
      return;
    case 'compact':
      storage.createSnapshot(w.index, w.confState, w.data);
      if (w.compactIndex >= storage.firstIndex()) storage.compact(w.compactIndex);
      return;
  }
}

/** A deep enough copy of a MemoryStorage, through its public API only. */
function copyStorage(from: MemoryStorage): MemoryStorage {
  const snapshot = from.snapshot();
  const first = from.firstIndex();
  const last = from.lastIndex();
  const dummyIndex = first - 1;
  const copy = MemoryStorage.withConfState(snapshot.metadata.confState);
  if (dummyIndex > 0) {
    // Positions the log's start; replaced below by the real snapshot when that is newer.
    copy.applySnapshot({
      metadata: {
        index: dummyIndex,
        term: from.term(dummyIndex),
        confState: cloneConfState(snapshot.metadata.confState),
      },
      data: snapshot.data,
    });
  }
  if (last >= first) copy.append(from.entries(first, last + 1, Number.POSITIVE_INFINITY));
  if (snapshot.metadata.index > dummyIndex) {
    copy.createSnapshot(snapshot.metadata.index, snapshot.metadata.confState, snapshot.data);
  }
  copy.setHardState(from.getHardState());
  return copy;
}

/**
 * One node's disk. Invariant: `durable` holds exactly the synced writes (plus crash survivors) in
 * write order, and `storage` equals `durable` followed by the `unsynced` writes.
 */
export class Disk {
  private durable: MemoryStorage;
  private unsynced: DiskWrite[] = [];
  /** The storage the current incarnation reads and writes (RawNode's Config.storage). */
  storage: MemoryStorage;
  readonly stats: DiskStats = { writes: 0, syncs: 0, lostWrites: 0, tornSurvivors: 0 };

  /** A fresh disk; `confState` is the bootstrap membership (empty for a node that joins later). */
  constructor(confState: ConfState) {
    this.durable = MemoryStorage.withConfState(confState);
    this.storage = MemoryStorage.withConfState(confState);
  }

  /** Number of writes not yet synced. */
  get unsyncedCount(): number {
    return this.unsynced.length;
  }

  /**
   * Writes step 1 of a Ready as one atomic write: snapshot (replaces the whole log), entries
   * (truncating any conflicting suffix), hard state.
   */
  writeReady(parts: {
    snapshot?: Snapshot | undefined;
    entries: Entry[];
    hardState?: HardState | undefined;
  }): void {
    if (parts.snapshot === undefined && parts.entries.length === 0 && parts.hardState === undefined) return;
    const w: DiskWrite = { kind: 'ready', entries: parts.entries };
    if (parts.snapshot !== undefined) w.snapshot = parts.snapshot;
    if (parts.hardState !== undefined) w.hardState = { ...parts.hardState };
    this.write(w);
  }

  /** Saves a hard state alone (one atomic write). */
  writeHardState(hardState: HardState): void {
    this.writeReady({ entries: [], hardState });
  }

  /** Appends entries alone (one atomic write), truncating any conflicting suffix. */
  writeEntries(entries: Entry[]): void {
    this.writeReady({ entries });
  }

  /** Installs a snapshot sent by the leader alone (one atomic write): it replaces the whole log. */
  writeSnapshot(snapshot: Snapshot): void {
    this.writeReady({ snapshot, entries: [] });
  }

  /**
   * Records an application snapshot at `index` (<= applied) and discards the log up to
   * `compactIndex` (<= index), keeping a tail for slow followers.
   */
  compact(index: number, confState: ConfState, data: Uint8Array, compactIndex: number): void {
    this.write({ kind: 'compact', index, confState: cloneConfState(confState), data, compactIndex });
  }

  /** fsync: every write so far becomes durable. */
  sync(): void {
    this.stats.syncs++;
    for (const w of this.unsynced) applyWrite(this.durable, w);
    this.unsynced = [];
  }

  /**
   * Power loss: the first `survivingWrites` unsynced writes reach the disk, the rest are lost.
   * The storage of the next incarnation is rebuilt from the durable state.
   */
  crash(survivingWrites: number): void {
    const keep = Math.max(0, Math.min(survivingWrites, this.unsynced.length));
    for (let i = 0; i < keep; i++) applyWrite(this.durable, this.unsynced[i] as DiskWrite);
    this.stats.tornSurvivors += keep;
    this.stats.lostWrites += this.unsynced.length - keep;
    this.unsynced = [];
    this.storage = copyStorage(this.durable);
  }

  /** The durable storage (read-only use: what a restart would read). */
  durableStorage(): MemoryStorage {
    return this.durable;
  }

  private write(w: DiskWrite): void {
    this.stats.writes++;
    applyWrite(this.storage, w);
    this.unsynced.push(w);
  }
}
