import type { TestingBugs } from '@navarch/raft';
import { chooseProfile, type FaultProfile, type RunResult, runSeed, type ViolationKind } from '@navarch/sim';
import { describe, expect, it } from 'vitest';

/**
 * Fault mixes that make each deliberate bug surface within a few seeds. They only tune rates of
 * the same faults every run uses; the checks are the ordinary ones.
 */
const HUNT: Record<keyof TestingBugs, { profile: Partial<FaultProfile>; expected: ViolationKind[] }> = {
  // Needs a voter to vote, lose its vote in a crash, and vote again in the same term: quick
  // process bounces while two candidates campaign.
  forgetVoteOnRestart: {
    profile: {
      voters: 3,
      crashRate: 0,
      bounceRate: 0.1,
      restartRate: 1,
      partitionRate: 0,
      membershipRate: 0,
      transferRate: 0,
      fsyncMaxTicks: 0,
      preVote: false,
      checkQuorum: false,
      link: {
        dropRate: 0,
        duplicateRate: 0,
        reorderRate: 0,
        reorderDelayTicks: 0,
        minLatencyTicks: 1,
        maxLatencyTicks: 4,
      },
    },
    expected: ['electionSafety', 'leaderCompleteness', 'commitConsistency', 'logMatching', 'ackedWriteLost'],
  },
  // Needs a leader of a new term to catch a follower up on entries of an earlier term: one entry
  // per message so that acknowledgements (and commits) arrive entry by entry.
  commitPreviousTermEntries: {
    profile: {
      voters: 3,
      crashRate: 0.02,
      bounceRate: 0.05,
      restartRate: 0.3,
      partitionRate: 0.03,
      healRate: 0.05,
      membershipRate: 0,
      transferRate: 0,
      maxSizePerMsgBytes: 1,
      maxInflightMsgs: 1,
      link: {
        dropRate: 0.15,
        duplicateRate: 0,
        reorderRate: 0,
        reorderDelayTicks: 0,
        minLatencyTicks: 1,
        maxLatencyTicks: 3,
      },
    },
    expected: ['leaderCommitRule'],
  },
  // Needs a follower with a divergent tail to receive entries whose predecessor does not match.
  skipPrevLogCheck: {
    profile: {
      voters: 5,
      crashRate: 0.05,
      bounceRate: 0.05,
      restartRate: 0.3,
      partitionRate: 0.03,
      healRate: 0.05,
      membershipRate: 0,
      transferRate: 0,
      maxSizePerMsgBytes: 1,
      maxInflightMsgs: 1,
      link: {
        dropRate: 0.1,
        duplicateRate: 0.1,
        reorderRate: 0.2,
        reorderDelayTicks: 20,
        minLatencyTicks: 1,
        maxLatencyTicks: 4,
      },
    },
    expected: [
      'logMatching',
      'commitConsistency',
      'leaderCompleteness',
      'stateMachineSafety',
      'ackedWriteLost',
    ],
  },
};

/**
 * The Figure 8 scenario of the Raft paper, for commitPreviousTermEntries with the direct
 * leaderCommitRule check off: a leader elected in a later term must crash after persisting its
 * first entry but before sending it, then the old leader returns and commits its old-term tail by
 * counting replicas, then the first one is elected again and overwrites a committed entry.
 */
const FIGURE_8: Partial<FaultProfile> = {
  voters: 3,
  crashRate: 0.03,
  bounceRate: 0.03,
  restartRate: 0.3,
  crashOnElectionRate: 0.6,
  crashBeforeSyncRate: 0,
  tornWriteRate: 0,
  partitionRate: 0.05,
  healRate: 0.08,
  membershipRate: 0,
  transferRate: 0,
  fsyncMaxTicks: 0,
  compactionThresholdEntries: 0,
  preVote: false,
  checkQuorum: false,
  maxSizePerMsgBytes: 1,
  maxInflightMsgs: 1,
  link: {
    dropRate: 0.15,
    duplicateRate: 0,
    reorderRate: 0,
    reorderDelayTicks: 0,
    minLatencyTicks: 1,
    maxLatencyTicks: 3,
  },
};

function hunt(
  bug: keyof TestingBugs,
  profile: Partial<FaultProfile> = HUNT[bug].profile,
  disabledChecks: ViolationKind[] = [],
): { result: RunResult; seedsTried: number } {
  for (let seed = 1; seed <= 2000; seed++) {
    const result = runSeed({
      seed,
      safetyTicks: 300,
      testingBugs: { [bug]: true },
      profile,
      disabledChecks,
      skipLiveness: true,
      checkLinearizability: false,
    });
    if (!result.ok) return { result, seedsTried: seed };
  }
  throw new Error(`no violation found for ${bug} within 2000 seeds`);
}

describe('simulator without bugs', () => {
  it('passes 50 seeds of the fault swarm, liveness and linearizability included', () => {
    const failures: string[] = [];
    let operations = 0;
    let faults = 0;
    let checked = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const r = runSeed({ seed, safetyTicks: 300 });
      if (!r.ok) failures.push(`seed ${seed}: ${r.violation?.kind}: ${r.violation?.message}`);
      operations += r.operations.completed;
      faults += Object.values(r.faults).reduce((a, b) => a + b, 0);
      if (r.linearizability === 'ok') checked++;
    }
    expect(failures).toEqual([]);
    // The runs did real work under real faults.
    expect(operations).toBeGreaterThan(1000);
    expect(faults).toBeGreaterThan(1000);
    expect(checked).toBe(50);
  });

  it('reproduces a seed exactly: same trace and same summary', () => {
    const a = runSeed({ seed: 12345, safetyTicks: 400 });
    const b = runSeed({ seed: 12345, safetyTicks: 400 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const c = runSeed({ seed: 12346, safetyTicks: 400 });
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it('picks different fault mixes for different seeds (swarm testing)', () => {
    const profiles = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const r = runSeed({ seed, safetyTicks: 1, skipLiveness: true });
      const p = r.profile;
      profiles.add(
        [
          p.link.dropRate > 0,
          p.link.duplicateRate > 0,
          p.crashRate > 0,
          p.partitionRate > 0,
          p.membershipRate > 0,
        ].join(),
      );
    }
    expect(profiles.size).toBeGreaterThan(5);
  });
});

describe('simulator finds deliberate Raft bugs', () => {
  for (const bug of Object.keys(HUNT) as (keyof TestingBugs)[]) {
    it(`reports a violation with testingBugs.${bug} within 2000 seeds, reproducibly`, () => {
      const { result, seedsTried } = hunt(bug);
      expect(seedsTried).toBeLessThanOrEqual(2000);
      expect(HUNT[bug].expected).toContain(result.violation?.kind);
      // The failing seed is a one-line reproduction.
      const again = runSeed({
        seed: result.seed,
        safetyTicks: 300,
        testingBugs: { [bug]: true },
        profile: HUNT[bug].profile,
        skipLiveness: true,
        checkLinearizability: false,
      });
      expect(again.violation).toEqual(result.violation);
    });
  }

  it('finds the Figure 8 data loss of commitPreviousTermEntries even without the direct commit-rule check', () => {
    const { result } = hunt('commitPreviousTermEntries', FIGURE_8, ['leaderCommitRule']);
    expect(['leaderCompleteness', 'commitConsistency', 'stateMachineSafety', 'ackedWriteLost']).toContain(
      result.violation?.kind,
    );
  });

  it('finds nothing with the same aggressive fault mixes and no bug', () => {
    for (const profile of [FIGURE_8, HUNT.forgetVoteOnRestart.profile, HUNT.skipPrevLogCheck.profile]) {
      for (let seed = 1; seed <= 5; seed++) {
        const r = runSeed({ seed, safetyTicks: 300, profile });
        expect(r.violation).toBeUndefined();
      }
    }
  });
});

describe('sending before the fsync', () => {
  // Crashes aimed between a Ready's writes and its fsync, with slow disks.
  const CRASHY: Partial<FaultProfile> = {
    crashBeforeSyncRate: 0.02,
    fsyncMaxTicks: 3,
    crashRate: 0.01,
    restartRate: 0.3,
  };

  it('is caught when followers do it (they acknowledge entries a crash then takes back)', () => {
    let found: RunResult | undefined;
    for (let seed = 1; seed <= 200 && found === undefined; seed++) {
      const r = runSeed({ seed, safetyTicks: 600, unsafeSendBeforeSync: true, profile: CRASHY });
      if (!r.ok) found = r;
    }
    expect(found?.violation).toBeDefined();
  });

  it('is safe when only the leader does it, as etcd does, also with durable entries applied meanwhile', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const r = runSeed({
        seed,
        safetyTicks: 600,
        profile: { ...CRASHY, leaderSendsBeforeSync: true, applyBeforeSync: true },
      });
      expect(r.violation).toBeUndefined();
      expect(r.linearizability).toBe('ok');
    }
  });
});

describe('end-to-end linearizability', () => {
  it('catches stale reads served from a node without a Raft round', () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 200 && !kinds.has('linearizability'); seed++) {
      const r = runSeed({
        seed,
        safetyTicks: 300,
        unsafeLocalReads: true,
        profile: {
          partitionRate: 0.03,
          crashRate: 0.01,
          workload: { ...chooseProfile(seed).workload, keys: 1, readRatio: 0.5 },
        },
      });
      if (r.violation) kinds.add(r.violation.kind);
    }
    expect([...kinds]).toEqual(['linearizability']);
  });
});
