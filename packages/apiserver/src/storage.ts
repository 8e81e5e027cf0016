/**
 * The storage seam: everything the API server needs from its datastore, spoken over the etcd
 * v3 protocol. `EtcdKvStore` talks to a real etcd or to a Navarch store member (which serves the
 * same gRPC API); nothing else in the apiserver touches the etcd client.
 */
import { Etcd3, type IKeyValue, type IOptions, type IRequestOp, type Watcher } from 'etcd3';

/** One stored key at one revision. */
export interface KeyValue {
  readonly key: string;
  readonly value: Buffer;
  /** Revision of the last write to this key; the object's resourceVersion. */
  readonly modRevision: number;
  readonly createRevision: number;
}

/** A page of a range read. */
export interface RangeResult {
  readonly kvs: KeyValue[];
  /** True when keys beyond `limit` remain in the range. */
  readonly more: boolean;
  /** Store revision the read observed. */
  readonly revision: number;
}

/** A compare in a transaction: the key's mod revision (0 = absent) or value must match. */
export type Compare =
  | { readonly key: string; readonly target: 'mod'; readonly equals: number }
  | { readonly key: string; readonly target: 'value'; readonly equals: Buffer };

/** A write in a transaction. */
export type WriteOp = { readonly put: string; readonly value: Buffer } | { readonly delete: string };

/** Outcome of a transaction; `revision` is the store revision after it (the writes' mod revision). */
export interface TxnResult {
  readonly succeeded: boolean;
  readonly revision: number;
  /** On failure, the current value of each compared key (undefined when absent), in compare order. */
  readonly current: (KeyValue | undefined)[];
}

/** One change seen by a watch. */
export interface StoreEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** The new value (put) or the last value before deletion (delete). */
  readonly value: Buffer;
  /** The value before this change, when there was one. */
  readonly prevValue: Buffer | undefined;
  readonly modRevision: number;
  /** Creation revision of the key (equal to modRevision for the put that created it). */
  readonly createRevision: number;
}

/** A running store watch; `cancel` stops delivery. */
export interface StoreWatch {
  cancel(): Promise<void>;
}

/** Thrown when a read or watch asks for a revision the store has compacted away. */
export class CompactedError extends Error {
  readonly code = 'NAVARCH_ERR_COMPACTED';
  constructor(message: string) {
    super(message);
    this.name = 'CompactedError';
  }
}

/** What the API server needs from a datastore. One implementation per protocol; today etcd v3. */
export interface KvStore {
  get(key: string): Promise<KeyValue | undefined>;
  /** Keys in [start, end) in key order, at `revision` (0 = latest), at most `limit` (0 = all). */
  range(start: string, end: string, limit: number, revision: number): Promise<RangeResult>;
  txn(compares: readonly Compare[], writes: readonly WriteOp[]): Promise<TxnResult>;
  /** Watches keys under `prefix` from `fromRevision` (inclusive); `onError` ends the watch. */
  watch(
    prefix: string,
    fromRevision: number,
    onEvents: (events: StoreEvent[]) => void,
    onError: (err: Error) => void,
  ): Promise<StoreWatch>;
  /** The current store revision. */
  currentRevision(): Promise<number>;
  /** Compacts history before `revision` (tests and maintenance). */
  compact(revision: number): Promise<void>;
  close(): void;
}

/** The exclusive end of a prefix range (etcd's `prefix + 1` rule). */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix);
  for (let i = bytes.length - 1; i >= 0; i--) {
    const b = bytes[i]!;
    if (b < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = b + 1;
      return end.toString('latin1');
    }
  }
  return '\0';
}

function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString(),
    value: kv.value,
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
  };
}

/** The bytes of a store key (every `KvStore` encodes keys this way). */
export function storeKeyBytes(key: string): Buffer {
  // prefixEnd may produce a latin1 string for a 0xff-terminated prefix; everything else is UTF-8.
  return Buffer.from(key, /[\u0080-\u00ff]$/.test(key) ? 'latin1' : 'utf8');
}

function isCompaction(err: unknown): boolean {
  return err instanceof Error && /compacted/i.test(err.message);
}

/** Largest gRPC response accepted from the store. */
const maxReceiveBytes = 1024 * 1024 * 1024;

/** `KvStore` over the etcd v3 gRPC API (a real etcd or a Navarch store member). */
export class EtcdKvStore implements KvStore {
  private readonly client: Etcd3;

  /** `endpoints` are URLs such as `http://127.0.0.1:2379`. */
  constructor(endpoints: readonly string[], options: Partial<IOptions> = {}) {
    this.client = new Etcd3({
      hosts: [...endpoints],
      dialTimeout: 5000,
      // Range pages carry many objects of up to 3 MiB each; gRPC's default 4 MiB receive limit
      // would fail a page of large objects (and trip the client's circuit breaker).
      grpcOptions: { 'grpc.max_receive_message_length': maxReceiveBytes },
      ...options,
    });
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.client.kv.range({ key: storeKeyBytes(key) });
    const kv = res.kvs[0];
    return kv ? toKeyValue(kv) : undefined;
  }

  async range(start: string, end: string, limit: number, revision: number): Promise<RangeResult> {
    try {
      const res = await this.client.kv.range({
        key: storeKeyBytes(start),
        range_end: storeKeyBytes(end),
        limit,
        revision,
      });
      return { kvs: res.kvs.map(toKeyValue), more: res.more, revision: Number(res.header.revision) };
    } catch (err) {
      if (isCompaction(err)) throw new CompactedError(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  async txn(compares: readonly Compare[], writes: readonly WriteOp[]): Promise<TxnResult> {
    const res = await this.client.kv.txn({
      compare: compares.map((c) =>
        c.target === 'mod'
          ? { key: storeKeyBytes(c.key), target: 'Mod', result: 'Equal', mod_revision: c.equals }
          : { key: storeKeyBytes(c.key), target: 'Value', result: 'Equal', value: c.equals },
      ),
      success: writes.map(
        (w): IRequestOp =>
          'put' in w
            ? { request_put: { key: storeKeyBytes(w.put), value: w.value } }
            : { request_delete_range: { key: storeKeyBytes(w.delete) } },
      ),
      failure: compares.map((c): IRequestOp => ({ request_range: { key: storeKeyBytes(c.key) } })),
    });
    const current: (KeyValue | undefined)[] = [];
    if (!res.succeeded) {
      for (const r of res.responses) {
        const kv = r.response_range?.kvs[0];
        current.push(kv ? toKeyValue(kv) : undefined);
      }
    }
    return { succeeded: res.succeeded, revision: Number(res.header.revision), current };
  }

  async watch(
    prefix: string,
    fromRevision: number,
    onEvents: (events: StoreEvent[]) => void,
    onError: (err: Error) => void,
  ): Promise<StoreWatch> {
    const watcher: Watcher = await this.client
      .watch()
      .prefix(prefix)
      .withPreviousKV()
      .startRevision(String(fromRevision))
      .create();
    watcher.on('data', (res) => {
      const events: StoreEvent[] = [];
      for (const e of res.events) {
        const kv = e.kv;
        const isDelete = String(e.type) === 'Delete' || String(e.type) === '1';
        events.push({
          type: isDelete ? 'delete' : 'put',
          key: kv.key.toString(),
          value: isDelete ? (e.prev_kv?.value ?? Buffer.alloc(0)) : kv.value,
          prevValue: e.prev_kv?.value,
          modRevision: Number(kv.mod_revision),
          createRevision: Number(kv.create_revision),
        });
      }
      if (events.length > 0) onEvents(events);
    });
    watcher.on('error', (err) => {
      onError(isCompaction(err) ? new CompactedError(err.message) : err);
    });
    return { cancel: () => watcher.cancel() };
  }

  async currentRevision(): Promise<number> {
    const res = await this.client.kv.range({ key: Buffer.from('\0'), limit: 1, keys_only: true });
    return Number(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    await this.client.kv.compact({ revision, physical: true });
  }

  close(): void {
    this.client.close();
  }
}
