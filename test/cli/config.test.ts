/**
 * `navctl config ...` edits the same files kubectl reads, with kubectl's messages.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { removeTrackedDir, trackedTempDir } from '../helpers/registry.js';
import { navctl } from './helpers.js';

let dir: string;
let file: string;
const c = (...args: string[]) => navctl(['config', ...args, '--kubeconfig', file]);

beforeEach(() => {
  dir = trackedTempDir('navctl-config-');
  file = join(dir, 'config');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod.example:6443
    certificate-authority-data: ${Buffer.from('CA').toString('base64')}
- name: dev
  cluster:
    server: https://dev.example:6443
contexts:
- name: prod
  context:
    cluster: prod
    user: admin
- name: dev
  context:
    cluster: dev
    user: admin
    namespace: sandbox
current-context: prod
users:
- name: admin
  user:
    token: secret-token
`,
  );
});

afterEach(() => {
  removeTrackedDir(dir);
});

describe('navctl config', () => {
  test('get-contexts and current-context', async () => {
    expect((await c('get-contexts')).stdout).toBe(
      'CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE\n          dev    dev       admin      sandbox\n*         prod   prod      admin      \n',
    );
    expect((await c('get-contexts', '-o', 'name')).stdout).toBe('dev\nprod\n');
    expect((await c('current-context')).stdout).toBe('prod\n');
    expect(await c('get-contexts', 'nope')).toEqual({
      stdout: '',
      stderr: 'error: context nope not found\n',
      code: 1,
    });
  });

  test('use-context and set-context --current --namespace write the file kubectl reads', async () => {
    expect((await c('use-context', 'dev')).stdout).toBe('Switched to context "dev".\n');
    expect((await c('set-context', '--current', '--namespace=team-x')).stdout).toBe(
      'Context "dev" modified.\n',
    );
    expect((await c('use-context', 'missing')).stderr).toBe(
      'error: no context exists with the name: "missing"\n',
    );
    const kubectl = (...args: string[]) =>
      execFileSync('/usr/bin/kubectl', ['--kubeconfig', file, ...args], {
        env: { PATH: process.env.PATH ?? '/usr/bin', HOME: dir },
      }).toString();
    expect(kubectl('config', 'current-context')).toBe('dev\n');
    expect(kubectl('config', 'view', '--minify', '-o', 'jsonpath={.contexts[0].context.namespace}')).toBe(
      'team-x',
    );
    expect(readFileSync(file, 'utf8')).toContain('current-context: dev');
  });

  test('view redacts secrets unless --raw, and --minify keeps the current context only', async () => {
    const view = await c('view');
    expect(view.stdout).toContain('certificate-authority-data: DATA+OMITTED');
    expect(view.stdout).toContain('token: REDACTED');
    expect((await c('view', '--raw')).stdout).toContain('token: secret-token');
    const minified = await c('view', '--minify', '-o', 'json');
    const doc = JSON.parse(minified.stdout);
    expect(doc.contexts.map((x: { name: string }) => x.name)).toEqual(['prod']);
    expect(doc.clusters.map((x: { name: string }) => x.name)).toEqual(['prod']);
  });

  test('set-cluster, set-credentials, set-context, rename-context, delete-context', async () => {
    expect(
      (await c('set-cluster', 'lab', '--server', 'https://lab:6443', '--insecure-skip-tls-verify')).stdout,
    ).toBe('Cluster "lab" set.\n');
    expect((await c('set-credentials', 'me', '--token', 't0k')).stdout).toBe('User "me" set.\n');
    expect(
      (
        await navctl([
          'config',
          'set-context',
          'lab',
          '--cluster',
          'lab',
          '--user',
          'me',
          '--kubeconfig',
          file,
        ])
      ).stdout,
    ).toBe('Context "lab" created.\n');
    expect((await c('rename-context', 'lab', 'lab2')).stdout).toBe('Context "lab" renamed to "lab2".\n');
    expect((await c('get-contexts', 'lab2')).stdout).toContain('lab2   lab       me');
    expect((await c('delete-context', 'lab2')).stdout).toBe(`deleted context lab2 from ${file}\n`);
  });
});
