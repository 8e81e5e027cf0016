/**
 * Durability with real processes: under a write load, kill -9 a follower, then the leader, then
 * all three members; restart them from their data dirs. Every acknowledged write must still be
 * there and the whole client history must be linearizable.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkAcknowledgedWrites,
  linearizabilityViolation,
  progress,
  runWorkload,
  type WorkloadStats,
} from './helpers/history.js';
import { StoreCluster } from './helpers/store-cluster.js';

let cluster: StoreCluster | undefined;

/** Waits for `count` more successful operations, logging the phase so a hang says where. */
async function step(stats: WorkloadStats, count: number): Promise<void> {
  await progress(stats, count, 60_000);
  if (process.env.NAVARCH_TEST_LOG) console.log(`progress: ${stats.ok} ok, ${stats.failed} failed`);
}

afterAll(async () => {
  await cluster?.destroy();
});

describe('store durability (3 real processes, kill -9)', () => {
  it('loses no acknowledged write across kill -9 of a follower, the leader, then everyone', async () => {
    // A small snapshot count makes the restarts go through log compaction and snapshots too.
    cluster = await StoreCluster.create({ snapshotCount: 300 });
    const c = cluster;
    c.startAll();
    await c.waitForLeader();
    const stats: WorkloadStats = { ok: 0, failed: 0 };
    let finish!: () => void;
    const until = new Promise<void>((r) => {
      finish = r;
    });
    const running = runWorkload({
      urls: () => c.slots.filter((s) => c.isRunning(s.index)).map((s) => s.clientUrl),
      workers: 6,
      keys: 6,
      until,
      stats,
    });
    try {
      await step(stats, 150);
      const leader = await c.waitForLeader();
      const follower = (leader + 1) % 3;
      await c.signal(follower, 'SIGKILL');
      await step(stats, 150);
      c.start(follower);
      await c.waitForLeader();
      await step(stats, 100);

      const leader2 = await c.waitForLeader();
      await c.signal(leader2, 'SIGKILL');
      const survivors = [0, 1, 2].filter((i) => i !== leader2);
      await c.waitForLeader(survivors);
      await step(stats, 150);
      c.start(leader2);
      await c.waitForLeader();
      await step(stats, 100);

      await Promise.all([0, 1, 2].map((i) => c.signal(i, 'SIGKILL')));
      c.startAll();
      await c.waitForLeader();
      await step(stats, 150);
    } finally {
      finish();
    }
    const result = await running;
    expect(result.ok).toBeGreaterThan(1000);
    expect(await checkAcknowledgedWrites(c.slots[0]!.clientUrl, result)).toEqual([]);
    expect(linearizabilityViolation(result.history)).toBeUndefined();
  }, 240_000);
});
