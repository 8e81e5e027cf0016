/**
 * navctl benchmark (`npx tsx test/bench/cli.ts`): on one real `navarch server` (over etcd) with
 * 200 pods, the median wall time of `navctl get pods -A` against stock `kubectl get pods -A`
 * (goal ratio <= 1.0, floor <= 1.5), and the median start-up of `navctl version --client`
 * (goal <= 120 ms), with `node -e 0` as the machine's floor for a Node.js process.
 *
 * Runs alternate between the tools so that background load hits both alike. BENCH_RUNS sets the
 * number of timed runs per command (default 15); BENCH_PODS the number of pods (default 200).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KubeClient,
  loadKubeconfig,
  type ResourceInfo,
  resolveRestConfig,
  WELL_KNOWN_RESOURCES,
} from '@navarch/client';
import { startCluster } from '../cli/cluster.js';
import { bundleNavctl, repoRoot } from '../cli/helpers.js';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const podCount = Number(process.env.BENCH_PODS ?? 200);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Wall time of one process run in ms; throws if it fails (a benchmark of an error is no benchmark). */
function timeRun(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr.toString()}`);
  return ms;
}

async function main(): Promise<void> {
  const dist = join(repoRoot, 'packages/cli/dist/navctl.mjs');
  const bundle = existsSync(dist) ? dist : await bundleNavctl();
  console.log(`navctl bundle: ${bundle}`);
  const cluster = await startCluster();
  try {
    const home = mkdtempSync(join(tmpdir(), 'navctl-bench-home-'));
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: cluster.kubeconfig };
    const client = new KubeClient(
      resolveRestConfig(loadKubeconfig({ explicitPath: cluster.kubeconfig }).merged),
    );
    const pods = WELL_KNOWN_RESOURCES.find((r) => r.resource === 'pods') as ResourceInfo;
    const namespaces = WELL_KNOWN_RESOURCES.find((r) => r.resource === 'namespaces') as ResourceInfo;
    for (let n = 0; n < 4; n++) {
      await client.create(namespaces, undefined, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: `bench-${n}` },
      });
    }
    // Bounded concurrency: 16 creates in flight.
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < podCount) {
          const i = next++;
          await client.create(pods, `bench-${i % 4}`, {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: `pod-${i}`, labels: { app: 'bench' } },
            spec: { containers: [{ name: 'c', image: 'busybox:latest' }] },
          });
        }
      }),
    );
    await client.close();
    console.log(`created ${podCount} pods`);

    // Warm-up: kubectl fills its discovery cache, both tools get their files into the page cache.
    timeRun('/usr/bin/kubectl', ['get', 'pods', '-A'], env);
    timeRun(process.execPath, [bundle, 'get', 'pods', '-A'], env);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(timeRun(process.execPath, [bundle, 'get', 'pods', '-A'], env));
      theirs.push(timeRun('/usr/bin/kubectl', ['get', 'pods', '-A'], env));
    }
    const startup: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < runs; i++) {
      startup.push(timeRun(process.execPath, [bundle, 'version', '--client'], env));
      floor.push(timeRun(process.execPath, ['-e', '0'], env));
    }
    const load = (await import('node:os')).loadavg()[0] ?? 0;
    const summary = {
      pods: podCount,
      runs,
      loadAverage1m: Number(load.toFixed(2)),
      navctlGetPodsMedianMs: Math.round(median(ours)),
      kubectlGetPodsMedianMs: Math.round(median(theirs)),
      ratio: Number((median(ours) / median(theirs)).toFixed(2)),
      navctlVersionClientMedianMs: Math.round(median(startup)),
      nodeEmptyProcessMedianMs: Math.round(median(floor)),
    };
    console.log(`navctl get pods -A (${podCount} pods): median ${summary.navctlGetPodsMedianMs} ms`);
    console.log(`kubectl get pods -A (${podCount} pods): median ${summary.kubectlGetPodsMedianMs} ms`);
    console.log(`ratio navctl/kubectl: ${summary.ratio} (goal <= 1.0, floor <= 1.5)`);
    console.log(
      `navctl version --client: median ${summary.navctlVersionClientMedianMs} ms (goal <= 120 ms; node -e 0: ${summary.nodeEmptyProcessMedianMs} ms)`,
    );
    console.log(JSON.stringify(summary));
  } finally {
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
