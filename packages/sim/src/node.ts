/**
 * One simulated server: a RawNode driven by the Ready contract over a simulated disk, with the
 * replicated KV state machine on top. The node is a single-threaded process that blocks on fsync:
 * while a Ready's writes are being synced it neither ticks nor steps; what arrives meanwhile waits
 * in its inbox. A crash discards the process (RawNode, inbox, state machine, unsynced writes).
 */
import {
  type ConfChange,
  type ConfState,
  decodeConfChange,
  type Entry,
  ErrProposalDropped,
  type Message,
  MessageType,
  RawNode,
  type Ready,
  type SnapshotStatus,
  type StateRole,
  type TestingBugs,
} from '@navarch/raft';
import { Disk } from './disk.js';
import { type InvariantChecker, SimViolation } from './invariants.js';
import { decodeCommand, encodeCommand, type KvCommand, KvStateMachine } from './kv.js';
import type { KvResult } from './kv-model.js';
import type { Prng } from './prng.js';

/** Settings shared by every node of a cluster. */
export interface NodeSettings {
  electionTicks: number;
  heartbeatTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  /** fsync latency bounds in ticks (0 = synchronous). */
  fsyncMinTicks: number;
  fsyncMaxTicks: number;
  /** Probability that a crash keeps a random prefix of the unsynced writes instead of none. */
  tornWriteRate: number;
  /** Take a snapshot and compact the log when this many applied entries are in it; 0 = never. */
  compactionThresholdEntries: number;
  /** Entries kept below the snapshot for slow followers. */
  compactionKeepEntries: number;
  maxSizePerMsgBytes: number;
  maxInflightMsgs: number;
  /**
   * Who sends a Ready's messages before its fsync. 'leader': a leader does, as etcd's leader
   * does (Raft thesis 10.2.1): it counts its own entries at append time, so a quorum of
   * followers alone can commit them; followers and candidates persist first. 'anyone' is a
   * deliberate bug for tests (a vote or an ack then promises what a crash can take back).
   */
  sendBeforeSync?: 'never' | 'leader' | 'anyone';
  /**
   * While a Ready's fsync runs, apply its committed entries that are already durable (below its
   * writes, up to the first configuration change), as the store's driver and etcd do.
   */
  applyBeforeSync?: boolean;
  testingBugs?: TestingBugs;
}

/** What a node tells the rest of the simulator. */
export interface NodeHooks {
  send(from: number, message: Message): void;
  /**
   * A client request made at this node was answered with `result`: a command applied here
   * (`entry` is its log entry) or a ReadIndex read served here (`entry` undefined).
   */
  applied(node: number, command: KvCommand, result: KvResult, entry: Entry | undefined): void;
  confChangeApplied(node: number, change: ConfChange, confState: ConfState): void;
  /** Something for the trace hash. */
  trace(...values: number[]): void;
  /** A human-readable event line, or undefined when nobody keeps them (the text is built lazily). */
  note?: ((node: number, text: () => string) => void) | undefined;
  /**
   * Asked after a Ready's writes and before its fsync (`synced` false: the writes are lost), and
   * after its fsync but before its messages go out (`synced` true): returning true crashes the
   * node right there. Lets a run aim crashes at interesting instants.
   */
  crashPoint(node: number, ready: Ready, synced: boolean): boolean;
}

type InboxItem =
  | { kind: 'message'; message: Message }
  | { kind: 'propose'; command: KvCommand }
  | { kind: 'read'; command: KvCommand }
  | { kind: 'confChange'; change: ConfChange }
  | { kind: 'transfer'; target: number }
  | { kind: 'snapshotStatus'; peer: number; status: SnapshotStatus };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Messages asking the leader for something; they acknowledge no state of the sender's own. */
function isRequestToLeader(message: Message): boolean {
  return message.type === MessageType.Prop || message.type === MessageType.ReadIndex;
}

function waiterKey(clientId: number, requestId: number): string {
  return `${clientId}:${requestId}`;
}

const ROLE_CODE: Record<StateRole, number> = { follower: 1, preCandidate: 2, candidate: 3, leader: 4 };

/** A simulated server. `raw` is null while the process is down. */
export class SimNode {
  readonly disk: Disk;
  raw: RawNode | null = null;
  incarnation = 0;
  kv = new KvStateMachine();
  /** Membership as of the applied index. */
  confState: ConfState;
  role: StateRole = 'follower';
  leaderId = 0;
  /** Term and commit of the last hard state this incarnation persisted (or loaded). */
  term = 0;
  commit = 0;
  /** The highest commit index this incarnation reported to the checker. */
  private checkedCommit = 0;
  /** True once decommissioned: never restarted again. */
  stopped = false;
  private inbox: InboxItem[] = [];
  private pendingReady: Ready | null = null;
  /** Readys whose messages a leader already sent before their fsync. */
  private readonly sentEarly = new WeakSet<Ready>();
  /** Readys some of whose committed entries were applied during their fsync: the rest. */
  private readonly appliedEarly = new WeakMap<Ready, Entry[]>();
  private busyUntil = 0;
  /** Client requests proposed here that this incarnation answers when it applies them. */
  private readonly waiters = new Set<string>();
  /** ReadIndex requests made here, by context, until Raft answers with a read index. */
  private readonly pendingReads = new Map<string, KvCommand>();
  /** Reads whose read index is known, served once the state machine has applied it. */
  private waitingReads: { index: number; command: KvCommand }[] = [];

  constructor(
    readonly id: number,
    bootstrap: ConfState,
    private readonly settings: NodeSettings,
    private readonly prng: Prng,
    private readonly checker: InvariantChecker,
    private readonly hooks: NodeHooks,
  ) {
    this.disk = new Disk(bootstrap);
    this.confState = bootstrap;
  }

  /** True while the process runs. */
  get up(): boolean {
    return this.raw !== null;
  }

  /** Starts a process over whatever the disk durably holds. */
  start(): void {
    if (this.raw !== null) throw new SimViolation('driver', `node ${this.id} started twice`);
    this.incarnation++;
    const storage = this.disk.storage;
    const snapshot = storage.snapshot();
    const { hardState, confState } = storage.initialState();
    this.checkedCommit = hardState.commit; // onRestart tells the checker
    this.kv = new KvStateMachine();
    if (snapshot.metadata.index > 0) this.kv.restore(snapshot.metadata.index, snapshot.data);
    this.confState = confState;
    this.term = hardState.term;
    this.commit = hardState.commit;
    this.role = 'follower';
    this.leaderId = 0;
    this.inbox = [];
    this.pendingReady = null;
    this.waiters.clear();
    this.pendingReads.clear();
    this.waitingReads = [];
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.checker.onRestart(
      this.id,
      this.incarnation,
      {
        baseIndex: first - 1,
        baseTerm: storage.term(first - 1),
        entries: last >= first ? storage.entries(first, last + 1, Number.POSITIVE_INFINITY) : [],
      },
      { commit: hardState.commit, term: hardState.term, applied: snapshot.metadata.index },
    );
    const s = this.settings;
    this.raw = new RawNode({
      id: this.id,
      electionTicks: s.electionTicks,
      heartbeatTicks: s.heartbeatTicks,
      storage,
      random: this.prng.fork().asRandom(),
      applied: snapshot.metadata.index,
      maxSizePerMsgBytes: s.maxSizePerMsgBytes,
      maxInflightMsgs: s.maxInflightMsgs,
      preVote: s.preVote,
      checkQuorum: s.checkQuorum,
      ...(s.testingBugs === undefined ? {} : { testingBugs: s.testingBugs }),
      ...(this.hooks.note === undefined
        ? {}
        : {
            logger: (level: string, message: string, fields: Record<string, unknown>) =>
              this.hooks.note?.(this.id, () => `raft ${level}: ${message} ${JSON.stringify(fields)}`),
          }),
    });
    this.hooks.trace(1, this.id, this.incarnation);
    this.hooks.note?.(
      this.id,
      () =>
        `start #${this.incarnation}: term ${hardState.term} vote ${hardState.vote} commit ${hardState.commit} log ${first}..${last} snapshot ${snapshot.metadata.index} voters [${confState.voters}] learners [${confState.learners}]`,
    );
  }

  /** Power loss: the process dies; unsynced writes are lost except a random surviving prefix. */
  crash(): void {
    if (this.raw === null) return;
    const unsynced = this.disk.unsyncedCount;
    const surviving = this.prng.chance(this.settings.tornWriteRate) ? this.prng.int(unsynced + 1) : 0;
    this.disk.crash(surviving);
    this.raw = null;
    this.pendingReady = null;
    this.inbox = [];
    this.waiters.clear();
    this.pendingReads.clear();
    this.waitingReads = [];
    this.role = 'follower';
    this.leaderId = 0;
    this.hooks.trace(2, this.id, surviving);
    this.hooks.note?.(this.id, () => `crash: ${unsynced} unsynced writes, ${surviving} survive`);
  }

  /** Queues a message from the network (dropped while the process is down). */
  deliver(message: Message): void {
    if (this.raw !== null) this.inbox.push({ kind: 'message', message });
  }

  /**
   * Proposes a client command here. Returns false when the process is down; a proposal Raft drops
   * later is simply never answered (the client times out and retries).
   */
  propose(command: KvCommand): boolean {
    if (this.raw === null) return false;
    this.inbox.push({ kind: 'propose', command });
    return true;
  }

  /**
   * Reads through ReadIndex here (a get that does not go through the log); false when the process
   * is down. Served from the local state machine once it has applied the read index.
   */
  read(command: KvCommand): boolean {
    if (this.raw === null) return false;
    this.inbox.push({ kind: 'read', command });
    return true;
  }

  /** Proposes a membership change here (only a leader will accept it). */
  proposeConfChange(change: ConfChange): void {
    if (this.raw !== null) this.inbox.push({ kind: 'confChange', change });
  }

  /** Asks this node (a leader) to hand leadership to `target`. */
  transferLeader(target: number): void {
    if (this.raw !== null) this.inbox.push({ kind: 'transfer', target });
  }

  /** The transport's verdict on a snapshot this node sent (RawNode.reportSnapshot). */
  reportSnapshot(peer: number, status: SnapshotStatus): void {
    if (this.raw !== null) this.inbox.push({ kind: 'snapshotStatus', peer, status });
  }

  /** One tick of the process: finish a pending fsync, then tick, step the inbox, handle Readys. */
  step(now: number): void {
    const raw = this.raw;
    if (raw === null) return;
    if (this.pendingReady !== null) {
      if (now < this.busyUntil) return;
      const ready = this.pendingReady;
      this.pendingReady = null;
      this.finishReady(raw, ready);
      if (this.raw !== raw) return; // crashed at a crash point
    }
    raw.tick();
    const inbox = this.inbox;
    this.inbox = [];
    // Consecutive client proposals go to Raft as one batch, as the store's driver sends them.
    let batch: KvCommand[] = [];
    for (const item of inbox) {
      if (item.kind === 'propose') {
        batch.push(item.command);
        continue;
      }
      if (batch.length > 0) this.proposeBatch(raw, batch);
      batch = [];
      this.handleInboxItem(raw, item);
    }
    if (batch.length > 0) this.proposeBatch(raw, batch);
    this.drainReady(raw, now);
  }

  private proposeBatch(raw: RawNode, commands: KvCommand[]): void {
    for (const command of commands) this.waiters.add(waiterKey(command.clientId, command.requestId));
    try {
      raw.proposeBatch(commands.map(encodeCommand));
    } catch (error) {
      // Refused (no leader, ...): the clients time out and retry, as with a single proposal.
      if (error instanceof ErrProposalDropped) return;
      throw error;
    }
  }

  private handleInboxItem(raw: RawNode, item: InboxItem): void {
    try {
      switch (item.kind) {
        case 'message':
          raw.step(item.message);
          return;
        case 'propose':
          raw.propose(encodeCommand(item.command));
          this.waiters.add(waiterKey(item.command.clientId, item.command.requestId));
          return;
        case 'read': {
          const key = waiterKey(item.command.clientId, item.command.requestId);
          this.pendingReads.set(key, item.command);
          raw.readIndex(encoder.encode(key));
          return;
        }
        case 'confChange':
          raw.proposeConfChange(item.change);
          return;
        case 'transfer':
          raw.transferLeader(item.target);
          return;
        case 'snapshotStatus':
          raw.reportSnapshot(item.peer, item.status);
          return;
      }
    } catch (error) {
      // Refusals are normal under faults: no leader, a pending membership change, a removed member.
      if (error instanceof ErrProposalDropped) return;
      throw error;
    }
  }

  private drainReady(raw: RawNode, now: number): void {
    while (this.pendingReady === null && raw.hasReady()) {
      const ready = raw.ready();
      this.persist(ready);
      const early = this.settings.sendBeforeSync ?? 'never';
      // A single voter commits its entries in the very Ready that writes them: its messages then
      // announce a commit index that a crash before the fsync takes back, so they wait.
      const commitDurable =
        ready.hardState === undefined || ready.hardState.commit <= this.disk.durableStorage().lastIndex();
      if (early === 'anyone' || (early === 'leader' && this.role === 'leader' && commitDurable)) {
        for (const message of ready.messages) this.hooks.send(this.id, message);
        this.sentEarly.add(ready);
      } else {
        // As the store's driver: forwarded proposals and read requests promise nothing durable.
        for (const message of ready.messages)
          if (isRequestToLeader(message)) this.hooks.send(this.id, message);
      }
      if (ready.mustSync && this.hooks.crashPoint(this.id, ready, false)) {
        this.crash();
        return;
      }
      const latency = ready.mustSync
        ? this.prng.range(this.settings.fsyncMinTicks, this.settings.fsyncMaxTicks)
        : 0;
      if (latency > 0) {
        if (this.settings.applyBeforeSync === true && ready.snapshot === undefined) {
          this.applyDurable(raw, ready);
          if (this.raw !== raw) return;
        }
        this.pendingReady = ready;
        this.busyUntil = now + latency;
        return;
      }
      this.finishReady(raw, ready);
      if (this.raw !== raw) return; // crashed at a crash point
    }
  }

  /** Step 1 of the Ready contract: write (not yet sync) snapshot, entries, then hard state. */
  private persist(ready: Ready): void {
    this.hooks.note?.(this.id, () => {
      const parts: string[] = ['ready:'];
      if (ready.softState) parts.push(`role ${ready.softState.role} leader ${ready.softState.leaderId}`);
      if (ready.hardState) {
        const hs = ready.hardState;
        parts.push(`hardState term ${hs.term} vote ${hs.vote} commit ${hs.commit}`);
      }
      if (ready.snapshot)
        parts.push(`snapshot ${ready.snapshot.metadata.index}@${ready.snapshot.metadata.term}`);
      if (ready.entries.length > 0) {
        parts.push(`entries ${ready.entries.map((e) => `${e.index}@${e.term}`).join(',')}`);
      }
      if (ready.committedEntries.length > 0) {
        const ce = ready.committedEntries;
        parts.push(`apply ${ce[0]?.index}..${ce[ce.length - 1]?.index}`);
      }
      for (const m of ready.messages) {
        parts.push(
          `\n    ${m.type} ${m.from}->${m.to} term ${m.term} logTerm ${m.logTerm} index ${m.index} commit ${m.commit}${m.reject ? ` reject hint ${m.rejectHint}` : ''}${m.entries.length > 0 ? ` entries ${m.entries.map((e) => `${e.index}@${e.term}`).join(',')}` : ''}`,
        );
      }
      return parts.join(' ');
    });
    this.disk.writeReady({ snapshot: ready.snapshot, entries: ready.entries, hardState: ready.hardState });
    if (ready.snapshot !== undefined) {
      this.checker.onSnapshotInstalled(this.id, ready.snapshot.metadata.index, ready.snapshot.metadata.term);
    }
    if (ready.entries.length > 0) this.checker.onEntriesWritten(this.id, ready.entries);
    if (ready.hardState !== undefined) {
      this.term = ready.hardState.term;
      this.commit = ready.hardState.commit;
      this.hooks.trace(3, this.id, ready.hardState.term, ready.hardState.vote, ready.hardState.commit);
    }
    if (ready.softState !== undefined) {
      this.role = ready.softState.role;
      this.leaderId = ready.softState.leaderId;
      this.checker.onRole(this.id, this.term, this.role === 'leader');
      this.hooks.trace(4, this.id, ROLE_CODE[this.role], this.leaderId);
    }
  }

  /** Steps 2-4 of the Ready contract: sync, send, apply, advance; then maybe compact. */
  private finishReady(raw: RawNode, ready: Ready): void {
    if (ready.mustSync) this.disk.sync();
    if (ready.hardState !== undefined) {
      // Checked once durable: a single voter counts its own entry as committed in the very Ready
      // that writes it, and a crash before the fsync legitimately takes both back.
      const hs = ready.hardState;
      this.checker.onHardState(this.id, this.incarnation, hs.term, hs.commit, this.role === 'leader');
      this.checkedCommit = Math.max(this.checkedCommit, hs.commit);
    }
    if (ready.mustSync) {
      if (this.hooks.crashPoint(this.id, ready, true)) {
        this.crash();
        return;
      }
    }
    if (!this.sentEarly.delete(ready)) {
      for (const message of ready.messages)
        if (!isRequestToLeader(message)) this.hooks.send(this.id, message);
    }
    if (ready.snapshot !== undefined) {
      this.kv.restore(ready.snapshot.metadata.index, ready.snapshot.data);
      this.confState = ready.snapshot.metadata.confState;
    }
    const remaining = this.appliedEarly.get(ready);
    this.appliedEarly.delete(ready);
    for (const entry of remaining ?? ready.committedEntries) this.apply(raw, entry);
    for (const rs of ready.readStates) {
      const key = decoder.decode(rs.context);
      const command = this.pendingReads.get(key);
      if (command === undefined) continue;
      this.pendingReads.delete(key);
      this.waitingReads.push({ index: rs.index, command });
    }
    this.serveReads();
    raw.advance(ready);
    this.maybeCompact();
  }

  /** Applies the leading committed entries of `ready` that are durable on disk (see NodeSettings). */
  private applyDurable(raw: RawNode, ready: Ready): void {
    const firstWritten = ready.entries[0]?.index ?? Number.POSITIVE_INFINITY;
    const durableLast = Math.min(this.disk.durableStorage().lastIndex(), firstWritten - 1);
    const committed = ready.committedEntries;
    let n = 0;
    while (
      n < committed.length &&
      committed[n]!.index <= durableLast &&
      committed[n]!.type !== 'confChange'
    ) {
      n += 1;
    }
    if (n === 0) return;
    const hs = ready.hardState;
    // The checker hears of commits once they are durable; these entries are, so it may hear of
    // them now (the leader's commit rule is still checked when the whole hard state is synced).
    const early = committed[n - 1]!.index;
    if (hs !== undefined && early > this.checkedCommit) {
      this.checker.onHardState(this.id, this.incarnation, hs.term, early, false);
      this.checkedCommit = early;
    }
    for (let i = 0; i < n; i++) this.apply(raw, committed[i]!);
    this.appliedEarly.set(ready, committed.slice(n));
  }

  private serveReads(): void {
    if (this.waitingReads.length === 0) return;
    const applied = this.kv.appliedIndex;
    const later: { index: number; command: KvCommand }[] = [];
    for (const read of this.waitingReads) {
      if (read.index > applied) {
        later.push(read);
        continue;
      }
      this.hooks.trace(8, this.id, read.index, applied);
      this.hooks.applied(this.id, read.command, { value: this.kv.read(read.command.op.key) }, undefined);
    }
    this.waitingReads = later;
  }

  private apply(raw: RawNode, entry: Entry): void {
    this.checker.onApply(this.id, entry);
    this.hooks.trace(5, this.id, entry.index, entry.term);
    if (entry.type === 'confChange') {
      const change = decodeConfChange(entry.data);
      this.confState = raw.applyConfChange(change);
      this.kv.skip(entry.index);
      this.hooks.confChangeApplied(this.id, change, this.confState);
      return;
    }
    if (entry.data.length === 0) {
      this.kv.skip(entry.index);
      return;
    }
    const command = decodeCommand(entry.data);
    const result = this.kv.apply(entry.index, command);
    const key = waiterKey(command.clientId, command.requestId);
    if (this.waiters.delete(key)) this.hooks.applied(this.id, command, result, entry);
  }

  private maybeCompact(): void {
    const threshold = this.settings.compactionThresholdEntries;
    if (threshold <= 0) return;
    const storage = this.disk.storage;
    const applied = this.kv.appliedIndex;
    const snapshotIndex = storage.snapshot().metadata.index;
    if (applied - snapshotIndex < threshold || applied > storage.lastIndex()) return;
    const compactIndex = Math.max(storage.firstIndex() - 1, applied - this.settings.compactionKeepEntries);
    this.disk.compact(applied, this.confState, this.kv.snapshot(), compactIndex);
    this.hooks.trace(6, this.id, applied, compactIndex);
  }
}
