import { StoreCluster } from '../store/helpers/store-cluster.ts';
import { KvClient } from '../store/helpers/history.ts';
const c = await StoreCluster.create({});
c.startAll();
const leader = await c.waitForLeader();
console.log('leader', leader);
await c.signal(leader, 'SIGSTOP');
const others = [0, 1, 2].filter((i) => i !== leader);
const t = Date.now();
const next = await c.waitForLeader(others);
console.log('new leader', next, Date.now() - t);
for (const i of others) {
  const k = new KvClient(c.slots[i]!.clientUrl);
  for (let j = 0; j < 3; j++) {
    const s = Date.now();
    try { await k.put('x', `v${j}`); console.log(i, 'put ok', Date.now() - s); } catch (e) { console.log(i, 'put fail', (e as Error).message, Date.now() - s); }
    try { await k.get('x'); console.log(i, 'get ok', Date.now() - s); } catch (e) { console.log(i, 'get fail', (e as Error).message, Date.now() - s); }
  }
  k.close();
}
await c.signal(leader, 'SIGCONT');
process.env.NAVARCH_TEST_KEEP = '1';
await c.destroy();
process.exit(0);
