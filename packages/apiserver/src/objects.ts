/**
 * Object shape helpers: metadata on create and update, and the write path's defaulting and
 * validation. Defaulting and validation are @navarch/api's (`applyDefaults`, `validateObject`,
 * `validateObjectUpdate`, `validateStatusUpdate`); this file adds only what the API server
 * itself owns (pod status on create, Job selectors from the uid) and covers the kinds
 * @navarch/api does not validate or default yet (StatefulSet, DaemonSet, Job, CronJob, ...)
 * with the same building blocks.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type KubeObject as ApiKubeObject,
  type StatusCause as ApiStatusCause,
  applyDefaults,
  compareQuantities,
  defaultPodSpec,
  type FieldSelector,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  objectFields,
  type PodSpec,
  podQOSClass,
  type Selector,
  VALIDATED_KINDS,
  validateObject as validateApiObject,
  validateObjectUpdate as validateApiObjectUpdate,
  validateStatusUpdate as validateApiStatusUpdate,
} from '@navarch/api';
import type { StatusCause } from './errors.js';
import type { ResourceInfo } from './resources.js';

/** A Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

/** The metadata fields the server reads or maintains. */
export interface ObjectMeta {
  name?: string | undefined;
  generateName?: string | undefined;
  namespace?: string | undefined;
  uid?: string | undefined;
  resourceVersion?: string | undefined;
  generation?: number | undefined;
  creationTimestamp?: string | undefined;
  deletionTimestamp?: string | undefined;
  deletionGracePeriodSeconds?: number | undefined;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  finalizers?: string[] | undefined;
  ownerReferences?: unknown[] | undefined;
  managedFields?: unknown[] | undefined;
  [field: string]: unknown;
}

/** The last second formatted by nowTimestamp, and its text: creates come many per second. */
let formattedSecond = Number.NaN;
let formattedText = '';

/** Current time in the RFC 3339 second precision Kubernetes uses. */
export function nowTimestamp(offsetSeconds = 0): string {
  const second = Math.floor((Date.now() + offsetSeconds * 1000) / 1000);
  if (second !== formattedSecond) {
    formattedText = `${new Date(second * 1000).toISOString().slice(0, 19)}Z`;
    formattedSecond = second;
  }
  return formattedText;
}

const generateNameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** Kubernetes' 5-character random suffix for generateName. */
export function randomSuffix(): string {
  const bytes = randomBytes(5);
  let s = '';
  for (const b of bytes) s += generateNameAlphabet[b % generateNameAlphabet.length];
  return s;
}

/** Fresh metadata for a new object; `name` already resolved. */
export function initCreateMeta(
  obj: KubeObject,
  r: ResourceInfo,
  namespace: string | undefined,
  name: string,
): void {
  const m = obj.metadata;
  m.name = name;
  if (r.namespaced && namespace !== undefined) m.namespace = namespace;
  else delete m.namespace;
  m.uid = randomUUID();
  m.creationTimestamp = nowTimestamp();
  m.generation = 1;
  delete m.resourceVersion;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.managedFields;
  obj.apiVersion = r.group === '' ? r.version : `${r.group}/${r.version}`;
  obj.kind = r.kind;
}

/** Top-level fields that are not the object's desired state. */
const notSpec = new Set(['metadata', 'status', 'apiVersion', 'kind']);

/** Whether JSON.stringify would write `value` (it leaves out undefined and functions). */
function serialized(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

/** The own keys JSON.stringify would write for `obj`, in order, less `skip`. */
function writtenKeys(obj: Record<string, unknown>, skip: ReadonlySet<string> | undefined): string[] {
  const keys: string[] = [];
  for (const key of Object.keys(obj)) if (!skip?.has(key) && serialized(obj[key])) keys.push(key);
  return keys;
}

/**
 * Whether two JSON values serialize to the same text (key order included), without building
 * the text: the update path compares whole specs on every write.
 */
function sameJson(a: unknown, b: unknown, skip?: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return JSON.stringify(a) === JSON.stringify(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      // In arrays JSON.stringify writes what it would leave out of objects as null.
      const x = serialized(a[i]) ? a[i] : null;
      const y = serialized(b[i]) ? b[i] : null;
      if (!sameJson(x, y)) return false;
    }
    return true;
  }
  if (
    typeof (a as { toJSON?: unknown }).toJSON === 'function' ||
    typeof (b as { toJSON?: unknown }).toJSON === 'function'
  )
    return JSON.stringify(a) === JSON.stringify(b);
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keysA = writtenKeys(x, skip);
  const keysB = writtenKeys(y, skip);
  if (keysA.length !== keysB.length) return false;
  for (let i = 0; i < keysA.length; i++) {
    const key = keysA[i]!;
    if (key !== keysB[i] || !sameJson(x[key], y[key])) return false;
  }
  return true;
}

/** True when anything outside metadata and status changed (generation is bumped then). */
export function specChanged(before: KubeObject, after: KubeObject): boolean {
  return !sameJson(before, after, notSpec);
}

/**
 * Whether an object passes a list's or watch's label and field selectors. Fields are read as
 * those of `kind` (the resource's), whatever the stored object says.
 */
export function selectorsMatch(
  labels: Selector,
  fields: FieldSelector,
  obj: KubeObject,
  kind: string,
): boolean {
  if (!labels.matches(obj.metadata.labels)) return false;
  if (fields.requirements.length === 0) return true;
  return fields.matches(objectFields({ ...obj, kind } as unknown as ApiKubeObject));
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** Defaults a pod template's spec in place with @navarch/api's pod spec defaults. */
function defaultTemplate(template: Record<string, unknown> | undefined): void {
  const spec = asRecord(template?.spec);
  if (template === undefined || spec === undefined || !Array.isArray(spec.containers)) return;
  try {
    template.spec = defaultPodSpec(spec as unknown as PodSpec);
  } catch (error) {
    // Malformed JSON types: leave the spec as sent so validation names the bad field.
    if (!(error instanceof TypeError)) throw error;
  }
}

/** Defaults of the workload kinds @navarch/api does not default yet. */
function defaultOtherWorkloads(obj: KubeObject, r: ResourceInfo): void {
  const spec = obj.spec;
  if (spec === undefined) return;
  switch (r.kind) {
    case 'StatefulSet':
      spec.replicas ??= 1;
      defaultTemplate(asRecord(spec.template));
      break;
    case 'DaemonSet':
      defaultTemplate(asRecord(spec.template));
      break;
    case 'Job': {
      spec.parallelism ??= 1;
      spec.completions ??= 1;
      spec.backoffLimit ??= 6;
      spec.completionMode ??= 'NonIndexed';
      // Like Kubernetes' Job strategy: without manualSelector, select the job's own pods by uid.
      const template = asRecord(spec.template);
      if (spec.selector === undefined && spec.manualSelector !== true && template && obj.metadata.uid) {
        const uid = obj.metadata.uid;
        spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
        const meta = asRecord(template.metadata) ?? {};
        meta.labels = {
          ...(asRecord(meta.labels) ?? {}),
          'batch.kubernetes.io/controller-uid': uid,
          'batch.kubernetes.io/job-name': obj.metadata.name ?? '',
          'controller-uid': uid,
          'job-name': obj.metadata.name ?? '',
        };
        template.metadata = meta;
      }
      defaultTemplate(template);
      break;
    }
    default:
      break;
  }
}

/**
 * Defaults an object on create and on main-resource update: @navarch/api's `applyDefaults`,
 * then what the API server's strategies own (a new Pod's status with its QoS class) and the
 * workload kinds @navarch/api does not cover. Returns a new object.
 */
export function defaultObject(input: KubeObject, r: ResourceInfo): KubeObject {
  const obj = applyDefaults(input as unknown as ApiKubeObject) as unknown as KubeObject;
  if (r.kind === 'Pod' && obj.status === undefined) {
    let qosClass = 'BestEffort';
    try {
      qosClass = podQOSClass((obj.spec ?? { containers: [] }) as unknown as PodSpec, compareQuantities);
    } catch {
      // An unparsable quantity: validation rejects the pod with the field path.
    }
    obj.status = { phase: 'Pending', qosClass };
  }
  defaultOtherWorkloads(obj, r);
  return obj;
}

/** @navarch/api's causes in the wire form (`reason`, as metav1.StatusCause serializes it). */
export function wireCauses(causes: readonly ApiStatusCause[]): StatusCause[] {
  return causes.map((c) => {
    const cause: { reason: string; message: string; field?: string } = {
      reason: c.type ?? '',
      message: c.message ?? '',
    };
    if (c.field !== undefined) cause.field = c.field;
    return cause;
  });
}

const validatedKinds = new Set(VALIDATED_KINDS);

function metaCauses(obj: KubeObject, r: ResourceInfo): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = obj.metadata.name ?? '';
  if (name === '') {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'name or generateName is required',
      field: 'metadata.name',
    });
  } else {
    for (const msg of isDNS1123Subdomain(name))
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(name)}: ${msg}`,
        field: 'metadata.name',
      });
  }
  if (r.namespaced && !obj.metadata.namespace)
    causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'metadata.namespace' });
  for (const [key, value] of Object.entries(asRecord(obj.metadata.labels) ?? {})) {
    for (const msg of isQualifiedName(key))
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(key)}: ${msg}`,
        field: 'metadata.labels',
      });
    for (const msg of typeof value === 'string' ? isValidLabelValue(value) : ['must be a string'])
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(value)}: ${msg}`,
        field: 'metadata.labels',
      });
  }
  return causes;
}

/** Validates a pod template (at `path`) by @navarch/api's Pod rules: the pod's `spec.x` is `path.spec.x`. */
function templateCauses(obj: KubeObject, template: Record<string, unknown> | undefined, path: string) {
  if (template === undefined)
    return [{ reason: 'FieldValueRequired', message: 'Required value', field: path }];
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: obj.metadata.name || 'template', namespace: obj.metadata.namespace || 'default' },
    spec: template.spec,
  };
  return wireCauses(validateApiObject(pod))
    .filter((c) => c.field === undefined || !c.field.startsWith('metadata'))
    .map((c) => ({ ...c, field: `${path}.${c.field ?? ''}`.replace(/\.$/, '') }));
}

/** Causes for the workload kinds @navarch/api does not validate yet. */
function otherKindCauses(obj: KubeObject, r: ResourceInfo): StatusCause[] {
  const causes = metaCauses(obj, r);
  const spec = obj.spec;
  switch (r.kind) {
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job': {
      if (spec === undefined)
        return [...causes, { reason: 'FieldValueRequired', message: 'Required value', field: 'spec' }];
      const replicas = spec.replicas;
      if (
        replicas !== undefined &&
        (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
      )
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
          field: 'spec.replicas',
        });
      const template = asRecord(spec.template);
      if (r.kind !== 'Job') {
        const selector = asRecord(spec.selector);
        if (selector === undefined)
          causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' });
        const templateLabels = asRecord(asRecord(template?.metadata)?.labels) ?? {};
        const matches = Object.entries(asRecord(selector?.matchLabels) ?? {}).every(
          ([k, v]) => templateLabels[k] === v,
        );
        if (selector !== undefined && !matches)
          causes.push({
            reason: 'FieldValueInvalid',
            message: 'Invalid value: map[string]string: `selector` does not match template `labels`',
            field: 'spec.template.metadata.labels',
          });
      }
      causes.push(...templateCauses(obj, template, 'spec.template'));
      break;
    }
    default:
      break;
  }
  return causes;
}

/** Validates an object about to be created; returns the causes of a 422 (empty when valid). */
export function validateCreate(obj: KubeObject, r: ResourceInfo): StatusCause[] {
  if (!validatedKinds.has(r.kind)) return otherKindCauses(obj, r);
  return wireCauses(validateApiObject(obj));
}

/** Validates a main-resource update against the stored object. */
export function validateUpdate(next: KubeObject, previous: KubeObject, r: ResourceInfo): StatusCause[] {
  if (!validatedKinds.has(r.kind)) return otherKindCauses(next, r);
  return wireCauses(validateApiObjectUpdate(next, previous));
}

/** Validates a status-subresource update against the stored object. */
export function validateStatus(next: KubeObject, previous: KubeObject, r: ResourceInfo): StatusCause[] {
  if (!validatedKinds.has(r.kind)) return metaCauses(next, r);
  return wireCauses(validateApiStatusUpdate(next, previous));
}
