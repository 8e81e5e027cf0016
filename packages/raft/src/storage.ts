/**
 * MemoryStorage: an in-memory {@link Storage}, the log the state machine reads. The caller writes it
 * while handling a Ready (append, setHardState, applySnapshot) and compacts it after snapshots.
 * Also the model that persistent storages follow.
 */
import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable, invariant } from './errors.js';
import type { ConfState, Entry, HardState, Snapshot, Storage } from './types.js';
import { emptyHardState, emptySnapshot, entrySizeBytes } from './types.js';

/** Returns the longest prefix of `entries` whose total size is within `maxSizeBytes` (at least one entry). */
export function limitSize(entries: Entry[], maxSizeBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = entrySizeBytes(entries[0]!);
  let limit = 1;
  for (; limit < entries.length; limit++) {
    size += entrySizeBytes(entries[limit]!);
    if (size > maxSizeBytes) break;
  }
  return limit === entries.length ? entries : entries.slice(0, limit);
}

function cloneConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}

/** In-memory Storage. Invariant: `ents[0]` is a dummy entry holding the snapshot's index and term. */
export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot = emptySnapshot();
  /** ents[i] has index snap.metadata.index + i; ents[0] is the dummy. */
  private ents: Entry[] = [{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }];

  /** A storage holding only a membership (how a brand new cluster starts: voters known, log empty). */
  static withConfState(confState: ConfState): MemoryStorage {
    const s = new MemoryStorage();
    s.snap = { ...emptySnapshot(), metadata: { index: 0, term: 0, confState: cloneConfState(confState) } };
    return s;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: cloneConfState(this.snap.metadata.confState) };
  }

  /** Saves the hard state of a Ready. */
  setHardState(hardState: HardState): void {
    this.hardState = { ...hardState };
  }

  /** The last hard state saved. */
  getHardState(): HardState {
    return { ...this.hardState };
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new ErrCompacted();
    if (hi > this.lastIndex() + 1)
      throw new ErrUnavailable(`entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    invariant(lo <= hi, () => `invalid entries range [${lo}, ${hi})`);
    // Only the dummy entry: nothing to return.
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

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot (a follower installing what the leader sent). */
  applySnapshot(snap: Snapshot): void {
    const index = this.snap.metadata.index;
    if (index >= snap.metadata.index) throw new ErrSnapOutOfDate();
    this.snap = snap;
    this.ents = [
      { term: snap.metadata.term, index: snap.metadata.index, type: 'normal', data: new Uint8Array(0) },
    ];
  }

  /**
   * Records a snapshot of the application at `index` (≤ lastIndex). The log is not compacted;
   * call compact() afterwards, keeping some entries for slow followers.
   */
  createSnapshot(index: number, confState: ConfState | undefined, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) throw new ErrSnapOutOfDate();
    const offset = this.ents[0]!.index;
    invariant(
      index <= this.lastIndex(),
      () => `snapshot ${index} is out of bound lastindex(${this.lastIndex()})`,
    );
    this.snap = {
      metadata: {
        index,
        term: this.ents[index - offset]!.term,
        confState: cloneConfState(confState ?? this.snap.metadata.confState),
      },
      data,
    };
    return this.snap;
  }

  /** Discards entries before `compactIndex`; `compactIndex` becomes the dummy. Must be ≤ the applied index. */
  compact(compactIndex: number): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) throw new ErrCompacted();
    invariant(
      compactIndex <= this.lastIndex(),
      () => `compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`,
    );
    const i = compactIndex - offset;
    const dummy = this.ents[i]!;
    this.ents = [
      { term: dummy.term, index: dummy.index, type: 'normal', data: new Uint8Array(0) },
      ...this.ents.slice(i + 1),
    ];
  }

  /**
   * Appends entries of a Ready, truncating any conflicting suffix. Entries already compacted are
   * ignored. Invariant: entries are contiguous and may not leave a gap after lastIndex.
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    for (let i = 1; i < entries.length; i++) {
      invariant(entries[i]!.index === entries[i - 1]!.index + 1, 'appended entries must be contiguous');
    }
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    // Drop the part that is already compacted.
    if (first > entries[0]!.index) entries = entries.slice(first - entries[0]!.index);
    const offset = entries[0]!.index - this.ents[0]!.index;
    invariant(
      offset <= this.ents.length,
      () => `missing log entry [last: ${this.lastIndex()}, append at: ${entries[0]!.index}]`,
    );
    // Truncate a conflicting suffix in place, then extend (no copy of the retained prefix).
    this.ents.length = offset;
    for (const e of entries) this.ents.push(e);
  }
}
