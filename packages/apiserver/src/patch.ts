/**
 * Patch formats Kubernetes accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
 * strategic merge patch for the lists Kubernetes merges by key.
 */
import { ApiError, badRequest } from './errors.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

function isObject(v: Json): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
export function jsonMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}

/**
 * The merge keys of the lists Kubernetes merges by key, by field name. A list whose field is
 * not here is replaced whole, as a strategic merge patch does for atomic lists.
 */
const mergeKeys: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  tolerations: 'key',
  ownerReferences: 'uid',
};

/** Lists of primitives Kubernetes merges as sets (`finalizers`). */
const setLists = new Set(['finalizers']);

function portKey(item: Json): string | undefined {
  if (!isObject(item)) return undefined;
  const port = item.containerPort ?? item.port;
  if (port === undefined) return undefined;
  return `${String(port)}/${String(item.protocol ?? 'TCP')}`;
}

function itemKey(field: string, item: Json): string | undefined {
  if (field === 'ports') return portKey(item);
  const key = mergeKeys[field];
  if (key === undefined || !isObject(item)) return undefined;
  const v = item[key];
  return v === undefined ? undefined : String(v);
}

function isKeyedList(field: string): boolean {
  return field === 'ports' || mergeKeys[field] !== undefined;
}

function mergeKeyedList(field: string, target: Json[], patch: Json[], order: Json[] | undefined): Json[] {
  const out = target.map((x) => clone(x));
  for (const item of patch) {
    const key = itemKey(field, item);
    if (isObject(item) && item.$patch === 'delete') {
      const idx = out.findIndex((x) => itemKey(field, x) === key);
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    const idx = key === undefined ? -1 : out.findIndex((x) => itemKey(field, x) === key);
    if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item);
    else out.push(strategicMergePatch(undefined, item));
  }
  if (order) {
    const rank = new Map<string, number>();
    order.forEach((o, i) => {
      const k = itemKey(field, o);
      if (k !== undefined) rank.set(k, i);
    });
    out.sort(
      (a, b) => (rank.get(itemKey(field, a) ?? '') ?? 1e9) - (rank.get(itemKey(field, b) ?? '') ?? 1e9),
    );
  }
  return out;
}

/**
 * Strategic merge patch: like a merge patch, but the lists in `mergeKeys` merge item by item
 * on their key, `$patch: replace|delete` and `$retainKeys` act as in Kubernetes,
 * `$setElementOrder/<field>` orders a merged list, and `$deleteFromPrimitiveList/<field>`
 * removes values from a set list.
 */
export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const retain = Array.isArray(patch.$retainKeys) ? new Set(patch.$retainKeys.map(String)) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const cur = out[k];
    if (Array.isArray(v) && isKeyedList(k)) {
      const directive = v.find((x) => isObject(x) && x.$patch === 'replace');
      if (directive) {
        out[k] = v.filter((x) => x !== directive).map((x) => stripDirectives(x));
        continue;
      }
      const order = patch[`$setElementOrder/${k}`];
      out[k] = mergeKeyedList(k, Array.isArray(cur) ? cur : [], v, Array.isArray(order) ? order : undefined);
    } else if (Array.isArray(v) && setLists.has(k)) {
      const merged = Array.isArray(cur) ? [...cur] : [];
      for (const x of v) if (!merged.includes(x)) merged.push(x);
      out[k] = merged;
    } else if (Array.isArray(v)) {
      out[k] = v.map((x) => stripDirectives(x));
    } else {
      const merged = strategicMergePatch(cur, v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.has(k)) delete out[k];
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map(unescapePointer);
}

function patchFailed(message: string): ApiError {
  return new ApiError(
    422,
    'Invalid',
    `the server rejected our request due to an error in our request: ${message}`,
    'NAVARCH_ERR_PATCH',
  );
}

function getAt(doc: Json, tokens: string[]): Json {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else return undefined;
  }
  return cur;
}

function parentOf(doc: Json, tokens: string[], op: string): { parent: Json; last: string } {
  if (tokens.length === 0) throw patchFailed(`${op} at the document root is not supported`);
  const parent = getAt(doc, tokens.slice(0, -1));
  if (parent === undefined) throw patchFailed(`${op}: path /${tokens.slice(0, -1).join('/')} does not exist`);
  return { parent, last: tokens[tokens.length - 1]! };
}

function addAt(doc: Json, tokens: string[], value: Json, op: string): Json {
  if (tokens.length === 0) return clone(value);
  const { parent, last } = parentOf(doc, tokens, op);
  if (Array.isArray(parent)) {
    const idx = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(idx) || idx < 0 || idx > parent.length)
      throw patchFailed(`${op}: index ${last} out of range`);
    parent.splice(idx, 0, clone(value));
  } else if (isObject(parent)) {
    parent[last] = clone(value);
  } else {
    throw patchFailed(`${op}: parent is not a container`);
  }
  return doc;
}

function removeAt(doc: Json, tokens: string[], op: string): Json {
  const { parent, last } = parentOf(doc, tokens, op);
  if (Array.isArray(parent)) {
    const idx = Number(last);
    if (!Number.isInteger(idx) || idx < 0 || idx >= parent.length)
      throw patchFailed(`${op}: index ${last} out of range`);
    parent.splice(idx, 1);
  } else if (isObject(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
  } else {
    throw patchFailed(`${op}: path /${tokens.join('/')} does not exist`);
  }
  return doc;
}

function deepEqual(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** RFC 6902 JSON patch: add, remove, replace, move, copy, test. */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw badRequest('a JSON patch must be an array of operations');
  let doc = clone(target);
  for (const raw of operations) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw badRequest('each JSON patch operation needs "op" and "path"');
    }
    const tokens = parsePointer(raw.path);
    switch (raw.op) {
      case 'add':
        doc = addAt(doc, tokens, raw.value, 'add');
        break;
      case 'remove':
        doc = removeAt(doc, tokens, 'remove');
        break;
      case 'replace':
        doc = removeAt(doc, tokens, 'replace');
        doc = addAt(doc, tokens, raw.value, 'replace');
        break;
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw badRequest(`${raw.op} needs "from"`);
        const from = parsePointer(raw.from);
        const value = getAt(doc, from);
        if (value === undefined) throw patchFailed(`${raw.op}: from ${raw.from} does not exist`);
        if (raw.op === 'move') doc = removeAt(doc, from, 'move');
        doc = addAt(doc, tokens, value, raw.op);
        break;
      }
      case 'test':
        if (!deepEqual(getAt(doc, tokens), raw.value)) throw patchFailed(`test failed at ${raw.path}`);
        break;
      default:
        throw badRequest(`unknown JSON patch op "${raw.op}"`);
    }
  }
  return doc;
}
