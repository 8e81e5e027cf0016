/**
 * The REST client against the in-test API server: TLS with the kubeconfig's CA, bearer token,
 * typed Status errors, CRUD, discovery (cached per client), watch with resume, and the
 * connection errors users see.
 */
import {
  ConnectionError,
  KubeClient,
  type ResourceInfo,
  type RestConfig,
  StatusError,
  UnknownResourceError,
  WELL_KNOWN_RESOURCES,
} from '@navarch/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FakeApiServer, startFakeApiServer } from '../../../test/cli/fake-apiserver.js';

let fake: FakeApiServer;
let client: KubeClient;
const configmaps = WELL_KNOWN_RESOURCES.find((r) => r.resource === 'configmaps') as ResourceInfo;

function config(overrides: Partial<RestConfig> = {}): RestConfig {
  return {
    server: fake.url,
    caData: fake.pki.caCert,
    token: fake.token,
    insecureSkipTlsVerify: false,
    namespace: 'default',
    namespaceExplicit: false,
    contextName: 'test',
    ...overrides,
  };
}

beforeAll(async () => {
  fake = await startFakeApiServer();
  client = new KubeClient(config());
});

afterAll(async () => {
  await client?.close();
  await fake?.close();
});

describe('requests', () => {
  test('CRUD with typed Status errors', async () => {
    const created = await client.create(configmaps, 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'one' },
      data: { a: '1' },
    });
    expect(created.metadata?.resourceVersion).toBeDefined();
    const err = await client
      .create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect(err).toMatchObject({
      httpStatus: 409,
      reason: 'AlreadyExists',
      code: 'NAVARCH_ERR_API_STATUS',
      message: 'configmaps "one" already exists',
    });
    const stale = { ...created, metadata: { ...created.metadata, resourceVersion: '1' } };
    await expect(client.update(configmaps, 'default', stale)).rejects.toMatchObject({
      httpStatus: 409,
      reason: 'Conflict',
    });
    const patched = await client.patch(configmaps, 'default', 'one', 'merge', { data: { b: '2' } });
    expect(patched.data).toEqual({ a: '1', b: '2' });
    expect((await client.list(configmaps, 'default', { labelSelector: 'none=here' })).items).toEqual([]);
    expect(await client.getIfExists(configmaps, 'default', 'nope')).toBeUndefined();
    await client.delete(configmaps, 'default', 'one');
    await expect(client.get(configmaps, 'default', 'one')).rejects.toMatchObject({
      reason: 'NotFound',
      message: 'configmaps "one" not found',
    });
  });

  test('server dry run changes nothing', async () => {
    await client.create(
      configmaps,
      'default',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } },
      { dryRun: true },
    );
    expect(await client.getIfExists(configmaps, 'default', 'dry')).toBeUndefined();
  });

  test('a wrong token is Unauthorized; an unknown CA fails TLS; a closed port is refused', async () => {
    const wrong = new KubeClient(config({ token: 'nope' }));
    await expect(wrong.list(configmaps, 'default')).rejects.toMatchObject({
      httpStatus: 401,
      reason: 'Unauthorized',
    });
    await wrong.close();
    const untrusted = new KubeClient(config({ caData: undefined as never }));
    const tls = await untrusted.list(configmaps, 'default').catch((e: unknown) => e);
    expect(tls).toBeInstanceOf(ConnectionError);
    expect(tls).toMatchObject({ kind: 'tls', server: fake.url });
    await untrusted.close();
    const insecure = new KubeClient(config({ insecureSkipTlsVerify: true }));
    expect((await insecure.list(configmaps, 'default')).items).toBeDefined();
    await insecure.close();
    const closed = new KubeClient(config({ server: 'https://127.0.0.1:1' }));
    const refused = await closed.list(configmaps, 'default').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectionError);
    expect((refused as Error).message).toBe(
      'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?',
    );
    expect(refused).toMatchObject({ code: 'NAVARCH_ERR_CONNECTION_REFUSED' });
    await closed.close();
  });
});

describe('discovery', () => {
  test('resolves short names, kinds and groups, and caches per client', async () => {
    const fresh = new KubeClient(config());
    const before = fake.requests.length;
    const all = await fresh.discovery.resources();
    expect(all.find((r) => r.resource === 'deployments')).toMatchObject({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      shortNames: ['deploy'],
    });
    expect(all.some((r) => r.resource.includes('/'))).toBe(false);
    const used = fake.requests.length - before;
    await fresh.discovery.resources();
    expect(fake.requests.length - before).toBe(used);
    expect((await fresh.discovery.resolve('deploy', { discover: true })).resource).toBe('deployments');
    expect((await fresh.discovery.resolve('deployments.apps')).group).toBe('apps');
    expect((await fresh.discovery.resolve('ev')).group).toBe('');
    await expect(fresh.discovery.resolve('widgets')).rejects.toBeInstanceOf(UnknownResourceError);
    expect((await fresh.discovery.serverVersion()).gitVersion).toBe('v1.32.0-fake');
    await fresh.close();
  });
});

describe('watch', () => {
  test('streams events in order and resumes from a resourceVersion', async () => {
    const list = await client.list(configmaps, 'default');
    const from = list.metadata?.resourceVersion;
    const controller = new AbortController();
    const stream = await client.watch(configmaps, 'default', {
      ...(from ? { resourceVersion: from } : {}),
      signal: controller.signal,
    });
    await client.create(configmaps, 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'w1' },
    });
    await client.patch(configmaps, 'default', 'w1', 'merge', { data: { x: '1' } });
    await client.delete(configmaps, 'default', 'w1');
    const seen: string[] = [];
    let lastVersion = '';
    for await (const event of stream) {
      seen.push(`${event.type} ${event.object.metadata?.name}`);
      if (seen.length === 2) lastVersion = event.object.metadata?.resourceVersion ?? '';
      if (seen.length === 3) break;
    }
    controller.abort();
    expect(seen).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    // Resuming after the MODIFIED event replays only what came after it.
    const resumed = await client.watch(configmaps, 'default', { resourceVersion: lastVersion });
    for await (const event of resumed) {
      expect(`${event.type} ${event.object.metadata?.name}`).toBe('DELETED w1');
      break;
    }
  });
});
