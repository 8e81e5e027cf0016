/**
 * Local multi-node clusters for the end-to-end and chaos suites: N containers from
 * `navarch/node` on one internal Docker network, each with its own Docker engine inside
 * (Docker-in-Docker), so that each behaves like a machine with its own IP, iptables and
 * engine, and none can reach anything beyond the cluster network.
 *
 * Containers are started with testcontainers (never pulling; Ryuk off) through a subclass
 * that sets what testcontainers has no builder for (DNS, device cgroup rules, masked paths,
 * a labelled anonymous volume); the network is created with dockerode because testcontainers'
 * `Network` can be neither internal nor labelled. Everything created carries
 * `io.navarch.test=true` and `io.navarch.test.run=<run id>`; `stop()` removes it all by that
 * label, so a half-started cluster is cleaned up too.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';

// testcontainers reads these when it first talks to Docker, not on import.
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
process.env.TESTCONTAINERS_HOST_OVERRIDE = 'localhost';

/** Label on every container, network and volume a test creates; sweepers select on it. */
export const TEST_LABEL = 'io.navarch.test';
/** Label naming one cluster (one test run), so parallel test files never remove each other's. */
export const RUN_LABEL = 'io.navarch.test.run';
/** The node image (scripts/images.mjs builds it). */
export const NODE_IMAGE = 'navarch/node:latest';
/** The test workload image (scripts/images.mjs builds it). */
export const BUSYBOX_IMAGE = 'navarch/busybox:latest';

/** The Docker client binary that matches the host engine (another may be earlier on PATH). */
const dockerCli = '/usr/bin/docker';
/** What the node entrypoint logs once its inner engine answers. */
const engineReadyLine = 'navarch-node: docker engine ready';

/** One node of a local cluster. */
export interface ClusterNode {
  /** Container name, also resolvable by the other nodes through Docker's embedded DNS. */
  readonly name: string;
  readonly id: string;
  /** The node's address on the cluster network. */
  readonly ip: string;
  readonly container: StartedTestContainer;
}

/** A running local cluster; `stop()` must be called (afterAll/finally). */
export interface NodeCluster {
  readonly runId: string;
  readonly networkName: string;
  /** The cluster network's IPv4 subnet, e.g. `172.19.0.0/16`. */
  readonly subnet: string;
  readonly nodes: readonly ClusterNode[];
  /** Wall time from the first create to the last inner engine answering, in seconds. */
  readonly startSeconds: number;
  /** Removes every container, network and volume of this cluster (idempotent). */
  stop(): Promise<void>;
}

/** Options of {@link startNodeCluster}. */
export interface NodeClusterOptions {
  readonly nodes: number;
  /** Environment for every node's entrypoint (default: no agent). */
  readonly environment?: Readonly<Record<string, string>>;
  /** How long one node may take to start its inner engine, in ms. */
  readonly startupTimeoutMs?: number;
}

/** Error raised when an image the suites need has not been built. */
export class MissingImageError extends Error {
  readonly code = 'NAVARCH_ERR_IMAGE_MISSING';
  constructor(readonly image: string) {
    super(`image ${image} is missing: build the images with \`npm run images\` (or \`npm test\`)`);
    this.name = 'MissingImageError';
  }
}

/** A fresh value for {@link RUN_LABEL}. */
export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

/** The Docker API on the host engine. */
export function hostDocker(): Docker {
  return new Docker({ socketPath: '/var/run/docker.sock' });
}

/** Fails with {@link MissingImageError} unless every image exists on the host engine. */
export async function requireImages(images: readonly string[]): Promise<void> {
  const docker = hostDocker();
  for (const image of images) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      throw new MissingImageError(image);
    }
  }
}

/**
 * A node container: the Docker-in-Docker settings of docs/images.md (`--privileged` fails
 * on the build hosts because CAP_SYS_RESOURCE is not in the bounding set, so all
 * capabilities but that one, unconfined seccomp/AppArmor/system paths, every device).
 */
class NodeContainer extends GenericContainer {
  constructor(
    image: string,
    private readonly labels: Record<string, string>,
  ) {
    super(image);
  }

  protected override async beforeContainerCreated(): Promise<void> {
    this.hostConfig.Dns = ['127.0.0.1'];
    this.hostConfig.DeviceCgroupRules = ['a *:* rwm'];
    this.hostConfig.MaskedPaths = [];
    this.hostConfig.ReadonlyPaths = [];
    this.hostConfig.Mounts = [
      {
        Type: 'volume',
        Source: '',
        Target: '/var/lib/docker',
        VolumeOptions: { NoCopy: false, Labels: this.labels, DriverConfig: { Name: 'local', Options: {} } },
      },
    ];
  }
}

/** Starts `nodes` node containers on a new internal network and waits for their engines. */
export async function startNodeCluster(options: NodeClusterOptions): Promise<NodeCluster> {
  await requireImages([NODE_IMAGE]);
  const docker = hostDocker();
  const runId = newRunId();
  const labels = { [TEST_LABEL]: 'true', [RUN_LABEL]: runId };
  const networkName = `navarch-e2e-${runId}`;
  const stop = () => removeRun(docker, runId);
  try {
    await docker.createNetwork({ Name: networkName, Driver: 'bridge', Internal: true, Labels: labels });
    const network = await docker.getNetwork(networkName).inspect();
    const subnet: string | undefined = network.IPAM?.Config?.[0]?.Subnet;
    if (!subnet) throw new Error(`network ${networkName} has no IPv4 subnet`);

    const started = process.hrtime.bigint();
    const containers = await Promise.all(
      Array.from({ length: options.nodes }, (_, index) =>
        new NodeContainer(NODE_IMAGE, labels)
          .withName(`${networkName}-node-${index + 1}`)
          .withLabels(labels)
          .withNetworkMode(networkName)
          .withEnvironment({ NAVARCH_NO_AGENT: '1', ...options.environment })
          .withAddedCapabilities('ALL')
          .withDroppedCapabilities('SYS_RESOURCE')
          .withSecurityOpt('seccomp=unconfined', 'apparmor=unconfined')
          .withBindMounts([{ source: '/sys/fs/cgroup', target: '/sys/fs/cgroup', mode: 'rw' }])
          .withTmpFs({ '/run': 'rw' })
          .withPullPolicy({ shouldPull: () => false })
          .withWaitStrategy(Wait.forLogMessage(engineReadyLine))
          .withStartupTimeout(options.startupTimeoutMs ?? 120_000)
          .start(),
      ),
    );
    const startSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const nodes = containers.map((container) => ({
      name: container.getName().replace(/^\//, ''),
      id: container.getId(),
      ip: container.getIpAddress(networkName),
      container,
    }));
    return { runId, networkName, subnet, nodes, startSeconds, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Removes the containers (with their volumes), then the networks and volumes of one run. */
export async function removeRun(docker: Docker, runId: string): Promise<void> {
  const filters = JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] });
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((info) =>
      docker
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .catch(() => {}),
    ),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.all(
    networks.map((info) =>
      docker
        .getNetwork(info.Id)
        .remove()
        .catch(() => {}),
    ),
  );
  const volumes = await docker.listVolumes({ filters });
  await Promise.all(
    (volumes.Volumes ?? []).map((info) =>
      docker
        .getVolume(info.Name)
        .remove()
        .catch(() => {}),
    ),
  );
}

/** The result of a command run inside a node. */
export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command in a node; rejects (with its output) unless it exits 0. */
export async function nodeExec(node: ClusterNode, command: readonly string[]): Promise<ExecResult> {
  const result = await node.container.exec([...command]);
  if (result.exitCode !== 0) {
    throw new Error(
      `${node.name}: \`${command.join(' ')}\` exited with ${result.exitCode}: ${result.stderr || result.stdout}`,
    );
  }
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Copies a host image into the nodes' engines, like `kind load docker-image`: one `docker
 * save` on the host, fed to `docker load` inside each node.
 */
export async function loadImage(nodes: readonly ClusterNode[], image: string): Promise<void> {
  await requireImages([image]);
  const archive = await runCli(['save', image]);
  await Promise.all(
    nodes.map((node) => runCli(['exec', '-i', node.id, 'docker', 'load', '--quiet'], archive)),
  );
}

/** Runs the host's Docker CLI; resolves with stdout, rejects with stderr on a non-zero exit. */
export function runCli(args: readonly string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(dockerCli, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(stdout));
      else reject(new Error(`docker ${args.join(' ')} exited with ${code}: ${Buffer.concat(stderr)}`));
    });
    child.stdin.end(input);
  });
}
