/**
 * The storage seam: everything the API server needs from its datastore, spoken over the etcd
 * v3 protocol. `EtcdKvStore` talks to a real etcd or to a Navarch store member (which serves the
 * same gRPC API) through the lean client in etcd-client.ts; nothing else in the apiserver touches
 * the etcd protocol.
 */
import { EtcdClient, type EtcdClientOptions, EtcdWatchCanceledError } from './etcd-client.js';
import {
  decodeRangeResponse,
  decodeTxnResponse,
  encodeCompactionRequest,
  encodeRangeRequest,
  encodeTxnRequest,
  encodeWatchCreate,
  type WireKeyValue,
} from './etcd-wire.js';

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

function toKeyValue(kv: WireKeyValue): KeyValue {
  return {
    key: kv.key.toString(),
    value: kv.value,
    modRevision: kv.modRevision,
    createRevision: kv.createRevision,
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

/** etcd's message for a read or watch below the compact revision. */
const compactedMessage = 'etcdserver: mvcc: required revision has been compacted';

const emptyKey: Buffer = Buffer.alloc(0);

/** `KvStore` over the etcd v3 gRPC API (a real etcd or a Navarch store member). */
export class EtcdKvStore implements KvStore {
  private readonly client: EtcdClient;

  /** `endpoints` are URLs such as `http://127.0.0.1:2379`. */
  constructor(endpoints: readonly string[], options: Partial<EtcdClientOptions> = {}) {
    this.client = new EtcdClient(endpoints, {
      connectTimeoutMs: 5000,
      leaderCheckMs: 3000,
      // Range pages carry many objects of up to 3 MiB each; gRPC's usual 4 MiB limit would fail
      // a page of large objects.
      maxReceiveBytes,
      ...options,
    });
  }

  /** The endpoint calls go to first: the Raft leader's once the client has found it. */
  get preferredEndpoint(): string {
    return this.client.preferredEndpoint;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.rangeCall(encodeRangeRequest(storeKeyBytes(key), emptyKey, 0, 0));
    const kv = res.kvs[0];
    return kv ? toKeyValue(kv) : undefined;
  }

  async range(start: string, end: string, limit: number, revision: number): Promise<RangeResult> {
    const res = await this.rangeCall(
      encodeRangeRequest(storeKeyBytes(start), storeKeyBytes(end), limit, revision),
    );
    return { kvs: res.kvs.map(toKeyValue), more: res.more, revision: res.revision };
  }

  async txn(compares: readonly Compare[], writes: readonly WriteOp[]): Promise<TxnResult> {
    const request = encodeTxnRequest(
      compares.map((c) => ({ ...c, key: storeKeyBytes(c.key) })),
      writes.map((w) =>
        'put' in w ? { put: storeKeyBytes(w.put), value: w.value } : { delete: storeKeyBytes(w.delete) },
      ),
      compares.map((c) => ({ range: storeKeyBytes(c.key) })),
    );
    const res = decodeTxnResponse(await this.client.unary('/etcdserverpb.KV/Txn', request, 'write'));
    const current: (KeyValue | undefined)[] = [];
    if (!res.succeeded) {
      for (const kvs of res.responses) {
        const kv = kvs[0];
        current.push(kv ? toKeyValue(kv) : undefined);
      }
    }
    return { succeeded: res.succeeded, revision: res.revision, current };
  }

  async watch(
    prefix: string,
    fromRevision: number,
    onEvents: (events: StoreEvent[]) => void,
    onError: (err: Error) => void,
  ): Promise<StoreWatch> {
    const key = storeKeyBytes(prefix);
    const end = storeKeyBytes(prefixEnd(prefix));
    const canceled = (err: Error) =>
      err instanceof EtcdWatchCanceledError && err.compactRevision > 0
        ? new CompactedError(compactedMessage)
        : err;
    try {
      const watch = await this.client.watch(
        fromRevision,
        (startRevision) => encodeWatchCreate(key, end, startRevision, true),
        {
          onEvents: (wireEvents) => {
            const events: StoreEvent[] = [];
            for (const e of wireEvents) {
              const isDelete = e.type === 'delete';
              events.push({
                type: e.type,
                key: e.kv.key.toString(),
                value: isDelete ? (e.prevKv?.value ?? emptyKey) : e.kv.value,
                prevValue: e.prevKv?.value,
                modRevision: e.kv.modRevision,
                createRevision: e.kv.createRevision,
              });
            }
            onEvents(events);
          },
          onError: (err) => onError(canceled(err)),
        },
      );
      return { cancel: async () => watch.cancel() };
    } catch (err) {
      throw err instanceof Error ? canceled(err) : err;
    }
  }

  async currentRevision(): Promise<number> {
    const res = await this.rangeCall(encodeRangeRequest(Buffer.from('\0'), emptyKey, 1, 0, true));
    return res.revision;
  }

  async compact(revision: number): Promise<void> {
    await this.client.unary('/etcdserverpb.KV/Compact', encodeCompactionRequest(revision, true), 'write');
  }

  close(): void {
    this.client.close();
  }

  /** A Range call; a revision below the compact revision is a `CompactedError`. */
  private async rangeCall(request: Buffer) {
    try {
      return decodeRangeResponse(await this.client.unary('/etcdserverpb.KV/Range', request, 'read'));
    } catch (err) {
      if (isCompaction(err)) throw new CompactedError(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }
}
