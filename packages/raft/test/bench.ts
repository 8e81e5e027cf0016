/**
 * Throughput of the Raft core alone (no disk, no network): a 3-node in-memory cluster driven by
 * the test harness. Not a test; run after `npx tsc -b packages/raft`:
 *   npx tsx packages/raft/test/bench.ts
 * Prints proposals committed and applied on all nodes per second, for proposals handed over one
 * at a time (one Ready cycle each) and in batches of 100.
 */
import { performance } from 'node:perf_hooks';
import { Network } from './harness.js';

function run(total: number, batch: number): number {
  const net = new Network([1, 2, 3], { maxInflightMsgs: 256 }, 42);
  net.campaign(1);
  const leader = net.get(1).node;
  const payload = new Uint8Array(100);
  const start = performance.now();
  for (let i = 0; i < total; i += batch) {
    for (let j = 0; j < batch; j++) leader.propose(payload);
    net.stabilize();
    net.delivered = []; // the harness records deliveries for tests; do not let them pile up here
  }
  const seconds = (performance.now() - start) / 1000;
  const applied = net.get(3).node.status().applied;
  if (applied < total) throw new Error(`only ${applied} applied`);
  return total / seconds;
}

run(2_000, 10); // warm-up
for (const batch of [1, 100]) {
  const total = batch === 1 ? 20_000 : 100_000;
  console.log(
    `batch=${batch}: ${Math.round(run(total, batch)).toLocaleString('en-US')} proposals/s (${total} proposals, 3 nodes, 100 B each)`,
  );
}
