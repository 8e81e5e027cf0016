/**
 * The HTTPS API server: authentication, the REST routes over the registry, watch, discovery,
 * OpenAPI, health and metrics. `ApiServer` is a component with `start(signal)` and `ready`.
 */

import { randomBytes } from 'node:crypto';
import { FieldSelectorError, LabelSelectorError, parseFieldSelector, parseSelector } from '@navarch/api';
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import { parseCidr, parsePortRange, ServiceAllocator } from './allocator.js';
import {
  AUTHORIZATION_GROUP,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV2Protobuf,
  openApiV3GroupVersion,
  openApiV3Index,
  versionInfo,
} from './discovery.js';
import {
  ApiError,
  badRequest,
  internalError,
  methodNotAllowed,
  notFound,
  tooLarge,
  unauthorized,
  unsupportedMediaType,
} from './errors.js';
import { ApiServerMetrics } from './metrics.js';
import type { KubeObject } from './objects.js';
import type { TokenAuthenticator } from './pki.js';
import { decodeKubernetesProtobuf } from './protobuf.js';
import { type DeleteOptions, type ListOptions, type PatchType, Registry } from './registry.js';
import {
  boolParam,
  intParam,
  type ParsedPath,
  parseRequestTarget,
  parseResourcePath,
  type ResourcePath,
} from './request.js';
import {
  apiVersionOf,
  findResource,
  objectKey,
  RESOURCES,
  type ResourceInfo,
  storagePrefix,
} from './resources.js';
import { toScale, updateScale } from './scale.js';
import { CompactedError, type KvStore } from './storage.js';
import { type IncludeObject, toTable } from './tables.js';
import { WatchCache } from './watch-cache.js';
import { HttpWatcher } from './watch-http.js';

/** Everything the API server is configured with; limits carry their unit. */
export interface ApiServerConfig {
  readonly kv: KvStore;
  readonly log: Logger;
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly authenticator: TokenAuthenticator;
  readonly serviceClusterIpRange: string;
  readonly serviceNodePortRange: string;
  /** Events kept per resource for resuming watches. */
  readonly watchCacheSize: number;
  /** Events queued per slow watcher before it is closed. */
  readonly watcherBufferMaxBytes: number;
  readonly maxRequestBodyBytes: number;
  readonly bookmarkIntervalMs: number;
  /** Longest watch when the client gives no timeoutSeconds. */
  readonly maxWatchTimeoutMs: number;
  /** How often the namespace finalizer looks for terminating namespaces. */
  readonly namespaceSyncIntervalMs: number;
  /**
   * How often the store's history is compacted, to the revision seen one interval earlier (as
   * Kubernetes' apiserver does every 5 minutes), so the store's memory and disk stay bounded
   * while watchers keep at least one interval to resume. 0 turns it off.
   */
  readonly compactionIntervalMs?: number;
  /** Other components' registries (the embedded store) served on the same /metrics. */
  readonly extraMetrics?: readonly MetricsRegistry[];
}

/** Sensible defaults for the tunables. */
export const DEFAULT_API_SERVER_LIMITS = {
  serviceClusterIpRange: '10.96.0.0/12',
  serviceNodePortRange: '30000-32767',
  watchCacheSize: 10_000,
  watcherBufferMaxBytes: 16 * 1024 * 1024,
  maxRequestBodyBytes: 3 * 1024 * 1024,
  bookmarkIntervalMs: 60_000,
  maxWatchTimeoutMs: 30 * 60_000,
  namespaceSyncIntervalMs: 1_000,
  compactionIntervalMs: 5 * 60_000,
} as const;

type Query = Record<string, string | undefined>;

function createApp(config: ApiServerConfig) {
  // Request ids: a random prefix per process and a counter, rather than random bytes per request.
  const reqIdPrefix = randomBytes(4).toString('hex');
  let reqCount = 0;
  return Fastify({
    loggerInstance: config.log,
    // Requests are logged once, with the Kubernetes verb and resource and the request id, by the
    // onResponse hook; a pino child logger per request would cost more than the log line.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
    bodyLimit: config.maxRequestBodyBytes,
    https: { key: config.tls.keyPem, cert: config.tls.certPem },
    genReqId: () => `${reqIdPrefix}-${(reqCount++).toString(36)}`,
    routerOptions: { ignoreTrailingSlash: true },
  });
}

interface RequestInfo {
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  start: bigint;
  longRunning: boolean;
  mutating: boolean;
}

const requestInfo = new WeakMap<FastifyRequest, RequestInfo>();
const publicPaths = new Set(['/healthz', '/livez', '/readyz', '/version']);

function acceptsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept);
}

function includeObjectParam(query: Query): IncludeObject {
  const v = query.includeObject;
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function patchTypeOf(contentType: string): PatchType {
  const ct = contentType.split(';')[0]!.trim();
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  if (ct === 'application/json-patch+json') return 'json';
  if (ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+json') return 'apply';
  throw unsupportedMediaType(contentType);
}

function parseJsonBody(body: unknown, required: boolean): unknown {
  if (!Buffer.isBuffer(body) || body.length === 0) {
    if (required) throw badRequest('the request body is empty');
    return undefined;
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(
      `the request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** The Kubernetes-compatible API server. */
export class ApiServer {
  readonly metrics = new ApiServerMetrics();
  readonly registry: Registry;
  readonly allocator: ServiceAllocator;
  private readonly caches = new Map<string, WatchCache>();
  private readonly app: ReturnType<typeof createApp>;
  private readonly watchers = new Set<HttpWatcher>();
  private isReady = false;
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;
  /** Resolves when the caches are loaded, bootstrap objects exist and the port listens. */
  readonly ready: Promise<void>;
  private boundPort = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly config: ApiServerConfig) {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    this.allocator = new ServiceAllocator(
      config.kv,
      parseCidr(config.serviceClusterIpRange),
      parsePortRange(config.serviceNodePortRange),
    );
    for (const r of RESOURCES) {
      const prefix = storagePrefix(r);
      if (!this.caches.has(prefix))
        this.caches.set(
          prefix,
          new WatchCache(config.kv, prefix, { historySize: config.watchCacheSize, log: config.log }),
        );
    }
    const namespaces = findResource('', 'v1', 'namespaces')!;
    const namespaceCache = this.cacheFor(namespaces);
    this.registry = new Registry(config.kv, this.allocator, config.log, (name) =>
      namespaceCache.lookup(objectKey(namespaces, undefined, name)),
    );
    this.app = createApp(config);
    this.routes();
  }

  /** The port the server listens on (after ready). */
  get port(): number {
    return this.boundPort;
  }

  /** Starts caches, bootstrap and the listener; stops everything when `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    try {
      await Promise.all([...this.caches.values()].map((c) => c.start()));
      await this.bootstrap();
      await this.app.listen({ host: this.config.host, port: this.config.port });
      const address = this.app.server.address();
      this.boundPort = typeof address === 'object' && address ? address.port : this.config.port;
      this.timers.push(setInterval(() => this.updateGauges(), 5_000));
      this.timers.push(setInterval(() => void this.syncNamespaces(), this.config.namespaceSyncIntervalMs));
      const compactionIntervalMs =
        this.config.compactionIntervalMs ?? DEFAULT_API_SERVER_LIMITS.compactionIntervalMs;
      if (compactionIntervalMs > 0) {
        this.timers.push(setInterval(() => void this.compactHistory(), compactionIntervalMs));
      }
      this.isReady = true;
      this.resolveReady();
    } catch (err) {
      this.rejectReady(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  /** Closes watches, the listener and the caches. */
  async stop(): Promise<void> {
    this.isReady = false;
    for (const t of this.timers) clearInterval(t);
    for (const w of this.watchers) w.close();
    await this.app.close().catch(() => undefined);
    await Promise.all([...this.caches.values()].map((c) => c.stop()));
  }

  private cacheFor(r: ResourceInfo): WatchCache {
    return this.caches.get(storagePrefix(r))!;
  }

  private updateGauges(): void {
    let buffered = 0;
    for (const w of this.watchers) buffered += w.bufferedBytes;
    this.metrics.watchBufferedBytes.set(buffered);
    for (const r of RESOURCES) {
      const c = this.cacheFor(r);
      this.metrics.storageObjects.set(
        { resource: r.group === '' ? r.plural : `${r.plural}.${r.group}` },
        c.size,
      );
      this.metrics.watchCacheEvents.set(
        { resource: r.group === '' ? r.plural : `${r.plural}.${r.group}` },
        c.historyLength,
      );
    }
  }

  private async bootstrap(): Promise<void> {
    const ns = findResource('', 'v1', 'namespaces')!;
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await this.registry.ensure(ns, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    const svc = findResource('', 'v1', 'services')!;
    const port = this.config.port === 0 ? 6443 : this.config.port;
    await this.registry.ensure(svc, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: {
        type: 'ClusterIP',
        clusterIP: this.allocator.apiServiceIp,
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
      },
    });
  }

  /** The store revision seen at the previous compaction tick; the next tick compacts up to it. */
  private revisionSeenAtLastTick = 0;

  /**
   * Compacts the store's history to the revision seen one interval ago. Several servers of one
   * cluster may all do it: a compaction to a revision already compacted is refused and ignored.
   */
  private async compactHistory(): Promise<void> {
    try {
      const target = this.revisionSeenAtLastTick;
      this.revisionSeenAtLastTick = await this.config.kv.currentRevision();
      if (target <= 1) return;
      await this.config.kv.compact(target);
      this.config.log.info({ revision: target }, 'compacted store history');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Another server of the cluster compacted first (the etcd client reports etcd's message).
      if (err instanceof CompactedError || message.includes('required revision has been compacted')) return;
      this.config.log.warn({ err: message }, 'store compaction failed');
    }
  }

  /** Finishes terminating namespaces: deletes their contents, then the namespace. */
  private async syncNamespaces(): Promise<void> {
    const ns = findResource('', 'v1', 'namespaces')!;
    for (const obj of this.cacheFor(ns).snapshot()) {
      if (obj.metadata.deletionTimestamp === undefined) continue;
      try {
        const done = await this.registry.finalizeNamespace(obj.metadata.name ?? '', RESOURCES);
        if (done) this.config.log.info({ namespace: obj.metadata.name }, 'namespace deleted');
      } catch (err) {
        this.config.log.warn(
          { err, namespace: obj.metadata.name },
          'namespace finalization failed; will retry',
        );
      }
    }
  }

  private routes(): void {
    const app = this.app;
    app.removeAllContentTypeParsers();
    const rawBody = (_req: FastifyRequest, body: Buffer, done: (err: null, body: Buffer) => void) =>
      done(null, body);
    // Every body is read raw and decoded by the handler. The media types clients send are named
    // too: fastify caches the parser of a named type per header value, while a request that only
    // the catch-all matches has its Content-Type parsed again every time.
    app.addContentTypeParser(
      [
        'application/json',
        'application/merge-patch+json',
        'application/strategic-merge-patch+json',
        'application/json-patch+json',
        'application/apply-patch+yaml',
        'application/vnd.kubernetes.protobuf',
      ],
      { parseAs: 'buffer' },
      rawBody,
    );
    app.addContentTypeParser('*', { parseAs: 'buffer' }, rawBody);

    // Callback hooks: an async hook costs a promise and a microtask hop per request.
    app.addHook('onRequest', (req, reply, done) => {
      const query = req.url.indexOf('?');
      const path = query < 0 ? req.url : req.url.slice(0, query);
      requestInfo.set(req, {
        verb: req.method,
        group: '',
        version: '',
        resource: '',
        subresource: '',
        start: process.hrtime.bigint(),
        longRunning: false,
        mutating: req.method !== 'GET',
      });
      this.metrics.inflight.inc({ request_kind: req.method === 'GET' ? 'readOnly' : 'mutating' });
      if (publicPaths.has(path) || this.config.authenticator.authenticate(req.headers.authorization)) {
        done();
        return;
      }
      // Answered here: not calling done() ends the hook chain, as fastify documents.
      const err = unauthorized();
      reply.code(err.httpCode).type('application/json').send(err.toStatus());
    });
    app.addHook('onResponse', (req, reply, done) => {
      const info = requestInfo.get(req);
      if (info) this.finishRequest(req, info, reply.statusCode);
      done();
    });

    app.setErrorHandler(async (err: unknown, req, reply) => {
      await this.sendError(reply, this.toApiError(err, req));
    });
    app.setNotFoundHandler(async (req, reply) => {
      await this.sendError(reply, notFound('', '', req.url.split('?')[0] ?? ''));
    });

    app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok'));
    app.get('/livez', async (_req, reply) => reply.type('text/plain').send('ok'));
    app.get('/readyz', async (_req, reply) => {
      if (this.isReady) return reply.type('text/plain').send('ok');
      return reply.code(500).type('text/plain').send('not ready');
    });
    app.get('/version', async () => versionInfo());
    app.get('/metrics', async (_req, reply) => {
      this.updateGauges();
      const texts = [await this.metrics.registry.metrics()];
      for (const r of this.config.extraMetrics ?? []) texts.push(await r.metrics());
      return reply.type(this.metrics.registry.contentType).send(texts.join('\n'));
    });
    app.get('/api', async (req) => apiVersions(`${req.hostname}`));
    app.get('/apis', async () => apiGroupList());
    app.get('/openapi/v2', async (_req, reply) =>
      reply.type('application/com.github.proto-openapi.spec.v2@v1.0+protobuf').send(openApiV2Protobuf()),
    );
    app.get('/openapi/v3', async () => openApiV3Index());
    app.get('/openapi/v3/*', async (req) => {
      const rest = (req.params as { '*': string })['*'].split('?')[0] ?? '';
      const parts = rest.split('/');
      const doc =
        parts[0] === 'api'
          ? openApiV3GroupVersion('', parts[1] ?? '')
          : openApiV3GroupVersion(parts[1] ?? '', parts[2] ?? '');
      if (!doc) throw notFound('', '', `/openapi/v3/${rest}`);
      return doc;
    });
    const handler = async (req: FastifyRequest, reply: FastifyReply) => this.handleResource(req, reply);
    app.all('/api/*', handler);
    app.all('/apis/*', handler);
  }

  private finishRequest(req: FastifyRequest, info: RequestInfo, code: number): void {
    requestInfo.delete(req);
    if (!info.longRunning)
      this.metrics.inflight.dec({ request_kind: info.mutating ? 'mutating' : 'readOnly' });
    const labels = {
      verb: info.verb,
      group: info.group,
      version: info.version,
      resource: info.resource,
      subresource: info.subresource,
    };
    this.metrics.requests.inc({ ...labels, code: String(code) });
    const seconds = Number(process.hrtime.bigint() - info.start) / 1e9;
    if (!info.longRunning) this.metrics.duration.observe(labels, seconds);
    const level = code >= 500 ? 'warn' : 'debug';
    if (!this.config.log.isLevelEnabled(level)) return;
    this.config.log[level](
      { reqId: req.id, verb: info.verb, path: req.url, code, durationMs: Math.round(seconds * 1000) },
      'request',
    );
  }

  private toApiError(err: unknown, req: FastifyRequest): ApiError {
    if (err instanceof ApiError) return err;
    // @navarch/api's selector parsers throw typed errors; a bad selector is the client's fault.
    if (err instanceof LabelSelectorError || err instanceof FieldSelectorError)
      return badRequest(err.message);
    const code = (err as { code?: string }).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge(this.config.maxRequestBodyBytes);
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return unsupportedMediaType(String(req.headers['content-type']));
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500)
      return badRequest(err instanceof Error ? err.message : String(err));
    this.config.log.error({ err, reqId: req.id, path: req.url }, 'request failed');
    return internalError(err instanceof Error ? err.message : String(err));
  }

  private async sendError(reply: FastifyReply, err: ApiError): Promise<void> {
    await reply.code(err.httpCode).type('application/json').send(err.toStatus());
  }

  /** List options from the query; selectors use `r`'s selectable fields, as Kubernetes does. */
  private listOptions(r: ResourceInfo, query: Query): ListOptions {
    return {
      limit: intParam(query, 'limit') ?? 0,
      continueToken: query.continue || undefined,
      labels: parseSelector(query.labelSelector ?? ''),
      fields: parseFieldSelector(query.fieldSelector ?? '', r.kind),
    };
  }

  private async handleResource(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const url = parseRequestTarget(req.url);
    const query = url.query;
    if (
      url.pathname === `/apis/${AUTHORIZATION_GROUP}/v1/selfsubjectaccessreviews` &&
      req.method === 'POST'
    ) {
      // Every token is a cluster admin today (no RBAC yet): everything is allowed.
      // kubectl posts it in protobuf; the answer does not depend on the body, so only JSON is echoed.
      const isJson = String(req.headers['content-type'] ?? '').includes('json');
      const review = (isJson ? parseJsonBody(req.body, true) : {}) as Record<string, unknown>;
      return reply.code(201).send({
        ...review,
        apiVersion: `${AUTHORIZATION_GROUP}/v1`,
        kind: 'SelfSubjectAccessReview',
        status: {
          allowed: true,
          reason: 'navarch: every authenticated token is a cluster admin (no RBAC yet)',
        },
      });
    }
    const parsed: ParsedPath = parseResourcePath(url.pathname);
    if (parsed.kind === 'group') {
      const doc = apiGroup(parsed.group);
      if (!doc || req.method !== 'GET') throw notFound('', parsed.group, parsed.group);
      return doc;
    }
    if (parsed.kind === 'groupVersion') {
      const doc = apiResourceList(parsed.group, parsed.version);
      if (!doc || req.method !== 'GET') throw notFound('', parsed.group, `${parsed.group}/${parsed.version}`);
      return doc;
    }
    const p = parsed.path;
    const r = p.resource;
    const info = requestInfo.get(req);
    const isWatch = p.watchPath || boolParam(query, 'watch');
    const verb = this.verbOf(req.method, p, isWatch);
    if (info)
      Object.assign(info, {
        verb,
        group: r.group,
        version: r.version,
        resource: r.plural,
        subresource: p.subresource ?? '',
      });
    const contentType = String(req.headers['content-type'] ?? '');
    if (contentType.includes('cbor')) throw unsupportedMediaType(contentType);
    const protobuf = contentType.includes('application/vnd.kubernetes.protobuf');
    if (protobuf && req.method !== 'POST' && req.method !== 'PUT') throw unsupportedMediaType(contentType);
    const readBody = (): unknown =>
      protobuf && Buffer.isBuffer(req.body)
        ? decodeKubernetesProtobuf(req.body, contentType)
        : parseJsonBody(req.body, true);
    const dryRun = query.dryRun === 'All';
    const ns = r.namespaced ? p.namespace : undefined;
    if (r.namespaced && p.name !== undefined && ns === undefined) throw notFound(r.plural, r.group, p.name);
    switch (verb) {
      case 'GET': {
        if (p.subresource === 'scale') return toScale(await this.registry.get(r, ns, p.name!));
        const obj = await this.registry.get(r, ns, p.name!);
        if (acceptsTable(req.headers.accept))
          return this.sendTable(reply, r, [obj], { resourceVersion: obj.metadata.resourceVersion }, query);
        return obj;
      }
      case 'LIST': {
        const page = await this.registry.list(r, ns, this.listOptions(r, query));
        const meta: Record<string, unknown> = { resourceVersion: String(page.revision) };
        if (page.continueToken) meta.continue = page.continueToken;
        if (acceptsTable(req.headers.accept)) return this.sendTable(reply, r, page.items, meta, query);
        return { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: meta, items: page.items };
      }
      case 'WATCH':
        return this.serveWatch(req, reply, r, ns, query, info);
      case 'POST': {
        if (p.name !== undefined) throw methodNotAllowed(`POST is not supported on ${r.plural}/${p.name}`);
        const obj = await this.registry.create(r, ns, readBody(), dryRun);
        return reply.code(201).send(obj);
      }
      case 'PUT': {
        const body = readBody();
        if (p.subresource === 'scale')
          return updateScale(this.registry, r, ns, p.name!, () => body as KubeObject, dryRun);
        return this.registry.update(r, ns, p.name!, body, p.subresource, dryRun);
      }
      case 'PATCH': {
        const type = patchTypeOf(String(req.headers['content-type'] ?? ''));
        const patch = parseJsonBody(req.body, true);
        if (p.subresource === 'scale') {
          return updateScale(
            this.registry,
            r,
            ns,
            p.name!,
            (current) => Registry.applyPatch(current, type, patch),
            dryRun,
          );
        }
        return this.registry.patch(r, ns, p.name!, type, patch, p.subresource, dryRun);
      }
      case 'DELETE': {
        const options = this.deleteOptions(req, query);
        const res = await this.registry.delete(r, ns, p.name!, options);
        // Like Kubernetes: 200 even when deletion is graceful (pods, namespaces, finalizers);
        // 202 only when a foreground cascade was asked for and the object is still there.
        const accepted = !res.removed && options.propagationPolicy === 'Foreground';
        return reply.code(accepted ? 202 : 200).send(res.object);
      }
      case 'DELETECOLLECTION': {
        const items = await this.registry.deleteCollection(
          r,
          ns,
          this.listOptions(r, query),
          this.deleteOptions(req, query),
        );
        return { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: {}, items };
      }
      default:
        throw methodNotAllowed(`${req.method} is not supported`);
    }
  }

  private verbOf(method: string, p: ResourcePath, isWatch: boolean): string {
    switch (method) {
      case 'GET':
        if (p.name !== undefined) return 'GET';
        return isWatch ? 'WATCH' : 'LIST';
      case 'POST':
        return 'POST';
      case 'PUT':
        return p.name === undefined ? 'INVALID' : 'PUT';
      case 'PATCH':
        return p.name === undefined ? 'INVALID' : 'PATCH';
      case 'DELETE':
        return p.name === undefined ? 'DELETECOLLECTION' : 'DELETE';
      default:
        return 'INVALID';
    }
  }

  private deleteOptions(req: FastifyRequest, query: Query): DeleteOptions {
    const body = (parseJsonBody(req.body, false) ?? {}) as Record<string, unknown>;
    const grace =
      intParam(query, 'gracePeriodSeconds') ??
      (typeof body.gracePeriodSeconds === 'number' ? body.gracePeriodSeconds : undefined);
    const policy =
      query.propagationPolicy ??
      (typeof body.propagationPolicy === 'string' ? body.propagationPolicy : undefined);
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw badRequest(`invalid propagationPolicy "${policy}": must be Orphan, Background or Foreground`);
    }
    const dryRun = query.dryRun === 'All' || (Array.isArray(body.dryRun) && body.dryRun.includes('All'));
    return {
      gracePeriodSeconds: grace,
      propagationPolicy: policy,
      preconditions: body.preconditions as DeleteOptions['preconditions'],
      dryRun,
    };
  }

  private sendTable(
    reply: FastifyReply,
    r: ResourceInfo,
    objects: KubeObject[],
    meta: Record<string, unknown>,
    query: Query,
  ): FastifyReply {
    return reply
      .type('application/json;as=Table;v=v1;g=meta.k8s.io')
      .send(toTable(r.kind, objects, includeObjectParam(query), meta));
  }

  private async serveWatch(
    req: FastifyRequest,
    reply: FastifyReply,
    r: ResourceInfo,
    ns: string | undefined,
    query: Query,
    info: RequestInfo | undefined,
  ): Promise<void> {
    const list = this.listOptions(r, query);
    const rv = query.resourceVersion;
    const fromRevision = rv === undefined || rv === '' || rv === '0' ? undefined : Number(rv);
    if (fromRevision !== undefined && (!Number.isInteger(fromRevision) || fromRevision < 0))
      throw badRequest(`invalid resourceVersion "${rv}"`);
    const timeoutSeconds = intParam(query, 'timeoutSeconds');
    const timeoutMs = Math.min(
      timeoutSeconds !== undefined ? timeoutSeconds * 1000 : this.config.maxWatchTimeoutMs,
      this.config.maxWatchTimeoutMs,
    );
    const watcher = new HttpWatcher(
      reply.raw,
      {
        resource: r,
        namespace: ns,
        labels: list.labels,
        fields: list.fields,
        fromRevision,
        allowBookmarks: boolParam(query, 'allowWatchBookmarks'),
        timeoutMs,
        table: acceptsTable(req.headers.accept) ? includeObjectParam(query) : undefined,
        bookmarkIntervalMs: this.config.bookmarkIntervalMs,
        bufferMaxBytes: this.config.watcherBufferMaxBytes,
      },
      this.cacheFor(r),
      this.metrics,
      this.config.log,
    );
    reply.hijack();
    if (info) {
      info.longRunning = true;
      this.metrics.inflight.dec({ request_kind: 'readOnly' });
    }
    this.watchers.add(watcher);
    try {
      await watcher.start();
    } finally {
      this.watchers.delete(watcher);
      if (info) this.finishRequest(req, info, 200);
    }
  }
}
