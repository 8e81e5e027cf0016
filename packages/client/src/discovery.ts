/**
 * Discovery: which resources the server serves. Fetched once per Discovery instance (one per CLI
 * run) and cached; aggregated discovery (two requests) is tried first, then the classic walk of
 * /api, /apis and every group's preferred version.
 */
import { UnknownResourceError } from './errors.js';
import { matchResource, parseApiVersion, type ResourceInfo, WELL_KNOWN_RESOURCES } from './resources.js';
import type { RestClient } from './rest.js';

/** The server's `/version` answer (Kubernetes `version.Info`). */
export interface ServerVersion {
  major?: string;
  minor?: string;
  gitVersion?: string;
  gitCommit?: string;
  gitTreeState?: string;
  buildDate?: string;
  goVersion?: string;
  compiler?: string;
  platform?: string;
  [extra: string]: unknown;
}

interface ApiResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
  group?: string;
  version?: string;
}

interface AggregatedResource {
  resource: string;
  responseKind?: { group?: string; version?: string; kind?: string };
  scope?: string;
  singularResource?: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}

interface AggregatedList {
  kind?: string;
  items?: Array<{
    metadata?: { name?: string };
    versions?: Array<{ version: string; resources?: AggregatedResource[] }>;
  }>;
}

const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

/** Per-run discovery cache over one RestClient. */
export class Discovery {
  private readonly rest: RestClient;
  private cached: Promise<ResourceInfo[]> | undefined;

  constructor(rest: RestClient) {
    this.rest = rest;
  }

  /** Every top-level resource the server serves (subresources left out), in discovery order. */
  resources(): Promise<ResourceInfo[]> {
    this.cached ??= this.fetchAll();
    return this.cached;
  }

  /** The server's version information. */
  serverVersion(): Promise<ServerVersion> {
    return this.rest.request<ServerVersion>({ method: 'GET', path: '/version' });
  }

  /**
   * Resolves a user-typed resource name. Well-known names resolve locally (no round trip); anything
   * else goes through discovery. Throws UnknownResourceError when nothing matches.
   */
  async resolve(name: string, options: { discover?: boolean } = {}): Promise<ResourceInfo> {
    if (!options.discover) {
      const local = matchResource(WELL_KNOWN_RESOURCES, name);
      if (local) return local;
    }
    const found = matchResource(await this.resources(), name);
    if (!found) throw new UnknownResourceError(name);
    return found;
  }

  /** Resolves the resource of a manifest's `apiVersion` + `kind`. */
  async resolveKind(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const { group, version } = parseApiVersion(apiVersion);
    const local = WELL_KNOWN_RESOURCES.find(
      (r) => r.group === group && r.version === version && r.kind === kind,
    );
    if (local) return local;
    const all = await this.resources();
    const exact = all.find((r) => r.group === group && r.version === version && r.kind === kind);
    if (exact) return exact;
    const sameGroup = all.find((r) => r.group === group && r.kind === kind);
    if (sameGroup) return { ...sameGroup, version };
    throw new UnknownResourceError(`${kind}${group ? `.${group}` : ''} in version "${apiVersion}"`);
  }

  private async fetchAll(): Promise<ResourceInfo[]> {
    const aggregated = await this.fetchAggregated();
    if (aggregated) return aggregated;
    return this.fetchClassic();
  }

  private async fetchAggregated(): Promise<ResourceInfo[] | undefined> {
    const [core, groups] = await Promise.all([
      this.rest.request<AggregatedList>({ method: 'GET', path: '/api', accept: AGGREGATED_ACCEPT }),
      this.rest
        .request<AggregatedList>({ method: 'GET', path: '/apis', accept: AGGREGATED_ACCEPT })
        .catch(() => ({ kind: 'APIGroupDiscoveryList', items: [] }) as AggregatedList),
    ]);
    if (core?.kind !== 'APIGroupDiscoveryList' || groups?.kind !== 'APIGroupDiscoveryList') return undefined;
    const out: ResourceInfo[] = [];
    for (const item of [...(core.items ?? []), ...(groups.items ?? [])]) {
      const group = item.metadata?.name ?? '';
      // The first version listed is the preferred one.
      const preferred = item.versions?.[0];
      if (!preferred) continue;
      for (const res of preferred.resources ?? []) {
        if (res.resource.includes('/')) continue;
        out.push({
          group: res.responseKind?.group ?? group,
          version: res.responseKind?.version || preferred.version,
          resource: res.resource,
          singular: res.singularResource ?? res.responseKind?.kind?.toLowerCase() ?? res.resource,
          kind: res.responseKind?.kind ?? '',
          namespaced: res.scope === 'Namespaced',
          shortNames: res.shortNames ?? [],
          verbs: res.verbs ?? [],
          categories: res.categories ?? [],
        });
      }
    }
    return out;
  }

  private async fetchClassic(): Promise<ResourceInfo[]> {
    const [core, groups] = await Promise.all([
      this.rest.request<{ versions?: string[] }>({ method: 'GET', path: '/api' }),
      this.rest
        .request<{
          groups?: Array<{
            name: string;
            preferredVersion?: { version: string };
            versions?: Array<{ version: string }>;
          }>;
        }>({ method: 'GET', path: '/apis' })
        .catch(() => ({ groups: [] })),
    ]);
    const lists: Array<{ group: string; version: string; path: string }> = [];
    const coreVersion = core?.versions?.[0] ?? 'v1';
    lists.push({ group: '', version: coreVersion, path: `/api/${coreVersion}` });
    for (const g of groups?.groups ?? []) {
      const version = g.preferredVersion?.version ?? g.versions?.[0]?.version;
      if (version) lists.push({ group: g.name, version, path: `/apis/${g.name}/${version}` });
    }
    const results = await Promise.all(
      lists.map((l) =>
        this.rest
          .request<{ resources?: ApiResource[] }>({ method: 'GET', path: l.path })
          .then((body) => ({ l, resources: body?.resources ?? [] }))
          // One broken group must not hide the others (kubectl reports partial discovery too).
          .catch(() => ({ l, resources: [] as ApiResource[] })),
      ),
    );
    const out: ResourceInfo[] = [];
    for (const { l, resources } of results) {
      for (const res of resources) {
        if (res.name.includes('/')) continue;
        out.push({
          group: res.group ?? l.group,
          version: res.version ?? l.version,
          resource: res.name,
          singular: res.singularName || res.kind.toLowerCase(),
          kind: res.kind,
          namespaced: res.namespaced,
          shortNames: res.shortNames ?? [],
          verbs: res.verbs ?? [],
          categories: res.categories ?? [],
        });
      }
    }
    return out;
  }
}
