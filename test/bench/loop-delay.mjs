/**
 * Event-loop delay probe for `npm run bench:api` with BENCH_DEBUG: preloaded with `node --import`
 * into the benchmarked server and store processes. On SIGUSR2 it writes the event-loop delay seen
 * since the previous SIGUSR2 (timer lateness sampled every 5 ms, in ms) to
 * $NAVARCH_LOOP_DELAY_DIR/<pid>.json, then starts a new window. Without that variable it does
 * nothing, so a stray preload is harmless.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const dir = process.env.NAVARCH_LOOP_DELAY_DIR;
if (dir) {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  process.on('SIGUSR2', () => {
    const ms = (ns) => ns / 1e6;
    const figures = {
      p50Ms: ms(histogram.percentile(50)),
      p99Ms: ms(histogram.percentile(99)),
      maxMs: ms(histogram.max),
      meanMs: ms(histogram.mean),
    };
    histogram.reset();
    // Written whole, then renamed: the benchmark polls for the file and must never read half of it.
    const temporary = `${dir}/${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(figures));
    renameSync(temporary, `${dir}/${process.pid}.json`);
  });
}
