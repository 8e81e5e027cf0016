/**
 * The typed resource client: list/get/create/update/patch/delete/watch on any resource, addressed
 * by ResourceInfo (from discovery or the well-known table).
 */
import { Discovery } from './discovery.js';
import { isStatus } from './errors.js';
import type { RestConfig } from './kubeconfig.js';
import { type ResourceInfo, resourcePath } from './resources.js';
import { type Query, RestClient, type RestClientOptions } from './rest.js';
import { decodeWatchStream, type WatchEvent } from './watch.js';

/** Object metadata fields the client reads; the rest passes through untouched. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
  }>;
  finalizers?: string[];
  managedFields?: unknown[];
  [extra: string]: unknown;
}

/** Any Kubernetes object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [extra: string]: unknown;
}

/** A list response (`PodList`, ...). */
export interface KubeList<T = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

/** A `meta.k8s.io/v1` Table, the server-side printed form kubectl asks for. */
export interface Table {
  apiVersion?: string;
  kind: 'Table';
  metadata?: { resourceVersion?: string; continue?: string };
  columnDefinitions: Array<{
    name: string;
    type: string;
    format?: string;
    description?: string;
    priority?: number;
  }>;
  rows: Array<{ cells: unknown[]; object?: KubeObject; conditions?: unknown[] }>;
}

/** Options shared by list and watch. */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
}

/** Options of writes: server-side dry run and field manager. */
export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
}

/** Patch content types the API accepts. */
export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** Options of delete. */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  dryRun?: boolean;
}

/** The Accept header kubectl sends for server-side printing. */
export const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

function listQuery(options: ListOptions): Query {
  return {
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    limit: options.limit,
    continue: options.continue,
    resourceVersion: options.resourceVersion,
    resourceVersionMatch: options.resourceVersionMatch,
    timeoutSeconds: options.timeoutSeconds,
    allowWatchBookmarks: options.allowWatchBookmarks,
  };
}

function writeQuery(options: WriteOptions): Query {
  return {
    dryRun: options.dryRun ? 'All' : undefined,
    fieldManager: options.fieldManager,
    fieldValidation: options.fieldValidation,
  };
}

/**
 * Client for one API server: the REST layer, a per-run discovery cache, and typed verbs.
 * Later an informer cache and work queue build on list + watch here.
 */
export class KubeClient {
  readonly rest: RestClient;
  readonly discovery: Discovery;

  constructor(config: RestConfig, options: RestClientOptions = {}) {
    this.rest = new RestClient(config, options);
    this.discovery = new Discovery(this.rest);
  }

  /** The resolved connection settings (server, default namespace, ...). */
  get config(): RestConfig {
    return this.rest.config;
  }

  /** Lists objects; `namespace` undefined on a namespaced resource means all namespaces. */
  list<T = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    return this.rest.request<KubeList<T>>({
      method: 'GET',
      path: resourcePath(info, namespace),
      query: listQuery(options),
    });
  }

  /**
   * Lists as a server-printed Table (`includeObject` chooses what each row carries). Servers that
   * do not print tables answer with a plain list; the caller checks `kind`.
   */
  listTable(
    info: ResourceInfo,
    namespace: string | undefined,
    options: ListOptions & { includeObject?: 'None' | 'Metadata' | 'Object' } = {},
  ): Promise<Table | KubeList> {
    return this.rest.request<Table | KubeList>({
      method: 'GET',
      path: resourcePath(info, namespace),
      query: { ...listQuery(options), includeObject: options.includeObject },
      accept: TABLE_ACCEPT,
    });
  }

  /** Gets one object as a Table (or the plain object from servers that do not print tables). */
  getTable(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    includeObject?: 'None' | 'Metadata' | 'Object',
  ): Promise<Table | KubeObject> {
    return this.rest.request<Table | KubeObject>({
      method: 'GET',
      path: resourcePath(info, namespace, name),
      query: { includeObject },
      accept: TABLE_ACCEPT,
    });
  }

  /** Gets one object. */
  get<T = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    subresource?: string,
  ): Promise<T> {
    return this.rest.request<T>({ method: 'GET', path: resourcePath(info, namespace, name, subresource) });
  }

  /** Gets one object, or undefined when it does not exist. */
  async getIfExists<T = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(info, namespace, name);
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Creates an object in `namespace` (ignored for cluster-scoped resources). */
  create<T = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    object: KubeObject,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.rest.request<T>({
      method: 'POST',
      path: resourcePath(info, namespace),
      query: writeQuery(options),
      body: object,
    });
  }

  /** Replaces an object; `object.metadata.resourceVersion` makes it conditional (409 on mismatch). */
  update<T = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    object: KubeObject,
    options: WriteOptions & { subresource?: string } = {},
  ): Promise<T> {
    return this.rest.request<T>({
      method: 'PUT',
      path: resourcePath(info, namespace, object.metadata?.name ?? '', options.subresource),
      query: writeQuery(options),
      body: object,
    });
  }

  /** Patches an object with the given patch type. */
  patch<T = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options: WriteOptions & { subresource?: string; force?: boolean } = {},
  ): Promise<T> {
    return this.rest.request<T>({
      method: 'PATCH',
      path: resourcePath(info, namespace, name, options.subresource),
      query: { ...writeQuery(options), force: options.force },
      body: typeof patch === 'string' ? patch : JSON.stringify(patch),
      contentType: PATCH_CONTENT_TYPE[type],
    });
  }

  /** Deletes an object; answers with the object (when deletion is deferred) or a Status. */
  delete<T = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Promise<T> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.propagationPolicy !== undefined) body.propagationPolicy = options.propagationPolicy;
    return this.rest.request<T>({
      method: 'DELETE',
      path: resourcePath(info, namespace, name),
      query: { dryRun: options.dryRun ? 'All' : undefined },
      body,
    });
  }

  /**
   * Opens a watch. Events come in order; the stream ends when the server closes it (timeout) and
   * throws StatusError on an ERROR event (410 Expired: relist and watch again).
   */
  async watch<T = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    options: ListOptions & { signal?: AbortSignal; table?: boolean } = {},
  ): Promise<AsyncGenerator<WatchEvent<T>>> {
    const { signal, table, ...list } = options;
    const chunks = await this.rest.stream({
      method: 'GET',
      path: resourcePath(info, namespace),
      query: { ...listQuery(list), watch: 'true' },
      ...(table ? { accept: TABLE_ACCEPT } : {}),
      ...(signal ? { signal } : {}),
    });
    return decodeWatchStream<T>(chunks);
  }

  /**
   * Watches without end: reconnects after the server closes the stream, resuming from the last
   * resourceVersion seen, so no event between two connections is lost. Stops when `signal` aborts;
   * a 410 Expired (history compacted) is thrown so the caller can relist.
   */
  async *watchForever<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    options: ListOptions & { signal?: AbortSignal } = {},
  ): AsyncGenerator<WatchEvent<T>> {
    let resourceVersion = options.resourceVersion;
    while (!options.signal?.aborted) {
      const stream = await this.watch<T>(info, namespace, {
        ...options,
        ...(resourceVersion !== undefined ? { resourceVersion } : {}),
        allowWatchBookmarks: true,
      });
      for await (const event of stream) {
        const rv = event.object?.metadata?.resourceVersion;
        if (rv) resourceVersion = rv;
        if (event.type !== 'BOOKMARK') yield event;
      }
    }
  }

  /** Releases connections. */
  close(): Promise<void> {
    return this.rest.close();
  }
}
