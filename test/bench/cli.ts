/**
 * navctl benchmark (`npx tsx test/bench/cli.ts`): on one real `navarch server` (over etcd) with
 * 200 pods, the median wall time of `navctl get pods -A` against stock `kubectl get pods -A`
 * (goal ratio <= 1.0, floor <= 1.5), and the median start-up of `navctl version --client`
 * (goal <= 120 ms), with a Node.js process loading a one-line module as the floor. Wall and CPU
 * (user + system) times are both reported: on a loaded machine the CPU time is the stable figure.
 * navctl runs as installed: the package's `bin` (dist/navctl.cjs); `node dist/navctl.mjs` (the ES
 * module entry) is timed too, for reference. Each tool's warm-up run fills its cache (kubectl's
 * discovery cache, navctl's compile cache) in the benchmark's own HOME.
 *
 * Runs alternate between the tools so that background load hits both alike. BENCH_RUNS sets the
 * number of timed runs per command (default 15); BENCH_PODS the number of pods (default 200).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import {
  KubeClient,
  loadKubeconfig,
  type ResourceInfo,
  resolveRestConfig,
  WELL_KNOWN_RESOURCES,
} from '@navarch/client';
import { startCluster } from '../cli/cluster.js';
import { bundleNavctl, repoRoot } from '../cli/helpers.js';
import { trackedTempDir } from '../helpers/registry.js';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const podCount = Number(process.env.BENCH_PODS ?? 200);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One run's wall time and CPU time (user + system, from /usr/bin/time), in ms. */
interface Sample {
  wallMs: number;
  cpuMs: number;
}

/**
 * Runs a command under /usr/bin/time. CPU time is reported next to wall time because on a shared,
 * loaded build machine wall time mostly measures the scheduler; CPU time is what the tool costs.
 * Throws if the command fails: a benchmark of an error is no benchmark.
 */
function timeRun(command: string, args: string[], env: NodeJS.ProcessEnv): Sample {
  const start = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', 'NAVCTL_BENCH %U %S', command, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const stderr = result.stderr.toString();
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${stderr}`);
  const m = /NAVCTL_BENCH ([\d.]+) ([\d.]+)/.exec(stderr);
  const cpuMs = m ? (Number(m[1]) + Number(m[2])) * 1000 : Number.NaN;
  return { wallMs, cpuMs };
}

function medians(samples: Sample[]): { wallMs: number; cpuMs: number } {
  return {
    wallMs: Math.round(median(samples.map((s) => s.wallMs))),
    cpuMs: Math.round(median(samples.map((s) => s.cpuMs))),
  };
}

async function main(): Promise<void> {
  const cliPackage = JSON.parse(readFileSync(join(repoRoot, 'packages/cli/package.json'), 'utf8')) as {
    bin: { navctl: string };
  };
  const dist = join(repoRoot, 'packages/cli', cliPackage.bin.navctl);
  const bundle = existsSync(dist) ? dist : await bundleNavctl();
  const esmEntry = join(dirname(bundle), 'navctl.mjs');
  console.log(`navctl bundle: ${bundle}`);
  const cluster = await startCluster();
  try {
    // Tracked: removed when this process ends (it used to be left behind).
    const home = trackedTempDir('navctl-bench-home-');
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

    // Warm-up: kubectl fills its discovery cache; both tools get their files into the page cache.
    timeRun('/usr/bin/kubectl', ['get', 'pods', '-A'], env);
    timeRun(process.execPath, [bundle, 'get', 'pods', '-A'], env);
    const ours: Sample[] = [];
    const theirs: Sample[] = [];
    const esm: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(timeRun(process.execPath, [bundle, 'get', 'pods', '-A'], env));
      theirs.push(timeRun('/usr/bin/kubectl', ['get', 'pods', '-A'], env));
      esm.push(timeRun(process.execPath, [esmEntry, 'get', 'pods', '-A'], env));
    }
    // The floor of any Node.js CLI: a process that loads a one-line ES module.
    const trivial = join(home, 'trivial.mjs');
    writeFileSync(trivial, "process.stdout.write('x');\n");
    const startup: Sample[] = [];
    const floor: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      startup.push(timeRun(process.execPath, [bundle, 'version', '--client'], env));
      floor.push(timeRun(process.execPath, [trivial], env));
    }
    const load = loadavg()[0] ?? 0;
    const get = { navctl: medians(ours), kubectl: medians(theirs) };
    const summary = {
      pods: podCount,
      runs,
      loadAverage1m: Number(load.toFixed(2)),
      getPodsAllNamespaces: get,
      wallRatio: Number((get.navctl.wallMs / get.kubectl.wallMs).toFixed(2)),
      cpuRatio: Number((get.navctl.cpuMs / get.kubectl.cpuMs).toFixed(2)),
      getPodsEsmEntry: medians(esm),
      versionClient: medians(startup),
      nodeTrivialModule: medians(floor),
    };
    const line = (s: { wallMs: number; cpuMs: number }) => `wall ${s.wallMs} ms, cpu ${s.cpuMs} ms`;
    console.log(`navctl  get pods -A (${podCount} pods): median ${line(get.navctl)}`);
    console.log(`kubectl get pods -A (${podCount} pods): median ${line(get.kubectl)}`);
    console.log(`navctl.mjs get pods -A (ES module entry): median ${line(summary.getPodsEsmEntry)}`);
    console.log(
      `ratio navctl/kubectl: wall ${summary.wallRatio}, cpu ${summary.cpuRatio} (goal <= 1.0, floor <= 1.5)`,
    );
    console.log(`navctl version --client: median ${line(summary.versionClient)} (goal <= 120 ms)`);
    console.log(`node running a one-line module (floor): median ${line(summary.nodeTrivialModule)}`);
    console.log(`load average (1 min): ${summary.loadAverage1m}`);
    console.log(JSON.stringify(summary));
  } finally {
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
