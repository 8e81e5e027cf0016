/**
 * Object shape helpers: metadata on create and update, light defaulting, and the validation
 * the server enforces before anything is stored. @navarch/api will own defaulting and
 * validation; these local rules cover what the server itself relies on.
 */
import { randomBytes, randomUUID } from 'node:crypto';
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

/** Current time in the RFC 3339 second precision Kubernetes uses. */
export function nowTimestamp(offsetSeconds = 0): string {
  return `${new Date(Date.now() + offsetSeconds * 1000).toISOString().slice(0, 19)}Z`;
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

function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

/** True when anything outside metadata and status changed (generation is bumped then). */
export function specChanged(before: KubeObject, after: KubeObject): boolean {
  return specOf(before) !== specOf(after);
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function asArray(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v)
    ? v.filter((x) => asRecord(x) !== undefined).map((x) => x as Record<string, unknown>)
    : [];
}

function defaultContainer(c: Record<string, unknown>): void {
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    c.imagePullPolicy = c.image.endsWith(':latest') || !/:[^/]+$/.test(c.image) ? 'Always' : 'IfNotPresent';
  }
  if (c.terminationMessagePath === undefined) c.terminationMessagePath = '/dev/termination-log';
  if (c.terminationMessagePolicy === undefined) c.terminationMessagePolicy = 'File';
  if (c.resources === undefined) c.resources = {};
  for (const p of asArray(c.ports)) if (p.protocol === undefined) p.protocol = 'TCP';
}

function defaultPodSpec(spec: Record<string, unknown> | undefined): void {
  if (!spec) return;
  if (spec.restartPolicy === undefined) spec.restartPolicy = 'Always';
  if (spec.dnsPolicy === undefined) spec.dnsPolicy = 'ClusterFirst';
  if (spec.terminationGracePeriodSeconds === undefined) spec.terminationGracePeriodSeconds = 30;
  if (spec.schedulerName === undefined) spec.schedulerName = 'default-scheduler';
  if (spec.securityContext === undefined) spec.securityContext = {};
  for (const c of asArray(spec.containers)) defaultContainer(c);
  for (const c of asArray(spec.initContainers)) defaultContainer(c);
}

/** Defaults the server applies on create and update, the subset kubectl output relies on. */
export function applyDefaults(obj: KubeObject, r: ResourceInfo): void {
  const spec = obj.spec;
  switch (r.kind) {
    case 'Pod':
      defaultPodSpec(spec);
      if (obj.status === undefined) obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
      if (spec) {
        if (spec.replicas === undefined) spec.replicas = 1;
        if (r.kind === 'Deployment') {
          if (spec.strategy === undefined || Object.keys(asRecord(spec.strategy) ?? {}).length === 0) {
            spec.strategy = {
              type: 'RollingUpdate',
              rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
            };
          }
          if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
          if (spec.progressDeadlineSeconds === undefined) spec.progressDeadlineSeconds = 600;
        }
        defaultPodSpec(asRecord(asRecord(spec.template)?.spec));
      }
      break;
    case 'DaemonSet':
      defaultPodSpec(asRecord(asRecord(spec?.template)?.spec));
      break;
    case 'Job':
      if (spec) {
        spec.parallelism ??= 1;
        spec.completions ??= 1;
        spec.backoffLimit ??= 6;
        spec.completionMode ??= 'NonIndexed';
        // Like Kubernetes: without manualSelector, select the job's own pods by its uid.
        const template = asRecord(spec.template);
        if (spec.selector === undefined && spec.manualSelector !== true && template && obj.metadata.uid) {
          const uid = obj.metadata.uid;
          spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
          const meta = (asRecord(template.metadata) ?? {}) as Record<string, unknown>;
          meta.labels = {
            ...(asRecord(meta.labels) ?? {}),
            'batch.kubernetes.io/controller-uid': uid,
            'batch.kubernetes.io/job-name': obj.metadata.name ?? '',
            'controller-uid': uid,
            'job-name': obj.metadata.name ?? '',
          };
          template.metadata = meta;
        }
        defaultPodSpec(asRecord(template?.spec));
      }
      break;
    case 'Service':
      if (spec) {
        if (spec.type === undefined) spec.type = 'ClusterIP';
        if (spec.sessionAffinity === undefined) spec.sessionAffinity = 'None';
        for (const p of asArray(spec.ports)) {
          if (p.protocol === undefined) p.protocol = 'TCP';
          if (p.targetPort === undefined) p.targetPort = p.port;
        }
      }
      break;
    case 'Namespace':
      obj.spec ??= {};
      if (obj.spec.finalizers === undefined) obj.spec.finalizers = ['kubernetes'];
      if (obj.status === undefined || obj.metadata.deletionTimestamp === undefined)
        obj.status = { phase: 'Active' };
      obj.metadata.labels = {
        ...(obj.metadata.labels ?? {}),
        'kubernetes.io/metadata.name': obj.metadata.name ?? '',
      };
      break;
    case 'Secret':
      if (obj.type === undefined) obj.type = 'Opaque';
      if (asRecord(obj.stringData)) {
        const data = { ...(asRecord(obj.data) ?? {}) };
        for (const [k, v] of Object.entries(asRecord(obj.stringData)!))
          data[k] = Buffer.from(String(v)).toString('base64');
        obj.data = data;
        delete obj.stringData;
      }
      break;
    default:
      break;
  }
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Kinds whose names must be DNS-1123 labels rather than subdomains. */
const labelNamed = new Set(['Namespace']);
const dns1035Named = new Set(['Service']);

function need(
  causes: StatusCause[],
  cond: boolean,
  field: string,
  message: string,
  reason = 'FieldValueRequired',
): void {
  if (!cond) causes.push({ reason, message, field });
}

function validateName(causes: StatusCause[], kind: string, name: string): void {
  if (name === '') {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'name or generateName is required',
      field: 'metadata.name',
    });
    return;
  }
  const pattern = dns1035Named.has(kind)
    ? dns1035Label
    : labelNamed.has(kind)
      ? dns1123Label
      : dns1123Subdomain;
  const max = labelNamed.has(kind) || dns1035Named.has(kind) ? 63 : 253;
  if (!pattern.test(name) || name.length > max) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": a lowercase RFC 1123 ${max === 63 ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      field: 'metadata.name',
    });
  }
}

function validateLabels(causes: StatusCause[], labels: unknown, field: string): void {
  const l = asRecord(labels);
  if (!l) return;
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'string' || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v) || v.length > 63) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`,
        field: `${field}`,
      });
    }
    if (!/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(k)) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
        field,
      });
    }
  }
}

function validatePodSpec(causes: StatusCause[], spec: unknown, path: string): void {
  const s = asRecord(spec);
  if (!s) {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: path });
    return;
  }
  const containers = asArray(s.containers);
  need(causes, containers.length > 0, `${path}.containers`, 'Required value');
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const f = `${path}.containers[${i}]`;
    if (typeof c.name !== 'string' || c.name === '')
      causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `${f}.name` });
    else if (!dns1123Label.test(c.name))
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${c.name}": a lowercase RFC 1123 label is required`,
        field: `${f}.name`,
      });
    else if (names.has(c.name))
      causes.push({
        reason: 'FieldValueDuplicate',
        message: `Duplicate value: "${c.name}"`,
        field: `${f}.name`,
      });
    else names.add(c.name);
    need(causes, typeof c.image === 'string' && c.image !== '', `${f}.image`, 'Required value');
    asArray(c.ports).forEach((p, j) => {
      const port = p.containerPort;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(port)}: must be between 1 and 65535, inclusive`,
          field: `${f}.ports[${j}].containerPort`,
        });
      }
    });
  });
  if (s.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(String(s.restartPolicy))) {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${String(s.restartPolicy)}": supported values: "Always", "OnFailure", "Never"`,
      field: `${path}.restartPolicy`,
    });
  }
}

function validateWorkload(causes: StatusCause[], obj: KubeObject): void {
  const spec = obj.spec;
  if (!spec) {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec' });
    return;
  }
  if (
    spec.replicas !== undefined &&
    (typeof spec.replicas !== 'number' || spec.replicas < 0 || !Number.isInteger(spec.replicas))
  ) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(spec.replicas)}: must be greater than or equal to 0`,
      field: 'spec.replicas',
    });
  }
  const template = asRecord(spec.template);
  const selector = asRecord(spec.selector);
  if (obj.kind !== 'Job' && obj.kind !== 'CronJob') {
    need(causes, selector !== undefined, 'spec.selector', 'Required value');
    const matchLabels = asRecord(selector?.matchLabels) ?? {};
    const templateLabels = asRecord(asRecord(template?.metadata)?.labels) ?? {};
    const ok = Object.entries(matchLabels).every(([k, v]) => templateLabels[k] === v);
    if (selector && !ok) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: 'Invalid value: map[string]string: `selector` does not match template `labels`',
        field: 'spec.template.metadata.labels',
      });
    }
  }
  if (obj.kind === 'CronJob') return;
  validatePodSpec(causes, template?.spec, 'spec.template.spec');
}

function validateService(causes: StatusCause[], obj: KubeObject): void {
  const spec = obj.spec ?? {};
  const type = String(spec.type ?? 'ClusterIP');
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(type)) {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${type}"`,
      field: 'spec.type',
    });
  }
  const ports = asArray(spec.ports);
  if (type !== 'ExternalName' && spec.clusterIP !== 'None')
    need(causes, ports.length > 0, 'spec.ports', 'Required value');
  ports.forEach((p, i) => {
    if (typeof p.port !== 'number' || p.port < 1 || p.port > 65535) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(p.port)}: must be between 1 and 65535, inclusive`,
        field: `spec.ports[${i}].port`,
      });
    }
    if (ports.length > 1 && (typeof p.name !== 'string' || p.name === '')) {
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: `spec.ports[${i}].name`,
      });
    }
  });
}

/** Validates an object about to be stored; returns the causes of a 422 (empty when valid). */
export function validateObject(obj: KubeObject, r: ResourceInfo): StatusCause[] {
  const causes: StatusCause[] = [];
  validateName(causes, r.kind, obj.metadata.name ?? '');
  validateLabels(causes, obj.metadata.labels, 'metadata.labels');
  switch (r.kind) {
    case 'Pod':
      validatePodSpec(causes, obj.spec, 'spec');
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      validateWorkload(causes, obj);
      break;
    case 'Service':
      validateService(causes, obj);
      break;
    case 'ConfigMap':
      for (const k of Object.keys(asRecord(obj.data) ?? {})) {
        if (!/^[-._a-zA-Z0-9]+$/.test(k))
          causes.push({
            reason: 'FieldValueInvalid',
            message: `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
            field: 'data',
          });
      }
      break;
    default:
      break;
  }
  return causes;
}
