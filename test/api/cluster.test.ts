/**
 * Several `navarch server` processes forming one cluster with --initial-cluster: each embeds a
 * member of one replicated store, so an object written through any server is read through every
 * other, a watch on one server sees writes made on another, and the cluster keeps serving writes
 * when one server is killed. Real processes on loopback.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CompactedError, EtcdKvStore } from '@navarch/apiserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTrackedDir, trackedTempDir } from '../helpers/registry.js';
import {
  freePort,
  type NavarchServer,
  repoRoot,
  type ServerCluster,
  startServer,
  startServerCluster,
  uniqueName,
} from './harness.js';

function configMap(name: string, value: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { value } };
}

describe('three navarch servers with --initial-cluster', () => {
  let cluster: ServerCluster | undefined;
  let servers: NavarchServer[] = [];

  beforeAll(async () => {
    cluster = await startServerCluster(3);
    servers = cluster.servers;
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves one state: written through one server, read and watched through the others', async () => {
    const [a, b, c] = servers as [NavarchServer, NavarchServer, NavarchServer];
    const name = uniqueName('shared');
    const watch = await c.client.watch('/api/v1/namespaces/default/configmaps?watch=true');
    const created = await a.client.post('/api/v1/namespaces/default/configmaps', configMap(name, 'one'));
    expect(created.status).toBe(201);
    const viaB = await b.client.get<{ data: { value: string } }>(
      `/api/v1/namespaces/default/configmaps/${name}`,
    );
    expect(viaB.status).toBe(200);
    expect(viaB.body.data.value).toBe('one');
    const [event] = await watch.next(1);
    expect(event?.type).toBe('ADDED');
    const object = event?.object as { metadata: { name: string } } | undefined;
    expect(object?.metadata.name).toBe(name);
    watch.close();
    // Optimistic concurrency spans the servers: an update with a stale resourceVersion is refused.
    const current = viaB.body as unknown as { metadata: { resourceVersion: string } };
    const updated = await c.client.put(`/api/v1/namespaces/default/configmaps/${name}`, {
      ...configMap(name, 'two'),
      metadata: { name, resourceVersion: current.metadata.resourceVersion },
    });
    expect(updated.status).toBe(200);
    const stale = await a.client.put(`/api/v1/namespaces/default/configmaps/${name}`, {
      ...configMap(name, 'three'),
      metadata: { name, resourceVersion: current.metadata.resourceVersion },
    });
    expect(stale.status).toBe(409);
  });

  it('keeps serving writes and reads when one server is killed', async () => {
    const [a, b, c] = servers as [NavarchServer, NavarchServer, NavarchServer];
    await a.stop();
    const name = uniqueName('after-kill');
    // A new store leader may be being elected: retry the write for a while, as a client would.
    let status = 0;
    for (let attempt = 0; attempt < 30 && status !== 201; attempt++) {
      status = (await b.client.post('/api/v1/namespaces/default/configmaps', configMap(name, 'x'))).status;
      if (status !== 201) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(201);
    const viaC = await c.client.get(`/api/v1/namespaces/default/configmaps/${name}`);
    expect(viaC.status).toBe(200);
  });
});

describe('navarch server --initial-cluster flags', () => {
  it('refuses a --name missing from --initial-cluster before it writes anything', () => {
    const parent = trackedTempDir('navarch-badflag-');
    const dataDir = join(parent, 'data');
    try {
      const result = spawnSync(
        process.execPath,
        [
          join(repoRoot, 'packages/navarch/dist/main.js'),
          'server',
          '--data-dir',
          dataDir,
          '--listen',
          '127.0.0.1:0',
          '--name',
          's9',
          '--initial-cluster',
          's1=http://127.0.0.1:2380',
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('--initial-cluster has no member named "s9"');
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      removeTrackedDir(parent);
    }
  });
});

describe('navarch server --compaction-interval-ms', () => {
  it("compacts the store's history to the revision seen one interval earlier", async () => {
    const client = await freePort();
    const peer = await freePort();
    const server = await startServer({
      datastoreEndpoints: [],
      backendArgs: [
        '--store-client-url',
        `http://127.0.0.1:${client}`,
        '--store-peer-url',
        `http://127.0.0.1:${peer}`,
      ],
      extraArgs: ['--compaction-interval-ms', '300'],
    });
    const kv = new EtcdKvStore([`http://127.0.0.1:${client}`]);
    try {
      const name = uniqueName('history');
      const created = await server.client.post<{ metadata: { resourceVersion: string } }>(
        '/api/v1/namespaces/default/configmaps',
        configMap(name, '0'),
      );
      expect(created.status).toBe(201);
      const firstRevision = Number(created.body.metadata.resourceVersion);
      const path = `/api/v1/namespaces/default/configmaps/${name}`;
      await server.client.patch(path, { data: { value: '1' } }, 'application/merge-patch+json');
      // The old revision stays readable until two ticks have passed, then the store refuses it.
      let refusal: unknown;
      for (let attempt = 0; attempt < 50 && refusal === undefined; attempt++) {
        await new Promise((r) => setTimeout(r, 200));
        await kv.range('/registry/', '/registry0', 1, firstRevision).catch((err: unknown) => {
          refusal = err;
        });
      }
      expect(refusal).toBeInstanceOf(CompactedError);
      // The server itself keeps working on the current state.
      const current = await server.client.get<{ data: { value: string } }>(path);
      expect(current.body.data.value).toBe('1');
    } finally {
      kv.close();
      await server.stop();
    }
  });
});
