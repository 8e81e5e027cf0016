/**
 * Faults with real processes: kill the leader, SIGSTOP/SIGCONT the leader, and cut one member off
 * from its peers with iptables (then heal). Writes resume after each fault and the recorded client
 * history stays linearizable throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearizabilityViolation, progress, runWorkload, type WorkloadStats } from './helpers/history.js';
import { StoreCluster } from './helpers/store-cluster.js';

let cluster: StoreCluster;
/** Members the clients avoid while they are faulted (a real client fails over the same way). */
const avoided = new Set<number>();

beforeAll(async () => {
  cluster = await StoreCluster.create();
  cluster.startAll();
  await cluster.waitForLeader();
});

afterAll(async () => {
  await cluster?.destroy();
});

/** Runs `script` under a 4-worker read/write load and checks the history afterwards. */
async function underLoad(script: (stats: WorkloadStats) => Promise<void>): Promise<void> {
  const stats: WorkloadStats = { ok: 0, failed: 0 };
  let finish!: () => void;
  const until = new Promise<void>((r) => {
    finish = r;
  });
  const running = runWorkload({
    urls: () =>
      cluster.slots
        .filter((s) => cluster.isRunning(s.index) && !avoided.has(s.index))
        .map((s) => s.clientUrl),
    workers: 4,
    keys: 4,
    until,
    stats,
  });
  try {
    await progress(stats, 50, 60_000);
    await script(stats);
  } finally {
    avoided.clear();
    finish();
  }
  const result = await running;
  expect(linearizabilityViolation(result.history)).toBeUndefined();
}

describe('store faults (3 real processes)', () => {
  it('elects a new leader when the leader is killed, and writes resume', async () => {
    await underLoad(async (stats) => {
      const leader = await cluster.waitForLeader();
      await cluster.signal(leader, 'SIGKILL');
      const others = [0, 1, 2].filter((i) => i !== leader);
      const next = await cluster.waitForLeader(others);
      expect(next).not.toBe(leader);
      await progress(stats, 50, 60_000);
      cluster.start(leader);
      await cluster.waitForLeader();
      await progress(stats, 50, 60_000);
    });
  }, 180_000);

  it('survives SIGSTOP then SIGCONT of the leader', async () => {
    await underLoad(async (stats) => {
      const leader = await cluster.waitForLeader();
      avoided.add(leader);
      await cluster.signal(leader, 'SIGSTOP');
      try {
        const others = [0, 1, 2].filter((i) => i !== leader);
        await cluster.waitForLeader(others);
        await progress(stats, 50, 60_000);
      } finally {
        await cluster.signal(leader, 'SIGCONT');
        avoided.delete(leader);
      }
      await cluster.waitForLeader();
      await progress(stats, 50, 60_000);
    });
  }, 180_000);

  it('keeps serving when a member is cut off from its peers with iptables, and heals', async () => {
    await underLoad(async (stats) => {
      const leader = await cluster.waitForLeader();
      avoided.add(leader);
      const comment = cluster.isolate(leader);
      try {
        const others = [0, 1, 2].filter((i) => i !== leader);
        const next = await cluster.waitForLeader(others);
        expect(next).not.toBe(leader);
        await progress(stats, 50, 60_000);
      } finally {
        cluster.heal(comment);
        avoided.delete(leader);
      }
      await cluster.waitForLeader();
      await progress(stats, 50, 60_000);
    });
  }, 180_000);
});
