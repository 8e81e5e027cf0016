/**
 * The Raft driver's parts that work without a cluster: proposal bookkeeping (queue, pending map,
 * gauge), the mapping of Raft's refusals to etcd errors, and the ConfState history that snapshots
 * and compactions read. The driver as a whole is covered by member.test.ts and test/store.
 */
import { ErrProposalDropped, type ProposalDroppedReason, type RawNode } from '@navarch/raft';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConsensusError, ConsensusErrorCode } from '../src/consensus.js';
import { StoreMetrics } from '../src/member/metrics.js';
import { mapProposeError, ProposalTracker } from '../src/raftnode/proposals.js';
import { ConfStateHistory } from '../src/raftnode/snapshots.js';

/** A RawNode that records the batches proposed to it, or refuses them with `refuse`. */
function fakeRaft(refuse?: Error) {
  const batches: string[][] = [];
  const raft = {
    proposeBatch(data: Uint8Array[]) {
      if (refuse) throw refuse;
      batches.push(data.map((d) => Buffer.from(d).toString('utf8')));
    },
  } as unknown as RawNode;
  return { raft, batches };
}

async function gauge(metrics: StoreMetrics): Promise<number> {
  return (await metrics.proposalsPending.get()).values[0]?.value ?? Number.NaN;
}

async function failed(metrics: StoreMetrics): Promise<number> {
  return (await metrics.proposalsFailed.get()).values[0]?.value ?? 0;
}

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('ProposalTracker', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('steps every queued proposal into Raft as one batch and resolves each with its own result', async () => {
    const { raft, batches } = fakeRaft();
    const metrics = new StoreMetrics();
    let scheduled = 0;
    const tracker = new ProposalTracker(raft, metrics, 60_000, () => {
      scheduled += 1;
    });
    const first = tracker.wait('a', () => tracker.enqueue('a', bytes('put a')), undefined);
    const second = tracker.wait('b', () => tracker.enqueue('b', bytes('put b')), undefined);
    expect(scheduled).toBe(2);
    expect(tracker.hasQueued()).toBe(true);
    expect(await gauge(metrics)).toBe(2);
    tracker.flush();
    expect(batches).toEqual([['put a', 'put b']]);
    expect(tracker.hasQueued()).toBe(false);
    expect(tracker.has('a') && tracker.has('b')).toBe(true);
    tracker.settle('b', bytes('rb'));
    tracker.settle('a', bytes('ra'));
    expect(Buffer.from(await first).toString()).toBe('ra');
    expect(Buffer.from(await second).toString()).toBe('rb');
    expect(tracker.has('a')).toBe(false);
    expect(await gauge(metrics)).toBe(0);
  });

  it("fails every waiter of a batch Raft refuses with etcd's error, and counts them as failed", async () => {
    const { raft } = fakeRaft(new ErrProposalDropped('noLeader'));
    const metrics = new StoreMetrics();
    const tracker = new ProposalTracker(raft, metrics, 60_000, () => {});
    const waiters = ['a', 'b'].map((key) =>
      tracker.wait(key, () => tracker.enqueue(key, bytes(key)), undefined),
    );
    tracker.flush();
    for (const waiter of waiters)
      await expect(waiter).rejects.toMatchObject({
        code: ConsensusErrorCode.NoLeader,
        message: 'etcdserver: no leader',
      });
    expect(await failed(metrics)).toBe(2);
    expect(await gauge(metrics)).toBe(0);
  });

  it('fails a proposal whose propose step throws, without scheduling the loop', async () => {
    const metrics = new StoreMetrics();
    let scheduled = 0;
    const tracker = new ProposalTracker(fakeRaft().raft, metrics, 60_000, () => {
      scheduled += 1;
    });
    const waiter = tracker.wait(
      'a',
      () => {
        throw new ErrProposalDropped('pendingConfChange');
      },
      undefined,
    );
    await expect(waiter).rejects.toMatchObject({ code: ConsensusErrorCode.Timeout });
    expect(scheduled).toBe(0);
    expect(tracker.has('a')).toBe(false);
    expect(await failed(metrics)).toBe(1);
  });

  it('lets an aborted caller go; the entry, once applied, settles nothing', async () => {
    const metrics = new StoreMetrics();
    const tracker = new ProposalTracker(fakeRaft().raft, metrics, 60_000, () => {});
    const controller = new AbortController();
    const waiter = tracker.wait('a', () => tracker.enqueue('a', bytes('a')), controller.signal);
    controller.abort(new Error('client went away'));
    await expect(waiter).rejects.toThrow('client went away');
    expect(tracker.has('a')).toBe(false);
    tracker.settle('a', bytes('late'));
    expect(await gauge(metrics)).toBe(0);
  });

  it('times a proposal out with "request timed out" after its deadline', async () => {
    vi.useFakeTimers();
    const metrics = new StoreMetrics();
    const tracker = new ProposalTracker(fakeRaft().raft, metrics, 1000, () => {});
    const waiter = tracker.wait('a', () => tracker.enqueue('a', bytes('a')), undefined);
    const outcome = expect(waiter).rejects.toMatchObject({
      code: ConsensusErrorCode.Timeout,
      message: 'etcdserver: request timed out',
    });
    vi.advanceTimersByTime(999);
    expect(tracker.has('a')).toBe(true);
    vi.advanceTimersByTime(1);
    await outcome;
    expect(tracker.has('a')).toBe(false);
    expect(await failed(metrics)).toBe(1);
  });

  it('fails every waiting caller at once when the driver stops', async () => {
    const metrics = new StoreMetrics();
    const tracker = new ProposalTracker(fakeRaft().raft, metrics, 60_000, () => {});
    const waiters = ['a', 'b', 'c'].map((key) =>
      tracker.wait(key, () => tracker.enqueue(key, bytes(key)), undefined),
    );
    const stopped = new ConsensusError(ConsensusErrorCode.Stopped, 'etcdserver: server stopped');
    tracker.failAll(stopped);
    for (const waiter of waiters) await expect(waiter).rejects.toBe(stopped);
    expect(await gauge(metrics)).toBe(0);
  });

  it('hands out request ids that only grow, also across a restart a millisecond later', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(1_800_000_000_000);
      const before = new ProposalTracker(fakeRaft().raft, new StoreMetrics(), 60_000, () => {});
      const first = before.newRequestId();
      expect(before.newRequestId()).toBe(first + 1);
      let last = first;
      for (let i = 0; i < 500; i++) last = before.newRequestId();
      vi.setSystemTime(1_800_000_000_001);
      const after = new ProposalTracker(fakeRaft().raft, new StoreMetrics(), 60_000, () => {});
      expect(after.newRequestId()).toBeGreaterThan(last);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('mapProposeError', () => {
  it.each<[ProposalDroppedReason, ConsensusErrorCode, string]>([
    ['noLeader', ConsensusErrorCode.NoLeader, 'etcdserver: no leader'],
    ['notMember', ConsensusErrorCode.Stopped, 'etcdserver: server stopped'],
    ['pendingConfChange', ConsensusErrorCode.Timeout, 'etcdserver: request timed out'],
    ['leaderTransferInProgress', ConsensusErrorCode.LeaderChanged, 'etcdserver: leader changed'],
  ])('maps a proposal dropped for %s to %s', (reason, code, message) => {
    const mapped = mapProposeError(new ErrProposalDropped(reason));
    expect(mapped).toBeInstanceOf(ConsensusError);
    expect(mapped).toMatchObject({ code, message });
  });

  it('passes other errors through, and wraps what is not an Error', () => {
    const disk = new Error('disk on fire');
    expect(mapProposeError(disk)).toBe(disk);
    expect(mapProposeError('weird').message).toBe('weird');
  });
});

describe('ConfStateHistory', () => {
  const one = { voters: [1], learners: [] };
  const two = { voters: [1, 2], learners: [] };
  const three = { voters: [1, 2], learners: [3] };

  it('answers the membership in force at an index, the oldest one before the history', () => {
    const history = new ConfStateHistory(10, one);
    history.record(15, two);
    history.record(20, three);
    expect(history.current).toBe(three);
    expect(history.at(5)).toBe(one);
    expect(history.at(14)).toBe(one);
    expect(history.at(15)).toBe(two);
    expect(history.at(19)).toBe(two);
    expect(history.at(100)).toBe(three);
  });

  it('forgets what precedes a compaction point but keeps later changes', () => {
    const history = new ConfStateHistory(10, one);
    history.record(15, two);
    history.record(20, three);
    history.compactedAt(17, history.at(17));
    expect(history.at(12)).toBe(two);
    expect(history.at(20)).toBe(three);
    expect(history.current).toBe(three);
  });

  it('starts over from an installed snapshot', () => {
    const history = new ConfStateHistory(10, one);
    history.record(15, two);
    history.reset(50, three);
    expect(history.current).toBe(three);
    expect(history.at(15)).toBe(three);
  });
});
