import { MessageType } from '@navarch/raft';
import { describe, expect, it } from 'vitest';
import { Network } from './harness.js';

describe('leader election', () => {
  it('a campaigning node wins a majority and everyone follows it', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    expect(net.role(1)).toBe('leader');
    expect(net.role(2)).toBe('follower');
    expect(net.role(3)).toBe('follower');
    // Bootstrap is term 1; the election bumped it to 2 everywhere.
    for (const id of [1, 2, 3]) expect(net.term(id)).toBe(2);
    expect(net.get(2).node.status().softState.leaderId).toBe(1);
    expect(net.get(2).node.status().hardState.vote).toBe(1);
  });

  it('elects a leader from ticks alone (randomized timeouts)', () => {
    const net = new Network([1, 2, 3, 4, 5], {}, 7);
    net.tickAll(40);
    expect(net.leaders()).toHaveLength(1);
  });

  it('a candidate without a majority does not become leader', () => {
    const net = new Network([1, 2, 3]);
    net.isolate(1);
    net.campaign(1);
    expect(net.role(1)).toBe('candidate');
    expect(net.leaders()).toEqual([]);
  });

  it('a node with a stale log cannot win (election restriction §5.4.1)', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.heal();
    // Only 3 is behind; 1 and 2 refuse to vote for it.
    net.isolate(1);
    net.campaign(3);
    expect(net.role(3)).not.toBe('leader');
    net.campaign(2);
    expect(net.role(2)).toBe('leader');
  });

  it('the election timeout is drawn in [electionTicks, 2*electionTicks)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const net = new Network([1], { electionTicks: 10 }, seed);
      let ticks = 0;
      while (net.role(1) !== 'leader') {
        net.tick(1);
        ticks++;
        expect(ticks).toBeLessThan(20);
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
    }
  });

  it('pre-vote: a partitioned node does not inflate its term nor disrupt the leader when it returns', () => {
    const net = new Network([1, 2, 3], { preVote: true });
    net.campaign(1);
    const term = net.term(1);
    net.isolate(3);
    net.tick(3, 100);
    // Pre-votes never succeed alone, so the term did not move.
    expect(net.role(3)).toBe('preCandidate');
    expect(net.term(3)).toBe(term);
    net.heal();
    net.propose(1, 'x');
    expect(net.role(1)).toBe('leader');
    expect(net.term(1)).toBe(term);
    expect(net.role(3)).toBe('follower');
    expect(net.get(3).applied).toEqual(['x']);
  });

  it('without pre-vote the same partition forces a new election (the disruption pre-vote prevents)', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    const term = net.term(1);
    net.isolate(3);
    net.tick(3, 100);
    expect(net.term(3)).toBeGreaterThan(term);
    net.heal();
    // 3's next vote request carries its inflated term and deposes the healthy leader.
    net.tick(3, 20);
    expect(net.term(1)).toBeGreaterThan(term);
    expect(net.role(1)).not.toBe('leader');
  });

  it('check-quorum: a leader that hears from no quorum within an election timeout steps down', () => {
    const net = new Network([1, 2, 3], { checkQuorum: true });
    net.campaign(1);
    net.isolate(1);
    net.tick(1, 9);
    expect(net.role(1)).toBe('leader');
    net.tick(1, 12);
    expect(net.role(1)).toBe('follower');
  });

  it('check-quorum: a leader with a live quorum stays leader', () => {
    const net = new Network([1, 2, 3], { checkQuorum: true });
    net.campaign(1);
    net.isolate(3);
    net.tick(1, 50);
    expect(net.role(1)).toBe('leader');
  });

  it('leader stickiness: followers that heard from the leader ignore a vote request', () => {
    const net = new Network([1, 2, 3], { checkQuorum: true });
    net.campaign(1);
    const term = net.term(1);
    net.isolate(3);
    // 3 times out alone and bumps its term ...
    net.tick(3, 30);
    expect(net.term(3)).toBeGreaterThan(term);
    net.heal();
    // ... but 1 and 2 are inside the lease: they ignore 3's requests entirely.
    net.campaign(3);
    expect(net.role(1)).toBe('leader');
    expect(net.term(1)).toBe(term);
    expect(net.count(MessageType.VoteResp, { to: 3 })).toBe(0);
  });

  it('leader stickiness ends when the lease expires', () => {
    const net = new Network([1, 2, 3], { checkQuorum: true });
    net.campaign(1);
    net.isolate(1);
    // 2 and 3 stop hearing from 1; after an election timeout one of them can be elected.
    net.tick(2, 10);
    net.tick(3, 10);
    net.campaign(2);
    expect(net.role(2)).toBe('leader');
  });

  it('a stale leader back from a partition learns the new term and steps down', () => {
    const net = new Network([1, 2, 3], { checkQuorum: true, preVote: true });
    net.campaign(1);
    net.isolate(1);
    for (let i = 0; i < 60 && net.leaders().filter((id) => id !== 1).length === 0; i++) {
      net.tick(2);
      net.tick(3);
    }
    const [newLeader] = net.leaders().filter((id) => id !== 1);
    expect(newLeader).toBeDefined();
    net.heal();
    // 1 still believes it leads (it has not ticked, so check-quorum did not run); its heartbeat is
    // answered with the new term.
    expect(net.role(1)).toBe('leader');
    net.tick(1, 1);
    expect(net.role(1)).toBe('follower');
    net.tick(newLeader!, 1);
    expect(net.get(1).node.status().softState.leaderId).toBe(newLeader);
  });
});
