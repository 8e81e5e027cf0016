/**
 * Validation of metadata shared by every kind (apimachinery's ValidateObjectMeta and
 * ValidateObjectMetaUpdate), labels, annotations and structured label selectors.
 */
import type { LabelSelector, ObjectMeta } from '../types/meta.js';
import { child, deepEqual, type FieldErrors, index, key } from './field.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  type NameValidator,
} from './names.js';

/** Total size of all annotation keys and values, as in Kubernetes (256 KiB). */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

/** Checks label keys (qualified names) and values. */
export function validateLabels(
  errors: FieldErrors,
  labels: Record<string, string> | undefined,
  path: string,
): void {
  for (const [name, value] of errors.stringMap(path, labels)) {
    errors.invalidEach(path, name, isQualifiedName(name));
    errors.invalidEach(path, value, isValidLabelValue(value));
  }
}

/** Checks annotation keys (qualified names, compared lower-cased) and the 256 KiB total. */
export function validateAnnotations(
  errors: FieldErrors,
  annotations: Record<string, string> | undefined,
  path: string,
): void {
  let totalBytes = 0;
  for (const [name, value] of errors.stringMap(path, annotations)) {
    errors.invalidEach(path, name, isQualifiedName(name.toLowerCase()));
    totalBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  if (totalBytes > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errors.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES);
}

/** Checks a structured label selector (ValidateLabelSelector). */
export function validateLabelSelector(
  errors: FieldErrors,
  selector: LabelSelector | undefined,
  path: string,
): void {
  if (!errors.isObject(path, selector)) return;
  validateLabels(errors, selector.matchLabels, child(path, 'matchLabels'));
  const expressionsPath = child(path, 'matchExpressions');
  errors.list(expressionsPath, selector.matchExpressions).forEach((expression, position) => {
    const expressionPath = index(expressionsPath, position);
    if (!errors.isObject(expressionPath, expression)) return;
    const values = errors.list(child(expressionPath, 'values'), expression.values);
    switch (expression.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          errors.required(
            child(expressionPath, 'values'),
            "must be specified when `operator` is 'In' or 'NotIn'",
          );
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errors.forbidden(
            child(expressionPath, 'values'),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          );
        }
        break;
      default:
        errors.invalid(
          child(expressionPath, 'operator'),
          expression.operator,
          'not a valid selector operator',
        );
    }
    if (errors.isString(child(expressionPath, 'key'), expression.key)) {
      errors.invalidEach(child(expressionPath, 'key'), expression.key, isQualifiedName(expression.key));
    } else if (expression.key === undefined) {
      errors.required(child(expressionPath, 'key'));
    }
    values.forEach((value, valuePosition) => {
      const valuePath = index(child(expressionPath, 'values'), valuePosition);
      if (errors.isString(valuePath, value)) errors.invalidEach(valuePath, value, isValidLabelValue(value));
    });
  });
}

/** How a kind's metadata is checked. */
export interface MetaRules {
  /** Namespaced kinds need a namespace; cluster-scoped kinds must not have one. */
  namespaced: boolean;
  /** Name syntax for this kind. */
  validateName: NameValidator;
}

/**
 * ValidateObjectMeta: name or generateName required and well formed, namespace required
 * (namespaced kinds; the API server fills it from the request path before validating) or
 * forbidden (cluster-scoped), labels, annotations, owner references and finalizers.
 */
export function validateObjectMeta(
  errors: FieldErrors,
  meta: ObjectMeta | undefined,
  rules: MetaRules,
  path = 'metadata',
): void {
  if (meta === undefined || meta === null) {
    errors.required(path);
    return;
  }
  if (!errors.isObject(path, meta)) return;
  const namePath = child(path, 'name');
  const generatePath = child(path, 'generateName');
  const hasName = errors.isString(namePath, meta.name) && meta.name !== '';
  const hasGenerate = errors.isString(generatePath, meta.generateName) && meta.generateName !== '';
  if (hasGenerate)
    errors.invalidEach(generatePath, meta.generateName, rules.validateName(meta.generateName ?? '', true));
  if (hasName) errors.invalidEach(namePath, meta.name, rules.validateName(meta.name ?? '', false));
  else if (!hasGenerate) errors.required(namePath, 'name or generateName is required');
  const namespacePath = child(path, 'namespace');
  const hasNamespace = errors.isString(namespacePath, meta.namespace) && meta.namespace !== '';
  if (rules.namespaced) {
    if (!hasNamespace) errors.required(namespacePath);
    else errors.invalidEach(namespacePath, meta.namespace, isDNS1123Label(meta.namespace ?? ''));
  } else if (hasNamespace) {
    errors.forbidden(namespacePath, 'not allowed on this type');
  }
  if (meta.generation !== undefined) errors.nonNegative(child(path, 'generation'), meta.generation);
  if (meta.deletionGracePeriodSeconds !== undefined) {
    errors.nonNegative(child(path, 'deletionGracePeriodSeconds'), meta.deletionGracePeriodSeconds);
  }
  validateLabels(errors, meta.labels, child(path, 'labels'));
  validateAnnotations(errors, meta.annotations, child(path, 'annotations'));
  validateOwnerReferences(errors, meta, child(path, 'ownerReferences'));
  const finalizersPath = child(path, 'finalizers');
  const seen = new Set<string>();
  errors.list(finalizersPath, meta.finalizers).forEach((finalizer, position) => {
    const finalizerPath = index(finalizersPath, position);
    if (!errors.isString(finalizerPath, finalizer)) return;
    errors.invalidEach(finalizerPath, finalizer, isQualifiedName(finalizer));
    if (seen.has(finalizer)) errors.duplicate(finalizerPath, finalizer);
    seen.add(finalizer);
  });
}

function validateOwnerReferences(errors: FieldErrors, meta: ObjectMeta, path: string): void {
  let controllers = 0;
  errors.list(path, meta.ownerReferences).forEach((owner, position) => {
    const ownerPath = index(path, position);
    if (!errors.isObject(ownerPath, owner)) return;
    for (const field of ['apiVersion', 'kind', 'name', 'uid'] as const) {
      const value = owner[field];
      if (value === undefined || value === '')
        errors.invalid(child(ownerPath, field), value ?? '', `${field} must not be empty`);
      else errors.isString(child(ownerPath, field), value);
    }
    if (owner.controller === true) controllers += 1;
  });
  if (controllers > 1)
    errors.invalid(path, meta.ownerReferences, 'Only one reference can have Controller set to true');
}

/** ValidateObjectMetaUpdate: name, namespace, uid, creationTimestamp are immutable; deletion only moves one way. */
export function validateObjectMetaUpdate(
  errors: FieldErrors,
  next: ObjectMeta,
  previous: ObjectMeta,
  path = 'metadata',
): void {
  if (!errors.isObject(path, next) || typeof previous !== 'object' || previous === null) return;
  for (const field of ['name', 'namespace', 'uid'] as const) {
    if ((next[field] ?? '') !== (previous[field] ?? ''))
      errors.invalid(child(path, field), next[field] ?? '', 'field is immutable');
  }
  if (
    previous.creationTimestamp !== undefined &&
    previous.creationTimestamp !== null &&
    next.creationTimestamp !== previous.creationTimestamp
  ) {
    errors.invalid(child(path, 'creationTimestamp'), next.creationTimestamp ?? null, 'field is immutable');
  }
  if (previous.deletionTimestamp !== undefined && previous.deletionTimestamp !== null) {
    if (next.deletionTimestamp !== previous.deletionTimestamp) {
      errors.invalid(
        child(path, 'deletionTimestamp'),
        next.deletionTimestamp ?? null,
        'field is immutable; may only be changed via deletion',
      );
    }
  }
  if (
    previous.deletionGracePeriodSeconds !== undefined &&
    next.deletionGracePeriodSeconds !== previous.deletionGracePeriodSeconds
  ) {
    errors.invalid(
      child(path, 'deletionGracePeriodSeconds'),
      next.deletionGracePeriodSeconds ?? null,
      'field is immutable; may only be changed via deletion',
    );
  }
  if (
    previous.generation !== undefined &&
    next.generation !== undefined &&
    next.generation < previous.generation
  ) {
    errors.invalid(child(path, 'generation'), next.generation, 'must not be decremented');
  }
}

/** Immutable-field helper: reports `field is immutable` when `next` differs from `previous`. */
export function validateImmutable(errors: FieldErrors, next: unknown, previous: unknown, path: string): void {
  if (!deepEqual(next, previous)) errors.invalid(path, next ?? null, 'field is immutable');
}

/** Checks a DNS-1123 subdomain reference (e.g. a ConfigMap name) at `path`. */
export function validateSubdomainReference(
  errors: FieldErrors,
  value: unknown,
  path: string,
  required = true,
): void {
  if (value === undefined || value === '') {
    if (required) errors.required(path);
    return;
  }
  if (errors.isString(path, value)) errors.invalidEach(path, value, isDNS1123Subdomain(value));
}

/** Checks a resource-list key such as `cpu` or `example.com/gpu`. */
export function resourceNamePath(path: string, name: string): string {
  return key(path, name);
}
