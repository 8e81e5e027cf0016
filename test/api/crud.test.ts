/**
 * CRUD, conflicts, validation, patch formats, subresources, paging, selectors, tables, auth
 * and discovery against a real `navarch server` on each backend.
 */
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
type List = { items: Obj[]; metadata: { resourceVersion: string; continue?: string } };

function pod(name: string, labels: Record<string, string> = {}, image = 'busybox'): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'main', image }] },
  };
}

function deployment(name: string, replicas = 1): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1',
              ports: [{ containerPort: 80 }],
              env: [{ name: 'A', value: '1' }],
            },
            { name: 'side', image: 'busybox:1' },
          ],
        },
      },
    },
  };
}

describe.each(backends)('API CRUD on $name', (backend) => {
  let store: Awaited<ReturnType<typeof backend.start>>;
  let server: NavarchServer;
  let api: ApiClient;

  beforeAll(async () => {
    store = await backend.start();
    server = await startServer(serverOptions(store));
    api = server.client;
  });

  afterAll(async () => {
    await server?.stop();
    await store?.stop();
  });

  it('creates, reads, updates and deletes a configmap with Kubernetes metadata', async () => {
    const name = uniqueName('cm');
    const created = await api.post<Obj>('/api/v1/namespaces/default/configmaps', {
      metadata: { name },
      data: { a: '1' },
    });
    expect(created.status).toBe(201);
    expect(created.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.metadata.creationTimestamp).toMatch(/Z$/);
    expect(Number(created.body.metadata.resourceVersion)).toBeGreaterThan(0);
    const got = await api.get<Obj>(`/api/v1/namespaces/default/configmaps/${name}`);
    expect(got.body).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', data: { a: '1' } });
    expect(got.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    const updated = await api.put<Obj>(`/api/v1/namespaces/default/configmaps/${name}`, {
      ...got.body,
      data: { a: '2' },
    });
    expect(updated.status).toBe(200);
    expect(Number(updated.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(got.body.metadata.resourceVersion),
    );
    const removed = await api.delete(`/api/v1/namespaces/default/configmaps/${name}`);
    expect(removed.status).toBe(200);
    const gone = await api.get(`/api/v1/namespaces/default/configmaps/${name}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
  });

  it('rejects a stale resourceVersion with 409 Conflict and a duplicate create with AlreadyExists', async () => {
    const name = uniqueName('cm');
    const created = await api.post<Obj>('/api/v1/namespaces/default/configmaps', {
      metadata: { name },
      data: {},
    });
    const first = await api.put<Obj>(`/api/v1/namespaces/default/configmaps/${name}`, {
      ...created.body,
      data: { x: '1' },
    });
    expect(first.status).toBe(200);
    const stale = await api.put(`/api/v1/namespaces/default/configmaps/${name}`, {
      ...created.body,
      data: { x: '2' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ reason: 'Conflict', code: 409 });
    const dup = await api.post('/api/v1/namespaces/default/configmaps', { metadata: { name } });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ reason: 'AlreadyExists' });
  });

  it('generates names from generateName', async () => {
    const res = await api.post<Obj>('/api/v1/namespaces/default/pods', {
      ...pod(''),
      metadata: { generateName: 'gen-' },
    });
    expect(res.status).toBe(201);
    expect(String(res.body.metadata.name)).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('returns 404 for a missing namespace and 422 with causes for an invalid object', async () => {
    const missing = await api.post('/api/v1/namespaces/nope-ns/pods', pod('p'));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      reason: 'NotFound',
      details: { name: 'nope-ns', kind: 'namespaces' },
    });
    const bad = await api.post<{ reason: string; details: { causes: { field: string }[] } }>(
      '/api/v1/namespaces/default/pods',
      {
        metadata: { name: 'Bad_Name' },
        spec: { containers: [{ name: 'c' }] },
      },
    );
    expect(bad.status).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    const fields = bad.body.details.causes.map((c) => c.field);
    expect(fields).toContain('metadata.name');
    expect(fields).toContain('spec.containers[0].image');
  });

  it('bumps generation on spec changes only, and keeps status out of main-resource updates', async () => {
    const name = uniqueName('dep');
    const created = await api.post<Obj>('/apis/apps/v1/namespaces/default/deployments', deployment(name));
    expect(created.body.metadata.generation).toBe(1);
    const labelled = await api.patch<Obj>(
      `/apis/apps/v1/namespaces/default/deployments/${name}`,
      { metadata: { labels: { x: 'y' } } },
      'application/merge-patch+json',
    );
    expect(labelled.body.metadata.generation).toBe(1);
    const scaled = await api.patch<Obj>(
      `/apis/apps/v1/namespaces/default/deployments/${name}`,
      { spec: { replicas: 4 }, status: { replicas: 99 } },
      'application/merge-patch+json',
    );
    expect(scaled.body.metadata.generation).toBe(2);
    expect(scaled.body.status?.replicas).toBeUndefined();
    const status = await api.put<Obj>(`/apis/apps/v1/namespaces/default/deployments/${name}/status`, {
      ...scaled.body,
      status: { replicas: 3, readyReplicas: 2 },
      spec: { replicas: 100 },
    });
    expect(status.status).toBe(200);
    expect(status.body.status).toEqual({ replicas: 3, readyReplicas: 2 });
    expect(status.body.spec?.replicas).toBe(4);
    expect(status.body.metadata.generation).toBe(2);
  });

  it('merges containers by name, ports by containerPort and env by name in a strategic merge patch', async () => {
    const name = uniqueName('smp');
    await api.post('/apis/apps/v1/namespaces/default/deployments', deployment(name));
    const res = await api.patch<Obj>(
      `/apis/apps/v1/namespaces/default/deployments/${name}`,
      {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'web',
                  image: 'nginx:2',
                  ports: [{ containerPort: 443 }],
                  env: [{ name: 'B', value: '2' }],
                },
              ],
            },
          },
        },
      },
      'application/strategic-merge-patch+json',
    );
    expect(res.status).toBe(200);
    const containers = (res.body.spec as { template: { spec: { containers: Record<string, unknown>[] } } })
      .template.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(['web', 'side']);
    expect(containers[0]).toMatchObject({ image: 'nginx:2' });
    expect((containers[0]!.ports as { containerPort: number }[]).map((p) => p.containerPort)).toEqual([
      80, 443,
    ]);
    expect((containers[0]!.env as { name: string }[]).map((e) => e.name)).toEqual(['A', 'B']);
    const deleted = await api.patch<Obj>(
      `/apis/apps/v1/namespaces/default/deployments/${name}`,
      { spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } } },
      'application/strategic-merge-patch+json',
    );
    const after = (deleted.body.spec as { template: { spec: { containers: { name: string }[] } } }).template
      .spec.containers;
    expect(after.map((c) => c.name)).toEqual(['web']);
  });

  it('applies JSON patches and reports a failed test op as 422', async () => {
    const name = uniqueName('jp');
    await api.post('/api/v1/namespaces/default/configmaps', { metadata: { name }, data: { a: '1' } });
    const ok = await api.patch<Obj>(
      `/api/v1/namespaces/default/configmaps/${name}`,
      [
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'add', path: '/data/b', value: '2' },
        { op: 'remove', path: '/data/a' },
      ],
      'application/json-patch+json',
    );
    expect(ok.body.data).toEqual({ b: '2' });
    const failed = await api.patch(
      `/api/v1/namespaces/default/configmaps/${name}`,
      [{ op: 'test', path: '/data/b', value: 'x' }],
      'application/json-patch+json',
    );
    expect(failed.status).toBe(422);
  });

  it('serves the scale subresource as autoscaling/v1 Scale', async () => {
    const name = uniqueName('sc');
    await api.post('/apis/apps/v1/namespaces/default/deployments', deployment(name, 2));
    const scale = await api.get<Obj>(`/apis/apps/v1/namespaces/default/deployments/${name}/scale`);
    expect(scale.body).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { selector: `app=${name}` },
    });
    const put = await api.put<Obj>(`/apis/apps/v1/namespaces/default/deployments/${name}/scale`, {
      ...scale.body,
      spec: { replicas: 5 },
    });
    expect(put.body.spec).toEqual({ replicas: 5 });
    const patched = await api.patch<Obj>(
      `/apis/apps/v1/namespaces/default/deployments/${name}/scale`,
      { spec: { replicas: 0 } },
      'application/merge-patch+json',
    );
    expect(patched.body.spec).toEqual({ replicas: 0 });
    const dep = await api.get<Obj>(`/apis/apps/v1/namespaces/default/deployments/${name}`);
    expect(dep.body.spec?.replicas).toBe(0);
  });

  it('pages lists with limit/continue and filters by label and field selectors', async () => {
    const ns = uniqueName('page');
    await api.post('/api/v1/namespaces', { metadata: { name: ns } });
    for (let i = 0; i < 7; i++) {
      const res = await api.post(
        `/api/v1/namespaces/${ns}/pods`,
        pod(`p${i}`, { tier: i % 2 === 0 ? 'even' : 'odd', idx: String(i) }),
      );
      expect(res.status).toBe(201);
    }
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const res = await api.get<List>(
        `/api/v1/namespaces/${ns}/pods?limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      names.push(...res.body.items.map((p) => String(p.metadata.name)));
      cont = res.body.metadata.continue;
      pages++;
    } while (cont);
    expect(pages).toBe(3);
    expect(names).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    const even = await api.get<List>(
      `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent('tier=even,idx notin (4)')}`,
    );
    expect(even.body.items.map((p) => p.metadata.name)).toEqual(['p0', 'p2', 'p6']);
    const evenPaged = await api.get<List>(`/api/v1/namespaces/${ns}/pods?labelSelector=tier%3Deven&limit=2`);
    expect(evenPaged.body.items.map((p) => p.metadata.name)).toEqual(['p0', 'p2']);
    expect(evenPaged.body.metadata.continue).toBeTruthy();
    const byName = await api.get<List>(
      `/api/v1/pods?fieldSelector=${encodeURIComponent(`metadata.name=p3,metadata.namespace=${ns}`)}`,
    );
    expect(byName.body.items.map((p) => p.metadata.name)).toEqual(['p3']);
    const notPending = await api.get<List>(
      `/api/v1/namespaces/${ns}/pods?fieldSelector=status.phase!%3DPending`,
    );
    expect(notPending.body.items).toEqual([]);
    const badSelector = await api.get(
      `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent('a in (b')}`,
    );
    expect(badSelector.status).toBe(400);
    const collection = await api.delete(`/api/v1/namespaces/${ns}/pods?labelSelector=tier%3Dodd`);
    expect(collection.status).toBe(200);
    const left = await api.get<List>(`/api/v1/namespaces/${ns}/pods`);
    expect(left.body.items.map((p) => p.metadata.name)).toEqual(['p0', 'p2', 'p4', 'p6']);
  });

  it('lists objects whose total size is beyond gRPC default message size', async () => {
    const ns = uniqueName('big');
    await api.post('/api/v1/namespaces', { metadata: { name: ns } });
    const value = 'v'.repeat(1024 * 1024);
    for (let i = 0; i < 6; i++) {
      const res = await api.post(`/api/v1/namespaces/${ns}/configmaps`, {
        metadata: { name: `big-${i}` },
        data: { value },
      });
      expect(res.status).toBe(201);
    }
    const list = await api.get<List>(`/api/v1/namespaces/${ns}/configmaps`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((c) => c.metadata.name)).toEqual([
      'big-0',
      'big-1',
      'big-2',
      'big-3',
      'big-4',
      'big-5',
    ]);
  });

  it('answers Table requests with kubectl columns', async () => {
    const res = await api.get<{
      kind: string;
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: unknown[] }[];
    }>('/api/v1/namespaces/default/services', {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    expect(res.body.kind).toBe('Table');
    expect(res.body.columnDefinitions.map((c) => c.name)).toEqual([
      'Name',
      'Type',
      'Cluster-IP',
      'External-IP',
      'Port(s)',
      'Age',
      'Selector',
    ]);
    const kubernetes = res.body.rows.find((r) => r.cells[0] === 'kubernetes');
    expect(kubernetes?.cells.slice(0, 5)).toEqual([
      'kubernetes',
      'ClusterIP',
      '10.96.0.1',
      '<none>',
      '443/TCP',
    ]);
  });

  it('serves discovery, version, health and OpenAPI', async () => {
    const core = await api.get<{ resources: { name: string; shortNames?: string[]; verbs: string[] }[] }>(
      '/api/v1',
    );
    const pods = core.body.resources.find((r) => r.name === 'pods');
    expect(pods?.shortNames).toEqual(['po']);
    expect(pods?.verbs).toContain('watch');
    expect(core.body.resources.map((r) => r.name)).toContain('pods/status');
    const groups = await api.get<{ groups: { name: string }[] }>('/apis');
    expect(groups.body.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['apps', 'batch', 'networking.k8s.io', 'autoscaling']),
    );
    const apps = await api.get<{ resources: { name: string; kind: string; group?: string }[] }>(
      '/apis/apps/v1',
    );
    expect(apps.body.resources.find((r) => r.name === 'deployments/scale')).toMatchObject({
      kind: 'Scale',
      group: 'autoscaling',
    });
    const version = await api.get('/version');
    expect(version.body).toMatchObject({ major: '1', minor: '32' });
    const ready = await api.get('/readyz');
    expect(ready.body).toBe('ok');
    const index = await api.get<{ paths: Record<string, { serverRelativeURL: string }> }>('/openapi/v3');
    const appsDoc = await api.get<{ paths: Record<string, { patch?: { parameters?: { name: string }[] } }> }>(
      index.body.paths['apis/apps/v1']!.serverRelativeURL,
    );
    const patchOp = appsDoc.body.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.patch;
    expect(patchOp?.parameters?.map((p) => p.name)).toContain('fieldValidation');
    const unknown = await api.get('/apis/nope.example.com/v1/things');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ kind: 'Status', code: 404 });
  });

  it('requires a bearer token, limits bodies to 3 MiB and reports metrics', async () => {
    const anonymous = api.withToken(undefined, server.ca);
    const res = await anonymous.get('/api/v1/namespaces');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const wrong = await api.withToken('not-the-token', server.ca).get('/api/v1/namespaces');
    expect(wrong.status).toBe(401);
    const big = await api.post('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'big' },
      data: { a: 'x'.repeat(3 * 1024 * 1024 + 10) },
    });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ kind: 'Status', code: 413 });
    const garbage = await api.call('POST', '/api/v1/namespaces/default/configmaps', '{not json');
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    const metrics = await api.get<string>('/metrics');
    expect(metrics.body).toContain(
      'apiserver_request_total{verb="POST",group="",version="v1",resource="configmaps",subresource="",code="201"}',
    );
    expect(metrics.body).toContain('apiserver_request_duration_seconds_bucket');
    expect(metrics.body).toContain('apiserver_current_inflight_requests');
  });
});
