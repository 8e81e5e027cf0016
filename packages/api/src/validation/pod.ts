/**
 * Validation of Pods, pod specs and pod templates (pkg/apis/core/validation: ValidatePodSpec,
 * ValidatePodTemplateSpec, ValidatePodUpdate). Fields that defaulting fills (restartPolicy,
 * imagePullPolicy, ...) are accepted when absent, so the same checks run before and after
 * defaulting; when present they must hold a supported value.
 */
import { cloneJson } from '../clone.js';
import { isQuantity } from '../quantity.js';
import type { Container, Pod, PodSpec, PodTemplateSpec, Toleration, Volume } from '../types/pod.js';
import { type ContainerContext, validateContainer } from './container.js';
import { child, deepEqual, FieldErrors, index } from './field.js';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, nameIsDNSSubdomain } from './names.js';

export { validatePortNumOrName, validateResourceRequirements } from './container.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const VOLUME_SOURCES = [
  'emptyDir',
  'hostPath',
  'configMap',
  'secret',
  'persistentVolumeClaim',
  'downwardAPI',
  'projected',
];
/** Largest value of an int32 field such as activeDeadlineSeconds. */
const MAX_INT32 = 2147483647;

function validateVolume(errors: FieldErrors, volume: Volume, path: string, names: Set<string>): void {
  if (!errors.isObject(path, volume)) return;
  const namePath = child(path, 'name');
  if (volume.name === undefined || volume.name === '') errors.required(namePath);
  else if (errors.isString(namePath, volume.name)) {
    errors.invalidEach(namePath, volume.name, isDNS1123Label(volume.name));
    if (names.has(volume.name)) errors.duplicate(namePath, volume.name);
    names.add(volume.name);
  }
  const sources = VOLUME_SOURCES.filter(
    (source) => (volume as unknown as Record<string, unknown>)[source] !== undefined,
  );
  if (sources.length === 0) errors.required(path, 'must specify a volume type');
  for (const extra of sources.slice(1))
    errors.forbidden(child(path, extra), 'may not specify more than 1 volume type');
  if (
    volume.persistentVolumeClaim !== undefined &&
    errors.isObject(child(path, 'persistentVolumeClaim'), volume.persistentVolumeClaim)
  ) {
    const claimPath = child(child(path, 'persistentVolumeClaim'), 'claimName');
    if (volume.persistentVolumeClaim.claimName === undefined || volume.persistentVolumeClaim.claimName === '')
      errors.required(claimPath);
  }
  if (volume.configMap !== undefined && errors.isObject(child(path, 'configMap'), volume.configMap)) {
    const namePathRef = child(child(path, 'configMap'), 'name');
    if (volume.configMap.name === undefined || volume.configMap.name === '') errors.required(namePathRef);
    validateMode(errors, volume.configMap.defaultMode, child(child(path, 'configMap'), 'defaultMode'));
  }
  if (volume.secret !== undefined && errors.isObject(child(path, 'secret'), volume.secret)) {
    const namePathRef = child(child(path, 'secret'), 'secretName');
    if (volume.secret.secretName === undefined || volume.secret.secretName === '')
      errors.required(namePathRef);
    validateMode(errors, volume.secret.defaultMode, child(child(path, 'secret'), 'defaultMode'));
  }
  if (volume.hostPath !== undefined && errors.isObject(child(path, 'hostPath'), volume.hostPath)) {
    if (volume.hostPath.path === undefined || volume.hostPath.path === '')
      errors.required(child(child(path, 'hostPath'), 'path'));
  }
  if (volume.emptyDir !== undefined && errors.isObject(child(path, 'emptyDir'), volume.emptyDir)) {
    errors.oneOf(child(child(path, 'emptyDir'), 'medium'), volume.emptyDir.medium, ['', 'Memory']);
    const sizeLimit = volume.emptyDir.sizeLimit;
    if (sizeLimit !== undefined && !isQuantity(sizeLimit))
      errors.invalid(child(child(path, 'emptyDir'), 'sizeLimit'), sizeLimit, 'must be a valid quantity');
  }
}

function validateMode(errors: FieldErrors, mode: number | undefined, path: string): void {
  if (errors.isInteger(path, mode) && (mode < 0 || mode > 0o777)) {
    errors.invalid(path, mode, 'must be a number between 0 and 0777 (octal), both inclusive');
  }
}

function validateToleration(errors: FieldErrors, toleration: Toleration, path: string): void {
  if (!errors.isObject(path, toleration)) return;
  if (
    toleration.key !== undefined &&
    toleration.key !== '' &&
    errors.isString(child(path, 'key'), toleration.key)
  ) {
    errors.invalidEach(child(path, 'key'), toleration.key, isQualifiedName(toleration.key));
  }
  if ((toleration.key === undefined || toleration.key === '') && toleration.operator !== 'Exists') {
    errors.invalid(
      child(path, 'operator'),
      toleration.operator ?? '',
      'operator must be Exists when `key` is empty, which means "match all values and all keys"',
    );
  }
  errors.oneOf(child(path, 'operator'), toleration.operator, TOLERATION_OPERATORS);
  if (toleration.operator === 'Exists' && toleration.value !== undefined && toleration.value !== '') {
    errors.invalid(
      child(path, 'operator'),
      toleration.value,
      "value must be empty when `operator` is 'Exists'",
    );
  }
  if (toleration.effect !== undefined && toleration.effect !== '')
    errors.oneOf(child(path, 'effect'), toleration.effect, TAINT_EFFECTS);
  if (toleration.tolerationSeconds !== undefined && toleration.effect !== 'NoExecute') {
    errors.invalid(
      child(path, 'effect'),
      toleration.effect ?? '',
      "effect must be 'NoExecute' when `tolerationSeconds` is set",
    );
  }
}

/** Options for pod spec validation. */
export interface PodSpecRules {
  /** Pod templates of controllers only allow restartPolicy Always (Deployments, ReplicaSets). */
  restartPolicies?: readonly string[];
  /** Templates may not set activeDeadlineSeconds for Deployments/ReplicaSets. */
  forbidActiveDeadline?: boolean;
}

/** ValidatePodSpec: containers, volumes, policies, scheduling fields. */
export function validatePodSpec(
  errors: FieldErrors,
  spec: PodSpec | undefined,
  path: string,
  rules: PodSpecRules = {},
): void {
  if (spec === undefined || spec === null) {
    errors.required(path);
    return;
  }
  if (!errors.isObject(path, spec)) return;
  const volumeNames = new Set<string>();
  errors.list(child(path, 'volumes'), spec.volumes).forEach((volume, position) => {
    validateVolume(errors, volume, index(child(path, 'volumes'), position), volumeNames);
  });
  const context: ContainerContext = { volumeNames, containerNames: new Set(), portNames: new Set() };
  errors.list(child(path, 'initContainers'), spec.initContainers).forEach((container, position) => {
    validateContainer(errors, container, index(child(path, 'initContainers'), position), context, true);
  });
  const containersPath = child(path, 'containers');
  const containers = errors.list(containersPath, spec.containers);
  if (containers.length === 0 && (spec.containers === undefined || Array.isArray(spec.containers)))
    errors.required(containersPath);
  containers.forEach((container, position) => {
    validateContainer(errors, container, index(containersPath, position), context, false);
  });
  const restartPolicies = rules.restartPolicies ?? RESTART_POLICIES;
  errors.oneOf(child(path, 'restartPolicy'), spec.restartPolicy, restartPolicies);
  errors.oneOf(child(path, 'dnsPolicy'), spec.dnsPolicy, DNS_POLICIES);
  if (spec.dnsPolicy === 'None' && (spec.dnsConfig?.nameservers ?? []).length === 0) {
    errors.required(
      child(child(path, 'dnsConfig'), 'nameservers'),
      'must provide at least one DNS nameserver when `dnsPolicy` is None',
    );
  }
  errors.nonNegative(child(path, 'terminationGracePeriodSeconds'), spec.terminationGracePeriodSeconds);
  const deadlinePath = child(path, 'activeDeadlineSeconds');
  if (spec.activeDeadlineSeconds !== undefined) {
    if (rules.forbidActiveDeadline === true) {
      errors.invalid(
        deadlinePath,
        spec.activeDeadlineSeconds,
        'activeDeadlineSeconds in ReplicaSet is not Supported',
      );
    } else if (
      errors.isInteger(deadlinePath, spec.activeDeadlineSeconds) &&
      (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > MAX_INT32)
    ) {
      errors.invalid(
        deadlinePath,
        spec.activeDeadlineSeconds,
        `must be between 1 and ${MAX_INT32}, inclusive`,
      );
    }
  }
  validateLabels(errors, spec.nodeSelector, child(path, 'nodeSelector'));
  for (const field of ['serviceAccountName', 'nodeName', 'schedulerName', 'priorityClassName'] as const) {
    const value = spec[field];
    if (value !== undefined && value !== '' && errors.isString(child(path, field), value)) {
      errors.invalidEach(child(path, field), value, isDNS1123Subdomain(value));
    }
  }
  for (const field of ['hostname', 'subdomain'] as const) {
    const value = spec[field];
    if (value !== undefined && value !== '' && errors.isString(child(path, field), value)) {
      errors.invalidEach(child(path, field), value, isDNS1123Label(value));
    }
  }
  errors.list(child(path, 'tolerations'), spec.tolerations).forEach((toleration, position) => {
    validateToleration(errors, toleration, index(child(path, 'tolerations'), position));
  });
  errors.list(child(path, 'imagePullSecrets'), spec.imagePullSecrets);
  errors.oneOf(child(path, 'preemptionPolicy'), spec.preemptionPolicy, ['PreemptLowerPriority', 'Never']);
}

/** ValidatePodTemplateSpec: template labels and spec, with the caller's restrictions. */
export function validatePodTemplateSpec(
  errors: FieldErrors,
  template: PodTemplateSpec | undefined,
  path: string,
  rules: PodSpecRules = {},
): void {
  if (template === undefined || template === null) {
    errors.required(path);
    return;
  }
  if (!errors.isObject(path, template)) return;
  const metadataPath = child(path, 'metadata');
  if (errors.isObject(metadataPath, template.metadata)) {
    validateLabels(errors, template.metadata.labels, child(metadataPath, 'labels'));
    errors.stringMap(child(metadataPath, 'annotations'), template.metadata.annotations);
  }
  validatePodSpec(errors, template.spec, child(path, 'spec'), rules);
}

/** Full validation of a Pod on create. */
export function validatePod(pod: Pod): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, pod.metadata, { namespaced: true, validateName: nameIsDNSSubdomain });
  validatePodSpec(errors, pod.spec, 'spec');
  return errors;
}

const POD_UPDATE_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * ValidatePodUpdate: only container images, activeDeadlineSeconds (set, or lowered),
 * tolerations (additions only) and a negative terminationGracePeriodSeconds may change.
 */
export function validatePodUpdate(next: Pod, previous: Pod): FieldErrors {
  const errors = validatePod(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  const nextSpec = next.spec;
  const previousSpec = previous.spec;
  if (
    nextSpec === undefined ||
    previousSpec === undefined ||
    typeof nextSpec !== 'object' ||
    nextSpec === null ||
    typeof previousSpec !== 'object' ||
    previousSpec === null
  ) {
    return errors;
  }
  const deadlinePath = 'spec.activeDeadlineSeconds';
  if (previousSpec.activeDeadlineSeconds !== undefined) {
    if (nextSpec.activeDeadlineSeconds === undefined) {
      errors.invalid(deadlinePath, null, 'must not update from a positive integer to nil value');
    } else if (nextSpec.activeDeadlineSeconds > previousSpec.activeDeadlineSeconds) {
      errors.invalid(
        deadlinePath,
        nextSpec.activeDeadlineSeconds,
        'must be less than or equal to previous value',
      );
    }
  }
  const previousTolerations = previousSpec.tolerations ?? [];
  const nextTolerations = Array.isArray(nextSpec.tolerations) ? nextSpec.tolerations : [];
  for (const old of previousTolerations) {
    if (!nextTolerations.some((toleration) => deepEqual(toleration, old))) {
      errors.forbidden(
        'spec.tolerations',
        'existing toleration can not be modified except its tolerationSeconds',
      );
      break;
    }
  }
  // Compare everything else: take the old spec with the mutable fields overlaid from the new one.
  const mutable: PodSpec = cloneJson(previousSpec);
  const overlayImages = (target: Container[] | undefined, source: Container[] | undefined): void => {
    if (!Array.isArray(target) || !Array.isArray(source) || target.length !== source.length) return;
    target.forEach((container, position) => {
      const image = source[position]?.image;
      if (image === undefined) delete container.image;
      else container.image = image;
    });
  };
  overlayImages(mutable.containers, nextSpec.containers);
  overlayImages(mutable.initContainers, nextSpec.initContainers);
  copyField(mutable, nextSpec, 'activeDeadlineSeconds');
  copyField(mutable, nextSpec, 'tolerations');
  if ((previousSpec.terminationGracePeriodSeconds ?? 0) < 0 && nextSpec.terminationGracePeriodSeconds === 1) {
    mutable.terminationGracePeriodSeconds = 1;
  }
  if (!deepEqual(mutable, nextSpec)) errors.forbidden('spec', POD_UPDATE_MESSAGE);
  return errors;
}

function copyField<K extends keyof PodSpec>(target: PodSpec, source: PodSpec, field: K): void {
  if (source[field] === undefined) delete target[field];
  else target[field] = source[field];
}
