import {
  applyChange,
  decodeConfChange,
  ErrCompacted,
  ErrSnapOutOfDate,
  ErrUnavailable,
  encodeConfChange,
  MemoryStorage,
} from '@navarch/raft';
import { describe, expect, it } from 'vitest';

const entry = (index: number, term: number, data = 'x') => ({
  index,
  term,
  type: 'normal' as const,
  data: new TextEncoder().encode(data),
});

describe('MemoryStorage', () => {
  it('appends, truncates conflicts and answers ranges', () => {
    const s = new MemoryStorage();
    s.append([entry(1, 1), entry(2, 1), entry(3, 2)]);
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(3);
    s.append([entry(3, 3), entry(4, 3)]);
    expect([1, 2, 3, 4].map((i) => s.term(i))).toEqual([1, 1, 3, 3]);
    expect(s.entries(2, 5, Number.POSITIVE_INFINITY).map((e) => e.index)).toEqual([2, 3, 4]);
    // Size-limited, but always at least one entry.
    expect(s.entries(2, 5, 1)).toHaveLength(1);
    expect(() => s.entries(2, 6, 100)).toThrow(ErrUnavailable);
    expect(() => s.term(5)).toThrow(ErrUnavailable);
  });

  it('compacts and snapshots', () => {
    const s = new MemoryStorage();
    s.append([entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2)]);
    const snap = s.createSnapshot(3, { voters: [1], learners: [] }, new Uint8Array([7]));
    expect(snap.metadata).toEqual({ index: 3, term: 2, confState: { voters: [1], learners: [] } });
    s.compact(3);
    expect(s.firstIndex()).toBe(4);
    expect(s.term(3)).toBe(2);
    expect(() => s.term(2)).toThrow(ErrCompacted);
    expect(() => s.entries(3, 4, 100)).toThrow(ErrCompacted);
    expect(() => s.compact(2)).toThrow(ErrCompacted);
    expect(() => s.createSnapshot(2, undefined, new Uint8Array())).toThrow(ErrSnapOutOfDate);
    expect(() => s.applySnapshot(snap)).toThrow(ErrSnapOutOfDate);
    s.applySnapshot({
      metadata: { index: 10, term: 5, confState: { voters: [1, 2], learners: [] } },
      data: new Uint8Array(),
    });
    expect(s.firstIndex()).toBe(11);
    expect(s.lastIndex()).toBe(10);
    expect(s.initialState().confState.voters).toEqual([1, 2]);
  });

  it('refuses appends that leave a gap', () => {
    const s = new MemoryStorage();
    s.append([entry(1, 1)]);
    expect(() => s.append([entry(3, 1)])).toThrow(/missing log entry/);
    expect(() => s.append([entry(2, 1), entry(4, 1)])).toThrow(/contiguous/);
  });
});

describe('conf changes', () => {
  it('encode and decode round-trip', () => {
    const cc = { type: 'addLearnerNode' as const, nodeId: 2 ** 40 + 3, context: new Uint8Array([1, 2, 3]) };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    expect(decodeConfChange(encodeConfChange({ type: 'removeNode', nodeId: 9 }))).toEqual({
      type: 'removeNode',
      nodeId: 9,
    });
    expect(() => decodeConfChange(new Uint8Array([9, 9]))).toThrow(/too short/);
  });

  it('apply: add, promote, remove; a voter is never also a learner', () => {
    let cs = { voters: [1], learners: [] as number[] };
    cs = applyChange(cs, { type: 'addLearnerNode', nodeId: 2 });
    expect(cs).toEqual({ voters: [1], learners: [2] });
    cs = applyChange(cs, { type: 'addNode', nodeId: 2 });
    expect(cs).toEqual({ voters: [1, 2], learners: [] });
    // Demotion is not supported: it would need a joint change.
    cs = applyChange(cs, { type: 'addLearnerNode', nodeId: 2 });
    expect(cs).toEqual({ voters: [1, 2], learners: [] });
    cs = applyChange(cs, { type: 'removeNode', nodeId: 1 });
    expect(cs).toEqual({ voters: [2], learners: [] });
  });
});
