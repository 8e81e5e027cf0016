/**
 * The in-memory index of the MVCC store: for every key, its revisions in order (etcd's keyIndex
 * with its generations flattened: a tombstone ends a generation). Keys are held as latin1 strings,
 * whose code units are the key's bytes, so JavaScript string order is etcd's byte order.
 */
import { crc32 } from 'node:zlib';
import { encodeRecord, type RevisionRecord } from './codec.js';
import type { KeyValue, MvccEvent } from './types.js';

/** A key's revisions, oldest first. Invariant: ordered by (modRevision, sub); never empty while indexed. */
export type KeyHistory = RevisionRecord[];

/** Index key of a key's bytes. */
export function indexKey(key: Buffer): string {
  return key.toString('latin1');
}

function lowerBound(sorted: readonly string[], target: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as string) < target) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The record of `history` visible at `revision`, or null when the key did not exist then. */
export function visibleAt(history: KeyHistory, revision: number): RevisionRecord | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const record = history[i] as RevisionRecord;
    if (record.modRevision <= revision) return record.tombstone ? null : record;
  }
  return null;
}

/** Ordered index of every key's history. */
export class KeyIndex {
  private readonly histories = new Map<string, KeyHistory>();
  private sortedKeys: string[] = [];

  /** Number of keys with at least one retained revision (including deleted ones not yet compacted). */
  get size(): number {
    return this.histories.size;
  }

  /** The history of one key, if indexed. */
  history(key: Buffer): KeyHistory | undefined {
    return this.histories.get(indexKey(key));
  }

  /** Appends a record; its revision must be newer than every record of its key. */
  append(record: RevisionRecord): void {
    const name = indexKey(record.key);
    const history = this.histories.get(name);
    if (history === undefined) {
      this.histories.set(name, [record]);
      const position = lowerBound(this.sortedKeys, name);
      this.sortedKeys.splice(position, 0, name);
      return;
    }
    const last = history[history.length - 1] as RevisionRecord;
    if (
      last.modRevision > record.modRevision ||
      (last.modRevision === record.modRevision && last.sub >= record.sub)
    ) {
      throw new Error(
        `mvcc: revision ${record.modRevision}.${record.sub} is not after ${last.modRevision}.${last.sub}`,
      );
    }
    history.push(record);
  }

  /**
   * Histories of the keys in a range, in key order. `rangeEnd` empty: only `key`; `rangeEnd` = [0]:
   * every key >= `key`; otherwise [key, rangeEnd).
   */
  *range(key: Buffer, rangeEnd: Buffer): Generator<KeyHistory> {
    if (rangeEnd.length === 0) {
      const history = this.histories.get(indexKey(key));
      if (history !== undefined) yield history;
      return;
    }
    const start = indexKey(key);
    const toEnd = rangeEnd.length === 1 && rangeEnd[0] === 0;
    const end = toEnd ? '' : indexKey(rangeEnd);
    if (!toEnd && end <= start) return;
    const keys = this.sortedKeys;
    for (let i = lowerBound(keys, start); i < keys.length; i++) {
      const name = keys[i] as string;
      if (!toEnd && name >= end) return;
      const history = this.histories.get(name);
      if (history !== undefined) yield history;
    }
  }

  /** Every history in key order. */
  *all(): Generator<KeyHistory> {
    for (const name of this.sortedKeys) {
      const history = this.histories.get(name);
      if (history !== undefined) yield history;
    }
  }

  /**
   * Drops every revision that no read at or after `revision` can see: per key, the revisions older
   * than the one visible at `revision`, and that one too when it is a tombstone. Returns the dropped
   * records (to delete them from disk).
   */
  compact(revision: number): RevisionRecord[] {
    const dropped: RevisionRecord[] = [];
    let emptied = false;
    for (const [name, history] of this.histories) {
      let keep = -1;
      for (let i = history.length - 1; i >= 0; i--) {
        if ((history[i] as RevisionRecord).modRevision <= revision) {
          keep = i;
          break;
        }
      }
      if (keep < 0) continue;
      const visible = history[keep] as RevisionRecord;
      const cut = visible.tombstone ? keep + 1 : keep;
      if (cut === 0) continue;
      dropped.push(...history.splice(0, cut));
      if (history.length === 0) {
        this.histories.delete(name);
        emptied = true;
      }
    }
    if (emptied) this.sortedKeys = this.sortedKeys.filter((name) => this.histories.has(name));
    return dropped;
  }

  /** Removes everything. */
  clear(): void {
    this.histories.clear();
    this.sortedKeys = [];
  }
}

/** The KeyValue a record shows to clients. */
export function toKeyValue(record: RevisionRecord): KeyValue {
  return {
    key: record.key,
    createRevision: record.createRevision,
    modRevision: record.modRevision,
    version: record.version,
    value: record.value,
    lease: record.lease,
  };
}

/**
 * Events of the keys in [key, rangeEnd) with revision >= `fromRevision`, in revision order, each
 * with the key's previous value when it is retained (watch catch-up).
 */
export function historyEvents(
  index: KeyIndex,
  key: Buffer,
  rangeEnd: Buffer,
  fromRevision: number,
): Array<{ revision: number; event: MvccEvent }> {
  const out: Array<{ revision: number; sub: number; event: MvccEvent }> = [];
  for (const history of index.range(key, rangeEnd)) {
    for (let i = history.length - 1; i >= 0; i--) {
      const record = history[i] as RevisionRecord;
      if (record.modRevision < fromRevision) break;
      const previous = i > 0 ? (history[i - 1] as RevisionRecord) : null;
      const prevKv = previous !== null && !previous.tombstone ? toKeyValue(previous) : null;
      out.push({
        revision: record.modRevision,
        sub: record.sub,
        event: { type: record.tombstone ? 'DELETE' : 'PUT', kv: toKeyValue(record), prevKv },
      });
    }
  }
  out.sort((a, b) => a.revision - b.revision || a.sub - b.sub);
  return out.map(({ revision, event }) => ({ revision, event }));
}

/** CRC-32 of the encoding of every retained record up to `revision`, in key then revision order. */
export function hashRecords(index: KeyIndex, revision: number): number {
  let hash = 0;
  for (const history of index.all()) {
    for (const record of history) {
      if (record.modRevision <= revision) hash = crc32(encodeRecord(record), hash);
    }
  }
  return hash >>> 0;
}
