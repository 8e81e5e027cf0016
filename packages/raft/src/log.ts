/**
 * RaftLog: the log as the state machine sees it, stable part (Storage) plus unstable tail, with
 * the commit and apply cursors.
 * Invariants: applied ≤ committed ≤ lastIndex; committed never decreases; entries are contiguous.
 */
import { ErrCompacted, ErrUnavailable, invariant } from './errors.js';
import { limitSize } from './storage.js';
import type { Entry, Snapshot, Storage } from './types.js';
import { Unstable } from './unstable.js';

/** The combined log. */
export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  /** Highest index known committed on a quorum. */
  committed: number;
  /** Highest index the application has applied. */
  applied: number;
  /** Bound on the bytes of committed entries handed out in one Ready. */
  readonly maxNextCommittedEntriesBytes: number;

  constructor(storage: Storage, maxNextCommittedEntriesBytes: number) {
    this.storage = storage;
    this.maxNextCommittedEntriesBytes = maxNextCommittedEntriesBytes;
    const firstIndex = storage.firstIndex();
    const lastIndex = storage.lastIndex();
    this.unstable = new Unstable(lastIndex + 1);
    // Everything up to the snapshot is committed and applied by definition.
    this.committed = firstIndex - 1;
    this.applied = firstIndex - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /**
   * Term of entry `i`: 0 outside [firstIndex-1, lastIndex]; throws ErrCompacted/ErrUnavailable if
   * storage lost it meanwhile.
   */
  term(i: number): number {
    const dummyIndex = this.firstIndex() - 1;
    if (i < dummyIndex || i > this.lastIndex()) return 0;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    return this.storage.term(i);
  }

  /** term(i), or 0 if storage cannot tell. */
  zeroTermOnError(i: number): number {
    try {
      return this.term(i);
    } catch (err) {
      if (err instanceof ErrCompacted || err instanceof ErrUnavailable) return 0;
      throw err;
    }
  }

  /** True if our entry `i` has term `t`. Indexes outside [firstIndex-1, lastIndex] never match. */
  matchTerm(i: number, t: number): boolean {
    // term() answers 0 outside the log; do not let that sentinel "match" a term of 0.
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return false;
    try {
      return this.term(i) === t;
    } catch (err) {
      if (err instanceof ErrCompacted || err instanceof ErrUnavailable) return false;
      throw err;
    }
  }

  /** Raft §5.4.1: is a log ending at (lastIndex, term) at least as up to date as ours? */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Follower side of AppendEntries. If our entry at `index` has `logTerm`, appends `ents`
   * (truncating a conflicting suffix), advances commit and returns the last new index;
   * otherwise returns undefined. `skipPrevLogCheck` is the testing bug.
   */
  maybeAppend(
    index: number,
    logTerm: number,
    committed: number,
    ents: Entry[],
    skipPrevLogCheck = false,
  ): number | undefined {
    const matches = skipPrevLogCheck ? index <= this.lastIndex() : this.matchTerm(index, logTerm);
    if (!matches) return undefined;
    const lastNewIndex = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      invariant(
        skipPrevLogCheck || ci > this.committed,
        () => `entry ${ci} conflicts with committed entry [committed(${this.committed})]`,
      );
      this.append(ents.slice(ci - (index + 1)), skipPrevLogCheck);
    }
    this.commitTo(Math.min(committed, lastNewIndex));
    return lastNewIndex;
  }

  /** Appends entries after the log (truncating a conflicting suffix); returns the new last index. */
  append(ents: Entry[], allowTruncatingCommitted = false): number {
    if (ents.length === 0) return this.lastIndex();
    for (let i = 1; i < ents.length; i++) {
      invariant(ents[i]!.index === ents[i - 1]!.index + 1, 'appended entries must be contiguous');
      invariant(ents[i]!.term >= ents[i - 1]!.term, 'terms in the log must not decrease');
    }
    const after = ents[0]!.index - 1;
    invariant(
      after <= this.lastIndex(),
      () => `append at ${after + 1} leaves a gap after ${this.lastIndex()}`,
    );
    invariant(
      allowTruncatingCommitted || after >= this.committed,
      () => `after(${after}) is out of range [committed(${this.committed})]`,
    );
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * Index of the first entry of `ents` whose term differs from ours (or that we lack), or 0 if
   * all of them are already in our log.
   */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index ≤ `index` whose term is ≤ `term`, with that term
   * (0 when unknown). Every entry above it in our log has a term above `term`, so it cannot match.
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    for (; index > 0; index--) {
      let ourTerm: number;
      try {
        ourTerm = this.term(index);
      } catch (err) {
        if (err instanceof ErrCompacted || err instanceof ErrUnavailable) return [index, 0];
        throw err;
      }
      if (ourTerm <= term) return [index, ourTerm];
    }
    return [0, 0];
  }

  /** Entries not yet persisted (a copy). */
  unstableEntries(): Entry[] {
    return [...this.unstable.entries];
  }

  /** Committed entries not yet handed to the application, bounded in bytes. */
  nextCommittedEntries(): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 > lo) return this.slice(lo, this.committed + 1, this.maxNextCommittedEntriesBytes);
    return [];
  }

  hasNextCommittedEntries(): boolean {
    return this.committed + 1 > Math.max(this.applied + 1, this.firstIndex());
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined && this.unstable.snapshot.metadata.index !== 0;
  }

  /** The newest snapshot (the incoming one if any). */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Advances commit. Invariants: never beyond the last index; never backwards (ignored). */
  commitTo(toCommit: number): void {
    if (this.committed < toCommit) {
      invariant(
        this.lastIndex() >= toCommit,
        () =>
          `tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]. Was the raft log corrupted, truncated, or lost?`,
      );
      this.committed = toCommit;
    }
  }

  /** Records that the application applied up to `i`. Invariant: applied ≤ committed, never backwards. */
  appliedTo(i: number): void {
    if (i === 0) return;
    invariant(
      this.committed >= i && i >= this.applied,
      () => `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`,
    );
    this.applied = i;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  /**
   * Leader: commit `maxIndex` if it is newer and its entry is of the current `term` (Raft §5.4.2:
   * never commit older-term entries by counting replicas). The testing bug drops the term check.
   */
  maybeCommit(maxIndex: number, term: number, commitPreviousTermEntries = false): boolean {
    if (maxIndex > this.committed && (commitPreviousTermEntries || this.zeroTermOnError(maxIndex) === term)) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** Replaces the log with a snapshot. */
  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries from `i` to the end, bounded in bytes. */
  entries(i: number, maxSizeBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSizeBytes);
  }

  /** Entries in [lo, hi), bounded in bytes (at least one). Throws ErrCompacted if lo is compacted. */
  slice(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    invariant(lo <= hi, () => `invalid slice ${lo} > ${hi}`);
    const first = this.firstIndex();
    if (lo < first) throw new ErrCompacted();
    const length = this.lastIndex() + 1 - first;
    invariant(hi <= first + length, () => `slice[${lo},${hi}) out of bound [${first},${this.lastIndex()}]`);
    if (lo === hi) return [];
    let ents: Entry[] = [];
    const offset = this.unstable.offset;
    if (lo < offset) {
      const storedHi = Math.min(hi, offset);
      let stored: Entry[];
      try {
        stored = this.storage.entries(lo, storedHi, maxSizeBytes);
      } catch (err) {
        if (err instanceof ErrUnavailable) {
          throw new ErrUnavailable(`entries[${lo}:${storedHi}) is unavailable from storage`);
        }
        throw err;
      }
      // Storage stopped early because of the size limit: that is all we return.
      if (stored.length < storedHi - lo) return stored;
      ents = stored;
    }
    if (hi > offset) {
      const fresh = this.unstable.slice(Math.max(lo, offset), hi);
      ents = ents.length > 0 ? [...ents, ...fresh] : fresh;
    }
    return limitSize(ents, maxSizeBytes);
  }

  /** Every entry (tests). */
  allEntries(): Entry[] {
    return this.entries(this.firstIndex(), Number.POSITIVE_INFINITY);
  }
}
