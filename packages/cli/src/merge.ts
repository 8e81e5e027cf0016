/**
 * Client-side apply arithmetic: the last-applied-configuration annotation and a three-way merge
 * patch (original = last applied, modified = the file, current = the live object).
 *
 * Lists are compared "modified contained in current" so that fields the server defaulted inside a
 * list element (a container's imagePullPolicy, say) do not make every apply look like a change; a
 * list that did change is sent whole (JSON merge patch semantics), and the server defaults it again.
 */

/** The annotation kubectl keeps the applied configuration in. */
import type { KubeObject } from '@navarch/client';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality of JSON values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** True when everything `m` says is already true of `c` (c may carry more, e.g. server defaults). */
export function containedIn(m: unknown, c: unknown): boolean {
  if (isObject(m)) {
    return isObject(c) && Object.keys(m).every((k) => (m[k] === null ? !(k in c) : containedIn(m[k], c[k])));
  }
  if (Array.isArray(m)) {
    return Array.isArray(c) && m.length === c.length && m.every((v, i) => containedIn(v, c[i]));
  }
  return deepEqual(m, c);
}

/** JSON with object keys sorted, as Go's encoding/json writes maps (kubectl's annotation format). */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Returns `object` with the last-applied annotation set to its own configuration (the object
 * without that annotation, sorted-key JSON plus a newline, byte-for-byte what kubectl stores).
 */
export function withLastApplied(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  const metadata = copy.metadata ?? {};
  copy.metadata = metadata;
  const annotations = { ...(metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED];
  // kubectl encodes the object with its annotations minus this one, so an object without
  // annotations still records `"annotations":{}`; matching it byte for byte lets kubectl and
  // navctl apply the same file without either seeing a change.
  const forAnnotation = { ...copy, metadata: { ...metadata, annotations } };
  metadata.annotations = { ...annotations, [LAST_APPLIED]: `${stableStringify(forAnnotation)}\n` };
  return copy;
}

/** Reads the last-applied configuration of a live object, if it has a valid one. */
export function lastApplied(object: {
  metadata?: { annotations?: Record<string, string> };
}): JsonObject | undefined {
  const text = object.metadata?.annotations?.[LAST_APPLIED];
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The three-way merge patch from `current` to `modified`, deleting what `original` had and
 * `modified` dropped. An empty object means nothing to change.
 */
export function threeWayMergePatch(original: unknown, modified: unknown, current: unknown): JsonObject {
  return diffObjects(
    isObject(original) ? original : undefined,
    isObject(modified) ? modified : {},
    isObject(current) ? current : {},
  );
}

function diffObjects(
  original: JsonObject | undefined,
  modified: JsonObject,
  current: JsonObject,
): JsonObject {
  const patch: JsonObject = {};
  for (const key of Object.keys(modified)) {
    const m = modified[key] as Json;
    const c = current[key];
    const o = original?.[key];
    if (m === null) {
      if (c !== undefined && c !== null) patch[key] = null;
    } else if (isObject(m) && isObject(c)) {
      const sub = diffObjects(isObject(o) ? o : undefined, m, c);
      if (Object.keys(sub).length > 0) patch[key] = sub;
    } else if (Array.isArray(m)) {
      const listChanged = !containedIn(m, c) || (o !== undefined && !deepEqual(o, m));
      if (listChanged) patch[key] = m;
    } else if (!deepEqual(m, c)) {
      patch[key] = m;
    }
  }
  for (const key of Object.keys(original ?? {})) {
    if (!(key in modified) && key in current) patch[key] = null;
  }
  return patch;
}

/** Applies an RFC 7386 JSON merge patch (used for client dry runs and local diffs). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value) as Json;
  }
  return result;
}
