/**
 * Batch writes of one sublevel sent straight to classic-level's native batch.
 *
 * abstract-level's public `batch()` validates, clones and re-encodes every operation, twice for a
 * sublevel (once for the sublevel, once for its root database), before the native call. Measured
 * on this project's write shapes that is 20-70 µs of event-loop time per operation, against about
 * 3 µs for the native call itself; with several operations per client write on every member (the
 * Raft log entry, the hard state, the MVCC records) it was the largest single cost of a write.
 *
 * This writer adds the sublevel's prefix itself and calls the database's `_batch`, the method
 * abstract-level's documented implementer API ends in, with the same bytes the public path would
 * produce: the sublevel's own get, iterator and clear read them as usual. Whenever that path is
 * not available (another abstract-level implementation, or a database that is not open, where
 * the public path raises abstract-level's own error), it falls back to the sublevel's `batch()`.
 */

/** One write of a batch, in the sublevel's own key space (the prefix is added here). */
export type DirectOperation =
  | { type: 'put'; key: string | Uint8Array; value: Uint8Array }
  | { type: 'del'; key: string | Uint8Array };

/** The sublevel shape the writer needs (any abstract-level sublevel has it). */
export interface PrefixedSublevel<Key> {
  readonly prefix: string;
  readonly db: unknown;
  batch(
    operations: Array<{ type: 'put'; key: Key; value: Uint8Array } | { type: 'del'; key: Key }>,
    options?: { sync?: boolean },
  ): Promise<void>;
}

/** The implementer method of classic-level that every public batch ends in. */
interface NativeBatchDatabase {
  readonly status: string;
  _batch(operations: DirectOperation[], options: { sync: boolean }): Promise<void>;
}

function nativeBatchDatabase(db: unknown): NativeBatchDatabase | undefined {
  const candidate = db as Partial<NativeBatchDatabase> | null;
  return candidate !== null && typeof candidate?._batch === 'function' && typeof candidate.status === 'string'
    ? (candidate as NativeBatchDatabase)
    : undefined;
}

/**
 * Returns a batch function for `sublevel`. Keys are strings for a sublevel with utf8 keys, bytes
 * for one with buffer/view keys; the caller keeps to one kind per sublevel.
 */
export function directBatch<Key extends string | Uint8Array>(
  sublevel: PrefixedSublevel<Key>,
): (
  operations: Array<{ type: 'put'; key: Key; value: Uint8Array } | { type: 'del'; key: Key }>,
  options: { sync: boolean },
) => Promise<void> {
  const root = nativeBatchDatabase(sublevel.db);
  if (root === undefined) return (operations, options) => sublevel.batch(operations, options);
  const prefix = sublevel.prefix;
  const prefixBytes = Buffer.from(prefix, 'utf8');
  const prefixed = (key: string | Uint8Array): string | Uint8Array => {
    if (typeof key === 'string') return prefix + key;
    const out = Buffer.allocUnsafe(prefixBytes.length + key.byteLength);
    prefixBytes.copy(out, 0);
    out.set(key, prefixBytes.length);
    return out;
  };
  return async (operations, options) => {
    if (root.status !== 'open') return await sublevel.batch(operations, options);
    if (operations.length === 0) return;
    const native: DirectOperation[] = new Array(operations.length);
    for (let i = 0; i < operations.length; i++) {
      const operation = operations[i]!;
      native[i] =
        operation.type === 'put'
          ? { type: 'put', key: prefixed(operation.key), value: operation.value }
          : { type: 'del', key: prefixed(operation.key) };
    }
    await root._batch(native, { sync: options.sync });
  };
}
