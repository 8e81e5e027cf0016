/**
 * Kubeconfig loading with kubectl's rules: explicit file, KUBECONFIG merge (first wins), home
 * default, relative paths, overrides, and the errors users see.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_SERVER,
  defaultWriteTarget,
  KubeconfigError,
  loadKubeconfig,
  resolveRestConfig,
  stringifyKubeconfig,
  writeKubeconfigFile,
} from '@navarch/client';
import { describe, expect, test } from 'vitest';
import { trackedTempDir } from '../../../test/helpers/registry.js';

function fixture(): { dir: string; a: string; b: string } {
  // Tracked: removed when this test process ends.
  const dir = trackedTempDir('kubeconfig-test-');
  mkdirSync(join(dir, 'certs'));
  writeFileSync(join(dir, 'certs', 'ca.crt'), 'CA-PEM');
  writeFileSync(join(dir, 'token'), 'file-token\n');
  const a = join(dir, 'a.yaml');
  const b = join(dir, 'b.yaml');
  writeFileSync(
    a,
    `apiVersion: v1
kind: Config
current-context: ctx-a
clusters:
- name: shared
  cluster:
    server: https://a.example:6443
    certificate-authority: certs/ca.crt
contexts:
- name: ctx-a
  context:
    cluster: shared
    user: alice
    namespace: team-a
users:
- name: alice
  user:
    tokenFile: token
`,
  );
  writeFileSync(
    b,
    `apiVersion: v1
kind: Config
current-context: ctx-b
clusters:
- name: shared
  cluster:
    server: https://b.example:6443
- name: other
  cluster:
    server: https://other.example
    insecure-skip-tls-verify: true
contexts:
- name: ctx-b
  context:
    cluster: other
    user: bob
users:
- name: bob
  user:
    token: bob-token
    client-certificate-data: ${Buffer.from('CERT').toString('base64')}
    client-key-data: ${Buffer.from('KEY').toString('base64')}
`,
  );
  return { dir, a, b };
}

describe('loading', () => {
  test('KUBECONFIG files merge: the first file to define a name or current-context wins', () => {
    const { a, b } = fixture();
    const loaded = loadKubeconfig({ kubeconfigEnv: `${a}:${b}:/nonexistent/config` });
    expect(loaded.files.map((f) => f.exists)).toEqual([true, true, false]);
    expect(loaded.merged['current-context']).toBe('ctx-a');
    expect(loaded.merged.clusters?.map((c) => `${c.name}=${c.cluster.server}`)).toEqual([
      'shared=https://a.example:6443',
      'other=https://other.example',
    ]);
    const rest = resolveRestConfig(loaded.merged);
    expect(rest).toMatchObject({
      server: 'https://a.example:6443',
      caData: 'CA-PEM',
      token: 'file-token',
      namespace: 'team-a',
      contextName: 'ctx-a',
    });
  });

  test('overrides: --context, -n, --server, --token, --insecure-skip-tls-verify', () => {
    const { a, b } = fixture();
    const { merged } = loadKubeconfig({ kubeconfigEnv: `${a}:${b}` });
    const rest = resolveRestConfig(merged, { context: 'ctx-b', namespace: 'ns1' });
    expect(rest).toMatchObject({
      server: 'https://other.example',
      insecureSkipTlsVerify: true,
      token: 'bob-token',
      certData: 'CERT',
      keyData: 'KEY',
      namespace: 'ns1',
      namespaceExplicit: true,
    });
    expect(rest.caData).toBeUndefined();
    const overridden = resolveRestConfig(merged, {
      server: '127.0.0.1:9443',
      token: 't',
      insecureSkipTlsVerify: true,
    });
    expect(overridden).toMatchObject({
      server: 'https://127.0.0.1:9443',
      token: 't',
      insecureSkipTlsVerify: true,
    });
    expect(() => resolveRestConfig(merged, { context: 'missing' })).toThrow(KubeconfigError);
  });

  test('no configuration at all falls back to localhost:8080 like kubectl', () => {
    const home = trackedTempDir('kubeconfig-home-');
    const loaded = loadKubeconfig({ kubeconfigEnv: '', home });
    expect(loaded.files[0]?.path).toBe(join(home, '.kube', 'config'));
    expect(resolveRestConfig(loaded.merged)).toMatchObject({ server: DEFAULT_SERVER, namespace: 'default' });
  });

  test('an explicit file must exist; a malformed file is a clear error', () => {
    const { dir } = fixture();
    expect(() => loadKubeconfig({ explicitPath: join(dir, 'nope') })).toThrow(/no such file or directory/);
    writeFileSync(join(dir, 'bad'), 'clusters: [unclosed\n');
    expect(() => loadKubeconfig({ explicitPath: join(dir, 'bad') })).toThrow(/error loading config file/);
  });
});

describe('writing', () => {
  test("changes go back to the file, keeping relative paths and kubectl's key order", () => {
    const { a, b } = fixture();
    const loaded = loadKubeconfig({ kubeconfigEnv: `${a}:${b}` });
    const target = defaultWriteTarget(loaded);
    expect(target.path).toBe(a);
    target.config['current-context'] = 'ctx-b';
    writeKubeconfigFile(target);
    const text = readFileSync(a, 'utf8');
    expect(text).toContain('certificate-authority: certs/ca.crt');
    expect(text).toContain('current-context: ctx-b');
    expect(text.indexOf('apiVersion')).toBeLessThan(text.indexOf('clusters'));
    expect(loadKubeconfig({ kubeconfigEnv: `${a}:${b}` }).merged['current-context']).toBe('ctx-b');
    expect(stringifyKubeconfig({ kind: 'Config', apiVersion: 'v1' })).toBe('apiVersion: v1\nkind: Config\n');
  });
});
