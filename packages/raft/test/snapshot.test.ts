import { MessageType } from '@navarch/raft';
import { describe, expect, it } from 'vitest';
import { Network } from './harness.js';

describe('snapshots and log compaction', () => {
  function laggingFollower(): Network {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'a');
    net.isolate(3);
    for (let i = 0; i < 20; i++) net.propose(1, `x${i}`);
    net.compact(1);
    // 3 needs entries the leader no longer has.
    expect(net.get(1).storage.firstIndex()).toBeGreaterThan(net.get(3).storage.lastIndex() + 1);
    net.delivered = [];
    return net;
  }

  it('a follower behind the compacted log receives a snapshot and then catches up', () => {
    const net = laggingFollower();
    net.heal();
    net.tick(1, 2);
    expect(net.count(MessageType.Snap, { to: 3 })).toBe(1);
    const t3 = net.get(3);
    expect(t3.installedSnapshotIndex).toBe(net.get(1).storage.snapshot().metadata.index);
    expect(t3.confState.voters).toEqual([1, 2, 3]);
    // New entries flow normally afterwards.
    net.propose(1, 'after');
    expect(t3.applied).toEqual(net.get(1).applied);
    expect(t3.applied.at(-1)).toBe('after');
    const pr = net
      .get(1)
      .node.status()
      .progress.find((p) => p.id === 3)!;
    expect(pr.state).toBe('replicate');
    expect(pr.match).toBe(net.get(1).node.status().lastIndex);
  });

  it('while a snapshot is in flight the leader sends nothing else to that follower', () => {
    const net = laggingFollower();
    // The snapshot is lost on the way (and not reported yet).
    net.heal();
    net.reportSnapshots = false;
    net.filter = (m) => m.type !== MessageType.Snap;
    net.tick(1, 1);
    let pr = net
      .get(1)
      .node.status()
      .progress.find((p) => p.id === 3)!;
    expect(pr.state).toBe('snapshot');
    expect(pr.pendingSnapshot).toBe(net.get(1).storage.snapshot().metadata.index);
    net.delivered = [];
    net.propose(1, 'more');
    expect(net.count(MessageType.App, { to: 3 })).toBe(0);
    // The transport reports the failure: the leader probes again and sends a new snapshot.
    net.filter = undefined;
    net.reportSnapshots = true;
    net.get(1).node.reportSnapshot(3, 'failure');
    net.tick(1, 2);
    pr = net
      .get(1)
      .node.status()
      .progress.find((p) => p.id === 3)!;
    expect(pr.state).toBe('replicate');
    expect(net.get(3).applied).toEqual(net.get(1).applied);
  });

  it('reportUnreachable moves a replicating follower back to probing', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    expect(
      net
        .get(1)
        .node.status()
        .progress.find((p) => p.id === 2)!.state,
    ).toBe('replicate');
    net.get(1).node.reportUnreachable(2);
    expect(
      net
        .get(1)
        .node.status()
        .progress.find((p) => p.id === 2)!.state,
    ).toBe('probe');
  });

  it('a restarted node recovers from its snapshot and log', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    net.compact(2);
    net.propose(1, 'v5');
    const before = net.get(2).node.status();
    const t = net.restart(2);
    const after = t.node.status();
    expect(after.hardState).toEqual(before.hardState);
    expect(after.lastIndex).toBe(before.lastIndex);
    expect(after.confState).toEqual({ voters: [1, 2, 3], learners: [] });
    net.propose(1, 'v6');
    expect(net.get(2).applied).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
  });
});
