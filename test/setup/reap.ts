/**
 * vitest globalSetup: before the run and after it, stops the processes and removes the temp dirs
 * that dead runners left behind (see test/helpers/reaper.ts). After the run this catches what a
 * worker killed on a timeout could not stop itself; records of live runs (another engineer's, or
 * this run's own workers still exiting) are left alone.
 */
import { describeReport, reap } from '../helpers/reaper.js';

async function reapAndReport(): Promise<void> {
  for (const line of describeReport(await reap())) process.stderr.write(`reaper: ${line}\n`);
}

/** Runs the reaper before any test file, and returns the teardown that runs it after the last. */
export default async function setup(): Promise<() => Promise<void>> {
  await reapAndReport();
  return reapAndReport;
}
