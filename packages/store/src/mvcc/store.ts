/**
 * The MVCC key-value store: etcd's mvcc + lease bookkeeping + alarms, as a deterministic
 * {@link StateMachine}. Every committed request is applied synchronously in memory (no clock, no
 * randomness); changes and the applied index go to LevelDB together, in the background, in batches
 * (one write serves every apply made while the previous write was in flight). Reads are served from
 * memory. On open, the store rebuilds memory from LevelDB.
 */
import type { StateMachine, StateMachineSnapshot } from '../consensus.js';
import { decodeRecord, encodeRecord, type RevisionRecord, recordSizeBytes, revisionKey } from './codec.js';
import { compareKeyValue, shapeRange, txnHasPut } from './compare.js';
import { hashRecords, historyEvents, indexKey, KeyIndex, toKeyValue, visibleAt } from './key-index.js';
import {
  decodeSnapshot,
  encodeBackup,
  encodeSnapshot,
  type MvccBatchOperation,
  type MvccDatabase,
  type SnapshotMeta,
  WriteBehind,
} from './persistence.js';
import { decodeRequest, encodeResult } from './request-codec.js';
import {
  type AlarmMember,
  type DeleteRangeRequest,
  type DeleteRangeResult,
  type KeyValue,
  MvccError,
  MvccErrorCode,
  type MvccEvent,
  type MvccRequest,
  type MvccResult,
  type PutRequest,
  type PutResult,
  type RangeRequest,
  type RangeResult,
  type RequestOp,
  type ResponseOp,
  type TxnRequest,
  type TxnResult,
} from './types.js';

/** Options of {@link MvccStore}. */
export interface MvccStoreOptions {
  /** The store's own LevelDB keyspace. */
  db: MvccDatabase;
  /**
   * Leases granted with a shorter TTL get this one. Default 1. Part of the replicated semantics:
   * every member must use the same value (the API raises short TTLs before proposing instead).
   */
  minLeaseTtlSeconds?: number;
}

/** A lease as the state machine knows it; expiry is the lessor's business, not the state's. */
export interface LeaseRecord {
  id: string;
  ttlSeconds: number;
  /** Index keys (latin1) of the keys attached to the lease. */
  keys: Set<string>;
}

/** A lease change seen by apply, for the lessor. */
export interface LeaseChange {
  type: 'grant' | 'renew' | 'revoke';
  id: string;
  ttlSeconds: number;
}

/** Largest TTL etcd accepts (MaxLeaseTTL). */
export const MAX_LEASE_TTL_SECONDS = 9_000_000_000;

const META_APPLIED = Buffer.from('mi');
const META_REVISION = Buffer.from('mr');
const META_COMPACT = Buffer.from('mc');
const META_ALARMS = Buffer.from('ma');
const LEASE_PREFIX = 0x6c; // 'l'
const RECORD_PREFIX = 0x72; // 'r'
const EMPTY = new Uint8Array(0);

function u64(value: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
}

function leaseKey(id: string): Buffer {
  return Buffer.concat([Buffer.from([LEASE_PREFIX]), Buffer.from(id, 'latin1')]);
}

/**
 * Runs a listener; its failure must not abort an apply whose changes are already made (the state
 * machine would diverge from its peers), so it is reported on the process instead.
 */
function notify(call: () => void): void {
  try {
    call();
  } catch (error) {
    process.emitWarning(
      `mvcc: a change listener failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

interface TxnPlan {
  succeeded: boolean;
  /** Plans of nested transactions, by position in the chosen branch. */
  nested: Map<number, TxnPlan>;
}

/** The MVCC state machine. Call {@link open} before anything else. */
export class MvccStore implements StateMachine {
  private readonly db: MvccDatabase;
  private readonly minLeaseTtlSeconds: number;
  private readonly index = new KeyIndex();
  private readonly leaseTable = new Map<string, LeaseRecord>();
  private alarmList: AlarmMember[] = [];
  private applied = 0;
  private revision = 1;
  private compacted = 0;
  private size = 0;

  // Write in progress inside one apply: changes share revision `revision + 1`.
  private changes = 0;
  private events: MvccEvent[] = [];
  private leaseChanges: LeaseChange[] = [];

  private readonly writer: WriteBehind;
  private readonly changeListeners = new Set<(revision: number, events: MvccEvent[]) => void>();
  private readonly leaseListeners = new Set<(change: LeaseChange) => void>();
  private readonly restoreListeners = new Set<() => void>();

  constructor(options: MvccStoreOptions) {
    this.db = options.db;
    this.writer = new WriteBehind(options.db, () => this.metaOperations());
    this.minLeaseTtlSeconds = options.minLeaseTtlSeconds ?? 1;
  }

  /** Loads the persisted state into memory. */
  async open(): Promise<void> {
    this.resetMemory();
    const records: RevisionRecord[] = [];
    for await (const [key, value] of this.db.iterator()) {
      if (key[0] === RECORD_PREFIX) records.push(decodeRecord(value));
      else if (key[0] === LEASE_PREFIX) {
        const lease = JSON.parse(value.toString('utf8')) as { id: string; ttlSeconds: number };
        this.leaseTable.set(lease.id, { id: lease.id, ttlSeconds: lease.ttlSeconds, keys: new Set() });
      } else if (key.equals(META_APPLIED)) this.applied = Number(value.readBigUInt64BE(0));
      else if (key.equals(META_REVISION)) this.revision = Number(value.readBigUInt64BE(0));
      else if (key.equals(META_COMPACT)) this.compacted = Number(value.readBigUInt64BE(0));
      else if (key.equals(META_ALARMS)) this.alarmList = JSON.parse(value.toString('utf8')) as AlarmMember[];
    }
    this.loadRecords(records);
  }

  private resetMemory(): void {
    this.index.clear();
    this.leaseTable.clear();
    this.alarmList = [];
    this.applied = 0;
    // etcd's empty store is at revision 1; the first write makes revision 2.
    this.revision = 1;
    this.compacted = 0;
    this.size = 0;
  }

  private loadRecords(records: RevisionRecord[]): void {
    for (const record of records) {
      this.index.append(record);
      this.size += recordSizeBytes(record);
      if (record.modRevision > this.revision) this.revision = record.modRevision;
    }
    for (const history of this.index.all()) {
      const latest = history[history.length - 1] as RevisionRecord;
      if (!latest.tombstone && latest.lease !== '0') {
        this.leaseTable.get(latest.lease)?.keys.add(indexKey(latest.key));
      }
    }
  }

  // ---- StateMachine ----

  appliedIndex(): number {
    return this.applied;
  }

  apply(index: number, request: Uint8Array | null, wantResult: boolean): Uint8Array {
    if (index !== this.applied + 1) {
      throw new Error(
        `mvcc: apply of index ${index} after ${this.applied}: entries must be applied in order`,
      );
    }
    let output: Uint8Array = EMPTY;
    if (request !== null && request.length > 0) {
      const result = this.execute(decodeRequest(request));
      // Only the proposer reads the result; every other member would encode it for nothing.
      if (wantResult) output = encodeResult(result);
    }
    this.applied = index;
    this.writer.kick();
    return output;
  }

  async flush(): Promise<number> {
    const index = this.applied;
    await this.writer.flush();
    return index;
  }

  snapshot(): StateMachineSnapshot {
    const meta: SnapshotMeta = {
      format: 1,
      applied: this.applied,
      revision: this.revision,
      compacted: this.compacted,
      alarms: this.alarmList,
      leases: [...this.leaseTable.values()].map((lease) => ({ id: lease.id, ttlSeconds: lease.ttlSeconds })),
    };
    const index = this.index;
    function* records(): Generator<RevisionRecord> {
      for (const history of index.all()) yield* history;
    }
    return { index: this.applied, data: encodeSnapshot(meta, records()) };
  }

  async restore(snapshot: StateMachineSnapshot): Promise<void> {
    const { meta, records } = decodeSnapshot(snapshot.data);
    await this.writer.idle();
    this.writer.discard();
    await this.db.clear();
    this.resetMemory();
    for (const lease of meta.leases) {
      this.leaseTable.set(lease.id, { id: lease.id, ttlSeconds: lease.ttlSeconds, keys: new Set() });
    }
    this.alarmList = meta.alarms;
    this.loadRecords(records);
    this.revision = Math.max(this.revision, meta.revision);
    this.compacted = meta.compacted;
    this.applied = snapshot.index;
    const operations: MvccBatchOperation[] = [];
    for (const record of records) {
      operations.push({
        type: 'put',
        key: revisionKey(record.modRevision, record.sub),
        value: encodeRecord(record),
      });
      if (operations.length >= 10_000) await this.db.batch(operations.splice(0), { sync: false });
    }
    for (const lease of meta.leases) {
      operations.push({ type: 'put', key: leaseKey(lease.id), value: Buffer.from(JSON.stringify(lease)) });
    }
    operations.push({ type: 'put', key: META_ALARMS, value: Buffer.from(JSON.stringify(this.alarmList)) });
    await this.db.batch([...operations, ...this.metaOperations()], { sync: true });
    for (const listener of this.restoreListeners) notify(() => listener());
  }

  // ---- persistence ----

  private metaOperations(): MvccBatchOperation[] {
    return [
      { type: 'put', key: META_APPLIED, value: u64(this.applied) },
      { type: 'put', key: META_REVISION, value: u64(this.revision) },
      { type: 'put', key: META_COMPACT, value: u64(this.compacted) },
    ];
  }

  // ---- listeners ----

  /** Subscribes to the events of every applied write; returns an unsubscribe function. */
  onChange(listener: (revision: number, events: MvccEvent[]) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Subscribes to applied lease grants, renewals and revocations. */
  onLease(listener: (change: LeaseChange) => void): () => void {
    this.leaseListeners.add(listener);
    return () => this.leaseListeners.delete(listener);
  }

  /** Subscribes to {@link restore}: every derived view must be rebuilt. */
  onRestore(listener: () => void): () => void {
    this.restoreListeners.add(listener);
    return () => this.restoreListeners.delete(listener);
  }

  // ---- reads ----

  /** The current revision (the revision of the last write; starts at 1 like etcd's). */
  currentRevision(): number {
    return this.revision;
  }

  /** The revision history is compacted up to (reads below it fail); 0 when never compacted. */
  compactRevision(): number {
    return this.compacted;
  }

  /** Approximate bytes the state takes on disk (the quota's measure and `dbSize`). */
  sizeBytes(): number {
    return this.size;
  }

  /** Raised alarms. */
  alarms(): AlarmMember[] {
    return this.alarmList.map((alarm) => ({ ...alarm }));
  }

  /** A lease, or null. */
  lease(id: string): { id: string; ttlSeconds: number; keys: Buffer[] } | null {
    const lease = this.leaseTable.get(id);
    if (lease === undefined) return null;
    const keys = [...lease.keys].sort().map((name) => Buffer.from(name, 'latin1'));
    return { id: lease.id, ttlSeconds: lease.ttlSeconds, keys };
  }

  /** Every lease id. */
  leaseIds(): string[] {
    return [...this.leaseTable.keys()];
  }

  /** A range read at the current revision or at `request.revision`. */
  range(request: RangeRequest): RangeResult {
    return this.rangeAt(request, this.currentRevision());
  }

  /** Runs a transaction that writes nothing (see isReadOnlyTxn) against the current state. */
  readOnlyTxn(txn: TxnRequest): TxnResult {
    return this.runTxn(txn);
  }

  /**
   * Events of the keys in [key, rangeEnd) with revision >= `fromRevision`, in revision order, with
   * their previous values (watch catch-up). `fromRevision` must not be below the compact revision.
   */
  eventsSince(
    key: Buffer,
    rangeEnd: Buffer,
    fromRevision: number,
  ): Array<{ revision: number; event: MvccEvent }> {
    return historyEvents(this.index, key, rangeEnd, fromRevision);
  }

  /** CRC-32 of every retained revision up to `revision` (0: current), like etcd's HashKV. */
  hashKv(revision: number): { hash: number; revision: number; compactRevision: number } {
    const upTo = revision > 0 ? revision : this.currentRevision();
    if (upTo > this.currentRevision()) throw new MvccError(MvccErrorCode.FutureRevision, 'future revision');
    if (upTo < this.compacted) throw new MvccError(MvccErrorCode.Compacted, 'compacted');
    return { hash: hashRecords(this.index, upTo), revision: upTo, compactRevision: this.compacted };
  }

  /** A backup of the whole state (Maintenance.Snapshot, `etcdctl snapshot save`); see {@link readBackup}. */
  backup(): Buffer {
    return encodeBackup(this.snapshot().data);
  }

  // ---- apply ----

  private execute(request: MvccRequest): MvccResult {
    this.changes = 0;
    this.events = [];
    this.leaseChanges = [];
    let result: MvccResult;
    try {
      result = this.executeRequest(request);
    } catch (error) {
      if (!(error instanceof MvccError)) throw error;
      if (this.changes > 0) throw new Error(`mvcc: ${error.code} raised after a partial write`);
      return { revision: this.currentRevision(), error: error.code };
    }
    if (this.changes > 0) {
      this.revision += 1;
      const revision = this.revision;
      const events = this.events;
      for (const listener of this.changeListeners) notify(() => listener(revision, events));
    }
    for (const change of this.leaseChanges) {
      for (const listener of this.leaseListeners) notify(() => listener(change));
    }
    result.revision = this.currentRevision();
    return result;
  }

  private noSpace(): boolean {
    return this.alarmList.some((alarm) => alarm.alarm === 'NOSPACE');
  }

  private executeRequest(request: MvccRequest): MvccResult {
    switch (request.type) {
      case 'put': {
        if (this.noSpace()) throw new MvccError(MvccErrorCode.NoSpace, 'database space exceeded');
        this.checkPut(request.put);
        return { revision: 0, put: this.put(request.put) };
      }
      case 'deleteRange':
        return { revision: 0, deleteRange: this.deleteRange(request.deleteRange) };
      case 'txn': {
        if (this.noSpace() && txnHasPut(request.txn)) {
          throw new MvccError(MvccErrorCode.NoSpace, 'database space exceeded');
        }
        return { revision: 0, txn: this.runTxn(request.txn) };
      }
      case 'compact':
        this.compact(request.revision);
        return { revision: 0 };
      case 'leaseGrant':
        return { revision: 0, lease: this.grantLease(request.id, request.ttlSeconds) };
      case 'leaseRevoke':
        this.revokeLease(request.id);
        return { revision: 0 };
      case 'leaseRenew': {
        const lease = this.leaseTable.get(request.id);
        if (lease === undefined) throw new MvccError(MvccErrorCode.LeaseNotFound, 'lease not found');
        this.leaseChanges.push({ type: 'renew', id: lease.id, ttlSeconds: lease.ttlSeconds });
        return { revision: 0, lease: { id: lease.id, ttlSeconds: lease.ttlSeconds } };
      }
      case 'alarm': {
        const exists = this.alarmList.some(
          (alarm) => alarm.memberId === request.memberId && alarm.alarm === request.alarm,
        );
        if (request.action === 'ACTIVATE' && !exists) {
          this.alarmList = [...this.alarmList, { memberId: request.memberId, alarm: request.alarm }];
        } else if (request.action === 'DEACTIVATE' && exists) {
          this.alarmList = this.alarmList.filter(
            (alarm) => !(alarm.memberId === request.memberId && alarm.alarm === request.alarm),
          );
        }
        this.writer.push({
          type: 'put',
          key: META_ALARMS,
          value: Buffer.from(JSON.stringify(this.alarmList)),
        });
        return { revision: 0, alarms: this.alarms() };
      }
    }
  }

  /** Revision reads see inside the current write: the new one once something changed. */
  private readRevision(): number {
    return this.changes > 0 ? this.revision + 1 : this.currentRevision();
  }

  private rangeAt(request: RangeRequest, current: number): RangeResult {
    const revision = request.revision > 0 ? request.revision : current;
    if (request.revision > current) throw new MvccError(MvccErrorCode.FutureRevision, 'future revision');
    if (revision < this.compacted) throw new MvccError(MvccErrorCode.Compacted, 'compacted');
    const kvs: KeyValue[] = [];
    for (const history of this.index.range(request.key, request.rangeEnd)) {
      const record = visibleAt(history, revision);
      if (record !== null) kvs.push(toKeyValue(record));
    }
    const count = kvs.length;
    if (request.countOnly) return { kvs: [], more: false, count };
    const shaped = shapeRange(request, kvs);
    const out = request.keysOnly ? shaped.kvs.map((kv) => ({ ...kv, value: Buffer.alloc(0) })) : shaped.kvs;
    return { kvs: out, more: shaped.more, count };
  }

  private checkPut(put: PutRequest): void {
    if (put.ignoreValue || put.ignoreLease) {
      const history = this.index.history(put.key);
      if (history === undefined || visibleAt(history, this.readRevision()) === null) {
        throw new MvccError(MvccErrorCode.KeyNotFound, 'key not found');
      }
    }
    if (!put.ignoreLease && put.lease !== '0' && !this.leaseTable.has(put.lease)) {
      throw new MvccError(MvccErrorCode.LeaseNotFound, 'lease not found');
    }
  }

  private write(record: RevisionRecord): void {
    this.index.append(record);
    this.size += recordSizeBytes(record);
    this.writer.push({
      type: 'put',
      key: revisionKey(record.modRevision, record.sub),
      value: encodeRecord(record),
    });
  }

  private put(put: PutRequest): PutResult {
    const history = this.index.history(put.key);
    const previous = history === undefined ? null : visibleAt(history, this.readRevision());
    const revision = this.revision + 1;
    const value = put.ignoreValue && previous !== null ? previous.value : put.value;
    const lease = put.ignoreLease && previous !== null ? previous.lease : put.lease;
    const record: RevisionRecord = {
      key: Buffer.from(put.key),
      modRevision: revision,
      sub: this.changes,
      createRevision: previous === null ? revision : previous.createRevision,
      version: previous === null ? 1 : previous.version + 1,
      value: Buffer.from(value),
      lease,
      tombstone: false,
    };
    const name = indexKey(put.key);
    if (previous !== null && previous.lease !== '0') this.leaseTable.get(previous.lease)?.keys.delete(name);
    if (lease !== '0') this.leaseTable.get(lease)?.keys.add(name);
    this.write(record);
    this.changes += 1;
    const prevKv = previous === null ? null : toKeyValue(previous);
    this.events.push({ type: 'PUT', kv: toKeyValue(record), prevKv });
    return { prevKv: put.prevKv ? prevKv : null };
  }

  private deleteRange(request: DeleteRangeRequest): DeleteRangeResult {
    const readRevision = this.readRevision();
    const victims: RevisionRecord[] = [];
    for (const history of this.index.range(request.key, request.rangeEnd)) {
      const record = visibleAt(history, readRevision);
      if (record !== null) victims.push(record);
    }
    const revision = this.revision + 1;
    for (const previous of victims) {
      const tombstone: RevisionRecord = {
        key: previous.key,
        modRevision: revision,
        sub: this.changes,
        createRevision: 0,
        version: 0,
        value: Buffer.alloc(0),
        lease: '0',
        tombstone: true,
      };
      if (previous.lease !== '0') this.leaseTable.get(previous.lease)?.keys.delete(indexKey(previous.key));
      this.write(tombstone);
      this.changes += 1;
      this.events.push({ type: 'DELETE', kv: toKeyValue(tombstone), prevKv: toKeyValue(previous) });
    }
    return { deleted: victims.length, prevKvs: request.prevKv ? victims.map(toKeyValue) : [] };
  }

  private evaluate(txn: TxnRequest): boolean {
    const revision = this.readRevision();
    return txn.compare.every((compare) => {
      const kvs: KeyValue[] = [];
      for (const history of this.index.range(compare.key, compare.rangeEnd)) {
        const record = visibleAt(history, revision);
        if (record !== null) kvs.push(toKeyValue(record));
      }
      if (kvs.length === 0) return compare.target === 'VALUE' ? false : compareKeyValue(compare, null);
      return kvs.every((kv) => compareKeyValue(compare, kv));
    });
  }

  /** Chooses every branch against the state before the transaction, like etcd's compareToPath. */
  private plan(txn: TxnRequest): TxnPlan {
    const succeeded = this.evaluate(txn);
    const nested = new Map<number, TxnPlan>();
    const ops = succeeded ? txn.success : txn.failure;
    ops.forEach((op, position) => {
      if (op.type === 'txn') nested.set(position, this.plan(op.txn));
    });
    return { succeeded, nested };
  }

  private checkPlan(txn: TxnRequest, plan: TxnPlan): void {
    const ops = plan.succeeded ? txn.success : txn.failure;
    ops.forEach((op, position) => {
      if (op.type === 'put') this.checkPut(op.put);
      else if (op.type === 'range') {
        if (op.range.revision > this.currentRevision()) {
          throw new MvccError(MvccErrorCode.FutureRevision, 'future revision');
        }
        if (op.range.revision > 0 && op.range.revision < this.compacted) {
          throw new MvccError(MvccErrorCode.Compacted, 'compacted');
        }
      } else if (op.type === 'txn') this.checkPlan(op.txn, plan.nested.get(position) as TxnPlan);
    });
  }

  private runTxn(txn: TxnRequest): TxnResult {
    const plan = this.plan(txn);
    this.checkPlan(txn, plan);
    return this.executePlan(txn, plan);
  }

  private executePlan(txn: TxnRequest, plan: TxnPlan): TxnResult {
    const ops: RequestOp[] = plan.succeeded ? txn.success : txn.failure;
    const responses: ResponseOp[] = ops.map((op, position): ResponseOp => {
      if (op.type === 'range') return { type: 'range', range: this.rangeAt(op.range, this.readRevision()) };
      if (op.type === 'put') return { type: 'put', put: this.put(op.put) };
      if (op.type === 'deleteRange')
        return { type: 'deleteRange', deleteRange: this.deleteRange(op.deleteRange) };
      return { type: 'txn', txn: this.executePlan(op.txn, plan.nested.get(position) as TxnPlan) };
    });
    return { succeeded: plan.succeeded, responses };
  }

  private compact(revision: number): void {
    if (revision <= this.compacted) throw new MvccError(MvccErrorCode.Compacted, 'compacted');
    if (revision > this.currentRevision())
      throw new MvccError(MvccErrorCode.FutureRevision, 'future revision');
    this.compacted = revision;
    for (const record of this.index.compact(revision)) {
      this.size -= recordSizeBytes(record);
      this.writer.push({ type: 'del', key: revisionKey(record.modRevision, record.sub) });
    }
  }

  private grantLease(id: string, ttlSeconds: number): { id: string; ttlSeconds: number } {
    if (this.noSpace()) throw new MvccError(MvccErrorCode.NoSpace, 'database space exceeded');
    if (this.leaseTable.has(id)) throw new MvccError(MvccErrorCode.LeaseExists, 'lease already exists');
    if (ttlSeconds > MAX_LEASE_TTL_SECONDS)
      throw new MvccError(MvccErrorCode.LeaseTtlTooLarge, 'too large lease TTL');
    const ttl = Math.max(ttlSeconds, this.minLeaseTtlSeconds);
    this.leaseTable.set(id, { id, ttlSeconds: ttl, keys: new Set() });
    this.writer.push({
      type: 'put',
      key: leaseKey(id),
      value: Buffer.from(JSON.stringify({ id, ttlSeconds: ttl })),
    });
    this.leaseChanges.push({ type: 'grant', id, ttlSeconds: ttl });
    return { id, ttlSeconds: ttl };
  }

  private revokeLease(id: string): void {
    const lease = this.leaseTable.get(id);
    if (lease === undefined) throw new MvccError(MvccErrorCode.LeaseNotFound, 'lease not found');
    // Sorted so that every member deletes in the same order whatever order it attached keys in.
    for (const name of [...lease.keys].sort()) {
      this.deleteRange({ key: Buffer.from(name, 'latin1'), rangeEnd: Buffer.alloc(0), prevKv: false });
    }
    this.leaseTable.delete(id);
    this.writer.push({ type: 'del', key: leaseKey(id) });
    this.leaseChanges.push({ type: 'revoke', id, ttlSeconds: lease.ttlSeconds });
  }
}
