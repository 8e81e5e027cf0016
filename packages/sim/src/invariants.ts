/**
 * Safety invariants of Raft, checked on plain data that the simulator reports as it drives the
 * nodes (what each node writes, commits, applies, and which role it holds). A broken invariant
 * throws {@link SimViolation}, which stops the run with a message and the seed.
 *
 * Logs are compared through cumulative hashes: chain(i) = mix(chain(i-1), term(i), data(i)), so
 * two logs agree on every entry up to i iff their chains agree at i (up to hash collisions, which
 * can only hide a violation, never invent one). That turns log matching and leader completeness
 * into O(1) checks per entry instead of comparing whole logs.
 */

/** Stable error code of a safety or liveness violation found by the simulator. */
export const SIM_VIOLATION_CODE = 'NAVARCH_ERR_SIM_VIOLATION';

/** Which property was broken. */
export type ViolationKind =
  | 'electionSafety'
  | 'logMatching'
  | 'leaderCompleteness'
  | 'stateMachineSafety'
  | 'commitMonotonic'
  | 'commitConsistency'
  | 'leaderCommitRule'
  | 'ackedWriteLost'
  | 'linearizability'
  | 'liveness'
  | 'driver';

/** A broken invariant. `code` is always {@link SIM_VIOLATION_CODE}. */
export class SimViolation extends Error {
  readonly code = SIM_VIOLATION_CODE;
  constructor(
    readonly kind: ViolationKind,
    message: string,
  ) {
    super(`${kind}: ${message}`);
    this.name = 'SimViolation';
  }
}

/** The parts of an entry the checks look at (a structural subset of Raft's Entry). */
export interface EntryLike {
  index: number;
  term: number;
  type: string;
  data: Uint8Array;
}

const FNV_PRIME = 0x01000193;

function fnv(seed: number, term: number, type: string, data: Uint8Array): number {
  let h = seed >>> 0;
  for (let i = 0; i < 4; i++) h = Math.imul(h ^ ((term >>> (8 * i)) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ (Math.floor(term / 0x1_0000_0000) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ (type.length & 0xff), FNV_PRIME);
  h = Math.imul(h ^ (type.charCodeAt(0) & 0xff), FNV_PRIME);
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ (data[i] as number), FNV_PRIME);
  return h >>> 0;
}

function fmix(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Content hash of one entry (term, type and data); a 53-bit integer. */
export function entryHash(e: EntryLike): number {
  const a = fnv(0x811c9dc5, e.term, e.type, e.data);
  const b = fnv(0x050c5d1f, e.term, e.type, e.data);
  return a * 0x20_0000 + (b >>> 11);
}

/** Cumulative hash of a log prefix ending with `e`, given the prefix's hash before it. */
export function chainHash(previous: number, e: EntryLike): number {
  const h = entryHash(e);
  const prevHigh = Math.floor(previous / 0x20_0000) >>> 0;
  const prevLow = previous % 0x20_0000;
  const high = Math.floor(h / 0x20_0000) >>> 0;
  const low = h % 0x20_0000;
  const a = fmix((prevHigh ^ Math.imul(high, 0x9e3779b1) ^ e.index) >>> 0);
  const b = fmix((prevLow * 31 + low + Math.imul(e.index, 0x27d4eb2d)) >>> 0);
  return a * 0x20_0000 + (b >>> 11);
}

/** Hash used for an unknown prefix (a node restored from a snapshot we cannot anchor). */
const UNKNOWN = -1;

interface NodeTrack {
  /** Index of the entry before terms[0] / chain[0] (snapshot or compaction point). */
  base: number;
  /** Chain hash at `base` (UNKNOWN when it cannot be anchored). */
  baseChain: number;
  terms: number[];
  chain: number[];
  /** Incarnation the commit/term monotonicity checks refer to. */
  incarnation: number;
  commit: number;
  term: number;
  applied: number;
}

/** Tracks every node and the cluster-wide facts (leaders per term, committed and applied entries). */
export class InvariantChecker {
  private readonly nodes = new Map<number, NodeTrack>();
  private readonly leaders = new Map<number, number>();
  /** (index:term) -> chain hash, for every entry any node ever wrote. */
  private readonly seen = new Map<string, number>();
  /** committed[i] = { term, chain } once any node committed index i. */
  private readonly committed: ({ term: number; chain: number } | undefined)[] = [];
  private maxCommitted = 0;
  /** applied[i] = entry hash applied at index i by the first node that applied it. */
  private readonly applied: (number | undefined)[] = [];
  private readonly acked: { index: number; term: number; what: string }[] = [];
  /** Number of individual checks performed (reported in the summary). */
  checks = 0;

  /**
   * @param disabled checks to skip (e.g. to show that a deliberate bug also breaks a deeper
   *   property than the first one it trips)
   */
  constructor(private readonly disabled: ReadonlySet<ViolationKind> = new Set()) {}

  /** Highest index any node committed. */
  get highestCommitted(): number {
    return this.maxCommitted;
  }

  /** Leader of each term seen so far, in term order. */
  leadersByTerm(): [number, number][] {
    return [...this.leaders.entries()].sort((a, b) => a[0] - b[0]);
  }

  private track(node: number): NodeTrack {
    let t = this.nodes.get(node);
    if (t === undefined) {
      t = { base: 0, baseChain: 0, terms: [], chain: [], incarnation: 0, commit: 0, term: 0, applied: 0 };
      this.nodes.set(node, t);
    }
    return t;
  }

  private chainAt(t: NodeTrack, index: number): number | undefined {
    if (index === t.base) return t.baseChain;
    if (index < t.base) return undefined;
    return t.chain[index - t.base - 1];
  }

  private termAt(t: NodeTrack, index: number): number | undefined {
    if (index <= t.base) return undefined;
    return t.terms[index - t.base - 1];
  }

  private lastIndex(t: NodeTrack): number {
    return t.base + t.terms.length;
  }

  private anchor(index: number, term: number): number {
    if (index === 0) return 0;
    const c = this.committed[index];
    if (c !== undefined && c.term === term) return c.chain;
    return this.seen.get(`${index}:${term}`) ?? UNKNOWN;
  }

  /**
   * A node (re)starts from storage: its log is `entries` after the point (`baseIndex`, `baseTerm`).
   * Monotonicity checks restart with the new incarnation from `commit`.
   */
  onRestart(
    node: number,
    incarnation: number,
    log: { baseIndex: number; baseTerm: number; entries: readonly EntryLike[] },
    state: { commit: number; term: number; applied: number },
  ): void {
    const { baseIndex, baseTerm, entries } = log;
    const t = this.track(node);
    t.base = baseIndex;
    t.baseChain = this.anchor(baseIndex, baseTerm);
    t.terms = [];
    t.chain = [];
    t.incarnation = incarnation;
    t.commit = state.commit;
    t.term = state.term;
    t.applied = state.applied;
    this.onEntriesWritten(node, entries);
  }

  /** Entries a node appended (truncating any conflicting suffix): log matching. */
  onEntriesWritten(node: number, entries: readonly EntryLike[]): void {
    const t = this.track(node);
    for (const e of entries) {
      this.checks++;
      if (e.index <= t.base) continue; // already covered by the node's snapshot
      if (e.index > this.lastIndex(t) + 1) {
        throw new SimViolation(
          'driver',
          `node ${node} wrote entry ${e.index} after its last index ${this.lastIndex(t)} (gap)`,
        );
      }
      const offset = e.index - t.base - 1;
      const previousTerm = offset === 0 ? undefined : t.terms[offset - 1];
      if (previousTerm !== undefined && e.term < previousTerm) {
        throw new SimViolation(
          'logMatching',
          `node ${node} log term decreases at index ${e.index}: ${previousTerm} -> ${e.term}`,
        );
      }
      const existing = t.terms[offset];
      if (existing !== undefined && e.index <= t.commit) {
        // Rewriting an entry the node itself already knows committed loses a committed entry.
        const before = t.chain[offset];
        const prev = this.chainAt(t, e.index - 1) ?? UNKNOWN;
        const after = prev === UNKNOWN ? UNKNOWN : chainHash(prev, e);
        if (existing !== e.term || (before !== UNKNOWN && after !== UNKNOWN && before !== after)) {
          throw new SimViolation(
            'commitConsistency',
            `node ${node} overwrote its committed entry ${e.index} (term ${existing}) with term ${e.term} (commit ${t.commit})`,
          );
        }
      }
      t.terms.length = offset;
      t.chain.length = offset;
      const prev = this.chainAt(t, e.index - 1);
      const chain = prev === undefined || prev === UNKNOWN ? UNKNOWN : chainHash(prev, e);
      t.terms.push(e.term);
      t.chain.push(chain);
      if (chain === UNKNOWN) continue;
      const key = `${e.index}:${e.term}`;
      const other = this.seen.get(key);
      if (other === undefined) this.seen.set(key, chain);
      else if (other !== chain) {
        throw new SimViolation(
          'logMatching',
          `node ${node} has entry ${e.index} of term ${e.term} but its log up to there differs from another node's entry ${e.index} of term ${e.term}`,
        );
      }
    }
  }

  /** A node installed a snapshot at (index, term): its log now starts after it. */
  onSnapshotInstalled(node: number, index: number, term: number): void {
    const t = this.track(node);
    this.checks++;
    const c = this.committed[index];
    if (c !== undefined && c.term !== term) {
      throw new SimViolation(
        'stateMachineSafety',
        `node ${node} installed a snapshot at ${index} of term ${term}, but term ${c.term} was committed there`,
      );
    }
    t.base = index;
    t.baseChain = this.anchor(index, term);
    t.terms = [];
    t.chain = [];
    t.applied = index;
    if (t.commit < index) t.commit = index;
  }

  /**
   * A node persisted a hard state: term and commit never decrease; newly committed entries agree
   * cluster-wide; and a leader (`isLeader`: its role after this Ready) only advances its commit
   * index onto an entry of its own term (Raft §5.4.2: entries of earlier terms are never committed
   * by counting replicas, only indirectly).
   */
  onHardState(node: number, incarnation: number, term: number, commit: number, isLeader = false): void {
    const t = this.track(node);
    this.checks++;
    if (t.incarnation === incarnation) {
      if (term < t.term)
        throw new SimViolation('commitMonotonic', `node ${node} term went back from ${t.term} to ${term}`);
      if (commit < t.commit) {
        throw new SimViolation(
          'commitMonotonic',
          `node ${node} commit index went back from ${t.commit} to ${commit}`,
        );
      }
    }
    t.incarnation = incarnation;
    t.term = term;
    if (commit > this.lastIndex(t)) {
      throw new SimViolation(
        'commitConsistency',
        `node ${node} commits ${commit} beyond its last index ${this.lastIndex(t)}`,
      );
    }
    if (isLeader && commit > t.commit && commit > t.base && !this.disabled.has('leaderCommitRule')) {
      const committedTerm = this.termAt(t, commit);
      if (committedTerm !== term) {
        throw new SimViolation(
          'leaderCommitRule',
          `leader ${node} of term ${term} advanced its commit index to ${commit}, an entry of term ${committedTerm}`,
        );
      }
    }
    const from = Math.max(t.commit, t.base) + 1;
    for (let i = from; i <= commit; i++) this.recordCommitted(node, t, i);
    t.commit = Math.max(t.commit, commit);
  }

  private recordCommitted(node: number, t: NodeTrack, index: number): void {
    const term = this.termAt(t, index);
    const chain = this.chainAt(t, index);
    if (term === undefined || chain === undefined) return;
    this.checks++;
    const c = this.committed[index];
    if (c === undefined) {
      if (chain !== UNKNOWN) this.committed[index] = { term, chain };
      if (index > this.maxCommitted) this.maxCommitted = index;
      return;
    }
    if (c.term !== term || (chain !== UNKNOWN && c.chain !== chain)) {
      throw new SimViolation(
        'commitConsistency',
        `node ${node} committed index ${index} with term ${term}, but a different entry (term ${c.term}) was committed there before`,
      );
    }
  }

  /** A node reports its role: at most one leader per term; a new leader holds every committed entry. */
  onRole(node: number, term: number, isLeader: boolean): void {
    if (!isLeader) return;
    this.checks++;
    const other = this.leaders.get(term);
    if (other !== undefined && other !== node) {
      throw new SimViolation('electionSafety', `nodes ${other} and ${node} are both leader of term ${term}`);
    }
    if (other === node) return;
    this.leaders.set(term, node);
    const t = this.track(node);
    // Leader completeness: compare the cumulative hash at the highest committed index the leader
    // still holds in its log; entries below its snapshot are covered by the snapshot.
    const upTo = Math.min(this.maxCommitted, this.lastIndex(t));
    if (this.maxCommitted > this.lastIndex(t)) {
      throw new SimViolation(
        'leaderCompleteness',
        `node ${node} became leader of term ${term} with last index ${this.lastIndex(t)}, but index ${this.maxCommitted} is committed`,
      );
    }
    for (let i = upTo; i > t.base; i--) {
      const c = this.committed[i];
      if (c === undefined) continue;
      const mine = this.chainAt(t, i);
      this.checks++;
      if (this.termAt(t, i) !== c.term || (mine !== undefined && mine !== UNKNOWN && mine !== c.chain)) {
        throw new SimViolation(
          'leaderCompleteness',
          `node ${node} became leader of term ${term} without committed entry ${i} (term ${c.term}; it has term ${this.termAt(t, i)})`,
        );
      }
      break; // cumulative hashes: agreement at the highest committed index covers all below
    }
    for (const a of this.acked) {
      if (a.index <= t.base) continue;
      this.checks++;
      if (this.termAt(t, a.index) !== a.term) {
        throw new SimViolation(
          'ackedWriteLost',
          `node ${node} became leader of term ${term} without acknowledged write ${a.what} at index ${a.index} (term ${a.term})`,
        );
      }
    }
  }

  /** A node applies entry `e`: applies are contiguous, committed, and the same at every node. */
  onApply(node: number, e: EntryLike): void {
    const t = this.track(node);
    this.checks++;
    if (e.index !== t.applied + 1) {
      throw new SimViolation(
        'stateMachineSafety',
        `node ${node} applied index ${e.index} after ${t.applied} (not contiguous)`,
      );
    }
    if (e.index > t.commit) {
      throw new SimViolation(
        'stateMachineSafety',
        `node ${node} applied index ${e.index} beyond its commit ${t.commit}`,
      );
    }
    t.applied = e.index;
    const h = entryHash(e);
    const first = this.applied[e.index];
    if (first === undefined) this.applied[e.index] = h;
    else if (first !== h) {
      throw new SimViolation(
        'stateMachineSafety',
        `node ${node} applied a different entry at index ${e.index} (term ${e.term}) than another node`,
      );
    }
  }

  /** The client was told a write succeeded: it must survive every crash and election. */
  onAcknowledged(index: number, term: number, what: string): void {
    this.acked.push({ index, term, what });
  }

  /** Number of acknowledged writes recorded. */
  get acknowledgedWrites(): number {
    return this.acked.length;
  }
}
