/**
 * `node --import tsx test/helpers/reap-main.ts`: stops the processes and removes the temp dirs that
 * test runs and benchmarks which died left behind (see reaper.ts). Run first by `npm test` and
 * `npm run bench`. Prints one line per action. Always exits 0: a process that survives SIGKILL
 * (stuck in the kernel) keeps its record for the next run and must not stop this one.
 */
import { describeReport, reap } from './reaper.js';

const report = await reap();
for (const line of describeReport(report)) process.stdout.write(`reaper: ${line}\n`);
