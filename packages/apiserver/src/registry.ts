/**
 * The REST storage logic shared by every resource: get, list (paging and selectors), create,
 * update, patch, delete and deletecollection over the `KvStore`, with optimistic concurrency
 * on the store's mod revision. Resource-specific rules (service allocation, graceful pod
 * deletion, namespace termination) hook in here so every path through the API obeys them.
 */
import { cloneJson, everything, type FieldSelector, parseFieldSelector, type Selector } from '@navarch/api';
import type { Logger } from 'pino';
import type { ServiceAllocator } from './allocator.js';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  gone,
  invalid,
  notFound,
  type StatusCause,
} from './errors.js';
import {
  defaultObject,
  initCreateMeta,
  type KubeObject,
  nowTimestamp,
  randomSuffix,
  selectorsMatch,
  specChanged,
  validateCreate,
  validateStatus,
  validateUpdate,
} from './objects.js';
import { jsonMergePatch, jsonPatch, strategicMergePatch } from './patch.js';
import { apiVersionOf, findResource, objectKey, type ResourceInfo, storagePrefix } from './resources.js';
import { CompactedError, type Compare, type KvStore, prefixEnd, type WriteOp } from './storage.js';
import { decodeObject } from './watch-cache.js';

/** Options of a list call. */
export interface ListOptions {
  readonly limit: number;
  readonly continueToken: string | undefined;
  readonly labels: Selector;
  readonly fields: FieldSelector;
}

/** A list page. */
export interface ListResult {
  readonly items: KubeObject[];
  readonly revision: number;
  readonly continueToken: string | undefined;
}

/** Patch media types the server understands. */
export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

/** DeleteOptions fields the server honours. */
export interface DeleteOptions {
  readonly gracePeriodSeconds?: number | undefined;
  readonly propagationPolicy?: string | undefined;
  readonly preconditions?: { uid?: string; resourceVersion?: string } | undefined;
  readonly dryRun?: boolean | undefined;
}

/** Result of a delete: the object and whether it is gone from the store. */
export interface DeleteResult {
  readonly object: KubeObject;
  readonly removed: boolean;
}

const maxUpdateAttempts = 16;
const namespaceResource = findResource('', 'v1', 'namespaces')!;

/** The stored form: the object without metadata.resourceVersion (the store revision is the version). */
function encode(obj: KubeObject): Buffer {
  // A create has no resourceVersion yet: no copies are needed to leave it out.
  if (!Object.hasOwn(obj.metadata, 'resourceVersion')) return Buffer.from(JSON.stringify(obj));
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return Buffer.from(JSON.stringify({ ...obj, metadata }));
}

function withRevision(obj: KubeObject, revision: number): KubeObject {
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', ...token })).toString('base64url');
}

function decodeContinue(text: string, prefix: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (typeof t.rv === 'number' && typeof t.start === 'string' && !t.start.includes('..'))
      return { rv: t.rv, start: t.start };
  } catch {
    // fall through
  }
  throw badRequest(`invalid continue token for prefix ${prefix}`);
}

function isTerminatedPodStatus(pod: KubeObject): boolean {
  const status = pod.status ?? {};
  if (status.phase === 'Succeeded' || status.phase === 'Failed') return true;
  const statuses = Array.isArray(status.containerStatuses) ? status.containerStatuses : [];
  return statuses.every((s) => {
    const state = (s as { state?: Record<string, unknown> }).state ?? {};
    return state.running === undefined && state.waiting === undefined;
  });
}

/** The REST verbs over storage. */
export class Registry {
  constructor(
    private readonly kv: KvStore,
    private readonly allocator: ServiceAllocator,
    private readonly log: Logger,
    /**
     * Reads a namespace from the watch cache (undefined when absent or not loaded). Creates
     * check their namespace here first, like Kubernetes' NamespaceLifecycle admission reads its
     * informer; a miss falls back to a quorum read, so a just-created namespace is never refused.
     */
    private readonly cachedNamespace: (name: string) => KubeObject | undefined = () => undefined,
  ) {}

  /** Applies a patch of `type` to a copy of `current` (not 'apply', which is handled by `patch`). */
  static applyPatch(current: KubeObject, type: PatchType, patch: unknown): KubeObject {
    const base = cloneJson(current);
    let patched: unknown;
    if (type === 'json') patched = jsonPatch(base, patch);
    else if (type === 'merge') patched = jsonMergePatch(base, patch);
    else patched = strategicMergePatch(base, patch);
    if (patched === null || typeof patched !== 'object' || Array.isArray(patched))
      throw badRequest('the patch produced a non-object');
    const obj = patched as KubeObject;
    obj.metadata ??= {};
    return obj;
  }

  /** Reads one object; 404 when absent. */
  async get(r: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject> {
    const kv = await this.kv.get(objectKey(r, namespace, name));
    if (!kv) throw notFound(r.plural, r.group, name);
    return this.present(r, decodeObject(kv.value, kv.modRevision));
  }

  /** Sets apiVersion to the version the client asked through (versions share storage). */
  private present(r: ResourceInfo, obj: KubeObject): KubeObject {
    obj.apiVersion = apiVersionOf(r);
    obj.kind = r.kind;
    return obj;
  }

  /** Lists objects, filtered by selectors, at most `limit` per page (0 = all). */
  async list(r: ResourceInfo, namespace: string | undefined, options: ListOptions): Promise<ListResult> {
    const prefix =
      r.namespaced && namespace !== undefined ? `${storagePrefix(r)}${namespace}/` : storagePrefix(r);
    const end = prefixEnd(prefix);
    let start = prefix;
    let revision = 0;
    if (options.continueToken) {
      const token = decodeContinue(options.continueToken, prefix);
      start = `${prefix}${token.start}`;
      revision = token.rv;
    }
    const items: KubeObject[] = [];
    // Bounded pages keep each store response small even when objects are large.
    const pageSize = options.limit > 0 ? Math.min(Math.max(options.limit, 100), 500) : 250;
    for (;;) {
      let page: Awaited<ReturnType<KvStore['range']>>;
      try {
        page = await this.kv.range(start, end, pageSize, revision);
      } catch (err) {
        if (err instanceof CompactedError) {
          throw gone(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.',
          );
        }
        throw err;
      }
      revision = page.revision;
      for (let i = 0; i < page.kvs.length; i++) {
        const kv = page.kvs[i]!;
        const obj = decodeObject(kv.value, kv.modRevision);
        if (!selectorsMatch(options.labels, options.fields, obj, r.kind)) continue;
        items.push(this.present(r, obj));
        if (options.limit > 0 && items.length >= options.limit) {
          const moreHere = i < page.kvs.length - 1;
          if (moreHere || page.more) {
            return {
              items,
              revision,
              continueToken: encodeContinue({ rv: revision, start: `${kv.key.slice(prefix.length)}\0` }),
            };
          }
          return { items, revision, continueToken: undefined };
        }
      }
      if (!page.more || page.kvs.length === 0) return { items, revision, continueToken: undefined };
      start = `${page.kvs[page.kvs.length - 1]!.key}\0`;
    }
  }

  /**
   * Checks the namespace of a create exists and is not terminating, and returns a compare on
   * its mod revision for the create's transaction: the object is written only if the namespace
   * is unchanged since the check, so nothing lands in a namespace being deleted. `fresh` skips
   * the watch cache (after a failed compare).
   */
  private async ensureNamespace(
    r: ResourceInfo,
    namespace: string | undefined,
    fresh: boolean,
  ): Promise<Compare | undefined> {
    if (!r.namespaced) return undefined;
    if (namespace === undefined || namespace === '')
      throw badRequest('the namespace of the object is required');
    const key = objectKey(namespaceResource, undefined, namespace);
    let ns = fresh ? undefined : this.cachedNamespace(namespace);
    if (ns === undefined) {
      const kv = await this.kv.get(key);
      if (!kv) throw notFound('namespaces', '', namespace);
      ns = decodeObject(kv.value, kv.modRevision);
    }
    if (ns.metadata.deletionTimestamp !== undefined) {
      throw new ApiError(
        403,
        'Forbidden',
        `${r.plural} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        'NAVARCH_ERR_NAMESPACE_TERMINATING',
        { name: namespace, kind: 'namespaces' },
      );
    }
    return { key, target: 'mod', equals: Number(ns.metadata.resourceVersion) };
  }

  /**
   * Checks a request body against the URL. The registry owns the body from here on (a freshly
   * parsed request): create and update copy it per attempt before changing it, so no copy here.
   */
  private checkBody(r: ResourceInfo, body: unknown, namespace: string | undefined): KubeObject {
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw badRequest('the request body must be a JSON object');
    const obj = body as KubeObject;
    obj.metadata ??= {};
    if (typeof obj.metadata !== 'object') throw badRequest('metadata must be an object');
    if (obj.kind !== undefined && obj.kind !== r.kind) {
      throw badRequest(`the body kind "${String(obj.kind)}" does not match the URL (${r.kind})`);
    }
    if (obj.apiVersion !== undefined && findResourceByApiVersion(String(obj.apiVersion), r) === undefined) {
      throw badRequest(
        `the body apiVersion "${String(obj.apiVersion)}" does not match the URL (${apiVersionOf(r)})`,
      );
    }
    if (
      r.namespaced &&
      obj.metadata.namespace !== undefined &&
      namespace !== undefined &&
      obj.metadata.namespace !== namespace
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    return obj;
  }

  /** Throws 422 Invalid when `causes` is not empty. */
  private validate(r: ResourceInfo, obj: KubeObject, causes: StatusCause[]): void {
    if (causes.length > 0) throw invalid(r.kind, r.group, obj.metadata.name ?? '', causes);
  }

  /** Creates an object; resolves generateName, defaults, validates, allocates service addresses. */
  async create(
    r: ResourceInfo,
    namespace: string | undefined,
    body: unknown,
    dryRun = false,
  ): Promise<KubeObject> {
    const input = this.checkBody(r, body, namespace);
    const useGenerate = !input.metadata.name && typeof input.metadata.generateName === 'string';
    for (let attempt = 0; ; attempt++) {
      // initCreateMeta changes only the top level and metadata, and defaultObject returns a deep
      // copy: a shallow copy keeps `input` as sent for the next attempt.
      const created: KubeObject = { ...input, metadata: { ...input.metadata } };
      const name = useGenerate
        ? `${input.metadata.generateName}${randomSuffix()}`
        : (input.metadata.name ?? '');
      initCreateMeta(created, r, namespace, name);
      const obj = defaultObject(created, r);
      this.validate(r, obj, validateCreate(obj, r));
      const key = objectKey(r, namespace, name);
      const compares: Compare[] = [{ key, target: 'mod', equals: 0 }];
      const namespaceCompare = await this.ensureNamespace(r, namespace, attempt > 0);
      if (namespaceCompare) compares.push(namespaceCompare);
      const writes: WriteOp[] = [];
      if (r.kind === 'Service') await this.allocator.claim(obj, undefined, compares, writes);
      writes.unshift({ put: key, value: encode(obj) });
      if (dryRun) return this.present(r, obj);
      const res = await this.kv.txn(compares, writes);
      if (res.succeeded) return this.present(r, withRevision(obj, res.revision));
      if (res.current[0] !== undefined) {
        if (useGenerate && attempt < 8) continue;
        throw alreadyExists(r.plural, r.group, name);
      }
      // The namespace changed since the check, or an allocation key was taken between the pick
      // and the commit: check again (from the store) and pick again.
      if (attempt >= maxUpdateAttempts)
        throw conflict(r.plural, r.group, name, 'the namespace or service addresses kept changing');
    }
  }

  /**
   * Read-modify-write with optimistic concurrency: `mutate` builds the next object from the
   * current one (or returns 'delete'); a lost race retries unless the caller pinned a
   * resourceVersion, which yields 409 Conflict instead.
   */
  private async guaranteedUpdate(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    mutate: (current: KubeObject) => KubeObject | 'delete' | Promise<KubeObject | 'delete'>,
    dryRun = false,
  ): Promise<{ object: KubeObject; removed: boolean }> {
    const key = objectKey(r, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.kv.get(key);
      if (!kv) throw notFound(r.plural, r.group, name);
      const current = decodeObject(kv.value, kv.modRevision);
      const next = await mutate(cloneJson(current));
      const compares: Compare[] = [{ key, target: 'mod', equals: kv.modRevision }];
      let writes: WriteOp[];
      if (next === 'delete') {
        writes = [{ delete: key }];
        if (r.kind === 'Service') writes.push(...this.allocator.releases(current));
      } else {
        const pinned = next.metadata.resourceVersion;
        if (pinned !== undefined && pinned !== '' && pinned !== String(kv.modRevision)) {
          throw conflict(
            r.plural,
            r.group,
            name,
            'the object has been modified; please apply your changes to the latest version and try again',
          );
        }
        writes = [];
        if (r.kind === 'Service') await this.allocator.claim(next, current, compares, writes);
        writes.unshift({ put: key, value: encode(next) });
      }
      if (dryRun)
        return { object: this.present(r, next === 'delete' ? current : next), removed: next === 'delete' };
      const res = await this.kv.txn(compares, writes);
      if (res.succeeded) {
        if (next === 'delete')
          return { object: this.present(r, withRevision(current, res.revision)), removed: true };
        return { object: this.present(r, withRevision(next, res.revision)), removed: false };
      }
      if (res.current[0] === undefined) throw notFound(r.plural, r.group, name);
      if (attempt >= maxUpdateAttempts)
        throw conflict(r.plural, r.group, name, 'too many concurrent writers; try again');
    }
  }

  /**
   * Builds the stored form of an update from the current object and the client's object:
   * identity fields are kept, status or spec is taken according to the subresource, the
   * generation is bumped on spec changes, and terminating objects finish deletion.
   */
  private merge(
    r: ResourceInfo,
    current: KubeObject,
    input: KubeObject,
    subresource: string | undefined,
  ): KubeObject | 'delete' {
    let next: KubeObject;
    if (subresource === 'status') {
      next = cloneJson(current);
      if (input.status === undefined) delete next.status;
      else next.status = input.status;
      next.metadata.resourceVersion = input.metadata.resourceVersion ?? '';
    } else {
      next = input;
      const hasStatusSubresource = r.subresources.includes('status');
      if (hasStatusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = current.status;
      }
    }
    const m = next.metadata;
    const c = current.metadata;
    if (m.name !== undefined && m.name !== c.name)
      throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${c.name})`);
    if (m.uid !== undefined && m.uid !== '' && m.uid !== c.uid) {
      throw conflict(
        r.plural,
        r.group,
        c.name ?? '',
        `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${c.uid}`,
      );
    }
    m.name = c.name;
    if (c.namespace !== undefined) m.namespace = c.namespace;
    m.uid = c.uid;
    m.creationTimestamp = c.creationTimestamp;
    m.generation = c.generation ?? 1;
    if (c.deletionTimestamp !== undefined) m.deletionTimestamp = c.deletionTimestamp;
    else delete m.deletionTimestamp;
    if (c.deletionGracePeriodSeconds !== undefined)
      m.deletionGracePeriodSeconds = c.deletionGracePeriodSeconds;
    else delete m.deletionGracePeriodSeconds;
    delete m.managedFields;
    next.apiVersion = current.apiVersion ?? apiVersionOf(r);
    next.kind = r.kind;
    // defaultObject returns a copy: later metadata changes go to next.metadata, not `m`.
    if (subresource !== 'status') next = defaultObject(next, r);
    if (specChanged(current, next)) next.metadata.generation = (c.generation ?? 1) + 1;
    if (r.kind === 'Namespace' && c.deletionTimestamp !== undefined)
      next.status = { ...(next.status ?? {}), phase: 'Terminating' };
    this.validate(
      r,
      next,
      subresource === 'status' ? validateStatus(next, current, r) : validateUpdate(next, current, r),
    );
    if (c.deletionTimestamp !== undefined) {
      const finalizersLeft = (next.metadata.finalizers ?? []).length > 0;
      if (!finalizersLeft && r.kind !== 'Pod' && r.kind !== 'Namespace') return 'delete';
      if (r.kind === 'Pod' && !finalizersLeft && subresource === 'status' && isTerminatedPodStatus(next))
        return 'delete';
    }
    return next;
  }

  /** PUT: replaces the object (or its status); 409 when metadata.resourceVersion is stale. */
  async update(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    subresource: string | undefined,
    dryRun = false,
  ): Promise<KubeObject> {
    const input = this.checkBody(r, body, namespace);
    if (input.metadata.name !== undefined && input.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    const res = await this.guaranteedUpdate(
      r,
      namespace,
      name,
      (current) => this.merge(r, current, cloneJson(input), subresource),
      dryRun,
    );
    return res.object;
  }

  /** PATCH in any supported format; retries on races unless the patch pins a resourceVersion. */
  async patch(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    subresource: string | undefined,
    dryRun = false,
  ): Promise<KubeObject> {
    if (type === 'apply') {
      const exists = await this.kv.get(objectKey(r, namespace, name));
      if (!exists) {
        const body = { ...(patch as KubeObject) };
        body.metadata = { ...(body.metadata ?? {}), name };
        return this.create(r, namespace, body, dryRun);
      }
    }
    const res = await this.guaranteedUpdate(
      r,
      namespace,
      name,
      (current) => {
        const obj = Registry.applyPatch(current, type, patch);
        // A resourceVersion in the patch is a precondition; otherwise the read revision is.
        if (obj.metadata.resourceVersion === current.metadata.resourceVersion)
          delete obj.metadata.resourceVersion;
        return this.merge(r, current, obj, subresource);
      },
      dryRun,
    );
    return res.object;
  }

  /**
   * DELETE. Objects with finalizers, scheduled pods with a grace period and namespaces are
   * marked (deletionTimestamp) and finish later; everything else is removed at once.
   */
  async delete(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
  ): Promise<DeleteResult> {
    return this.guaranteedUpdate(
      r,
      namespace,
      name,
      (current) => {
        const pre = options.preconditions;
        if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
          throw conflict(
            r.plural,
            r.group,
            name,
            `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
          );
        }
        if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
          throw conflict(
            r.plural,
            r.group,
            name,
            `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${current.metadata.resourceVersion}`,
          );
        }
        const m = current.metadata;
        delete m.resourceVersion;
        if (r.kind === 'Namespace') {
          if (m.deletionTimestamp === undefined) m.deletionTimestamp = nowTimestamp();
          current.status = { ...(current.status ?? {}), phase: 'Terminating' };
          return current;
        }
        if (options.propagationPolicy === 'Foreground' || options.propagationPolicy === 'Orphan') {
          // Dependents are the garbage collector's business; without it both behave like Background.
        }
        const hasFinalizers = (m.finalizers ?? []).length > 0;
        if (r.kind === 'Pod') {
          const scheduled = typeof current.spec?.nodeName === 'string' && current.spec.nodeName !== '';
          const terminationGrace = current.spec?.terminationGracePeriodSeconds;
          const grace =
            options.gracePeriodSeconds ?? (typeof terminationGrace === 'number' ? terminationGrace : 30);
          const terminal = current.status?.phase === 'Succeeded' || current.status?.phase === 'Failed';
          if (scheduled && grace > 0 && !terminal) {
            const previous = m.deletionGracePeriodSeconds;
            if (m.deletionTimestamp === undefined || (previous !== undefined && grace < previous)) {
              m.deletionTimestamp = nowTimestamp(grace);
              m.deletionGracePeriodSeconds = grace;
            }
            return current;
          }
          if (hasFinalizers) {
            m.deletionTimestamp ??= nowTimestamp();
            m.deletionGracePeriodSeconds = 0;
            return current;
          }
          return 'delete';
        }
        if (hasFinalizers) {
          m.deletionTimestamp ??= nowTimestamp();
          m.deletionGracePeriodSeconds ??= 0;
          return current;
        }
        return 'delete';
      },
      options.dryRun ?? false,
    );
  }

  /** Deletes every object matching the selectors in the namespace (or cluster-wide). */
  async deleteCollection(
    r: ResourceInfo,
    namespace: string | undefined,
    list: ListOptions,
    options: DeleteOptions,
  ): Promise<KubeObject[]> {
    const page = await this.list(r, namespace, { ...list, limit: 0, continueToken: undefined });
    const out: KubeObject[] = [];
    for (const obj of page.items) {
      try {
        const res = await this.delete(r, obj.metadata.namespace, obj.metadata.name ?? '', options);
        out.push(res.object);
      } catch (err) {
        if (err instanceof ApiError && err.httpCode === 404) continue;
        throw err;
      }
    }
    return out;
  }

  /** Creates an object if it is absent (bootstrap: namespaces, the kubernetes service). */
  async ensure(r: ResourceInfo, namespace: string | undefined, body: KubeObject): Promise<void> {
    if (await this.kv.get(objectKey(r, namespace, body.metadata.name ?? ''))) return;
    try {
      await this.create(r, namespace, body);
      this.log.info({ resource: r.plural, namespace, name: body.metadata.name }, 'created bootstrap object');
    } catch (err) {
      if (err instanceof ApiError && err.httpCode === 409) return;
      // Another server of the cluster may have created it meanwhile, and claimed what it needs
      // (the `kubernetes` Service's ClusterIP): then our create fails some other way, but the
      // object exists, which is all ensure promises.
      if (await this.kv.get(objectKey(r, namespace, body.metadata.name ?? ''))) return;
      throw err;
    }
  }

  /** Removes every namespaced object in a terminating namespace, then the namespace itself. */
  async finalizeNamespace(name: string, resources: readonly ResourceInfo[]): Promise<boolean> {
    const seen = new Set<string>();
    let remaining = 0;
    for (const r of resources) {
      if (!r.namespaced || seen.has(storagePrefix(r))) continue;
      seen.add(storagePrefix(r));
      const page = await this.list(r, name, {
        limit: 0,
        continueToken: undefined,
        labels: everything(),
        fields: parseFieldSelector(''),
      });
      for (const obj of page.items) {
        remaining++;
        try {
          await this.delete(r, name, obj.metadata.name ?? '', { gracePeriodSeconds: 0 });
        } catch (err) {
          if (!(err instanceof ApiError && err.httpCode === 404)) throw err;
        }
      }
    }
    if (remaining > 0) return false;
    const key = objectKey(namespaceResource, undefined, name);
    const kv = await this.kv.get(key);
    if (!kv) return true;
    const res = await this.kv.txn([{ key, target: 'mod', equals: kv.modRevision }], [{ delete: key }]);
    return res.succeeded;
  }
}

function findResourceByApiVersion(apiVersion: string, r: ResourceInfo): ResourceInfo | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  if (group !== r.group) return undefined;
  return findResource(group ?? '', version ?? '', r.plural);
}
