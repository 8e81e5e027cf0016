/** Unit tests of the internal building blocks (not part of the public API). */
import { MemoryStorage } from '@navarch/raft';
import { describe, expect, it } from 'vitest';
import { Inflights } from '../src/inflights.js';
import { RaftLog } from '../src/log.js';
import { Progress } from '../src/progress.js';
import { committedIndex, voteResult } from '../src/quorum.js';

const entry = (index: number, term: number) => ({
  index,
  term,
  type: 'normal' as const,
  data: new Uint8Array(0),
});

describe('Inflights', () => {
  it('is a bounded FIFO freed by acknowledgements', () => {
    const w = new Inflights(3);
    w.add(5);
    w.add(7);
    w.add(9);
    expect(w.full()).toBe(true);
    expect(() => w.add(10)).toThrow(/full/);
    w.freeLE(7);
    expect(w.count).toBe(1);
    w.add(11);
    w.add(12);
    expect(w.full()).toBe(true);
    w.freeFirstOne();
    expect(w.count).toBe(2);
    expect(() => w.add(4)).toThrow(/not above/);
    w.reset();
    expect(w.count).toBe(0);
  });
});

describe('quorum', () => {
  it('commit index is the largest index a majority has', () => {
    const match = new Map([
      [1, 10],
      [2, 8],
      [3, 3],
    ]);
    expect(committedIndex(new Set([1, 2, 3]), (id) => match.get(id))).toBe(8);
    expect(committedIndex(new Set([1, 2, 3, 4]), (id) => match.get(id))).toBe(3);
    expect(committedIndex(new Set([1]), (id) => match.get(id))).toBe(10);
  });

  it('votes: won at a majority, lost when a majority is impossible, pending otherwise', () => {
    const voters = new Set([1, 2, 3, 4, 5]);
    expect(voteResult(voters, new Map([[1, true]]))).toBe('pending');
    expect(
      voteResult(
        voters,
        new Map([
          [1, true],
          [2, true],
          [3, true],
        ]),
      ),
    ).toBe('won');
    expect(
      voteResult(
        voters,
        new Map([
          [1, false],
          [2, false],
          [3, false],
        ]),
      ),
    ).toBe('lost');
    expect(
      voteResult(
        voters,
        new Map([
          [1, true],
          [2, false],
          [3, false],
          [4, true],
        ]),
      ),
    ).toBe('pending');
  });
});

describe('Progress', () => {
  const progress = () =>
    new Progress({ match: 0, next: 6, maxInflight: 2, isLearner: false, recentActive: true });

  it('probe sends one append at a time; replicate pipelines up to the window', () => {
    const pr = progress();
    expect(pr.isPaused()).toBe(false);
    pr.probeSent = true;
    expect(pr.isPaused()).toBe(true);
    expect(pr.maybeUpdate(5)).toBe(true);
    expect(pr.isPaused()).toBe(false);
    pr.becomeReplicate();
    expect(pr.next).toBe(6);
    pr.inflights.add(6);
    pr.inflights.add(7);
    expect(pr.isPaused()).toBe(true);
  });

  it('handles rejections: stale ones are ignored, probes jump to the hint', () => {
    const pr = progress();
    pr.match = 2;
    pr.next = 10;
    expect(pr.maybeDecrTo(5, 3)).toBe(false); // not the probe in flight
    expect(pr.maybeDecrTo(9, 3)).toBe(true);
    expect(pr.next).toBe(4);
    pr.becomeReplicate();
    expect(pr.maybeDecrTo(2, 0)).toBe(false); // at or below match: stale
    expect(pr.maybeDecrTo(5, 0)).toBe(true);
    expect(pr.next).toBe(3);
  });

  it('snapshot state pauses until the snapshot is reported; probing resumes after it', () => {
    const pr = progress();
    pr.becomeSnapshot(20);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect(pr.next).toBe(21);
  });
});

describe('RaftLog', () => {
  function log(terms: number[]): RaftLog {
    const s = new MemoryStorage();
    s.append(terms.map((t, i) => entry(i + 1, t)));
    return new RaftLog(s, Number.POSITIVE_INFINITY);
  }

  it('findConflictByTerm skips every entry with a higher term', () => {
    const l = log([1, 1, 2, 2, 5, 5, 5]);
    expect(l.findConflictByTerm(7, 4)).toEqual([4, 2]);
    expect(l.findConflictByTerm(7, 5)).toEqual([7, 5]);
    expect(l.findConflictByTerm(4, 1)).toEqual([2, 1]);
    expect(l.findConflictByTerm(4, 0)).toEqual([0, 0]);
  });

  it('maybeAppend truncates a conflicting uncommitted suffix and never a committed one', () => {
    const l = log([1, 1, 2, 2]);
    l.commitTo(2);
    expect(l.maybeAppend(2, 1, 3, [entry(3, 3), entry(4, 3)])).toBe(4);
    expect([1, 2, 3, 4].map((i) => l.term(i))).toEqual([1, 1, 3, 3]);
    expect(l.committed).toBe(3);
    expect(() => l.maybeAppend(1, 1, 3, [entry(2, 9)])).toThrow(/conflicts with committed/);
    // A mismatching predecessor is refused.
    expect(l.maybeAppend(4, 2, 4, [entry(5, 3)])).toBeUndefined();
  });

  it('an index beyond the log never matches, even against term 0', () => {
    const l = log([1, 1]);
    expect(l.matchTerm(5, 0)).toBe(false);
    expect(l.maybeAppend(5, 0, 5, [])).toBeUndefined();
    expect(l.matchTerm(0, 0)).toBe(true);
  });

  it('commit never moves past the log nor backwards', () => {
    const l = log([1, 1]);
    expect(() => l.commitTo(3)).toThrow(/out of range/);
    l.commitTo(2);
    l.commitTo(1);
    expect(l.committed).toBe(2);
  });

  it('a leader commits only entries of its own term by counting', () => {
    const l = log([1, 2, 2]);
    expect(l.maybeCommit(3, 3)).toBe(false);
    expect(l.maybeCommit(3, 2)).toBe(true);
    expect(l.committed).toBe(3);
  });
});
