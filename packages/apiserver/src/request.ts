/**
 * URL and query parsing for the resource paths:
 * /api/v1[/watch]/namespaces/{ns}/{resource}[/{name}[/{subresource}]], the cluster-scoped and
 * all-namespaces forms without the namespace segment, and the same below /apis/{group}/{version}.
 */
import { badRequest, notFound } from './errors.js';
import { findResource, type ResourceInfo } from './resources.js';

/** A resolved resource request. */
export interface ResourcePath {
  readonly resource: ResourceInfo;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  /** The legacy `/watch/` path form. */
  readonly watchPath: boolean;
}

/** What else a path can be: a discovery document for a group/version. */
export type ParsedPath =
  | { readonly kind: 'resource'; readonly path: ResourcePath }
  | { readonly kind: 'groupVersion'; readonly group: string; readonly version: string }
  | { readonly kind: 'group'; readonly group: string };

const namespaceResource = findResource('', 'v1', 'namespaces')!;

/** Parses a URL path below /api or /apis; throws 404 for unknown resources. */
export function parseResourcePath(pathname: string): ParsedPath {
  const segments: string[] = [];
  for (const s of pathname.split('/')) {
    // Without a '%' decoding changes nothing: most paths are plain names.
    if (s !== '') segments.push(s.includes('%') ? decodeURIComponent(s) : s);
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api') {
    group = '';
    version = segments[1] ?? '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    group = segments[1] ?? '';
    if (segments.length === 2) return { kind: 'group', group };
    version = segments[2] ?? '';
    rest = segments.slice(3);
  } else {
    throw notFound('', '', pathname);
  }
  if (rest.length === 0) return { kind: 'groupVersion', group, version };
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(group === '' && (rest[2] === 'status' || rest[2] === 'finalize') && rest.length === 3)
  ) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (group === '' && rest[0] === 'namespaces') {
    return {
      kind: 'resource',
      path: {
        resource: namespaceResource,
        namespace: undefined,
        name: rest[1],
        subresource: rest[2],
        watchPath,
      },
    };
  }
  const plural = rest[0] ?? '';
  const resource = findResource(group, version, plural);
  if (!resource) throw notFound(plural, group, plural);
  if (!resource.namespaced && namespace !== undefined) throw notFound(plural, group, rest[1] ?? plural);
  if (rest.length > 3) throw notFound(plural, group, rest.join('/'));
  const subresource = rest[2];
  if (subresource !== undefined && !(resource.subresources as readonly string[]).includes(subresource)) {
    throw notFound(`${plural}/${subresource}`, group, rest[1] ?? '');
  }
  return { kind: 'resource', path: { resource, namespace, name: rest[1], subresource, watchPath } };
}

/** Reads a non-negative integer query parameter. */
export function intParam(query: Record<string, string | undefined>, name: string): number | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid ${name}: "${v}"`);
  return n;
}

/** `true`, `1` and `` (present without value) count as true, like Kubernetes' query decoding. */
export function boolParam(query: Record<string, string | undefined>, name: string): boolean {
  const v = query[name];
  return v === 'true' || v === '1';
}

/** A request target split into its path and its query parameters (the last of a repeated name wins). */
export interface RequestTarget {
  readonly pathname: string;
  readonly query: Record<string, string | undefined>;
}

/**
 * Paths that URL parsing returns unchanged: non-empty segments of letters, digits, `_-:@` and
 * inner dots (no `.`/`..` segment, no `//`, nothing to percent-encode), optionally a trailing
 * slash. Almost every API path is one.
 */
const plainPath = /^(?:\/[\w\-:@]+(?:\.[\w\-:@]+)*)*\/?$/;

/**
 * Targets the URL parser may change beyond the path: a fragment; spaces and control characters,
 * which it trims from the ends or drops (tab, newline); and anything outside printable ASCII,
 * which it percent-encodes before URLSearchParams decodes it again. Clients send none of these.
 */
const unusualTarget = /[^\u0021-\u007e]|#/;

/**
 * Splits a request's URL (`req.url`, origin-form) as `new URL(url, base)` would: the
 * WHATWG URL parser normalises the path (dot segments, percent-encoding), but only paths
 * it would change pay for it; the query is decoded with URLSearchParams either way.
 */
export function parseRequestTarget(url: string): RequestTarget {
  const queryStart = url.indexOf('?');
  const rawPath = queryStart < 0 ? url : url.slice(0, queryStart);
  if (rawPath === '' || !plainPath.test(rawPath) || unusualTarget.test(url)) {
    const parsed = new URL(url, 'https://localhost');
    return { pathname: parsed.pathname, query: Object.fromEntries(parsed.searchParams) };
  }
  if (queryStart < 0) return { pathname: rawPath, query: {} };
  // With its '?': URLSearchParams drops one leading '?', so a query that starts with another stays whole.
  return { pathname: rawPath, query: Object.fromEntries(new URLSearchParams(url.slice(queryStart))) };
}
