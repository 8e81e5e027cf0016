/**
 * A small in-test network for scripted Raft scenarios: every node is a RawNode over a
 * MemoryStorage; the harness handles Ready per the contract (persist, send, apply, advance) and
 * delivers messages until the cluster is quiet. Links can be cut (drop), nodes isolated and
 * restarted. Deterministic: randomness comes from a seeded PRNG.
 */
import {
  type Config,
  type ConfState,
  decodeConfChange,
  type Entry,
  MemoryStorage,
  type Message,
  MessageType,
  RawNode,
  type ReadState,
  type Ready,
  type StateRole,
} from '@navarch/raft';

/** mulberry32: a tiny seeded PRNG returning [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** One simulated member. */
export interface TestNode {
  id: number;
  node: RawNode;
  storage: MemoryStorage;
  /** Normal entries applied, in order (payload strings; the empty leader entries are skipped). */
  applied: string[];
  appliedIndex: number;
  confState: ConfState;
  readStates: ReadState[];
  /** Index of the last snapshot this node installed from a leader. */
  installedSnapshotIndex: number;
  config: Config;
}

export type ConfigOverrides = Partial<Omit<Config, 'id' | 'storage' | 'random'>>;

export class Network {
  readonly nodes = new Map<number, TestNode>();
  /** Messages waiting for delivery. */
  queue: Message[] = [];
  /** Every message delivered, for counting. */
  delivered: Message[] = [];
  /** Cut links: "from->to". */
  private readonly cut = new Set<string>();
  /** Extra filter: return false to drop. */
  filter: ((m: Message) => boolean) | undefined;
  private readonly random: () => number;
  private readonly overrides: ConfigOverrides;

  /** Builds a cluster whose initial voters are `voters` (bootstrapped), plus `others` started empty (joiners). */
  constructor(voters: number[], overrides: ConfigOverrides = {}, seed = 1, others: number[] = []) {
    this.random = seededRandom(seed);
    this.overrides = overrides;
    for (const id of voters) this.addNode(id, MemoryStorage.withConfState({ voters, learners: [] }));
    for (const id of others) this.addNode(id, new MemoryStorage());
    // Persist and apply the bootstrap entries.
    this.stabilize();
  }

  /** Starts a node over `storage` (fresh or restarted). */
  addNode(id: number, storage: MemoryStorage, applied?: number, extra: ConfigOverrides = {}): TestNode {
    const config: Config = {
      id,
      electionTicks: 10,
      heartbeatTicks: 1,
      storage,
      random: this.random,
      ...this.overrides,
      ...extra,
    };
    if (applied !== undefined) config.applied = applied;
    const t: TestNode = {
      id,
      node: new RawNode(config),
      storage,
      applied: [],
      appliedIndex: applied ?? 0,
      confState: storage.initialState().confState,
      readStates: [],
      installedSnapshotIndex: 0,
      config,
    };
    this.nodes.set(id, t);
    return t;
  }

  get(id: number): TestNode {
    const t = this.nodes.get(id);
    if (t === undefined) throw new Error(`no node ${id}`);
    return t;
  }

  /** Simulates a crash and restart: volatile state is lost, storage kept. */
  restart(id: number, extra: ConfigOverrides = {}): TestNode {
    const old = this.get(id);
    // A Ready not finished: the crash loses its messages, its applies and, if it was not written
    // yet, its writes (they were never synced, and nothing was sent that depends on them).
    this.heldReady.delete(id);
    const snapshot = old.storage.snapshot();
    let t: TestNode;
    if (snapshot.metadata.index > old.appliedIndex) {
      // The node persisted a snapshot but crashed before applying it: recover from it.
      t = this.addNode(id, old.storage, snapshot.metadata.index, { ...extra });
      t.applied = dec(snapshot.data) === '' ? [] : dec(snapshot.data).split(',');
      t.confState = snapshot.metadata.confState;
    } else {
      t = this.addNode(id, old.storage, old.appliedIndex, { ...extra });
      t.applied = old.applied;
      t.confState = old.confState;
    }
    const [lost, kept] = [
      this.queue.filter((m) => m.to === id || m.from === id),
      this.queue.filter((m) => m.to !== id && m.from !== id),
    ];
    this.queue = kept;
    for (const m of lost) if (m.from !== id) this.lose(m);
    return t;
  }

  /**
   * When set and returning true for a node, a Ready taken from it is persisted but its messages,
   * applies and advance() are held back to a later processReady() call (as with an async fsync):
   * the node keeps stepping messages meanwhile.
   */
  holdReady: ((id: number) => boolean) | undefined;
  /**
   * For held Readies: true writes them to storage at once (storage ahead of the node), false
   * writes them when they finish, so a crash meanwhile loses them (unsynced writes lost).
   */
  persistHeldEarly: (() => boolean) | undefined;
  private readonly heldReady = new Map<number, { rd: Ready; persisted: boolean }>();

  /** Handles every pending Ready of every node (persist, queue messages, apply, advance). */
  processReady(): boolean {
    let any = false;
    for (const t of this.nodes.values()) {
      const held = this.heldReady.get(t.id);
      if (held !== undefined) {
        if (this.holdReady?.(t.id)) continue;
        this.heldReady.delete(t.id);
        if (!held.persisted) this.persist(t, held.rd);
        this.finishReady(t, held.rd);
        any = true;
      }
      while (t.node.hasReady()) {
        any = true;
        const rd = t.node.ready();
        if (this.holdReady?.(t.id)) {
          const persisted = this.persistHeldEarly?.() ?? true;
          if (persisted) this.persist(t, rd);
          this.heldReady.set(t.id, { rd, persisted });
          break;
        }
        this.persist(t, rd);
        this.finishReady(t, rd);
      }
    }
    return any;
  }

  private persist(t: TestNode, rd: Ready): void {
    if (rd.snapshot !== undefined) t.storage.applySnapshot(rd.snapshot);
    t.storage.append(rd.entries);
    if (rd.hardState !== undefined) t.storage.setHardState(rd.hardState);
  }

  private finishReady(t: TestNode, rd: Ready): void {
    for (const m of rd.messages) this.queue.push(m);
    if (rd.snapshot !== undefined) {
      t.installedSnapshotIndex = rd.snapshot.metadata.index;
      t.appliedIndex = rd.snapshot.metadata.index;
      t.confState = rd.snapshot.metadata.confState;
      t.applied = dec(rd.snapshot.data) === '' ? [] : dec(rd.snapshot.data).split(',');
    }
    for (const e of rd.committedEntries) this.apply(t, e);
    t.readStates.push(...rd.readStates);
    t.node.advance(rd);
  }

  private apply(t: TestNode, e: Entry): void {
    t.appliedIndex = e.index;
    if (e.type === 'confChange') {
      t.confState = t.node.applyConfChange(decodeConfChange(e.data));
    } else if (e.data.byteLength > 0) {
      t.applied.push(dec(e.data));
    }
  }

  /** Delivers queued messages (in order) until none is left and nobody has work. Bounded. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      const progressed = this.processReady();
      if (this.queue.length === 0 && !progressed) return;
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) this.deliver(m);
    }
    throw new Error('network did not stabilize');
  }

  /** Delivers one message unless its link is cut or the filter drops it. */
  deliver(m: Message): void {
    if (this.cut.has(`${m.from}->${m.to}`) || (this.filter !== undefined && !this.filter(m))) {
      this.lose(m);
      return;
    }
    const t = this.nodes.get(m.to);
    if (t === undefined) return;
    this.delivered.push(m);
    t.node.step(m);
    // The transport tells the sender that the snapshot got through.
    if (m.type === MessageType.Snap && this.reportSnapshots)
      this.nodes.get(m.from)?.node.reportSnapshot(m.to, 'finish');
  }

  /**
   * Drops `m`. Like a real transport, a lost snapshot is reported to its sender, which otherwise
   * waits for it forever (see RawNode.reportSnapshot).
   */
  lose(m: Message): void {
    if (m.type === MessageType.Snap && this.reportSnapshots)
      this.nodes.get(m.from)?.node.reportSnapshot(m.to, 'failure');
  }

  /** Whether delivered snapshots are reported to their sender (reportSnapshot). */
  reportSnapshots = true;

  /**
   * Takes an application snapshot of `id` at its applied index (data: the applied payloads) and
   * compacts its log up to there.
   */
  compact(id: number): void {
    const t = this.get(id);
    t.storage.createSnapshot(t.appliedIndex, t.confState, enc(t.applied.join(',')));
    t.storage.compact(t.appliedIndex);
  }

  /** Cuts both directions between every node of `a` and every node of `b`. */
  partition(a: number[], b: number[]): void {
    for (const x of a)
      for (const y of b) {
        this.cut.add(`${x}->${y}`);
        this.cut.add(`${y}->${x}`);
      }
  }

  /** Cuts `id` from everyone. */
  isolate(id: number): void {
    this.partition(
      [id],
      [...this.nodes.keys()].filter((x) => x !== id),
    );
  }

  /** Cuts only messages from `from` to `to`. */
  drop(from: number, to: number): void {
    this.cut.add(`${from}->${to}`);
  }

  heal(): void {
    this.cut.clear();
    this.filter = undefined;
  }

  /** Ticks `id` n times, stabilizing after each tick. */
  tick(id: number, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.get(id).node.tick();
      this.stabilize();
    }
  }

  /** Ticks every node n times, stabilizing after each round. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const t of this.nodes.values()) t.node.tick();
      this.stabilize();
    }
  }

  /** Makes `id` campaign now and delivers everything. */
  campaign(id: number): void {
    this.stabilize();
    this.get(id).node.campaign();
    this.stabilize();
  }

  propose(id: number, data: string): void {
    this.get(id).node.propose(enc(data));
    this.stabilize();
  }

  role(id: number): StateRole {
    return this.get(id).node.status().softState.role;
  }

  term(id: number): number {
    return this.get(id).node.status().hardState.term;
  }

  /** Ids of current leaders (by their own belief). */
  leaders(): number[] {
    return [...this.nodes.values()]
      .filter((t) => t.node.status().softState.role === 'leader')
      .map((t) => t.id);
  }

  /** Number of delivered messages of `type` (optionally from/to a node). */
  count(type: MessageType, filter: { from?: number; to?: number } = {}): number {
    return this.delivered.filter(
      (m) =>
        m.type === type &&
        (filter.from === undefined || m.from === filter.from) &&
        (filter.to === undefined || m.to === filter.to),
    ).length;
  }

  /** The log of `id` as [term, index] pairs, including unstable entries (all persisted after stabilize). */
  logTerms(id: number): number[] {
    const s = this.get(id).storage;
    const out: number[] = [];
    for (let i = s.firstIndex(); i <= s.lastIndex(); i++) out.push(s.term(i));
    return out;
  }
}
