import { ErrProposalDropped, MessageType } from '@navarch/raft';
import { describe, expect, it } from 'vitest';
import { Network } from './harness.js';

describe('membership changes', () => {
  it('a bootstrapped cluster starts with one committed conf change entry per member', () => {
    const net = new Network([1, 2, 3]);
    for (const id of [1, 2, 3]) {
      const s = net.get(id).node.status();
      expect(s.hardState).toEqual({ term: 1, vote: 0, commit: 3 });
      expect(s.applied).toBe(3);
      expect(net.get(id).confState).toEqual({ voters: [1, 2, 3], learners: [] });
    }
  });

  it('add a learner, let it catch up, then promote it to voter', () => {
    const net = new Network([1, 2, 3], {}, 1, [4]);
    net.campaign(1);
    net.propose(1, 'a');
    net.get(1).node.proposeConfChange({ type: 'addLearnerNode', nodeId: 4 });
    net.stabilize();
    net.tick(1, 2);
    const t4 = net.get(4);
    // The joiner learned the initial membership from the bootstrap entries, then itself.
    expect(t4.confState).toEqual({ voters: [1, 2, 3], learners: [4] });
    expect(t4.applied).toEqual(['a']);
    expect(
      net
        .get(1)
        .node.status()
        .progress.find((p) => p.id === 4),
    ).toMatchObject({ isLearner: true });
    // A learner never campaigns ...
    net.tick(4, 50);
    expect(net.role(4)).toBe('follower');
    expect(net.term(4)).toBe(net.term(1));
    // ... and does not count towards commit.
    net.isolate(2);
    net.isolate(3);
    const commit = net.get(1).node.status().hardState.commit;
    net.propose(1, 'b');
    expect(net.get(1).node.status().hardState.commit).toBe(commit);
    expect(net.get(4).storage.lastIndex()).toBeGreaterThan(commit);
    net.heal();
    net.tick(1, 1);
    // Promote.
    net.get(1).node.proposeConfChange({ type: 'addNode', nodeId: 4 });
    net.stabilize();
    for (const id of [1, 2, 3, 4])
      expect(net.get(id).confState).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    // Now 4 counts: with 3 cut off, 1, 2 and 4 are a majority of 4.
    net.isolate(3);
    net.propose(1, 'c');
    expect(net.get(4).applied).toEqual(['a', 'b', 'c']);
    net.heal();
    // And 4 can lead.
    net.isolate(1);
    net.campaign(4);
    expect(net.role(4)).toBe('leader');
  });

  it('removing a follower shrinks the quorum', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.get(1).node.proposeConfChange({ type: 'removeNode', nodeId: 3 });
    net.stabilize();
    expect(net.get(1).confState).toEqual({ voters: [1, 2], learners: [] });
    net.isolate(3);
    net.propose(1, 'x');
    expect(net.get(2).applied).toEqual(['x']);
    // The removed node cannot campaign.
    net.tick(3, 50);
    expect(net.role(3)).not.toBe('candidate');
  });

  it('removing the leader makes it step down and the rest elect a new leader', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.get(1).node.proposeConfChange({ type: 'removeNode', nodeId: 1 });
    net.stabilize();
    expect(net.role(1)).toBe('follower');
    expect(net.get(1).confState.voters).toEqual([2, 3]);
    for (let i = 0; i < 50 && net.leaders().length === 0; i++) net.tickAll(1);
    const [leader] = net.leaders();
    expect([2, 3]).toContain(leader);
    net.propose(leader!, 'after');
    expect(net.get(2).applied).toEqual(['after']);
    expect(net.get(3).applied).toEqual(['after']);
    expect(net.get(2).confState.voters).toEqual([2, 3]);
    // The old leader never campaigns again.
    net.tick(1, 50);
    expect(net.role(1)).toBe('follower');
  });

  it('only one conf change may be pending at a time', () => {
    const net = new Network([1, 2, 3], {}, 1, [4, 5]);
    net.campaign(1);
    net.isolate(1);
    net.get(1).node.proposeConfChange({ type: 'addLearnerNode', nodeId: 4 });
    let error: unknown;
    try {
      net.get(1).node.proposeConfChange({ type: 'addLearnerNode', nodeId: 5 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ErrProposalDropped);
    expect((error as ErrProposalDropped).reason).toBe('pendingConfChange');
    // Normal proposals still go through.
    net.get(1).node.propose(new Uint8Array([1]));
    net.heal();
    net.tick(1, 2);
    expect(net.get(1).confState.learners).toEqual([4]);
    // Once applied, the next change is accepted.
    net.get(1).node.proposeConfChange({ type: 'addLearnerNode', nodeId: 5 });
    net.stabilize();
    expect(net.get(1).confState.learners).toEqual([4, 5]);
  });

  it('a node joining after compaction learns the membership from the snapshot', () => {
    const net = new Network([1, 2, 3], {}, 1, [4]);
    net.campaign(1);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    net.compact(1);
    net.get(1).node.proposeConfChange({ type: 'addNode', nodeId: 4 });
    net.stabilize();
    net.tick(1, 3);
    expect(net.get(4).installedSnapshotIndex).toBeGreaterThan(0);
    expect(net.get(4).confState).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    expect(net.get(4).applied).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('a restart with an applied index past the snapshot recovers the membership from the log', () => {
    const net = new Network([1, 2, 3], {}, 1, [4]);
    net.campaign(1);
    net.propose(1, 'a');
    net.compact(2); // snapshot membership: 1, 2, 3
    net.get(1).node.proposeConfChange({ type: 'addLearnerNode', nodeId: 4 });
    net.stabilize();
    expect(net.get(2).storage.snapshot().metadata.confState.learners).toEqual([]);
    // Restarted with applied beyond the snapshot: the add-learner entry is not delivered again,
    // yet the node knows 4 is a learner.
    const t = net.restart(2);
    expect(t.node.status().confState).toEqual({ voters: [1, 2, 3], learners: [4] });
    expect(t.node.hasReady()).toBe(false);
  });

  it('refuses to remove the last voter (the cluster could never elect again)', () => {
    const net = new Network([1]);
    net.campaign(1);
    let error: unknown;
    try {
      net.get(1).node.proposeConfChange({ type: 'removeNode', nodeId: 1 });
    } catch (err) {
      error = err;
    }
    expect((error as ErrProposalDropped).reason).toBe('invalidConfChange');
    // An entry that slipped into a log anyway is ignored when applied.
    expect(net.get(1).node.applyConfChange({ type: 'removeNode', nodeId: 1 })).toEqual({
      voters: [1],
      learners: [],
    });
    expect(net.role(1)).toBe('leader');
  });

  it('a removed leader hands over to an up-to-date voter at once', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.get(1).node.proposeConfChange({ type: 'removeNode', nodeId: 1 });
    net.stabilize();
    expect(net.count(MessageType.TimeoutNow, { from: 1 })).toBe(1);
    expect(net.leaders()).toHaveLength(1);
    expect([2, 3]).toContain(net.leaders()[0]);
  });
});
