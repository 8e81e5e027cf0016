/**
 * navctl against an in-test Kubernetes-shaped API server (HTTPS + bearer token): every verb,
 * golden tables (AGE normalised), apply/diff/delete round trips over every tutorial manifest,
 * and the error cases kubectl users know.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { removeTrackedDir, trackedTempDir } from '../helpers/registry.js';
import { type FakeApiServer, startFakeApiServer } from './fake-apiserver.js';
import { manifestsDir, navctl, normaliseAge } from './helpers.js';

let fake: FakeApiServer;
let kubeconfig: string;
let dir: string;
const k = (...args: string[]) => navctl(['--kubeconfig', kubeconfig, ...args]);
const manifest = (name: string) => join(manifestsDir, name);

beforeAll(async () => {
  fake = await startFakeApiServer();
  dir = trackedTempDir('navctl-test-');
  kubeconfig = fake.writeKubeconfig(dir);
});

afterAll(async () => {
  await fake?.close();
  if (dir !== undefined) removeTrackedDir(dir);
});

describe('get', () => {
  test("an empty namespace prints kubectl's message on stderr only", async () => {
    const r = await k('get', 'pods');
    expect(r).toEqual({ stdout: '', stderr: 'No resources found in default namespace.\n', code: 0 });
    const all = await k('get', 'pods', '-A');
    expect(all.stderr).toBe('No resources found\n');
  });

  test('tables are laid out exactly as kubectl lays them out', async () => {
    expect((await k('apply', '-f', manifest('01-pod.yaml'), '-f', manifest('03-service.yaml'))).stdout).toBe(
      'pod/my-app created\nservice/my-app-svc created\n',
    );
    const pods = await k('get', 'pods');
    expect(pods.code).toBe(0);
    expect(normaliseAge(pods.stdout)).toBe(
      ['NAME     READY   STATUS    RESTARTS   AGE', 'my-app   0/1     Pending   0          <age>', ''].join(
        '\n',
      ),
    );
    const wide = await k('get', 'po', '-o', 'wide');
    expect(wide.stdout.split('\n')[0]).toBe(
      'NAME     READY   STATUS    RESTARTS   AGE   IP       NODE     NOMINATED NODE   READINESS GATES',
    );
    const labels = await k('get', 'pods', '-A', '--show-labels');
    expect(normaliseAge(labels.stdout)).toBe(
      [
        'NAMESPACE   NAME     READY   STATUS    RESTARTS   AGE   LABELS',
        'default     my-app   0/1     Pending   0          <age> app=my-app',
        '',
      ].join('\n'),
    );
  });

  test('several kinds print kind-qualified names, one table per kind', async () => {
    await k('apply', '-f', manifest('02-deployment.yaml'));
    const r = await k('get', 'deploy,svc');
    const blocks = normaliseAge(r.stdout).split('\n\n');
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toBe(
      [
        'NAME                     READY   UP-TO-DATE   AVAILABLE   AGE',
        'deployment.apps/my-app   0/3     0            0           <age>',
      ].join('\n'),
    );
    expect(blocks[1]?.split('\n')[1]).toMatch(/^service\/my-app-svc {3}ClusterIP {3}/);
    const all = await k('get', 'all');
    expect(all.stdout).toContain('pod/my-app');
    expect(all.stdout).toContain('service/my-app-svc');
    expect(all.stdout).toContain('deployment.apps/my-app');
  });

  test('machine formats: name, json, yaml, jsonpath, custom-columns', async () => {
    expect((await k('get', 'pods', '-o', 'name')).stdout).toBe('pod/my-app\n');
    expect((await k('get', 'deploy', '-o', 'name')).stdout).toBe('deployment.apps/my-app\n');
    const list = JSON.parse((await k('get', 'pods', '-o', 'json')).stdout);
    expect(list.kind).toBe('List');
    expect(list.items[0].kind).toBe('Pod');
    const single = (await k('get', 'pod', 'my-app', '-o', 'json')).stdout;
    expect(single.split('\n')[1]).toBe('    "apiVersion": "v1",');
    const yaml = (await k('get', 'pod', 'my-app', '-o=yaml')).stdout;
    expect(yaml.startsWith('apiVersion: v1\nkind: Pod\nmetadata:\n')).toBe(true);
    expect(yaml).toContain('\n  containers:\n  - image: nginx:alpine\n');
    expect((await k('get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}')).stdout).toBe('my-app');
    expect(
      (
        await k(
          'get',
          'pods',
          '-o',
          'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.spec.containers[0].image}{"\\n"}{end}',
        )
      ).stdout,
    ).toBe('my-app\tnginx:alpine\n');
    expect(
      (
        await k(
          'get',
          'pods',
          '-o',
          'custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[*].image,NODE:.spec.nodeName',
        )
      ).stdout,
    ).toBe('NAME     IMAGE          NODE\nmy-app   nginx:alpine   <none>\n');
  });

  test('label selectors, --sort-by and names', async () => {
    await k('create', 'namespace', 'sorting');
    for (const [name, tier] of [
      ['b-pod', 'web'],
      ['a-pod', 'db'],
      ['c-pod', 'web'],
    ]) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(
        file,
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  labels:\n    tier: ${tier}\nspec:\n  containers:\n  - name: c\n    image: busybox\n`,
      );
      expect((await k('create', '-f', file, '-n', 'sorting')).stdout).toBe(`pod/${name} created\n`);
    }
    expect((await k('get', 'pods', '-n', 'sorting', '-l', 'tier=web', '-o', 'name')).stdout).toBe(
      'pod/b-pod\npod/c-pod\n',
    );
    expect(
      (await k('get', 'pods', '-n', 'sorting', '--sort-by=.metadata.labels.tier', '-o', 'name')).stdout,
    ).toBe('pod/a-pod\npod/b-pod\npod/c-pod\n');
    const some = await k('get', 'pods', 'a-pod', 'nope', '-n', 'sorting', '-o', 'name');
    expect(some).toEqual({
      stdout: 'pod/a-pod\n',
      stderr: 'Error from server (NotFound): pods "nope" not found\n',
      code: 1,
    });
    expect((await k('get', 'pod/a-pod', 'pod/c-pod', '-n', 'sorting', '-o', 'name')).stdout).toBe(
      'pod/a-pod\npod/c-pod\n',
    );
    expect((await k('delete', 'pods', '-l', 'tier=web', '-n', 'sorting')).stdout).toBe(
      'pod "b-pod" deleted\npod "c-pod" deleted\n',
    );
    expect((await k('delete', 'pods', '--all', '-n', 'sorting', '--grace-period=0', '--force')).stdout).toBe(
      'pod "a-pod" deleted\n',
    );
    expect((await k('get', 'pods', '-n', 'sorting')).stderr).toBe(
      'No resources found in sorting namespace.\n',
    );
  });

  test('short names resolve like kubectl', async () => {
    for (const name of ['po', 'deploy', 'svc', 'cm', 'ns', 'no', 'rs', 'ep', 'ing', 'hpa', 'pv', 'pvc']) {
      const r = await k('get', name);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    }
    expect(await k('get', 'foo')).toEqual({
      stdout: '',
      stderr: 'error: the server doesn\'t have a resource type "foo"\n',
      code: 1,
    });
  });
});

describe('apply, diff, delete round trips over every tutorial manifest', () => {
  const files = readdirSync(manifestsDir).filter((f) => f.endsWith('.yaml'));
  test.each(files)('%s', async (file) => {
    const ns = `rt-${file.slice(0, 2)}`;
    expect((await k('create', 'namespace', ns)).stdout).toBe(`namespace/${ns} created\n`);
    const path = manifest(file);
    const created = await k('apply', '-f', path, '-n', ns);
    expect(created.code, created.stderr).toBe(0);
    const lines = created.stdout.trim().split('\n');
    expect(lines.every((l) => / created$/.test(l))).toBe(true);
    const again = await k('apply', '-f', path, '-n', ns);
    expect(again.stdout.trim().split('\n')).toEqual(lines.map((l) => l.replace(/ created$/, ' unchanged')));
    const diff = await k('diff', '-f', path, '-n', ns);
    expect(diff).toEqual({ stdout: '', stderr: '', code: 0 });
    const deleted = await k('delete', '-f', path, '-n', ns);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout.trim().split('\n')).toHaveLength(lines.length);
    expect(deleted.stdout).toMatch(/ deleted\n$/);
    const gone = await k('get', 'all', '-n', ns);
    expect(gone.stdout).toBe('');
  });

  test('apply keeps the last-applied annotation and reports configured changes', async () => {
    await k('create', 'namespace', 'three-way');
    const file = join(dir, 'cm.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n  b: "2"\n',
    );
    expect((await k('apply', '-f', file, '-n', 'three-way')).stdout).toBe('configmap/settings created\n');
    const live = fake.store.get('configmaps/three-way/settings');
    expect(live?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBe(
      '{"apiVersion":"v1","data":{"a":"1","b":"2"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"settings","namespace":"three-way"}}\n',
    );
    // Someone else adds a key; the file drops `b`: apply removes b, keeps the foreign key.
    await k(
      'patch',
      'configmap',
      'settings',
      '-n',
      'three-way',
      '--type',
      'merge',
      '-p',
      '{"data":{"other":"x"}}',
    );
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n');
    const dry = await k('diff', '-f', file, '-n', 'three-way');
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain('-  b: "2"');
    expect((await k('apply', '-f', file, '-n', 'three-way', '--dry-run=server')).stdout).toBe(
      'configmap/settings configured (server dry run)\n',
    );
    expect(fake.store.get('configmaps/three-way/settings')?.data).toEqual({ a: '1', b: '2', other: 'x' });
    expect((await k('apply', '-f', file, '-n', 'three-way')).stdout).toBe('configmap/settings configured\n');
    expect(fake.store.get('configmaps/three-way/settings')?.data).toEqual({ a: '1', other: 'x' });
    expect((await k('apply', '-f', file, '-n', 'three-way', '--dry-run=client')).stdout).toBe(
      'configmap/settings unchanged (dry run)\n',
    );
  });
});

describe('other verbs', () => {
  test('describe lays out the object and its events', async () => {
    fake.store.set('events/default/my-app.1', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'my-app.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'my-app', namespace: 'default' },
      type: 'Normal',
      reason: 'Scheduled',
      message: 'Successfully assigned default/my-app to node-1',
      source: { component: 'default-scheduler' },
      lastTimestamp: new Date().toISOString(),
    });
    const r = await k('describe', 'pod', 'my-app');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual(['Name:             my-app', 'Namespace:        default']);
    expect(lines).toContain('Labels:           app=my-app');
    expect(lines).toContain('    Image:          nginx:alpine');
    expect(lines).toContain('Events:');
    expect(r.stdout).toMatch(/ {2}Type {4}Reason {5}Age {3}From {15}Message\n/);
    expect(r.stdout).toMatch(
      / {2}Normal {2}Scheduled {2}\d+s +default-scheduler {2}Successfully assigned default\/my-app to node-1\n/,
    );
    const missing = await k('describe', 'deploy', 'nope');
    expect(missing).toEqual({
      stdout: '',
      stderr: 'Error from server (NotFound): deployments.apps "nope" not found\n',
      code: 1,
    });
  });

  test('create, replace, and their conflicts', async () => {
    const again = await k('create', '-f', manifest('01-pod.yaml'));
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `Error from server (AlreadyExists): error when creating "${manifest('01-pod.yaml')}": pods "my-app" already exists\n`,
    );
    const file = join(dir, 'replace.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rep\ndata:\n  k: v1\n');
    await k('create', '-f', file);
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rep\ndata:\n  k: v2\n');
    expect((await k('replace', '-f', file)).stdout).toBe('configmap/rep replaced\n');
    expect(fake.store.get('configmaps/default/rep')?.data).toEqual({ k: 'v2' });
    writeFileSync(
      file,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rep\n  resourceVersion: "1"\ndata:\n  k: v3\n',
    );
    const conflict = await k('replace', '-f', file);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(
      /^Error from server \(Conflict\): error when replacing ".*replace.yaml": Operation cannot be fulfilled on configmaps "rep": the object has been modified/,
    );
    const missingNs = await k('create', '-f', file, '-n', 'nowhere');
    expect(missingNs.stderr).toMatch(
      /^Error from server \(NotFound\): error when creating ".*replace.yaml": namespaces "nowhere" not found\n$/,
    );
  });

  test('scale, label, annotate, patch', async () => {
    expect((await k('scale', 'deployment/my-app', '--replicas=5')).stdout).toBe(
      'deployment.apps/my-app scaled\n',
    );
    expect(fake.store.get('deployments/default/my-app')?.spec).toMatchObject({ replicas: 5 });
    expect((await k('scale', 'deployment', 'my-app', '--replicas=0')).stdout).toBe(
      'deployment.apps/my-app scaled\n',
    );
    expect(fake.store.get('deployments/default/my-app')?.spec).toMatchObject({ replicas: 0 });
    expect((await k('scale', 'deploy', 'my-app', '--replicas=2', '--current-replicas=3')).stderr).toBe(
      'error: Expected replicas to be 3, was 0\n',
    );

    expect((await k('label', 'pod', 'my-app', 'tier=web')).stdout).toBe('pod/my-app labeled\n');
    expect(await k('label', 'pod', 'my-app', 'tier=db')).toEqual({
      stdout: '',
      stderr: "error: 'tier' already has a value (web), and --overwrite is false\n",
      code: 1,
    });
    expect((await k('label', 'pod', 'my-app', 'tier=db', '--overwrite')).stdout).toBe('pod/my-app labeled\n');
    expect((await k('label', 'pod', 'my-app', 'tier-')).stdout).toBe('pod/my-app labeled\n');
    expect(fake.store.get('pods/default/my-app')?.metadata.labels).toEqual({ app: 'my-app' });
    expect((await k('annotate', 'pods', 'my-app', 'owner=team-a')).stdout).toBe('pod/my-app annotated\n');
    expect(fake.store.get('pods/default/my-app')?.metadata.annotations?.owner).toBe('team-a');

    expect((await k('patch', 'deployment', 'my-app', '-p', '{"spec":{"replicas":1}}')).stdout).toBe(
      'deployment.apps/my-app patched\n',
    );
    expect(
      (await k('patch', 'deployment', 'my-app', '--type', 'merge', '-p', '{"spec":{"replicas":1}}')).stdout,
    ).toBe('deployment.apps/my-app patched (no change)\n');
    expect(
      (
        await k(
          'patch',
          'deployment/my-app',
          '--type=json',
          '-p',
          '[{"op":"replace","path":"/spec/replicas","value":4}]',
        )
      ).stdout,
    ).toBe('deployment.apps/my-app patched\n');
    expect(fake.store.get('deployments/default/my-app')?.spec).toMatchObject({ replicas: 4 });
  });

  test('edit saves what the editor wrote', async () => {
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/k: v2/k: edited/" "$1"\n', { mode: 0o755 });
    const saved = process.env.EDITOR;
    process.env.EDITOR = editor;
    try {
      expect((await k('edit', 'configmap', 'rep')).stdout).toBe('configmap/rep edited\n');
      expect(fake.store.get('configmaps/default/rep')?.data).toEqual({ k: 'edited' });
      expect((await k('edit', 'configmap', 'rep')).stdout).toBe('Edit cancelled, no changes made.\n');
    } finally {
      if (saved === undefined) delete process.env.EDITOR;
      else process.env.EDITOR = saved;
    }
  });

  test('delete by name, kind/name, and its NotFound', async () => {
    expect((await k('delete', 'configmap', 'rep')).stdout).toBe('configmap "rep" deleted\n');
    expect(await k('delete', 'configmap/rep')).toEqual({
      stdout: '',
      stderr: 'Error from server (NotFound): configmaps "rep" not found\n',
      code: 1,
    });
    expect((await k('delete', 'configmap', 'rep', '--ignore-not-found')).code).toBe(0);
    expect((await k('delete', 'deploy', 'my-app', '--dry-run=client')).stdout).toBe(
      'deployment.apps "my-app" deleted (dry run)\n',
    );
    expect(fake.store.has('deployments/default/my-app')).toBe(true);
    expect((await k('delete', 'pods')).stderr).toBe(
      'error: resource(s) were provided, but no name was specified\n',
    );
  });

  test('api-resources, explain, version, cluster-info, completion', async () => {
    const resources = await k('api-resources');
    expect(resources.stdout.split('\n')[0]).toMatch(
      /^NAME {2,}SHORTNAMES {3}APIVERSION {2,}NAMESPACED {3}KIND$/,
    );
    expect(resources.stdout).toMatch(/\npods {2,}po {2,}v1 {2,}true {2,}Pod\n/);
    expect(resources.stdout).toMatch(/\ndeployments {2,}deploy {2,}apps\/v1 {2,}true {2,}Deployment\n/);
    expect((await k('api-resources', '--namespaced=false', '-o', 'name')).stdout).toContain(
      'namespaces\nnodes\n',
    );
    const explain = await k('explain', 'pods');
    expect(explain.stdout).toMatch(/^KIND: {7}Pod\nVERSION: {4}v1\n/);
    expect(explain.stdout).toContain('FIELDS:\n  apiVersion\t<string>\n');
    expect((await k('version')).stdout).toBe('Client Version: v0.1.0\nServer Version: v1.32.0-fake\n');
    expect((await k('version', '--client')).stdout).toBe('Client Version: v0.1.0\n');
    expect((await k('cluster-info')).stdout).toBe(
      `Kubernetes control plane is running at ${fake.url}\n\nTo further debug and diagnose cluster problems, use 'navctl cluster-info dump'.\n`,
    );
    const bash = await k('completion', 'bash');
    expect(bash.stdout).toContain('complete -F _navctl navctl');
    expect((await k('completion', 'fish')).stderr).toBe('error: Unsupported shell type "fish".\n');
  });
});

describe('errors', () => {
  test('a YAML syntax error names file, line and column and sends nothing', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n',
    );
    const before = fake.requests.filter((r) => !r.startsWith('GET')).length;
    const r = await k('apply', '-f', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: error parsing ${file}: line \\d+, column \\d+: .+\\n$`));
    expect(r.stderr).not.toContain('    at ');
    expect(fake.requests.filter((q) => !q.startsWith('GET')).length).toBe(before);
    expect(fake.store.has('configmaps/default/ok')).toBe(false);
    expect((await k('diff', '-f', file)).code).toBeGreaterThan(1);
  });

  test('unknown kinds, missing fields, and missing files', async () => {
    const file = join(dir, 'unknown.yaml');
    writeFileSync(file, 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n');
    const r = await k('apply', '-f', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no matches for kind "Widget" in version "example.com/v1"');
    writeFileSync(file, 'metadata:\n  name: w\n');
    expect((await k('apply', '-f', file)).stderr).toContain(
      'error validating data: [apiVersion not set, kind not set]',
    );
    expect((await k('apply', '-f', join(dir, 'nope.yaml'))).stderr).toBe(
      `error: the path "${join(dir, 'nope.yaml')}" does not exist\n`,
    );
  });

  test('bad flags and an unreachable server give one clear line and exit 1', async () => {
    const flag = await k('get', 'pods', '--bogus');
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("error: unknown option '--bogus'");
    const down = await navctl([
      '--server',
      'https://127.0.0.1:1',
      '--insecure-skip-tls-verify',
      'get',
      'pods',
    ]);
    expect(down).toEqual({
      stdout: '',
      stderr:
        'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n',
      code: 1,
    });
    const noToken = await navctl(['--kubeconfig', kubeconfig, '--token', 'wrong', 'get', 'pods']);
    expect(noToken).toEqual({
      stdout: '',
      stderr: 'Error from server (Unauthorized): Unauthorized\n',
      code: 1,
    });
  });
});

describe('a server that does not print tables', () => {
  test('gets the same columns computed locally', async () => {
    const plain = await startFakeApiServer({ tables: false });
    const plainDir = trackedTempDir('navctl-plain-');
    try {
      const config = plain.writeKubeconfig(plainDir);
      const run = (...args: string[]) => navctl(['--kubeconfig', config, ...args]);
      expect((await run('apply', '-f', manifest('01-pod.yaml'))).code).toBe(0);
      expect(normaliseAge((await run('get', 'pods')).stdout)).toBe(
        ['NAME     READY   STATUS    RESTARTS   AGE', 'my-app   0/1     Pending   0          <age>', ''].join(
          '\n',
        ),
      );
      expect((await run('get', 'pods', '-A')).stdout).toMatch(/^NAMESPACE {3}NAME {5}READY/);
      expect(plain.requests.some((r) => r.startsWith('GET /api/v1/namespaces/default/pods'))).toBe(true);
    } finally {
      await plain.close();
      removeTrackedDir(plainDir);
    }
  });
});
