import { startCluster } from './test/compat/helpers/cluster.ts';
const t = performance.now();
try { const c = await startCluster('navarch'); console.log('healthy after', ((performance.now() - t) / 1000).toFixed(1), 's'); await c.stop(); }
catch (e) { console.log('FAILED after', ((performance.now() - t) / 1000).toFixed(1), 's', String(e).slice(0, 200)); }
