/**
 * The simulated cluster: nodes, the network between them, the simulated clock, and the fault
 * actions a run injects (crash, restart, partitions, link faults, membership changes, leader
 * transfers). Everything is driven by `tick()`; one Prng seeds it all.
 */
import { type ConfChange, type ConfState, type Entry, type Message, MessageType } from '@navarch/raft';
import { InvariantChecker, type ViolationKind } from './invariants.js';
import type { KvCommand } from './kv.js';
import type { KvResult } from './kv-model.js';
import { type LinkFaults, Network } from './network.js';
import { type NodeSettings, SimNode } from './node.js';
import type { Prng } from './prng.js';

/** Options of a {@link Cluster}. */
export interface ClusterOptions {
  /** Ids of the bootstrap voters. */
  voters: number[];
  /** Ids that membership changes may add later (never reused once removed). */
  spares: number[];
  node: NodeSettings;
  /** Link settings of every link at start. */
  link: LinkFaults;
  /** Invariant checks to skip. */
  disabledChecks?: readonly ViolationKind[];
  /** Keep the last this many human-readable event lines (0: none, the fast default). */
  traceLines?: number;
  /** Probability that a node crashes between writing a Ready and its fsync. */
  crashBeforeSyncRate?: number;
  /** Probability that a newly elected leader crashes after its first Ready is synced but before it is sent. */
  crashOnElectionRate?: number;
}

/** Count of faults injected, by kind (the simulator's summary adds the network's counters). */
export type FaultCounts = Record<string, number>;

/** Receives the answers to client requests. */
export type ResultListener = (
  command: KvCommand,
  result: KvResult,
  entry: Entry | undefined,
  node: number,
) => void;

/**
 * Copies a message for delivery so a receiver never aliases the sender's objects (entries,
 * snapshot metadata). Byte payloads are shared: Raft treats them as immutable.
 */
function cloneMessage(m: Message): Message {
  const copy: Message = { ...m, entries: m.entries.map((e) => ({ ...e })) };
  if (m.snapshot !== undefined) {
    const md = m.snapshot.metadata;
    copy.snapshot = {
      metadata: {
        index: md.index,
        term: md.term,
        confState: { voters: [...md.confState.voters], learners: [...md.confState.learners] },
      },
      data: m.snapshot.data,
    };
  }
  return copy;
}

function mixTrace(h: number, v: number): number {
  let x = (h ^ (v | 0) ^ Math.floor(v / 0x1_0000_0000)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The simulated cluster. Node iteration is always in ascending id order (determinism). */
export class Cluster {
  /** Current tick. */
  now = 0;
  readonly network: Network<Message>;
  readonly checker: InvariantChecker;
  readonly faults: FaultCounts = {};
  private readonly nodeMap = new Map<number, SimNode>();
  private ids: number[] = [];
  private readonly spares: number[];
  private readonly listeners: ResultListener[] = [];
  /** Logical time for client histories: strictly increasing across all events. */
  private eventCounter = 0;
  /** Running hash of everything that happened; equal seeds must give equal hashes. */
  traceHash = 0x2545f491;
  /** False once faults are healed for the liveness phase: crash points then never fire. */
  crashPointsEnabled = true;
  /**
   * The last `traceLines` event lines, a ring: once full, `eventsNext` is the oldest slot and the
   * next one overwritten (a splice off the front would move every line on each event).
   */
  private readonly events: string[] = [];
  private eventsNext = 0;

  constructor(
    private readonly prng: Prng,
    private readonly options: ClusterOptions,
  ) {
    this.checker = new InvariantChecker(new Set(options.disabledChecks ?? []));
    this.network = new Network<Message>(prng.fork(), options.link, cloneMessage);
    // Like a real transport, tell the sender how a snapshot went: without it the leader would
    // wait for a lost snapshot forever.
    this.network.onLost = (envelope) => {
      if (envelope.payload.type === MessageType.Snap)
        this.nodeMap.get(envelope.from)?.reportSnapshot(envelope.to, 'failure');
    };
    this.spares = [...options.spares];
    const bootstrap: ConfState = { voters: [...options.voters], learners: [] };
    for (const id of options.voters) this.addNode(id, bootstrap).start();
  }

  /** Next value of the history clock. */
  nextEventTime(): number {
    return ++this.eventCounter;
  }

  /** Registers a listener for applied client requests. */
  onResult(listener: ResultListener): void {
    this.listeners.push(listener);
  }

  /** Every node ever created, in id order. */
  nodes(): SimNode[] {
    return this.ids.map((id) => this.nodeMap.get(id) as SimNode);
  }

  /** The node with `id` (throws if none). */
  node(id: number): SimNode {
    const n = this.nodeMap.get(id);
    if (n === undefined) throw new RangeError(`no node ${id}`);
    return n;
  }

  /** Adds to the trace hash. */
  trace(...values: number[]): void {
    let h = this.traceHash;
    for (const v of values) h = mixTrace(h, v);
    this.traceHash = h;
  }

  /** Counts one injected fault of `kind`. */
  count(kind: string, detail = ''): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
    if (this.tracing) this.note(0, () => `fault ${kind}${detail ? ` ${detail}` : ''}`);
  }

  private get tracing(): boolean {
    return (this.options.traceLines ?? 0) > 0;
  }

  /** Records an event line (when tracing); node 0 means the cluster itself. */
  note(node: number, text: () => string): void {
    const capacity = this.options.traceLines ?? 0;
    if (capacity <= 0) return;
    const line = `t=${this.now} ${node === 0 ? 'sim' : `n${node}`} ${text()}`;
    if (this.events.length < capacity) this.events.push(line);
    else {
      this.events[this.eventsNext] = line;
      this.eventsNext = (this.eventsNext + 1) % capacity;
    }
  }

  /** The last event lines kept, oldest first (empty unless `traceLines` was set). */
  recentEvents(): string[] {
    return [...this.events.slice(this.eventsNext), ...this.events.slice(0, this.eventsNext)];
  }

  private addNode(id: number, bootstrap: ConfState): SimNode {
    const node = new SimNode(id, bootstrap, this.options.node, this.prng.fork(), this.checker, {
      send: (from, message) => {
        this.trace(7, from, message.to, message.term, message.index);
        this.network.send(from, message.to, message, this.now);
      },
      applied: (nodeId, command, result, entry) => {
        for (const l of this.listeners) l(command, result, entry, nodeId);
      },
      confChangeApplied: (_nodeId, change) => this.onConfChangeApplied(change),
      trace: (...values) => this.trace(...values),
      note: this.tracing ? (nodeId, text) => this.note(nodeId, text) : undefined,
      crashPoint: (_nodeId, ready, synced) => {
        if (!this.crashPointsEnabled) return false;
        if (synced) {
          const elected = ready.softState?.role === 'leader';
          if (!elected || !this.prng.chance(this.options.crashOnElectionRate ?? 0)) return false;
          this.count('crashOnElection');
          return true;
        }
        if (this.prng.chance(this.options.crashBeforeSyncRate ?? 0)) {
          this.count('crashBeforeSync');
          return true;
        }
        return false;
      },
    });
    this.nodeMap.set(id, node);
    this.ids = [...this.nodeMap.keys()].sort((a, b) => a - b);
    return node;
  }

  private onConfChangeApplied(change: ConfChange): void {
    // The operator starts a new member once the change adding it is committed (etcd's
    // "member add" then start); the new member learns the configuration from the leader.
    if (change.type === 'removeNode' || this.nodeMap.has(change.nodeId)) return;
    this.addNode(change.nodeId, { voters: [], learners: [] }).start();
  }

  /** One tick: deliver due messages, then run every live node once. */
  tick(): void {
    this.now++;
    for (const envelope of this.network.deliverDue(this.now)) {
      const node = this.nodeMap.get(envelope.to);
      const delivered = node?.up === true;
      if (node?.up) node.deliver(envelope.payload);
      if (envelope.payload.type === MessageType.Snap) {
        this.nodeMap.get(envelope.from)?.reportSnapshot(envelope.to, delivered ? 'finish' : 'failure');
      }
    }
    for (const id of this.ids) (this.nodeMap.get(id) as SimNode).step(this.now);
  }

  /** Live nodes that consider themselves leader, in id order. */
  leaders(): SimNode[] {
    return this.nodes().filter((n) => n.up && n.role === 'leader');
  }

  /** The leader with the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.leaders()) if (best === undefined || n.term > best.term) best = n;
    return best;
  }

  /** The membership of the most advanced node (highest applied index). */
  latestConfState(): ConfState {
    let best: SimNode | undefined;
    for (const n of this.nodes()) {
      if (n.stopped) continue;
      if (best === undefined || n.kv.appliedIndex > best.kv.appliedIndex) best = n;
    }
    return best?.confState ?? { voters: [...this.options.voters], learners: [] };
  }

  // ---- fault actions ----

  /** Crashes node `id` (loses its unsynced writes). */
  crash(id: number): void {
    const n = this.node(id);
    if (!n.up) return;
    n.crash();
    this.count('crash', `node ${id}`);
  }

  /** Restarts node `id` from its durable state. */
  restart(id: number): void {
    const n = this.node(id);
    if (n.up || n.stopped) return;
    n.start();
    this.count('restart', `node ${id}`);
  }

  /** Permanently stops a node (decommissioned after removal). */
  stop(id: number): void {
    const n = this.node(id);
    n.crash();
    n.stopped = true;
  }

  /** Proposes adding a spare as a learner through the leader. Returns the id, if any. */
  addLearner(): number | undefined {
    const leader = this.leader();
    const id = this.spares[0];
    if (leader === undefined || id === undefined) return undefined;
    this.spares.shift();
    leader.proposeConfChange({ type: 'addLearnerNode', nodeId: id });
    this.count('addLearner', `node ${id} via leader ${leader.id}`);
    return id;
  }

  /** Proposes promoting a learner to voter through the leader. */
  promote(): number | undefined {
    const leader = this.leader();
    if (leader === undefined) return undefined;
    const learners = leader.confState.learners;
    if (learners.length === 0) return undefined;
    const id = this.prng.pick(learners);
    leader.proposeConfChange({ type: 'addNode', nodeId: id });
    this.count('promote', `node ${id} via leader ${leader.id}`);
    return id;
  }

  /** Proposes removing a member (keeps at least `minVoters` voters). */
  removeMember(minVoters: number): number | undefined {
    const leader = this.leader();
    if (leader === undefined) return undefined;
    const { voters, learners } = leader.confState;
    const candidates = [...learners, ...(voters.length > minVoters ? voters : [])];
    if (candidates.length === 0) return undefined;
    const id = this.prng.pick(candidates);
    leader.proposeConfChange({ type: 'removeNode', nodeId: id });
    this.count('remove', `node ${id} via leader ${leader.id}`);
    return id;
  }

  /** Asks the leader to transfer leadership to another voter. */
  transferLeadership(): number | undefined {
    const leader = this.leader();
    if (leader === undefined) return undefined;
    const others = leader.confState.voters.filter((v) => v !== leader.id);
    if (others.length === 0) return undefined;
    const target = this.prng.pick(others);
    leader.transferLeader(target);
    this.count('transferLeader', `${leader.id} -> ${target}`);
    return target;
  }

  /** Client entry point for ReadIndex gets at node `id`; false if that node is down. */
  read(id: number, command: KvCommand): boolean {
    const n = this.nodeMap.get(id);
    if (n === undefined || n.stopped) return false;
    return n.read(command);
  }

  /** Client entry point: proposes a command at node `id`; false if that node is down. */
  propose(id: number, command: KvCommand): boolean {
    const n = this.nodeMap.get(id);
    if (n === undefined || n.stopped) return false;
    return n.propose(command);
  }
}
