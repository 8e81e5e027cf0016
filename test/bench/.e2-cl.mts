import { StoreCluster } from '../store/helpers/store-cluster.ts';
const c = await StoreCluster.create({});
c.startAll();
await new Promise((r) => setTimeout(r, 6000));
for (let i = 0; i < 3; i++) { console.log(i, c.isRunning(i), (await c.metrics(i))?.match(/^navarch_store_(is|has)_leader.*$/gm)); console.log(c.log(i).split('\n').slice(-3).join('\n').slice(0, 600)); }
console.log(c.slots[0]); await new Promise((r) => setTimeout(r, 3000)); console.log(c.log(0).slice(0,1000)); await c.destroy();
