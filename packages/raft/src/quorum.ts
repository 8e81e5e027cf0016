/**
 * Majority quorum arithmetic over a set of voters: which index a quorum has acknowledged, and the
 * outcome of an election. Learners never count.
 */

/** Outcome of a vote count. */
export type VoteResult = 'won' | 'lost' | 'pending';

/**
 * The largest index acknowledged by a majority of `voters`, given each voter's acknowledged index
 * (missing means 0). With no voters it returns +Infinity so that a configuration with no voters
 * never holds back commits computed elsewhere (callers guard against this case).
 */
export function committedIndex(
  voters: ReadonlySet<number>,
  acked: (id: number) => number | undefined,
): number {
  if (voters.size === 0) return Number.POSITIVE_INFINITY;
  const indexes: number[] = [];
  for (const id of voters) indexes.push(acked(id) ?? 0);
  indexes.sort((a, b) => b - a);
  // The (n/2+1)-th largest: a majority has at least this index.
  return indexes[Math.floor(voters.size / 2)]!;
}

/** Counts votes of `voters`: won once a majority granted, lost once a majority can no longer grant. */
export function voteResult(voters: ReadonlySet<number>, votes: ReadonlyMap<number, boolean>): VoteResult {
  if (voters.size === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const quorum = Math.floor(voters.size / 2) + 1;
  if (granted >= quorum) return 'won';
  if (granted + missing >= quorum) return 'pending';
  return 'lost';
}
