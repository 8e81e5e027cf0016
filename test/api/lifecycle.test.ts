/**
 * Watch (events, resume, 410 Gone after compaction, bookmarks, selectors, timeouts), graceful
 * pod deletion, namespace deletion, and Service ClusterIP/NodePort allocation under
 * concurrency and across a restart, against a real `navarch server` on each backend.
 */
import { rmSync } from 'node:fs';
import { EtcdKvStore } from '@navarch/apiserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiClient,
  backends,
  type NavarchServer,
  serverOptions,
  startServer,
  uniqueName,
} from './harness.js';

type Obj = Record<string, unknown> & {
  metadata: Record<string, unknown>;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

const watchCacheSize = 20;

function pod(name: string, nodeName?: string, labels: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'main', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) },
  };
}

function service(name: string, type = 'ClusterIP', extra: Record<string, unknown> = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { type, selector: { app: name }, ports: [{ port: 80 }], ...extra },
  };
}

describe.each(backends)('API lifecycle on $name', (backend) => {
  let store: Awaited<ReturnType<typeof backend.start>>;
  let server: NavarchServer;
  let api: ApiClient;
  let ns: string;
  const args = ['--watch-cache-size', String(watchCacheSize), '--bookmark-interval-ms', '300'];

  beforeAll(async () => {
    store = await backend.start();
    server = await startServer({ ...serverOptions(store), extraArgs: args });
    api = server.client;
    ns = uniqueName('life');
    expect((await api.post('/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
  });

  const cleanup: (() => void)[] = [];

  afterAll(async () => {
    await server?.stop();
    await store?.stop();
    for (const c of cleanup) c();
  });

  it('streams ADDED, MODIFIED and DELETED in revision order from a list resourceVersion', async () => {
    const list = await api.get<{ metadata: { resourceVersion: string } }>(
      `/api/v1/namespaces/${ns}/configmaps`,
    );
    const watch = await api.watch(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`,
    );
    try {
      expect(watch.status).toBe(200);
      await api.post(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'w1' }, data: { a: '1' } });
      await api.patch(
        `/api/v1/namespaces/${ns}/configmaps/w1`,
        { data: { a: '2' } },
        'application/merge-patch+json',
      );
      await api.delete(`/api/v1/namespaces/${ns}/configmaps/w1`);
      const events = await watch.next(3);
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      expect(events[1]!.object).toMatchObject({ kind: 'ConfigMap', data: { a: '2' } });
      const rvs = events.map((e) => Number(e.object.metadata?.resourceVersion));
      expect(rvs[0]).toBeLessThan(rvs[1]!);
      expect(rvs[1]).toBeLessThan(rvs[2]!);
    } finally {
      watch.close();
    }
  });

  it('sends each event to every watcher, and as Table rows to a kubectl-style watch', async () => {
    // A namespace of its own: the other watch tests count the configmaps in theirs.
    const ns = uniqueName('fan');
    expect((await api.post('/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
    const list = await api.get<{ metadata: { resourceVersion: string } }>(
      `/api/v1/namespaces/${ns}/configmaps`,
    );
    const path = `/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`;
    const plain = [await api.watch(path), await api.watch(path), await api.watch(path)];
    const table = await api.watch(path, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    try {
      await api.post(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'fan1' }, data: { a: '1' } });
      await api.patch(
        `/api/v1/namespaces/${ns}/configmaps/fan1`,
        { data: { a: '2' } },
        'application/merge-patch+json',
      );
      const received = await Promise.all(plain.map((w) => w.next(2)));
      expect(received[0]!.map((e) => [e.type, e.object.metadata?.name])).toEqual([
        ['ADDED', 'fan1'],
        ['MODIFIED', 'fan1'],
      ]);
      expect(received[0]![1]!.object).toMatchObject({
        kind: 'ConfigMap',
        apiVersion: 'v1',
        data: { a: '2' },
      });
      expect(received[1]).toEqual(received[0]);
      expect(received[2]).toEqual(received[0]);
      const rows = (await table.next(2)) as unknown as {
        type: string;
        object: { kind: string; columnDefinitions: unknown[]; rows: { cells: unknown[] }[] };
      }[];
      expect(rows.map((e) => [e.type, e.object.kind, e.object.rows[0]?.cells[0]])).toEqual([
        ['ADDED', 'Table', 'fan1'],
        ['MODIFIED', 'Table', 'fan1'],
      ]);
      expect(rows[0]!.object.columnDefinitions.length).toBeGreaterThan(0);
      expect(rows[1]!.object.columnDefinitions).toEqual([]);
    } finally {
      for (const w of [...plain, table]) w.close();
    }
  });

  it('starts a watch without resourceVersion with the current objects, and resumes from a resourceVersion', async () => {
    await api.post(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'r1' } });
    const first = await api.watch(`/api/v1/namespaces/${ns}/configmaps?watch=1`);
    let resumeFrom: string;
    try {
      const [initial] = await first.next(1);
      expect(initial).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'r1' } } });
      resumeFrom = String(initial!.object.metadata?.resourceVersion);
    } finally {
      first.close();
    }
    await api.post(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'r2' } });
    await api.post(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'r3' } });
    const resumed = await api.watch(
      `/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${resumeFrom}`,
    );
    try {
      const events = await resumed.next(2);
      expect(events.map((e) => [e.type, e.object.metadata?.name])).toEqual([
        ['ADDED', 'r2'],
        ['ADDED', 'r3'],
      ]);
    } finally {
      resumed.close();
    }
  });

  it('answers a resume from a compacted revision with a 410 Gone ERROR event', async () => {
    const start = await api.post<Obj>(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'old' } });
    const oldRv = Number(start.body.metadata.resourceVersion);
    // Push the revision out of the watch cache's history, then compact the store past it.
    for (let i = 0; i < watchCacheSize + 5; i++) {
      await api.patch(
        `/api/v1/namespaces/${ns}/configmaps/old`,
        { data: { i: String(i) } },
        'application/merge-patch+json',
      );
    }
    const kv = new EtcdKvStore(store.endpoints);
    try {
      await kv.compact(await kv.currentRevision());
    } finally {
      kv.close();
    }
    const watch = await api.watch(`/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${oldRv}`);
    try {
      const [event] = await watch.next(1);
      expect(event).toMatchObject({
        type: 'ERROR',
        object: { kind: 'Status', code: 410, reason: 'Expired' },
      });
      await watch.end();
    } finally {
      watch.close();
    }
  });

  it('sends bookmarks when asked and ends the watch after timeoutSeconds', async () => {
    const watch = await api.watch(
      `/api/v1/namespaces/${ns}/secrets?watch=1&allowWatchBookmarks=true&timeoutSeconds=2&resourceVersion=1`,
    );
    try {
      await watch.end();
      const bookmark = watch.events.find((e) => e.type === 'BOOKMARK');
      expect(bookmark?.object).toMatchObject({ kind: 'Secret', apiVersion: 'v1' });
      expect(Number(bookmark?.object.metadata?.resourceVersion)).toBeGreaterThan(0);
    } finally {
      watch.close();
    }
  });

  it('filters watches by label selector and turns a relabel out of the selector into DELETED', async () => {
    const watch = await api.watch(`/api/v1/namespaces/${ns}/pods?watch=1&labelSelector=team%3Dblue`);
    try {
      await api.post(`/api/v1/namespaces/${ns}/pods`, pod('red', undefined, { team: 'red' }));
      await api.post(`/api/v1/namespaces/${ns}/pods`, pod('blue', undefined, { team: 'blue' }));
      await api.patch(
        `/api/v1/namespaces/${ns}/pods/blue`,
        { metadata: { labels: { team: 'green' } } },
        'application/merge-patch+json',
      );
      await api.patch(
        `/api/v1/namespaces/${ns}/pods/red`,
        { metadata: { labels: { team: 'blue' } } },
        'application/merge-patch+json',
      );
      const events = await watch.next(3);
      expect(events.map((e) => [e.type, e.object.metadata?.name])).toEqual([
        ['ADDED', 'blue'],
        ['DELETED', 'blue'],
        ['ADDED', 'red'],
      ]);
    } finally {
      watch.close();
    }
  });

  it('removes an unscheduled pod at once and keeps a scheduled one until its node confirms', async () => {
    await api.post(`/api/v1/namespaces/${ns}/pods`, pod('loose'));
    const loose = await api.delete(`/api/v1/namespaces/${ns}/pods/loose`);
    expect(loose.status).toBe(200);
    expect((await api.get(`/api/v1/namespaces/${ns}/pods/loose`)).status).toBe(404);

    await api.post(`/api/v1/namespaces/${ns}/pods`, pod('bound', 'node-1'));
    const marked = await api.delete<Obj>(`/api/v1/namespaces/${ns}/pods/bound`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      gracePeriodSeconds: 20,
    });
    expect(marked.status).toBe(200);
    expect(marked.body.metadata.deletionTimestamp).toBeTruthy();
    expect(marked.body.metadata.deletionGracePeriodSeconds).toBe(20);
    const still = await api.get<Obj>(`/api/v1/namespaces/${ns}/pods/bound`);
    expect(still.status).toBe(200);
    const watch = await api.watch(
      `/api/v1/namespaces/${ns}/pods?watch=1&fieldSelector=metadata.name%3Dbound&resourceVersion=${still.body.metadata.resourceVersion}`,
    );
    try {
      const status = await api.put(`/api/v1/namespaces/${ns}/pods/bound/status`, {
        ...still.body,
        status: {
          phase: 'Running',
          containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 0 } } }],
        },
      });
      expect(status.status).toBe(200);
      const [event] = await watch.next(1);
      expect(event?.type).toBe('DELETED');
    } finally {
      watch.close();
    }
    expect((await api.get(`/api/v1/namespaces/${ns}/pods/bound`)).status).toBe(404);

    await api.post(`/api/v1/namespaces/${ns}/pods`, pod('forced', 'node-1'));
    await api.delete(`/api/v1/namespaces/${ns}/pods/forced`);
    expect((await api.get(`/api/v1/namespaces/${ns}/pods/forced`)).status).toBe(200);
    const forced = await api.delete(`/api/v1/namespaces/${ns}/pods/forced?gracePeriodSeconds=0`);
    expect(forced.status).toBe(200);
    expect((await api.get(`/api/v1/namespaces/${ns}/pods/forced`)).status).toBe(404);
  });

  it('marks a deleted namespace Terminating, refuses new content, then removes it and its contents', async () => {
    const doomed = uniqueName('doomed');
    await api.post('/api/v1/namespaces', { metadata: { name: doomed } });
    await api.post(`/api/v1/namespaces/${doomed}/configmaps`, { metadata: { name: 'c' } });
    await api.post(`/api/v1/namespaces/${doomed}/pods`, pod('p', 'node-1'));
    const before = await api.get<Obj>(`/api/v1/namespaces/${doomed}`);
    const watch = await api.watch(
      `/api/v1/namespaces?watch=1&fieldSelector=metadata.name%3D${doomed}&resourceVersion=${before.body.metadata.resourceVersion}`,
    );
    try {
      const res = await api.delete<Obj>(`/api/v1/namespaces/${doomed}`);
      expect(res.body.status).toMatchObject({ phase: 'Terminating' });
      const refused = await api.post(`/api/v1/namespaces/${doomed}/configmaps`, {
        metadata: { name: 'late' },
      });
      expect(refused.status).toBe(403);
      const events = await watch.next(2, 30_000);
      expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    } finally {
      watch.close();
    }
    expect((await api.get(`/api/v1/namespaces/${doomed}`)).status).toBe(404);
    const pods = await api.get<{ items: unknown[] }>(`/api/v1/namespaces/${doomed}/pods`);
    expect(pods.body.items).toEqual([]);
  });

  it('allocates distinct ClusterIPs and NodePorts under 50 concurrent creates and keeps them across a restart', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `svc-${i}`);
    const results = await Promise.all(
      names.map((n) => api.post<Obj>(`/api/v1/namespaces/${ns}/services`, service(n, 'NodePort'))),
    );
    expect(results.map((r) => r.status)).toEqual(names.map(() => 201));
    const ips = results.map((r) => String(r.body.spec?.clusterIP));
    const ports = results.map((r) =>
      Number((r.body.spec?.ports as { nodePort: number }[] | undefined)?.[0]?.nodePort),
    );
    expect(new Set(ips).size).toBe(50);
    expect(new Set(ports).size).toBe(50);
    for (const ip of ips) expect(ip).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    for (const port of ports) expect(port >= 30000 && port <= 32767).toBe(true);
    expect(ips).not.toContain('10.96.0.1');

    const taken = await api.post(
      `/api/v1/namespaces/${ns}/services`,
      service('dup-ip', 'ClusterIP', { clusterIP: ips[0] }),
    );
    expect(taken.status).toBe(422);
    const takenPort = await api.post(
      `/api/v1/namespaces/${ns}/services`,
      service('dup-port', 'NodePort', { ports: [{ port: 80, nodePort: ports[0] }] }),
    );
    expect(takenPort.status).toBe(422);

    expect((await api.delete(`/api/v1/namespaces/${ns}/services/svc-0`)).status).toBe(200);
    const reuse = await api.post<Obj>(
      `/api/v1/namespaces/${ns}/services`,
      service('reuse', 'NodePort', { clusterIP: ips[0], ports: [{ port: 80, nodePort: ports[0] }] }),
    );
    expect(reuse.status).toBe(201);
    expect(reuse.body.spec?.clusterIP).toBe(ips[0]);

    // Restart on the same data dir (and, for the embedded store, the same store data).
    await server.stop(true);
    const dataDir = server.dataDir;
    server = await startServer({ ...serverOptions(store), dataDir, extraArgs: args });
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    api = server.client;
    const again = await api.post(
      `/api/v1/namespaces/${ns}/services`,
      service('after-restart', 'ClusterIP', { clusterIP: ips[1] }),
    );
    expect(again.status).toBe(422);
    const kubernetes = await api.get<{ items: Obj[] }>(
      '/api/v1/namespaces/default/services?fieldSelector=metadata.name%3Dkubernetes',
    );
    expect(kubernetes.body.items.map((s) => s.spec?.clusterIP)).toEqual(['10.96.0.1']);
  });
});
