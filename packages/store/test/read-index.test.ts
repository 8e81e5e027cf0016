import { describe, expect, it } from 'vitest';
import { ReadIndexBatcher } from '../src/raftnode/read-index.js';

/** A host that records the rounds asked for and lets the test set the applied index. */
function host() {
  const rounds: string[] = [];
  let applied = 0;
  return {
    rounds,
    setApplied(index: number) {
      applied = index;
    },
    impl: {
      requestReadIndex: (context: Uint8Array) => rounds.push(Buffer.from(context).toString('utf8')),
      appliedIndex: () => applied,
      timeoutError: () => new Error('timed out'),
    },
  };
}

function settled(p: Promise<void>): () => string {
  let state = 'pending';
  p.then(
    () => {
      state = 'resolved';
    },
    (err: Error) => {
      state = `rejected: ${err.message}`;
    },
  );
  return () => state;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ReadIndexBatcher', () => {
  it('serves reads queued during a round with the next round, each once apply reaches its index', async () => {
    const h = host();
    const reads = new ReadIndexBatcher(h.impl, 'm1', 60_000, 60_000);
    const first = settled(reads.wait());
    const second = settled(reads.wait());
    const third = settled(reads.wait());
    expect(h.rounds).toEqual(['m1:1']); // one round in flight; the later reads wait for the next
    reads.onReadState(10, Buffer.from('m1:1'));
    expect(h.rounds).toEqual(['m1:1', 'm1:2']);
    reads.onReadState(12, Buffer.from('m1:2'));
    h.setApplied(10);
    reads.release();
    await tick();
    expect([first(), second(), third()]).toEqual(['resolved', 'pending', 'pending']);
    h.setApplied(12);
    reads.release();
    await tick();
    expect([second(), third()]).toEqual(['resolved', 'resolved']);
    reads.stop(new Error('stopped'));
  });

  it('ignores an answer to another context and sends the round again on a leader change', async () => {
    const h = host();
    const reads = new ReadIndexBatcher(h.impl, 'm1', 60_000, 60_000);
    const read = settled(reads.wait());
    reads.onReadState(5, Buffer.from('m2:1'));
    reads.onLeaderChange();
    expect(h.rounds).toEqual(['m1:1', 'm1:2']);
    reads.onReadState(5, Buffer.from('m1:1')); // the old round's answer no longer counts
    h.setApplied(5);
    reads.release();
    await tick();
    expect(read()).toBe('pending');
    reads.onReadState(5, Buffer.from('m1:2'));
    reads.release();
    await tick();
    expect(read()).toBe('resolved');
    reads.stop(new Error('stopped'));
  });

  it('fails a read at its deadline and every read on stop', async () => {
    const h = host();
    const reads = new ReadIndexBatcher(h.impl, 'm1', 20, 60_000);
    const late = settled(reads.wait());
    await new Promise((r) => setTimeout(r, 60));
    expect(late()).toBe('rejected: timed out');
    const pending = settled(reads.wait());
    reads.stop(new Error('server stopped'));
    await tick();
    expect(pending()).toBe('rejected: server stopped');
    reads.wait().catch(() => undefined);
    expect(h.rounds).toEqual(['m1:1']); // the first round is still out; none starts after stop
  });
});
