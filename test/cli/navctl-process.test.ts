/**
 * navctl as users run it: the bundled executable, spawned as a process. Exit codes, stdin
 * manifests, `get -w` streaming rows, failures that print one line and no stack trace, and the
 * compile cache.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KubeClient, loadKubeconfig, resolveRestConfig, WELL_KNOWN_RESOURCES } from '@navarch/client';
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest';
import { removeTrackedDir, trackedTempDir, trackProcess } from '../helpers/registry.js';
import { type FakeApiServer, startFakeApiServer } from './fake-apiserver.js';
import { bundleNavctl, manifestsDir, runNavctl } from './helpers.js';

let fake: FakeApiServer;
let bundle: string;
let kubeconfig: string;
let dir: string;

beforeAll(async () => {
  [fake, bundle] = await Promise.all([startFakeApiServer(), bundleNavctl()]);
  dir = trackedTempDir('navctl-process-');
  kubeconfig = fake.writeKubeconfig(dir);
});

afterAll(async () => {
  await fake?.close();
  if (dir !== undefined) removeTrackedDir(dir);
  if (bundle !== undefined) removeTrackedDir(dirname(bundle));
});

test('version --client needs no server and no configuration', async () => {
  expect(await runNavctl(bundle, ['version', '--client'])).toEqual({
    stdout: 'Client Version: v0.1.0\n',
    stderr: '',
    code: 0,
  });
});

test('navctl.mjs, the ES module entry, runs the same program', async () => {
  expect(await runNavctl(join(dirname(bundle), 'navctl.mjs'), ['version', '--client'])).toEqual({
    stdout: 'Client Version: v0.1.0\n',
    stderr: '',
    code: 0,
  });
});

test('apply -f - reads manifests from stdin; KUBECONFIG selects the cluster', async () => {
  const r = await runNavctl(bundle, ['apply', '-f', '-'], {
    env: { KUBECONFIG: kubeconfig },
    input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-stdin\ndata:\n  a: "1"\n',
  });
  expect(r).toEqual({ stdout: 'configmap/from-stdin created\n', stderr: '', code: 0 });
});

test('errors are one line, no stack trace, exit 1; diff exits 0, 1 or >1', async () => {
  const down = await runNavctl(bundle, ['get', 'pods', '--server', 'https://127.0.0.1:1']);
  expect(down).toEqual({
    stdout: '',
    stderr:
      'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n',
    code: 1,
  });
  const none = await runNavctl(bundle, ['get'], { env: { KUBECONFIG: kubeconfig } });
  expect(none.code).toBe(1);
  expect(none.stderr).toContain('error: Required resource not specified.');
  expect(none.stderr).not.toMatch(/\n\s+at /);
  const flag = await runNavctl(bundle, ['delete', '--nope']);
  expect(flag.code).toBe(1);
  expect(flag.stderr).toMatch(/^error: unknown option '--nope'\n/);

  const file = join(manifestsDir, '01-pod.yaml');
  expect((await runNavctl(bundle, ['diff', '-f', file], { env: { KUBECONFIG: kubeconfig } })).code).toBe(1);
  expect((await runNavctl(bundle, ['apply', '-f', file], { env: { KUBECONFIG: kubeconfig } })).code).toBe(0);
  expect((await runNavctl(bundle, ['diff', '-f', file], { env: { KUBECONFIG: kubeconfig } })).code).toBe(0);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'kind: [\n');
  expect((await runNavctl(bundle, ['diff', '-f', bad], { env: { KUBECONFIG: kubeconfig } })).code).toBe(2);
});

test('get -w prints the list, then one row per event with the EVENT column', async () => {
  const client = new KubeClient(resolveRestConfig(loadKubeconfig({ explicitPath: kubeconfig }).merged));
  const configmaps = WELL_KNOWN_RESOURCES.find((r) => r.resource === 'configmaps')!;
  const child = spawn(
    process.execPath,
    [bundle, '--kubeconfig', kubeconfig, 'get', 'configmaps', '-w', '--output-watch-events'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  trackProcess(child, 'navctl get -w');
  let output = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(output)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      if (pattern.test(output)) resolve();
      else waiters.push({ pattern, resolve });
    });
  try {
    await waitFor(/^EVENT {3}NAME {9}DATA {3}AGE\nADDED {3}from-stdin {3}1 {6}\S+\n/);
    await client.create(configmaps, 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'watched' },
      data: { a: '1', b: '2' },
    });
    await waitFor(/\nADDED {3}watched {6}2 {6}\S+\n/);
    await client.delete(configmaps, 'default', 'watched');
    await waitFor(/\nDELETED {1}watched {6}2 {6}\S+\n/);
  } finally {
    if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    await client.close();
  }
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
});

test('the compile cache: written by the first successful run of a verb, then used; a damaged one is replaced', async () => {
  const cacheHome = trackedTempDir('navctl-cache-');
  onTestFinished(() => removeTrackedDir(cacheHome));
  const env = { KUBECONFIG: kubeconfig, XDG_CACHE_HOME: cacheHome };
  const cacheDir = join(cacheHome, 'navctl');
  const get = ['get', 'configmaps', '-o', 'name'];
  const first = await runNavctl(bundle, get, { env });
  expect(first.code).toBe(0);
  const files = readdirSync(cacheDir);
  expect(files).toEqual([expect.stringMatching(/^[0-9a-f]{16}-v[\d.]+-\w+-get\.v8cache$/)]);
  const file = join(cacheDir, files[0] as string);
  const inode = statSync(file).ino;
  // Accepted, so not written again (a rewrite renames a new file into place).
  expect(await runNavctl(bundle, get, { env })).toEqual(first);
  expect(statSync(file).ino).toBe(inode);
  writeFileSync(file, 'not a V8 cache');
  expect(await runNavctl(bundle, get, { env })).toEqual(first);
  expect(readFileSync(file).length).toBeGreaterThan(1000);
  // A failed run caches nothing; caching can be turned off as Node's own is.
  expect((await runNavctl(bundle, ['describe', 'nope'], { env })).code).toBe(1);
  const offHome = trackedTempDir('navctl-cache-off-');
  onTestFinished(() => removeTrackedDir(offHome));
  const off = await runNavctl(bundle, get, {
    env: { KUBECONFIG: kubeconfig, XDG_CACHE_HOME: offHome, NODE_DISABLE_COMPILE_CACHE: '1' },
  });
  expect(off).toEqual(first);
  expect(readdirSync(cacheDir)).toEqual(files);
  expect(readdirSync(offHome)).toEqual([]);
});
