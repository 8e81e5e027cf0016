import { ErrProposalDropped, MessageType } from '@navarch/raft';
import { describe, expect, it } from 'vitest';
import { dec, enc, Network } from './harness.js';

describe('linearizable reads (ReadIndex)', () => {
  it('the leader answers after a heartbeat round confirms its leadership', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'a');
    net.delivered = [];
    net.get(1).node.readIndex(enc('read-1'));
    net.stabilize();
    const t1 = net.get(1);
    expect(t1.readStates).toHaveLength(1);
    expect(dec(t1.readStates[0]!.context)).toBe('read-1');
    expect(t1.readStates[0]!.index).toBe(t1.node.status().hardState.commit);
    const confirmations = net.delivered.filter(
      (m) => m.type === MessageType.Heartbeat && m.context !== undefined,
    );
    expect(confirmations.length).toBe(2);
  });

  it('a partitioned leader cannot answer a read (it might not be leader any more)', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.isolate(1);
    net.get(1).node.readIndex(enc('stale?'));
    net.tick(1, 5);
    expect(net.get(1).readStates).toEqual([]);
  });

  it('a follower forwards the request and receives the leader’s read index', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'a');
    net.get(3).node.readIndex(enc('from-3'));
    net.stabilize();
    const rs = net.get(3).readStates;
    expect(rs).toHaveLength(1);
    expect(dec(rs[0]!.context)).toBe('from-3');
    expect(rs[0]!.index).toBe(net.get(1).node.status().hardState.commit);
    expect(net.get(1).readStates).toEqual([]);
  });

  it('a new leader defers reads until it has committed an entry of its term', () => {
    const net = new Network([1, 2, 3]);
    // Acknowledgements of appends are lost: the leader's empty entry cannot commit.
    net.filter = (m) => m.type !== MessageType.AppResp;
    net.campaign(1);
    const s = net.get(1).node.status();
    expect(s.softState.role).toBe('leader');
    expect(s.hardState.commit).toBeLessThan(s.lastIndex);
    net.get(1).node.readIndex(enc('early'));
    net.tick(1, 3);
    expect(net.get(1).readStates).toEqual([]);
    net.filter = undefined;
    net.tick(1, 2);
    const rs = net.get(1).readStates;
    expect(rs).toHaveLength(1);
    expect(rs[0]!.index).toBe(net.get(1).node.status().lastIndex);
  });

  it('a single-node cluster answers at once', () => {
    const net = new Network([1]);
    net.campaign(1);
    net.get(1).node.readIndex(enc('solo'));
    net.stabilize();
    expect(net.get(1).readStates.map((r) => dec(r.context))).toEqual(['solo']);
  });

  it('a read without any known leader is refused with a typed error', () => {
    const net = new Network([1, 2, 3]);
    expect(() => net.get(2).node.readIndex(enc('x'))).toThrow(ErrProposalDropped);
  });

  it('a read waiting for acks is answered when the membership shrinks to a quorum that already acked', () => {
    const net = new Network([1, 2]);
    net.campaign(1);
    net.filter = (m) => m.type !== MessageType.HeartbeatResp;
    net.get(1).node.readIndex(enc('r1'));
    net.stabilize();
    expect(net.get(1).readStates).toEqual([]);
    net.get(1).node.proposeConfChange({ type: 'removeNode', nodeId: 2 });
    net.stabilize();
    net.heal();
    net.tick(1, 3);
    expect(net.get(1).readStates.map((r) => dec(r.context))).toEqual(['r1']);
  });
});
