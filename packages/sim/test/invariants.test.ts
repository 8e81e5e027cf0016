import { type EntryLike, InvariantChecker, SimViolation, type ViolationKind } from '@navarch/sim';
import { describe, expect, it } from 'vitest';

const enc = new TextEncoder();
function e(index: number, term: number, data = `x${index}`): EntryLike {
  return { index, term, type: 'normal', data: enc.encode(data) };
}

function expectViolation(kind: ViolationKind, fn: () => void): SimViolation {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SimViolation);
    const v = error as SimViolation;
    expect(v.kind).toBe(kind);
    expect(v.code).toBe('NAVARCH_ERR_SIM_VIOLATION');
    return v;
  }
  throw new Error(`expected a ${kind} violation`);
}

describe('InvariantChecker', () => {
  it('accepts a healthy history: agreeing logs, one leader per term, same applies', () => {
    const c = new InvariantChecker();
    c.onRole(1, 1, true);
    for (const node of [1, 2, 3]) c.onEntriesWritten(node, [e(1, 1), e(2, 1)]);
    c.onHardState(1, 1, 1, 2);
    c.onHardState(2, 1, 1, 2);
    c.onApply(1, e(1, 1));
    c.onApply(1, e(2, 1));
    c.onApply(2, e(1, 1));
    c.onAcknowledged(2, 1, 'put');
    // Node 3 missed nothing committed and may lead term 2; node 2 conflicts only in an uncommitted suffix.
    c.onEntriesWritten(2, [e(3, 1, 'old')]);
    c.onRole(3, 2, true);
    c.onEntriesWritten(3, [e(3, 2, 'new')]);
    c.onEntriesWritten(2, [e(3, 2, 'new')]);
    c.onHardState(3, 1, 2, 3);
    c.onHardState(2, 1, 2, 3);
    expect(c.highestCommitted).toBe(3);
    expect(c.leadersByTerm()).toEqual([
      [1, 1],
      [2, 3],
    ]);
    expect(c.checks).toBeGreaterThan(10);
  });

  it('reports two leaders in one term', () => {
    const c = new InvariantChecker();
    c.onRole(1, 5, true);
    c.onRole(1, 5, true); // the same leader reported twice is fine
    const v = expectViolation('electionSafety', () => c.onRole(2, 5, true));
    expect(v.message).toContain('term 5');
  });

  it('reports logs that agree on an entry but differ before it (log matching)', () => {
    const c = new InvariantChecker();
    c.onEntriesWritten(1, [e(1, 1, 'a'), e(2, 2, 'b')]);
    expectViolation('logMatching', () => c.onEntriesWritten(2, [e(1, 1, 'DIFFERENT'), e(2, 2, 'b')]));
  });

  it('reports two different entries with the same index and term', () => {
    const c = new InvariantChecker();
    c.onEntriesWritten(1, [e(1, 1, 'a')]);
    expectViolation('logMatching', () => c.onEntriesWritten(2, [e(1, 1, 'b')]));
  });

  it('reports a log whose terms decrease', () => {
    const c = new InvariantChecker();
    expectViolation('logMatching', () => c.onEntriesWritten(1, [e(1, 3), e(2, 2)]));
  });

  it('reports a new leader that lacks a committed entry (leader completeness)', () => {
    const c = new InvariantChecker();
    c.onEntriesWritten(1, [e(1, 1), e(2, 1)]);
    c.onEntriesWritten(2, [e(1, 1), e(2, 1)]);
    c.onEntriesWritten(3, [e(1, 1)]);
    c.onHardState(1, 1, 1, 2);
    expectViolation('leaderCompleteness', () => c.onRole(3, 2, true));
  });

  it('reports a new leader whose entry at a committed index has another term', () => {
    const c = new InvariantChecker();
    c.onEntriesWritten(1, [e(1, 1), e(2, 1)]);
    c.onHardState(1, 1, 1, 2);
    c.onEntriesWritten(3, [e(1, 1), e(2, 2, 'other')]);
    expectViolation('leaderCompleteness', () => c.onRole(3, 2, true));
  });

  it('reports two nodes committing different entries at one index', () => {
    const c = new InvariantChecker();
    c.onEntriesWritten(1, [e(1, 1), e(2, 1)]);
    c.onHardState(1, 1, 1, 2);
    c.onEntriesWritten(2, [e(1, 1), e(2, 2, 'other')]);
    expectViolation('commitConsistency', () => c.onHardState(2, 1, 2, 2));
  });

  it('reports a node overwriting an entry it had committed', () => {
    const c = new InvariantChecker();
    c.onEntriesWritten(1, [e(1, 1), e(2, 1)]);
    c.onHardState(1, 1, 1, 2);
    expectViolation('commitConsistency', () => c.onEntriesWritten(1, [e(2, 2, 'other')]));
  });

  it('reports a commit index beyond the log', () => {
    const c = new InvariantChecker();
    c.onEntriesWritten(1, [e(1, 1)]);
    expectViolation('commitConsistency', () => c.onHardState(1, 1, 1, 2));
  });

  it('reports a commit index or term that goes back within one incarnation, but not across a restart', () => {
    const c = new InvariantChecker();
    c.onEntriesWritten(1, [e(1, 1), e(2, 1)]);
    c.onHardState(1, 1, 1, 2);
    expectViolation('commitMonotonic', () => c.onHardState(1, 1, 1, 1));
    const d = new InvariantChecker();
    d.onHardState(1, 1, 3, 0);
    expectViolation('commitMonotonic', () => d.onHardState(1, 1, 2, 0));
    // After a crash the durable commit may be lower than the one the old process held in memory.
    const r = new InvariantChecker();
    r.onEntriesWritten(1, [e(1, 1), e(2, 1)]);
    r.onHardState(1, 1, 1, 2);
    r.onRestart(
      1,
      2,
      { baseIndex: 0, baseTerm: 0, entries: [e(1, 1), e(2, 1)] },
      { commit: 1, term: 1, applied: 0 },
    );
    r.onHardState(1, 2, 1, 1);
    expect(r.highestCommitted).toBe(2);
  });

  it('reports different entries applied at one index (state machine safety)', () => {
    const c = new InvariantChecker();
    c.onEntriesWritten(1, [e(1, 1, 'a')]);
    c.onHardState(1, 1, 1, 1);
    c.onApply(1, e(1, 1, 'a'));
    c.onEntriesWritten(2, [e(1, 1, 'a')]);
    c.onHardState(2, 1, 1, 1);
    // Node 2's log agrees, but what it hands its state machine does not.
    expectViolation('stateMachineSafety', () => c.onApply(2, e(1, 1, 'b')));
  });

  it('reports applies that skip an index or run ahead of the commit index', () => {
    const c = new InvariantChecker();
    c.onEntriesWritten(1, [e(1, 1), e(2, 1)]);
    c.onHardState(1, 1, 1, 2);
    expectViolation('stateMachineSafety', () => c.onApply(1, e(2, 1)));
    const d = new InvariantChecker();
    d.onEntriesWritten(1, [e(1, 1)]);
    expectViolation('stateMachineSafety', () => d.onApply(1, e(1, 1)));
  });

  it('reports a leader elected without an acknowledged write', () => {
    const c = new InvariantChecker();
    // The write at index 2 was acknowledged, but the committed record never saw it (a node that
    // applied it crashed before its commit was observed); the new leader's log has another entry.
    c.onAcknowledged(2, 1, 'put(k, v)');
    c.onEntriesWritten(3, [e(1, 1), e(2, 2)]);
    const v = expectViolation('ackedWriteLost', () => c.onRole(3, 2, true));
    expect(v.message).toContain('put(k, v)');
  });

  it('anchors a log restored from a snapshot to the committed entries', () => {
    const c = new InvariantChecker();
    c.onEntriesWritten(1, [e(1, 1), e(2, 1), e(3, 1)]);
    c.onHardState(1, 1, 1, 3);
    c.onSnapshotInstalled(2, 2, 1);
    c.onEntriesWritten(2, [e(3, 1)]);
    c.onHardState(2, 1, 1, 3);
    c.onEntriesWritten(2, [e(4, 1, 'p')]);
    expectViolation('logMatching', () =>
      c.onEntriesWritten(3, [e(1, 1), e(2, 1), e(3, 1, 'forged'), e(4, 1, 'p')]),
    );
    const d = new InvariantChecker();
    d.onEntriesWritten(1, [e(1, 1), e(2, 1)]);
    d.onHardState(1, 1, 1, 2);
    expectViolation('stateMachineSafety', () => d.onSnapshotInstalled(2, 2, 7));
  });
});
