/**
 * Unstable: the tail of the log (and possibly an incoming snapshot) that the state machine has
 * accepted but the caller has not yet persisted. It moves to Storage through Ready/advance.
 */
import { invariant } from './errors.js';
import type { Entry, Snapshot } from './types.js';

/**
 * Invariant: `entries[i]` has index `offset + i`; if `snapshot` is set, `offset` is
 * snapshot index + 1 or later.
 */
export class Unstable {
  /** An incoming snapshot not yet persisted. */
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** First index, if a snapshot is pending. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  /** Last index of the unstable entries or of the pending snapshot. */
  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index;
  }

  /** Term of entry `i`, if this part of the log knows it. */
  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === i)
        return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /** Entries up to (i, t) are now persisted. Ignored if the entry was replaced meanwhile. */
  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined) return;
    if (gt === t && i >= this.offset) {
      this.entries = this.entries.slice(i + 1 - this.offset);
      this.offset = i + 1;
    }
  }

  /** The snapshot at `i` is now persisted. */
  stableSnapTo(i: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === i) this.snapshot = undefined;
  }

  /** Replaces everything with a snapshot. */
  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  /** Appends `ents`, truncating any suffix they conflict with. */
  truncateAndAppend(ents: Entry[]): void {
    if (ents.length === 0) return;
    const after = ents[0]!.index;
    if (after === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replace the whole unstable tail (and the stable part from `after` on: storage truncates it on append).
      this.offset = after;
      this.entries = [...ents];
    } else {
      this.entries = [...this.entries.slice(0, after - this.offset), ...ents];
    }
  }

  /** Unstable entries in [lo, hi). */
  slice(lo: number, hi: number): Entry[] {
    invariant(
      lo <= hi && lo >= this.offset && hi <= this.offset + this.entries.length,
      () => `unstable.slice[${lo},${hi}) out of bound [${this.offset},${this.offset + this.entries.length}]`,
    );
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
