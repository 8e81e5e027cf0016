/**
 * A small in-test Kubernetes-shaped API server (fastify over HTTPS, bearer token) for navctl and
 * client tests: discovery, CRUD with Status errors, resourceVersion conflicts, label/field
 * selectors, merge/JSON patches, dry run, the scale subresource, Tables and watch. It follows the
 * Kubernetes API as documented; it is a fake, so there are no controllers and no validation beyond
 * what the tests need.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildTable } from '@navarch/api';
import { type KubeObject, type ResourceInfo, WELL_KNOWN_RESOURCES } from '@navarch/client';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { removeTrackedDir, trackedTempDir } from '../helpers/registry.js';

/** Certificates for one test run: a CA and a server certificate for 127.0.0.1, as PEM text. */
export interface TestPki {
  dir: string;
  caCert: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  cleanup: () => void;
}

/** Creates a throwaway CA and a server certificate (SAN IP 127.0.0.1, DNS localhost) with openssl. */
export function createTestPki(): TestPki {
  const dir = trackedTempDir('navctl-pki-');
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=navctl-test-ca',
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  ]);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  ]);
  return {
    dir,
    caCert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    caFile: join(dir, 'ca.crt'),
    serverCert: readFileSync(join(dir, 'server.crt'), 'utf8'),
    serverKey: readFileSync(join(dir, 'server.key'), 'utf8'),
    cleanup: () => removeTrackedDir(dir),
  };
}

type Obj = KubeObject & { metadata: NonNullable<KubeObject['metadata']> };
type WatchListener = (type: string, object: Obj) => void;

interface Parsed {
  info: ResourceInfo;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

function status(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    ...(details ? { details } : {}),
  };
}

function qualified(info: ResourceInfo): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

function matchLabels(selector: string, labels: Record<string, string>): boolean {
  for (const term of selector
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t)) {
    let m = /^([^!=]+)!=(.*)$/.exec(term);
    if (m) {
      if (labels[m[1] as string] === m[2]) return false;
      continue;
    }
    m = /^([^=]+)==?(.*)$/.exec(term);
    if (m) {
      if (labels[m[1] as string] !== m[2]) return false;
      continue;
    }
    if (term.startsWith('!')) {
      if (term.slice(1) in labels) return false;
    } else if (!(term in labels)) return false;
  }
  return true;
}

function fieldValue(o: Obj, path: string): unknown {
  let v: unknown = o;
  for (const part of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
  return v;
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function jsonPatch(target: Obj, ops: Array<{ op: string; path: string; value?: unknown }>): Obj {
  const doc = structuredClone(target) as unknown as Record<string, unknown>;
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop() as string;
    let parent: Record<string, unknown> | unknown[] = doc;
    for (const p of parts) parent = (parent as Record<string, unknown>)[p] as Record<string, unknown>;
    if (Array.isArray(parent)) {
      const idx = last === '-' ? parent.length : Number(last);
      if (op.op === 'add') parent.splice(idx, 0, op.value);
      else if (op.op === 'replace') parent[idx] = op.value;
      else if (op.op === 'remove') parent.splice(idx, 1);
    } else if (op.op === 'add' || op.op === 'replace') parent[last] = op.value;
    else if (op.op === 'remove') delete parent[last];
  }
  return doc as unknown as Obj;
}

/** A running fake API server. */
export interface FakeApiServer {
  url: string;
  port: number;
  token: string;
  pki: TestPki;
  /** Objects by `resource/namespace/name` (namespace '' for cluster-scoped). */
  store: Map<string, Obj>;
  /** Requests seen, as `METHOD path?query` (for asserting what navctl sent). */
  requests: string[];
  /** Writes a kubeconfig pointing at this server and returns its path. */
  writeKubeconfig: (dir: string, extra?: { namespace?: string }) => string;
  close: () => Promise<void>;
}

/** Options of the fake: `tables` false makes it answer plain lists (a server without printing). */
export interface FakeOptions {
  tables?: boolean;
  token?: string;
}

/** Starts the fake on a free loopback port. */
export async function startFakeApiServer(options: FakeOptions = {}): Promise<FakeApiServer> {
  const pki = createTestPki();
  const token = options.token ?? 'test-token-123';
  const tables = options.tables ?? true;
  const store = new Map<string, Obj>();
  const requests: string[] = [];
  const listeners = new Set<{ info: ResourceInfo; ns: string | undefined; fn: WatchListener }>();
  const history: Array<{ rv: number; info: ResourceInfo; type: string; object: Obj }> = [];
  let revision = 100;
  let uid = 0;
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  const served = WELL_KNOWN_RESOURCES.filter(
    (r) =>
      ['', 'apps', 'autoscaling', 'networking.k8s.io', 'batch'].includes(r.group) &&
      r.resource !== 'bindings',
  );
  const key = (info: ResourceInfo, ns: string | undefined, name: string) =>
    `${info.resource}/${info.namespaced ? (ns ?? '') : ''}/${name}`;
  const emit = (info: ResourceInfo, type: string, object: Obj) => {
    history.push({
      rv: Number(object.metadata.resourceVersion),
      info,
      type,
      object: structuredClone(object),
    });
    for (const l of listeners) {
      if (l.info === info && (l.ns === undefined || l.ns === object.metadata.namespace)) l.fn(type, object);
    }
  };
  store.set(key(served.find((r) => r.resource === 'namespaces') as ResourceInfo, undefined, 'default'), {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'default', uid: 'ns-default', resourceVersion: '1', creationTimestamp: now() },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });

  const app: FastifyInstance = Fastify({
    https: { key: pki.serverKey, cert: pki.serverCert },
    logger: false,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const parse = (url: string): Parsed | undefined => {
    const path = url.split('?')[0] as string;
    const parts = path
      .split('/')
      .filter((p) => p)
      .map(decodeURIComponent);
    let group = '';
    let version: string | undefined;
    if (parts[0] === 'api') {
      version = parts[1];
      parts.splice(0, 2);
    } else if (parts[0] === 'apis') {
      group = parts[1] ?? '';
      version = parts[2];
      parts.splice(0, 3);
    } else return undefined;
    let namespace: string | undefined;
    if ((parts[0] as string) === 'namespaces' && parts.length >= 3) {
      namespace = parts[1];
      parts.splice(0, 2);
    }
    const info = served.find((r) => r.group === group && r.version === version && r.resource === parts[0]);
    if (!info) return undefined;
    return { info, namespace, name: parts[1], subresource: parts[2] };
  };

  const table = (req: FastifyRequest) => tables && /as=Table/.test(String(req.headers.accept ?? ''));
  const asTable = (info: ResourceInfo, objects: Obj[], rv: string) => {
    // The fake prints with the same printers as the real API server.
    const t = buildTable(info.kind, objects as never, { nowMs: Date.now(), includeObject: 'Metadata' });
    return { ...t, metadata: { resourceVersion: rv } };
  };

  app.addHook('onRequest', async (req, reply) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.headers.authorization !== `Bearer ${token}`) {
      await reply.code(401).send(status(401, 'Unauthorized', 'Unauthorized'));
    }
  });

  app.get('/version', async () => ({
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-fake',
    platform: 'linux/amd64',
  }));
  app.get('/api', async () => ({ kind: 'APIVersions', versions: ['v1'] }));
  app.get('/apis', async () => {
    const groups = [...new Set(served.filter((r) => r.group).map((r) => `${r.group}/${r.version}`))].map(
      (gv) => {
        const [name, version] = gv.split('/') as [string, string];
        return {
          name,
          versions: [{ groupVersion: gv, version }],
          preferredVersion: { groupVersion: gv, version },
        };
      },
    );
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  });
  const resourceList = (group: string, version: string, reply: FastifyReply) => {
    const list = served.filter((r) => r.group === group && r.version === version);
    if (list.length === 0)
      return reply
        .code(404)
        .send(status(404, 'NotFound', 'the server could not find the requested resource'));
    return {
      kind: 'APIResourceList',
      groupVersion: group ? `${group}/${version}` : version,
      resources: list.flatMap((r) => [
        {
          name: r.resource,
          singularName: r.singular,
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: r.verbs,
          shortNames: r.shortNames,
          categories: r.categories,
        },
        ...(r.resource === 'deployments'
          ? [
              {
                name: 'deployments/scale',
                namespaced: true,
                kind: 'Scale',
                group: 'autoscaling',
                version: 'v1',
                verbs: ['get', 'patch', 'update'],
              },
            ]
          : []),
      ]),
    };
  };
  app.get('/api/v1', async (_req, reply) => resourceList('', 'v1', reply));
  app.get<{ Params: { group: string; version: string } }>('/apis/:group/:version', async (req, reply) =>
    resourceList(req.params.group, req.params.version, reply),
  );

  const notFound = (info: ResourceInfo, name: string) =>
    status(404, 'NotFound', `${qualified(info)} "${name}" not found`, {
      name,
      group: info.group,
      kind: info.resource,
    });

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = parse(req.url);
    if (!p)
      return reply
        .code(404)
        .send(status(404, 'NotFound', 'the server could not find the requested resource'));
    const { info, name, subresource } = p;
    const ns = info.namespaced ? p.namespace : undefined;
    const query = req.query as Record<string, string | undefined>;
    const dryRun = query.dryRun === 'All';
    const body = typeof req.body === 'string' && req.body !== '' ? req.body : undefined;
    const existing = name !== undefined ? store.get(key(info, ns, name)) : undefined;

    if (req.method === 'GET' && name === undefined) {
      const items = [...store.values()].filter((o) => {
        if (o.kind !== info.kind || (info.group && !String(o.apiVersion).startsWith(info.group)))
          return false;
        if (ns !== undefined && o.metadata.namespace !== ns) return false;
        if (query.labelSelector && !matchLabels(query.labelSelector, o.metadata.labels ?? {})) return false;
        for (const term of (query.fieldSelector ?? '').split(',').filter((t) => t)) {
          const [field, value] = term.split('=') as [string, string];
          if (String(fieldValue(o, field) ?? '') !== value) return false;
        }
        return true;
      });
      items.sort((a, b) =>
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace}/${b.metadata.name}`,
        ),
      );
      if (query.watch === 'true' || query.watch === '1') {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        reply.raw.flushHeaders();
        const send = (type: string, object: Obj) => {
          if (
            query.fieldSelector?.startsWith('metadata.name=') &&
            object.metadata.name !== query.fieldSelector.slice(14)
          )
            return;
          const payload = table(req)
            ? asTable(info, [object], String(object.metadata.resourceVersion))
            : object;
          reply.raw.write(`${JSON.stringify({ type, object: payload })}\n`);
        };
        const from = query.resourceVersion ? Number(query.resourceVersion) : undefined;
        if (from === undefined) for (const o of items) send('ADDED', o);
        else
          for (const h of history)
            if (h.rv > from && h.info === info && (ns === undefined || h.object.metadata.namespace === ns))
              send(h.type, h.object);
        const listener = { info, ns, fn: send };
        listeners.add(listener);
        req.raw.on('close', () => listeners.delete(listener));
        return reply;
      }
      if (table(req))
        return reply
          .type('application/json;as=Table;v=v1;g=meta.k8s.io')
          .send(asTable(info, items, String(revision)));
      return {
        kind: `${info.kind}List`,
        apiVersion: info.group ? `${info.group}/${info.version}` : info.version,
        metadata: { resourceVersion: String(revision) },
        items,
      };
    }
    if (name === undefined && req.method !== 'POST')
      return reply
        .code(405)
        .send(
          status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
        );

    if (req.method === 'POST') {
      const object = JSON.parse(body ?? '{}') as Obj;
      object.metadata ??= {} as Obj['metadata'];
      const objName = object.metadata.name ?? '';
      if (info.namespaced) {
        const nsName = ns ?? 'default';
        if (!store.has(`namespaces//${nsName}`))
          return reply.code(404).send(
            status(404, 'NotFound', `namespaces "${nsName}" not found`, {
              name: nsName,
              kind: 'namespaces',
            }),
          );
        object.metadata.namespace = nsName;
      }
      if (!objName)
        return reply
          .code(422)
          .send(
            status(
              422,
              'Invalid',
              `${info.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
            ),
          );
      if (store.has(key(info, ns, objName))) {
        return reply.code(409).send(
          status(409, 'AlreadyExists', `${qualified(info)} "${objName}" already exists`, {
            name: objName,
            group: info.group,
            kind: info.resource,
          }),
        );
      }
      object.apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
      object.kind = info.kind;
      object.metadata.uid = `uid-${++uid}`;
      object.metadata.creationTimestamp = now();
      object.metadata.generation = 1;
      if (info.resource === 'namespaces') object.status = { phase: 'Active' };
      if (dryRun) return reply.code(201).send(object);
      object.metadata.resourceVersion = String(++revision);
      store.set(key(info, ns, objName), object);
      emit(info, 'ADDED', object);
      return reply.code(201).send(object);
    }
    if (!existing) return reply.code(404).send(notFound(info, name as string));
    if (req.method === 'GET') {
      if (subresource === 'scale') {
        return {
          kind: 'Scale',
          apiVersion: 'autoscaling/v1',
          metadata: { name, namespace: ns },
          spec: { replicas: (existing.spec as { replicas?: number })?.replicas ?? 1 },
        };
      }
      if (table(req))
        return reply
          .type('application/json;as=Table;v=v1;g=meta.k8s.io')
          .send(asTable(info, [existing], String(existing.metadata.resourceVersion)));
      return existing;
    }
    const store1 = (updated: Obj) => {
      updated.metadata = {
        ...updated.metadata,
        uid: existing.metadata.uid,
        creationTimestamp: existing.metadata.creationTimestamp,
      } as Obj['metadata'];
      if (JSON.stringify(updated.spec) !== JSON.stringify(existing.spec))
        updated.metadata.generation = (existing.metadata.generation ?? 1) + 1;
      if (dryRun) return updated;
      updated.metadata.resourceVersion = String(++revision);
      store.set(key(info, ns, name as string), updated);
      emit(info, 'MODIFIED', updated);
      return updated;
    };
    if (req.method === 'PUT') {
      const object = JSON.parse(body ?? '{}') as Obj;
      const rv = object.metadata?.resourceVersion;
      if (rv !== undefined && rv !== existing.metadata.resourceVersion) {
        return reply
          .code(409)
          .send(
            status(
              409,
              'Conflict',
              `Operation cannot be fulfilled on ${qualified(info)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
              { name, group: info.group, kind: info.resource },
            ),
          );
      }
      return store1({ ...object, apiVersion: existing.apiVersion, kind: existing.kind } as Obj);
    }
    if (req.method === 'PATCH') {
      const type = String(req.headers['content-type'] ?? '');
      let patched: Obj;
      try {
        const patch = JSON.parse(body ?? '{}') as unknown;
        if (subresource === 'scale') {
          const replicas = (patch as { spec?: { replicas?: number } }).spec?.replicas;
          patched = mergePatch(existing, { spec: { replicas } }) as Obj;
          store1(patched);
          return {
            kind: 'Scale',
            apiVersion: 'autoscaling/v1',
            metadata: { name, namespace: ns },
            spec: { replicas },
          };
        }
        if (type.startsWith('application/json-patch+json')) patched = jsonPatch(existing, patch as never);
        else if (
          type.startsWith('application/merge-patch+json') ||
          type.startsWith('application/strategic-merge-patch+json')
        )
          patched = mergePatch(existing, patch) as Obj;
        else
          return reply
            .code(415)
            .send(
              status(
                415,
                'UnsupportedMediaType',
                `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json`,
              ),
            );
      } catch (err) {
        return reply
          .code(400)
          .send(status(400, 'BadRequest', `error decoding patch: ${(err as Error).message}`));
      }
      if (JSON.stringify(patched) === JSON.stringify(existing)) return existing;
      return store1(patched);
    }
    if (req.method === 'DELETE') {
      if (dryRun) return existing;
      store.delete(key(info, ns, name as string));
      if (info.resource === 'namespaces') {
        for (const [k, o] of store) if (o.metadata.namespace === name) store.delete(k);
      }
      const deleted = {
        ...existing,
        metadata: { ...existing.metadata, resourceVersion: String(++revision) },
      };
      emit(info, 'DELETED', deleted);
      return {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, group: info.group, kind: info.resource, uid: existing.metadata.uid },
      };
    }
    return reply
      .code(405)
      .send(
        status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
      );
  };
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/api/v1/*', handler });
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/apis/:group/:version/*', handler });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  return {
    url,
    port,
    token,
    pki,
    store,
    requests,
    writeKubeconfig: (dir, extra = {}) => {
      const path = join(dir, 'config');
      writeFileSync(
        path,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters:',
          '- name: fake',
          '  cluster:',
          `    server: ${url}`,
          `    certificate-authority-data: ${Buffer.from(pki.caCert).toString('base64')}`,
          'users:',
          '- name: admin',
          '  user:',
          `    token: ${token}`,
          'contexts:',
          '- name: fake',
          '  context:',
          '    cluster: fake',
          '    user: admin',
          ...(extra.namespace ? [`    namespace: ${extra.namespace}`] : []),
          'current-context: fake',
          '',
        ].join('\n'),
      );
      return path;
    },
    close: async () => {
      listeners.clear();
      await app.close();
      pki.cleanup();
    },
  };
}
