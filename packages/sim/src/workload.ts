/**
 * Client workload: a few clients issue get / put / compare-and-set through the cluster, one request
 * outstanding each. A client sends to the node it believes leads (or any live node), retries with
 * the same request id at another node when an attempt goes unanswered, and gives up at its deadline:
 * that operation's outcome is unknown (it may still commit later) and it stays in the history
 * without a completeTime. Written values are unique, so the history is easy to check.
 */
import type { Entry } from '@navarch/raft';
import type { Cluster } from './cluster.js';
import type { KvCommand } from './kv.js';
import type { KvOp, KvOperation, KvResult } from './kv-model.js';
import type { Prng } from './prng.js';

/** Shape of the workload. */
export interface WorkloadOptions {
  clients: number;
  keys: number;
  /** An operation not answered within this many ticks has an unknown outcome. */
  requestTimeoutTicks: number;
  /** An attempt not answered within this many ticks is retried at another node. */
  attemptTimeoutTicks: number;
  /** Idle ticks between a client's operations, drawn from [0, thinkTicksMax]. */
  thinkTicksMax: number;
  readRatio: number;
  casRatio: number;
  /** Fraction of gets served through ReadIndex instead of through the log. */
  readIndexRatio: number;
  /**
   * FOR TESTS ONLY: serve gets from the chosen node's local state without any Raft round (a
   * classic stale-read bug), to prove that the linearizability check catches it end to end.
   */
  unsafeLocalReads?: boolean;
}

/** Counters of the workload. */
export interface WorkloadStats {
  invoked: number;
  completed: number;
  timedOut: number;
  attempts: number;
}

interface Pending {
  command: KvCommand;
  /** A get answered through ReadIndex rather than through the log. */
  viaReadIndex: boolean;
  record: KvOperation;
  invokedAt: number;
  deadline: number;
  attemptDeadline: number;
  target: number;
}

interface ClientState {
  id: number;
  nextRequestId: number;
  nextOpAt: number;
  pending: Pending | null;
  /** Last value this client saw per key (seeds its compare-and-sets). */
  lastSeen: Map<string, string | null>;
  leaderHint: number;
}

/** The clients and the history they record. */
export class Workload {
  /** Every operation invoked, in invocation order. */
  readonly history: KvOperation[] = [];
  readonly stats: WorkloadStats = { invoked: 0, completed: 0, timedOut: 0, attempts: 0 };
  private readonly clients: ClientState[] = [];
  private readonly byClient = new Map<number, ClientState>();
  /** Called for every completed write with its log position (for the acknowledged-writes check). */
  onAcknowledgedWrite: (entry: Entry, what: string) => void = () => {};
  /** Gets served through ReadIndex (the rest of the gets go through the log). */
  readIndexReads = 0;
  /** Tick at which the latest write invoked at or after `progressSince` completed (-1: none yet). */
  progressAt = -1;
  /** Tick from which completed writes count as progress (the start of the liveness phase). */
  progressSince = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly prng: Prng,
    private readonly options: WorkloadOptions,
  ) {
    for (let i = 0; i < options.clients; i++) {
      const c: ClientState = {
        id: 1000 + i,
        nextRequestId: 1,
        nextOpAt: prng.int(options.thinkTicksMax + 1),
        pending: null,
        lastSeen: new Map(),
        leaderHint: 0,
      };
      this.clients.push(c);
      this.byClient.set(c.id, c);
    }
    cluster.onResult((command, result, entry, node) => this.complete(command, result, entry, node));
  }

  /** Operations still waiting for an answer. */
  get outstanding(): number {
    return this.clients.filter((c) => c.pending !== null).length;
  }

  /** One tick of every client: time out, retry or start an operation. */
  tick(now: number): void {
    for (const c of this.clients) {
      const p = c.pending;
      if (p !== null) {
        if (now >= p.deadline) {
          // Unknown outcome: the record keeps no completeTime.
          c.pending = null;
          this.stats.timedOut++;
          c.nextOpAt = now + this.prng.int(this.options.thinkTicksMax + 1);
          c.leaderHint = 0;
          this.cluster.trace(20, c.id, p.command.requestId);
        } else if (now >= p.attemptDeadline) {
          c.leaderHint = 0;
          this.attempt(c, p, now);
        }
        continue;
      }
      if (now >= c.nextOpAt) this.invoke(c, now);
    }
  }

  private chooseOp(c: ClientState, requestId: number): KvOp {
    const key = `k${this.prng.int(this.options.keys)}`;
    const value = `c${c.id}r${requestId}`;
    const r = this.prng.nextFloat();
    if (r < this.options.readRatio) return { kind: 'get', key };
    if (r < this.options.readRatio + this.options.casRatio) {
      const expected = c.lastSeen.get(key) ?? null;
      return { kind: 'cas', key, expected, value };
    }
    return { kind: 'put', key, value };
  }

  private invoke(c: ClientState, now: number): void {
    const requestId = c.nextRequestId++;
    const op = this.chooseOp(c, requestId);
    const record: KvOperation = { clientId: c.id, op, invokeTime: this.cluster.nextEventTime() };
    this.history.push(record);
    this.stats.invoked++;
    const pending: Pending = {
      command: { clientId: c.id, requestId, op },
      viaReadIndex: op.kind === 'get' && this.prng.chance(this.options.readIndexRatio),
      record,
      invokedAt: now,
      deadline: now + this.options.requestTimeoutTicks,
      attemptDeadline: now,
      target: 0,
    };
    c.pending = pending;
    this.cluster.trace(21, c.id, requestId);
    this.attempt(c, pending, now);
  }

  private attempt(c: ClientState, p: Pending, now: number): void {
    const live = this.cluster.nodes().filter((n) => n.up);
    const hinted = live.find((n) => n.id === c.leaderHint);
    const leader = this.cluster.leader();
    // Clients learn who leads from redirects; modelled as knowing the current leader most of the time.
    const target =
      hinted ??
      (leader !== undefined && this.prng.chance(0.8) ? leader : undefined) ??
      (live.length > 0 ? this.prng.pick(live) : undefined);
    p.attemptDeadline = now + this.options.attemptTimeoutTicks;
    if (target === undefined) return;
    p.target = target.id;
    this.stats.attempts++;
    if (p.command.op.kind === 'get' && this.options.unsafeLocalReads) {
      this.complete(p.command, { value: target.kv.read(p.command.op.key) }, undefined, target.id);
      return;
    }
    if (p.command.op.kind === 'get' && p.viaReadIndex) this.cluster.read(target.id, p.command);
    else this.cluster.propose(target.id, p.command);
  }

  private complete(command: KvCommand, result: KvResult, entry: Entry | undefined, node: number): void {
    const c = this.byClient.get(command.clientId);
    const p = c?.pending;
    if (c === undefined || p === undefined || p === null || p.command.requestId !== command.requestId) return;
    p.record.completeTime = this.cluster.nextEventTime();
    p.record.result = result;
    c.pending = null;
    c.leaderHint = node;
    this.stats.completed++;
    const now = this.cluster.now;
    c.nextOpAt = now + this.prng.int(this.options.thinkTicksMax + 1);
    const op = command.op;
    if (op.kind === 'get') {
      c.lastSeen.set(op.key, result.value ?? null);
      if (entry === undefined) this.readIndexReads++;
    } else if (result.ok === true && entry !== undefined) {
      c.lastSeen.set(op.key, op.value ?? null);
      this.onAcknowledgedWrite(entry, `${op.kind}(${op.key}, ${op.value}) by client ${c.id}`);
    }
    if (op.kind !== 'get' && p.invokedAt >= this.progressSince) this.progressAt = now;
    this.cluster.trace(22, c.id, command.requestId, entry?.index ?? 0);
  }
}
