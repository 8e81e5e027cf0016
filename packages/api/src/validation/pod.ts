/**
 * Validation of Pods, pod specs and pod templates (pkg/apis/core/validation: ValidatePodSpec,
 * ValidatePodTemplateSpec, ValidatePodUpdate). Fields that defaulting fills (restartPolicy,
 * imagePullPolicy, ...) are accepted when absent, so the same checks run before and after
 * defaulting; when present they must hold a supported value.
 */
import { isQuantity, parseQuantity } from '../quantity.js';
import type { IntOrString } from '../types/meta.js';
import type {
  Container,
  EnvVar,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Toleration,
  Volume,
} from '../types/pod.js';
import { child, deepEqual, FieldErrors, index, key } from './field.js';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
} from './names.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const DOWNWARD_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'metadata.labels',
  'metadata.annotations',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
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

/** Port given as a number (1..65535) or an IANA service name. */
export function validatePortNumOrName(
  errors: FieldErrors,
  port: IntOrString | undefined,
  path: string,
): void {
  if (port === undefined) {
    errors.required(path);
  } else if (typeof port === 'number') {
    errors.invalidEach(path, port, isValidPortNum(port));
  } else if (typeof port === 'string') {
    errors.invalidEach(path, port, isValidPortName(port));
  } else {
    errors.typeInvalid(path, port, 'an integer or a string');
  }
}

/** Resource requests/limits: quantity syntax, non-negative, requests ≤ limits. */
export function validateResourceRequirements(
  errors: FieldErrors,
  resources: ResourceRequirements | undefined,
  path: string,
): void {
  if (!errors.isObject(path, resources)) return;
  for (const group of ['limits', 'requests'] as const) {
    const groupPath = child(path, group);
    if (!errors.isObject(groupPath, resources[group])) continue;
    for (const [name, value] of Object.entries(resources[group] ?? {})) {
      const entryPath = key(groupPath, name);
      errors.invalidEach(entryPath, name, isQualifiedName(name));
      if (!isQuantity(value)) {
        errors.invalid(
          entryPath,
          value,
          "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        );
      } else if (parseQuantity(value).sign() < 0) {
        errors.invalid(entryPath, value, 'must be greater than or equal to 0');
      }
    }
  }
  for (const [name, request] of Object.entries(resources.requests ?? {})) {
    const limit = resources.limits?.[name];
    if (limit === undefined || !isQuantity(limit) || !isQuantity(request)) continue;
    if (parseQuantity(request).cmp(parseQuantity(limit)) > 0) {
      errors.invalid(
        key(child(path, 'requests'), name),
        request,
        `must be less than or equal to ${name} limit of ${limit}`,
      );
    }
  }
}

function validateProbe(
  errors: FieldErrors,
  probe: Probe | undefined,
  path: string,
  isLiveness: boolean,
): void {
  if (!errors.isObject(path, probe)) return;
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter(
    (name) => probe[name] !== undefined,
  );
  if (handlers.length === 0) errors.required(path, 'must specify a handler type');
  for (const extra of handlers.slice(1))
    errors.forbidden(child(path, extra), 'may not specify more than 1 handler type');
  if (probe.httpGet !== undefined && errors.isObject(child(path, 'httpGet'), probe.httpGet)) {
    const httpPath = child(path, 'httpGet');
    validatePortNumOrName(errors, probe.httpGet.port, child(httpPath, 'port'));
    errors.oneOf(child(httpPath, 'scheme'), probe.httpGet.scheme, ['HTTP', 'HTTPS']);
    if (
      errors.isString(child(httpPath, 'path'), probe.httpGet.path) &&
      probe.httpGet.path !== '' &&
      !probe.httpGet.path.startsWith('/')
    ) {
      errors.invalid(child(httpPath, 'path'), probe.httpGet.path, "must start with '/'");
    }
  }
  if (probe.tcpSocket !== undefined && errors.isObject(child(path, 'tcpSocket'), probe.tcpSocket)) {
    validatePortNumOrName(errors, probe.tcpSocket.port, child(child(path, 'tcpSocket'), 'port'));
  }
  if (probe.grpc !== undefined && errors.isObject(child(path, 'grpc'), probe.grpc)) {
    const portPath = child(child(path, 'grpc'), 'port');
    if (errors.isInteger(portPath, probe.grpc.port))
      errors.invalidEach(portPath, probe.grpc.port, isValidPortNum(probe.grpc.port));
  }
  if (probe.exec !== undefined && errors.isObject(child(path, 'exec'), probe.exec)) {
    errors.list(child(child(path, 'exec'), 'command'), probe.exec.command);
  }
  errors.nonNegative(child(path, 'initialDelaySeconds'), probe.initialDelaySeconds);
  errors.positive(child(path, 'timeoutSeconds'), probe.timeoutSeconds);
  errors.positive(child(path, 'periodSeconds'), probe.periodSeconds);
  errors.positive(child(path, 'successThreshold'), probe.successThreshold);
  errors.positive(child(path, 'failureThreshold'), probe.failureThreshold);
  if (isLiveness && typeof probe.successThreshold === 'number' && probe.successThreshold !== 1) {
    errors.invalid(child(path, 'successThreshold'), probe.successThreshold, 'must be 1');
  }
}

function validateEnv(errors: FieldErrors, env: EnvVar[] | undefined, path: string): void {
  errors.list(path, env).forEach((variable, position) => {
    const variablePath = index(path, position);
    if (!errors.isObject(variablePath, variable)) return;
    const namePath = child(variablePath, 'name');
    if (variable.name === undefined || variable.name === '') errors.required(namePath);
    else if (errors.isString(namePath, variable.name))
      errors.invalidEach(namePath, variable.name, isEnvVarName(variable.name));
    errors.isString(child(variablePath, 'value'), variable.value);
    const source = variable.valueFrom;
    const sourcePath = child(variablePath, 'valueFrom');
    if (!errors.isObject(sourcePath, source)) return;
    const kinds = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter(
      (name) => source[name] !== undefined,
    );
    if (kinds.length === 0)
      errors.invalid(
        sourcePath,
        '',
        'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      );
    if (kinds.length > 1) {
      errors.invalid(sourcePath, '', 'may not have more than one field specified at a time');
    }
    if (variable.value !== undefined && variable.value !== '') {
      errors.invalid(sourcePath, '', 'may not be specified when `value` is not empty');
    }
    for (const refName of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const ref = source[refName];
      const refPath = child(sourcePath, refName);
      if (!errors.isObject(refPath, ref)) continue;
      if (ref.key === undefined || ref.key === '') errors.required(child(refPath, 'key'));
      else if (errors.isString(child(refPath, 'key'), ref.key))
        errors.invalidEach(child(refPath, 'key'), ref.key, isConfigMapKey(ref.key));
      if (ref.name === undefined || ref.name === '') errors.required(child(refPath, 'name'));
      else if (errors.isString(child(refPath, 'name'), ref.name))
        errors.invalidEach(child(refPath, 'name'), ref.name, isDNS1123Subdomain(ref.name));
    }
    const fieldRef = source.fieldRef;
    const fieldRefPath = child(sourcePath, 'fieldRef');
    if (errors.isObject(fieldRefPath, fieldRef)) {
      const fieldPath = fieldRef.fieldPath;
      const base = typeof fieldPath === 'string' ? fieldPath.replace(/\[.*\]$/, '') : '';
      if (fieldPath === undefined || fieldPath === '') errors.required(child(fieldRefPath, 'fieldPath'));
      else if (!DOWNWARD_FIELD_PATHS.includes(base))
        errors.notSupported(child(fieldRefPath, 'fieldPath'), fieldPath, DOWNWARD_FIELD_PATHS);
    }
    const resourceRef = source.resourceFieldRef;
    const resourceRefPath = child(sourcePath, 'resourceFieldRef');
    if (errors.isObject(resourceRefPath, resourceRef)) {
      if (resourceRef.resource === undefined || resourceRef.resource === '')
        errors.required(child(resourceRefPath, 'resource'));
      if (resourceRef.divisor !== undefined && !isQuantity(resourceRef.divisor)) {
        errors.invalid(child(resourceRefPath, 'divisor'), resourceRef.divisor, 'must be a valid quantity');
      }
    }
  });
}

interface ContainerContext {
  volumeNames: Set<string>;
  containerNames: Set<string>;
  portNames: Set<string>;
}

function validateContainer(
  errors: FieldErrors,
  container: Container,
  path: string,
  context: ContainerContext,
  isInit: boolean,
): void {
  if (!errors.isObject(path, container)) return;
  const namePath = child(path, 'name');
  if (container.name === undefined || container.name === '') {
    errors.required(namePath);
  } else if (errors.isString(namePath, container.name)) {
    errors.invalidEach(namePath, container.name, isDNS1123Label(container.name));
    if (context.containerNames.has(container.name)) errors.duplicate(namePath, container.name);
    context.containerNames.add(container.name);
  }
  const imagePath = child(path, 'image');
  if (container.image === undefined || container.image === '') errors.required(imagePath);
  else if (errors.isString(imagePath, container.image) && container.image.trim() !== container.image) {
    errors.invalid(imagePath, container.image, 'must not have leading or trailing whitespace');
  }
  errors.list(child(path, 'command'), container.command);
  errors.list(child(path, 'args'), container.args);
  errors.oneOf(child(path, 'imagePullPolicy'), container.imagePullPolicy, PULL_POLICIES);
  errors.oneOf(
    child(path, 'terminationMessagePolicy'),
    container.terminationMessagePolicy,
    TERMINATION_MESSAGE_POLICIES,
  );
  if (isInit) errors.oneOf(child(path, 'restartPolicy'), container.restartPolicy, ['Always']);
  else if (container.restartPolicy !== undefined)
    errors.forbidden(child(path, 'restartPolicy'), 'may not be set for non-init containers');
  const portsPath = child(path, 'ports');
  errors.list(portsPath, container.ports).forEach((port, position) => {
    const portPath = index(portsPath, position);
    if (!errors.isObject(portPath, port)) return;
    const containerPortPath = child(portPath, 'containerPort');
    if (port.containerPort === undefined) errors.required(containerPortPath);
    else if (errors.isInteger(containerPortPath, port.containerPort)) {
      errors.invalidEach(containerPortPath, port.containerPort, isValidPortNum(port.containerPort));
    }
    if (
      port.hostPort !== undefined &&
      port.hostPort !== 0 &&
      errors.isInteger(child(portPath, 'hostPort'), port.hostPort)
    ) {
      errors.invalidEach(child(portPath, 'hostPort'), port.hostPort, isValidPortNum(port.hostPort));
    }
    if (port.name !== undefined && port.name !== '' && errors.isString(child(portPath, 'name'), port.name)) {
      errors.invalidEach(child(portPath, 'name'), port.name, isValidPortName(port.name));
      if (context.portNames.has(port.name)) errors.duplicate(child(portPath, 'name'), port.name);
      context.portNames.add(port.name);
    }
    errors.oneOf(child(portPath, 'protocol'), port.protocol, PROTOCOLS);
  });
  validateEnv(errors, container.env, child(path, 'env'));
  const envFromPath = child(path, 'envFrom');
  errors.list(envFromPath, container.envFrom).forEach((source, position) => {
    const sourcePath = index(envFromPath, position);
    if (!errors.isObject(sourcePath, source)) return;
    if (
      source.prefix !== undefined &&
      source.prefix !== '' &&
      errors.isString(child(sourcePath, 'prefix'), source.prefix)
    ) {
      errors.invalidEach(child(sourcePath, 'prefix'), source.prefix, isEnvVarName(source.prefix));
    }
    const refs = (['configMapRef', 'secretRef'] as const).filter((name) => source[name] !== undefined);
    if (refs.length !== 1)
      errors.invalid(sourcePath, '', 'must specify one of: `configMapRef` or `secretRef`');
    for (const refName of refs) {
      const ref = source[refName];
      const refPath = child(sourcePath, refName);
      if (!errors.isObject(refPath, ref)) continue;
      if (ref.name === undefined || ref.name === '') errors.required(child(refPath, 'name'));
      else if (errors.isString(child(refPath, 'name'), ref.name))
        errors.invalidEach(child(refPath, 'name'), ref.name, isDNS1123Subdomain(ref.name));
    }
  });
  validateResourceRequirements(errors, container.resources, child(path, 'resources'));
  const mountsPath = child(path, 'volumeMounts');
  const mountPaths = new Set<string>();
  errors.list(mountsPath, container.volumeMounts).forEach((mount, position) => {
    const mountPath = index(mountsPath, position);
    if (!errors.isObject(mountPath, mount)) return;
    if (mount.name === undefined || mount.name === '') errors.required(child(mountPath, 'name'));
    else if (!context.volumeNames.has(mount.name)) errors.notFound(child(mountPath, 'name'), mount.name);
    if (mount.mountPath === undefined || mount.mountPath === '')
      errors.required(child(mountPath, 'mountPath'));
    else if (errors.isString(child(mountPath, 'mountPath'), mount.mountPath)) {
      if (mountPaths.has(mount.mountPath))
        errors.invalid(child(mountPath, 'mountPath'), mount.mountPath, 'must be unique');
      mountPaths.add(mount.mountPath);
    }
    if (
      typeof mount.subPath === 'string' &&
      (mount.subPath.startsWith('/') || mount.subPath.split('/').includes('..'))
    ) {
      errors.invalid(child(mountPath, 'subPath'), mount.subPath, "must be a relative path without '..'");
    }
  });
  validateProbe(errors, container.livenessProbe, child(path, 'livenessProbe'), true);
  validateProbe(errors, container.readinessProbe, child(path, 'readinessProbe'), false);
  validateProbe(errors, container.startupProbe, child(path, 'startupProbe'), true);
  if (isInit && container.restartPolicy !== 'Always') {
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (container[probe] !== undefined)
        errors.forbidden(
          child(path, probe),
          'may not be set for init containers without restartPolicy=Always',
        );
    }
  }
}

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
  const mutable: PodSpec = structuredClone(previousSpec);
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
