import { Cluster, type ClusterOptions, Prng, perfectLink, Workload } from '@navarch/sim';
import { describe, expect, it } from 'vitest';

const options: ClusterOptions = {
  voters: [1, 2, 3],
  spares: [4, 5],
  link: perfectLink(),
  node: {
    electionTicks: 10,
    heartbeatTicks: 2,
    preVote: false,
    checkQuorum: false,
    fsyncMinTicks: 0,
    fsyncMaxTicks: 1,
    tornWriteRate: 0,
    compactionThresholdEntries: 20,
    compactionKeepEntries: 5,
    maxSizePerMsgBytes: 4096,
    maxInflightMsgs: 16,
  },
};

function runUntil(
  cluster: Cluster,
  workload: Workload | undefined,
  done: () => boolean,
  maxTicks = 2000,
): void {
  for (let i = 0; i < maxTicks && !done(); i++) {
    workload?.tick(cluster.now);
    cluster.tick();
  }
  expect(done()).toBe(true);
}

describe('Cluster (scripted, no random faults)', () => {
  it('elects a leader, serves clients, and survives a leader crash', () => {
    const cluster = new Cluster(new Prng(1), options);
    const workload = new Workload(cluster, new Prng(2), {
      clients: 2,
      keys: 2,
      requestTimeoutTicks: 80,
      attemptTimeoutTicks: 25,
      thinkTicksMax: 3,
      readRatio: 0.3,
      casRatio: 0.3,
      readIndexRatio: 0.5,
    });
    runUntil(cluster, workload, () => cluster.leader() !== undefined);
    runUntil(cluster, workload, () => workload.stats.completed >= 30);
    const first = cluster.leader();
    expect(first).toBeDefined();
    cluster.crash(first?.id ?? 0);
    const before = workload.stats.completed;
    runUntil(cluster, workload, () => {
      const l = cluster.leader();
      return l !== undefined && l.id !== first?.id && workload.stats.completed >= before + 30;
    });
    cluster.restart(first?.id ?? 0);
    // The old leader catches up (by log or by snapshot, as the log is compacted every 20 entries).
    runUntil(cluster, workload, () => {
      const target = cluster.leader()?.commit ?? 0;
      return cluster.node(first?.id ?? 0).kv.appliedIndex >= target;
    });
    expect(cluster.checker.checks).toBeGreaterThan(100);
  });

  it('adds a learner, promotes it, removes a voter, and transfers leadership', () => {
    const cluster = new Cluster(new Prng(3), options);
    runUntil(cluster, undefined, () => cluster.leader() !== undefined);
    expect(cluster.addLearner()).toBe(4);
    runUntil(cluster, undefined, () => cluster.latestConfState().learners.includes(4));
    // The new node was started and caught up from an empty disk.
    runUntil(cluster, undefined, () => cluster.node(4).kv.appliedIndex >= (cluster.leader()?.commit ?? 1));
    expect(cluster.promote()).toBe(4);
    runUntil(cluster, undefined, () => cluster.latestConfState().voters.includes(4));
    const removed = cluster.removeMember(3);
    expect(removed).toBeDefined();
    runUntil(cluster, undefined, () => !cluster.latestConfState().voters.includes(removed ?? 0));
    cluster.stop(removed ?? 0); // the operator decommissions the removed member
    runUntil(cluster, undefined, () => cluster.leader() !== undefined);
    const leader = cluster.leader();
    const target = cluster.transferLeadership();
    expect(target).toBeDefined();
    runUntil(
      cluster,
      undefined,
      () => cluster.leader()?.id === target && cluster.leader()?.id !== leader?.id,
    );
    expect(cluster.faults).toMatchObject({ addLearner: 1, promote: 1, remove: 1, transferLeader: 1 });
  });
});

describe('Cluster trace lines', () => {
  it('keeps the last traceLines event lines, oldest first', () => {
    const cluster = new Cluster(new Prng(5), { ...options, traceLines: 3 });
    for (let i = 1; i <= 7; i++) cluster.note(0, () => `line ${i}`);
    expect(cluster.recentEvents().map((l) => l.replace(/^t=\d+ sim /, ''))).toEqual([
      'line 5',
      'line 6',
      'line 7',
    ]);
    cluster.note(0, () => 'line 8');
    expect(cluster.recentEvents().map((l) => l.replace(/^t=\d+ sim /, ''))).toEqual([
      'line 6',
      'line 7',
      'line 8',
    ]);
  });

  it('keeps no lines without traceLines', () => {
    const cluster = new Cluster(new Prng(5), options);
    cluster.note(0, () => 'line');
    expect(cluster.recentEvents()).toEqual([]);
  });
});
