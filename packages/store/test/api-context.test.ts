/**
 * ApiContext.propose's cancellation: with a leader known the call's cancellation ends the wait
 * without an AbortSignal (the proposal is already with Raft); with no leader the consensus gets the
 * call's signal so that a cancelled request is never proposed.
 */
import { describe, expect, it } from 'vitest';
import { ApiContext, type CallSignal, DEFAULT_ETCD_API_LIMITS } from '../src/api/context.js';
import type { Consensus, ConsensusStatus } from '../src/consensus.js';
import type { Lessor } from '../src/lease/lessor.js';
import { encodeResult } from '../src/mvcc/request-codec.js';
import type { MvccStore } from '../src/mvcc/store.js';
import type { WatchHub } from '../src/watch/hub.js';

interface Proposal {
  signal: AbortSignal | undefined;
  resolve(bytes: Uint8Array): void;
}

interface Read {
  signal: AbortSignal | undefined;
  resolve(): void;
}

/** A consensus whose proposals wait until the test settles them. */
function fakeConsensus(leaderId: number): { consensus: Consensus; proposals: Proposal[]; reads: Read[] } {
  const proposals: Proposal[] = [];
  const reads: Read[] = [];
  const status: ConsensusStatus = {
    memberId: 1,
    clusterId: 2,
    leaderId,
    raftTerm: 3,
    raftIndex: 4,
    raftAppliedIndex: 4,
    isLearner: false,
  };
  const consensus = {
    status: () => status,
    propose: (_bytes: Uint8Array, signal?: AbortSignal) =>
      new Promise<Uint8Array>((resolve) => proposals.push({ signal, resolve })),
    readIndex: (signal?: AbortSignal) => new Promise<void>((resolve) => reads.push({ signal, resolve })),
  } as unknown as Consensus;
  return { consensus, proposals, reads };
}

/** A call whose AbortSignal use is counted; `abort` cancels it. */
function fakeCall(): CallSignal & { signalsMade: number; abort(reason: Error): void } {
  const controller = new AbortController();
  const listeners: Array<(reason: Error) => void> = [];
  let reason: Error | null = null;
  return {
    signalsMade: 0,
    get signal() {
      this.signalsMade += 1;
      return controller.signal;
    },
    get abortReason() {
      return reason;
    },
    whenAborted(listener) {
      if (reason !== null) listener(reason);
      else listeners.push(listener);
    },
    abort(error: Error) {
      reason = error;
      controller.abort(error);
      for (const listener of listeners) listener(error);
    },
  };
}

function context(consensus: Consensus): ApiContext {
  const store = { sizeBytes: () => 0, alarms: () => [] } as unknown as MvccStore;
  return new ApiContext(
    consensus,
    store,
    {} as WatchHub,
    {} as Lessor,
    DEFAULT_ETCD_API_LIMITS,
    undefined,
    '3.4.0',
    undefined,
    undefined,
  );
}

const put = {
  type: 'put' as const,
  put: {
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    lease: '0',
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
  },
};

describe('ApiContext.propose with a call', () => {
  it('returns the applied result, making no AbortSignal while a leader is known', async () => {
    const { consensus, proposals } = fakeConsensus(1);
    const call = fakeCall();
    const result = context(consensus).propose(put, call);
    await Promise.resolve();
    expect(proposals).toHaveLength(1);
    expect(proposals[0]?.signal).toBeUndefined();
    proposals[0]?.resolve(encodeResult({ revision: 7, put: { prevKv: null } }));
    await expect(result).resolves.toEqual({ revision: 7, put: { prevKv: null } });
    expect(call.signalsMade).toBe(0);
  });

  it('stops waiting when the call is cancelled after the proposal reached Raft', async () => {
    const { consensus, proposals } = fakeConsensus(1);
    const call = fakeCall();
    const result = context(consensus).propose(put, call);
    await Promise.resolve();
    expect(proposals).toHaveLength(1);
    const cancelled = new Error('client cancelled the call');
    call.abort(cancelled);
    await expect(result).rejects.toBe(cancelled);
    // The proposal settling later changes nothing.
    proposals[0]?.resolve(encodeResult({ revision: 8, put: { prevKv: null } }));
    expect(call.signalsMade).toBe(0);
  });

  it("passes the call's signal to the consensus while no leader is known", async () => {
    const { consensus, proposals } = fakeConsensus(0);
    const call = fakeCall();
    const result = context(consensus).propose(put, call);
    await Promise.resolve();
    expect(proposals).toHaveLength(1);
    expect(proposals[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(call.signalsMade).toBe(1);
    proposals[0]?.resolve(encodeResult({ revision: 9, put: { prevKv: null } }));
    await expect(result).resolves.toMatchObject({ revision: 9 });
  });
});

describe('ApiContext.readBarrier with a call', () => {
  it('waits for the read index without an AbortSignal while a leader is known, and stops on cancel', async () => {
    const { consensus, reads } = fakeConsensus(1);
    const call = fakeCall();
    const api = context(consensus);
    const first = api.readBarrier(false, call);
    expect(reads).toHaveLength(1);
    expect(reads[0]?.signal).toBeUndefined();
    reads[0]?.resolve();
    await expect(first).resolves.toBeUndefined();
    const second = api.readBarrier(false, call);
    const cancelled = new Error('client cancelled the call');
    call.abort(cancelled);
    await expect(second).rejects.toBe(cancelled);
    expect(call.signalsMade).toBe(0);
    await api.readBarrier(true, call);
    expect(reads).toHaveLength(2);
  });

  it("passes the call's signal while no leader is known", async () => {
    const { consensus, reads } = fakeConsensus(0);
    const call = fakeCall();
    const read = context(consensus).readBarrier(false, call);
    expect(reads[0]?.signal).toBeInstanceOf(AbortSignal);
    reads[0]?.resolve();
    await expect(read).resolves.toBeUndefined();
  });
});
