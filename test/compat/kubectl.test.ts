/**
 * Stock kubectl 1.32 against a real `navarch server` (on a 3-member etcd), using the admin
 * kubeconfig the server writes. Every manifest in /work/shared/manifests must apply unchanged
 * with kubectl and with the API directly.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { backends, type NavarchServer, repoRoot, serverOptions, startServer } from '../api/harness.js';
import { removeTrackedDir, trackedTempDir, trackProcess } from '../helpers/registry.js';

const manifestsDir = resolve(repoRoot, '../shared/manifests');
const kubectlPath = '/usr/bin/kubectl';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
};

/** Plural paths for the kinds the manifests use. */
const plurals: Record<string, string> = {
  Pod: 'pods',
  Service: 'services',
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Deployment: 'deployments',
  Ingress: 'ingresses',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
};

describe('kubectl 1.32 compatibility', () => {
  const backend = backends[0]!;
  let store: Awaited<ReturnType<typeof backend.start>>;
  let server: NavarchServer;
  let workDir: string;
  const children: ChildProcess[] = [];

  function kubectl(args: string[], input?: string): Promise<Result> {
    return new Promise((done) => {
      const child = execFile(
        kubectlPath,
        args,
        { env: { ...process.env, KUBECONFIG: server.kubeconfig, HOME: workDir }, timeout: 30_000 },
        (err, stdout, stderr) => {
          const code = err
            ? typeof (err as { code?: unknown }).code === 'number'
              ? Number((err as { code: number }).code)
              : 1
            : 0;
          done({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  async function ok(args: string[], input?: string): Promise<string> {
    const res = await kubectl(args, input);
    if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${res.code}): ${res.stderr}`);
    return res.stdout;
  }

  function writeManifest(name: string, text: string): string {
    const path = join(workDir, name);
    writeFileSync(path, text);
    return path;
  }

  beforeAll(async () => {
    workDir = trackedTempDir('navarch-kubectl-');
    store = await backend.start();
    server = await startServer(serverOptions(store));
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await server?.stop();
    await store?.stop();
    if (workDir) removeTrackedDir(workDir);
  });

  it('reports versions, API resources, explain and auth can-i', async () => {
    const version = JSON.parse(await ok(['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string; major: string };
    };
    expect(version.serverVersion).toMatchObject({ major: '1', gitVersion: 'v1.32.0-navarch' });
    const resources = await ok(['api-resources']);
    expect(resources).toMatch(/deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
    expect(resources).toMatch(/pods\s+po\s+v1\s+true\s+Pod/);
    expect(resources).toMatch(/namespaces\s+ns\s+v1\s+false\s+Namespace/);
    expect(await ok(['auth', 'can-i', 'create', 'deployments'])).toBe('yes\n');
    const explain = await ok(['explain', 'deployment.spec']);
    expect(explain).toContain('KIND:       Deployment');
    expect(explain).toContain('GROUP:      apps');
  });

  it('applies every shared manifest unchanged, as a directory and file by file', async () => {
    expect(await ok(['create', 'namespace', 'tutorial'])).toContain('namespace/tutorial created');
    const out = await ok(['apply', '-n', 'tutorial', '-f', manifestsDir]);
    expect(out).toContain('deployment.apps/my-app');
    expect(out).toContain('horizontalpodautoscaler.autoscaling/my-api-hpa');
    const files = readdirSync(manifestsDir)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const res = await kubectl(['apply', '-n', 'tutorial', '-f', join(manifestsDir, f)]);
      expect(res.stderr, f).toBe('');
      expect(res.code, f).toBe(0);
    }
    const names = await ok(['get', 'deploy,svc,cm,secret,pvc,ing,hpa,po', '-n', 'tutorial', '-o', 'name']);
    expect(names).toContain('deployment.apps/my-api');
    expect(names).toContain('ingress.networking.k8s.io/my-ingress');
    expect(names).toContain('persistentvolumeclaim/db-storage');
  });

  it('creates every shared manifest through the API directly', async () => {
    const api = server.client;
    expect((await api.post('/api/v1/namespaces', { metadata: { name: 'direct' } })).status).toBe(201);
    for (const f of readdirSync(manifestsDir)
      .filter((x) => x.endsWith('.yaml'))
      .sort()) {
      for (const doc of parseAllDocuments(readFileSync(join(manifestsDir, f), 'utf8'))) {
        const obj = doc.toJS() as Obj | null;
        if (!obj) continue;
        const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
        const collection = `${base}/namespaces/direct/${plurals[obj.kind]}`;
        const created = await api.post(collection, obj);
        if (created.status === 409) {
          const current = await api.get<Obj>(`${collection}/${obj.metadata.name}`);
          const replaced = await api.put(`${collection}/${obj.metadata.name}`, {
            ...obj,
            metadata: { ...obj.metadata, resourceVersion: current.body.metadata.resourceVersion },
          });
          expect(replaced.status, `${f} ${obj.kind}/${obj.metadata.name}`).toBe(200);
        } else {
          expect(
            created.status,
            `${f} ${obj.kind}/${obj.metadata.name}: ${JSON.stringify(created.body)}`,
          ).toBe(201);
        }
      }
    }
  });

  it('creates with kubectl create generators, which send protobuf bodies', async () => {
    expect(await ok(['create', 'configmap', 'gen-cm', '--from-literal=a=b', '--from-literal=c=d'])).toContain(
      'configmap/gen-cm created',
    );
    expect(await ok(['create', 'secret', 'generic', 'gen-secret', '--from-literal=user=admin'])).toContain(
      'secret/gen-secret created',
    );
    expect(
      await ok(['create', 'deployment', 'gen-deploy', '--image=nginx:1', '--replicas=2', '--port=80']),
    ).toContain('deployment.apps/gen-deploy created');
    expect(await ok(['get', 'configmap', 'gen-cm', '-o', 'jsonpath={.data.a}{.data.c}'])).toBe('bd');
    expect(await ok(['get', 'secret', 'gen-secret', '-o', 'jsonpath={.data.user}'])).toBe(
      Buffer.from('admin').toString('base64'),
    );
    const deploy = JSON.parse(await ok(['get', 'deployment', 'gen-deploy', '-o', 'json'])) as {
      spec: {
        replicas: number;
        selector: { matchLabels: Record<string, string> };
        template: { spec: { containers: { image: string; ports: { containerPort: number }[] }[] } };
      };
    };
    expect(deploy.spec.replicas).toBe(2);
    expect(deploy.spec.selector.matchLabels).toEqual({ app: 'gen-deploy' });
    expect(deploy.spec.template.spec.containers[0]).toMatchObject({
      image: 'nginx:1',
      ports: [{ containerPort: 80 }],
    });
  });

  it('applies, changes and re-applies multi-document files and a directory', async () => {
    const dir = mkdtempSync(join(workDir, 'apply-'));
    const deployment = (replicas: number, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {suite: kubectl}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {suite: kubectl}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
`;
    writeFileSync(join(dir, 'web.yaml'), deployment(2, 'nginx:1'));
    writeFileSync(
      join(dir, 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  labels: {suite: kubectl}\ndata:\n  a: "1"\n',
    );
    const first = await ok(['apply', '-f', dir]);
    expect(first).toContain('deployment.apps/web created');
    expect(first).toContain('service/web created');
    expect(first).toContain('configmap/web-config created');
    writeFileSync(join(dir, 'web.yaml'), deployment(4, 'nginx:2'));
    const second = await ok(['apply', '-f', join(dir, 'web.yaml')]);
    expect(second).toContain('deployment.apps/web configured');
    expect(second).toContain('service/web unchanged');
    const fields = await ok([
      'get',
      'deploy',
      'web',
      '-o',
      'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.metadata.generation}',
    ]);
    expect(fields).toBe('4 nginx:2 2');
  });

  it('prints tables, wide tables, yaml, json, names and jsonpath', async () => {
    await ok(
      ['apply', '-f', '-'],
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: printer\n  labels: {role: printer}\nspec:\n  containers:\n  - name: c\n    image: busybox\n',
    );
    const table = await ok(['get', 'pods', '-l', 'role=printer']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(table).toMatch(/printer\s+0\/1\s+Pending\s+0\s+\d+s/);
    const wide = await ok(['get', 'pods', 'printer', '-o', 'wide']);
    expect(wide.split('\n')[0]).toMatch(
      /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/,
    );
    const deployWide = await ok(['get', 'deploy', 'web', '-o', 'wide']);
    expect(deployWide.split('\n')[0]).toMatch(/CONTAINERS\s+IMAGES\s+SELECTOR/);
    const yamlOut = await ok(['get', 'pod', 'printer', '-o', 'yaml']);
    expect(yamlOut).toContain('kind: Pod');
    expect(yamlOut).toContain('uid:');
    const json = JSON.parse(await ok(['get', 'pods', '-o', 'json', '-l', 'role=printer'])) as {
      kind: string;
      items: Obj[];
    };
    expect(json.kind).toBe('List');
    expect(json.items.map((i) => i.metadata.name)).toEqual(['printer']);
    expect(await ok(['get', 'pods', '-l', 'role=printer', '-o', 'name'])).toBe('pod/printer\n');
    expect(await ok(['get', 'pod', 'printer', '-o', 'jsonpath={.spec.containers[0].image}'])).toBe('busybox');
    const all = await ok(['get', 'namespaces', '-A']);
    expect(all).toMatch(/kube-system\s+Active/);
    const allPods = await ok(['get', 'pods', '-A']);
    expect(allPods.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME/);
    expect(allPods).toMatch(/tutorial\s+my-app/);
    const missing = await kubectl(['get', 'pod', 'no-such-pod']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): pods "no-such-pod" not found');
  });

  it('describes, scales, labels, annotates and patches', async () => {
    const described = await ok(['describe', 'deployment', 'web']);
    expect(described).toMatch(/Name:\s+web/);
    expect(described).toMatch(/Selector:\s+app=web/);
    expect(described).toMatch(/Replicas:\s+4 desired/);
    expect(await ok(['describe', 'pod', 'printer'])).toMatch(/Image:\s+busybox/);
    expect(await ok(['scale', 'deployment/web', '--replicas=1'])).toContain('deployment.apps/web scaled');
    expect(await ok(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'])).toBe('1');
    await ok(['label', 'pod', 'printer', 'tier=front']);
    await ok(['annotate', 'pod', 'printer', 'note=hello']);
    expect(await ok(['get', 'pods', '-l', 'tier=front', '-o', 'name'])).toBe('pod/printer\n');
    expect(await ok(['get', 'pod', 'printer', '-o', 'jsonpath={.metadata.annotations.note}'])).toBe('hello');
    await ok([
      'patch',
      'deployment',
      'web',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:3"}]}}}}',
    ]);
    await ok([
      'patch',
      'deployment',
      'web',
      '--type=merge',
      '-p',
      '{"metadata":{"labels":{"patched":"merge"}}}',
    ]);
    await ok([
      'patch',
      'deployment',
      'web',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/replicas","value":2}]',
    ]);
    const after = await ok([
      'get',
      'deploy',
      'web',
      '-o',
      'jsonpath={.spec.template.spec.containers[*].name} {.spec.template.spec.containers[0].image} {.metadata.labels.patched} {.spec.replicas}',
    ]);
    expect(after).toBe('web nginx:3 merge 2');
    const conflict = await kubectl(['label', 'pod', 'printer', 'tier=back']);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain("'tier' already has a value (front)");
  });

  it('streams changes with get --watch', async () => {
    const child = spawn(kubectlPath, ['get', 'configmaps', '--watch', '-l', 'watched=yes', '-o', 'name'], {
      env: { ...process.env, KUBECONFIG: server.kubeconfig, HOME: workDir },
    });
    trackProcess(child, 'kubectl get --watch');
    children.push(child);
    let out = '';
    const seen = new Promise<void>((done, fail) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('configmap/w-two')) done();
      });
      child.once('exit', () => fail(new Error(`kubectl watch exited: ${out}`)));
    });
    // The watch has started once kubectl has listed (nothing matches yet), so poll the server's watcher gauge.
    const deadline = Date.now() + 20_000;
    while (
      !(await server.client.get<string>('/metrics')).body.includes(
        'apiserver_registered_watchers{group="",version="v1",kind="ConfigMap"} 1',
      )
    ) {
      if (Date.now() > deadline) throw new Error('kubectl watch did not register');
      await new Promise((r) => setTimeout(r, 100));
    }
    await ok(
      ['create', '-f', '-'],
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w-one\n  labels: {watched: "yes"}\n',
    );
    await ok(
      ['create', '-f', '-'],
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w-two\n  labels: {watched: "yes"}\n',
    );
    await seen;
    child.kill('SIGTERM');
    expect(out.trim().split('\n')).toEqual(['configmap/w-one', 'configmap/w-two']);
  });

  it('creates from a file and deletes by file, by name and by label', async () => {
    const file = writeManifest(
      'del.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: del-a\n  labels: {del: "yes"}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: del-b\n  labels: {del: "yes"}\n',
    );
    expect(await ok(['create', '-f', file])).toContain('configmap/del-a created');
    expect(await ok(['delete', '-f', file])).toContain('configmap "del-b" deleted');
    await ok(['create', '-f', file]);
    expect(await ok(['delete', 'configmap', 'del-a'])).toContain('configmap "del-a" deleted');
    expect(await ok(['delete', 'configmaps', '-l', 'del=yes'])).toContain('configmap "del-b" deleted');
    expect(await ok(['get', 'configmaps', '-l', 'del=yes', '-o', 'name'])).toBe('');
    expect(await ok(['delete', 'pod', 'printer'])).toContain('pod "printer" deleted');
  });
});
