import { ENTRY_OVERHEAD_BYTES, ErrProposalDropped, MessageType, newMessage } from '@navarch/raft';
import { describe, expect, it } from 'vitest';
import { enc, Network } from './harness.js';

describe('log replication', () => {
  it('replicates proposals to every node and applies them in order', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    for (const d of ['a', 'b', 'c']) net.propose(1, d);
    for (const id of [1, 2, 3]) expect(net.get(id).applied).toEqual(['a', 'b', 'c']);
    const s = net.get(1).node.status();
    expect(s.hardState.commit).toBe(s.lastIndex);
    expect(s.applied).toBe(s.lastIndex);
  });

  it('a follower forwards proposals to the leader', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.propose(3, 'from-3');
    for (const id of [1, 2, 3]) expect(net.get(id).applied).toEqual(['from-3']);
  });

  it('a proposal without a leader is refused with a typed error', () => {
    const net = new Network([1, 2, 3]);
    expect(() => net.get(2).node.propose(enc('x'))).toThrow(ErrProposalDropped);
    try {
      net.get(2).node.propose(enc('x'));
    } catch (err) {
      expect((err as ErrProposalDropped).code).toBe('NAVARCH_ERR_RAFT_PROPOSAL_DROPPED');
      expect((err as ErrProposalDropped).reason).toBe('noLeader');
    }
  });

  it('a forwarded proposal that comes back to its origin without a leader is dropped, not thrown', () => {
    const net = new Network([1, 2, 3]);
    // 2 forwarded a proposal to its leader, which lost leadership and forwarded it back.
    const bounced = newMessage({
      type: MessageType.Prop,
      from: 2,
      to: 2,
      entries: [{ term: 0, index: 0, type: 'normal', data: enc('x') }],
    });
    expect(() => net.get(2).node.step(bounced)).not.toThrow();
    expect(() => net.get(2).node.propose(enc('x'))).toThrow(ErrProposalDropped);
  });

  it('an entry is committed only once a majority has it', () => {
    const net = new Network([1, 2, 3, 4, 5]);
    net.campaign(1);
    const before = net.get(1).node.status().hardState.commit;
    net.isolate(4);
    net.isolate(5);
    net.partition([1], [3]);
    net.propose(1, 'x'); // only 1 and 2 have it: 2 of 5
    expect(net.get(1).node.status().hardState.commit).toBe(before);
    expect(net.get(1).applied).toEqual([]);
    net.heal();
    net.tick(1, 1); // heartbeat → followers answer → leader sends what they lack
    expect(net.get(1).applied).toEqual(['x']);
    for (const id of [2, 3, 4, 5]) expect(net.get(id).applied).toEqual(['x']);
  });

  it('repairs a conflicting follower log with fast backtracking (one rejection per conflicting term)', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'base');
    // 1 keeps leading alone and appends 50 entries nobody else gets.
    net.isolate(1);
    for (let i = 0; i < 50; i++) net.propose(1, `lost-${i}`);
    // 2 and 3 elect 2 and commit 30 entries of a newer term.
    net.campaign(2);
    expect(net.role(2)).toBe('leader');
    for (let i = 0; i < 30; i++) net.propose(2, `kept-${i}`);
    // 3 takes over: as a new leader it probes 1 at its own last index, 30 entries past the fork.
    net.campaign(3);
    expect(net.role(3)).toBe('leader');
    net.delivered = [];
    net.heal();
    net.tick(3, 1);
    // 1 has learned the new term and its log equals the leader's.
    expect(net.role(1)).toBe('follower');
    expect(net.logTerms(1)).toEqual(net.logTerms(3));
    expect(net.get(1).applied).toEqual(net.get(3).applied);
    expect(net.get(1).applied.some((d) => d.startsWith('lost'))).toBe(false);
    // Without the hint the leader would back off one index per rejection (~30).
    const rejections = net.delivered.filter(
      (m) => m.type === MessageType.AppResp && m.reject && m.from === 1,
    ).length;
    expect(rejections).toBeGreaterThanOrEqual(1);
    expect(rejections).toBeLessThanOrEqual(2);
  });

  it('bounds the entries in one append by maxSizePerMsgBytes', () => {
    const net = new Network([1, 2, 3], { maxSizePerMsgBytes: 3 * (ENTRY_OVERHEAD_BYTES + 4) });
    net.campaign(1);
    net.isolate(3);
    for (let i = 0; i < 20; i++) net.propose(1, `e-${String(i).padStart(2, '0')}`); // 4 bytes each
    net.delivered = [];
    net.heal();
    net.tick(1, 1);
    const appends = net.delivered.filter(
      (m) => m.type === MessageType.App && m.to === 3 && m.entries.length > 0,
    );
    expect(appends.length).toBeGreaterThanOrEqual(7);
    for (const m of appends) expect(m.entries.length).toBeLessThanOrEqual(3);
    expect(net.get(3).applied).toHaveLength(20);
  });

  it('keeps at most maxInflightMsgs appends in flight to a follower', () => {
    const net = new Network([1, 2, 3], { maxInflightMsgs: 3, maxSizePerMsgBytes: 1 });
    net.campaign(1);
    // Follower 2 is in replicate state now. Hold its acknowledgements.
    expect(
      net
        .get(1)
        .node.status()
        .progress.find((p) => p.id === 2)?.state,
    ).toBe('replicate');
    net.filter = (m) => !(m.from === 2 && m.type === MessageType.AppResp);
    net.delivered = [];
    for (let i = 0; i < 10; i++) net.propose(1, `p${i}`);
    const toTwo = net.delivered.filter(
      (m) => m.type === MessageType.App && m.to === 2 && m.entries.length > 0,
    );
    expect(toTwo).toHaveLength(3);
    const pr = net
      .get(1)
      .node.status()
      .progress.find((p) => p.id === 2)!;
    expect(pr.inflight).toBe(3);
    // Node 3 acknowledges, so everything commits anyway.
    expect(net.get(1).applied).toHaveLength(10);
    net.heal();
    net.tick(1, 2);
    expect(net.get(2).applied).toHaveLength(10);
    expect(
      net
        .get(1)
        .node.status()
        .progress.find((p) => p.id === 2)!.inflight,
    ).toBe(0);
  });

  it('refuses proposals beyond maxUncommittedEntriesBytes until entries commit', () => {
    const net = new Network([1, 2, 3], { maxUncommittedEntriesBytes: 10 });
    net.campaign(1);
    net.isolate(1);
    net.propose(1, 'aaaa');
    net.propose(1, 'bbbb');
    let error: unknown;
    try {
      net.propose(1, 'cccc');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ErrProposalDropped);
    expect((error as ErrProposalDropped).reason).toBe('uncommittedSizeLimit');
    net.heal();
    net.tick(1, 1);
    expect(net.get(1).applied).toEqual(['aaaa', 'bbbb']);
    net.propose(1, 'cccc');
    expect(net.get(2).applied).toEqual(['aaaa', 'bbbb', 'cccc']);
  });

  it('a single large entry is admitted when nothing is uncommitted', () => {
    const net = new Network([1], { maxUncommittedEntriesBytes: 4 });
    net.campaign(1);
    net.propose(1, 'much-larger-than-four-bytes');
    expect(net.get(1).applied).toEqual(['much-larger-than-four-bytes']);
  });
});

describe('Figure 8 of the Raft paper: entries of an earlier term are not committed by counting replicas', () => {
  /**
   * Servers S1..S5 (ids 1..5). Indexes are shifted by the 5 bootstrap entries and the leaders'
   * empty entries, but the story is the paper's: (a) S1 leads term 2 and gets entry A to S2 only;
   * (b) S5 leads term 3 with S3/S4's votes and appends B locally; (c) S1 leads again and copies A
   * to a majority (S1, S2, S3) but its own term's entry reaches nobody.
   */
  function figure8(commitPreviousTermEntries: boolean): { net: Network; indexOfA: number } {
    const net = new Network([1, 2, 3, 4, 5], {
      maxSizePerMsgBytes: 1,
      testingBugs: { commitPreviousTermEntries },
    });
    // (a)
    net.campaign(1);
    expect(net.term(1)).toBe(2);
    net.partition([1], [3, 4, 5]);
    net.propose(1, 'A');
    const indexOfA = net.get(1).node.status().lastIndex;
    expect(net.get(2).storage.lastIndex()).toBe(indexOfA);
    // (b) S1 crashes. S5 wins term 3 with S3 and S4 but its appends reach nobody.
    net.heal();
    net.isolate(1);
    net.partition([5], [2]);
    net.filter = (m) => !(m.from === 5 && m.type === MessageType.App);
    net.campaign(5);
    expect(net.role(5)).toBe('leader');
    expect(net.term(5)).toBe(3);
    net.propose(5, 'B');
    // (c) S5 crashes, S1 restarts and wins a later term with S2, S3 (and S4); only entries of
    // term 2 or older get through (one entry per message).
    net.heal();
    net.isolate(5);
    net.restart(1);
    net.filter = (m) => {
      // The network loses S1's entries of its new term (messages still arrive, without them).
      if (m.from === 1 && m.type === MessageType.App) m.entries = m.entries.filter((e) => e.term <= 2);
      return true;
    };
    for (let i = 0; i < 5 && net.role(1) !== 'leader'; i++) net.campaign(1);
    expect(net.role(1)).toBe('leader');
    expect(net.term(1)).toBeGreaterThanOrEqual(4);
    net.tick(1, 3);
    // A is now on a majority: S1, S2, S3 (and S4).
    for (const id of [1, 2, 3]) expect(net.get(id).storage.term(indexOfA)).toBe(2);
    return { net, indexOfA };
  }

  it('(c) A is on a majority but not committed, so (d) S5 may overwrite it safely', () => {
    const { net, indexOfA } = figure8(false);
    expect(net.get(1).node.status().hardState.commit).toBeLessThan(indexOfA);
    expect(net.get(1).applied).not.toContain('A');
    // (d) S1 crashes; S5 (last term 3) wins with S2, S3, S4 and replaces A with B.
    net.heal();
    net.isolate(1);
    net.restart(5);
    for (let i = 0; i < 5 && net.role(5) !== 'leader'; i++) net.campaign(5);
    expect(net.role(5)).toBe('leader');
    net.propose(5, 'C');
    for (const id of [2, 3, 4, 5]) {
      expect(net.get(id).storage.term(indexOfA)).toBe(3);
      expect(net.get(id).applied).toEqual(['B', 'C']);
    }
    // S1 rejoins and converges: A was never applied anywhere.
    net.heal();
    net.tick(1, 1); // S1 still believes it leads; its heartbeat meets the newer term
    net.tick(5, 2);
    expect(net.role(1)).toBe('follower');
    expect(net.get(1).applied).toEqual(['B', 'C']);
  });

  it('(e) once S1 replicates an entry of its own term to a majority, A commits with it and S5 cannot win', () => {
    const { net, indexOfA } = figure8(false);
    net.filter = undefined;
    net.tick(1, 2);
    expect(net.get(1).node.status().hardState.commit).toBeGreaterThan(indexOfA);
    expect(net.get(1).applied).toEqual(['A']);
    net.heal();
    net.isolate(1);
    net.restart(5);
    for (let i = 0; i < 5; i++) net.campaign(5);
    expect(net.role(5)).not.toBe('leader');
    expect(net.leaders()).toEqual([1]);
  });
});
