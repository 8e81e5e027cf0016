/**
 * Randomized safety check (bounded, seeded, deterministic): random ticks, message loss,
 * duplication and reordering, partitions, crash-restarts, compaction and proposals, checking
 * after every step that
 *  - at most one leader is elected per term (Election Safety),
 *  - no two nodes apply different entries at the same index (State Machine Safety),
 * and at the end, with faults healed, that the cluster commits a new proposal (liveness).
 * The deterministic simulator in packages/sim does this at scale; this keeps the core honest
 * on its own.
 */
import { ErrProposalDropped, type Message } from '@navarch/raft';
import { describe, expect, it } from 'vitest';
import { enc, Network, seededRandom } from './harness.js';

interface FuzzOptions {
  seed: number;
  steps: number;
  preVote: boolean;
  checkQuorum: boolean;
}

function runFuzz({ seed, steps, preVote, checkQuorum }: FuzzOptions): void {
  const rand = seededRandom(seed * 7919 + 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const ids = [1, 2, 3, 4, 5];
  // FUZZ_BUG=<testingBugs switch> checks that this test would notice it (expect failures).
  const bug = process.env.FUZZ_BUG;
  const net = new Network(
    ids,
    {
      preVote,
      checkQuorum,
      maxSizePerMsgBytes: 200,
      maxInflightMsgs: 4,
      ...(bug === undefined ? {} : { testingBugs: { [bug]: true } }),
    },
    seed,
  );
  const leaderOfTerm = new Map<number, number>();
  const appliedAt = new Map<number, string>();
  const appliedCount = new Map<number, number>(ids.map((id) => [id, 0]));
  let proposals = 0;
  let reads = 0;
  const readFloor = new Map<string, number>();
  const readsChecked = new Map<number, number>(ids.map((id) => [id, 0]));

  const checkSafety = (): void => {
    for (const id of ids) {
      const st = net.get(id).node.status();
      if (st.softState.role === 'leader') {
        const prev = leaderOfTerm.get(st.hardState.term);
        if (prev !== undefined && prev !== id)
          throw new Error(`seed ${seed}: two leaders in term ${st.hardState.term}: ${prev} and ${id}`);
        leaderOfTerm.set(st.hardState.term, id);
      }
    }
  };

  // Record applied entries with their index, through the committed entries each node applies.
  const origProcess = net.processReady.bind(net);
  net.processReady = () => {
    const any = origProcess();
    for (const id of ids) {
      const t = net.get(id);
      const seen = appliedCount.get(id)!;
      // t.applied only grows (or is replaced by a snapshot image); check every new item.
      for (let i = seen; i < t.applied.length; i++) {
        const key = i;
        const value = t.applied[i]!;
        const prev = appliedAt.get(key);
        if (prev !== undefined && prev !== value)
          throw new Error(
            `seed ${seed}: node ${id} applied ${value} at position ${key}, another node applied ${prev}`,
          );
        appliedAt.set(key, value);
      }
      appliedCount.set(id, t.applied.length);
    }
    return any;
  };

  // Some Readies are handled asynchronously: persisted at once, finished on a later step.
  net.holdReady = () => rand() < 0.3;
  net.persistHeldEarly = () => rand() < 0.5;
  for (let step = 0; step < steps; step++) {
    const r = rand();
    if (r < 0.35) {
      net.get(pick(ids)).node.tick();
    } else if (r < 0.7) {
      // Deliver one message, chosen at random (reordering).
      if (net.queue.length > 0) {
        const i = Math.floor(rand() * net.queue.length);
        const [m] = net.queue.splice(i, 1) as [Message];
        net.deliver(m);
      }
    } else if (r < 0.75) {
      if (net.queue.length > 0) net.lose(net.queue.splice(Math.floor(rand() * net.queue.length), 1)[0]!); // loss
    } else if (r < 0.78) {
      if (net.queue.length > 0) net.queue.push(structuredClone(pick(net.queue))); // duplication
    } else if (r < 0.88) {
      const id = pick(ids);
      try {
        net.get(id).node.propose(enc(`p${proposals++}`));
      } catch (err) {
        if (!(err instanceof ErrProposalDropped)) throw err;
      }
    } else if (r < 0.9) {
      net.restart(pick(ids));
    } else if (r < 0.92) {
      const a = pick(ids);
      net.partition(
        [a],
        ids.filter((x) => x !== a && rand() < 0.5),
      );
    } else if (r < 0.94) {
      net.heal();
    } else if (r < 0.95) {
      const t = net.get(pick(ids));
      if (t.appliedIndex > t.storage.firstIndex()) net.compact(t.id);
    } else if (r < 0.96) {
      net.get(pick(ids)).node.transferLeader(pick(ids));
    } else if (r < 0.97) {
      // A linearizable read must observe every entry committed before it was issued.
      const id = pick(ids);
      const context = `r${reads++}`;
      const floor = Math.max(...ids.map((x) => net.get(x).node.status().hardState.commit));
      try {
        net.get(id).node.readIndex(enc(context));
        readFloor.set(context, floor);
      } catch (err) {
        if (!(err instanceof ErrProposalDropped)) throw err;
      }
    } else if (r < 0.975) {
      // Membership churn on nodes 2..5 (node 1 stays: it is the liveness reference), the
      // leader included: remove, re-add as learner, promote.
      const [leader] = net.leaders();
      const target = pick([2, 3, 4, 5]);
      if (leader !== undefined) {
        const cs = net.get(leader).confState;
        const change = cs.voters.includes(target)
          ? ({ type: 'removeNode', nodeId: target } as const)
          : cs.learners.includes(target)
            ? ({ type: 'addNode', nodeId: target } as const)
            : ({ type: 'addLearnerNode', nodeId: target } as const);
        try {
          net.get(leader).node.proposeConfChange(change);
        } catch (err) {
          if (!(err instanceof ErrProposalDropped)) throw err;
        }
      }
    } else {
      for (const t of net.nodes.values()) t.node.tick();
    }
    net.processReady();
    checkSafety();
    for (const id of ids) {
      const rs = net.get(id).readStates;
      for (let i = readsChecked.get(id)!; i < rs.length; i++) {
        const floor = readFloor.get(new TextDecoder().decode(rs[i]!.context));
        if (floor !== undefined && rs[i]!.index < floor)
          throw new Error(`seed ${seed}: read index ${rs[i]!.index} below commit ${floor} at request time`);
      }
      readsChecked.set(id, rs.length);
    }
  }

  // Liveness: heal everything; within a bounded number of ticks some leader must commit a new
  // proposal on every node (re-proposed if a leader change loses it).
  net.heal();
  // Members as of node 1 (never removed); a removed node 5 is not expected to follow.
  const members = () => {
    const cs = net.get(1).confState;
    return [...cs.voters, ...cs.learners];
  };
  const done = () =>
    net.get(1).applied.includes('final') && members().every((id) => net.get(id).applied.includes('final'));
  let livenessTicks = 0;
  for (let i = 0; i < 300 && !done(); i++) {
    livenessTicks++;
    net.tickAll(1);
    checkSafety();
    const [leader] = net.leaders();
    if (leader !== undefined && i % 10 === 0) {
      try {
        net.propose(leader, 'final');
      } catch (err) {
        if (!(err instanceof ErrProposalDropped)) throw err;
      }
    }
  }
  if (process.env.FUZZ_DEBUG) console.log(`seed ${seed}: liveness after ${livenessTicks} ticks`);
  if (process.env.FUZZ_DEBUG) {
    for (const id of ids) {
      const t = net.get(id);
      console.log(
        id,
        JSON.stringify(t.node.status()),
        t.applied.length,
        t.storage.firstIndex(),
        t.storage.lastIndex(),
      );
    }
  }
  expect(net.get(1).applied, `seed ${seed}: node 1 applied the final proposal`).toContain('final');
  for (const id of members())
    expect(net.get(id).applied, `seed ${seed}: node ${id} applied the final proposal`).toContain('final');
}

describe('randomized safety under faults', () => {
  for (const [preVote, checkQuorum] of [
    [false, false],
    [true, true],
    [true, false],
    [false, true],
  ] as const) {
    it(`holds for 15 seeds (preVote=${preVote}, checkQuorum=${checkQuorum})`, () => {
      // FUZZ_SEED=n runs one seed; FUZZ_SEEDS=n runs seeds 1..n (default 15).
      const count = Number(process.env.FUZZ_SEEDS ?? 15);
      const only = process.env.FUZZ_SEED
        ? [Number(process.env.FUZZ_SEED)]
        : Array.from({ length: count }, (_, i) => i + 1);
      for (const seed of only) {
        try {
          runFuzz({ seed, steps: 1500, preVote, checkQuorum });
        } catch (err) {
          if (err instanceof Error) err.message = `FUZZ_SEED=${seed}: ${err.message}`;
          throw err;
        }
      }
    });
  }
});
