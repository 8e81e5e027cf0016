/**
 * One simulation run for one seed, VOPR style: the seed picks a fault profile (which faults are
 * enabled and how often: "swarm testing"), a safety phase runs the cluster and a client workload
 * under those faults with every invariant checked as it goes, then a liveness phase heals every
 * fault and requires a leader and a newly committed write within a bounded number of ticks.
 * Finally the whole client history is checked for linearizability.
 */
import type { TestingBugs } from '@navarch/raft';
import { Cluster } from './cluster.js';
import { SimViolation, type ViolationKind } from './invariants.js';
import { type KvOperation, kvModel } from './kv-model.js';
import { checkLinearizable, type LinearizabilityOutcome } from './linearizability.js';
import { type LinkFaults, perfectLink } from './network.js';
import { Prng } from './prng.js';
import { Workload, type WorkloadOptions } from './workload.js';

/** Which faults a run injects and how often (per tick probabilities). Chosen per seed by {@link chooseProfile}. */
export interface FaultProfile {
  voters: number;
  spares: number;
  link: LinkFaults;
  /** Per tick: crash one live node. */
  crashRate: number;
  /** Per tick, per crashed node: restart it. */
  restartRate: number;
  /** Per tick: crash one live node and restart it at once (a process bounce: loses only unsynced state). */
  bounceRate: number;
  /** Per Ready: crash between its writes and its fsync. */
  crashBeforeSyncRate: number;
  /** Per election: the new leader crashes after its first Ready is synced, before sending it. */
  crashOnElectionRate: number;
  /** Probability a crash keeps a random prefix of unsynced writes. */
  tornWriteRate: number;
  /** Per tick: start a new partition (isolate one node, split in two, or block one direction). */
  partitionRate: number;
  /** Per tick: heal every partition. */
  healRate: number;
  /** Per tick: add a learner, promote one, or remove a member. */
  membershipRate: number;
  /** Removals never take the voter count below this. */
  minVoters: number;
  /** Per tick: the leader transfers leadership. */
  transferRate: number;
  /** fsync latency upper bound in ticks (0: synchronous). */
  fsyncMaxTicks: number;
  /** 0 = never compact. */
  compactionThresholdEntries: number;
  preVote: boolean;
  checkQuorum: boolean;
  electionTicks: number;
  heartbeatTicks: number;
  /** Raft's per-message byte limit (1 = one entry per AppendEntries, so acks arrive entry by entry). */
  maxSizePerMsgBytes: number;
  maxInflightMsgs: number;
  workload: WorkloadOptions;
  /** Leaders send before their fsync (etcd's leader does); see NodeSettings. */
  leaderSendsBeforeSync: boolean;
  /** Durable committed entries are applied during the fsync; see NodeSettings. */
  applyBeforeSync: boolean;
}

/** Options of {@link runSeed}. */
export interface RunOptions {
  seed: number;
  /** Ticks of the safety phase (the CLI's --steps). Default 2,000. */
  safetyTicks?: number;
  /** Upper bound on ticks the healed cluster may take to commit a new write. Default 600. */
  livenessTicks?: number;
  /** FOR TESTS: deliberate Raft bugs. */
  testingBugs?: TestingBugs;
  /** Overrides of the seed's profile (e.g. more crashes to hunt a specific bug). */
  profile?: Partial<FaultProfile>;
  /** FOR TESTS ONLY: clients read from any node's local state (stale reads), see WorkloadOptions. */
  unsafeLocalReads?: boolean;
  /** FOR TESTS ONLY: every node, not only a leader, sends before its fsync (acks what it may lose). */
  unsafeSendBeforeSync?: boolean;
  /** Skip the liveness phase (bug hunts that only look for safety violations). */
  skipLiveness?: boolean;
  /** Invariant checks to skip (to show that a bug also breaks a deeper property). */
  disabledChecks?: ViolationKind[];
  /** Return the client history in the result (for checking it elsewhere). */
  keepHistory?: boolean;
  /** Keep the last this many event lines and return them in the result (for debugging a seed). */
  traceLines?: number;
  /** Check the client history for linearizability at the end. Default true. */
  checkLinearizability?: boolean;
}

/** A violation found by a run. */
export interface RunViolation {
  kind: ViolationKind;
  message: string;
  tick: number;
}

/** Outcome of one seed. */
export interface RunResult {
  seed: number;
  ok: boolean;
  violation?: RunViolation;
  ticks: number;
  profile: FaultProfile;
  /** Faults injected, by kind (crashes, partitions, drops, duplicates, lost writes ...). */
  faults: Record<string, number>;
  operations: { invoked: number; completed: number; unknown: number; readIndexReads: number };
  linearizability: LinearizabilityOutcome | 'skipped';
  invariantChecks: number;
  leadersElected: number;
  committedIndex: number;
  /** Hash of the whole run's event trace: the same seed must give the same value. */
  traceHash: string;
  /** One line per node at the end of the run (role, term, commit, applied, log, membership). */
  nodes: string[];
  /** The last events before the end (only with RunOptions.traceLines). */
  events: string[];
  /** The client history (only with RunOptions.keepHistory). */
  history?: KvOperation[];
}

/** The fault profile a seed selects (swarm testing: each fault kind is on or off per seed). */
export function chooseProfile(seed: number): FaultProfile {
  const prng = new Prng(seed).fork();
  const on = (p = 0.5): boolean => prng.chance(p);
  const rate = (low: number, high: number): number => low + (high - low) * prng.nextFloat();
  const maxLatency = prng.range(1, 6);
  return {
    voters: on(0.7) ? 3 : 5,
    spares: 3,
    link: {
      dropRate: on() ? rate(0.01, 0.2) : 0,
      duplicateRate: on() ? rate(0.01, 0.1) : 0,
      reorderRate: on() ? rate(0.01, 0.2) : 0,
      reorderDelayTicks: 10,
      minLatencyTicks: 1,
      maxLatencyTicks: maxLatency,
    },
    crashRate: on() ? rate(0.002, 0.02) : 0,
    restartRate: rate(0.02, 0.2),
    bounceRate: on(0.3) ? rate(0.002, 0.02) : 0,
    crashBeforeSyncRate: on(0.3) ? rate(0.001, 0.01) : 0,
    crashOnElectionRate: on(0.3) ? rate(0.05, 0.3) : 0,
    tornWriteRate: on() ? rate(0.2, 0.9) : 0,
    partitionRate: on() ? rate(0.002, 0.02) : 0,
    healRate: rate(0.01, 0.05),
    membershipRate: on(0.4) ? rate(0.002, 0.01) : 0,
    minVoters: prng.range(1, 3),
    transferRate: on(0.3) ? rate(0.001, 0.01) : 0,
    fsyncMaxTicks: on() ? prng.range(1, 3) : 0,
    compactionThresholdEntries: on() ? prng.range(10, 60) : 0,
    preVote: on(),
    checkQuorum: on(),
    electionTicks: 10,
    heartbeatTicks: 2,
    maxSizePerMsgBytes: prng.pick([1, 256, 4096]),
    maxInflightMsgs: prng.pick([1, 4, 64]),
    workload: {
      clients: prng.range(2, 5),
      keys: prng.range(1, 4),
      requestTimeoutTicks: 80,
      attemptTimeoutTicks: 25,
      thinkTicksMax: 6,
      readRatio: 0.3,
      casRatio: 0.3,
      readIndexRatio: prng.pick([0, 0.5, 1]),
    },
    // Drawn last so that adding it left every earlier choice of each seed as it was.
    leaderSendsBeforeSync: on(),
    applyBeforeSync: on(),
  };
}

function injectFaults(cluster: Cluster, prng: Prng, profile: FaultProfile): void {
  const nodes = cluster.nodes().filter((n) => !n.stopped);
  const live = nodes.filter((n) => n.up);
  if (live.length > 1 && prng.chance(profile.crashRate)) cluster.crash(prng.pick(live).id);
  for (const n of nodes) if (!n.up && prng.chance(profile.restartRate)) cluster.restart(n.id);
  if (live.length > 0 && prng.chance(profile.bounceRate)) {
    const n = prng.pick(live);
    if (n.up) {
      cluster.crash(n.id);
      cluster.restart(n.id);
      cluster.count('bounce');
    }
  }
  if (prng.chance(profile.partitionRate)) {
    const ids = nodes.map((n) => n.id);
    const kind = prng.int(3);
    if (kind === 0) {
      const isolated = prng.pick(ids);
      cluster.network.partition([[isolated], ids.filter((id) => id !== isolated)]);
      cluster.count('partitionIsolate', `node ${isolated}`);
    } else if (kind === 1) {
      const shuffled = prng.shuffle(ids);
      const cut = prng.range(1, Math.max(1, shuffled.length - 1));
      cluster.network.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
      cluster.count('partitionSplit', `[${shuffled.slice(0, cut)}] | [${shuffled.slice(cut)}]`);
    } else if (ids.length > 1) {
      const [from, to] = prng.shuffle(ids);
      cluster.network.blockOneWay(from as number, to as number);
      cluster.count('partitionOneWay', `${from} -> ${to}`);
    }
  }
  if (cluster.network.blockedLinkCount > 0 && prng.chance(profile.healRate)) {
    cluster.network.heal();
    cluster.count('heal');
  }
  if (prng.chance(profile.membershipRate)) {
    const action = prng.int(3);
    if (action === 0) cluster.addLearner();
    else if (action === 1) cluster.promote();
    else cluster.removeMember(profile.minVoters);
  }
  if (prng.chance(profile.transferRate)) cluster.transferLeadership();
}

/** Brings every fault to an end: network healed and reliable, every node that may matter running. */
function healAll(cluster: Cluster): void {
  cluster.crashPointsEnabled = false;
  cluster.network.heal();
  cluster.network.setDefaults(perfectLink());
  cluster.network.clearLinks();
  for (const n of cluster.nodes()) if (!n.stopped && !n.up) n.start();
}

/**
 * Decommissions removed members, but only once every remaining member has applied the change:
 * stopping one earlier can leave a member that still counts it as a voter without a quorum (an
 * operator error, not a Raft bug).
 */
function retireRemoved(cluster: Cluster): void {
  const conf = cluster.latestConfState();
  const members = new Set([...conf.voters, ...conf.learners]);
  const live = cluster.nodes().filter((n) => n.up);
  for (const n of live) {
    if (members.has(n.id)) continue;
    const stillCounted = live.some(
      (m) => members.has(m.id) && (m.confState.voters.includes(n.id) || m.confState.learners.includes(n.id)),
    );
    if (!stillCounted) cluster.stop(n.id);
  }
}

/** Runs one seed to completion and reports what it found. Never throws for a violation. */
export function runSeed(options: RunOptions): RunResult {
  const seed = options.seed;
  const safetyTicks = options.safetyTicks ?? 2000;
  const livenessTicks = options.livenessTicks ?? 600;
  const profile: FaultProfile = { ...chooseProfile(seed), ...options.profile };
  const root = new Prng(seed);
  root.fork(); // the stream chooseProfile used
  const faultPrng = root.fork();
  const voters = Array.from({ length: profile.voters }, (_, i) => i + 1);
  const spares = Array.from({ length: profile.spares }, (_, i) => profile.voters + i + 1);
  let cluster: Cluster | undefined;
  let workload: Workload | undefined;
  let violation: RunViolation | undefined;
  let linearizability: RunResult['linearizability'] = 'skipped';
  try {
    cluster = new Cluster(root.fork(), {
      voters,
      spares,
      link: profile.link,
      crashBeforeSyncRate: profile.crashBeforeSyncRate,
      traceLines: options.traceLines ?? 0,
      crashOnElectionRate: profile.crashOnElectionRate,
      ...(options.disabledChecks === undefined ? {} : { disabledChecks: options.disabledChecks }),
      node: {
        electionTicks: profile.electionTicks,
        heartbeatTicks: profile.heartbeatTicks,
        preVote: profile.preVote,
        checkQuorum: profile.checkQuorum,
        fsyncMinTicks: 0,
        fsyncMaxTicks: profile.fsyncMaxTicks,
        tornWriteRate: profile.tornWriteRate,
        compactionThresholdEntries: profile.compactionThresholdEntries,
        compactionKeepEntries: 5,
        maxSizePerMsgBytes: profile.maxSizePerMsgBytes,
        maxInflightMsgs: profile.maxInflightMsgs,
        sendBeforeSync: options.unsafeSendBeforeSync
          ? 'anyone'
          : profile.leaderSendsBeforeSync
            ? 'leader'
            : 'never',
        applyBeforeSync: profile.applyBeforeSync,
        ...(options.testingBugs === undefined ? {} : { testingBugs: options.testingBugs }),
      },
    });
    const c = cluster;
    workload = new Workload(c, root.fork(), {
      ...profile.workload,
      ...(options.unsafeLocalReads ? { unsafeLocalReads: true } : {}),
    });
    workload.onAcknowledgedWrite = (entry, what) => c.checker.onAcknowledged(entry.index, entry.term, what);
    for (let i = 0; i < safetyTicks; i++) {
      injectFaults(c, faultPrng, profile);
      workload.tick(c.now);
      c.tick();
    }
    if (!options.skipLiveness) {
      healAll(c);
      workload.progressSince = c.now;
      workload.progressAt = -1;
      const deadline = c.now + livenessTicks;
      while (workload.progressAt < 0 && c.now < deadline) {
        retireRemoved(c);
        workload.tick(c.now);
        c.tick();
      }
      if (workload.progressAt < 0) {
        const leader = c.leader();
        throw new SimViolation(
          'liveness',
          `no write committed within ${livenessTicks} ticks after healing (leader: ${leader === undefined ? 'none' : `${leader.id} term ${leader.term}`})`,
        );
      }
    }
    if (options.checkLinearizability ?? true) {
      const result = checkLinearizable(workload.history, kvModel, { maxStatesPerPartition: 200_000 });
      linearizability = result.outcome;
      if (result.outcome === 'violation') {
        throw new SimViolation('linearizability', `${result.failure?.partition}: ${result.failure?.message}`);
      }
    }
  } catch (error) {
    const tick = cluster?.now ?? 0;
    if (error instanceof SimViolation) violation = { kind: error.kind, message: error.message, tick };
    else {
      const e = error instanceof Error ? error : new Error(String(error));
      const code = (e as { code?: unknown }).code;
      violation = {
        kind: 'driver',
        message: `${typeof code === 'string' ? `${code}: ` : ''}${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}`,
        tick,
      };
    }
  }
  const faults: Record<string, number> = { ...(cluster?.faults ?? {}) };
  if (cluster !== undefined) {
    const net = cluster.network.stats;
    faults.messageDropped = net.dropped;
    faults.messageDuplicated = net.duplicated;
    faults.messageReordered = net.reordered;
    faults.messagePartitioned = net.partitionDropped;
    let lost = 0;
    let torn = 0;
    for (const n of cluster.nodes()) {
      lost += n.disk.stats.lostWrites;
      torn += n.disk.stats.tornSurvivors;
    }
    faults.unsyncedWritesLost = lost;
    faults.tornWritesKept = torn;
  }
  const history = workload?.history ?? [];
  const completed = history.filter((o) => o.completeTime !== undefined).length;
  const result: RunResult = {
    seed,
    ok: violation === undefined,
    ticks: cluster?.now ?? 0,
    profile,
    faults,
    operations: {
      invoked: history.length,
      completed,
      unknown: history.length - completed,
      readIndexReads: workload?.readIndexReads ?? 0,
    },
    linearizability,
    invariantChecks: cluster?.checker.checks ?? 0,
    leadersElected: cluster?.checker.leadersByTerm().length ?? 0,
    committedIndex: cluster?.checker.highestCommitted ?? 0,
    traceHash: (cluster?.traceHash ?? 0).toString(16).padStart(8, '0'),
    events: cluster?.recentEvents() ?? [],
    nodes: (cluster?.nodes() ?? []).map((n) => {
      const s = n.disk.storage;
      const state = n.stopped ? 'stopped' : n.up ? n.role : 'down';
      const conf = `voters [${n.confState.voters.join(',')}] learners [${n.confState.learners.join(',')}]`;
      return `node ${n.id}: ${state} term ${n.term} commit ${n.commit} applied ${n.kv.appliedIndex} log ${s.firstIndex()}..${s.lastIndex()} ${conf}`;
    }),
  };
  if (violation !== undefined) result.violation = violation;
  if (options.keepHistory) result.history = history;
  return result;
}
