import { type ErrProposalDropped, MessageType } from '@navarch/raft';
import { describe, expect, it } from 'vitest';
import { enc, Network } from './harness.js';

describe('leader transfer', () => {
  it('hands leadership to an up-to-date follower with MsgTimeoutNow', () => {
    const net = new Network([1, 2, 3], { checkQuorum: true, preVote: true });
    net.campaign(1);
    const term = net.term(1);
    net.get(1).node.transferLeader(2);
    net.stabilize();
    expect(net.count(MessageType.TimeoutNow, { to: 2 })).toBe(1);
    expect(net.role(2)).toBe('leader');
    expect(net.role(1)).toBe('follower');
    expect(net.term(2)).toBe(term + 1);
  });

  it('a follower may ask for the transfer; it is forwarded to the leader', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.get(3).node.transferLeader(3);
    net.stabilize();
    expect(net.role(3)).toBe('leader');
  });

  it('brings a lagging transferee up to date first', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.propose(1, 'b');
    net.heal();
    net.get(1).node.transferLeader(3);
    net.stabilize();
    expect(net.role(3)).toBe('leader');
    expect(net.get(3).applied).toEqual(['a', 'b']);
  });

  it('stops accepting proposals during the transfer and aborts after an election timeout', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.get(1).node.transferLeader(3);
    net.stabilize();
    expect(net.get(1).node.status().leadTransferee).toBe(3);
    let error: unknown;
    try {
      net.get(1).node.propose(enc('during'));
    } catch (err) {
      error = err;
    }
    expect((error as ErrProposalDropped).reason).toBe('leaderTransferInProgress');
    net.tick(1, 10);
    expect(net.get(1).node.status().leadTransferee).toBe(0);
    expect(net.role(1)).toBe('leader');
    net.propose(1, 'after');
    expect(net.get(2).applied).toEqual(['a', 'after']);
  });

  it('ignores a transfer to a learner', () => {
    const net = new Network([1, 2, 3], {}, 1, [4]);
    net.campaign(1);
    net.get(1).node.proposeConfChange({ type: 'addLearnerNode', nodeId: 4 });
    net.stabilize();
    net.get(1).node.transferLeader(4);
    net.stabilize();
    expect(net.get(1).node.status().leadTransferee).toBe(0);
    expect(net.role(1)).toBe('leader');
  });
});
