/**
 * The API server's storage on the embedded store member, in process: reads, transactions and
 * watches go straight to the member's Consensus and MVCC store, as the member's own etcd v3
 * service does for a gRPC client (packages/store/src/api/kv.ts), instead of through that service
 * over loopback. In one Node.js thread the gRPC path cost the client and the server half of the
 * same call, on every request and every watch event; this path costs neither. The member still
 * serves etcd v3 on its client URL for etcdctl and for other clients.
 *
 * Same semantics as over gRPC: reads are linearizable (a ReadIndex barrier first), a write is
 * acknowledged once committed and applied, requests above the member's size limit and writes
 * beyond its backend quota are refused with etcd's errors, and a read or watch below the compact
 * revision throws `CompactedError`.
 */
import {
  CompactedError,
  type Compare,
  type KeyValue,
  type KvStore,
  prefixEnd,
  type RangeResult,
  type StoreEvent,
  type StoreWatch,
  storeKeyBytes,
  type TxnResult,
  type WriteOp,
} from '@navarch/apiserver';
import {
  type Consensus,
  EtcdErrors,
  type Compare as MvccCompare,
  MvccError,
  MvccErrorCode,
  type MvccEvent,
  type KeyValue as MvccKeyValue,
  type MvccRequest,
  type MvccResult,
  type MvccStore,
  type ProposalLimits,
  proposeMvccRequest,
  type RangeRequest,
  type RequestOp,
  rangeRequest,
  WatchHub,
} from '@navarch/store';

const empty = Buffer.alloc(0);

function rangeOf(key: Buffer, rangeEnd: Buffer, limit: number, revision: number): RangeRequest {
  return rangeRequest(key, rangeEnd, { limit, revision });
}

function toKeyValue(kv: MvccKeyValue): KeyValue {
  return {
    key: kv.key.toString(),
    value: kv.value,
    modRevision: kv.modRevision,
    createRevision: kv.createRevision,
  };
}

function toStoreEvent(e: MvccEvent): StoreEvent {
  const isDelete = e.type === 'DELETE';
  return {
    type: isDelete ? 'delete' : 'put',
    key: e.kv.key.toString(),
    value: isDelete ? (e.prevKv?.value ?? empty) : e.kv.value,
    prevValue: e.prevKv?.value,
    modRevision: e.kv.modRevision,
    createRevision: e.kv.createRevision,
  };
}

/** etcd's error for an MVCC rejection; a compaction is the apiserver's typed CompactedError. */
function mvccError(code: MvccErrorCode): Error {
  switch (code) {
    case MvccErrorCode.Compacted:
      return new CompactedError(EtcdErrors.compacted().message);
    case MvccErrorCode.FutureRevision:
      return EtcdErrors.futureRevision();
    case MvccErrorCode.NoSpace:
      return EtcdErrors.noSpace();
    default:
      return new Error(`etcdserver: ${code}`);
  }
}

/** `KvStore` over an embedded member's Consensus and MVCC store. */
export class LocalKvStore implements KvStore {
  /** A hub of our own on the store: the gRPC service's hub belongs to its streams. */
  private readonly hub: WatchHub;
  private readonly watches = new Set<() => void>();

  constructor(
    private readonly consensus: Consensus,
    private readonly store: MvccStore,
    private readonly limits: ProposalLimits,
  ) {
    this.hub = new WatchHub(store);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    await this.consensus.readIndex();
    const kv = this.store.range(rangeOf(storeKeyBytes(key), empty, 0, 0)).kvs[0];
    return kv ? toKeyValue(kv) : undefined;
  }

  async range(start: string, end: string, limit: number, revision: number): Promise<RangeResult> {
    await this.consensus.readIndex();
    try {
      const res = this.store.range(rangeOf(storeKeyBytes(start), storeKeyBytes(end), limit, revision));
      return { kvs: res.kvs.map(toKeyValue), more: res.more, revision: this.store.currentRevision() };
    } catch (err) {
      if (err instanceof MvccError) throw mvccError(err.code);
      throw err;
    }
  }

  async txn(compares: readonly Compare[], writes: readonly WriteOp[]): Promise<TxnResult> {
    const compare = compares.map(
      (c): MvccCompare => ({
        result: 'EQUAL',
        target: c.target === 'mod' ? 'MOD' : 'VALUE',
        key: storeKeyBytes(c.key),
        rangeEnd: empty,
        version: 0,
        createRevision: 0,
        modRevision: c.target === 'mod' ? c.equals : 0,
        value: c.target === 'value' ? c.equals : empty,
        lease: '0',
      }),
    );
    const success = writes.map(
      (w): RequestOp =>
        'put' in w
          ? {
              type: 'put',
              put: {
                key: storeKeyBytes(w.put),
                value: w.value,
                lease: '0',
                prevKv: false,
                ignoreValue: false,
                ignoreLease: false,
              },
            }
          : {
              type: 'deleteRange',
              deleteRange: { key: storeKeyBytes(w.delete), rangeEnd: empty, prevKv: false },
            },
    );
    const failure = compare.map((c): RequestOp => ({ type: 'range', range: rangeOf(c.key, empty, 0, 0) }));
    const result = await this.propose({ type: 'txn', txn: { compare, success, failure } });
    const txn = result.txn ?? { succeeded: false, responses: [] };
    const current: (KeyValue | undefined)[] = [];
    if (!txn.succeeded) {
      for (const r of txn.responses) {
        const kv = r.type === 'range' ? r.range.kvs[0] : undefined;
        current.push(kv ? toKeyValue(kv) : undefined);
      }
    }
    return { succeeded: txn.succeeded, revision: result.revision, current };
  }

  async watch(
    prefix: string,
    fromRevision: number,
    onEvents: (events: StoreEvent[]) => void,
    onError: (err: Error) => void,
  ): Promise<StoreWatch> {
    // The hub calls back inside the store's apply (and, for history, inside watch()): hand the
    // events over on a microtask, in order, so that the API server's fan-out never runs inside
    // the Raft driver's apply loop.
    let pending: StoreEvent[] = [];
    let cancelled = false;
    const flush = () => {
      const events = pending;
      pending = [];
      if (!cancelled && events.length > 0) onEvents(events);
    };
    const key = storeKeyBytes(prefix);
    const watcher = this.hub.watch(
      {
        key,
        rangeEnd: storeKeyBytes(prefixEnd(prefix)),
        startRevision: fromRevision,
        prevKv: true,
        noPut: false,
        noDelete: false,
      },
      (batch) => {
        if (pending.length === 0) queueMicrotask(flush);
        for (const e of batch.events) pending.push(toStoreEvent(e));
      },
      () => {
        queueMicrotask(() => {
          if (cancelled) return;
          cancelled = true;
          this.watches.delete(cancel);
          onError(new CompactedError(EtcdErrors.compacted().message));
        });
      },
    );
    if (watcher === 'compacted') throw new CompactedError(EtcdErrors.compacted().message);
    const cancel = () => {
      cancelled = true;
      watcher.cancel();
    };
    this.watches.add(cancel);
    return {
      cancel: async () => {
        this.watches.delete(cancel);
        cancel();
      },
    };
  }

  async currentRevision(): Promise<number> {
    await this.consensus.readIndex();
    return this.store.currentRevision();
  }

  async compact(revision: number): Promise<void> {
    await this.propose({ type: 'compact', revision });
  }

  close(): void {
    for (const cancel of this.watches) cancel();
    this.watches.clear();
  }

  /** Through the store's own gate (size limit, quota), with compaction as CompactedError. */
  private async propose(request: MvccRequest): Promise<MvccResult> {
    const result = await proposeMvccRequest(this.consensus, this.store, this.limits, request);
    if (result.error !== undefined) throw mvccError(result.error);
    return result;
  }
}
