/**
 * navctl against a real `navarch server` (over a real etcd started here), and side by side with
 * stock kubectl 1.32 on the same server: kubectl's own output is the golden file for tables.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { removeTrackedDir, trackedTempDir } from '../helpers/registry.js';
import { startCluster, type TestCluster } from './cluster.js';
import { manifestsDir, navctl, normaliseAge, type RunResult } from './helpers.js';

let cluster: TestCluster;
let dir: string;
const k = (...args: string[]) => navctl(['--kubeconfig', cluster.kubeconfig, ...args]);

/** Runs stock kubectl with a private HOME (its discovery cache stays in the test's temp dir). */
function kubectl(...args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/kubectl',
      ['--kubeconfig', cluster.kubeconfig, ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin', HOME: dir }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ stdout, stderr, code });
      },
    );
  });
}

beforeAll(async () => {
  dir = trackedTempDir('navctl-real-');
  cluster = await startCluster();
});

afterAll(async () => {
  await cluster?.stop();
  if (dir !== undefined) removeTrackedDir(dir);
});

describe('navctl on a real navarch server', () => {
  test('the admin kubeconfig works as written by `navarch server`', async () => {
    const v = await k('version');
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^Client Version: v0\.1\.0\nServer Version: v\d+\.\d+\.\d+/);
    expect((await k('cluster-info')).stdout).toContain(`is running at ${cluster.url}`);
    expect((await k('config', 'current-context')).code).toBe(0);
  });

  test('get namespaces prints the same table as kubectl', async () => {
    const ours = await k('get', 'namespaces');
    const theirs = await kubectl('get', 'namespaces');
    expect(theirs.code, theirs.stderr).toBe(0);
    expect(normaliseAge(ours.stdout)).toBe(normaliseAge(theirs.stdout));
  });

  const files = readdirSync(manifestsDir).filter((f) => f.endsWith('.yaml'));
  test.each(files)('apply, re-apply, diff and delete %s', async (file) => {
    const ns = `real-${file.slice(0, 2)}`;
    expect((await k('create', 'namespace', ns)).stdout).toBe(`namespace/${ns} created\n`);
    const path = join(manifestsDir, file);
    const created = await k('apply', '-f', path, '-n', ns);
    expect(created.code, created.stderr).toBe(0);
    const lines = created.stdout.trim().split('\n');
    expect(
      lines.every((l) => / created$/.test(l)),
      created.stdout,
    ).toBe(true);
    // A Secret written with stringData comes back as data, so (as with kubectl) it re-applies as configured.
    const usesStringData = readFileSync(path, 'utf8').includes('stringData:');
    const again = await k('apply', '-f', path, '-n', ns);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim().split('\n')).toEqual(
      lines.map((l) =>
        l.replace(/ created$/, usesStringData && l.startsWith('secret/') ? ' configured' : ' unchanged'),
      ),
    );
    const diff = await k('diff', '-f', path, '-n', ns);
    if (!usesStringData) expect(diff, diff.stdout).toEqual({ stdout: '', stderr: '', code: 0 });
    else expect(diff.code).toBeLessThanOrEqual(1);
    const deleted = await k('delete', '-f', path, '-n', ns, '--grace-period=0', '--force');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(
      deleted.stdout
        .trim()
        .split('\n')
        .filter((l) => / deleted$/.test(l)),
    ).toHaveLength(lines.length);
  });

  test('tables, names and objects match kubectl on the same objects', async () => {
    expect(
      (
        await k(
          'apply',
          '-f',
          join(manifestsDir, '01-pod.yaml'),
          '-f',
          join(manifestsDir, '02-deployment.yaml'),
        )
      ).code,
    ).toBe(0);
    expect((await k('apply', '-f', join(manifestsDir, '03-service.yaml'))).code).toBe(0);
    for (const args of [
      ['get', 'pods'],
      ['get', 'pods', '-A'],
      ['get', 'pods', '-o', 'wide'],
      ['get', 'pods', '--show-labels'],
      ['get', 'deploy,svc'],
      ['get', 'all'],
      ['get', 'svc', '-A', '-o', 'wide'],
      ['get', 'deployments', '-o', 'name'],
      ['get', 'deploy', 'my-app', '-o', 'yaml'],
      ['get', 'svc', '-o', 'yaml'],
      ['get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}'],
      ['get', 'pods', '-o', 'custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[*].image'],
      ['get', 'pod', 'nope'],
      ['get', 'pods', '-n', 'empty-namespace'],
    ]) {
      const ours = await k(...args);
      const theirs = await kubectl(...args);
      expect({ ...ours, stdout: normaliseAge(ours.stdout) }, args.join(' ')).toEqual({
        ...theirs,
        stdout: normaliseAge(theirs.stdout),
      });
    }
    const ourJson = await k('get', 'deploy', 'my-app', '-o', 'json');
    const theirJson = await kubectl('get', 'deploy', 'my-app', '-o', 'json');
    // Same content; kubectl orders keys by Go struct fields, navctl keeps the server's order.
    expect(JSON.parse(ourJson.stdout)).toEqual(JSON.parse(theirJson.stdout));
  });

  test("kubectl and navctl read each other's last-applied configuration", async () => {
    const file = join(dir, 'shared.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  a: "1"\n');
    expect((await kubectl('apply', '-f', file)).stdout).toBe('configmap/shared created\n');
    expect((await k('apply', '-f', file)).stdout).toBe('configmap/shared unchanged\n');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  b: "2"\n');
    expect((await k('apply', '-f', file)).stdout).toBe('configmap/shared configured\n');
    expect((await kubectl('apply', '-f', file)).stdout).toBe('configmap/shared unchanged\n');
    expect(JSON.parse((await k('get', 'cm', 'shared', '-o', 'json')).stdout).data).toEqual({ b: '2' });
  });

  test('verbs change the live objects', async () => {
    expect((await k('scale', 'deployment/my-app', '--replicas=5')).stdout).toBe(
      'deployment.apps/my-app scaled\n',
    );
    expect((await k('get', 'deploy', 'my-app', '-o', 'jsonpath={.spec.replicas}')).stdout).toBe('5');
    expect((await k('scale', 'deployment', 'my-app', '--replicas=0')).stdout).toBe(
      'deployment.apps/my-app scaled\n',
    );
    expect((await k('label', 'pod', 'my-app', 'tier=web')).stdout).toBe('pod/my-app labeled\n');
    expect((await k('annotate', 'pod', 'my-app', 'note=x')).stdout).toBe('pod/my-app annotated\n');
    expect((await k('get', 'pods', '-l', 'tier=web', '-o', 'name')).stdout).toBe('pod/my-app\n');
    expect(
      (await k('patch', 'svc', 'my-app-svc', '--type=merge', '-p', '{"metadata":{"labels":{"x":"y"}}}'))
        .stdout,
    ).toBe('service/my-app-svc patched\n');
    const described = await k('describe', 'pod', 'my-app');
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/^Name: +my-app\nNamespace: +default\n/);
    expect(described.stdout).toMatch(/\nEvents:/);
    expect((await k('api-resources', '-o', 'name')).stdout).toContain('deployments.apps\n');
    expect((await k('explain', 'deployments')).stdout).toMatch(
      /^(GROUP: +apps\n)?KIND: +Deployment\nVERSION: +v1\n/,
    );
  });

  test('server errors read as kubectl prints them', async () => {
    const created = await k('create', '-f', join(manifestsDir, '01-pod.yaml'));
    const theirs = await kubectl('create', '-f', join(manifestsDir, '01-pod.yaml'));
    expect(created).toEqual(theirs);
    expect(created.stderr).toMatch(
      /^Error from server \(AlreadyExists\): error when creating ".*01-pod.yaml": pods "my-app" already exists\n$/,
    );
    const missingNs = await k('apply', '-f', join(manifestsDir, '01-pod.yaml'), '-n', 'does-not-exist');
    expect(missingNs.code).toBe(1);
    expect(missingNs.stderr).toMatch(/namespaces "does-not-exist" not found/);
    const file = join(dir, 'stale.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n  resourceVersion: "1"\ndata: {}\n',
    );
    const conflict = await k('replace', '-f', file);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/^Error from server \(Conflict\): /);
  });
});
