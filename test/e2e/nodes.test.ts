/**
 * The node image end to end: three `navarch/node` containers on an internal network, each
 * with its own Docker engine; a workload image loaded into each; node 1 reaches the others'
 * published containers by IP; and no node has a route beyond the cluster network (read from
 * its routing table, never probed by sending packets outward).
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSYBOX_IMAGE,
  type ClusterNode,
  hostDocker,
  loadImage,
  NODE_IMAGE,
  type NodeCluster,
  nodeExec,
  requireImages,
  startNodeCluster,
  TEST_LABEL,
} from './node-cluster.js';

const webPort = 8080;

describe('navarch/node: a 3-node Docker-in-Docker cluster', () => {
  let cluster: NodeCluster | undefined;

  const nodes = (): readonly ClusterNode[] => {
    if (!cluster) throw new Error('the cluster did not start');
    return cluster.nodes;
  };
  const node = (index: number): ClusterNode => {
    const found = nodes()[index];
    if (!found) throw new Error(`no node ${index + 1}`);
    return found;
  };

  beforeAll(async () => {
    await requireImages([NODE_IMAGE, BUSYBOX_IMAGE]);
    cluster = await startNodeCluster({ nodes: 3 });
    // Reported, not asserted: timing depends on the machine's load.
    console.info(
      JSON.stringify({
        measure: 'e2e.nodes.start',
        nodes: 3,
        seconds: Number(cluster.startSeconds.toFixed(2)),
      }),
    );
    try {
      await loadImage(cluster.nodes, BUSYBOX_IMAGE);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts each node with its own engine on overlay2 and the cluster labels', async () => {
    const ids = new Set<string>();
    for (const each of nodes()) {
      const { stdout } = await nodeExec(each, ['docker', 'info', '--format', '{{.ID}} {{.Driver}}']);
      const [engineId, driver] = stdout.trim().split(' ');
      expect(driver).toBe('overlay2');
      ids.add(engineId ?? '');
      const labels = (await hostDocker().getContainer(each.id).inspect()).Config.Labels;
      expect(labels[TEST_LABEL]).toBe('true');
    }
    expect(ids.size).toBe(3);
  });

  it('runs a loaded image in every node without pulling, with no outside DNS', async () => {
    const outputs = await Promise.all(
      nodes().map(async (each) => {
        const { stdout } = await nodeExec(each, [
          'docker',
          'run',
          '--rm',
          '--pull=never',
          BUSYBOX_IMAGE,
          'sh',
          '-c',
          'echo "ran on $(hostname)"; grep ^nameserver /etc/resolv.conf',
        ]);
        return stdout;
      }),
    );
    for (const stdout of outputs) {
      // Inner containers' only resolver is the node's loopback, where nothing answers.
      expect(stdout).toMatch(/^ran on [0-9a-f]{12}\nnameserver 127\.0\.0\.1\n$/);
    }
  });

  it('fails a registry pull inside a node quickly, on the loopback proxy', async () => {
    // The pull goes to the node's closed loopback proxy port, never beyond the node.
    const result = await node(0).container.exec(['docker', 'pull', 'navarch/not-here:1']);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/proxyconnect tcp: dial tcp 127\.0\.0\.1:9: connect: connection refused/);
  });

  it('lets the nodes resolve each other by container name on the cluster network', async () => {
    for (const peer of [node(1), node(2)]) {
      const { stdout } = await nodeExec(node(0), ['getent', 'hosts', peer.name]);
      expect(stdout.split(/\s+/)[0]).toBe(peer.ip);
    }
  });

  it('lets node 1 reach containers published on nodes 2 and 3 by node IP', async () => {
    const servers = [node(1), node(2)];
    await Promise.all(
      servers.map(async (server) => {
        await nodeExec(server, [
          'docker',
          'run',
          '-d',
          '--name',
          'web',
          '-p',
          `${webPort}:80`,
          BUSYBOX_IMAGE,
          'sh',
          '-c',
          `mkdir -p /www && echo "hello from ${server.name}" > /www/index.html && exec httpd -f -p 80 -h /www`,
        ]);
        // Readiness, bounded: httpd listens a moment after `docker run -d` returns.
        await nodeExec(server, [
          'docker',
          'exec',
          'web',
          'sh',
          '-c',
          'for i in $(seq 100); do wget -q -O /dev/null http://127.0.0.1/ && exit 0; usleep 50000; done; exit 1',
        ]);
      }),
    );
    // One client container on node 1 fetches from both. `timeout`, not `wget -T`: Debian's
    // busybox-static 1.35 wget segfaults with -T.
    const fetches = servers.map((server) => `timeout 20 wget -q -O - http://${server.ip}:${webPort}/`);
    const { stdout } = await nodeExec(node(0), [
      'docker',
      'run',
      '--rm',
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      fetches.join(' && '),
    ]);
    expect(stdout.trim().split('\n')).toEqual(servers.map((server) => `hello from ${server.name}`));
  });

  it('nests the containers of a node under its cgroup, so pausing the node freezes them', async () => {
    const server = node(1);
    const inner = await nodeExec(server, ['docker', 'inspect', '--format', '{{.Id}} {{.State.Pid}}', 'web']);
    const [innerId, innerPid] = inner.stdout.trim().split(' ');
    const cgroups = (await nodeExec(server, ['cat', `/proc/${innerPid}/cgroup`])).stdout;
    // cgroup v1 (the build hosts): the freezer hierarchy's path of the inner container.
    const freezer = /^\d+:freezer:(\S+)$/m.exec(cgroups)?.[1];
    expect(freezer).toBe(`/docker/${server.id}/navarch/${innerId}`);
    const node2 = hostDocker().getContainer(server.id);
    await node2.pause();
    try {
      // `docker pause` returns once the node's cgroup is frozen; its children are with it.
      const state = await readFile(`/sys/fs/cgroup/freezer${freezer}/freezer.state`, 'utf8');
      expect(state.trim()).toBe('FROZEN');
    } finally {
      await node2.unpause();
    }
    const after = await readFile(`/sys/fs/cgroup/freezer${freezer}/freezer.state`, 'utf8');
    expect(after.trim()).toBe('THAWED');
  });

  it('gives the nodes no route beyond the internal cluster network', async () => {
    const current = cluster;
    if (!current) throw new Error('the cluster did not start');
    const network = await hostDocker().getNetwork(current.networkName).inspect();
    expect(network.Internal).toBe(true);
    for (const each of nodes()) {
      const inspect = await hostDocker().getContainer(each.id).inspect();
      expect(Object.keys(inspect.NetworkSettings.Networks)).toEqual([current.networkName]);
      expect(inspect.HostConfig.Dns).toEqual(['127.0.0.1']);

      const v4 = (await nodeExec(each, ['ip', '-4', 'route', 'show'])).stdout.trim().split('\n');
      const v6 = (await nodeExec(each, ['ip', '-6', 'route', 'show'])).stdout.trim().split('\n');
      const routes = [...v4, ...v6].filter((line) => line.length > 0);
      // No default route and no route through a gateway: only directly attached links.
      expect(routes.filter((line) => line.startsWith('default'))).toEqual([]);
      expect(routes.filter((line) => / via /.test(line))).toEqual([]);
      // The cluster subnet is on eth0, the node's only interface to the outside.
      expect(v4).toContainEqual(
        expect.stringMatching(new RegExp(`^${escapeRegExp(current.subnet)} dev eth0 `)),
      );
      for (const line of v4) {
        const device = / dev (\S+)/.exec(line)?.[1];
        expect(['eth0', 'docker0'].includes(device ?? '') || device?.startsWith('br-')).toBe(true);
        if (device === 'eth0') expect(line.startsWith(`${current.subnet} `)).toBe(true);
      }
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
